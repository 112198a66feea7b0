import Foundation
import MapDSL

/// Why a run stopped early, with the state it stopped in.
public struct SyncStopped: Error, Sendable, CustomStringConvertible {
    /// The run.
    public var run: Int
    /// The state it is now in (paused or failed or cancelled).
    public var state: JobState
    public var description: String { state.description }
}

/// Runs one sync job: fetch → map → validate → upload, with every transition and record outcome an
/// event, checkpoints once everything read up to a page is acknowledged, and reconciliation of
/// batches sent but not acknowledged when the run resumes.
///
/// The runner's concerns live in extensions: reading pages (`SyncRunner+Pages`), batches and their
/// answers (`SyncRunner+Batches`), the event log and retries (`SyncRunner+Log`); decisions are plain
/// values and functions (``BatchBuffer``, ``CheckpointQueue``, ``WatermarkTracker``, ``ReadPlan``,
/// ``RecordDecision``, ``RecordRetry``, ``LeaseVerdict``).
public final class SyncRunner {
    let job: JobSpec
    let mapping: CompiledMapping
    let version: String
    let source: PlatformAdapter
    let destination: PlatformAdapter
    let store: EventStore
    let clock: SyncClock
    let options: SyncOptions
    var crashCounts: [String: Int] = [:]
    var counts = SyncCounts()
    var run = 0
    var state = JobState.initial
    var batchNumber = 0
    var startedAt = 0.0
    var total: Int?
    /// Whether every record is sent even when unchanged: the run's own option, restored on resume.
    var full: Bool
    /// Maps records on the runner's thread.
    let preparer: RecordPreparer
    /// Maps pages read ahead, on the reading thread (nil: pages are mapped by the runner).
    let aheadPreparer: RecordPreparer?
    /// The answers to the mapping's lookups (shared by both preparers), nil without lookups.
    let lookups: LookupAnswers?
    /// The next pages, read (and mapped) while this one is processed; set up when a run starts.
    var readAhead: ReadAhead?
    /// Batches written on another thread while the runner goes on, oldest first.
    var inFlight: [InFlight] = []
    let writeQueue = DispatchQueue(label: "mapc.sync.write")
    /// Whether batches may travel while the runner goes on.
    let pipelines: Bool
    /// Whether every page's records must be written before the next page is mapped (the mapping
    /// looks records up in the object the job writes).
    let flushEachPage: Bool
    /// Records waiting to fill a batch, across pages.
    var buffer: BatchBuffer
    /// Page checkpoints waiting for the answers to their records.
    var checkpoints = CheckpointQueue()
    /// The run's high-water mark so far.
    var marks = WatermarkTracker()
    /// Only records modified at or after this instant are read (an incremental run), or all.
    var modifiedSince: String?
    /// The run's start (UTC, milliseconds since 1970): caps the mark of a read out of modification order.
    var startedAtMillis: Int64 = 0
    /// Keeps the run's lease alive while this process runs it.
    var lease: LeaseKeeper?
    /// Transitions and events not yet in the store; every store write of the run commits them
    /// first, and they are written before any request that changes the destination.
    var unwritten = StoreBatch()
    /// Writes made and not yet handed to the writer, in order, each with its time: they are
    /// committed together (in one transaction, each as if committed alone) with the next write
    /// that must be durable, so a page costs one commit.
    var staged: [(batch: StoreBatch, at: String)] = []
    /// Commits the run's writes in order on another thread.
    let writer = StoreWriter()
    /// Source ids of records whose outcome may not be committed yet (since the last ``sync()``).
    var unsettled = Set<String>()
    /// Records sent with outstanding operator fixes, by source id: a successful write records
    /// `fix_applied` for them.
    var fixesSent: [String: FixUse] = [:]
    /// `,"mappingVersion":"<version>"` for `sent` record events.
    let versionField: [UInt8]
    /// The run's write path: the destination's bulk API when the run writes through it, or the
    /// choice still to make (see `SyncRunner+Bulk`).
    var writePath = WritePathState()

