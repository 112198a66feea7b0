import Foundation
import MapDSL
import SyncEngine

/// Webhook inbox figures for `/metrics`, supplied by whoever owns the inbox (`mapc serve`).
public struct InboxStats: Sendable, Hashable {
    /// Deliveries waiting to be processed, by source platform.
    public var depth: [String: Int]
    /// Age in seconds of the oldest waiting delivery, by source platform.
    public var oldestAge: [String: Double]

    /// Creates figures.
    public init(depth: [String: Int], oldestAge: [String: Double]) {
        self.depth = depth
        self.oldestAge = oldestAge
    }
}

/// Counters derived from the event log across every run: batch latencies, rate-limit answers and
/// waits, retries and alerts. Counters only grow because the log is append-only.
public struct EventTally: Sendable {
    /// Batch latency buckets, in seconds.
    public static let latencyBounds: [Double] = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300]

    /// Batch latency (from `batch_sending` or `reconcile` to `batch_acked`) per job.
    public var batchLatency: [String: Histogram] = [:]
    /// Rate-limit answers (HTTP 429 and the like) per platform.
    public var rateLimited: [String: Int] = [:]
    /// Seconds waited on rate limits per platform.
    public var rateLimitWait: [String: Double] = [:]
    /// Retried transient failures per job and platform.
    public var retries: [JobPlatform: Int] = [:]
    /// Alerts sent per job and condition.
    public var alerts: [JobCondition: Int] = [:]

    /// A (job, platform) key.
    public struct JobPlatform: Sendable, Hashable {
        public var job: String
        public var platform: String
    }

    /// A (job, condition) key.
    public struct JobCondition: Sendable, Hashable {
        public var job: String
        public var condition: String
    }

    /// Creates an empty tally.
    public init() {}

    /// The platform an event of a run concerns: the source while fetching, else the destination.
    static func platform(doing: String?, info: JSONValue) -> String {
        let side = doing?.hasPrefix("fetching") == true ? "source" : "destination"
        let qualified = info[side]?.stringValue ?? "unknown"
        return qualified.split(separator: ".").first.map(String.init) ?? qualified
    }

    /// Adds every event of interest from `store`.
    public static func collect(store: EventStore) throws -> EventTally {
        var runs: [Int: RunSummary] = [:]
        for latest in try store.latestRuns() {
            for r in try store.runs(job: latest.job) { runs[r.id] = r }
        }
        var tally = EventTally()
        for e in try store.events(types: ["rate_limited", "retry", "alert_sent"]) {
            guard let run = runs[e.run] else { continue }
            let platform = platform(doing: e.payload["while"]?.stringValue, info: run.info)
            switch e.type {
            case "rate_limited":
                tally.rateLimited[platform, default: 0] += 1
                tally.rateLimitWait[platform, default: 0] += e.payload["wait"]?.doubleValue ?? 0
            case "retry":
                tally.retries[JobPlatform(job: run.job, platform: platform), default: 0] += 1
            default:
                tally.alerts[JobCondition(job: run.job, condition: e.payload["condition"]?.stringValue ?? "unknown"), default: 0] += 1
            }
        }
        var sendingAt: [Int: Date] = [:]
        for e in try store.events(types: ["batch_sending", "reconcile", "batch_acked"], payloads: false) {
            guard let run = runs[e.run], let at = Timestamps.parse(e.at) else { continue }
            if e.type == "batch_acked" {
                if let start = sendingAt.removeValue(forKey: e.run) {
                    tally.batchLatency[run.job, default: Histogram(bounds: latencyBounds)].observe(max(0, at.timeIntervalSince(start)))
                }
            } else {
                sendingAt[e.run] = at
            }
        }
        return tally
    }
}

extension InboxStats {
    /// Depth and oldest age per source platform of the pending entries of `inbox` at `now`.
    public static func of(_ inbox: Inbox, now: Date) throws -> InboxStats {
        var depth: [String: Int] = [:]
        var age: [String: Double] = [:]
        for e in try inbox.entries(status: .pending) {
            depth[e.event.platform, default: 0] += 1
            if let at = Timestamps.parse(e.receivedAt) {
                age[e.event.platform] = max(age[e.event.platform] ?? 0, now.timeIntervalSince(at))
            }
        }
        return InboxStats(depth: depth, oldestAge: age)
    }
}
