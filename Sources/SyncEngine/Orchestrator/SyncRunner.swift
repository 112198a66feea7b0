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

/// Runs one sync job: fetch → map → validate → upload, page by page, with every transition and
/// record outcome an event, a checkpoint after every page whose batches were all acknowledged,
/// and reconciliation of a batch that was sent but not acknowledged when the run resumes.
public final class SyncRunner {
    private let job: JobSpec
    private let mapping: CompiledMapping
    private let version: String
    private let source: PlatformAdapter
    private let destination: PlatformAdapter
    private let store: EventStore
    private let clock: SyncClock
    private let options: SyncOptions
    private var crashCounts: [String: Int] = [:]
    private var counts = SyncCounts()
    private var run = 0
    private var state = JobState.initial
    private var batchNumber = 0
    private var startedAt = 0.0
    private var total: Int?
    /// Maps records on the runner's thread.
    private let preparer: RecordPreparer
    /// The next pages, read (and mapped) while this one is processed.
    private let readAhead: ReadAhead?
    /// The batch being written while the next page is processed, and the checkpoint of its page.
    private var inFlight: [InFlight] = []
    private let writeQueue = DispatchQueue(label: "mapc.sync.write")
    /// Whether the last batch of a page may travel while the next page is processed.
    private let pipelines: Bool
    /// Transitions and events not yet in the store; every store write of the run commits them
    /// first, and they are written before any request that changes the destination.
    private var unwritten = StoreBatch()
    /// Writes made and not yet handed to the writer, in order, each with its time: they are
    /// committed together (in one transaction, each as if committed alone) with the next write
    /// that must be durable, so a page costs one commit.
    private var staged: [(batch: StoreBatch, at: String)] = []
    /// Commits the run's writes in order on another thread.
    private let writer = StoreWriter()
    /// Source ids of records whose outcome may not be committed yet (since the last ``sync()``).
    private var unsettled = Set<String>()
    /// `,"mappingVersion":"<version>"` for `sent` record events.
    private let versionField: [UInt8]

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
        func lookups() -> AdapterLookup? {
            mapping.usesLookups ? AdapterLookup(adapters: [destination, source], schemas: lookupSchemas) : nil
        }
        self.preparer = RecordPreparer(mapping: mapping, job: job.name, lookups: lookups())
        // Lookups into the object being written must see every batch before: no overlap then (and
        // none when the lookups' objects are not known), neither of uploads nor of mapping ahead.
        let looksAtDestination =
            mapping.usesLookups && (lookupSchemas.isEmpty || lookupSchemas.keys.contains(job.destination.qualifiedName))
        self.pipelines = options.pipelineUploads && !looksAtDestination
        let aheadPreparer =
            options.readAhead && options.mapAhead && !looksAtDestination
            ? RecordPreparer(mapping: mapping, job: job.name, lookups: lookups()) : nil
        let (source, object, pageSize, fields) = (source, job.source.object, job.pageSize, mapping.inputFields.map(\.name))
        self.readAhead =
            options.readAhead
            ? ReadAhead(depth: 2, preparer: aheadPreparer) { cursor in
                try source.fetch(FetchRequest(object: object, cursor: cursor, pageSize: pageSize, fields: fields))
            } : nil
        var field: [UInt8] = []
        JSONWriter.appendRaw(",\"mappingVersion\":", to: &field)
        JSONWriter.appendString(version, to: &field)
        self.versionField = field
    }

    var storeRef: EventStore { store }
    var jobRef: JobSpec { job }
    var versionRef: String { version }
    var actorRef: String { options.actor }

    func beginRun(info: JSONValue) throws {
        run = try store.createRun(job: job.name, info: info, at: clock.timestamp())
        startedAt = clock.now()
        armCrashGuard()
    }

    /// Maps, validates and uploads one page that is already in hand, then completes the run.
    func processSinglePage(_ page: SourcePage, retrying: [RecordState]) throws -> RunSummary {
        try move(JobState(.fetching, page: 1, batch: 0))
        try move(JobState(.mapping, page: 1, batch: 0))
        let overrides = Dictionary(uniqueKeysWithValues: retrying.map { ($0.key, $0) })
        let sendable = try attempt("mapping the rejected records", firstRecord: nil) {
            try mapPage(page, page: 1, cursor: nil, overrides: overrides)
        }
        try move(JobState(.validating, page: 1, batch: 0))
        for batch in plan(sendable) { try upload(batch, page: 1) }
        try finish()
        return try summary()
    }

    private var keyField: String {
        mapping.keyIndex.map { mapping.outputFields[$0].name } ?? "messageId"
    }

    private var batchSize: Int {
        let limit = destination.limits(object: job.destination.object, mode: job.mode).maxBatchRecords
        return max(1, min(job.batchSize ?? limit, limit))
    }

    // MARK: Entry points

    /// Starts a new run; returns its final summary or throws ``SyncStopped`` when it paused or failed.
    @discardableResult
    public func start() throws -> RunSummary {
        let info: JSONValue = .object([
            ("kind", "sync"), ("job", .string(job.name)), ("mapping", .string(job.mapping)), ("mappingVersion", .string(version)),
            ("source", .string(job.source.qualifiedName)), ("destination", .string(job.destination.qualifiedName)),
            ("mode", .string(job.mode.rawValue)), ("full", .bool(options.full)), ("by", .string(options.actor)),
            ("batchSize", .int(batchSize)),
        ])
        run = try store.createRun(job: job.name, info: info, at: clock.timestamp())
        startedAt = clock.now()
        let quarantined = try quarantineCrashedRecords(run: run, at: clock.timestamp())
        counts.fetched += quarantined
        counts.rejected += quarantined
        total = (try? source.count(object: job.source.object)) ?? nil
        return try proceed(cursor: nil, page: 0, pending: [])
    }

    /// Resumes the latest run of the job where its events say it stopped.
    @discardableResult
    public func resume() throws -> RunSummary {
        guard let latest = try store.latestRun(job: job.name) else {
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
        startedAt = clock.now()
        total = (try? source.count(object: job.source.object)) ?? nil
        let events = try store.events(run: run)
        // Where to pick up: the last checkpoint, and a batch sent after it but never acknowledged.
        var cursor: String?
        var page = 0
        var acked = Set<Int>()
        var sending: [Int: StoredEvent] = [:]
        for e in events {
            switch e.type {
            case "checkpoint":
                cursor = e.payload["next"]?.stringValue
                page = e.payload["page"]?.intValue ?? page
            case "batch_sending": sending[e.payload["batch"]?.intValue ?? 0] = e
            case "batch_acked": acked.insert(e.payload["batch"]?.intValue ?? 0)
            case "state": batchNumber = max(batchNumber, e.payload["batch"]?.intValue ?? 0)
            default: break
            }
        }
        let pending = sending.filter { !acked.contains($0.key) }.sorted { $0.key < $1.key }.map(\.value)
        if state.phase.isRunning {
            // The process ended while running (crash, kill): say so in the log before going on.
            var reason = "interrupted while \(state.description)"
            let unanswered = pending.compactMap { $0.payload["batch"]?.intValue }
            if unanswered.count > 1 {
                reason += " with batches \(unanswered.map(String.init).joined(separator: ", ")) sent and not acknowledged"
            } else if let batch = unanswered.first {
                reason += " with batch \(batch) sent and not acknowledged"
            }
            try move(JobState(.paused, page: state.page, batch: state.batch, reason: reason + "; resumed"))
        }
        _ = try quarantineCrashedRecords(run: run, at: clock.timestamp())
        try record("resumed", .object([("by", .string(options.actor))]))
        counts = try countsFromStore()
        if let last = events.last(where: { $0.type == "checkpoint" }), last.payload["done"]?.boolValue == true {
            try move(JobState(.fetching, page: page, batch: batchNumber))
            try finish()
            return try summary()
        }
        return try proceed(cursor: cursor, page: page, pending: pending)
    }

    private func countsFromStore() throws -> SyncCounts {
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

    private func summary() throws -> RunSummary {
        try sync()
        guard let s = try store.run(run) else { throw StoreError("run \(run) vanished") }
        return s
    }

    // MARK: The loop

    private func proceed(cursor startCursor: String?, page startPage: Int, pending: [StoredEvent]) throws -> RunSummary {
        var cursor = startCursor
        var page = startPage
        // Batches sent and never answered go again first, oldest first.
        for batch in pending { try reconcile(batch) }
        while true {
            if try store.hasEvent(run: run, type: "cancel_requested") {
                try finishInFlight()
                try move(JobState(.cancelled, page: page, batch: batchNumber, reason: "cancelled by operator"))
                try flush()
                throw SyncStopped(run: run, state: state)
            }
            page += 1
            try move(JobState(.fetching, page: page, batch: batchNumber))
            // Fetching can take long: the store says so while it does (and holds everything before).
            if cursor.flatMap({ readAhead?.isReady($0) }) != true { try flush() }
            let request = fetchRequest(cursor: cursor)
            var readHere = false
            let (fetched, mappedAhead): (SourcePage, PreparedPage?) = try attempt("fetching page \(page)", firstRecord: nil) {
                // The page read ahead, when it was for this cursor; a failed read-ahead is retried here.
                if !readHere, let cursor, let ahead = readAhead?.take(cursor) { return try ahead.get() }
                readHere = true
                return (try source.fetch(request), nil)
            }
            // Read here: the reading ahead (re)starts after this page.
            if readHere, let readAhead, let next = fetched.nextCursor { readAhead.start(at: next, number: page + 1) }
            crash("after-fetch")
            try move(JobState(.mapping, page: page, batch: batchNumber))
            // Mapped ahead, or here (and here again if a lookup failed while mapping ahead).
            var prepared = mappedAhead
            let sendable = try attempt("mapping page \(page)", firstRecord: nil) {
                try mapPage(fetched, prepared: prepared.take(), page: page, cursor: cursor)
            }
            crash("after-map")
            try move(JobState(.validating, page: page, batch: batchNumber))
            crash("after-validate")
            let done = fetched.nextCursor == nil
            let batches = plan(sendable)
            for (i, batch) in batches.enumerated() {
                let later = pipelines && !done && i == batches.count - 1
                let keys = Set(batch.map(\.key))
                if !later || inFlight.contains(where: { !$0.keys.isDisjoint(with: keys) }) {
                    // Sent here and answered here, or holding a key of a batch still travelling (whose
                    // answer must come first, so that the platform applies the two in order).
                    try finishInFlight()
                } else {
                    while inFlight.count >= max(1, options.batchesInFlight) { try finishOldestInFlight() }
                }
                try upload(batch, page: page, later: later)
            }
            // A page's checkpoint follows the answers to all its batches and those of earlier pages.
            let checkpoint = Checkpoint(page: page, cursor: cursor, next: fetched.nextCursor)
            if inFlight.isEmpty {
                try write(checkpoint)
            } else {
                inFlight[inFlight.count - 1].checkpoints.append(checkpoint)
            }
            if done {
                try finish()
                return try summary()
            }
            cursor = fetched.nextCursor
        }
    }

    /// Where a page ends: written once every batch of the page is answered.
    struct Checkpoint {
        var page: Int
        var cursor: String?
        var next: String?
    }

    private func write(_ checkpoint: Checkpoint) throws {
        // Committed with the run's next write.
        let at = clock.timestamp()
        var batch = StoreBatch()
        batch.event(
            "checkpoint",
            .object([
                ("page", .int(checkpoint.page)), ("cursor", checkpoint.cursor.map(JSONValue.string) ?? .null),
                ("next", checkpoint.next.map(JSONValue.string) ?? .null), ("done", .bool(checkpoint.next == nil)),
                ("counts", counts.json),
            ]), at: at)
        stage(batch, at: at)
        crash("after-checkpoint")
        report()
    }

    private func fetchRequest(cursor: String?) -> FetchRequest {
        FetchRequest(object: job.source.object, cursor: cursor, pageSize: job.pageSize, fields: mapping.inputFields.map(\.name))
    }

    private func finish() throws {
        try finishInFlight()
        try move(JobState(.completed, page: state.page, batch: batchNumber))
        try record("run_completed", .object([("counts", counts.json)]))
        try sync()
        report()
    }

    /// One record ready to send.
    struct Pending {
        /// The source record id.
        var id: String
        /// The destination key.
        var key: String
        /// The content hash of ``json``.
        var hash: String
        /// The mapped values, aligned with the mapping's output fields.
        var values: [Value]
        /// The values as the JSON object that is hashed and recorded.
        var json: [UInt8]
    }

    /// One record as it goes out in a batch: source id, destination key, content hash, fields.
    typealias Outbound = (id: String, key: String, hash: String, values: [(String, JSONValue)])

    /// Maps a page (or takes it as mapped ahead) and records what became of each record; returns
    /// the records to send.
    private func mapPage(
        _ fetched: SourcePage, prepared: PreparedPage? = nil, page: Int, cursor: String?, overrides: [String: RecordState] = [:]
    ) throws -> [Pending] {
        // A lookup that failed for a platform reason (not a data reason) fails the whole page, so
        // the caller retries, pauses or fails it instead of dead-lettering good records.
        if let failure = prepared?.lookupFailure { throw failure }
        let ahead = prepared.flatMap { $0.number == page && $0.records.count == fetched.records.count ? $0.records : nil }
        var frame: Frame?
        let ids = fetched.records.map(\.id)
        // What this run already did with a record must be on disk before it is read back.
        if ids.contains(where: unsettled.contains) {
            try finishInFlight()
            try sync()
        }
        unsettled.formUnion(ids)
        let known = try store.syncStates(job: job.name, keys: ids)
        var batch = StoreBatch()
        batch.recordEvents.reserveCapacity(fetched.records.count * 2)
        var out: [Pending] = []
        var pageCounts = (skipped: 0, rejected: 0, unchanged: 0, mapped: 0)
        var delta = SyncCounts()
        for (index, rec) in fetched.records.enumerated() {
            let before = known[rec.id]
            let retry = overrides[rec.id]
            // Already delivered in this run (a resumed page): nothing more to do.
            if retry == nil, let before, before.run == run, Self.settled.contains(before.status) {
                continue
            }
            delta.fetched += 1
            let prepared: PreparedRecord
            if retry == nil, let ahead {
                prepared = ahead[index]
            } else {
                if frame == nil { frame = preparer.makeFrame() }
                prepared = preparer.prepare(rec, page: page, frame: frame!, retry: retry)
            }
            batch.recordEvents.append(RecordEventRow(key: rec.id, kind: "fetched", payload: prepared.fetched))
            func base(_ status: String) -> RecordState {
                RecordState(key: rec.id, run: run, status: status, mappingVersion: version)
            }
            switch prepared.outcome {
            case .skipped(let rule):
                delta.skipped += 1
                pageCounts.skipped += 1
                batch.recordEvent(rec.id, "skipped", .object([("rule", .string("skip when " + mapping.skipRules[rule]))]))
                batch.updates.append(RecordUpdate(state: base("skipped"), acknowledged: false))
            case .failed(let f):
                delta.rejected += 1
                pageCounts.rejected += 1
                var s = base("rejected")
                s.errorCode = f.code.rawValue
                s.error = f.message
                s.field = f.field ?? f.sourceField
                s.payload = .object([("source", rec.fields), ("stage", "mapping")])
                batch.recordEvent(
                    rec.id, "rejected",
                    .object([
                        ("stage", "mapping"), ("code", .string(f.code.rawValue)), ("message", .string(f.message)),
                        ("field", s.field.map(JSONValue.string) ?? .null),
                    ]))
                batch.updates.append(RecordUpdate(state: s, acknowledged: false))
            case .mapped(let values, let json, let violations, let hash, let key):
                if let v = violations.first {
                    delta.rejected += 1
                    pageCounts.rejected += 1
                    let pairs = pairs(values)
                    var s = base("rejected")
                    s.errorCode = v.code.rawValue
                    s.error = violations.map(\.message).joined(separator: "; ")
                    s.field = v.field
                    s.destinationKey = key
                    s.payload = .object([("source", rec.fields), ("values", .object(pairs)), ("stage", "validation")])
                    batch.recordEvent(
                        rec.id, "rejected",
                        .object([
                            ("stage", "validation"), ("code", .string(v.code.rawValue)), ("message", .string(s.error ?? "")),
                            ("field", .string(v.field)), ("values", .object(pairs)),
                        ]))
                    batch.updates.append(RecordUpdate(state: s, acknowledged: false))
                } else if !options.full, let before, before.sentHash == hash {
                    delta.unchanged += 1
                    pageCounts.unchanged += 1
                    var s = base("unchanged")
                    s.contentHash = hash
                    s.destinationKey = key
                    batch.recordEvent(rec.id, "unchanged", .object([("hash", .string(hash))]))
                    batch.updates.append(RecordUpdate(state: s, acknowledged: false))
                } else {
                    pageCounts.mapped += 1
                    out.append(Pending(id: rec.id, key: key, hash: hash, values: values, json: json))
                }
            }
        }
        if let failure = preparer.takeLookupFailure() { throw failure }
        let at = clock.timestamp()
        batch.event(
            "page_fetched",
            .object([
                ("page", .int(page)), ("cursor", cursor.map(JSONValue.string) ?? .null),
                ("next", fetched.nextCursor.map(JSONValue.string) ?? .null), ("records", .int(fetched.records.count)),
                ("toSend", .int(pageCounts.mapped)), ("skipped", .int(pageCounts.skipped)),
                ("rejected", .int(pageCounts.rejected)), ("unchanged", .int(pageCounts.unchanged)),
            ]), at: at)
        // Committed with the page's first batch (or whatever write comes first).
        stage(batch, at: at)
        counts.fetched += delta.fetched
        counts.skipped += delta.skipped
        counts.rejected += delta.rejected
        counts.unchanged += delta.unchanged
        return out
    }

    /// Statuses that mean a record is done with for the run that gave them.
    private static let settled: Set<String> = ["created", "updated", "duplicate", "rejected", "skipped", "unchanged"]

    /// Mapped values as destination field name and JSON value pairs.
    private func pairs(_ values: [Value]) -> [(String, JSONValue)] {
        var out: [(String, JSONValue)] = []
        out.reserveCapacity(values.count)
        for (f, v) in zip(mapping.outputFields, values) { out.append((f.name, v.json)) }
        return out
    }

    /// Splits records into batches of at most the batch size, never two records with the same key in one batch.
    private func plan(_ records: [Pending]) -> [[Pending]] {
        var batches: [[Pending]] = []
        var current: [Pending] = []
        var keys = Set<String>()
        let batchSize = self.batchSize
        for r in records {
            if current.count >= batchSize || keys.contains(r.key) {
                batches.append(current)
                current = []
                keys = []
            }
            current.append(r)
            keys.insert(r.key)
        }
        if !current.isEmpty { batches.append(current) }
        return batches
    }

    /// Records a batch as being sent, then sends it (`later`: on another thread, answered by
    /// ``finishInFlight()``).
    private func upload(_ batch: [Pending], page: Int, later: Bool = false) throws {
        batchNumber += 1
        counts.batches = batchNumber
        try move(JobState(.uploading, page: page, batch: batchNumber))
        let at = clock.timestamp()
        // The batch event names its records; their values are in their `sent` events, written with
        // it, which is where a resumed run reads them back from to reconcile the batch.
        var writes = StoreBatch()
        writes.event(
            "batch_sending",
            .object([
                ("batch", .int(batchNumber)), ("page", .int(page)), ("count", .int(batch.count)),
                ("ids", .array(batch.map { .string($0.id) })),
            ]), at: at)
        writes.recordEvents.reserveCapacity(batch.count)
        var bytes: [UInt8] = []
        for r in batch {
            bytes.removeAll(keepingCapacity: true)
            JSONWriter.appendRaw("{\"batch\":", to: &bytes)
            JSONWriter.appendInt(batchNumber, to: &bytes)
            JSONWriter.appendRaw(",\"key\":", to: &bytes)
            JSONWriter.appendString(r.key, to: &bytes)
            bytes.append(contentsOf: versionField)
            JSONWriter.appendRaw(",\"hash\":", to: &bytes)
            JSONWriter.appendString(r.hash, to: &bytes)
            JSONWriter.appendRaw(",\"values\":", to: &bytes)
            bytes.append(contentsOf: r.json)
            bytes.append(UInt8(ascii: "}"))
            writes.recordEvents.append(RecordEventRow(key: r.id, kind: "sent", payload: bytes))
        }
        // The record projection changes when the platform answers: until then a record's latest
        // outcome is what it was, and its `sent` event without a `result` says it is in flight.
        try commit(writes, at: at)
        crash("before-send")
        try send(batch.map { ($0.id, $0.key, $0.hash, pairs($0.values)) }, batch: batchNumber, later: later)
    }

    /// Re-sends a batch that was sent but not acknowledged before the run stopped.
    private func reconcile(_ pending: StoredEvent) throws {
        let batch = pending.payload["batch"]?.intValue ?? batchNumber
        let records: [Outbound]
        if let listed = pending.payload["records"]?.arrayValue {
            // Stores written before batch events named their records only: the values are inline.
            records = listed.compactMap { r in
                guard let id = r["id"]?.stringValue, let key = r["key"]?.stringValue, let hash = r["hash"]?.stringValue,
                    let values = r["values"]?.objectValue
                else { return nil }
                return (id, key, hash, values)
            }
        } else {
            let ids = (pending.payload["ids"]?.arrayValue ?? []).compactMap(\.stringValue)
            let sent = try store.sentPayloads(job: job.name, run: run, seq: pending.seq, keys: ids)
            records = ids.compactMap { id in
                guard let p = sent[id], let key = p["key"]?.stringValue, let hash = p["hash"]?.stringValue,
                    let values = p["values"]?.objectValue
                else { return nil }
                return (id, key, hash, values)
            }
        }
        // Records of the batch count as fetched in this run once, when their outcome is recorded.
        let known = try store.syncStates(job: job.name, keys: records.map(\.id))
        counts.fetched += records.filter { known[$0.id]?.run != run }.count
        try move(JobState(.uploading, page: pending.payload["page"]?.intValue ?? state.page, batch: batch))
        try record("reconcile", .object([("batch", .int(batch)), ("records", .int(records.count))]))
        try send(records, batch: batch)
        try sync()
    }

    /// A batch written on another thread while the runner goes on with the next page.
    struct InFlight {
        var records: [Outbound]
        var batch: Int
        var request: WriteRequest
        var answer: Ahead<[WriteResult]>
        /// The destination keys of its records.
        var keys: Set<String>
        /// Checkpoints of pages that end with this batch (or after it, without batches of their
        /// own), written after its answer.
        var checkpoints: [Checkpoint] = []
    }

    private func send(_ records: [Outbound], batch: Int, later: Bool = false) throws {
        let request = WriteRequest(
            object: job.destination.object, keyField: keyField, mode: job.mode,
            // A mapping's output fields are distinct (and so are those of the objects it wrote to the store).
            records: records.map { OutboundRecord(key: $0.key, distinctFields: $0.values) })
        if later {
            // The batch goes out once the writer has recorded it as being sent.
            let (destination, recorded) = (self.destination, writer.barrier())
            inFlight.append(
                InFlight(
                    records: records, batch: batch, request: request,
                    answer: Ahead(queue: writeQueue) {
                        try recorded.wait()
                        return try destination.write(request)
                    }, keys: Set(records.map(\.key))))
            return
        }
        try sync()
        let results: [WriteResult] = try attempt("uploading batch \(batch)", firstRecord: records.first?.id) {
            try destination.write(request)
        }
        try acknowledge(records, batch: batch, results: results)
    }

    /// Waits for every batch in flight, oldest first (see ``finishOldestInFlight()``).
    private func finishInFlight() throws {
        while !inFlight.isEmpty { try finishOldestInFlight() }
    }

    /// Waits for the oldest batch in flight (retrying it here as any write is retried), records the
    /// answer and then the checkpoints that waited for it.
    private func finishOldestInFlight() throws {
        guard !inFlight.isEmpty else { return }
        let f = inFlight.removeFirst()
        var first: Result<[WriteResult], any Error>? = f.answer.wait()
        let results: [WriteResult] = try attempt("uploading batch \(f.batch)", firstRecord: f.records.first?.id) {
            if let answer = first.take() { return try answer.get() }
            return try destination.write(f.request)
        }
        try acknowledge(f.records, batch: f.batch, results: results)
        for checkpoint in f.checkpoints { try write(checkpoint) }
    }

    /// Records the platform's answer to a batch: one result per record and the record projection.
    private func acknowledge(_ records: [Outbound], batch: Int, results: [WriteResult]) throws {
        crash("after-send")
        var byKey: [String: WriteResult] = [:]
        byKey.reserveCapacity(results.count)
        for r in results { byKey[r.key] = r }
        var writes = StoreBatch()
        writes.recordEvents.reserveCapacity(records.count)
        writes.updates.reserveCapacity(records.count)
        var batchCounts = SyncCounts()
        var bytes: [UInt8] = []
        for r in records {
            let result =
                byKey[r.key]
                ?? WriteResult(
                    key: r.key, status: .rejected, errorCode: "NO_RESULT", message: "the platform returned no result for this record")
            var s = RecordState(key: r.id, run: run, status: result.status.rawValue, contentHash: r.hash, mappingVersion: version)
            s.destinationKey = r.key
            s.destinationId = result.destinationId
            var answer: [(String, JSONValue)] = [("status", .string(result.status.rawValue))]
            if let id = result.destinationId { answer.append(("destinationId", .string(id))) }
            switch result.status {
            case .created: batchCounts.created += 1
            case .updated: batchCounts.updated += 1
            case .duplicate: batchCounts.duplicate += 1
            case .rejected:
                batchCounts.rejected += 1
                s.errorCode = result.errorCode
                s.error = result.message
                s.field = result.field
                s.payload = .object([("values", .object(r.values)), ("stage", "destination")])
                answer += [
                    ("code", result.errorCode.map(JSONValue.string) ?? .null), ("message", result.message.map(JSONValue.string) ?? .null),
                    ("field", result.field.map(JSONValue.string) ?? .null),
                ]
            }
            if result.status != .rejected { s.sentHash = r.hash }
            bytes.removeAll(keepingCapacity: true)
            JSONWriter.append(.object(answer), to: &bytes)
            writes.recordEvents.append(RecordEventRow(key: r.id, kind: "result", payload: bytes))
            writes.updates.append(RecordUpdate(state: s, acknowledged: result.status != .rejected))
        }
        counts.created += batchCounts.created
        counts.updated += batchCounts.updated
        counts.duplicate += batchCounts.duplicate
        counts.rejected += batchCounts.rejected
        let at = clock.timestamp()
        writes.event(
            "batch_acked",
            .object([
                ("batch", .int(batch)), ("created", .int(batchCounts.created)), ("updated", .int(batchCounts.updated)),
                ("duplicate", .int(batchCounts.duplicate)), ("rejected", .int(batchCounts.rejected)),
            ]), at: at)
        // Committed with the run's next write: the next batch's, the page's checkpoint, or before
        // the run waits for a page.
        stage(writes, at: at)
        crash("after-ack")
        report()
    }

    // MARK: Retries, state, crash points

    /// Runs `body`, retrying transient failures with backoff and waiting out rate limits; pauses the
    /// run after the last failed attempt and fails it on a fatal error.
    private func attempt<T>(_ doing: String, firstRecord: String?, _ body: () throws -> T) throws -> T {
        var failures = 0
        var waited = 0.0
        while true {
            do {
                return try body()
            } catch let e as AdapterError {
                switch e {
                case .rateLimited(let seconds, let message):
                    let wait = min(max(seconds, 0.05), options.maxRateLimitWait)
                    waited += wait
                    try record(
                        "rate_limited",
                        .object([("wait", .double(wait)), ("message", .string(message)), ("while", .string(doing))]))
                    if waited > options.maxRateLimitWait * 4 {
                        try stop(.paused, "paused in \(doing): still rate limited after waiting \(Int(waited))s (\(message))")
                    }
                    clock.sleep(wait)
                case .transient(let message):
                    failures += 1
                    try record(
                        "retry",
                        .object([("attempt", .int(failures)), ("message", .string(message)), ("while", .string(doing))]))
                    if failures >= job.retries {
                        let on = firstRecord.map { " on the batch starting with record \($0)" } ?? ""
                        try stop(.paused, "paused in \(doing): failed \(failures) times\(on) (\(message))")
                    }
                    clock.sleep(options.backoff.delay(attempt: failures, unit: clock.random()))
                case .fatal(let message):
                    try stop(.failed, "failed in \(doing): \(message)")
                }
            }
        }
    }

    private func stop(_ phase: JobPhase, _ reason: String) throws -> Never {
        // A batch still travelling is answered (and recorded) before the run stops.
        try finishInFlight()
        try move(JobState(phase, page: state.page, batch: state.batch, reason: reason))
        try flush()
        try sync()
        report()
        throw SyncStopped(run: run, state: state)
    }

    /// Moves to `next`, refusing an illegal transition; the `state` event is written with the
    /// run's next store write (see ``unwritten``).
    private func move(_ next: JobState) throws {
        try StateMachine.validate(from: state.phase, to: next.phase)
        unwritten.transitions.append(StoreBatch.Transition(to: next, at: clock.timestamp()))
        state = next
    }

    /// Writes one run event now, after the transitions and events not yet written.
    private func record(_ type: String, _ payload: JSONValue) throws {
        let at = clock.timestamp()
        unwritten.event(type, payload, at: at)
        try flush()
    }

    /// Writes `batch` after the staged writes and the transitions and events not yet written, all
    /// in one transaction (on the writer's thread, after every earlier write).
    private func commit(_ batch: StoreBatch, at: String) throws {
        stage(batch, at: at)
        let all = staged
        staged = []
        let (store, run, name) = (self.store, self.run, job.name)
        try writer.enqueue { try store.write(run: run, job: name, all) }
    }

    /// Adds `batch`, after the transitions and events not yet written, to the writes the next
    /// commit takes.
    private func stage(_ batch: StoreBatch, at: String) {
        guard !batch.isEmpty || !unwritten.isEmpty else { return }
        unwritten.append(contentsOf: batch)
        staged.append((unwritten, at))
        unwritten = StoreBatch()
    }

    /// Waits until every write so far (handed to the writer or not) is committed.
    private func sync() throws {
        try flush()
        try writer.sync()
        unsettled.removeAll(keepingCapacity: true)
    }

    /// Writes the transitions and events not yet written.
    private func flush() throws {
        guard !unwritten.isEmpty || !staged.isEmpty else { return }
        try commit(StoreBatch(), at: clock.timestamp())
    }

    private func report() {
        options.progress?(SyncProgress(run: run, state: state, counts: counts, elapsed: clock.now() - startedAt, total: total))
    }

    private func crash(_ point: String) {
        guard let c = options.crashAt, c.name == point else { return }
        // The kill lands after everything the run did so far is on disk, so the point is a known
        // place in the log (kills from outside the process land anywhere).
        try? flush()
        try? writer.sync()
        crashCounts[point, default: 0] += 1
        if crashCounts[point] == c.occurrence {
            kill(getpid(), SIGKILL)
        }
    }
}

extension SyncRunner {
    /// Operator fixes of destination fields override the mapped values.
    static func applyDestinationPatches(_ outcome: RecordOutcome, retry: RecordState?, fields: [Field]) -> RecordOutcome {
        guard case .mapped(var values) = outcome, let patches = retry?.payload?["patches"]?.objectValue, !patches.isEmpty else {
            return outcome
        }
        for (name, raw) in patches {
            if let i = fields.firstIndex(where: { $0.name == name }), case .success(let v) = SourceDecoder.decode(raw, as: fields[i]) {
                values[i] = v
            }
        }
        return .mapped(values)
    }
}

extension PlatformAdapter {
    /// How many records `object` has, when the platform can tell cheaply; nil otherwise.
    public func count(object: String) throws -> Int? { nil }
}
