import Foundation
import MapDSL
import SyncEngine

/// Webhook inbox figures for `/metrics`, supplied by whoever owns the inbox (`mapc serve`).
public struct InboxStats: Sendable, Hashable {
    /// Deliveries waiting to be processed, by source platform.
    public var depth: [String: Int]
    /// Age in seconds of the oldest waiting delivery, by source platform.
    public var oldestAge: [String: Double]
    /// Unauthenticated refused deliveries dropped from the quarantine since the server started.
    public var quarantineDropped: Int

    /// Creates figures.
    public init(depth: [String: Int], oldestAge: [String: Double], quarantineDropped: Int = 0) {
        self.depth = depth
        self.oldestAge = oldestAge
        self.quarantineDropped = quarantineDropped
    }
}

/// The monotonic counters of the store's console projection, by metric: record outcomes, batch
/// latencies, rate-limit answers and waits, retries and alerts. They only grow because they are
/// folded from the append-only event log as it is written.
public struct EventTally: Sendable {
    /// Batch latency buckets, in seconds.
    public static var latencyBounds: [Double] { EventStore.latencyBounds }

    /// Record outcomes (created, updated, duplicate, rejected, skipped, unchanged) per job.
    public var records: [JobLabel: Int] = [:]
    /// Batch latency (from `batch_sending` or `reconcile` to `batch_acked`) per job.
    public var batchLatency: [String: Histogram] = [:]
    /// Rate-limit answers (HTTP 429 and the like) per platform.
    public var rateLimited: [String: Int] = [:]
    /// Seconds waited on rate limits per platform.
    public var rateLimitWait: [String: Double] = [:]
    /// Retried transient failures per job and platform.
    public var retries: [JobLabel: Int] = [:]
    /// Alerts sent per job and condition.
    public var alerts: [JobLabel: Int] = [:]

    /// A (job, label) key: the label is an outcome, a platform or a condition.
    public struct JobLabel: Sendable, Hashable, Comparable {
        /// The job.
        public var job: String
        /// The other label's value.
        public var label: String

        /// Creates a key.
        public init(job: String, label: String) {
            self.job = job
            self.label = label
        }

        public static func < (a: JobLabel, b: JobLabel) -> Bool { (a.job, a.label) < (b.job, b.label) }
    }

    /// Creates an empty tally.
    public init() {}

    /// The tally of the store's counters.
    public init(counters: [ConsoleCounter]) {
        var buckets: [String: [Int: Int]] = [:]
        var sums: [String: Double] = [:]
        var counts: [String: Int] = [:]
        for c in counters {
            let key = JobLabel(job: c.job, label: c.label)
            switch c.family {
            case "records": records[key, default: 0] += Int(c.value)
            case "rate_limited": rateLimited[c.label, default: 0] += Int(c.value)
            case "rate_limit_wait": rateLimitWait[c.label, default: 0] += c.value
            case "retries": retries[key, default: 0] += Int(c.value)
            case "alerts": alerts[key, default: 0] += Int(c.value)
            case "batch_latency_bucket": if let i = Int(c.label) { buckets[c.job, default: [:]][i, default: 0] += Int(c.value) }
            case "batch_latency_ms_sum": sums[c.job, default: 0] += c.value / 1000
            case "batch_latency_count": counts[c.job, default: 0] += Int(c.value)
            default: break
            }
        }
        for job in Set(buckets.keys).union(counts.keys) {
            let per = buckets[job] ?? [:]
            batchLatency[job] = Histogram(
                bounds: Self.latencyBounds, bucketCounts: Self.latencyBounds.indices.map { per[$0] ?? 0 },
                overflow: per[Self.latencyBounds.count] ?? 0, sum: sums[job] ?? 0)
        }
    }

    /// Reads the counters of `store`.
    public static func collect(store: EventStore) throws -> EventTally {
        EventTally(counters: try store.read { try $0.counters() })
    }
}

extension InboxStats {
    /// Depth and oldest age per source platform of the pending entries of `inbox` at `now` (one
    /// aggregate query, whatever the backlog).
    public static func of(_ inbox: Inbox, now: Date) throws -> InboxStats {
        var depth: [String: Int] = [:]
        var age: [String: Double] = [:]
        for p in try inbox.pendingByPlatform() {
            depth[p.platform] = p.count
            if let at = Timestamps.parse(p.oldestReceivedAt) { age[p.platform] = max(0, now.timeIntervalSince(at)) }
        }
        return InboxStats(depth: depth, oldestAge: age, quarantineDropped: inbox.droppedUnauthenticated)
    }
}
