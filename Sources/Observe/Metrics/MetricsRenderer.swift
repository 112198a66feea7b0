import Foundation
import SyncEngine

/// Requests counted against one limiter bucket's daily quota since midnight UTC.
public struct QuotaReading: Sendable, Hashable {
    /// The platform.
    public var platform: String
    /// The bucket (endpoint group) within the platform.
    public var bucket: String
    /// Requests counted today.
    public var used: Int

    /// Creates a reading.
    public init(platform: String, bucket: String, used: Int) {
        self.platform = platform
        self.bucket = bucket
        self.used = used
    }

    /// Readings from the stored usages (keys `<platform>/<bucket>`), counting hour slots since the
    /// last midnight UTC; ordered by key.
    public static func today(_ usages: [String: QuotaUsage], now: Date) -> [QuotaReading] {
        let first = QuotaUsage.slot(Date(timeIntervalSince1970: (now.timeIntervalSince1970 / 86_400).rounded(.down) * 86_400))
        return usages.keys.sorted().map { key in
            let parts = key.split(separator: "/", maxSplits: 1).map(String.init)
            return QuotaReading(
                platform: parts.first ?? key, bucket: parts.count > 1 ? parts[1] : "default", used: usages[key]!.used(since: first))
        }
    }
}

/// Builds the `/metrics` families from job snapshots, the event tally, today's quota use and the
/// webhook inbox. Pure: every input is handed in.
public enum MetricsRenderer {
    /// Every family, in a stable order.
    public static func families(
        snapshots: [JobSnapshot], tally: EventTally, quotas: [QuotaReading], inbox: InboxStats?
    ) -> [MetricFamily] {
        typealias L = MetricSample.Label
        var out: [MetricFamily] = []
        var byState: [JobPhase: Int] = [:]
        for s in snapshots where s.run != nil { byState[s.phase, default: 0] += 1 }
        out.append(
            MetricFamily(
                name: "mapc_jobs", help: "Jobs by the state of their latest run.", type: .gauge,
                samples: JobPhase.allCases.map { MetricSample(labels: [L("state", $0.rawValue)], value: Double(byState[$0] ?? 0)) }))
        out.append(
            MetricFamily(
                name: "mapc_job_state", help: "1 for the state of each job's latest run.", type: .gauge,
                samples: snapshots.filter { $0.run != nil }.map {
                    MetricSample(labels: [L("job", $0.job), L("state", $0.phase.rawValue)], value: 1)
                }))
        var records: [MetricSample] = []
        for s in snapshots {
            for (outcome, n) in s.counts.sorted(by: { $0.key < $1.key }) {
                records.append(MetricSample(labels: [L("job", s.job), L("outcome", outcome)], value: Double(n)))
            }
        }
        var totals: [MetricSample] = []
        for s in snapshots {
            for (outcome, n) in s.totals.sorted(by: { $0.key < $1.key }) {
                totals.append(MetricSample(labels: [L("job", s.job), L("outcome", outcome)], value: Double(n)))
            }
        }
        out.append(
            MetricFamily(
                name: "mapc_records", help: "Records of each job by their latest outcome (all runs).", type: .gauge, samples: totals))
        out.append(
            MetricFamily(
                name: "mapc_run_records", help: "Records of each job's latest run by outcome.", type: .gauge, samples: records))
        out.append(
            MetricFamily(
                name: "mapc_job_wedged", help: "1 when a running job made no progress for longer than its threshold.", type: .gauge,
                samples: snapshots.map { MetricSample(labels: [L("job", $0.job)], value: $0.wedge.wedged ? 1 : 0) }))
        out.append(
            MetricFamily(
                name: "mapc_job_idle_seconds", help: "Seconds since the last progress event of each running job.", type: .gauge,
                samples: snapshots.compactMap { s in s.wedge.idleSeconds.map { MetricSample(labels: [L("job", s.job)], value: $0) } }))
        out.append(
            MetricFamily(
                name: "mapc_job_wedged_threshold_seconds", help: "Each job's wedged threshold (wedgedAfterSeconds).", type: .gauge,
                samples: snapshots.map { MetricSample(labels: [L("job", $0.job)], value: $0.wedge.threshold) }))
        var unusual: [MetricSample] = []
        var current: [MetricSample] = []
        var baseline: [MetricSample] = []
        for s in snapshots {
            for c in s.normality?.comparisons ?? [] {
                let labels = [L("job", s.job), L("measure", c.measure.rawValue)]
                unusual.append(MetricSample(labels: labels, value: c.verdict == .unusual ? 1 : 0))
                if let v = c.value { current.append(MetricSample(labels: labels, value: v)) }
                if let b = c.baseline {
                    baseline.append(MetricSample(labels: labels + [L("quantile", "0.5")], value: b.median))
                    baseline.append(MetricSample(labels: labels + [L("quantile", "0.95")], value: b.p95))
                }
            }
        }
        out.append(
            MetricFamily(
                name: "mapc_job_unusual",
                help:
                    "1 when the latest run's measure is beyond the 95th percentile of the job's past runs (duration seconds, throughput records/s, reject rate).",
                type: .gauge, samples: unusual))
        out.append(
            MetricFamily(
                name: "mapc_job_run_measure", help: "The latest run's duration (s), throughput (records/s) and reject rate so far.",
                type: .gauge, samples: current))
        out.append(
            MetricFamily(
                name: "mapc_job_history_measure", help: "Median and 95th percentile of each measure over the job's past completed runs.",
                type: .gauge, samples: baseline))
        var latency: [MetricSample] = []
        for job in tally.batchLatency.keys.sorted() {
            latency += tally.batchLatency[job]!.samples(labels: [L("job", job)])
        }
        out.append(
            MetricFamily(
                name: "mapc_batch_latency_seconds", help: "Time from sending a batch to its acknowledgement, retries and waits included.",
                type: .histogram, samples: latency))
        out.append(
            MetricFamily(
                name: "mapc_rate_limited_total", help: "Rate-limit answers (HTTP 429 and equivalents) per platform.", type: .counter,
                samples: tally.rateLimited.keys.sorted().map {
                    MetricSample(labels: [L("platform", $0)], value: Double(tally.rateLimited[$0]!))
                }
            ))
        out.append(
            MetricFamily(
                name: "mapc_rate_limit_wait_seconds_total", help: "Seconds spent waiting on rate limits per platform.", type: .counter,
                samples: tally.rateLimitWait.keys.sorted().map {
                    MetricSample(labels: [L("platform", $0)], value: tally.rateLimitWait[$0]!)
                }))
        out.append(
            MetricFamily(
                name: "mapc_retries_total", help: "Transient failures retried, per job and platform.", type: .counter,
                samples: tally.retries.keys.sorted { ($0.job, $0.platform) < ($1.job, $1.platform) }.map {
                    MetricSample(labels: [L("job", $0.job), L("platform", $0.platform)], value: Double(tally.retries[$0]!))
                }))
        out.append(
            MetricFamily(
                name: "mapc_alerts_sent_total", help: "Alerts sent per job and condition.", type: .counter,
                samples: tally.alerts.keys.sorted { ($0.job, $0.condition) < ($1.job, $1.condition) }.map {
                    MetricSample(labels: [L("job", $0.job), L("condition", $0.condition)], value: Double(tally.alerts[$0]!))
                }))
        out.append(
            MetricFamily(
                name: "mapc_quota_used", help: "Requests counted against each platform bucket's daily quota today (UTC).", type: .gauge,
                samples: quotas.map { MetricSample(labels: [L("platform", $0.platform), L("bucket", $0.bucket)], value: Double($0.used)) }))
        if let inbox {
            out.append(
                MetricFamily(
                    name: "mapc_webhook_inbox_depth", help: "Webhook deliveries waiting to be processed.", type: .gauge,
                    samples: inbox.depth.keys.sorted().map { MetricSample(labels: [L("source", $0)], value: Double(inbox.depth[$0]!)) }))
            out.append(
                MetricFamily(
                    name: "mapc_webhook_inbox_oldest_age_seconds", help: "Age of the oldest waiting webhook delivery.", type: .gauge,
                    samples: inbox.oldestAge.keys.sorted().map { MetricSample(labels: [L("source", $0)], value: inbox.oldestAge[$0]!) }))
        }
        return out
    }

    /// Scrapes `observatory` and renders the exposition text.
    public static func scrape(_ observatory: Observatory, inbox: InboxStats? = nil) throws -> String {
        let snapshots = try observatory.snapshots(checkMappings: false)
        let tally = try EventTally.collect(store: observatory.store)
        let quotas = QuotaReading.today(try observatory.store.quotaUsages(), now: observatory.clock.now())
        return Exposition.render(families(snapshots: snapshots, tally: tally, quotas: quotas, inbox: inbox))
    }
}
