import Foundation
import MapDSL

/// What the console knows of one run from its projection, without reading the run's events.
public struct RunStats: Sendable, Hashable {
    /// The run.
    public var run: Int
    /// Its job.
    public var job: String
    /// `sync` or `retry`.
    public var kind: String
    /// When it started.
    public var startedAt: String
    /// The phase its last state event moved it to (`created` before the first).
    public var phase: String
    /// Seconds spent in running phases up to its last state change.
    public var activeSecondsSoFar: Double
    /// When it entered the running phase it is in, if it is running.
    public var runningSince: String?
    /// When it completed, failed or was cancelled.
    public var endedAt: String?
    /// Records fetched, from its `run_completed` event.
    public var records: Int?
    /// Records rejected, from its `run_completed` event.
    public var rejected: Int?
    /// Sequence number and time of its last progress event.
    public var lastProgressSeq: Int?
    /// Time of its last progress event.
    public var lastProgressAt: String?

    /// Creates stats (the store builds them; tests may too).
    public init(
        run: Int, job: String, kind: String, startedAt: String, phase: String, activeSecondsSoFar: Double, runningSince: String?,
        endedAt: String?, records: Int?, rejected: Int?, lastProgressSeq: Int?, lastProgressAt: String?
    ) {
        self.run = run
        self.job = job
        self.kind = kind
        self.startedAt = startedAt
        self.phase = phase
        self.activeSecondsSoFar = activeSecondsSoFar
        self.runningSince = runningSince
        self.endedAt = endedAt
        self.records = records
        self.rejected = rejected
        self.lastProgressSeq = lastProgressSeq
        self.lastProgressAt = lastProgressAt
    }

    /// Active seconds at `now`: the time so far plus the running phase it is in.
    public func activeSeconds(at now: Date) -> Double {
        guard let since = runningSince, let start = Dates.parseISODateTime(Substring(since)) else { return activeSecondsSoFar }
        return activeSecondsSoFar + max(0, now.timeIntervalSince1970 - Double(start) / 1000)
    }
}

/// Rejected records of one code and field, counted.
public struct FailureGroup: Sendable, Hashable {
    /// The platform's (or the validator's) error code; nil when the rejection had none.
    public var code: String?
    /// The field it blames; nil when it named none.
    public var field: String?
    /// Records rejected so now.
    public var count: Int
    /// The message of one of them.
    public var message: String

    /// Creates a group.
    public init(code: String?, field: String?, count: Int, message: String) {
        self.code = code
        self.field = field
        self.count = count
        self.message = message
    }

    /// The filter that selects this group's records.
    public var filter: RejectedFilter { RejectedFilter(code: code ?? "", field: field ?? "") }
}

/// Which rejected records to list: by error code and field (`""` for none), and by key prefix.
public struct RejectedFilter: Sendable, Hashable {
    /// Only this error code (`""`: records with none); nil for any.
    public var code: String?
    /// Only this field (`""`: records with none); nil for any.
    public var field: String?
    /// Only keys that start with this text; nil or empty for any.
    public var keyPrefix: String?

    /// Creates a filter; no arguments select every rejected record.
    public init(code: String? = nil, field: String? = nil, keyPrefix: String? = nil) {
        self.code = code
        self.field = field
        self.keyPrefix = keyPrefix
    }

    /// The filter as recorded in a retry run's information.
    public var json: JSONValue {
        var members: [(String, JSONValue)] = []
        if let code { members.append(("code", .string(code))) }
        if let field { members.append(("field", .string(field))) }
        if let keyPrefix, !keyPrefix.isEmpty { members.append(("keyPrefix", .string(keyPrefix))) }
        return .object(members)
    }

    /// Whether `record` (a rejected one) passes.
    public func matches(_ record: RecordState) -> Bool {
        if let code, (record.errorCode ?? "") != code { return false }
        if let field, (record.field ?? "") != field { return false }
        if let keyPrefix, !keyPrefix.isEmpty, !record.key.hasPrefix(keyPrefix) { return false }
        return true
    }
}

/// One monotonic counter of the console's projection: a family (`records`, `rate_limited`,
/// `rate_limit_wait`, `retries`, `alerts`, `batch_latency_bucket`, `batch_latency_ms_sum`,
/// `batch_latency_count`), a job and one label (outcome, platform, condition or bucket index).
public struct ConsoleCounter: Sendable, Hashable {
    /// The family.
    public var family: String
    /// The job.
    public var job: String
    /// The label value.
    public var label: String
    /// The count (or sum).
    public var value: Double
}

/// A job's latest completed sync run.
public struct JobSuccess: Sendable, Hashable {
    /// The job.
    public var job: String
    /// The run.
    public var run: Int
    /// When it completed.
    public var at: String
}

extension EventStore {
    /// Upper bounds (seconds) of the batch latency buckets counted in ``ConsoleCounter``s.
    public static var latencyBounds: [Double] { ConsoleProjections.latencyBounds }

