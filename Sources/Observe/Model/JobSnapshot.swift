import Foundation
import MapDSL
import SyncEngine

/// Progress of a run: records processed, rate, and an ETA from the job's history.
public struct RunProgress: Sendable, Hashable {
    /// Records processed so far in the run.
    public var processed: Int
    /// Records the run is expected to process (median of past completed runs), when known.
    public var expected: Int?
    /// Records per second of active time.
    public var rate: Double?
    /// Seconds left at the current rate, when the expected total is known and the run is running.
    public var eta: Double?

    /// Fraction done (0…1) when the expected total is known; never 1 before the run completes.
    public var fraction: Double? {
        guard let expected, expected > 0 else { return nil }
        return min(0.99, Double(processed) / Double(expected))
    }

    /// Computes progress for a run with `measure`, given the job's history.
    public static func of(_ measure: RunMeasure, history: [RunMeasure], running: Bool) -> RunProgress {
        let expected = Quantile.median(history.map { Double($0.records) }).map { Int($0.rounded()) }
        let rate = measure.throughput
        var eta: Double?
        if running, let expected, let rate, rate > 0 {
            eta = Double(max(0, expected - measure.records)) / rate
        }
        return RunProgress(processed: measure.records, expected: expected, rate: rate, eta: eta)
    }
}

/// Everything known about one job at one instant: its file, latest run, counts, progress, health and
/// mapping approval. Built by ``Observatory``; rendered by the dashboard, metrics and `mapc status`.
public struct JobSnapshot: Sendable {
    /// The job's name.
    public var job: String
    /// Its job file, when found in the jobs folder.
    public var spec: JobSpec?
    /// Its latest run.
    public var run: RunSummary?
    /// Record counts by outcome of the latest run.
    public var counts: [String: Int]
    /// The latest run's measure so far.
    public var measure: RunMeasure?
    /// Past completed runs of the same kind, oldest first.
    public var history: [RunMeasure]
    /// Progress and ETA.
    public var progress: RunProgress?
    /// "Is this normal?"
    public var normality: Normality?
    /// Wedged detection.
    public var wedge: WedgeVerdict
    /// Mapping version and approval.
    public var mapping: MappingStatus?
    /// Latest outcome of every record the job ever touched, by outcome (the record projection).
    public var totals: [String: Int]
    /// The job's latest completed sync run (freshness), if any.
    public var lastSuccess: JobSuccess?
    /// The latest run's projection (active time, last progress event), when it wrote anything yet.
    public var stats: RunStats?

    /// Rejected records of the job (any run): the failed list.
    public var rejectedTotal: Int { totals["rejected"] ?? 0 }

    /// Creates a snapshot (``Observatory`` builds them; tests may too).
    public init(
        job: String, spec: JobSpec?, run: RunSummary?, counts: [String: Int], measure: RunMeasure?, history: [RunMeasure],
        progress: RunProgress?, normality: Normality?, wedge: WedgeVerdict, mapping: MappingStatus?, totals: [String: Int],
        lastSuccess: JobSuccess? = nil, stats: RunStats? = nil
    ) {
        self.job = job
        self.spec = spec
        self.run = run
        self.counts = counts
        self.measure = measure
        self.history = history
        self.progress = progress
        self.normality = normality
        self.wedge = wedge
        self.mapping = mapping
        self.totals = totals
        self.lastSuccess = lastSuccess
        self.stats = stats
    }

    /// The latest run's phase (`created` for a job that never ran).
    public var phase: JobPhase { run?.state.phase ?? .created }

    /// A one-word health label: `wedged`, `unusual`, `paused`, `failed`, or `ok`.
    public var health: String {
        if wedge.wedged { return "wedged" }
        switch phase {
        case .paused: return "paused"
        case .failed: return "failed"
        case .created, .fetching, .mapping, .validating, .uploading, .completed, .cancelled: break
        }
        return normality?.isUnusual == true ? "unusual" : "ok"
    }
}
