import AdapterSpec
import Foundation
import HTTPServer

/// A running emulator generated from an adapter spec, on a local port: the same pipeline as the
/// built-in emulators (faults, content coding, auth, rate limits from `ratelimits/<platform>.json`,
/// payload limits, request log) and the same `/_sandbox/*` control API.
public final class SpecSandboxServer: Sendable {
    /// The platform the spec describes.
    public let platform: String
    /// `http://host:port`; the spec's paths are appended to it.
    public let baseURL: URL
    /// The credential the emulator accepts (token, API key, password or OAuth2 client secret).
    public let credential: String
    /// The values of the spec's connection parameters (`MAPC_<PLATFORM>_<NAME>`).
    public let parameters: [String: String]

    private let server: HTTPServer
    private let emulator: SpecEmulator
    private let limiter: RateLimiter
    private let faults: FaultInjector
    private let log: RequestLog

    private init(
        platform: String, server: HTTPServer, credential: String, emulator: SpecEmulator, limiter: RateLimiter,
        faults: FaultInjector, log: RequestLog
    ) {
        self.platform = platform
        self.server = server
        self.baseURL = server.baseURL
        self.credential = credential
        self.parameters = emulator.parameters
        self.emulator = emulator
        self.limiter = limiter
        self.faults = faults
        self.log = log
    }

    /// The credential a spec emulator accepts when none is set.
    public static func defaultCredential(platform: String) -> String { "sandbox-\(platform)-key" }

    /// Starts the emulator for `spec` with schemas, samples, rules and limits from `options`.
    ///
    /// - Throws: ``SandboxError`` for unreadable files, `HTTPServerError` when the address cannot be bound.
    public static func start(spec: AdapterSpec, options: SandboxOptions = SandboxOptions()) throws -> SpecSandboxServer {
        let credential = options.credential ?? defaultCredential(platform: spec.platform)
        let table: RateLimitTable
        if let given = options.rateLimits {
            table = given
        } else if let directory = options.rateLimitsDirectory,
            FileManager.default.fileExists(atPath: directory.appendingPathComponent("\(spec.platform).json").path)
        {
            table = try RateLimitTable.load(platform: spec.platform, from: directory)
        } else {
            table = RateLimitTable(platform: spec.platform, endpoints: [])
        }
        let limiter = RateLimiter(table: table, clock: options.clock)
        let emulator = try SpecEmulator(spec: spec, options: options, credential: credential, limits: table)
        var routes = Router()
        emulator.register(on: &routes)
        let faults = FaultInjector(switches: options.faults, seed: options.seed)
        let log = RequestLog()
        let pipeline = SandboxPipeline(
            emulator: emulator, routes: routes, limiter: limiter, faults: faults, log: log, clock: options.clock,
            maxInflatedBodyBytes: options.maxInflatedBodyBytes)
        var router = Router()
        ControlRoutes(
            platform: spec.platform, store: emulator.store, limiter: limiter, faults: faults, log: log, reset: {}
        ).register(on: &router)
        router.fallback { request in pipeline.handle(request) }
        let server = try HTTPServer.start(
            configuration: HTTPServerConfiguration(host: options.host, port: options.port, maxBodyBytes: options.maxBodyBytes),
            router: router)
        emulator.baseURL.withLock {
            $0 =
                server.baseURL.absoluteString.hasSuffix("/")
                ? String(server.baseURL.absoluteString.dropLast()) : server.baseURL.absoluteString
        }
        return SpecSandboxServer(
            platform: spec.platform, server: server, credential: credential, emulator: emulator, limiter: limiter, faults: faults,
            log: log)
    }

    /// Stops serving. Idempotent.
    public func stop() {
        faults.interruptAll()
        server.stop()
    }

    /// Replaces the fault switches.
    public func setFaults(_ switches: FaultSwitches) { faults.set(switches) }

    /// Requests seen so far (oldest first, bounded).
    public var requestLog: [RequestLogEntry] { log.all }

    /// Number of records the emulator holds for `object`.
    public func recordCount(object: String) -> Int { emulator.store.all(object).count }

    /// Records of `object` whose `field` holds `value` (case-insensitive).
    public func count(object: String, field: String, value: String) -> Int {
        emulator.store.all(object).filter { $0[field: field]?.textValue?.lowercased() == value.lowercased() }.count
    }

    /// Forgets every OAuth2 access token issued, as an expiry would: the next request with one gets a 401.
    public func expireTokens() { emulator.tokens.withLock { $0.removeAll() } }

    /// Reseeds records and clears the log, limit counters and faults.
    public func reset() {
        ControlRoutes.reset(store: emulator.store, limiter: limiter, faults: faults, log: log)
    }
}
