import Foundation
import MapDSL

/// A worker's lease on one job, from ``WorkQueue/take(worker:ttl:)``.
public struct JobLease: Sendable, Hashable {
    /// The job.
    public var job: String
    /// The lease number: the fencing token every write of the job's run is checked against.
    public var lease: Int
    /// The worker holding it.
    public var worker: String
    /// When it expires unless renewed (seconds since 1970).
    public var expiresAt: Double
    /// The worker whose expired lease this one took over (nil: the job was due).
    public var tookOverFrom: String?
}

/// How a worker's turn at a job ended.
public enum WorkOutcome: Sendable, Hashable {
    /// The run completed: the job is done until it is asked for again.
    case completed(run: Int)
    /// The run paused, failed or was cancelled: it waits for an operator (fix, then enqueue again).
    case stopped(run: Int, reason: String)
    /// The job could not be run (a store or set-up failure): due again after `after` seconds.
    case retry(after: Double, reason: String)
}

/// One row of the work queue, as `mapc worker list` shows it.
public struct QueueEntry: Sendable, Hashable {
    /// The job.
    public var job: String
    /// `due`, `leased`, `done` or `stopped`.
    public var state: String
    /// When it is due (seconds since 1970).
    public var dueAt: Double
    /// The latest lease number handed out.
    public var lease: Int
    /// The worker holding it (leased only).
    public var worker: String?
    /// When the lease expires (leased only).
    public var expiresAt: Double?
    /// Turns taken since the job last completed.
    public var attempts: Int
    /// What the last turn ended with.
    public var lastOutcome: String?
}

/// The jobs due to run, shared by every `mapc worker` on one store: a job is taken with a lease
/// (`FOR UPDATE SKIP LOCKED` on PostgreSQL, so workers never wait for each other's choice), kept
/// by heartbeats, and taken over by another worker once it expires. Each lease carries a number
/// one higher than the last; the job's store writes are fenced by it (see ``WriteFence``).
///
/// Lease times are the workers' own clocks (`now`); keep them in sync (NTP). A skewed clock only
/// makes a takeover early or late: the fencing token keeps an early takeover from doing harm.
public final class WorkQueue: @unchecked Sendable {
    private let db: Database
    private let lock = NSLock()
    private let now: @Sendable () -> Double
    /// The store, as shown in messages (no password).
    public let path: String

    /// Opens the queue in the store at `location` (a SQLite file or a `postgres://` URL), migrating
    /// the store first; `now` is the wall clock in seconds since 1970.
    public init(location: String, now: @escaping @Sendable () -> Double = { Date().timeIntervalSince1970 }) throws {
        let store = try EventStore(path: location)
        path = store.path
        db = PostgresURL.isPostgres(location) ? try Database(postgres: PostgresURL(location)) : try Database(path: location)
        self.now = now
    }

    private func locked<T>(_ body: () throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body()
    }

    /// Asks for a run of `job` (an operator, a schedule, a webhook trigger): due now, or after the
    /// run under way when a worker holds it.
    public func enqueue(job: String, by: String, delay: Double = 0) throws {
        let t = now()
        try locked {
            try db.transaction { try upsertDue(job: job, by: by, at: t, delay: delay) }
        }
    }

    /// The row of `enqueue`, inside the caller's transaction.
    private func upsertDue(job: String, by: String, at t: Double, delay: Double) throws {
        let at = Self.iso(t)
        try db.prepare(
            """
            INSERT INTO worker_queue(job, state, due_at, requested_by, requested_at, updated_at) VALUES(?, 'due', ?, ?, ?, ?)
            ON CONFLICT(job) DO UPDATE SET
              again = CASE WHEN worker_queue.state = 'leased' THEN 1 ELSE 0 END,
              state = CASE WHEN worker_queue.state = 'leased' THEN 'leased' ELSE 'due' END,
              due_at = excluded.due_at, attempts = CASE WHEN worker_queue.state = 'leased' THEN worker_queue.attempts ELSE 0 END,
              requested_by = excluded.requested_by, requested_at = excluded.requested_at, updated_at = excluded.updated_at
            """
        ).run([.text(job), .double(t + max(0, delay)), .text(by), .text(at), .text(at)])
    }