    /// Creates a runner for `job` with its compiled, approved `mapping` whose canonical hash is `version`.
    public init(
        job: JobSpec, mapping: CompiledMapping, version: String, source: PlatformAdapter, destination: PlatformAdapter,
        store: EventStore, lookupSchemas: [String: Schema] = [:], clock: SyncClock = SystemClock(), options: SyncOptions = SyncOptions()
    ) {
        self.job = job
        self.mapping = mapping
        self.version = version
        self.source = source
        self.destination = destination
        self.store = store
        self.clock = clock
        self.options = options
        self.full = options.full
        // Lookups into the object being written must see every batch before: no overlap then (and
        // none when the lookups' objects are not known), neither of uploads nor of mapping ahead.
        let looksAtDestination =
            mapping.usesLookups && (lookupSchemas.isEmpty || lookupSchemas.keys.contains(job.destination.qualifiedName))
        let answers =
            mapping.usesLookups
            ? LookupAnswers(
                schemas: lookupSchemas,
                policy: LookupCachePolicy(
                    store: lookupSchemas.isEmpty ? nil : store, job: job.name, ttl: Double(job.lookupTTL),
                    missTTL: Double(job.lookupMissTTL), volatile: [job.destination.qualifiedName]),
                now: { [clock] in clock.now() }) : nil
        func lookups() -> AdapterLookup? {
            answers.map { AdapterLookup(adapters: [destination, source], answers: $0) }
        }
        self.lookups = answers
        self.preparer = RecordPreparer(mapping: mapping, job: job.name, lookups: lookups())
        self.flushEachPage = looksAtDestination
        self.pipelines = options.pipelineUploads && !looksAtDestination
        self.aheadPreparer =
            options.readAhead && options.mapAhead && !looksAtDestination
            ? RecordPreparer(mapping: mapping, job: job.name, lookups: lookups()) : nil
        let limits = destination.limits(object: job.destination.object, mode: job.mode)
        self.buffer = BatchBuffer(
            maxRecords: max(1, min(job.batchSize ?? limits.maxBatchRecords, limits.maxBatchRecords)), maxBytes: limits.maxPayloadBytes)
        var field: [UInt8] = []
        JSONWriter.appendRaw(",\"mappingVersion\":", to: &field)
        JSONWriter.appendString(version, to: &field)
        self.versionField = field
    }

    var storeRef: EventStore { store }
    var jobRef: JobSpec { job }
    var versionRef: String { version }
    var actorRef: Principal { options.actor }

    var keyField: String {
        mapping.keyIndex.map { mapping.outputFields[$0].name } ?? "messageId"
    }

    var batchSize: Int { buffer.maxRecords }

    // MARK: Entry points

    /// Starts a new run; returns its final summary or throws ``SyncStopped`` when it paused or failed.
    ///
    /// A run of the job left running by a process that is gone (killed, crashed) is accounted for
    /// first: its unanswered batches are sent again and recorded, and it is closed with the reason.
    /// A run whose process is still alive is refused.
    @discardableResult
    public func start() throws -> RunSummary {
        try releasingLeaseOnError { try startRun() }
    }

    /// Runs an entry point; a failure that is not a stop the run recorded (a store failure, say)
    /// gives the lease up, so the next process does not take this one for the run's holder.
    func releasingLeaseOnError<T>(_ body: () throws -> T) rethrows -> T {
        do {
            return try body()
        } catch {
            if !(error is SyncStopped) { releaseLease() }
            throw error
        }
    }

    private func startRun() throws -> RunSummary {
        // A job file's mistakes stop the run before it exists.
        _ = try job.bulkSettings()
        try closeAbandonedRuns()
        try resolveActiveRuns()
        let plan = ReadPlan.decide(
            mark: try store.watermark(job: job.name), full: full, mappingVersion: version,
            source: job.source.qualifiedName, overlapSeconds: job.overlapSeconds)
        modifiedSince = plan.modifiedSince
        var info: [(String, JSONValue)] = [
            ("kind", "sync"), ("job", .string(job.name)), ("mapping", .string(job.mapping)), ("mappingVersion", .string(version)),
            ("source", .string(job.source.qualifiedName)), ("destination", .string(job.destination.qualifiedName)),
            ("mode", .string(job.mode.rawValue)), ("full", .bool(full)), options.actor.byMember, options.actor.identityMember,
            ("batchSize", .int(batchSize)),
        ]
        if let since = modifiedSince { info.append(("modifiedSince", .string(since))) }
        try beginRun(info: .object(info))
        // A record that made the mapper die in an earlier run is a dead letter before this one reads.
        let quarantined = try quarantineCrashedRecords(run: run, at: clock.timestamp())
        counts.fetched += quarantined
        counts.rejected += quarantined
        try keepPoisonedUnmapped()
        switch plan {
        case .full(let reason):
            unwritten.event("read_plan", .object([("read", "full"), ("reason", .string(reason))]), at: clock.timestamp())
        case .incremental(let since, let mark):
            unwritten.event(
                "read_plan",
                .object([
                    ("read", "incremental"), ("modifiedSince", .string(since)), ("mark", mark.json),
                    ("overlapSeconds", .int(job.overlapSeconds)),
                ]), at: clock.timestamp())
        }
        countSource()
        try chooseWritePath()
        return try proceed(cursor: nil, page: 0, pending: [])
    }

