import Foundation
import MapDSL

/// One stored event of a run.
public struct StoredEvent: Sendable {
    /// The run.
    public var run: Int
    /// Position in the run, from 1.
    public var seq: Int
    /// Event type (`state`, `page_fetched`, `batch_sending`, …).
    public var type: String
    /// UTC time, ISO 8601.
    public var at: String
    /// The payload.
    public var payload: JSONValue
}

/// An event about one record.
public struct RecordEvent: Sendable {
    /// The run it happened in.
    public var run: Int
    /// The run's event sequence number it belongs to.
    public var seq: Int
    /// The record key.
    public var key: String
    /// `fetched`, `skipped`, `rejected`, `unchanged`, `sent`, `result`, `fixed`.
    public var kind: String
    /// UTC time, ISO 8601.
    public var at: String
    /// Details.
    public var payload: JSONValue
}

/// The latest known outcome of one record key of a job (a projection of the record events).
public struct RecordState: Sendable, Hashable {
    /// The record key.
    public var key: String
    /// The run that last touched it.
    public var run: Int
    /// `created`, `updated`, `duplicate`, `rejected`, `skipped`, `unchanged`, `pending`.
    public var status: String
    /// Hash of the mapped values last computed.
    public var contentHash: String?
    /// Hash of the values the destination last acknowledged.
    public var sentHash: String?
    /// The destination's record id.
    public var destinationId: String?
    /// Error code of a rejection.
    public var errorCode: String?
    /// Message of a rejection.
    public var error: String?
    /// Field blamed by a rejection.
    public var field: String?
    /// The mapping version (canonical hash) used.
    public var mappingVersion: String?
    /// For rejected records: `{"source": …, "values": …, "patches": …}` so they can be fixed and retried.
    public var payload: JSONValue?
    /// The destination key value, when the record was mapped.
    public var destinationKey: String?
    /// For a rejected record: the platform's error passes with time (a locked row, a per-record
    /// rate limit), so the next run sends the record again even when its values did not change.
    public var transient = false
}

/// A run as listed by `mapc status`.
public struct RunSummary: Sendable {
    /// Run id.
    public var id: Int
    /// Job name.
    public var job: String
    /// When it started.
    public var startedAt: String
    /// Its current state.
    public var state: JobState
    /// Information recorded when it started (mapping, version, objects, mode).
    public var info: JSONValue
    /// Time of its last event.
    public var lastEventAt: String
}

/// A change to the record projection made together with events.
public struct RecordUpdate: Sendable {
    /// The new state.
    public var state: RecordState
    /// Whether an acknowledged send happened: the state's sent hash replaces the stored one.
    public var acknowledged: Bool

    /// Creates an update.
    public init(state: RecordState, acknowledged: Bool) {
        self.state = state
        self.acknowledged = acknowledged
    }
}

/// The append-only event store on SQLite (WAL): events per run, events per record, and projections
/// (run state, latest record outcome) written in the same transaction as the events they derive from.
public final class EventStore: @unchecked Sendable {
    let db: Database
    private let lock = NSLock()
    /// A second connection for the questions a sync asks while its writes are committed on another
    /// thread (WAL lets it read the last commit without waiting for the one under way); nil for an
    /// in-memory store, whose questions go to ``db``.
    private let readDB: Database?
    private let readLock = NSLock()
    /// On PostgreSQL: the connection the shared rate limits are decided on (opened when first used).
    private var limitsDB: Database?
    private let limitsLock = NSLock()
    /// The database path (a PostgreSQL store's URL without its password): for messages.
    public let path: String
    /// What opens this store again (a PostgreSQL store's URL with its password): never print it.
    public let location: String
    /// Whether the store is on a PostgreSQL server rather than in a SQLite file.
    public var isPostgres: Bool { db.isPostgres }