    /// Enqueues every job of `schedules` whose current slot was not enqueued yet, as `by` (a
    /// worker's name); returns those it enqueued. The slot's row (unique per job and slot) is
    /// inserted in the same transaction as the queue row, so of several workers looking at the
    /// same slot at once exactly one enqueues it, and a slot is never enqueued twice. A slot that
    /// passed while no worker ran is not made up for: the current one is enqueued when one starts.
    /// Returns each job enqueued with when its slot started.
    @discardableResult
    public func enqueueDue(_ schedules: [ScheduledJob], by: String) throws -> [(job: String, slotStart: Double)] {
        let t = now()
        var enqueued: [(job: String, slotStart: Double)] = []
        for entry in schedules {
            let slot = entry.schedule.slot(at: t)
            let fresh = try locked {
                try db.transaction { () -> Bool in
                    try db.prepare(
                        """
                        INSERT INTO worker_schedule_slots(job, slot, slot_start, enqueued_by, enqueued_at) VALUES(?, ?, ?, ?, ?)
                        ON CONFLICT(job, slot) DO NOTHING
                        """
                    ).run([
                        .text(entry.job), .int(slot), .double(entry.schedule.start(of: slot)), .text(by), .text(Self.iso(t)),
                    ])
                    guard db.changes > 0 else { return false }
                    try upsertDue(job: entry.job, by: "schedule (\(by))", at: t, delay: 0)
                    // Only recent slots are kept: enough to show what ran, and the uniqueness that matters is the current one's.
                    try db.prepare("DELETE FROM worker_schedule_slots WHERE job = ? AND slot < ?").run([.text(entry.job), .int(slot - 100)])
                    return true
                }
            }
            if fresh { enqueued.append((entry.job, entry.schedule.start(of: slot))) }
        }
        return enqueued
    }

    /// The slots enqueued for `job`, oldest first: (slot, when it started, the worker that enqueued it).
    public func scheduledSlots(job: String) throws -> [(slot: Int64, start: Double, by: String)] {
        try locked {
            try db.prepare("SELECT slot, slot_start, enqueued_by FROM worker_schedule_slots WHERE job = ? ORDER BY slot").query([
                .text(job)
            ]) { s in
                (s.int(0), s.double(1), s.text(2) ?? "")
            }
        }
    }

    /// Takes the job due first (or whose lease expired first), for `ttl` seconds; nil when none is.
    public func take(worker: String, ttl: Double) throws -> JobLease? {
        let t = now()
        let at = Self.iso(t)
        return try locked {
            try db.transaction {
                let pick =
                    """
                    SELECT job, state, worker, lease FROM worker_queue
                    WHERE (state = 'due' AND due_at <= ?) OR (state = 'leased' AND expires_at < ?)
                    ORDER BY due_at, job LIMIT 1
                    """ + (db.isPostgres ? " FOR UPDATE SKIP LOCKED" : "")
                guard
                    let row = try db.prepare(pick).query(
                        [.double(t), .double(t)],
                        { s in
                            (job: s.text(0) ?? "", state: s.text(1) ?? "", worker: s.text(2), lease: Int(s.int(3)))
                        }
                    ).first
                else { return nil }
                let lease = row.lease + 1
                let previous = row.state == "leased" ? row.worker : nil
                try db.prepare(
                    """
                    UPDATE worker_queue SET state = 'leased', lease = ?, worker = ?, expires_at = ?, attempts = attempts + 1,
                      updated_at = ? WHERE job = ?
                    """
                ).run([.int(Int64(lease)), .text(worker), .double(t + ttl), .text(at), .text(row.job)])
                try db.prepare("INSERT INTO worker_leases(job, lease, worker, taken_at, took_over) VALUES(?, ?, ?, ?, ?)")
                    .run([.text(row.job), .int(Int64(lease)), .text(worker), .text(at), .of(previous)])
                return JobLease(job: row.job, lease: lease, worker: worker, expiresAt: t + ttl, tookOverFrom: previous)
            }
        }
    }

    /// Renews `lease` for `ttl` seconds from now; false when it is no longer this worker's.
    public func heartbeat(_ lease: JobLease, ttl: Double) throws -> Bool {
        let t = now()
        return try locked {
            try db.prepare(
                "UPDATE worker_queue SET expires_at = ?, updated_at = ? WHERE job = ? AND lease = ? AND state = 'leased'"
            ).run([.double(t + ttl), .text(Self.iso(t)), .text(lease.job), .int(Int64(lease.lease))])
            return db.changes > 0
        }
    }

