import Foundation
import MapDSL
import SyncEngine

/// The conditions that raise an alert.
public enum AlertCondition: String, Sendable, Hashable, CaseIterable {
    case paused, failed, wedged, rejectRate = "reject-rate"
}

/// One alert to send: which job and run, what happened, and the key that makes it unique within the
/// run (so it is never sent twice).
public struct Alert: Sendable, Hashable {
    /// The job.
    public var job: String
    /// The run.
    public var run: Int
    /// The condition.
    public var condition: AlertCondition
    /// Unique per condition occurrence within the run: `paused@12` (the pause's state event),
    /// `wedged@40` (the last progress event before the silence), `reject-rate` (once per run).
    public var key: String
    /// A one-line human summary.
    public var summary: String
    /// The run's state description.
    public var state: String
    /// Record counts of the run so far.
    public var counts: [String: Int]

    /// Creates an alert.
    public init(job: String, run: Int, condition: AlertCondition, key: String, summary: String, state: String, counts: [String: Int]) {
        self.job = job
        self.run = run
        self.condition = condition
        self.key = key
        self.summary = summary
        self.state = state
        self.counts = counts
    }

    /// The JSON payload sent to hooks (nothing secret: names, counts, states and the run's reason).
    public var json: JSONValue {
        .object([
            ("job", .string(job)), ("run", .int(run)), ("condition", .string(condition.rawValue)), ("key", .string(key)),
            ("summary", .string(summary)), ("state", .string(state)),
            ("counts", .object(counts.sorted { $0.key < $1.key }.map { ($0.key, .int($0.value)) })),
        ])
    }
}

/// Decides which alerts a job snapshot calls for. Pure: the caller passes the keys already sent for
/// the run (from its `alert_sent` events) and does the sending.
public enum AlertPolicy {
    /// The alerts `snapshot` calls for under `config`, minus those whose key is in `sent`.
    /// `stopSeq` is the sequence number of the state event that paused or failed the run.
    public static func decide(snapshot: JobSnapshot, config: AlertConfig, stopSeq: Int?, sent: Set<String>) -> [Alert] {
        guard config.hasHook, let run = snapshot.run else { return [] }
        var out: [Alert] = []
        func add(_ condition: AlertCondition, _ key: String, _ summary: String) {
            guard config.conditions.contains(condition), !sent.contains(key) else { return }
            out.append(
                Alert(
                    job: snapshot.job, run: run.id, condition: condition, key: key, summary: summary, state: run.state.description,
                    counts: snapshot.counts))
        }
        switch run.state.phase {
        case .paused:
            add(.paused, "paused@\(stopSeq ?? 0)", "\(snapshot.job) paused: \(run.state.reason ?? "no reason recorded")")
        case .failed:
            add(.failed, "failed@\(stopSeq ?? 0)", "\(snapshot.job) failed: \(run.state.reason ?? "no reason recorded")")
        case .created, .fetching, .mapping, .validating, .uploading, .completed, .cancelled:
            break
        }
        if snapshot.wedge.wedged {
            let idle = snapshot.wedge.idleSeconds.map(Timestamps.duration) ?? "?"
            add(
                .wedged, "wedged@\(snapshot.wedge.lastProgressSeq ?? 0)",
                "\(snapshot.job) is wedged: no progress for \(idle) (threshold \(Timestamps.duration(snapshot.wedge.threshold))) while \(run.state.description)"
            )
        }
        if let limit = config.rejectRate, let m = snapshot.measure, m.records >= max(1, config.minimumRecords), let rate = m.rejectRate,
            rate > limit
        {
            add(
                .rejectRate, "reject-rate",
                "\(snapshot.job) rejects \(String(format: "%.1f", rate * 100))% of records (\(m.rejected) of \(m.records)), above \(String(format: "%.1f", limit * 100))%"
            )
        }
        return out
    }
}
