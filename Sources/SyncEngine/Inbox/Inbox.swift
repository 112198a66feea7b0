import Foundation
import MapDSL

/// The durable webhook inbox: change events stored (deduplicated by platform event id) before they
/// are acknowledged, their processing state, quarantined deliveries, and the coalesced job requests
/// that triggers produce.
///
/// It lives in the event store's SQLite file (its own connection, its own tables and migration list),
/// so `mapc serve`, `mapc inbox` and `mapc replay` share it. Every method is thread-safe; writes are
/// short single transactions so acknowledgement never waits on processing.
public final class Inbox: @unchecked Sendable {
    private let db: Database
    private let lock = NSLock()
    private let clock: SyncClock
    private var listeners: [@Sendable () -> Void] = []
    /// Unauthenticated deliveries dropped from the quarantine by this process (guarded by `lock`).
    private var dropped = 0
    /// See ``unauthenticatedQuarantineLimit`` (guarded by `lock`).
    private var quarantineCap = Inbox.defaultUnauthenticatedQuarantineLimit
    /// The database path.
    public let path: String
    /// The most unauthenticated refused deliveries kept in the quarantine (default
    /// ``defaultUnauthenticatedQuarantineLimit``): beyond it the oldest is dropped, so a flood of
    /// forged requests cannot fill the disk. Authenticated deliveries are never dropped.
    public var unauthenticatedQuarantineLimit: Int {
        get { locked { quarantineCap } }
        set { locked { quarantineCap = max(1, newValue) } }
    }
    /// 10,000 deliveries of at most 8 KiB each: at most about 80 MiB.
    public static let defaultUnauthenticatedQuarantineLimit = 10_000
    /// Unauthenticated deliveries this process dropped from the quarantine to stay within
    /// ``unauthenticatedQuarantineLimit`` (the metric `mapc_webhook_quarantine_dropped_total`).
    public var droppedUnauthenticated: Int { locked { dropped } }

    /// The inbox migrations, in order; never edit one that has shipped, only append.
    static let migrations: [(String, String)] = [
        (
            "inbox_001_tables",
            """
            CREATE TABLE inbox_events(id INTEGER PRIMARY KEY, platform TEXT NOT NULL, source TEXT NOT NULL,
              event_id TEXT NOT NULL, object TEXT NOT NULL, record_id TEXT NOT NULL, kind TEXT NOT NULL,
              occurred_at TEXT NOT NULL, received_at TEXT NOT NULL, event TEXT NOT NULL,
              status TEXT NOT NULL DEFAULT 'pending', attempts INTEGER NOT NULL DEFAULT 0,
              next_attempt_at REAL NOT NULL DEFAULT 0, last_error TEXT, processed_at TEXT, outcome TEXT,
              deliveries INTEGER NOT NULL DEFAULT 1, replays INTEGER NOT NULL DEFAULT 0,
              UNIQUE(platform, source, event_id));
            CREATE INDEX inbox_events_pending ON inbox_events(status, occurred_at, id);
            CREATE INDEX inbox_events_record ON inbox_events(platform, object, record_id, status, occurred_at, id);
            CREATE TABLE inbox_quarantine(id INTEGER PRIMARY KEY, platform TEXT NOT NULL, source TEXT NOT NULL,
              received_at TEXT NOT NULL, http_status INTEGER NOT NULL, reason TEXT NOT NULL,
              authenticated INTEGER NOT NULL, content_type TEXT, body TEXT NOT NULL, body_encoding TEXT NOT NULL,
              truncated INTEGER NOT NULL, state TEXT NOT NULL DEFAULT 'quarantined', released_at TEXT);
            CREATE TABLE inbox_job_requests(job TEXT PRIMARY KEY, generation INTEGER NOT NULL, events INTEGER NOT NULL,
              last_event INTEGER, first_requested_at TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,
              next_attempt_at REAL NOT NULL DEFAULT 0, last_error TEXT);
            """
        )
    ]

