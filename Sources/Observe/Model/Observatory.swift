import Foundation
import MapDSL
import SyncEngine

/// Reads the event store and the project (job files, `mappings.lock`) into ``JobSnapshot``s. Shared
/// by the dashboard, `/metrics`, the alert monitor and `mapc status`; pure reads, thread-safe.
public final class Observatory: Sendable {
    /// The event store.
    public let store: EventStore
    /// The project root (holds `mappings.lock`).
    public let root: String
    /// The folder of job files.
    public let jobsDirectory: String
    /// The folder of platform schemas.
    public let schemasDirectory: String
    /// The clock.
    public let clock: WallClock
    /// How many past completed runs "is this normal?" looks at.
    public let historyLimit: Int

    /// Creates an observatory over `store` for the project at `root`.
    public init(
        store: EventStore, root: String, jobsDirectory: String? = nil, schemasDirectory: String? = nil,
        clock: WallClock = SystemWallClock(), historyLimit: Int = 50
    ) {
        self.store = store
        self.root = root
        self.jobsDirectory = jobsDirectory ?? root + "/jobs"
        self.schemasDirectory = schemasDirectory ?? root + "/schemas"
        self.clock = clock
        self.historyLimit = historyLimit
    }

    /// The job files in the jobs folder, by job name (files that do not parse are left out).
    public func jobSpecs() -> [String: JobSpec] {
        let files = ((try? FileManager.default.contentsOfDirectory(atPath: jobsDirectory)) ?? []).filter { $0.hasSuffix(".json") }.sorted()
        var out: [String: JobSpec] = [:]
        for f in files {
            if let spec = try? JobSpec.load(path: jobsDirectory + "/" + f), out[spec.name] == nil { out[spec.name] = spec }
        }
        return out
    }

    /// Snapshots of every job that has a job file or a run, by name.
    public func snapshots(checkMappings: Bool = true) throws -> [JobSnapshot] {
        let specs = jobSpecs()
        let latest = try store.latestRuns()
        var names = Set(specs.keys)
        for r in latest { names.insert(r.job) }
        let byJob = Dictionary(latest.map { ($0.job, $0) }, uniquingKeysWith: { a, _ in a })
        return try names.sorted().map { try snapshot(job: $0, spec: specs[$0], run: byJob[$0], checkMapping: checkMappings) }
    }

    /// The snapshot of one job.
    public func snapshot(job: String, checkMapping: Bool = true) throws -> JobSnapshot {
        try snapshot(job: job, spec: jobSpecs()[job], run: try store.latestRun(job: job), checkMapping: checkMapping)
    }

    func snapshot(job: String, spec: JobSpec?, run: RunSummary?, checkMapping: Bool) throws -> JobSnapshot {
        let now = clock.now()
        let threshold = WedgeDetector.threshold(spec)
        let mappingPath = spec?.mapping ?? run?.info["mapping"]?.stringValue
        let mapping =
            checkMapping
            ? mappingPath.map {
                MappingStatus.check(
                    mappingPath: $0, root: root, schemasDirectory: schemasDirectory, runVersion: run?.info["mappingVersion"]?.stringValue)
            } : nil
        let totals = try store.statusCounts(job: job)
        guard let run else {
            return JobSnapshot(
                job: job, spec: spec, run: nil, counts: [:], measure: nil, history: [], progress: nil, normality: nil,
                wedge: .idle(threshold: threshold), mapping: mapping, totals: totals)
        }
        let counts = try store.statusCounts(job: job, run: run.id)
        let kind = run.info["kind"]?.stringValue ?? "sync"
        let history = try self.history(job: job, kind: kind, before: run.id)
        let states = try store.events(types: ["state"], run: run.id)
        let measure: RunMeasure
        if run.state.phase == .completed, let done = try store.lastEvent(run: run.id, types: ["run_completed"]) {
            measure = RunMeasurer.completed(run: run.id, stateEvents: states, startedAt: run.startedAt, completion: done)
        } else {
            measure = RunMeasurer.partial(run: run.id, stateEvents: states, startedAt: run.startedAt, counts: counts, now: now)
        }
        let running = run.state.phase.isRunning
        let last = try store.lastEvent(run: run.id, types: WedgeDetector.progressEvents)
        let wedge = WedgeDetector.judge(
            phase: run.state.phase, lastProgress: last.flatMap { Timestamps.parse($0.at) }, seq: last?.seq, now: now,
            threshold: threshold)
        return JobSnapshot(
            job: job, spec: spec, run: run, counts: counts, measure: measure, history: history,
            progress: RunProgress.of(measure, history: history, running: running),
            normality: NormalityJudge.judge(current: measure, history: history, running: running), wedge: wedge, mapping: mapping,
            totals: totals)
    }

    /// Measures of the job's completed runs of `kind` before run `before`, oldest first (at most
    /// ``historyLimit``).
    public func history(job: String, kind: String, before: Int) throws -> [RunMeasure] {
        let past = try store.runs(job: job).filter {
            $0.id < before && $0.state.phase == .completed && ($0.info["kind"]?.stringValue ?? "sync") == kind
        }
        return try past.suffix(historyLimit).compactMap { r in
            let events = try store.events(types: ["state", "run_completed"], run: r.id)
            guard let done = events.last(where: { $0.type == "run_completed" }) else { return nil }
            return RunMeasurer.completed(
                run: r.id, stateEvents: events.filter { $0.type == "state" }, startedAt: r.startedAt, completion: done)
        }
    }
}

extension Observatory {
    /// Event types the timeline reads with their payloads; `batch_sending` is read without (it holds
    /// every record of the batch).
    public static let timelineTypes = [
        "run_started", "state", "page_fetched", "batch_acked", "checkpoint", "retry", "rate_limited", "reconcile", "resumed",
        "record_fixed", "cancel_requested", "operator_action", "alert_sent", "alert_failed", "run_completed", "records",
    ]

    /// The newest `limit` events of `run`, newest first.
    public func timeline(run: Int, limit: Int = 300) throws -> [StoredEvent] {
        let events =
            try store.events(types: Self.timelineTypes, run: run) + store.events(types: ["batch_sending"], run: run, payloads: false)
        return Array(events.sorted { $0.seq > $1.seq }.prefix(limit))
    }
}