    /// The migrations, in order; never edit one that has shipped, only append.
    static let migrations: [(String, String)] = [
        (
            "001_initial",
            """
            CREATE TABLE runs(id INTEGER PRIMARY KEY, job TEXT NOT NULL, started_at TEXT NOT NULL, phase TEXT NOT NULL,
              page INTEGER NOT NULL DEFAULT 0, batch INTEGER NOT NULL DEFAULT 0, reason TEXT, info TEXT NOT NULL,
              last_event_at TEXT NOT NULL, next_seq INTEGER NOT NULL DEFAULT 1);
            CREATE INDEX runs_job ON runs(job, id);
            CREATE TABLE events(run INTEGER NOT NULL, seq INTEGER NOT NULL, type TEXT NOT NULL, at TEXT NOT NULL,
              payload TEXT NOT NULL, PRIMARY KEY(run, seq));
            CREATE TABLE record_events(id INTEGER PRIMARY KEY, job TEXT NOT NULL, run INTEGER NOT NULL, seq INTEGER NOT NULL,
              key TEXT NOT NULL, kind TEXT NOT NULL, at TEXT NOT NULL, payload TEXT NOT NULL);
            CREATE INDEX record_events_key ON record_events(job, key, id);
            CREATE TABLE records(job TEXT NOT NULL, key TEXT NOT NULL, run INTEGER NOT NULL, status TEXT NOT NULL,
              content_hash TEXT, sent_hash TEXT, destination_id TEXT, error_code TEXT, error TEXT, field TEXT,
              mapping_version TEXT, payload TEXT, dest_key TEXT, PRIMARY KEY(job, key));
            CREATE INDEX records_status ON records(job, status);
            CREATE INDEX records_dest_key ON records(job, dest_key);
            CREATE TABLE quota_usage(key TEXT PRIMARY KEY, hourly TEXT NOT NULL);
            """
        ),
        (
            "002_records_destination_id",
            "CREATE INDEX IF NOT EXISTS records_destination_id ON records(job, destination_id);"
        ),
        (
            // The runner asks after every page whether a cancel was requested: without this index
            // that question scans every event of the run.
            "003_events_type",
            "CREATE INDEX IF NOT EXISTS events_type ON events(run, type);"
        ),
        (
            // Every record write paid for two indexes that serve rare questions: which records were
            // rejected, and which record has a destination key other than its own key. Partial
            // indexes hold only the rows those questions are about, so a sync's writes skip them.
            "004_partial_record_indexes",
            """
            DROP INDEX IF EXISTS records_status;
            CREATE INDEX IF NOT EXISTS records_rejected ON records(job, key) WHERE status = 'rejected';
            DROP INDEX IF EXISTS records_dest_key;
            CREATE INDEX IF NOT EXISTS records_other_dest_key ON records(job, dest_key) WHERE dest_key <> key;
            """
        ),
        (
            // A job's high-water mark: the source position (modification time, then record id) up to
            // which every record was read and its outcome acknowledged, with the mapping version and
            // source it holds for. Written with the checkpoint that reaches it.
            "005_sync_watermarks",
            """
            CREATE TABLE IF NOT EXISTS watermarks(job TEXT PRIMARY KEY, modified TEXT NOT NULL, modified_ms INTEGER NOT NULL,
              record_id TEXT NOT NULL, mapping_version TEXT NOT NULL, source TEXT NOT NULL, run INTEGER NOT NULL, at TEXT NOT NULL);
            """
        ),
        (
            // Lookup answers kept across pages and runs within a freshness bound (NULL answer: no
            // match). Times are seconds since 1970.
            "006_sync_lookup_cache",
            """
            CREATE TABLE IF NOT EXISTS lookup_cache(job TEXT NOT NULL, object TEXT NOT NULL, field TEXT NOT NULL,
              value TEXT NOT NULL, answer TEXT, fetched_at REAL NOT NULL, expires_at REAL NOT NULL,
              PRIMARY KEY(job, object, field, value));
            """
        ),
        (
            // Which process runs a run: process id, host, the process's start (so a reused pid is
            // not taken for the same process) and a heartbeat, so the next sync or resume tells a
            // run whose process died from one still going.
            "007_sync_run_leases",
            """
            CREATE TABLE IF NOT EXISTS run_leases(run INTEGER PRIMARY KEY, job TEXT NOT NULL, pid INTEGER NOT NULL,
              host TEXT NOT NULL, process_start TEXT NOT NULL, started_at TEXT NOT NULL, heartbeat_at REAL NOT NULL);
            """
        ),
        (
            // The rate limiter's request windows and holds per bucket, so a process started right
            // after another one stopped knows what the platform still counts.
            "008_sync_limiter_windows",
            "CREATE TABLE IF NOT EXISTS limiter_windows(key TEXT PRIMARY KEY, state TEXT NOT NULL);"
        ),
        (
            // A dead letter whose error passes with time (a locked row, a per-record rate limit) is
            // sent again by the next run even when its values did not change; others are not.
            "009_sync_records_transient",
            "ALTER TABLE records ADD COLUMN transient INTEGER NOT NULL DEFAULT 0;"
        ),
        // The identity map, write ledger and parked conflicts of two-way jobs (TwoWay/IdentityStore.swift).
        identityMapMigration,
        (
            // The platform bulk jobs (Salesforce Bulk API 2.0, Mailchimp batches) mapc's runs created:
            // which run and batch, how many records, where each stands. The run's events stay the
            // record of what happened; this table answers "how much of the platform's daily bulk
            // allocation did we use" and lists a job's bulk jobs for operators.
            "011_bulk_jobs",
            """
            CREATE TABLE IF NOT EXISTS bulk_jobs(platform TEXT NOT NULL, job_id TEXT NOT NULL, job TEXT NOT NULL,
              run INTEGER NOT NULL, batch INTEGER NOT NULL, attempt INTEGER NOT NULL, records INTEGER NOT NULL,
              state TEXT NOT NULL, created_at TEXT NOT NULL, updated_at TEXT NOT NULL, PRIMARY KEY(platform, job_id));
            CREATE INDEX IF NOT EXISTS bulk_jobs_created ON bulk_jobs(platform, created_at);
            CREATE INDEX IF NOT EXISTS bulk_jobs_job ON bulk_jobs(job, run);
            """
        ),
        (
            // Operator fixes are record events that stay attached to the record until applied or
            // withdrawn; every run reads a job's fix events, which this partial index keeps cheap.
            "012_operator_fixes",
            """
            CREATE INDEX IF NOT EXISTS record_events_fixes ON record_events(job, id)
              WHERE kind IN ('fixed', 'fix_applied', 'fix_withdrawn', 'fix_superseded');
            """
        ),
        // The jobs `mapc worker` processes take with fenced leases (Worker/WorkQueue.swift).
        WorkQueue.migration,
        // The schedule slots workers enqueue once each (Worker/WorkQueue.swift).
        WorkQueue.scheduleMigration,
    ]

