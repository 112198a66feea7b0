import AdapterSpec
import Adapters
import Foundation
import MapDSL
import Sandbox
import SyncEngine

/// `mapc adapter test SPEC [--url URL]`: the conformance suite through the generic adapter.
enum AdapterTestCommand {
    static func run(_ args: Arguments, _ ctx: CommandContext) throws -> ExitCode {
        let format = try OutputFormat.parse(args)
        guard args.positional.count == 2 else {
            throw CLIError.usage("give one spec file", help: "mapc adapter test adapters/klaviyo.json")
        }
        let path = args.positional[1]
        let result = try AdapterCommand.load(path, args, ctx)
        guard let spec = result.spec else {
            ctx.io.out(result.rendered(colour: ctx.colourOut) + "\n")
            throw CLIError.failure("\(path) has errors; fix them first (mapc adapter check \(path))")
        }
        guard let root = (try? Project.locate(args, ctx, near: path))?.root else {
            throw CLIError.usage("no project found near \(path) (a folder with schemas/)")
        }
        var options = AdapterOptions(rateLimitsDirectory: root + "/ratelimits", platformsDirectory: root + "/platforms", maxRetries: 8)
        if !FileManager.default.fileExists(atPath: root + "/ratelimits/\(spec.platform).json") { options.rateLimitsDirectory = nil }
        options.limiterConfiguration.defaultThrottleWait = 0.3
        let adapter: DeclarativeAdapter
        var server: SpecSandboxServer?
        var storm: (@Sendable (Bool) -> Void)?
        do {
            if let url = args.value("url") {
                var connection = try Connection.resolve(platform: spec.platform, environment: ctx.environment)
                guard let parsed = URL(string: url), parsed.scheme != nil else { throw CLIError.usage("--url is not an absolute URL") }
                connection.baseURL = parsed
                options.maxRetries = 3
                adapter = try DeclarativeAdapter(spec: spec, connection: connection, options: options)
            } else {
                let started = try SpecSandboxServer.start(spec: spec, options: SandboxOptions.project(root: URL(fileURLWithPath: root)))
                server = started
                storm = { on in started.setFaults(FaultSwitches(rateLimitStorm: on)) }
                let connection = Connection(
                    platform: spec.platform, baseURL: started.baseURL, credential: Secret(started.credential),
                    parameters: started.parameters)
                adapter = try DeclarativeAdapter(spec: spec, connection: connection, options: options)
            }
        } catch let error as ConnectionError {
            throw CLIError.usage(error.message)
        } catch let error as AdapterError {
            server?.stop()
            throw CLIError.operational("cannot build the adapter: \(error)")
        }
        defer { server?.stop() }
        let target = server.map { "a generated emulator at \($0.baseURL.absoluteString)" } ?? (args.value("url") ?? "")
        let tag = String(UInt32.random(in: 0...UInt32.max), radix: 36)
        let checks = SpecConformance(adapter: adapter, tag: tag, storm: storm).run()
        let failed = checks.filter { !$0.passed }
        switch format {
        case .json:
            let list: [JSONValue] = checks.map { check in
                var pairs: [(String, JSONValue)] = [
                    ("object", .string(check.object)), ("check", .string(check.name)), ("passed", .bool(check.passed)),
                ]
                if let failure = check.failure { pairs.append(("detail", .string(failure))) }
                return .object(pairs)
            }
            ctx.io.out(
                JSONWriter.pretty(
                    .object([
                        ("spec", .string(path)), ("platform", .string(spec.platform)), ("target", .string(target)),
                        ("checks", .array(list)), ("failed", .int(failed.count)),
                    ])))
        default:
            ctx.io.out("conformance of \(spec.platform) (\(path)) against \(target)\n")
            for check in checks {
                let mark = check.failure == nil ? "ok  " : (check.passed ? "skip" : "FAIL")
                ctx.io.out("  \(mark) \(check.object): \(check.name)" + (check.failure.map { " — \($0)" } ?? "") + "\n")
            }
            ctx.io.out("\(checks.count - failed.count) of \(checks.count) checks passed\n")
        }
        return failed.isEmpty ? .ok : .failure
    }
}