    /// Opens (creating it as `create` allows) the inbox in the SQLite file at `path` and applies pending migrations.
    public init(path: String, clock: SyncClock = SystemClock(), create: StoreCreation = .withDirectory) throws {
        self.clock = clock
        if PostgresURL.isPostgres(path) {
            // Shared by every `mapc serve` writing to the server: the unique (platform, source,
            // event_id) constraint stores each delivery once whichever process receives it.
            let url = try PostgresURL(path)
            self.path = url.description
            db = try Database(postgres: url)
            try StoreCheck.checkMigrations(db, path: self.path)
            try db.migrate(Self.migrations)
            return
        }
        self.path = path
        try StoreCheck.checkFile(path, create: create)
        db = try Database(path: path)
        try StoreCheck.checkMigrations(db, path: path)
        try db.migrate(Self.migrations)
    }

    private func locked<T>(_ body: () throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body()
    }

    /// Registers a callback run (outside any lock) after new events are stored, e.g. to wake a worker.
    public func onInsert(_ listener: @escaping @Sendable () -> Void) {
        locked { listeners.append(listener) }
    }

    // MARK: Storing

    /// Stores `events` in one transaction, skipping (and counting) those already stored.
    public func insert(_ events: [ChangeEvent]) throws -> InsertResult {
        let now = clock.timestamp()
        let result: InsertResult = try locked {
            try db.transaction {
                var inserted: [Int] = []
                var duplicates = 0
                let ins = try db.prepare(
                    """
                    INSERT INTO inbox_events(platform, source, event_id, object, record_id, kind, occurred_at, received_at, event)
                    VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(platform, source, event_id) DO NOTHING
                    """)
                let dup = try db.prepare(
                    "UPDATE inbox_events SET deliveries = deliveries + 1 WHERE platform = ? AND source = ? AND event_id = ?")
                // On a shared server, every process inserts in one order, so two receiving overlapping
                // deliveries wait for each other instead of deadlocking.
                let ordered =
                    db.isPostgres ? events.sorted { ($0.platform, $0.source, $0.eventId) < ($1.platform, $1.source, $1.eventId) } : events
                for e in ordered {
                    try ins.run([
                        .text(e.platform), .text(e.source), .text(e.eventId), .text(e.object), .text(e.recordId), .text(e.kind),
                        .text(e.occurredAt), .text(now), .text(JSONWriter.compact(e.json)),
                    ])
                    if db.changes > 0 {
                        inserted.append(Int(db.lastInsertRowID))
                    } else {
                        duplicates += 1
                        try dup.run([.text(e.platform), .text(e.source), .text(e.eventId)])
                    }
                }
                return InsertResult(inserted: inserted, duplicates: duplicates)
            }
        }
        if !result.inserted.isEmpty { notify() }
        return result
    }

    private func notify() {
        let current = locked { listeners }
        for listener in current { listener() }
    }

    /// Keeps a refused delivery for inspection; returns its quarantine id.
    ///
    /// Unauthenticated bodies are cut to 8 KiB, and at most ``unauthenticatedQuarantineLimit`` of
    /// them are kept (the oldest unreleased ones go first, counted in ``droppedUnauthenticated``),
    /// so a flood of forged requests cannot fill the disk.
    @discardableResult
    public func quarantine(
        platform: String, source: String, httpStatus: Int, reason: String, authenticated: Bool, contentType: String?, body: Data
    ) throws -> Int {
        try quarantineCounting(
            platform: platform, source: source, httpStatus: httpStatus, reason: reason, authenticated: authenticated,
            contentType: contentType, body: body
        ).id
    }

    /// ``quarantine(platform:source:httpStatus:reason:authenticated:contentType:body:)``, also
    /// telling how many older unauthenticated deliveries were dropped to make room.
    public func quarantineCounting(
        platform: String, source: String, httpStatus: Int, reason: String, authenticated: Bool, contentType: String?, body: Data
    ) throws -> (id: Int, dropped: Int) {
        let limit = authenticated ? body.count : min(body.count, 8 * 1024)
        let kept = body.prefix(limit)
        let text = String(data: kept, encoding: .utf8)
        return try locked {
            try db.prepare(
                """
                INSERT INTO inbox_quarantine(platform, source, received_at, http_status, reason, authenticated, content_type,
                  body, body_encoding, truncated) VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """
            ).run([
                .text(platform), .text(source), .text(clock.timestamp()), .int(Int64(httpStatus)), .text(reason),
                .int(authenticated ? 1 : 0), .of(contentType), .text(text ?? kept.base64EncodedString()),
                .text(text == nil ? "base64" : "utf8"), .int(limit < body.count ? 1 : 0),
            ])
            let id = Int(db.lastInsertRowID)
            guard !authenticated else { return (id, 0) }
            try db.prepare(
                """
                DELETE FROM inbox_quarantine WHERE authenticated = 0 AND state = 'quarantined' AND id <= (
                  SELECT id FROM inbox_quarantine WHERE authenticated = 0 AND state = 'quarantined'
                  ORDER BY id DESC LIMIT 1 OFFSET ?)
                """
            ).run([.int(Int64(quarantineCap))])
            let removed = db.changes
            dropped += removed
            return (id, removed)
        }
    }