    /// Opens the store at `path` (`:memory:` for tests), creating it as `create` allows, checks it
    /// (see ``StoreCheck``: not empty, a SQLite database, sound pages, no migration from a newer
    /// mapc) and applies pending migrations.
    public convenience init(path: String, create: StoreCreation = .withDirectory) throws {
        try self.init(path: path, checkpointAt: BackgroundCheckpointer.defaultStart, create: create)
    }

    /// Opens the store, its write-ahead log copied into the database on another thread once it
    /// holds `checkpointAt` pages.
    init(path: String, checkpointAt: Int32, create: StoreCreation = .withDirectory) throws {
        if PostgresURL.isPostgres(path) {
            // A PostgreSQL server (see ``Database/init(postgres:)``): same migrations, same projections.
            let url = try PostgresURL(path)
            self.path = url.description
            location = path
            db = try Database(postgres: url)
            try StoreCheck.checkMigrations(db, path: self.path)
            try db.migrate(Self.migrations)
            try ConsoleProjections.migrate(db)
            readDB = try Database(postgres: url)
            return
        }
        self.path = path
        location = path
        try StoreCheck.checkFile(path, create: create)
        db = try Database(path: path, checkpointAt: checkpointAt)
        try StoreCheck.checkOpened(db, path: path)
        try db.migrate(Self.migrations)
        try ConsoleProjections.migrate(db)
        readDB = path == ":memory:" ? nil : try Database(path: path)
    }

    /// From now on every write of this store checks, in its own transaction, that the work queue
    /// still grants lease `lease` of `job` (see ``WriteFence``); a write after a takeover throws
    /// ``FencingError`` and changes nothing.
    public func fence(job: String, lease: Int) {
        locked { db.fence = WriteFence(job: job, lease: lease) }
    }

    /// Checkpoints of the log made on another thread so far (see ``BackgroundCheckpointer``).
    var backgroundCheckpoints: Int { db.backgroundCheckpoints }

    func locked<T>(_ body: () throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body()
    }

    /// Runs `body` on the connection of the shared rate limits (the writing one on SQLite).
    func withLimitsConnection<T>(_ body: (Database) throws -> T) throws -> T {
        guard isPostgres else { return try locked { try body(db) } }
        limitsLock.lock()
        defer { limitsLock.unlock() }
        if limitsDB == nil { limitsDB = try Database(postgres: PostgresURL(location)) }
        return try body(limitsDB!)
    }

    /// Runs `body` on the reading connection (the writing one for an in-memory store). It sees
    /// every write committed before it starts.
    func reading<T>(_ body: (Database) throws -> T) rethrows -> T {
        guard let readDB else { return try locked { try body(db) } }
        readLock.lock()
        defer { readLock.unlock() }
        return try body(readDB)
    }

    // MARK: Runs

    /// Starts a new run of `job` with `info`; returns its id.
    public func createRun(job: String, info: JSONValue, at: String) throws -> Int {
        try locked {
            try db.transaction {
                let text = JSONWriter.compact(info)
                try db.prepare("INSERT INTO runs(job, started_at, phase, info, last_event_at, next_seq) VALUES(?, ?, 'created', ?, ?, 2)")
                    .run([.text(job), .text(at), .text(text), .text(at)])
                let id = Int(db.lastInsertRowID)
                try db.prepare("INSERT INTO events(run, seq, type, at, payload) VALUES(?, 1, 'run_started', ?, ?)")
                    .run([.int(Int64(id)), .text(at), .text(text)])
                return id
            }
        }
    }

    /// The latest run of `job`.
    public func latestRun(job: String) throws -> RunSummary? {
        try locked {
            try db.prepare(
                "SELECT id, job, started_at, phase, page, batch, reason, info, last_event_at FROM runs WHERE job = ? ORDER BY id DESC LIMIT 1"
            )
            .query([.text(job)], Self.runRow).first
        }
    }