    /// Runs `body` with a reader over one consistent snapshot of the store (a read transaction on
    /// the reading connection). The reader is valid only inside `body`; other store methods must not
    /// be called from it.
    public func read<T>(_ body: (StoreReader) throws -> T) throws -> T {
        try reading { db in
            try db.prepare("BEGIN DEFERRED").run()
            defer { try? db.prepare("COMMIT").run() }
            return try body(StoreReader(db: db))
        }
    }

    /// Empties the console's projections and computes them again from the history (for checks and
    /// for a store whose projections are suspect); the store's other tables are not touched.
    public func rebuildConsoleProjections() throws {
        try locked { try db.transaction { try ConsoleProjections.rebuild(db) } }
    }
}

/// Reads for the operator console and `/metrics`, inside one read transaction (``EventStore/read(_:)``):
/// runs, the console's projections, pages of rejected records and of a run's events.
public struct StoreReader {
    let db: Database

    static let runColumns = "id, job, started_at, phase, page, batch, reason, info, last_event_at"

    /// The latest run of every job, by job name.
    public func latestRuns() throws -> [RunSummary] {
        try db.prepare("SELECT \(Self.runColumns) FROM runs WHERE id IN (SELECT max(id) FROM runs GROUP BY job) ORDER BY job")
            .query([], EventStore.runRow)
    }

    /// The latest run of `job`.
    public func latestRun(job: String) throws -> RunSummary? {
        try db.prepare("SELECT \(Self.runColumns) FROM runs WHERE job = ? ORDER BY id DESC LIMIT 1").query([.text(job)], EventStore.runRow)
            .first
    }

    /// A run by id.
    public func run(_ id: Int) throws -> RunSummary? {
        try db.prepare("SELECT \(Self.runColumns) FROM runs WHERE id = ?").query([.int(Int64(id))], EventStore.runRow).first
    }

    private static let statsColumns =
        "run, job, kind, started_at, phase, active_ms, running_since, ended_at, records, rejected, last_progress_seq, last_progress_at"

    private static func statsRow(_ s: Statement) throws -> RunStats {
        RunStats(
            run: Int(s.int(0)), job: s.text(1) ?? "", kind: s.text(2) ?? "sync", startedAt: s.text(3) ?? "", phase: s.text(4) ?? "created",
            activeSecondsSoFar: Double(s.int(5)) / 1000, runningSince: s.text(6), endedAt: s.text(7),
            records: s.isNull(8) ? nil : Int(s.int(8)), rejected: s.isNull(9) ? nil : Int(s.int(9)),
            lastProgressSeq: s.isNull(10) ? nil : Int(s.int(10)), lastProgressAt: s.text(11))
    }

    /// The projection of one run (nil for a run that has only started: nothing was written since).
    public func runStats(run: Int) throws -> RunStats? {
        try db.prepare("SELECT \(Self.statsColumns) FROM console_runs WHERE run = ?").query([.int(Int64(run))], Self.statsRow).first
    }

    /// Runs of `job`, newest first: all, or only those of `kind` and `phase`, before run `before`.
    public func runHistory(
        job: String, kind: String? = nil, phase: String? = nil, before: Int? = nil, limit: Int, offset: Int = 0
    ) throws -> [RunStats] {
        var sql = "SELECT \(Self.statsColumns) FROM console_runs WHERE job = ?"
        var args: [SQLValue] = [.text(job)]
        if let kind {
            sql += " AND kind = ?"
            args.append(.text(kind))
        }
        if let phase {
            sql += " AND phase = ?"
            args.append(.text(phase))
        }
        if let before {
            sql += " AND run < ?"
            args.append(.int(Int64(before)))
        }
        sql += " ORDER BY run DESC LIMIT ? OFFSET ?"
        args += [.int(Int64(max(0, limit))), .int(Int64(max(0, offset)))]
        return try db.prepare(sql).query(args, Self.statsRow)
    }

    /// How many runs `job` has.
    public func runCount(job: String) throws -> Int {
        try db.prepare("SELECT count(*) FROM runs WHERE job = ?").query([.text(job)]) { Int($0.int(0)) }.first ?? 0
    }

    /// Records of `job` whose latest outcome came from run `run`, by status.
    public func recordCounts(job: String, run: Int) throws -> [String: Int] {
        var out: [String: Int] = [:]
        for (status, n) in try db.prepare("SELECT status, n FROM console_record_counts WHERE job = ? AND run = ? AND n <> 0").query(
            [.text(job), .int(Int64(run))], { ($0.text(0) ?? "", Int($0.int(1))) })
        {
            out[status] = n
        }
        return out
    }

    /// Records of `job` by their latest status.
    public func recordTotals(job: String) throws -> [String: Int] {
        var out: [String: Int] = [:]
        for (status, n) in try db.prepare("SELECT status, n FROM console_record_totals WHERE job = ? AND n <> 0").query(
            [.text(job)], { ($0.text(0) ?? "", Int($0.int(1))) })
        {
            out[status] = n
        }
        return out
    }