    // MARK: Processing

    private static let entryColumns =
        "id, event, status, received_at, attempts, last_error, processed_at, outcome, deliveries, replays"

    private static func entryRow(_ s: Statement) throws -> InboxEntry {
        let json = (try? JSONParser.parse(s.text(1) ?? "null")) ?? .null
        guard let event = ChangeEvent(json: json) else { throw StoreError("inbox event \(s.int(0)) is unreadable") }
        return InboxEntry(
            id: Int(s.int(0)), event: event, status: InboxStatus(rawValue: s.text(2) ?? "") ?? .pending,
            receivedAt: s.text(3) ?? "", attempts: Int(s.int(4)), lastError: s.text(5), processedAt: s.text(6),
            outcome: s.text(7).flatMap { try? JSONParser.parse($0) }, deliveries: Int(s.int(8)), replays: Int(s.int(9)))
    }

    /// The pending events that may be processed now: for each record, only its earliest pending event
    /// (by occurrence time, then arrival), and only when its retry time has come. Oldest first.
    public func readyHeads(limit: Int = 200) throws -> [InboxEntry] {
        let now = clock.now()
        return try locked {
            try db.prepare(
                """
                SELECT \(Self.entryColumns) FROM inbox_events e
                WHERE e.status = 'pending' AND e.next_attempt_at <= ? AND NOT EXISTS (
                  SELECT 1 FROM inbox_events p WHERE p.platform = e.platform AND p.object = e.object
                    AND p.record_id = e.record_id AND p.status = 'pending'
                    AND (p.occurred_at < e.occurred_at OR (p.occurred_at = e.occurred_at AND p.id < e.id)))
                ORDER BY e.occurred_at, e.id LIMIT ?
                """
            ).query([.double(now), .int(Int64(limit))], Self.entryRow)
        }
    }

    /// Whether entry `id` is still pending and the earliest pending event of its record (an earlier
    /// one may have arrived since ``readyHeads(limit:)`` was read).
    public func isHead(_ id: Int) throws -> Bool {
        try locked {
            !(try db.prepare(
                """
                SELECT 1 FROM inbox_events e WHERE e.id = ? AND e.status = 'pending' AND NOT EXISTS (
                  SELECT 1 FROM inbox_events p WHERE p.platform = e.platform AND p.object = e.object
                    AND p.record_id = e.record_id AND p.status = 'pending'
                    AND (p.occurred_at < e.occurred_at OR (p.occurred_at = e.occurred_at AND p.id < e.id)))
                """
            ).query([.int(Int64(id))]) { _ in true }).isEmpty
        }
    }

    /// Seconds until the earliest pending retry is due (0 when one is ready), or nil when nothing is pending.
    public func nextDue() throws -> Double? {
        let now = clock.now()
        return try locked {
            let rows = try db.prepare("SELECT min(next_attempt_at) FROM inbox_events WHERE status = 'pending'").query([]) {
                $0.isNull(0) ? nil : $0.double(0)
            }
            guard let first = rows.first, let due = first else { return nil }
            return max(0, due - now)
        }
    }

    /// Marks entry `id` processed with `decision`, and records its job requests, in one transaction.
    public func complete(_ id: Int, decision: InboxDecision) throws {
        let at = clock.timestamp()
        try locked {
            try db.transaction {
                try db.prepare(
                    "UPDATE inbox_events SET status = 'processed', processed_at = ?, outcome = ?, last_error = NULL WHERE id = ?"
                ).run([.text(at), .text(JSONWriter.compact(decision.outcome)), .int(Int64(id))])
                let request = try db.prepare(
                    """
                    INSERT INTO inbox_job_requests(job, generation, events, last_event, first_requested_at) VALUES(?, 1, 1, ?, ?)
                    ON CONFLICT(job) DO UPDATE SET generation = inbox_job_requests.generation + 1, events = inbox_job_requests.events + 1, last_event = excluded.last_event
                    """)
                for job in Set(decision.jobs).sorted() {
                    try request.run([.text(job), .int(Int64(id)), .text(at)])
                }
            }
        }
    }