    /// A run by id.
    public func run(_ id: Int) throws -> RunSummary? {
        try locked {
            try db.prepare("SELECT id, job, started_at, phase, page, batch, reason, info, last_event_at FROM runs WHERE id = ?")
                .query([.int(Int64(id))], Self.runRow).first
        }
    }

    /// The latest run of every job, by job name.
    public func latestRuns() throws -> [RunSummary] {
        try locked {
            try db.prepare(
                """
                SELECT id, job, started_at, phase, page, batch, reason, info, last_event_at FROM runs
                WHERE id IN (SELECT max(id) FROM runs GROUP BY job) ORDER BY job
                """
            ).query([], Self.runRow)
        }
    }

    /// Every run of `job`, oldest first.
    public func runs(job: String) throws -> [RunSummary] {
        try locked {
            try db.prepare(
                "SELECT id, job, started_at, phase, page, batch, reason, info, last_event_at FROM runs WHERE job = ? ORDER BY id"
            )
            .query([.text(job)], Self.runRow)
        }
    }

    static func runRow(_ s: Statement) throws -> RunSummary {
        let phase = JobPhase(rawValue: s.text(3) ?? "") ?? .failed
        let info = (try? JSONParser.parse(s.text(7) ?? "{}")) ?? .object([])
        return RunSummary(
            id: Int(s.int(0)), job: s.text(1) ?? "", startedAt: s.text(2) ?? "",
            state: JobState(phase, page: Int(s.int(4)), batch: Int(s.int(5)), reason: s.text(6)), info: info,
            lastEventAt: s.text(8) ?? "")
    }

    // MARK: Events

    /// Appends one event; returns its sequence number.
    @discardableResult
    public func append(run: Int, type: String, payload: JSONValue, at: String) throws -> Int {
        var batch = StoreBatch()
        batch.event(type, payload, at: at)
        return try write(run: run, job: nil, batch, at: at)
    }

    /// Records a state change as an event, refusing illegal transitions; the run's state column is a
    /// cache of what the events say.
    @discardableResult
    public func transition(run: Int, to new: JobState, at: String, extra: [(String, JSONValue)] = []) throws -> Int {
        var batch = StoreBatch()
        batch.transitions.append(StoreBatch.Transition(to: new, at: at, extra: extra))
        return try write(run: run, job: nil, batch, at: at)
    }

    /// Appends events, record events and record-state updates in one transaction; returns the
    /// sequence number of the first event.
    @discardableResult
    public func commit(
        run: Int, job: String, events: [(String, JSONValue)], recordEvents: [(key: String, kind: String, payload: JSONValue)],
        updates: [RecordUpdate], at: String
    ) throws -> Int {
        var batch = StoreBatch()
        for (type, payload) in events { batch.event(type, payload, at: at) }
        for r in recordEvents { batch.recordEvent(r.key, r.kind, r.payload) }
        batch.updates = updates
        return try write(run: run, job: job, batch, at: at)
    }

    /// Commits `batch` in one transaction: its transitions (each checked against the state before
    /// it, the first against the run's stored state) as `state` events, then its events, its record
    /// events (stamped `at`, referring to the first non-state event) and its record updates.
    /// Returns the sequence number of the first non-state event, or of the last state event when
    /// there is none. `job` may be nil only when the batch has no record events or updates.
    @discardableResult
    func write(run: Int, job: String?, _ batch: StoreBatch, at: String) throws -> Int {
        try write(run: run, job: job, [(batch, at)])
    }

