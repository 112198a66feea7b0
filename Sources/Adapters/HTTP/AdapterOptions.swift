import Foundation
import SyncEngine

/// Knobs shared by every adapter: where limits come from, time, retries, caching, logging.
public struct AdapterOptions: Sendable {
    /// Folder holding `<platform>.json` rate-limit files (normally `ratelimits/`).
    public var rateLimitsDirectory: String?
    /// Limits to use instead of the file (tests shrink limits this way).
    public var registry: RateLimitRegistry?
    /// A limiter to share (several adapters of one account); built from the registry when nil.
    public var limiter: RateLimiter?
    /// Where daily-quota counters persist; in memory when nil.
    public var quotaStore: (any QuotaStore)?
    /// Where request windows and holds persist between processes; in memory when nil.
    public var windowStore: (any LimiterStateStore)?
    /// Folder holding `<platform>/errors.json` (normally `platforms/`): which per-record errors
    /// are transient. Without it no per-record rejection counts as transient.
    public var platformsDirectory: String?
    /// Time source for the limiter and for retry backoff.
    public var clock: any LimiterClock
    /// Limiter tuning (margin, longest wait, wait after a bare 429).
    public var limiterConfiguration: LimiterConfiguration
    /// Per-request timeout in seconds.
    public var timeout: Double
    /// Retries of one request after a transient failure or a rate-limit refusal.
    public var maxRetries: Int
    /// First retry delay after a transient failure, doubled per attempt (capped at 10 s).
    public var retryBaseDelay: Double
    /// Entries kept by the lookup cache of `find`.
    public var lookupCacheSize: Int
    /// Receives one line per notable event (retries, waits); never sees secrets.
    public var log: (@Sendable (String) -> Void)?
    /// The run's waits (backoff, Retry-After, pacing, polling): announced and cut short by a
    /// cancel when a runner is attached; plain sleeps when nil.
    public var waits: WaitWatch?

    /// Defaults: no registry (no pacing), system clock, 30 s timeout, 3 retries, 1,000 cached lookups.
    public init(
        rateLimitsDirectory: String? = nil, registry: RateLimitRegistry? = nil, limiter: RateLimiter? = nil,
        quotaStore: (any QuotaStore)? = nil, windowStore: (any LimiterStateStore)? = nil, platformsDirectory: String? = nil,
        clock: any LimiterClock = SystemLimiterClock(),
        limiterConfiguration: LimiterConfiguration = LimiterConfiguration(), timeout: Double = 30, maxRetries: Int = 3,
        retryBaseDelay: Double = 0.25, lookupCacheSize: Int = 1000, log: (@Sendable (String) -> Void)? = nil
    ) {
        self.rateLimitsDirectory = rateLimitsDirectory
        self.registry = registry
        self.limiter = limiter
        self.quotaStore = quotaStore
        self.windowStore = windowStore
        self.platformsDirectory = platformsDirectory
        self.clock = clock
        self.limiterConfiguration = limiterConfiguration
        self.timeout = timeout
        self.maxRetries = maxRetries
        self.retryBaseDelay = retryBaseDelay
        self.lookupCacheSize = lookupCacheSize
        self.log = log
    }

    /// The limiter for `platform`: the given one, or one over the registry (given, or read from the directory).
    func makeLimiter(platform: String) throws(AdapterError) -> RateLimiter {
        if let limiter { return limiter }
        var registry = self.registry
        if registry == nil, let directory = rateLimitsDirectory {
            do {
                registry = try RateLimitRegistry.load(platform: platform, directory: directory)
            } catch {
                throw .fatal(error.description)
            }
        }
        // A request not answered within the timeout is given up and counted answered; only a
        // process killed meanwhile leaves one unanswered, and the window holds it this long.
        var configuration = limiterConfiguration
        configuration.inFlightLimit = max(configuration.inFlightLimit, timeout)
        return RateLimiter(
            registry: registry ?? .unlimited(platform: platform), clock: clock, quotaStore: quotaStore,
            windowStore: windowStore, configuration: configuration, waits: waits)
    }

    /// The per-record errors of `platform` that are transient, from `platforms/<platform>/errors.json`
    /// (none without a folder or a file).
    func transientErrors(platform: String) throws(AdapterError) -> TransientErrors {
        guard let directory = platformsDirectory else { return TransientErrors(platform: platform, rules: []) }
        do {
            return try TransientErrors.load(platform: platform, directory: directory)
        } catch {
            throw .fatal(error.description)
        }
    }
}
