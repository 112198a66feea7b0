import Foundation
import MapcSupport

/// The state of a bucket after admitting a request, for rate-limit response headers.
struct LimitUsage: Sendable {
    var bucket: String
    var window: RequestWindow?
    var windowRemaining: Int?
    var dailyQuota: Int?
    var dailyUsed: Int
    var concurrencyLimit: Int?
}

/// Why a request was refused.
enum LimitRefusal: Error, Sendable {
    case window(usage: LimitUsage, retryAfterSeconds: Double)
    case daily(usage: LimitUsage, retryAfterSeconds: Double)
    case concurrency(usage: LimitUsage)

    var usage: LimitUsage {
        switch self {
        case .window(let usage, _), .daily(let usage, _), .concurrency(let usage): usage
        }
    }
}

/// Enforces a ``RateLimitTable``: sliding request windows, daily quotas and concurrency per bucket.
///
/// Time comes from the injected clock. Daily quotas count over the last 24 hours for every platform
/// (HubSpot really resets at midnight in the account's time zone; the sandbox approximates).
final class RateLimiter: Sendable {
    private struct Bucket {
        var recent: [Date] = []
        var day: [Date] = []
        var inFlight = 0
    }

    private let table: Locked<RateLimitTable>
    private let buckets = Locked<[String: Bucket]>([:])
    private let clock: @Sendable () -> Date

    init(table: RateLimitTable, clock: @escaping @Sendable () -> Date) {
        self.table = Locked(table)
        self.clock = clock
    }

    /// The current table.
    var limits: RateLimitTable { table.snapshot }

    /// Replaces the table (counters are kept).
    func replace(_ newTable: RateLimitTable) {
        table.withLock { $0 = newTable }
    }

    /// Forgets all counters.
    func reset() {
        buckets.withLock { $0 = [:] }
    }

    /// The endpoint limits for a request, if any.
    func endpoint(method: String, path: String) -> EndpointLimit? {
        table.snapshot.endpoint(method: method, path: path)
    }

    /// Admits or refuses one request. On success the caller must call ``finish(bucket:)`` when done.
    func admit(_ limit: EndpointLimit) -> Result<LimitUsage, LimitRefusal> {
        let now = clock()
        return buckets.withLock { all in
            Self.admit(limit, now: now, into: &all[limit.bucketName, default: Bucket()])
        }
    }

    /// The admission decision on one bucket, mutated in place (timestamps are kept oldest first).
    private static func admit(_ limit: EndpointLimit, now: Date, into bucket: inout Bucket)
        -> Result<LimitUsage, LimitRefusal>
    {
        if let window = limit.requests {
            dropExpired(&bucket.recent, now: now, lifetime: window.windowSeconds)
        }
        dropExpired(&bucket.day, now: now, lifetime: 86_400)
        var usage = LimitUsage(
            bucket: limit.bucketName, window: limit.requests,
            windowRemaining: limit.requests.map { max(0, $0.count - bucket.recent.count) },
            dailyQuota: limit.dailyQuota, dailyUsed: bucket.day.count, concurrencyLimit: limit.maxConcurrency)
        if let quota = limit.dailyQuota, bucket.day.count >= quota {
            let oldest = bucket.day.first ?? now
            return .failure(.daily(usage: usage, retryAfterSeconds: max(1, 86_400 - now.timeIntervalSince(oldest))))
        }
        if let window = limit.requests, bucket.recent.count >= window.count {
            let oldest = bucket.recent.first ?? now
            let wait = max(0.001, window.windowSeconds - now.timeIntervalSince(oldest))
            return .failure(.window(usage: usage, retryAfterSeconds: wait))
        }
        if let concurrency = limit.maxConcurrency, bucket.inFlight >= concurrency {
            return .failure(.concurrency(usage: usage))
        }
        if limit.requests != nil { bucket.recent.append(now) }
        if limit.dailyQuota != nil { bucket.day.append(now) }
        bucket.inFlight += 1
        usage.windowRemaining = limit.requests.map { max(0, $0.count - bucket.recent.count) }
        usage.dailyUsed = bucket.day.count
        return .success(usage)
    }

    /// Removes the leading timestamps older than `lifetime` seconds (cheap when none expired).
    private static func dropExpired(_ times: inout [Date], now: Date, lifetime: Double) {
        guard let keep = times.firstIndex(where: { now.timeIntervalSince($0) < lifetime }) else {
            times.removeAll()
            return
        }
        if keep > 0 { times.removeFirst(keep) }
    }

    /// Marks an admitted request as finished (frees its concurrency slot).
    func finish(bucket name: String) {
        buckets.withLock { all in
            all[name]?.inFlight -= 1
        }
    }
}