    /// Creates the run, takes its lease and notes when it started.
    func beginRun(info: JSONValue) throws {
        run = try store.createRun(job: job.name, info: info, at: clock.timestamp())
        startedAt = clock.now()
        startedAtMillis = Dates.parseISODateTime(Substring(clock.timestamp())) ?? 0
        armCrashGuard()
        try takeLease()
        try loadFixes()
    }

    /// One active run per job: a paused run is cancelled (as an event) when the options say
    /// `supersede`, else the new run is refused with the run and the commands that resolve it.
    /// (Runs left running by a process that is gone were closed before; a live one refused.)
    func resolveActiveRuns() throws {
        var seen = Set<Int>()
        while let active = try Operations.activeRun(store: store, job: job.name), seen.insert(active.id).inserted {
            guard options.supersede else { throw ActiveRunError(job: job.name, run: active.id, state: active.state) }
            let after = try Operations.cancel(
                store: store, job: job.name, by: options.actor, at: clock.timestamp(), leaseTimeout: options.leaseTimeout, superseded: true)
            guard after.phase == .cancelled else {
                throw JobError(
                    "run \(active.id) of \(job.name) is still running; it was asked to stop: start the new run once it has (see 'mapc status \(job.name)')"
                )
            }
        }
    }

    /// Resumes the latest run of the job where its events say it stopped.
    @discardableResult
    public func resume() throws -> RunSummary {
        try releasingLeaseOnError { try resumeRun() }
    }

    private func resumeRun() throws -> RunSummary {
        _ = try job.bulkSettings()
        // The run still going or paused (one per job), else the latest (which then says why not).
        guard let latest = try Operations.openRun(store: store, job: job.name) ?? store.latestRun(job: job.name) else {
            throw JobError("job \(job.name) has never run; start it with mapc sync")
        }
        run = latest.id
        state = try store.replayState(run: run)
        if state.phase.isTerminal {
            throw JobError(
                "the latest run of \(job.name) is \(state.phase.rawValue); there is nothing to resume (start a new run with mapc sync)")
        }
        if latest.info["mappingVersion"]?.stringValue != version {
            throw JobError(
                "the mapping changed since run \(run) started (approved version \(version.prefix(12)) vs \(latest.info["mappingVersion"]?.stringValue?.prefix(12) ?? "?")); cancel the run and start a new one"
            )
        }
        var holder: String?
        if state.phase.isRunning {
            switch try judgeLease(run: run) {
            case .alive(let why):
                throw JobError("run \(run) of \(job.name) is still running: \(why); wait for it, or 'mapc cancel \(job.name)'")
            case .orphaned(let why): holder = why
            }
        }
        // The resumed run reads, and sends, what it set out to: its options are in its first event.
        modifiedSince = latest.info["modifiedSince"]?.stringValue
        full = latest.info["full"]?.boolValue ?? false
        startedAt = clock.now()
        startedAtMillis = Dates.parseISODateTime(Substring(latest.startedAt)) ?? Dates.parseISODateTime(Substring(clock.timestamp())) ?? 0
        try recountSource()
        let (cursor, page, pending, done) = try whereToGoOn()
        if state.phase.isRunning {
            // The process ended while running (crash, kill): say so in the log before going on.
            try move(
                JobState(.paused, page: state.page, batch: state.batch, reason: interruption(pending, holder: holder) + "; resumed"))
        }
        try takeLease()
        _ = try quarantineCrashedRecords(run: run, at: clock.timestamp())
        try keepPoisonedUnmapped()
        try record("resumed", .object(options.actor.fields))
        counts = try countsFromStore()
        try restoreWritePath()
        try loadFixes()
        if latest.info["kind"]?.stringValue == "retry" {
            return try resumeRetry(pending: pending)
        }
        if done {
            try move(JobState(.fetching, page: page, batch: batchNumber))
            try finish()
            return try summary()
        }
        return try proceed(cursor: cursor, page: page, pending: pending)
    }