    /// Gives `lease` back with how the turn ended; false when it was no longer this worker's (the
    /// queue is then left as the new holder has it).
    @discardableResult
    public func finish(_ lease: JobLease, _ outcome: WorkOutcome) throws -> Bool {
        let t = now()
        let (state, due, text): (String, Double, String)
        switch outcome {
        case .completed(let run): (state, due, text) = ("done", t, "run \(run) completed")
        case .stopped(let run, let reason): (state, due, text) = ("stopped", t, "run \(run): \(reason)")
        case .retry(let after, let reason): (state, due, text) = ("due", t + max(0, after), reason)
        }
        return try locked {
            try db.prepare(
                """
                UPDATE worker_queue SET state = CASE WHEN again = 1 AND ? = 'done' THEN 'due' ELSE ? END, due_at = ?,
                  worker = NULL, expires_at = NULL, again = 0, last_outcome = ?, updated_at = ?,
                  attempts = CASE WHEN ? = 'done' THEN 0 ELSE attempts END
                WHERE job = ? AND lease = ? AND state = 'leased'
                """
            ).run([
                .text(state), .text(state), .double(due), .text(String(text.prefix(2000))), .text(Self.iso(t)), .text(state),
                .text(lease.job), .int(Int64(lease.lease)),
            ])
            return db.changes > 0
        }
    }

    /// Every queued job, due first.
    public func entries() throws -> [QueueEntry] {
        try locked {
            try db.prepare(
                "SELECT job, state, due_at, lease, worker, expires_at, attempts, last_outcome FROM worker_queue ORDER BY due_at, job"
            ).query([]) { s in
                QueueEntry(
                    job: s.text(0) ?? "", state: s.text(1) ?? "", dueAt: s.double(2), lease: Int(s.int(3)), worker: s.text(4),
                    expiresAt: s.isNull(5) ? nil : s.double(5), attempts: Int(s.int(6)), lastOutcome: s.text(7))
            }
        }
    }

    /// Every lease handed out for `job`, oldest first: (lease number, worker, the worker it took over from).
    public func leases(job: String) throws -> [(lease: Int, worker: String, tookOverFrom: String?)] {
        try locked {
            try db.prepare("SELECT lease, worker, took_over FROM worker_leases WHERE job = ? ORDER BY lease").query([.text(job)]) { s in
                (Int(s.int(0)), s.text(1) ?? "", s.text(2))
            }
        }
    }

    static func iso(_ seconds: Double) -> String { Dates.formatDateTime(Int64((seconds * 1000).rounded(.down))) }

    /// `seconds` since 1970 as UTC ISO 8601, as the queue's times are shown.
    public static func timestamp(_ seconds: Double) -> String { iso(seconds) }

    /// Whether any job is due or leased (a worker run with `--until-empty` stops once none is).
    public func hasUnfinishedWork() throws -> Bool {
        try locked {
            try db.prepare("SELECT count(*) FROM worker_queue WHERE state IN ('due', 'leased')").query([]) { $0.int(0) }.first ?? 0 > 0
        }
    }

    /// The work-queue tables (a migration of the event store).
    static let migration = (
        "013_worker_queue",
        """
        CREATE TABLE IF NOT EXISTS worker_queue(job TEXT PRIMARY KEY, state TEXT NOT NULL, due_at REAL NOT NULL,
          lease INTEGER NOT NULL DEFAULT 0, worker TEXT, expires_at REAL, attempts INTEGER NOT NULL DEFAULT 0,
          again INTEGER NOT NULL DEFAULT 0, requested_by TEXT NOT NULL, requested_at TEXT NOT NULL, last_outcome TEXT,
          updated_at TEXT NOT NULL);
        CREATE INDEX IF NOT EXISTS worker_queue_due ON worker_queue(state, due_at);
        CREATE TABLE IF NOT EXISTS worker_leases(job TEXT NOT NULL, lease INTEGER NOT NULL, worker TEXT NOT NULL,
          taken_at TEXT NOT NULL, took_over TEXT, PRIMARY KEY(job, lease));
        """
    )

    /// The schedule slots workers enqueued (a migration of the event store): one row per job and
    /// slot, the primary key making a slot's enqueueing happen once across workers.
    static let scheduleMigration = (
        "014_worker_schedule_slots",
        """
        CREATE TABLE IF NOT EXISTS worker_schedule_slots(job TEXT NOT NULL, slot INTEGER NOT NULL, slot_start REAL NOT NULL,
          enqueued_by TEXT NOT NULL, enqueued_at TEXT NOT NULL, PRIMARY KEY(job, slot));
        """
    )
}