    /// Commits `batches` in one transaction, each written exactly as ``write(run:job:_:at:)``
    /// writes it, one after the other: the store ends up as if they had been committed one by one,
    /// at the cost of one commit. Returns what the last one's write would.
    @discardableResult
    func write(run: Int, job: String?, _ batches: [(batch: StoreBatch, at: String)]) throws -> Int {
        try locked {
            try db.transaction {
                let projection = try ConsoleProjectionWrite.begin(run: run, job: job, batches: batches, db: db)
                let rows = try db.prepare("SELECT phase, next_seq FROM runs WHERE id = ?").query([.int(Int64(run))]) { s in
                    (JobPhase(rawValue: s.text(0) ?? ""), Int(s.int(1)))
                }
                guard let (storedPhase, firstSeq) = rows.first, var from = storedPhase else { throw StoreError("no run \(run)") }
                var seq = firstSeq
                var lastAt = batches.last?.at ?? ""
                var lastState: JobState?
                var first = seq - 1
                let insert = try db.prepare("INSERT INTO events(run, seq, type, at, payload) VALUES(?, ?, ?, ?, ?)")
                func insertEvent(_ type: String, _ payload: [UInt8], _ at: String) throws {
                    try insert.run([.int(Int64(run)), .int(Int64(seq)), .text(type), .text(at), .utf8(payload)])
                    seq += 1
                    lastAt = at
                }
                for (batch, at) in batches {
                    for t in batch.transitions {
                        try StateMachine.validate(from: from, to: t.to.phase)
                        var payload: [(String, JSONValue)] = [
                            ("from", .string(from.rawValue)), ("to", .string(t.to.phase.rawValue)), ("page", .int(t.to.page)),
                            ("batch", .int(t.to.batch)),
                        ]
                        if let r = t.to.reason { payload.append(("reason", .string(r))) }
                        payload += t.extra
                        try insertEvent("state", JSONWriter.bytes(.object(payload)), t.at)
                        from = t.to.phase
                        lastState = t.to
                    }
                    first = seq - 1
                    if !batch.events.isEmpty || !batch.recordEvents.isEmpty { first = seq }
                    for e in batch.events { try insertEvent(e.type, e.payload, e.at) }
                    if batch.events.isEmpty && !batch.recordEvents.isEmpty {
                        try insertEvent("records", JSONWriter.bytes(.object([("count", .int(batch.recordEvents.count))])), at)
                    }
                    if !batch.recordEvents.isEmpty || !batch.updates.isEmpty {
                        guard let job else { throw StoreError("record events need a job") }
                        try writeRecords(run: run, job: job, seq: first, batch, at: at)
                    }
                    if let mark = batch.watermark {
                        guard let job else { throw StoreError("a high-water mark needs a job") }
                        try Self.advanceWatermark(mark, job: job, in: db)
                    }
                }
                if let last = lastState {
                    try db.prepare(
                        "UPDATE runs SET phase = ?, page = ?, batch = ?, reason = ?, next_seq = ?, last_event_at = ? WHERE id = ?"
                    )
                    .run([
                        .text(last.phase.rawValue), .int(Int64(last.page)), .int(Int64(last.batch)), .of(last.reason),
                        .int(Int64(seq)), .text(lastAt), .int(Int64(run)),
                    ])
                } else if seq != firstSeq {
                    try db.prepare("UPDATE runs SET next_seq = ?, last_event_at = ? WHERE id = ?")
                        .run([.int(Int64(seq)), .text(lastAt), .int(Int64(run))])
                }
                try projection.finish(db)
                return first
            }
        }
    }

    /// Rows per multi-row statement: SQLite's per-statement work, shared by twenty rows, costs a
    /// third less per row than one statement per row.
    static let rowsPerStatement = 20

    /// The statements for 0…``rowsPerStatement`` rows, made once.
    private static let insertRecordEventsSQL = (0...rowsPerStatement).map(insertRecordEvents)
    private static let upsertRecordsSQL = (0...rowsPerStatement).map(upsertRecords)

    /// `INSERT …` of `rows` record events.
    private static func insertRecordEvents(_ rows: Int) -> String {
        "INSERT INTO record_events(job, run, seq, key, kind, at, payload) VALUES "
            + Array(repeating: "(?, ?, ?, ?, ?, ?, ?)", count: rows).joined(separator: ", ")
    }

    /// Upsert of `rows` record states. The sent hash changes only with an acknowledged send: other
    /// updates bind it as NULL and keep the stored one.
    private static func upsertRecords(_ rows: Int) -> String {
        """
        INSERT INTO records(job, key, run, status, content_hash, sent_hash, destination_id, error_code, error, field,
          mapping_version, payload, dest_key, transient) VALUES \(Array(repeating: "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", count: rows).joined(separator: ", "))
        ON CONFLICT(job, key) DO UPDATE SET run = excluded.run, status = excluded.status,
          content_hash = coalesce(excluded.content_hash, records.content_hash),
          sent_hash = coalesce(excluded.sent_hash, records.sent_hash),
          destination_id = coalesce(excluded.destination_id, records.destination_id),
          error_code = excluded.error_code, error = excluded.error, field = excluded.field,
          mapping_version = coalesce(excluded.mapping_version, records.mapping_version),
          payload = coalesce(excluded.payload, CASE WHEN excluded.status = 'rejected' THEN records.payload END),
          dest_key = coalesce(excluded.dest_key, records.dest_key), transient = excluded.transient
        """
    }

    private func writeRecords(run: Int, job: String, seq: Int, _ batch: StoreBatch, at: String) throws {
        var arguments: [SQLValue] = []
        try Self.inChunks(batch.recordEvents) { rows in
            arguments.removeAll(keepingCapacity: true)
            for r in rows {
                // One append at a time: an array literal per row would be allocated and copied.
                arguments.append(.text(job))
                arguments.append(.int(Int64(run)))
                arguments.append(.int(Int64(seq)))
                arguments.append(.text(r.key))
                arguments.append(.text(r.kind))
                arguments.append(.text(at))
                arguments.append(.utf8(r.payload))
            }
            try db.prepare(Self.insertRecordEventsSQL[rows.count]).run(arguments)
        }
        // A key updated twice in one write goes to two statements: PostgreSQL refuses to upsert a
        // row twice in one statement, and statements in order give what one row after another does.
        try Self.inChunksOfDistinctKeys(batch.updates) { rows in
            arguments.removeAll(keepingCapacity: true)
            for u in rows {
                let s = u.state
                arguments.append(.text(job))
                arguments.append(.text(s.key))
                arguments.append(.int(Int64(s.run)))
                arguments.append(.text(s.status))
                arguments.append(.of(s.contentHash))
                arguments.append(.of(u.acknowledged ? s.sentHash : nil))
                arguments.append(.of(s.destinationId))
                arguments.append(.of(s.errorCode))
                arguments.append(.of(s.error))
                arguments.append(.of(s.field))
                arguments.append(.of(s.mappingVersion))
                arguments.append(.of(s.payload.map(JSONWriter.compact)))
                arguments.append(.of(s.destinationKey))
                arguments.append(.int(s.transient ? 1 : 0))
            }
            try db.prepare(Self.upsertRecordsSQL[rows.count]).run(arguments)
        }
    }

