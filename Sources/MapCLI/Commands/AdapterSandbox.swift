import AdapterSpec
import Adapters
import Foundation
import Sandbox

/// `mapc sandbox` for platforms that exist only as specs (`adapters/<platform>.json`): emulators
/// generated from the specs, beside the built-in ones.
enum AdapterSandbox {
    /// Spec platforms in the working directory's `adapters/` that have no built-in emulator, sorted.
    static func specPlatforms(_ ctx: CommandContext) -> [String] {
        let folder = ctx.resolve("adapters")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        return names.filter { $0.hasSuffix(".json") && !$0.hasSuffix(".schema.json") }.map { String($0.dropLast(5)) }
            .filter {
                SandboxPlatform(rawValue: $0) == nil && DeclarativeAdapters.specPath(platform: $0, root: ctx.workingDirectory) != nil
            }
            .sorted()
    }

    /// Whether `name` is a spec platform.
    static func hasSpec(_ name: String, _ ctx: CommandContext) -> Bool { specPlatforms(ctx).contains(name) }

    /// Starts one emulator per spec; stops those started when one fails.
    static func start(_ names: [String], options: SandboxOptions, portBase: Int, _ ctx: CommandContext) throws -> [SpecSandboxServer] {
        var started: [SpecSandboxServer] = []
        do {
            for (index, name) in names.enumerated() {
                guard let path = DeclarativeAdapters.specPath(platform: name, root: ctx.workingDirectory) else { continue }
                let result = try SpecChecker.check(path: path, display: "adapters/\(name).json", root: ctx.workingDirectory)
                guard let spec = result.spec else {
                    ctx.io.err(result.rendered())
                    throw CLIError.failure("adapters/\(name).json has errors; run 'mapc adapter check adapters/\(name).json'")
                }
                var specOptions = options
                if portBase != 0 { specOptions.port = UInt16(portBase + index) }
                started.append(try SpecSandboxServer.start(spec: spec, options: specOptions))
            }
        } catch {
            for server in started { server.stop() }
            if let error = error as? CLIError { throw error }
            throw CLIError.operational("cannot start the spec emulators: \(error)")
        }
        return started
    }

    /// The variables that point the generic adapter at one spec emulator.
    static func environment(_ server: SpecSandboxServer) -> [(String, String)] {
        let prefix = "MAPC_\(server.platform.uppercased())_"
        var variables = [(prefix + "URL", server.baseURL.absoluteString), (prefix + "TOKEN", server.credential)]
        for (name, value) in server.parameters.sorted(by: { $0.key < $1.key }) { variables.append((prefix + name.uppercased(), value)) }
        return variables
    }
}
