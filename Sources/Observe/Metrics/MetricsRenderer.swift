import Foundation
import SyncEngine

/// Requests counted against one limiter bucket's daily quota, and the quota itself.
public struct QuotaReading: Sendable, Hashable {
    /// The platform.
    public var platform: String
    /// The bucket (endpoint group) within the platform.
    public var bucket: String
    /// Requests counted in the current quota day.
    public var used: Int
    /// The daily quota of the bucket in the rate-limit registry, when it has one.
    public var limit: Int?

    /// Creates a reading.
    public init(platform: String, bucket: String, used: Int, limit: Int? = nil) {
        self.platform = platform
        self.bucket = bucket
        self.used = used
        self.limit = limit
    }

    /// Requests left today (never below zero), when the quota is known.
    public var remaining: Int? { limit.map { max(0, $0 - used) } }

    /// Readings from the stored usages (keys `<platform>/<bucket>`), counting the hour slots of the
    /// quota day: since midnight UTC, or the last 24 hours for a platform whose quota rolls
    /// (`rolling-24h` in its registry); ordered by key. `limits` gives each bucket's quota and reset.
    public static func today(_ usages: [String: QuotaUsage], now: Date, limits: QuotaLimits? = nil) -> [QuotaReading] {
        let midnight = QuotaUsage.slot(Date(timeIntervalSince1970: (now.timeIntervalSince1970 / 86_400).rounded(.down) * 86_400))
        let rolling = QuotaUsage.slot(now) - 24
        return usages.keys.sorted().map { key in
            let parts = key.split(separator: "/", maxSplits: 1).map(String.init)
            let platform = parts.first ?? key
            let bucket = parts.count > 1 ? parts[1] : "default"
            let quota = limits?.quota(platform: platform, bucket: bucket)
            let first = quota?.reset == .rolling ? rolling : midnight
            return QuotaReading(platform: platform, bucket: bucket, used: usages[key]!.used(since: first), limit: quota?.daily)
        }
    }
}

