import Foundation
import HTTPServer

/// A running emulator of one platform's HTTP API on a local port.
///
/// ```swift
/// var options = SandboxOptions.project(root: URL(fileURLWithPath: "."))
/// let hubspot = try SandboxServer.start(platform: .hubspot, options: options)
/// defer { hubspot.stop() }
/// // point the HubSpot adapter at hubspot.baseURL with token hubspot.credential
/// ```
///
/// Besides the platform's own endpoints every emulator serves a control API for tests and demos
/// (no auth, never subject to faults or limits):
///
/// | request | effect |
/// |---|---|
/// | `GET /_sandbox/health` | `{"platform", "status":"ok"}` |
/// | `GET /_sandbox/records?object=X[&key=F[&value=V]]` | records of object X; with `key`, `duplicates` maps each value of field F held by more than one record to its count, and `value` filters to records whose F equals V (case-insensitive) |
/// | `GET /_sandbox/requests` / `DELETE /_sandbox/requests` | the request log / clear it |
/// | `GET /_sandbox/faults` / `POST /_sandbox/faults` / `DELETE /_sandbox/faults` | read / patch (JSON with any ``FaultSwitches`` keys) / clear faults |
/// | `GET /_sandbox/limits` | the enforced ``RateLimitTable`` |
/// | `POST /_sandbox/reset` | reseed records, clear log, counters and faults (back to the start options) |
public final class SandboxServer: Sendable {
    /// The emulated platform.
    public let platform: SandboxPlatform
    /// `http://host:port`; API paths are appended to it (see ``SandboxPlatform/apiPathPrefix``).
    public let baseURL: URL
    /// The credential the emulator accepts (token, API key, write key or api secret).
    public let credential: String

    private let server: HTTPServer
    let emulator: any Emulator
    private let limiter: RateLimiter
    private let faults: FaultInjector
    private let log: RequestLog

    private init(
        platform: SandboxPlatform, server: HTTPServer, credential: String, emulator: any Emulator,
        limiter: RateLimiter, faults: FaultInjector, log: RequestLog
    ) {
        self.platform = platform
        self.server = server
        self.baseURL = server.baseURL
        self.credential = credential
        self.emulator = emulator
        self.limiter = limiter
        self.faults = faults
        self.log = log
    }

    /// Loads schemas, samples and limits for `platform` and starts serving.
    ///
    /// - Throws: ``SandboxError`` for unreadable files, `HTTPServerError` when the address cannot be bound.
    public static func start(platform: SandboxPlatform, options: SandboxOptions = SandboxOptions()) throws
        -> SandboxServer
    {
        let credential = options.credential ?? platform.defaultCredential
        let context = EmulatorContext(
            platform: platform, options: options, credential: credential,
            schemas: try ObjectSchema.loadAll(platform: platform.rawValue, from: options.schemasDirectory),
            samples: try SampleLoader.load(platform: platform.rawValue, from: options.samplesDirectory),
            clock: options.clock)
        let table: RateLimitTable
        if let given = options.rateLimits {
            table = given
        } else if let directory = options.rateLimitsDirectory {
            table = try RateLimitTable.load(platform: platform.rawValue, from: directory)
        } else {
            table = RateLimitTable(platform: platform.rawValue, endpoints: [])
        }
        let limiter = RateLimiter(table: table, clock: options.clock)
        let emulator = makeEmulator(context, limiter: limiter)
        var routes = Router()
        emulator.register(on: &routes)
        let faults = FaultInjector(switches: options.faults, seed: options.seed)
        let log = RequestLog()
        let pipeline = SandboxPipeline(
            emulator: emulator, routes: routes, limiter: limiter, faults: faults, log: log, clock: options.clock,
            maxInflatedBodyBytes: options.maxInflatedBodyBytes)

        var router = Router()
        emulator.registerControl(on: &router)
        ControlRoutes(
            platform: platform.rawValue, store: emulator.store, limiter: limiter, faults: faults, log: log,
            reset: { emulator.didReset() }
        ).register(on: &router)
        router.fallback { request in pipeline.handle(request) }

        let server = try HTTPServer.start(
            configuration: HTTPServerConfiguration(
                host: options.host, port: options.port, maxBodyBytes: options.maxBodyBytes),
            router: router)
        return SandboxServer(
            platform: platform, server: server, credential: credential, emulator: emulator, limiter: limiter,
            faults: faults, log: log)
    }

    private static func makeEmulator(_ context: EmulatorContext, limiter: RateLimiter) -> any Emulator {
        switch context.platform {
        case .hubspot: HubSpotEmulator(context, limiter: limiter)
        case .salesforce: SalesforceEmulator(context, limiter: limiter)
        case .mailchimp: MailchimpEmulator(context, limiter: limiter)
        case .segment: SegmentEmulator(context, limiter: limiter)
        case .ga4: GA4Emulator(context, limiter: limiter)
        }
    }

    /// Stops serving: interrupts hanging requests, waits for in-flight ones, closes the port. Idempotent.
    public func stop() {
        faults.interruptAll()
        server.stop()
    }

    /// The fault switches in force now.
    public var currentFaults: FaultSwitches {
        faults.switches
    }

    /// Replaces the fault switches (same as `POST /_sandbox/faults` with a full object).
    public func setFaults(_ switches: FaultSwitches) {
        faults.set(switches)
    }

    /// Requests seen so far (oldest first, bounded).
    public var requestLog: [RequestLogEntry] {
        log.all
    }

    /// Number of records the emulator holds for `object` (e.g. `contact`, `Lead`, `member`, `track`).
    public func recordCount(object: String) -> Int {
        emulator.store.all(object).count
    }

    /// Reseeds records and clears the log, limit counters and faults (same as `POST /_sandbox/reset`).
    public func reset() {
        ControlRoutes.reset(store: emulator.store, limiter: limiter, faults: faults, log: log)
        emulator.didReset()
    }
}

/// Starting several emulators at once.
public enum Sandbox {
    /// Starts one emulator per platform, each on its own port; stops those already started if one fails.
    ///
    /// With `options.port` 0 every emulator gets a free port; otherwise the platforms get consecutive
    /// ports from `options.port` in the order given (hubspot, salesforce, mailchimp, segment, ga4 by default).
    public static func startAll(
        _ platforms: [SandboxPlatform] = SandboxPlatform.allCases,
        options: SandboxOptions = SandboxOptions()
    ) throws -> [SandboxPlatform: SandboxServer] {
        var started: [SandboxPlatform: SandboxServer] = [:]
        do {
            for (index, platform) in platforms.enumerated() {
                var platformOptions = options
                if options.port != 0 {
                    platformOptions.port = options.port + UInt16(index)
                }
                started[platform] = try SandboxServer.start(platform: platform, options: platformOptions)
            }
        } catch {
            for server in started.values {
                server.stop()
            }
            throw error
        }
        return started
    }
}
