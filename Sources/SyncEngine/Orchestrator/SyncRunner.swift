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
    private let lookups: LookupProvider?
    /// The next page, being fetched while this one is processed.
    private var readAhead: PageAhead?
    private let readAheadQueue = DispatchQueue(label: "mapc.sync.read-ahead")

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
        self.lookups = mapping.usesLookups ? AdapterLookup(adapters: [destination, source], schemas: lookupSchemas) : nil
    }

    var storeRef: EventStore { store }
    var jobRef: JobSpec { job }
    var versionRef: String { version }
    var actorRef: String { options.actor }

    func beginRun(info: JSONValue) throws {
        run = try store.createRun(job: job.name, info: info, at: clock.timestamp())
        startedAt = clock.now()
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
        total = (try? source.count(object: job.source.object)) ?? nil
        return try proceed(cursor: nil, page: 0, pending: nil)
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
        if state.phase.isRunning {
            // The process ended while running (crash, kill): say so in the log before going on.
            try move(JobState(.paused, page: state.page, batch: state.batch, reason: "interrupted while \(state.description); resumed"))
        }
        try store.append(run: run, type: "resumed", payload: .object([("by", .string(options.actor))]), at: clock.timestamp())
        // Where to pick up: the last checkpoint, and a batch sent after it but never acknowledged.
        var cursor: String?
        var page = 0
        var acked = Set<Int>()
        var sending: [Int: JSONValue] = [:]
        for e in events {
            switch e.type {
            case "checkpoint":
                cursor = e.payload["next"]?.stringValue
                page = e.payload["page"]?.intValue ?? page
            case "batch_sending": sending[e.payload["batch"]?.intValue ?? 0] = e.payload
            case "batch_acked": acked.insert(e.payload["batch"]?.intValue ?? 0)
            case "state": batchNumber = max(batchNumber, e.payload["batch"]?.intValue ?? 0)
            default: break
            }
        }
        counts = try countsFromStore()
        let pending = sending.filter { !acked.contains($0.key) }.sorted { $0.key < $1.key }.last?.value
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
        guard let s = try store.run(run) else { throw StoreError("run \(run) vanished") }
        return s
    }

    // MARK: The loop

    private func proceed(cursor startCursor: String?, page startPage: Int, pending: JSONValue?) throws -> RunSummary {
        var cursor = startCursor
        var page = startPage
        if let pending {
            try reconcile(pending)
        }
        while true {
            if try store.hasEvent(run: run, type: "cancel_requested") {
                try move(JobState(.cancelled, page: page, batch: batchNumber, reason: "cancelled by operator"))
                throw SyncStopped(run: run, state: state)
            }
            page += 1
            try move(JobState(.fetching, page: page, batch: batchNumber))
            let request = fetchRequest(cursor: cursor)
            let fetched: SourcePage = try attempt("fetching page \(page)", firstRecord: nil) {
                // The page read ahead, when it was for this cursor; a failed read-ahead is retried here.
                if let ahead = readAhead.take(), ahead.cursor == cursor { return try ahead.take() }
                return try source.fetch(request)
            }
            if options.readAhead, let next = fetched.nextCursor {
                let (source, request) = (source, fetchRequest(cursor: next))
                readAhead = PageAhead(cursor: next, queue: readAheadQueue) { try source.fetch(request) }
            }
            crash("after-fetch")
            try move(JobState(.mapping, page: page, batch: batchNumber))
            let sendable = try attempt("mapping page \(page)", firstRecord: nil) { try mapPage(fetched, page: page, cursor: cursor) }
            crash("after-map")
            try move(JobState(.validating, page: page, batch: batchNumber))
            crash("after-validate")
            for batch in plan(sendable) {
                try upload(batch, page: page)
            }
            let done = fetched.nextCursor == nil
            try store.append(
                run: run, type: "checkpoint",
                payload: .object([
                    ("page", .int(page)), ("cursor", cursor.map(JSONValue.string) ?? .null),
                    ("next", fetched.nextCursor.map(JSONValue.string) ?? .null), ("done", .bool(done)), ("counts", counts.json),
                ]), at: clock.timestamp())
            crash("after-checkpoint")
            report()
            if done {
                try finish()
                return try summary()
            }
            cursor = fetched.nextCursor
        }
    }

    private func fetchRequest(cursor: String?) -> FetchRequest {
        FetchRequest(object: job.source.object, cursor: cursor, pageSize: job.pageSize, fields: mapping.inputFields.map(\.name))
    }

    private func finish() throws {
        try move(JobState(.completed, page: state.page, batch: batchNumber))
        try store.append(run: run, type: "run_completed", payload: .object([("counts", counts.json)]), at: clock.timestamp())
        report()
    }

    /// One record ready to send.
    struct Pending {
        var id: String
        var key: String
        var hash: String
        var values: [(String, JSONValue)]
        var json: String
    }

    private func mapPage(
        _ fetched: SourcePage, page: Int, cursor: String?, overrides: [String: RecordState] = [:]
    ) throws -> [Pending] {
        let frame = mapping.makeFrame(lookups: lookups)
        let ids = fetched.records.map(\.id)
        let known = try store.records(job: job.name, keys: ids)
        var recordEvents: [(key: String, kind: String, payload: JSONValue)] = []
        var updates: [RecordUpdate] = []
        var out: [Pending] = []
        var pageCounts = (skipped: 0, rejected: 0, unchanged: 0, mapped: 0)
        var delta = SyncCounts()
        for rec in fetched.records {
            let before = known[rec.id]
            let retry = overrides[rec.id]
            // Already delivered in this run (a resumed page): nothing more to do.
            if retry == nil, let before, before.run == run,
                ["created", "updated", "duplicate", "rejected", "skipped", "unchanged"].contains(before.status)
            {
                continue
            }
            delta.fetched += 1
            recordEvents.append((rec.id, "fetched", .object([("page", .int(page)), ("values", rec.fields)])))
            func base(_ status: String) -> RecordState {
                RecordState(key: rec.id, run: run, status: status, mappingVersion: version)
            }
            let outcome: RecordOutcome
            if let retry, retry.payload?["source"] == nil, let stored = retry.payload?["values"]?.objectValue {
                // A destination rejection with no source kept: resend the stored values, patched.
                let patches = retry.payload?["patches"]?.objectValue ?? []
                outcome = .mapped(
                    mapping.outputFields.map { f in
                        let raw = patches.first { $0.0 == f.name }?.1 ?? stored.first { $0.0 == f.name }?.1 ?? .null
                        return (try? SourceDecoder.decode(raw, as: f).get()) ?? .null
                    })
            } else {
                outcome = mapping.evaluate(json: rec.fields, frame: frame)
            }
            switch Self.applyDestinationPatches(outcome, retry: retry, fields: mapping.outputFields) {
            case .skipped(let rule):
                delta.skipped += 1
                pageCounts.skipped += 1
                recordEvents.append((rec.id, "skipped", .object([("rule", .string("skip when " + mapping.skipRules[rule]))])))
                updates.append(RecordUpdate(state: base("skipped"), acknowledged: false))
            case .failed(let f):
                delta.rejected += 1
                pageCounts.rejected += 1
                var s = base("rejected")
                s.errorCode = f.code.rawValue
                s.error = f.message
                s.field = f.field ?? f.sourceField
                s.payload = .object([("source", rec.fields), ("stage", "mapping")])
                recordEvents.append(
                    (
                        rec.id, "rejected",
                        .object([
                            ("stage", "mapping"), ("code", .string(f.code.rawValue)), ("message", .string(f.message)),
                            ("field", s.field.map(JSONValue.string) ?? .null),
                        ])
                    ))
                updates.append(RecordUpdate(state: s, acknowledged: false))
            case .mapped(let values):
                let violations = OutputValidator.validate(values, fields: mapping.outputFields)
                let pairs = zip(mapping.outputFields, values).map { ($0.name, $1.json) }
                let json = RecordMapper.jsonLine(values, fields: mapping.outputFields)
                let hash = ContentHash.of(json)
                let key =
                    mapping.keyIndex.map { values[$0].text } ?? "msg-"
                    + String(ContentHash.of(job.name + "\u{0}" + rec.id + "\u{0}" + hash).prefix(24))
                if let v = violations.first {
                    delta.rejected += 1
                    pageCounts.rejected += 1
                    var s = base("rejected")
                    s.errorCode = v.code.rawValue
                    s.error = violations.map(\.message).joined(separator: "; ")
                    s.field = v.field
                    s.destinationKey = key
                    s.payload = .object([("source", rec.fields), ("values", .object(pairs)), ("stage", "validation")])
                    recordEvents.append(
                        (
                            rec.id, "rejected",
                            .object([
                                ("stage", "validation"), ("code", .string(v.code.rawValue)), ("message", .string(s.error ?? "")),
                                ("field", .string(v.field)), ("values", .object(pairs)),
                            ])
                        ))
                    updates.append(RecordUpdate(state: s, acknowledged: false))
                } else if !options.full, let before, before.sentHash == hash {
                    delta.unchanged += 1
                    pageCounts.unchanged += 1
                    var s = base("unchanged")
                    s.contentHash = hash
                    s.destinationKey = key
                    recordEvents.append((rec.id, "unchanged", .object([("hash", .string(hash))])))
                    updates.append(RecordUpdate(state: s, acknowledged: false))
                } else {
                    pageCounts.mapped += 1
                    out.append(Pending(id: rec.id, key: key, hash: hash, values: pairs, json: json))
                }
            }
        }
        // A lookup that failed for a platform reason (not a data reason) fails the whole page, so
        // the caller retries, pauses or fails it instead of dead-lettering good records.
        if let failure = (lookups as? AdapterLookup)?.takeFailure() { throw failure }
        try store.commit(
            run: run, job: job.name,
            events: [
                (
                    "page_fetched",
                    .object([
                        ("page", .int(page)), ("cursor", cursor.map(JSONValue.string) ?? .null),
                        ("next", fetched.nextCursor.map(JSONValue.string) ?? .null), ("records", .int(fetched.records.count)),
                        ("toSend", .int(pageCounts.mapped)), ("skipped", .int(pageCounts.skipped)),
                        ("rejected", .int(pageCounts.rejected)), ("unchanged", .int(pageCounts.unchanged)),
                    ])
                )
            ], recordEvents: recordEvents, updates: updates, at: clock.timestamp())
        counts.fetched += delta.fetched
        counts.skipped += delta.skipped
        counts.rejected += delta.rejected
        counts.unchanged += delta.unchanged
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

    private func upload(_ batch: [Pending], page: Int) throws {
        batchNumber += 1
        counts.batches = batchNumber
        try move(JobState(.uploading, page: page, batch: batchNumber))
        let payload: JSONValue = .object([
            ("batch", .int(batchNumber)), ("page", .int(page)),
            (
                "records",
                .array(
                    batch.map {
                        .object([
                            ("id", .string($0.id)), ("key", .string($0.key)), ("hash", .string($0.hash)), ("values", .object($0.values)),
                        ])
                    })
            ),
        ])
        try store.commit(
            run: run, job: job.name, events: [("batch_sending", payload)],
            recordEvents: batch.map {
                (
                    $0.id, "sent",
                    .object([
                        ("batch", .int(batchNumber)), ("key", .string($0.key)), ("mappingVersion", .string(version)),
                        ("values", .object($0.values)),
                    ])
                )
            },
            updates: batch.map {
                var s = RecordState(key: $0.id, run: run, status: "pending", contentHash: $0.hash, mappingVersion: version)
                s.destinationKey = $0.key
                return RecordUpdate(state: s, acknowledged: false)
            }, at: clock.timestamp())
        crash("before-send")
        try send(batch.map { ($0.id, $0.key, $0.hash, $0.values) }, batch: batchNumber)
    }

    /// Re-sends a batch that was sent but not acknowledged before the run stopped.
    private func reconcile(_ pending: JSONValue) throws {
        let batch = pending["batch"]?.intValue ?? batchNumber
        let records: [(String, String, String, [(String, JSONValue)])] = (pending["records"]?.arrayValue ?? []).compactMap { r in
            guard let id = r["id"]?.stringValue, let key = r["key"]?.stringValue, let hash = r["hash"]?.stringValue,
                let values = r["values"]?.objectValue
            else { return nil }
            return (id, key, hash, values)
        }
        try move(JobState(.uploading, page: pending["page"]?.intValue ?? state.page, batch: batch))
        try store.append(
            run: run, type: "reconcile", payload: .object([("batch", .int(batch)), ("records", .int(records.count))]), at: clock.timestamp()
        )
        try send(records, batch: batch)
    }

    private func send(_ records: [(id: String, key: String, hash: String, values: [(String, JSONValue)])], batch: Int) throws {
        let request = WriteRequest(
            object: job.destination.object, keyField: keyField, mode: job.mode,
            records: records.map { OutboundRecord(key: $0.key, fields: $0.values) })
        let results: [WriteResult] = try attempt("uploading batch \(batch)", firstRecord: records.first?.id) {
            try destination.write(request)
        }
        crash("after-send")
        var byKey: [String: WriteResult] = [:]
        for r in results { byKey[r.key] = r }
        var recordEvents: [(key: String, kind: String, payload: JSONValue)] = []
        var updates: [RecordUpdate] = []
        var batchCounts = SyncCounts()
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
            recordEvents.append((r.id, "result", .object(answer)))
            updates.append(RecordUpdate(state: s, acknowledged: result.status != .rejected))
        }
        counts.created += batchCounts.created
        counts.updated += batchCounts.updated
        counts.duplicate += batchCounts.duplicate
        counts.rejected += batchCounts.rejected
        try store.commit(
            run: run, job: job.name,
            events: [
                (
                    "batch_acked",
                    .object([
                        ("batch", .int(batch)), ("created", .int(batchCounts.created)), ("updated", .int(batchCounts.updated)),
                        ("duplicate", .int(batchCounts.duplicate)), ("rejected", .int(batchCounts.rejected)),
                    ])
                )
            ], recordEvents: recordEvents, updates: updates, at: clock.timestamp())
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
                    try store.append(
                        run: run, type: "rate_limited",
                        payload: .object([("wait", .double(wait)), ("message", .string(message)), ("while", .string(doing))]),
                        at: clock.timestamp())
                    if waited > options.maxRateLimitWait * 4 {
                        try stop(.paused, "paused in \(doing): still rate limited after waiting \(Int(waited))s (\(message))")
                    }
                    clock.sleep(wait)
                case .transient(let message):
                    failures += 1
                    try store.append(
                        run: run, type: "retry",
                        payload: .object([("attempt", .int(failures)), ("message", .string(message)), ("while", .string(doing))]),
                        at: clock.timestamp())
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
        try move(JobState(phase, page: state.page, batch: state.batch, reason: reason))
        report()
        throw SyncStopped(run: run, state: state)
    }

    private func move(_ next: JobState) throws {
        try store.transition(run: run, to: next, at: clock.timestamp())
        state = next
    }

    private func report() {
        options.progress?(SyncProgress(run: run, state: state, counts: counts, elapsed: clock.now() - startedAt, total: total))
    }

    private func crash(_ point: String) {
        guard let c = options.crashAt, c.name == point else { return }
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
