import Foundation
import MapDSL
import SyncEngine

/// Reads the event store's console projections and the project (job files, `mappings.lock`) into
/// ``JobSnapshot``s. Shared by the dashboard, `/metrics`, the alert monitor and `mapc status`; pure
/// reads, thread-safe.
///
/// Every figure comes from a projection the store keeps up to date as it writes (see the store's
/// `console_*` tables): a snapshot of a job reads a handful of rows whatever the size of its history.
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
    /// Daily quotas from the rate-limit registry.
    public let quotaLimits: QuotaLimits
    private let specs: JobSpecCache

    /// Creates an observatory over `store` for the project at `root`. The rate-limit registry is
    /// `root/ratelimits` unless `rateLimitsDirectory` names another folder (or nil: none).
    public init(
        store: EventStore, root: String, jobsDirectory: String? = nil, schemasDirectory: String? = nil,
        clock: WallClock = SystemWallClock(), historyLimit: Int = 50, rateLimitsDirectory: String?? = .none
    ) {
        self.store = store
        self.root = root
        self.jobsDirectory = jobsDirectory ?? root + "/jobs"
        self.schemasDirectory = schemasDirectory ?? root + "/schemas"
        self.clock = clock
        self.historyLimit = historyLimit
        specs = JobSpecCache(directory: self.jobsDirectory)
        quotaLimits = QuotaLimits(directory: rateLimitsDirectory ?? root + "/ratelimits")
    }

    /// The job files in the jobs folder, by job name (files that do not parse are left out); read
    /// again only when a file's size or modification time changed.
    public func jobSpecs() -> [String: JobSpec] {
        specs.current()
    }

    /// Snapshots of every job that has a job file or a run, by name.
    public func snapshots(checkMappings: Bool = true) throws -> [JobSnapshot] {
        let specs = jobSpecs()
        let now = clock.now()
        let (rows, successes) = try store.read { reader in
            let latest = try reader.latestRuns()
            var names = Set(specs.keys)
            for r in latest { names.insert(r.job) }
            let byJob = Dictionary(latest.map { ($0.job, $0) }, uniquingKeysWith: { a, _ in a })
            let successes = Dictionary(try reader.lastSuccesses().map { ($0.job, $0) }, uniquingKeysWith: { a, _ in a })
            return (try names.sorted().map { try self.facts(job: $0, run: byJob[$0], reader) }, successes)
        }
        return rows.map { snapshot($0, spec: specs[$0.job], lastSuccess: successes[$0.job], now: now, checkMapping: checkMappings) }
    }

    /// The snapshot of one job.
    public func snapshot(job: String, checkMapping: Bool = true) throws -> JobSnapshot {
        let now = clock.now()
        let (facts, success) = try store.read { reader in
            (
                try self.facts(job: job, run: try reader.latestRun(job: job), reader),
                try reader.lastSuccesses().first { $0.job == job }
            )
        }
        return snapshot(facts, spec: jobSpecs()[job], lastSuccess: success, now: now, checkMapping: checkMapping)
    }

    /// What the store says about a job's latest run, read in one snapshot.
    struct Facts {
        var job: String
        var run: RunSummary?
        var stats: RunStats?
        var counts: [String: Int]
        var totals: [String: Int]
        var history: [RunMeasure]
    }

    func facts(job: String, run: RunSummary?, _ reader: StoreReader) throws -> Facts {
        let totals = try reader.recordTotals(job: job)
        guard let run else { return Facts(job: job, run: nil, stats: nil, counts: [:], totals: totals, history: []) }
        let stats = try reader.runStats(run: run.id)
        let kind = stats?.kind ?? run.info["kind"]?.stringValue ?? "sync"
        let history = try reader.runHistory(job: job, kind: kind, phase: "completed", before: run.id, limit: historyLimit)
            .reversed().compactMap(RunMeasurer.completed)
        return Facts(
            job: job, run: run, stats: stats, counts: try reader.recordCounts(job: job, run: run.id), totals: totals, history: history)
    }

    func snapshot(_ f: Facts, spec: JobSpec?, lastSuccess: JobSuccess?, now: Date, checkMapping: Bool) -> JobSnapshot {
        let threshold = WedgeDetector.threshold(spec)
        let mappingPath = spec?.mapping ?? f.run?.info["mapping"]?.stringValue
        let mapping =
            checkMapping
            ? mappingPath.map {
                MappingStatus.check(
                    mappingPath: $0, root: root, schemasDirectory: schemasDirectory, runVersion: f.run?.info["mappingVersion"]?.stringValue)
            } : nil
        guard let run = f.run else {
            return JobSnapshot(
                job: f.job, spec: spec, run: nil, counts: [:], measure: nil, history: [], progress: nil, normality: nil,
                wedge: .idle(threshold: threshold), mapping: mapping, totals: f.totals, lastSuccess: lastSuccess)
        }
        let measure = RunMeasurer.measure(run: run, stats: f.stats, counts: f.counts, now: now)
        let running = run.state.phase.isRunning
        let lastProgress = f.stats?.lastProgressAt ?? run.startedAt
        let wedge = WedgeDetector.judge(
            phase: run.state.phase, lastProgress: Timestamps.parse(lastProgress), seq: f.stats?.lastProgressSeq ?? 1, now: now,
            threshold: threshold)
        return JobSnapshot(
            job: f.job, spec: spec, run: run, counts: f.counts, measure: measure, history: f.history,
            progress: RunProgress.of(measure, history: f.history, running: running),
            normality: NormalityJudge.judge(current: measure, history: f.history, running: running), wedge: wedge, mapping: mapping,
            totals: f.totals, lastSuccess: lastSuccess, stats: f.stats)
    }
}

/// Job files by name, parsed again only when the folder's listing or a file's size or modification
/// time changes (a scrape every few seconds should not parse every job file).
final class JobSpecCache: @unchecked Sendable {
    private let directory: String
    private let lock = NSLock()
    private var stamps: [String: String] = [:]
    private var specs: [String: JobSpec] = [:]

    init(directory: String) { self.directory = directory }

    func current() -> [String: JobSpec] {
        let fm = FileManager.default
        let files = ((try? fm.contentsOfDirectory(atPath: directory)) ?? []).filter { $0.hasSuffix(".json") }.sorted()
        var now: [String: String] = [:]
        for f in files {
            let attributes = try? fm.attributesOfItem(atPath: directory + "/" + f)
            let size = (attributes?[.size] as? NSNumber)?.int64Value ?? -1
            let modified = (attributes?[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0
            now[f] = "\(size)@\(modified)"
        }
        return lock.withLock {
            if now != stamps {
                var out: [String: JobSpec] = [:]
                for f in files {
                    if let spec = try? JobSpec.load(path: directory + "/" + f), out[spec.name] == nil { out[spec.name] = spec }
                }
                specs = out
                stamps = now
            }
            return specs
        }
    }
}