    /// Calls `body` with consecutive slices of `updates` of at most ``rowsPerStatement``, none of
    /// which holds a key twice.
    private static func inChunksOfDistinctKeys(_ updates: [RecordUpdate], _ body: (ArraySlice<RecordUpdate>) throws -> Void) rethrows {
        var start = 0
        var keys = Set<String>()
        for (i, u) in updates.enumerated() {
            if i - start == rowsPerStatement || keys.contains(u.state.key) {
                try body(updates[start..<i])
                start = i
                keys.removeAll(keepingCapacity: true)
            }
            keys.insert(u.state.key)
        }
        if start < updates.count { try body(updates[start...]) }
    }

    /// Calls `body` with consecutive slices of `items` of at most ``rowsPerStatement``.
    private static func inChunks<T>(_ items: [T], _ body: (ArraySlice<T>) throws -> Void) rethrows {
        var i = 0
        while i < items.count {
            let n = min(rowsPerStatement, items.count - i)
            try body(items[i..<(i + n)])
            i += n
        }
    }

    /// Every event of a run, in order.
    public func events(run: Int) throws -> [StoredEvent] {
        try locked {
            try db.prepare("SELECT run, seq, type, at, payload FROM events WHERE run = ? ORDER BY seq").query([.int(Int64(run))]) { s in
                StoredEvent(
                    run: Int(s.int(0)), seq: Int(s.int(1)), type: s.text(2) ?? "", at: s.text(3) ?? "",
                    payload: (try? JSONParser.parse(s.text(4) ?? "null")) ?? .null)
            }
        }
    }

    /// Events of the given `types`, of one run or of every run, in order (run, then sequence). With
    /// `payloads: false` each payload is `null`, which keeps scans over large `batch_sending` events
    /// cheap (observability reads only their times).
    public func events(types: [String], run: Int? = nil, payloads: Bool = true) throws -> [StoredEvent] {
        guard !types.isEmpty else { return [] }
        let marks = Array(repeating: "?", count: types.count).joined(separator: ", ")
        let payload = payloads ? "payload" : "'null'"
        var sql = "SELECT run, seq, type, at, \(payload) FROM events WHERE type IN (\(marks))"
        var args: [SQLValue] = types.map { .text($0) }
        if let run {
            sql += " AND run = ?"
            args.append(.int(Int64(run)))
        }
        sql += " ORDER BY run, seq"
        return try locked {
            try db.prepare(sql).query(args) { s in
                StoredEvent(
                    run: Int(s.int(0)), seq: Int(s.int(1)), type: s.text(2) ?? "", at: s.text(3) ?? "",
                    payload: payloads ? ((try? JSONParser.parse(s.text(4) ?? "null")) ?? .null) : .null)
            }
        }
    }

    /// The last event of `run` whose type is one of `types`, or nil.
    public func lastEvent(run: Int, types: [String]) throws -> StoredEvent? {
        guard !types.isEmpty else { return nil }
        let marks = Array(repeating: "?", count: types.count).joined(separator: ", ")
        return try locked {
            try db.prepare("SELECT run, seq, type, at, payload FROM events WHERE run = ? AND type IN (\(marks)) ORDER BY seq DESC LIMIT 1")
                .query([.int(Int64(run))] + types.map { .text($0) }) { s in
                    StoredEvent(
                        run: Int(s.int(0)), seq: Int(s.int(1)), type: s.text(2) ?? "", at: s.text(3) ?? "",
                        payload: (try? JSONParser.parse(s.text(4) ?? "null")) ?? .null)
                }.first
        }
    }

    /// The current phase a run's events imply, replaying every state event through the state machine.
    public func replayState(run: Int) throws -> JobState {
        var state = JobState.initial
        for e in try events(run: run) where e.type == "state" {
            guard let to = e.payload["to"]?.stringValue.flatMap(JobPhase.init(rawValue:)) else {
                throw StoreError("run \(run) event \(e.seq) has no valid target state")
            }
            try StateMachine.validate(from: state.phase, to: to)
            state = JobState(
                to, page: e.payload["page"]?.intValue ?? 0, batch: e.payload["batch"]?.intValue ?? 0,
                reason: e.payload["reason"]?.stringValue)
        }
        return state
    }

