import Foundation
import Sandbox

/// `mapc sandbox`: runs the platform emulators on loopback until interrupted.
enum SandboxCommand: Command {
    static let name = "sandbox"
    static let summary = "Run local emulators of the platforms' HTTP APIs"
    static let usage = "[--platform P ...] [--port-base N] [--seed DIR] [--faults JSON|FILE] [--rate-limits DIR|none]"
    static let discussion = """
        Starts one emulator per platform (hubspot, salesforce, mailchimp, segment, ga4, and each platform
        with a spec in adapters/, its emulator generated from the spec) on 127.0.0.1,
        seeded from samples/ and enforcing ratelimits/ (unless --rate-limits none), prints each URL and the environment variables
        that point mapc's adapters at it (eval-able 'export' lines), and runs until SIGINT or SIGTERM.
        --faults takes a JSON object of fault switches (latencyMilliseconds, errorRate, errorStatus,
        hangRate, hangMilliseconds, dropRate, rateLimitStorm, rateLimitNext, failNext, failAfter) or a
        file holding one; change them later with POST <url>/_sandbox/faults.
        """
    static let options = [
        OptionSpec("platform", short: "p", value: "P", repeats: true, help: "Emulate this platform (repeatable; default all)."),
        OptionSpec("port-base", value: "N", help: "Consecutive ports from N (default: free ports)."),
        OptionSpec("seed", value: "DIR", help: "Seed records from DIR/<platform>/<object>.jsonl (default: ./samples)."),
        OptionSpec("faults", value: "JSON|FILE", help: "Fault switches active from the start."),
        OptionSpec(
            "rate-limits", value: "DIR|none",
            help: "Rate-limit registry to enforce (default: ./ratelimits); 'none' enforces no limits (load tests)."),
        OptionSpec("debug-exit-after", value: "SECONDS", help: "Stop after SECONDS (for tests)."),
        CommonOptions.schemas,
    ]

    static func run(_ args: Arguments, _ ctx: CommandContext) throws -> ExitCode {
        var platforms: [SandboxPlatform] = []
        var specs: [String] = []  // platforms described by adapters/<platform>.json
        for value in args.values("platform") {
            for name in value.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces).lowercased() }) {
                if SandboxPlatform(rawValue: name) == nil, AdapterSandbox.hasSpec(name, ctx) {
                    if !specs.contains(name) { specs.append(name) }
                    continue
                }
                guard let platform = SandboxPlatform(rawValue: name) else {
                    let known = SandboxPlatform.allCases.map(\.rawValue).joined(separator: ", ")
                    throw CLIError.usage("unknown platform '\(name)'", help: "choose from \(known)")
                }
                if !platforms.contains(platform) { platforms.append(platform) }
            }
        }
        if platforms.isEmpty && specs.isEmpty {
            platforms = SandboxPlatform.allCases
            specs = AdapterSandbox.specPlatforms(ctx)
        }
        let portBase = try args.int("port-base", default: 0)
        guard portBase == 0 || (1024...65_000).contains(portBase) else {
            throw CLIError.usage("--port-base must be between 1024 and 65000")
        }
        var options = SandboxOptions()
        options.port = UInt16(portBase)
        options.schemasDirectory = existing(args.value("schemas") ?? ctx.environment["MAPC_SCHEMAS"], "schemas", ctx)
        options.samplesDirectory = existing(args.value("seed"), "samples", ctx)
        switch args.value("rate-limits") {
        case "none": options.rateLimitsDirectory = nil
        case let given?:
            guard let directory = existing(given, "ratelimits", ctx) else {
                throw CLIError.usage(
                    "rate-limit folder '\(given)' does not exist", help: "give a folder of <platform>.json files, or 'none'")
            }
            options.rateLimitsDirectory = directory
        case nil: options.rateLimitsDirectory = existing(nil, "ratelimits", ctx)
        }
        if let seed = args.value("seed"), options.samplesDirectory == nil {
            throw CLIError.usage("seed folder '\(seed)' does not exist")
        }
        if let faults = args.value("faults") { options.faults = try parseFaults(faults, ctx) }

        let servers: [SandboxPlatform: SandboxServer]
        do {
            servers = try Sandbox.startAll(platforms, options: options)
        } catch {
            throw CLIError.operational("cannot start the sandbox: \(error)")
        }
        defer { for server in servers.values { server.stop() } }
        let specServers = try AdapterSandbox.start(
            specs, options: options, portBase: portBase == 0 ? 0 : portBase + platforms.count, ctx)
        defer { for server in specServers { server.stop() } }
        for platform in platforms {
            guard let server = servers[platform] else { continue }
            ctx.io.out("# \(platform.rawValue): \(server.baseURL.absoluteString)\(platform.apiPathPrefix)\n")
            for (name, value) in environment(platform, server, options) { ctx.io.out("export \(name)=\(value)\n") }
        }
        for server in specServers {
            ctx.io.out("# \(server.platform) (from adapters/\(server.platform).json): \(server.baseURL.absoluteString)\n")
            for (name, value) in AdapterSandbox.environment(server) { ctx.io.out("export \(name)=\(value)\n") }
        }
        ctx.io.out("# control: <url>/_sandbox/{health,records,requests,faults,limits,reset}; stop with Ctrl-C\n")
        ctx.io.flush()

        let stop = DispatchSemaphore(value: 0)
        var sources: [any DispatchSourceSignal] = []
        for number in [SIGINT, SIGTERM] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { stop.signal() }
            source.resume()
            sources.append(source)
        }
        if let seconds = args.value("debug-exit-after").flatMap(Double.init) {
            _ = stop.wait(timeout: .now() + seconds)
        } else {
            stop.wait()
        }
        for source in sources { source.cancel() }
        for number in [SIGINT, SIGTERM] { signal(number, SIG_DFL) }
        ctx.io.err("sandbox stopped\n")
        return .ok
    }

    /// The variables that point mapc's adapters at one emulator.
    static func environment(_ platform: SandboxPlatform, _ server: SandboxServer, _ options: SandboxOptions)
        -> [(String, String)]
    {
        let prefix = "MAPC_\(platform.rawValue.uppercased())_"
        var variables = [(prefix + "URL", server.baseURL.absoluteString), (prefix + "TOKEN", server.credential)]
        switch platform {
        case .mailchimp: variables.append((prefix + "LIST", options.mailchimpListID))
        case .ga4: variables.append((prefix + "MEASUREMENT_ID", "G-SANDBOX"))
        default: break
        }
        return variables
    }

    /// `given` (which must exist) or `./fallback` when it exists.
    private static func existing(_ given: String?, _ fallback: String, _ ctx: CommandContext) -> URL? {
        let path = ctx.resolve(given ?? fallback)
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else { return nil }
        return URL(fileURLWithPath: path, isDirectory: true)
    }

    private static func parseFaults(_ value: String, _ ctx: CommandContext) throws -> FaultSwitches {
        let text = value.trimmingCharacters(in: .whitespaces).hasPrefix("{") ? value : try readText(value, ctx)
        do {
            return try JSONDecoder().decode(FaultSwitches.self, from: Data(text.utf8))
        } catch {
            throw CLIError.usage("--faults is not a JSON object of fault switches", help: "e.g. --faults '{\"errorRate\": 0.1}'")
        }
    }
}