    /// Records a failed processing attempt of entry `id`; it stays pending until `retryIn` seconds from now.
    public func fail(_ id: Int, error: String, retryIn: Double) throws {
        let due = clock.now() + retryIn
        try locked {
            try db.prepare("UPDATE inbox_events SET attempts = attempts + 1, last_error = ?, next_attempt_at = ? WHERE id = ?")
                .run([.text(error), .double(due), .int(Int64(id))])
        }
    }

    /// Puts entry `id` back to pending for reprocessing (an operator's replay); false when there is no such entry.
    @discardableResult
    public func requeue(_ id: Int) throws -> Bool {
        let changed: Bool = try locked {
            try db.prepare(
                """
                UPDATE inbox_events SET status = 'pending', attempts = 0, next_attempt_at = 0, last_error = NULL,
                  replays = replays + 1 WHERE id = ?
                """
            ).run([.int(Int64(id))])
            return db.changes > 0
        }
        if changed { notify() }
        return changed
    }

    // MARK: Reading

    /// One entry by id.
    public func entry(_ id: Int) throws -> InboxEntry? {
        try locked {
            try db.prepare("SELECT \(Self.entryColumns) FROM inbox_events WHERE id = ?").query([.int(Int64(id))], Self.entryRow).first
        }
    }

    /// Entries with `status` (`pending` or `processed`; all when nil), newest first.
    public func entries(status: InboxStatus? = nil, limit: Int = 1_000_000) throws -> [InboxEntry] {
        try locked {
            if let status {
                return try db.prepare("SELECT \(Self.entryColumns) FROM inbox_events WHERE status = ? ORDER BY id DESC LIMIT ?")
                    .query([.text(status.rawValue), .int(Int64(limit))], Self.entryRow)
            }
            return try db.prepare("SELECT \(Self.entryColumns) FROM inbox_events ORDER BY id DESC LIMIT ?")
                .query([.int(Int64(limit))], Self.entryRow)
        }
    }

    /// Pending events per source platform: how many, and when the oldest of them was received (one
    /// aggregate over the pending index, for `/metrics`).
    public func pendingByPlatform() throws -> [(platform: String, count: Int, oldestReceivedAt: String)] {
        try locked {
            try db.prepare("SELECT platform, count(*), min(received_at) FROM inbox_events WHERE status = 'pending' GROUP BY platform")
                .query([]) { ($0.text(0) ?? "", Int($0.int(1)), $0.text(2) ?? "") }
        }
    }

    /// Counts of events by status, plus `quarantined` deliveries and the total `deliveries` received.
    public func counts() throws -> [String: Int] {
        try locked {
            var out: [String: Int] = ["pending": 0, "processed": 0, "quarantined": 0, "deliveries": 0]
            for (status, n) in try db.prepare("SELECT status, count(*) FROM inbox_events GROUP BY status").query(
                [],
                {
                    ($0.text(0) ?? "", Int($0.int(1)))
                })
            {
                out[status] = n
            }
            out["quarantined"] =
                try db.prepare("SELECT count(*) FROM inbox_quarantine WHERE state = 'quarantined'").query([]) { Int($0.int(0)) }
                .first ?? 0
            out["deliveries"] =
                try db.prepare("SELECT coalesce(sum(deliveries), 0) FROM inbox_events").query([]) { Int($0.int(0)) }
                .first ?? 0
            return out
        }
    }

    private static func quarantineRow(_ s: Statement) -> QuarantinedDelivery {
        let text = s.text(8) ?? ""
        let body = s.text(9) == "base64" ? (Data(base64Encoded: text) ?? Data()) : Data(text.utf8)
        return QuarantinedDelivery(
            id: Int(s.int(0)), platform: s.text(1) ?? "", source: s.text(2) ?? "", receivedAt: s.text(3) ?? "",
            httpStatus: Int(s.int(4)), reason: s.text(5) ?? "", authenticated: s.int(6) != 0, contentType: s.text(7),
            body: body, truncated: s.int(10) != 0, state: s.text(11) ?? "quarantined")
    }