/// Builds the `/metrics` families from job snapshots, the event tally, today's quota use and the
/// webhook inbox. Pure: every input is handed in. One unit per family: seconds, records per second,
/// ratios and counts each have their own.
public enum MetricsRenderer {
    /// Every family, in a stable order (families without samples keep their `HELP` and `TYPE`).
    public static func families(
        snapshots: [JobSnapshot], tally: EventTally, quotas: [QuotaReading], inbox: InboxStats?
    ) -> [MetricFamily] {
        typealias L = MetricSample.Label
        var out: [MetricFamily] = []
        func family(_ name: String, _ type: MetricType, _ help: String, _ samples: [MetricSample]) {
            out.append(MetricFamily(name: name, help: help, type: type, samples: samples))
        }
        func perJob(_ value: (JobSnapshot) -> Double?) -> [MetricSample] {
            snapshots.compactMap { s in value(s).map { MetricSample(labels: [L("job", s.job)], value: $0) } }
        }
        var byState: [JobPhase: Int] = [:]
        for s in snapshots where s.run != nil { byState[s.phase, default: 0] += 1 }
        family(
            "mapc_jobs", .gauge, "Jobs by the state of their latest run.",
            JobPhase.allCases.map { MetricSample(labels: [L("state", $0.rawValue)], value: Double(byState[$0] ?? 0)) })
        family(
            "mapc_job_state", .gauge, "1 for the state of each job's latest run.",
            snapshots.filter { $0.run != nil }.map { MetricSample(labels: [L("job", $0.job), L("state", $0.phase.rawValue)], value: 1) })
        family(
            "mapc_job_last_success_timestamp_seconds", .gauge, "When each job's latest sync run completed (Unix time).",
            perJob { s in s.lastSuccess.flatMap { Timestamps.parse($0.at) }?.timeIntervalSince1970 })
        family(
            "mapc_records_total", .counter,
            "Record outcomes per job since the store began: created, updated, duplicate, rejected, skipped, unchanged.",
            tally.records.keys.sorted().map {
                MetricSample(labels: [L("job", $0.job), L("outcome", $0.label)], value: Double(tally.records[$0]!))
            })
        family(
            "mapc_records", .gauge, "Records of each job by their latest outcome (all runs).",
            snapshots.flatMap { s in
                s.totals.sorted { $0.key < $1.key }.map {
                    MetricSample(labels: [L("job", s.job), L("outcome", $0.key)], value: Double($0.value))
                }
            })
        family(
            "mapc_run_records", .gauge, "Records whose latest outcome came from each job's latest run, by outcome.",
            snapshots.flatMap { s in
                s.counts.sorted { $0.key < $1.key }.map {
                    MetricSample(labels: [L("job", s.job), L("outcome", $0.key)], value: Double($0.value))
                }
            })
        family(
            "mapc_job_wedged", .gauge, "1 when a running job made no progress for longer than its threshold.",
            perJob { $0.wedge.wedged ? 1 : 0 })
        family(
            "mapc_job_idle_seconds", .gauge, "Seconds since the last progress event of each running job.", perJob { $0.wedge.idleSeconds })
        family(
            "mapc_job_wedged_threshold_seconds", .gauge, "Each job's wedged threshold (wedgedAfterSeconds).", perJob { $0.wedge.threshold })
        family(
            "mapc_job_unusual", .gauge, "1 when the latest run's measure is beyond its history's 95th percentile in the bad direction.",
            snapshots.flatMap { s in
                (s.normality?.comparisons ?? []).map {
                    MetricSample(labels: [L("job", s.job), L("measure", $0.measure.rawValue)], value: $0.verdict == .unusual ? 1 : 0)
                }
            })
        for measure in Measure.allCases {
            let unit = MeasureUnit(measure)
            family(
                "mapc_job_run_\(unit.suffix)", .gauge, "The latest run's \(unit.what) so far.",
                perJob { $0.normality?.comparison(measure)?.value })
            family(
                "mapc_job_history_\(unit.suffix)", .gauge,
                "Median (quantile 0.5) and 95th percentile (0.95) of the \(unit.what) of the job's past completed runs.",
                snapshots.flatMap { s -> [MetricSample] in
                    guard let b = s.normality?.comparison(measure)?.baseline else { return [] }
                    return [
                        MetricSample(labels: [L("job", s.job), L("quantile", "0.5")], value: b.median),
                        MetricSample(labels: [L("job", s.job), L("quantile", "0.95")], value: b.p95),
                    ]
                })
        }
        family(
            "mapc_batch_latency_seconds", .histogram, "Time from sending a batch to its acknowledgement, retries and waits included.",
            tally.batchLatency.keys.sorted().flatMap { tally.batchLatency[$0]!.samples(labels: [L("job", $0)]) })
        family(
            "mapc_rate_limited_total", .counter, "Rate-limit answers (HTTP 429 and equivalents) per platform.",
            tally.rateLimited.keys.sorted().map { MetricSample(labels: [L("platform", $0)], value: Double(tally.rateLimited[$0]!)) })
        family(
            "mapc_rate_limit_wait_seconds_total", .counter, "Seconds spent waiting on rate limits per platform.",
            tally.rateLimitWait.keys.sorted().map { MetricSample(labels: [L("platform", $0)], value: tally.rateLimitWait[$0]!) })
        family(
            "mapc_retries_total", .counter, "Transient failures retried, per job and platform.",
            tally.retries.keys.sorted().map {
                MetricSample(labels: [L("job", $0.job), L("platform", $0.label)], value: Double(tally.retries[$0]!))
            })
        family(
            "mapc_alerts_sent_total", .counter, "Alerts sent per job and condition.",
            tally.alerts.keys.sorted().map {
                MetricSample(labels: [L("job", $0.job), L("condition", $0.label)], value: Double(tally.alerts[$0]!))
            })
        func quota(_ value: (QuotaReading) -> Int?) -> [MetricSample] {
            quotas.compactMap { q in
                value(q).map { MetricSample(labels: [L("platform", q.platform), L("bucket", q.bucket)], value: Double($0)) }
            }
        }
        family(
            "mapc_quota_used", .gauge, "Requests counted against each platform bucket's daily quota in the current quota day.",
            quota { $0.used })
        family("mapc_quota_limit", .gauge, "Each platform bucket's daily quota (from the rate-limit registry).", quota { $0.limit })
        family("mapc_quota_remaining", .gauge, "Requests left in each platform bucket's daily quota.", quota { $0.remaining })
        if let inbox {
            family(
                "mapc_webhook_inbox_depth", .gauge, "Webhook deliveries waiting to be processed.",
                inbox.depth.keys.sorted().map { MetricSample(labels: [L("source", $0)], value: Double(inbox.depth[$0]!)) })
            family(
                "mapc_webhook_inbox_oldest_age_seconds", .gauge, "Age of the oldest waiting webhook delivery.",
                inbox.oldestAge.keys.sorted().map { MetricSample(labels: [L("source", $0)], value: inbox.oldestAge[$0]!) })
            family(
                "mapc_webhook_quarantine_dropped_total", .counter,
                "Unauthenticated refused webhook deliveries dropped from the quarantine (oldest first) to stay within its bound.",
                [MetricSample(labels: [], value: Double(inbox.quarantineDropped))])
        }
        return out
    }

    /// Scrapes `observatory` and renders the exposition text.
    public static func scrape(_ observatory: Observatory, inbox: InboxStats? = nil) throws -> String {
        let snapshots = try observatory.snapshots(checkMappings: false)
        let (counters, usages) = try observatory.store.read { (try $0.counters(), try $0.quotaUsages()) }
        let quotas = QuotaReading.today(usages, now: observatory.clock.now(), limits: observatory.quotaLimits)
        return Exposition.render(families(snapshots: snapshots, tally: EventTally(counters: counters), quotas: quotas, inbox: inbox))
    }
}

/// The unit a ``Measure`` is exposed in: its family-name suffix and words for the help text.
struct MeasureUnit {
    var suffix: String
    var what: String

    init(_ measure: Measure) {
        switch measure {
        case .duration: (suffix, what) = ("duration_seconds", "active duration in seconds (paused time excluded)")
        case .throughput: (suffix, what) = ("throughput_records_per_second", "throughput in records per active second")
        case .rejectRate: (suffix, what) = ("reject_ratio", "rejected records per processed record (0 to 1)")
        }
    }
}
