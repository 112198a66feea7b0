import MapDSL

/// A bucket's request window and hold as they persist between processes: what the platform still
/// counts when a process starts right after another one stopped (or was killed).
public struct LimiterWindowState: Sendable, Hashable {
    /// Times (seconds since 1970) of the answered requests a sliding window counts (each at the
    /// time its answer came), oldest first.
    public var times: [Double] = []
    /// Times of the requests a sliding window counts that are not answered yet (sent, or a slot
    /// reserved ahead for a request about to be sent), oldest first: they hold their slot until
    /// answered.
    public var pending: [Double] = []
    /// A fixed window's start and count.
    public var fixedStart = 0.0
    public var fixedCount = 0
    /// A token bucket's tokens and the time they were counted (nil: never refilled).
    public var tokens: Double?
    public var refilledAt: Double?
    /// Requests are held until this time (seconds since 1970): a `Retry-After` or a refusal.
    public var blockedUntil = 0.0

    /// Creates an empty state.
    public init() {}

    /// As stored.
    public var json: JSONValue {
        var pairs: [(String, JSONValue)] = [
            ("times", .array(times.map(JSONValue.double))), ("fixedStart", .double(fixedStart)), ("fixedCount", .int(fixedCount)),
            ("blockedUntil", .double(blockedUntil)),
        ]
        if !pending.isEmpty { pairs.append(("pending", .array(pending.map(JSONValue.double)))) }
        if let tokens { pairs.append(("tokens", .double(tokens))) }
        if let refilledAt { pairs.append(("refilledAt", .double(refilledAt))) }
        return .object(pairs)
    }

    /// Reads a stored state; nil when it is not one (a damaged row is forgotten, not fatal: the
    /// platform's own refusals still pace us).
    public init?(json: JSONValue) {
        guard case .object = json, let times = json["times"]?.arrayValue else { return nil }
        // A window never holds more requests than any platform's burst; a longer list is not ours.
        guard times.count <= 100_000 else { return nil }
        self.times = times.compactMap(\.doubleValue).filter(\.isFinite)
        let pending = json["pending"]?.arrayValue ?? []
        guard pending.count <= 100_000 else { return nil }
        self.pending = pending.compactMap(\.doubleValue).filter(\.isFinite).sorted()
        fixedStart = json["fixedStart"]?.doubleValue ?? 0
        fixedCount = max(0, json["fixedCount"]?.intValue ?? 0)
        tokens = json["tokens"]?.doubleValue
        refilledAt = json["refilledAt"]?.doubleValue
        blockedUntil = json["blockedUntil"]?.doubleValue ?? 0
        guard fixedStart.isFinite, blockedUntil.isFinite, tokens?.isFinite ?? true, refilledAt?.isFinite ?? true else { return nil }
    }
}

/// Where the rate limiter keeps its windows between processes (the event store does, beside the
/// daily quotas). Implementations are thread-safe; the limiter saves a bucket after each request it
/// counts and each answer, and loads it the first time the bucket is used.
public protocol LimiterStateStore: Sendable {
    /// The state stored for `key` (`<platform>/<bucket>`), or nil.
    func loadWindow(_ key: String) throws -> LimiterWindowState?
    /// Stores the state for `key`.
    func saveWindow(_ state: LimiterWindowState, for key: String) throws
}

/// A limiter state store that several processes use at the same time (the event store on
/// PostgreSQL): the limiter then decides every request, and records every answer, with the
/// bucket's stored window and daily usage locked against the other processes, so that N
/// processes together stay under one platform ceiling. Concurrency limits stay per process.
public protocol SharedLimiterStore: LimiterStateStore {
    /// Whether other processes may share the limits (false: the limiter keeps its windows in
    /// memory and only persists them, as for a SQLite store).
    var sharesLimits: Bool { get }
    /// Runs `body` on the stored window and daily usage of `key`, both locked against every other
    /// process until it returns; stores the window and usage it returns (nil: unchanged).
    func exclusively<R>(
        _ key: String, _ body: (LimiterWindowState?, QuotaUsage) throws -> (result: R, window: LimiterWindowState?, usage: QuotaUsage?)
    ) throws -> R
}