    /// Rejected records of `job` by error code and field, largest group first.
    public func failureGroups(job: String) throws -> [FailureGroup] {
        try db.prepare("SELECT code, field, n, message FROM console_failure_groups WHERE job = ? AND n > 0 ORDER BY n DESC, code, field")
            .query([.text(job)]) { s in
                let code = s.text(0) ?? ""
                let field = s.text(1) ?? ""
                return FailureGroup(
                    code: code.isEmpty ? nil : code, field: field.isEmpty ? nil : field, count: Int(s.int(2)), message: s.text(3) ?? "")
            }
    }

    /// Every counter of the console's projection.
    public func counters() throws -> [ConsoleCounter] {
        try db.prepare("SELECT family, job, label, value FROM console_counters ORDER BY family, job, label").query([]) { s in
            ConsoleCounter(family: s.text(0) ?? "", job: s.text(1) ?? "", label: s.text(2) ?? "", value: s.double(3))
        }
    }

    /// Each job's latest completed sync run.
    public func lastSuccesses() throws -> [JobSuccess] {
        try db.prepare("SELECT job, last_success_run, last_success_at FROM console_jobs ORDER BY job").query([]) { s in
            JobSuccess(job: s.text(0) ?? "", run: Int(s.int(1)), at: s.text(2) ?? "")
        }
    }

    private func rejectedWhere(job: String, _ filter: RejectedFilter) -> (String, [SQLValue]) {
        var sql = "FROM records WHERE job = ? AND status = 'rejected'"
        var args: [SQLValue] = [.text(job)]
        if let code = filter.code {
            sql += " AND coalesce(error_code, '') = ?"
            args.append(.text(code))
        }
        if let field = filter.field {
            sql += " AND coalesce(field, '') = ?"
            args.append(.text(field))
        }
        if let prefix = filter.keyPrefix, !prefix.isEmpty {
            sql += " AND key >= ? AND key < ?"
            args += [.text(prefix), .text(prefix + "\u{10FFFF}")]
        }
        return (sql, args)
    }

    /// A page of the rejected records of `job` that pass `filter`, ordered by key.
    public func rejected(job: String, filter: RejectedFilter = RejectedFilter(), limit: Int, offset: Int = 0) throws -> [RecordState] {
        let (clause, args) = rejectedWhere(job: job, filter)
        return try db.prepare("SELECT \(EventStore.recordColumns) \(clause) ORDER BY key LIMIT ? OFFSET ?")
            .query(args + [.int(Int64(max(0, limit))), .int(Int64(max(0, offset)))], EventStore.recordRow)
    }

    /// How many rejected records of `job` pass `filter`.
    public func rejectedCount(job: String, filter: RejectedFilter = RejectedFilter()) throws -> Int {
        let (clause, args) = rejectedWhere(job: job, filter)
        return try db.prepare("SELECT count(*) \(clause)").query(args) { Int($0.int(0)) }.first ?? 0
    }

    /// A page of the events of `run` (only `types`, when given), newest first. `batch_sending`
    /// payloads (every record of the batch) are left out: their payload is `null`.
    public func events(run: Int, types: [String]? = nil, limit: Int, offset: Int = 0) throws -> [StoredEvent] {
        var sql = "SELECT run, seq, type, at, CASE WHEN type = 'batch_sending' THEN 'null' ELSE payload END FROM events WHERE run = ?"
        var args: [SQLValue] = [.int(Int64(run))]
        if let types {
            guard !types.isEmpty else { return [] }
            sql += " AND type IN (" + Array(repeating: "?", count: types.count).joined(separator: ", ") + ")"
            args += types.map { .text($0) }
        }
        sql += " ORDER BY seq DESC LIMIT ? OFFSET ?"
        args += [.int(Int64(max(0, limit))), .int(Int64(max(0, offset)))]
        return try db.prepare(sql).query(args) { s in
            StoredEvent(
                run: Int(s.int(0)), seq: Int(s.int(1)), type: s.text(2) ?? "", at: s.text(3) ?? "",
                payload: (try? JSONParser.parse(s.text(4) ?? "null")) ?? .null)
        }
    }

    /// Events of `run` by type.
    public func eventTypes(run: Int) throws -> [String: Int] {
        var out: [String: Int] = [:]
        for (type, n) in try db.prepare("SELECT type, count(*) FROM events WHERE run = ? GROUP BY type").query(
            [.int(Int64(run))], { ($0.text(0) ?? "", Int($0.int(1))) })
        {
            out[type] = n
        }
        return out
    }

    /// Stored daily-quota usage per limiter bucket (`<platform>/<bucket>`).
    public func quotaUsages() throws -> [String: QuotaUsage] {
        var out: [String: QuotaUsage] = [:]
        for (k, v) in try db.prepare("SELECT key, hourly FROM quota_usage").query([], { ($0.text(0) ?? "", $0.text(1) ?? "{}") }) {
            out[k] = EventStore.decodeUsage(v)
        }
        return out
    }
}