    /// Every event about `key` in `job`, oldest first.
    public func recordEvents(job: String, key: String) throws -> [RecordEvent] {
        try locked {
            try db.prepare("SELECT run, seq, key, kind, at, payload FROM record_events WHERE job = ? AND key = ? ORDER BY id")
                .query([.text(job), .text(key)]) { s in
                    RecordEvent(
                        run: Int(s.int(0)), seq: Int(s.int(1)), key: s.text(2) ?? "", kind: s.text(3) ?? "", at: s.text(4) ?? "",
                        payload: (try? JSONParser.parse(s.text(5) ?? "null")) ?? .null)
                }
        }
    }

    // MARK: Records

    static func recordRow(_ s: Statement) throws -> RecordState {
        RecordState(
            key: s.text(0) ?? "", run: Int(s.int(1)), status: s.text(2) ?? "", contentHash: s.text(3), sentHash: s.text(4),
            destinationId: s.text(5), errorCode: s.text(6), error: s.text(7), field: s.text(8), mappingVersion: s.text(9),
            payload: s.text(10).flatMap { try? JSONParser.parse($0) }, destinationKey: s.text(11), transient: s.int(12) != 0)
    }

    static let recordColumns =
        "key, run, status, content_hash, sent_hash, destination_id, error_code, error, field, mapping_version, payload, dest_key, transient"

    /// The latest state of one record.
    public func record(job: String, key: String) throws -> RecordState? {
        try locked {
            try db.prepare("SELECT \(Self.recordColumns) FROM records WHERE job = ? AND key = ?").query(
                [.text(job), .text(key)], Self.recordRow
            )
            .first
        }
    }

    /// The record with source key or destination key `key`.
    public func record(job: String, anyKey key: String) throws -> RecordState? {
        if let r = try record(job: job, key: key) { return r }
        return try locked {
            // A destination key equal to the record's own key was found above.
            try db.prepare("SELECT \(Self.recordColumns) FROM records WHERE job = ? AND dest_key = ? AND dest_key <> key LIMIT 1")
                .query([.text(job), .text(key)], Self.recordRow).first
        }
    }

    /// The record of `job` whose destination id is `destinationId` (webhook echo detection).
    public func record(job: String, destinationId: String) throws -> RecordState? {
        try locked {
            try db.prepare("SELECT \(Self.recordColumns) FROM records WHERE job = ? AND destination_id = ? LIMIT 1")
                .query([.text(job), .text(destinationId)], Self.recordRow).first
        }
    }

    /// Latest states of `keys` (absent keys are missing from the result).
    public func records(job: String, keys: [String]) throws -> [String: RecordState] {
        try locked {
            var out: [String: RecordState] = [:]
            let stmt = try db.prepare("SELECT \(Self.recordColumns) FROM records WHERE job = ? AND key = ?")
            for k in keys {
                if let r = try stmt.query([.text(job), .text(k)], Self.recordRow).first { out[k] = r }
                stmt.reset()
            }
            return out
        }
    }

    /// How SQLite would run `sql` (the `detail` column of `EXPLAIN QUERY PLAN`), to check that the
    /// store's questions use its indexes.
    func queryPlan(_ sql: String, _ arguments: [SQLValue] = []) throws -> [String] {
        try locked { try db.prepare("EXPLAIN QUERY PLAN " + sql).query(arguments) { $0.text(3) ?? "" } }
    }

    /// What a sync needs to know of `keys` (absent keys are missing from the result): narrow reads
    /// of up to ``rowsPerStatement`` keys each, no payloads decoded, on the reading connection.
    func syncStates(job: String, keys: [String]) throws -> [String: RecordSyncState] {
        try reading { db in
            var out: [String: RecordSyncState] = [:]
            out.reserveCapacity(keys.count)
            var arguments: [SQLValue] = []
            try Self.inChunks(keys) { chunk in
                arguments.removeAll(keepingCapacity: true)
                arguments.append(.text(job))
                for k in chunk { arguments.append(.text(k)) }
                let rows = try db.prepare(Self.selectSyncStatesSQL[chunk.count]).query(arguments) { s in
                    (
                        s.text(0) ?? "",
                        RecordSyncState(
                            run: Int(s.int(1)), status: s.text(2) ?? "", sentHash: s.text(3), contentHash: s.text(4),
                            mappingVersion: s.text(5), errorCode: s.text(6), error: s.text(7), field: s.text(8),
                            transient: s.int(9) != 0)
                    )
                }
                for (key, state) in rows { out[key] = state }
            }
            return out
        }
    }

    static let selectSyncStatesSQL = (0...rowsPerStatement).map { n in
        "SELECT key, run, status, sent_hash, content_hash, mapping_version, error_code, error, field, transient FROM records WHERE job = ? AND key IN ("
            + Array(repeating: "?", count: n).joined(separator: ", ") + ")"
    }