    private static let quarantineColumns =
        "id, platform, source, received_at, http_status, reason, authenticated, content_type, body, body_encoding, truncated, state"

    /// Quarantined deliveries not yet released, newest first.
    public func quarantined(limit: Int = 1_000_000) throws -> [QuarantinedDelivery] {
        try locked {
            try db.prepare(
                "SELECT \(Self.quarantineColumns) FROM inbox_quarantine WHERE state = 'quarantined' ORDER BY id DESC LIMIT ?"
            ).query([.int(Int64(limit))], Self.quarantineRow)
        }
    }

    /// One quarantined delivery by id.
    public func quarantinedDelivery(_ id: Int) throws -> QuarantinedDelivery? {
        try locked {
            try db.prepare("SELECT \(Self.quarantineColumns) FROM inbox_quarantine WHERE id = ?").query(
                [.int(Int64(id))], Self.quarantineRow
            ).first
        }
    }

    /// Stores the events re-parsed from quarantined delivery `id` and marks it released.
    public func release(quarantined id: Int, events: [ChangeEvent]) throws -> InsertResult {
        let result = try insert(events)
        try locked {
            try db.prepare("UPDATE inbox_quarantine SET state = 'released', released_at = ? WHERE id = ?")
                .run([.text(clock.timestamp()), .int(Int64(id))])
        }
        return result
    }

    // MARK: Job requests

    private static func requestRow(_ s: Statement) -> JobRequest {
        JobRequest(
            job: s.text(0) ?? "", generation: Int(s.int(1)), events: Int(s.int(2)),
            lastEvent: s.isNull(3) ? nil : Int(s.int(3)), attempts: Int(s.int(4)), lastError: s.text(5),
            firstRequestedAt: s.text(6) ?? "")
    }

    private static let requestColumns = "job, generation, events, last_event, attempts, last_error, first_requested_at"

    /// Every outstanding job request, oldest first.
    public func jobRequests() throws -> [JobRequest] {
        try locked {
            try db.prepare("SELECT \(Self.requestColumns) FROM inbox_job_requests ORDER BY first_requested_at, job").query(
                [], Self.requestRow)
        }
    }

    /// The requests whose retry time has come, oldest first.
    public func dueJobRequests() throws -> [JobRequest] {
        let now = clock.now()
        return try locked {
            try db.prepare(
                "SELECT \(Self.requestColumns) FROM inbox_job_requests WHERE next_attempt_at <= ? ORDER BY first_requested_at, job"
            ).query([.double(now)], Self.requestRow)
        }
    }

    /// Clears the request for `job` after a successful run, unless a trigger arrived while it ran
    /// (its generation moved on): then the request stays, so the job runs once more.
    public func finishJobRequest(job: String, generation: Int) throws {
        try locked {
            try db.prepare("DELETE FROM inbox_job_requests WHERE job = ? AND generation = ?").run([.text(job), .int(Int64(generation))])
            try db.prepare("UPDATE inbox_job_requests SET attempts = 0, last_error = NULL, next_attempt_at = 0 WHERE job = ?")
                .run([.text(job)])
        }
    }

    /// Records a failed run of `job`; its request waits `retryIn` seconds.
    public func failJobRequest(job: String, error: String, retryIn: Double) throws {
        let due = clock.now() + retryIn
        try locked {
            try db.prepare("UPDATE inbox_job_requests SET attempts = attempts + 1, last_error = ?, next_attempt_at = ? WHERE job = ?")
                .run([.text(error), .double(due), .text(job)])
        }
    }

    // MARK: Record lookups for echo suppression

    /// The source key of the record of `job` whose destination id is `destinationId`, read from the event
    /// store's record projection when it shares this file; nil when unknown.
    func sourceKey(job: String, destinationId: String) -> String? {
        locked {
            (try? db.prepare("SELECT key FROM records WHERE job = ? AND destination_id = ? LIMIT 1").query(
                [.text(job), .text(destinationId)]
            ) { $0.text(0) })?.first ?? nil
        }
    }
}