    /// Where the run stopped, from its events: the cursor and page of its last checkpoint, the
    /// batches sent and never acknowledged, and whether the last checkpoint was the last page.
    func whereToGoOn() throws -> (cursor: String?, page: Int, pending: [StoredEvent], done: Bool) {
        let events = try store.events(run: run)
        var cursor: String?
        var page = 0
        var acked = Set<Int>()
        var sending: [Int: StoredEvent] = [:]
        var done = false
        for e in events {
            switch e.type {
            case "checkpoint":
                cursor = e.payload["next"]?.stringValue
                page = e.payload["page"]?.intValue ?? page
                done = e.payload["done"]?.boolValue == true
            case "batch_sending": sending[e.payload["batch"]?.intValue ?? 0] = e
            case "batch_acked": acked.insert(e.payload["batch"]?.intValue ?? 0)
            case "state": batchNumber = max(batchNumber, e.payload["batch"]?.intValue ?? 0)
            default: break
            }
        }
        let pending = sending.filter { !acked.contains($0.key) }.sorted { $0.key < $1.key }.map(\.value)
        return (cursor, page, pending, done)
    }

    /// `interrupted while uploading batch 4 with batch 4 sent and not acknowledged (process 12 on h has ended …)`.
    func interruption(_ pending: [StoredEvent], holder: String?) -> String {
        var reason = "interrupted while \(state.description)"
        let unanswered = pending.compactMap { $0.payload["batch"]?.intValue }
        if unanswered.count > 1 {
            reason += " with batches \(unanswered.map(String.init).joined(separator: ", ")) sent and not acknowledged"
        } else if let batch = unanswered.first {
            reason += " with batch \(batch) sent and not acknowledged"
        }
        if let holder { reason += " (\(holder))" }
        return reason
    }

    func countsFromStore() throws -> SyncCounts {
        let byStatus = try store.statusCounts(job: job.name, run: run)
        var c = SyncCounts()
        c.created = byStatus["created"] ?? 0
        c.updated = byStatus["updated"] ?? 0
        c.duplicate = byStatus["duplicate"] ?? 0
        c.rejected = byStatus["rejected"] ?? 0
        c.skipped = byStatus["skipped"] ?? 0
        c.unchanged = byStatus["unchanged"] ?? 0
        c.fetched = byStatus.values.reduce(0, +)
        c.batches = batchNumber
        return c
    }

    func summary() throws -> RunSummary {
        try sync()
        guard let s = try store.run(run) else { throw StoreError("run \(run) vanished") }
        return s
    }

    func finish() throws {
        try finishInFlight()
        try move(JobState(.completed, page: state.page, batch: batchNumber))
        try record("run_completed", .object([("counts", counts.json)]))
        try sync()
        releaseLease()
        report()
    }

    /// Records this run quarantined for killing the mapper are never mapped again in it: a page
    /// read again (after a resume) or mapped ahead leaves them alone.
    func keepPoisonedUnmapped() throws {
        let poisoned = Set(
            try store.records(job: job.name, status: "rejected")
                .filter { $0.run == run && $0.errorCode == RecordErrorCode.mapperCrashed.rawValue }.map(\.key))
        guard !poisoned.isEmpty else { return }
        preparer.poisoned = poisoned
        aheadPreparer?.poisoned = poisoned
    }

    // MARK: Runs left behind

    /// Accounts for every run of the job still in a running state whose process is gone: its
    /// unanswered batches are sent again (reconciled) and recorded, then it is closed as cancelled
    /// with the reason. Refuses when such a run's process is alive.
    func closeAbandonedRuns() throws {
        for r in try store.runs(job: job.name) {
            if r.state.phase.isRunning {
                switch try judgeLease(run: r.id) {
                case .alive(let why):
                    throw JobError("run \(r.id) of \(job.name) is still running: \(why); wait for it, or 'mapc cancel \(job.name)'")
                case .orphaned(let why):
                    try closeAbandoned(r, why: why)
                }
            } else if r.state.phase == .paused,
                let last = try store.lastEvent(run: r.id, types: ["run_closing", "resumed", "run_abandoned"]), last.type == "run_closing"
            {
                // A close that a kill interrupted: finished now.
                try closeAbandoned(r, why: last.payload["why"]?.stringValue ?? "its process was gone")
            }
        }
    }