    /// The payloads of the `sent` record events of `keys` written with event `seq` of `run`, by key.
    func sentPayloads(job: String, run: Int, seq: Int, keys: [String]) throws -> [String: JSONValue] {
        try locked {
            var out: [String: JSONValue] = [:]
            let stmt = try db.prepare(
                "SELECT payload FROM record_events WHERE job = ? AND key = ? AND run = ? AND seq = ? AND kind = 'sent' ORDER BY id DESC LIMIT 1"
            )
            for k in keys {
                if let text = try stmt.query([.text(job), .text(k), .int(Int64(run)), .int(Int64(seq))], { $0.text(0) }).first,
                    let text, let payload = try? JSONParser.parse(text)
                {
                    out[k] = payload
                }
            }
            return out
        }
    }

    /// Whether run `run` has an event of `type` (asked on the reading connection: a runner asks it
    /// after every page, and must not wait for its own writes being committed).
    public func hasEvent(run: Int, type: String) throws -> Bool {
        try reading { db in
            !(try db.prepare("SELECT 1 FROM events WHERE run = ? AND type = ? LIMIT 1").query([.int(Int64(run)), .text(type)]) { _ in true })
                .isEmpty
        }
    }

    /// The sent hashes of `keys` (absent keys are missing from the result).
    public func sentHashes(job: String, keys: [String]) throws -> [String: String] {
        try locked {
            var out: [String: String] = [:]
            let stmt = try db.prepare("SELECT sent_hash FROM records WHERE job = ? AND key = ?")
            for k in keys {
                if let h = try stmt.query([.text(job), .text(k)], { $0.text(0) }).first, let h { out[k] = h }
                stmt.reset()
            }
            return out
        }
    }

    /// Records of `job` with `status`, ordered by key.
    public func records(job: String, status: String, limit: Int = 1_000_000) throws -> [RecordState] {
        try locked {
            // Rejected records (dead letters) have an index of their own; it applies when the query
            // names the status as that literal.
            if status == "rejected" {
                return try db.prepare(
                    "SELECT \(Self.recordColumns) FROM records WHERE job = ? AND status = 'rejected' ORDER BY key LIMIT ?"
                )
                .query([.text(job), .int(Int64(limit))], Self.recordRow)
            }
            return try db.prepare("SELECT \(Self.recordColumns) FROM records WHERE job = ? AND status = ? ORDER BY key LIMIT ?")
                .query([.text(job), .text(status), .int(Int64(limit))], Self.recordRow)
        }
    }

    /// Counts of records of `job` by status (optionally only those last touched by `run`).
    public func statusCounts(job: String, run: Int? = nil) throws -> [String: Int] {
        try locked {
            let sql =
                run == nil
                ? "SELECT status, count(*) FROM records WHERE job = ? GROUP BY status"
                : "SELECT status, count(*) FROM records WHERE job = ? AND run = ? GROUP BY status"
            var args: [SQLValue] = [.text(job)]
            if let run { args.append(.int(Int64(run))) }
            var out: [String: Int] = [:]
            for (k, v) in try db.prepare(sql).query(args, { ($0.text(0) ?? "", Int($0.int(1))) }) { out[k] = v }
            return out
        }
    }

    // MARK: Quotas

    /// Stored daily-quota usage per limiter bucket (`<platform>/<bucket>`), for status and metrics.
    public func quotaUsages() throws -> [String: QuotaUsage] {
        try locked {
            var out: [String: QuotaUsage] = [:]
            for (k, v) in try db.prepare("SELECT key, hourly FROM quota_usage").query([], { ($0.text(0) ?? "", $0.text(1) ?? "{}") }) {
                out[k] = Self.decodeUsage(v)
            }
            return out
        }
    }

    static func decodeUsage(_ text: String) -> QuotaUsage {
        var hourly: [Int: Int] = [:]
        for (k, v) in (try? JSONParser.parse(text))?.objectValue ?? [] {
            if let slot = Int(k), let n = v.intValue { hourly[slot] = n }
        }
        return QuotaUsage(hourly: hourly)
    }
}

/// Daily quotas persist in the event store, so a restart does not reset them.
extension EventStore: QuotaStore {
    public func load(_ key: String) throws -> QuotaUsage {
        try locked {
            try db.prepare("SELECT hourly FROM quota_usage WHERE key = ?").query([.text(key)]) { Self.decodeUsage($0.text(0) ?? "{}") }
                .first ?? QuotaUsage()
        }
    }

    public func save(_ usage: QuotaUsage, for key: String) throws {
        let json = JSONWriter.compact(.object(usage.hourly.sorted { $0.key < $1.key }.map { (String($0.key), .int($0.value)) }))
        try locked {
            try db.prepare("INSERT INTO quota_usage(key, hourly) VALUES(?, ?) ON CONFLICT(key) DO UPDATE SET hourly = excluded.hourly")
                .run([.text(key), .text(json)])
        }
    }
}