    private func closeAbandoned(_ abandoned: RunSummary, why: String) throws {
        run = abandoned.id
        state = try store.replayState(run: run)
        guard state.phase.isRunning || state.phase == .paused else { return }
        let (_, _, pending, _) = try whereToGoOn()
        if state.phase.isRunning {
            try move(JobState(.paused, page: state.page, batch: state.batch, reason: interruption(pending, holder: why)))
        }
        // Durable before anything is sent again: a kill from here on leaves a close the next run finishes.
        try record("run_closing", .object([("why", .string(why))]))
        counts = try countsFromStore()
        for batch in pending { try reconcile(batch) }
        try move(
            JobState(
                .cancelled, page: state.page, batch: state.batch,
                reason:
                    "abandoned: its process was gone (\(why)); closed when a new run started (mapc resume continues an interrupted run instead)"
            ))
        try record("run_abandoned", .object([("why", .string(why)), ("reconciled", .int(pending.count))]))
        try sync()
        try store.releaseLease(run: run)
        // The new run starts from scratch.
        run = 0
        state = .initial
        counts = SyncCounts()
        batchNumber = 0
        unsettled.removeAll()
    }

    // MARK: Lease

    func judgeLease(run: Int) throws -> LeaseVerdict {
        if let worker = options.workerLease { return .orphaned("\(worker) took the job over") }
        return LeaseVerdict.judge(
            try store.lease(run: run), current: .current, now: Date().timeIntervalSince1970, timeout: options.leaseTimeout,
            isAlive: ProcessIdentity.isAlive)
    }

    func takeLease() throws {
        let process = ProcessIdentity.current
        try store.acquireLease(
            RunLease(run: run, job: job.name, process: process, startedAt: clock.timestamp(), heartbeat: Date().timeIntervalSince1970))
        lease?.stop()
        lease = LeaseKeeper(store: store, run: run, process: process, interval: options.heartbeatInterval)
        attachWaits()
    }

    /// Attaches the adapters' wait watch to this run: their waits look for this run's cancel
    /// request and are recorded as `waiting` events (for `mapc status`).
    func attachWaits() {
        guard let waits = options.waits else { return }
        let (store, run, clock) = (self.store, self.run, self.clock)
        waits.attach(stopRequested: { (try? store.hasEvent(run: run, type: "cancel_requested")) ?? false }) { what, seconds in
            let until = Date(timeIntervalSinceReferenceDate: clock.now() + seconds)
            let payload: JSONValue = .object([
                ("for", .string(what)), ("seconds", .double(seconds)), ("until", .string(Self.iso(until))), ("in", "adapter"),
            ])
            _ = try? store.append(run: run, type: "waiting", payload: payload, at: clock.timestamp())
        }
    }

    /// Gives the lease this process took up: the run stopped here and no process runs it any more.
    func releaseLease() {
        options.waits?.detach()
        guard let lease else { return }
        lease.stop()
        self.lease = nil
        // A lease left behind only makes the next run check the process it names.
        try? store.releaseLease(run: run)
    }
}

extension SyncRunner {
    /// Operator fixes of destination fields override the mapped values.
    static func applyDestinationFixes(_ outcome: RecordOutcome, _ fixes: [RecordFix], fields: [Field]) -> RecordOutcome {
        guard case .mapped(var values) = outcome, !fixes.isEmpty else { return outcome }
        for fix in fixes {
            if let i = fields.firstIndex(where: { $0.name == fix.field }),
                case .success(let v) = SourceDecoder.decode(fix.value, as: fields[i])
            {
                values[i] = v
            }
        }
        return .mapped(values)
    }

    /// Reads the operator's fixes in effect for the job, for the records this run maps.
    func loadFixes() throws {
        let fixes = try store.fixes(job: job.name)
        preparer.fixes = fixes
        aheadPreparer?.fixes = fixes
    }
}

extension PlatformAdapter {
    /// How many records `object` has, when the platform can tell cheaply; nil otherwise.
    public func count(object: String) throws -> Int? { nil }

    /// The records a read with `modifiedSince` would return: ``count(object:)`` for a read of every
    /// record, unknown (nil) for an incremental one.
    public func count(object: String, modifiedSince: String?) throws -> Int? {
        modifiedSince == nil ? try count(object: object) : nil
    }
}
