import Foundation
import MapDSL

/// The operator console's projections: small tables kept up to date in the same transaction as the
/// events they derive from, so a dashboard page or a `/metrics` scrape reads a few rows instead of
/// the history.
///
/// | table | one row per | holds |
/// |---|---|---|
/// | `console_runs` | run | kind, phase, active time, records and rejections at completion, last progress event, the open batch |
/// | `console_record_counts` | job, run, status | records whose latest outcome came from that run (what `records` says, counted) |
/// | `console_record_totals` | job, status | the same over all runs |
/// | `console_failure_groups` | job, error code, field | rejected records now, with a sample message |
/// | `console_counters` | family, job, label | monotonic counters: record outcomes, rate-limit answers and waits, retries, alerts, batch latency |
/// | `console_jobs` | job | the latest completed sync run and when it completed |
///
/// The write path calls ``ConsoleProjectionWrite/begin(run:job:batches:db:)`` before it writes and
/// ``ConsoleProjectionWrite/finish(_:)`` after, inside its transaction. Events are read back with the
/// sequence numbers they got and folded by ``RunProjection``, the same code the backfill runs over a
/// store's whole history, so a rebuilt projection equals the maintained one.
enum ConsoleProjections {
    /// The migration's name in the `migrations` table (append-only, like every migration).
    static let migrationName = "console_001_projections"

    /// Upper bounds (seconds) of the batch latency histogram; observations above the last one fall
    /// in the overflow bucket. Changing them needs a new migration that rebuilds the counters.
    public static let latencyBounds: [Double] = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300]

    /// Event types that show a run moving (the wedge detector's notion of progress).
    static let progressTypes: Set<String> = [
        "run_started", "state", "page_fetched", "batch_sending", "batch_acked", "checkpoint", "reconcile", "resumed", "records",
        "run_completed",
    ]

    /// Event types whose payload the projections read; others are folded from type and time alone.
    static let payloadTypes = ["state", "run_completed", "rate_limited", "retry", "alert_sent"]

    /// Record event kinds that are an outcome (`result` carries the platform's status).
    static let outcomeKinds: Set<String> = ["skipped", "rejected", "unchanged", "result"]

    static let schema = """
        CREATE TABLE console_runs(run INTEGER PRIMARY KEY, job TEXT NOT NULL, kind TEXT NOT NULL, started_at TEXT NOT NULL,
          source TEXT NOT NULL, destination TEXT NOT NULL, phase TEXT NOT NULL, active_ms INTEGER NOT NULL DEFAULT 0,
          running_since TEXT, ended_at TEXT, records INTEGER, rejected INTEGER, last_progress_seq INTEGER,
          last_progress_at TEXT, sending_at TEXT);
        CREATE INDEX console_runs_job ON console_runs(job, kind, phase, run);
        CREATE TABLE console_record_counts(job TEXT NOT NULL, run INTEGER NOT NULL, status TEXT NOT NULL, n INTEGER NOT NULL,
          PRIMARY KEY(job, run, status)) WITHOUT ROWID;
        CREATE TABLE console_record_totals(job TEXT NOT NULL, status TEXT NOT NULL, n INTEGER NOT NULL,
          PRIMARY KEY(job, status)) WITHOUT ROWID;
        CREATE TABLE console_failure_groups(job TEXT NOT NULL, code TEXT NOT NULL, field TEXT NOT NULL, n INTEGER NOT NULL,
          message TEXT NOT NULL, PRIMARY KEY(job, code, field)) WITHOUT ROWID;
        CREATE TABLE console_counters(family TEXT NOT NULL, job TEXT NOT NULL, label TEXT NOT NULL, value REAL NOT NULL,
          PRIMARY KEY(family, job, label)) WITHOUT ROWID;
        CREATE TABLE console_jobs(job TEXT PRIMARY KEY, last_success_run INTEGER NOT NULL, last_success_at TEXT NOT NULL);
        CREATE INDEX records_rejected_group ON records(job, coalesce(error_code, ''), coalesce(field, ''), key)
          WHERE status = 'rejected';
        """

    /// Creates the tables and fills them from the store's history, once, in one transaction
    /// (checked inside it, so two processes opening the same file never apply it twice).
    static func migrate(_ db: Database) throws {
        try db.transaction {
            // On a server, two processes opening a new store at once would both find it missing and
            // both create the tables: the second waits here for the first's transaction instead.
            if db.isPostgres { _ = try db.prepare("SELECT pg_advisory_xact_lock(hashtext(current_schema()))").query([]) { _ in true } }
            let done = try db.prepare("SELECT 1 FROM migrations WHERE name = ?").query([.text(migrationName)]) { _ in true }
            guard done.isEmpty else { return }
            try db.exec(schema)
            try backfill(db)
            try db.prepare("INSERT INTO migrations(name, applied_at) VALUES(?, datetime('now'))").run([.text(migrationName)])
        }
    }

    /// Empties the projections and computes them again from the events and records (inside the
    /// caller's transaction).
    static func rebuild(_ db: Database) throws {
        for table in [
            "console_runs", "console_record_counts", "console_record_totals", "console_failure_groups", "console_counters", "console_jobs",
        ] {
            try db.exec("DELETE FROM \(table)")
        }
        try backfill(db)
    }

    /// Computes every projection from the history: record tallies from `records`, outcome counters
    /// from `record_events`, and the rest by folding each run's events through ``RunProjection``.
    private static func backfill(_ db: Database) throws {
        try db.exec(
            """
            INSERT INTO console_record_counts(job, run, status, n) SELECT job, run, status, count(*) FROM records GROUP BY job, run, status;
            INSERT INTO console_record_totals(job, status, n) SELECT job, status, count(*) FROM records GROUP BY job, status;
            INSERT INTO console_failure_groups(job, code, field, n, message)
              SELECT job, coalesce(error_code, ''), coalesce(field, ''), count(*), coalesce(max(error), '') FROM records
              WHERE status = 'rejected' GROUP BY job, coalesce(error_code, ''), coalesce(field, '');
            INSERT INTO console_counters(family, job, label, value)
              SELECT 'records', job, outcome, count(*) FROM (
                SELECT job, CASE kind WHEN 'result' THEN coalesce(json_extract(payload, '$.status'), 'unknown') ELSE kind END AS outcome
                FROM record_events WHERE kind IN ('skipped', 'rejected', 'unchanged', 'result'))
              GROUP BY job, outcome;
            """)
        var effects = ProjectionEffects()
        var runs: [Int: RunProjection] = [:]
        for (id, job, startedAt, info) in try db.prepare("SELECT id, job, started_at, info FROM runs ORDER BY id").query(
            [],
            {
                (Int($0.int(0)), $0.text(1) ?? "", $0.text(2) ?? "", $0.text(3) ?? "{}")
            })
        {
            runs[id] = RunProjection(run: id, job: job, startedAt: startedAt, info: (try? JSONParser.parse(info)) ?? .null)
        }
        let marks = payloadTypes.map { "'\($0)'" }.joined(separator: ", ")
        let events = try db.prepare(
            "SELECT run, seq, type, at, CASE WHEN type IN (\(marks)) THEN payload END FROM events ORDER BY run, seq"
        ).query([]) { s in (Int(s.int(0)), Int(s.int(1)), s.text(2) ?? "", s.text(3) ?? "", s.text(4)) }
        for (run, seq, type, at, payload) in events {
            guard runs[run] != nil else { continue }
            runs[run]!.apply(seq: seq, type: type, at: at, payload: payload.flatMap { try? JSONParser.parse($0) }, into: &effects)
        }
        for run in runs.values.sorted(by: { $0.run < $1.run }) { try run.save(db) }
        try effects.save(db)
    }
}

/// The console's view of one run, folded from its events in order.
struct RunProjection {
    var run: Int
    var job: String
    var kind: String
    var startedAt: String
    /// The source and destination platform (the part before the dot of `hubspot.contact`).
    var source: String
    var destination: String
    var phase = "created"
    var activeMillis: Int64 = 0
    var runningSince: String?
    var endedAt: String?
    var records: Int?
    var rejected: Int?
    var lastProgressSeq: Int?
    var lastProgressAt: String?
    /// When the batch now waiting for its answer was sent (or re-sent).
    var sendingAt: String?

    /// A run that has only started, from its `runs` row.
    init(run: Int, job: String, startedAt: String, info: JSONValue) {
        self.run = run
        self.job = job
        self.startedAt = startedAt
        kind = info["kind"]?.stringValue ?? "sync"
        func platform(_ side: String) -> String {
            let qualified = info[side]?.stringValue ?? "unknown"
            return qualified.split(separator: ".").first.map(String.init) ?? qualified
        }
        source = platform("source")
        destination = platform("destination")
    }

    static let running: Set<String> = ["fetching", "mapping", "validating", "uploading"]
    static let finished: Set<String> = ["completed", "failed", "cancelled"]

    static func millis(_ at: String) -> Int64? { Dates.parseISODateTime(Substring(at)) }

    /// Folds one event: `payload` is given for ``ConsoleProjections/payloadTypes`` only.
    mutating func apply(seq: Int, type: String, at: String, payload: JSONValue?, into effects: inout ProjectionEffects) {
        if ConsoleProjections.progressTypes.contains(type) {
            lastProgressSeq = seq
            lastProgressAt = at
        }
        switch type {
        case "state":
            guard let to = payload?["to"]?.stringValue else { return }
            if let since = runningSince, let from = Self.millis(since), let now = Self.millis(at) {
                activeMillis += max(0, now - from)
            }
            runningSince = Self.running.contains(to) ? at : nil
            phase = to
            if Self.finished.contains(to) { endedAt = at }
            if to == "completed", kind == "sync", run >= (effects.success[job]?.0 ?? 0) { effects.success[job] = (run, at) }
        case "run_completed":
            records = payload?["counts"]?["fetched"]?.intValue
            rejected = payload?["counts"]?["rejected"]?.intValue
        case "rate_limited":
            let platform = platform(doing: payload?["while"]?.stringValue)
            effects.add("rate_limited", job, platform, 1)
            effects.add("rate_limit_wait", job, platform, payload?["wait"]?.doubleValue ?? 0)
        case "retry":
            effects.add("retries", job, platform(doing: payload?["while"]?.stringValue), 1)
        case "alert_sent":
            effects.add("alerts", job, payload?["condition"]?.stringValue ?? "unknown", 1)
        case "batch_sending", "reconcile":
            sendingAt = at
        case "batch_acked":
            if let sent = sendingAt, let from = Self.millis(sent), let now = Self.millis(at) {
                let ms = max(0, now - from)
                let seconds = Double(ms) / 1000
                let bucket = ConsoleProjections.latencyBounds.firstIndex { seconds <= $0 } ?? ConsoleProjections.latencyBounds.count
                effects.add("batch_latency_bucket", job, String(bucket), 1)
                effects.add("batch_latency_ms_sum", job, "", Double(ms))
                effects.add("batch_latency_count", job, "", 1)
            }
            sendingAt = nil
        default:
            break
        }
    }

    /// The platform an event concerns: the source while fetching, the destination otherwise.
    func platform(doing: String?) -> String {
        doing?.hasPrefix("fetching") == true ? source : destination
    }

    static let columns =
        "run, job, kind, started_at, source, destination, phase, active_ms, running_since, ended_at, records, rejected, last_progress_seq, last_progress_at, sending_at"

    /// Reads the stored projection of `run`, or nil.
    static func load(run: Int, _ db: Database) throws -> RunProjection? {
        try db.prepare("SELECT \(columns) FROM console_runs WHERE run = ?").query([.int(Int64(run))]) { s in
            var r = RunProjection(run: Int(s.int(0)), job: s.text(1) ?? "", startedAt: s.text(3) ?? "", info: .null)
            r.kind = s.text(2) ?? "sync"
            r.source = s.text(4) ?? "unknown"
            r.destination = s.text(5) ?? "unknown"
            r.phase = s.text(6) ?? "created"
            r.activeMillis = s.int(7)
            r.runningSince = s.text(8)
            r.endedAt = s.text(9)
            r.records = s.isNull(10) ? nil : Int(s.int(10))
            r.rejected = s.isNull(11) ? nil : Int(s.int(11))
            r.lastProgressSeq = s.isNull(12) ? nil : Int(s.int(12))
            r.lastProgressAt = s.text(13)
            r.sendingAt = s.text(14)
            return r
        }.first
    }

    /// Writes this projection, replacing the stored one.
    func save(_ db: Database) throws {
        try db.prepare("INSERT OR REPLACE INTO console_runs(\(Self.columns)) VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)").run([
            .int(Int64(run)), .text(job), .text(kind), .text(startedAt), .text(source), .text(destination), .text(phase),
            .int(activeMillis), .of(runningSince), .of(endedAt), .of(records), .of(rejected), .of(lastProgressSeq), .of(lastProgressAt),
            .of(sendingAt),
        ])
    }
}

/// Counter increments and completed syncs gathered while folding events, written in one go.
struct ProjectionEffects {
    struct CounterKey: Hashable {
        var family: String
        var job: String
        var label: String
    }

    var counters: [CounterKey: Double] = [:]
    /// The latest completed sync run per job, and when it completed.
    var success: [String: (Int, String)] = [:]

    mutating func add(_ family: String, _ job: String, _ label: String, _ amount: Double) {
        counters[CounterKey(family: family, job: job, label: label), default: 0] += amount
    }

    func save(_ db: Database) throws {
        let counter = try db.prepare(
            "INSERT INTO console_counters(family, job, label, value) VALUES(?, ?, ?, ?) ON CONFLICT(family, job, label) DO UPDATE SET value = console_counters.value + excluded.value"
        )
        for (key, amount) in counters.sorted(by: { ($0.key.family, $0.key.job, $0.key.label) < ($1.key.family, $1.key.job, $1.key.label) })
        {
            try counter.run([.text(key.family), .text(key.job), .text(key.label), .double(amount)])
        }
        let success = try db.prepare(
            """
            INSERT INTO console_jobs(job, last_success_run, last_success_at) VALUES(?, ?, ?) ON CONFLICT(job) DO UPDATE SET
              last_success_run = excluded.last_success_run, last_success_at = excluded.last_success_at
              WHERE excluded.last_success_run >= console_jobs.last_success_run
            """)
        for (job, (run, at)) in self.success.sorted(by: { $0.key < $1.key }) {
            try success.run([.text(job), .int(Int64(run)), .text(at)])
        }
    }
}

/// Where a record stands in the projections: the run that last touched it, its status and, when
/// rejected, its error code and field.
struct RecordPosition: Equatable {
    var run: Int
    var status: String
    var code: String
    var field: String
}

/// The projections' share of one write transaction of ``EventStore``: it reads what the write is
/// about to change (the records' current positions, the run's next sequence number) before the
/// write, and folds the written events and record changes in after it.
struct ConsoleProjectionWrite {
    private let run: Int
    private let job: String?
    private let firstSeq: Int
    private let batches: [(batch: StoreBatch, at: String)]
    private var positions: [String: RecordPosition]

    /// Keys per position query.
    private static let keysPerQuery = 50
    private static let positionSQL = (0...keysPerQuery).map { n in
        "SELECT key, run, status, error_code, field FROM records WHERE job = ? AND key IN ("
            + Array(repeating: "?", count: n).joined(separator: ", ") + ")"
    }

    /// Reads, inside the write's transaction and before anything is written, where the records the
    /// batches update stand now.
    static func begin(run: Int, job: String?, batches: [(batch: StoreBatch, at: String)], db: Database) throws
        -> ConsoleProjectionWrite
    {
        let next = try db.prepare("SELECT next_seq FROM runs WHERE id = ?").query([.int(Int64(run))]) { Int($0.int(0)) }.first ?? 1
        var positions: [String: RecordPosition] = [:]
        if let job {
            var keys: [String] = []
            var seen = Set<String>()
            for (batch, _) in batches {
                for u in batch.updates where seen.insert(u.state.key).inserted { keys.append(u.state.key) }
            }
            positions.reserveCapacity(keys.count)
            var arguments: [SQLValue] = []
            var i = 0
            while i < keys.count {
                let n = min(keysPerQuery, keys.count - i)
                arguments.removeAll(keepingCapacity: true)
                arguments.append(.text(job))
                for k in keys[i..<(i + n)] { arguments.append(.text(k)) }
                for (key, position) in try db.prepare(positionSQL[n]).query(
                    arguments,
                    {
                        (
                            $0.text(0) ?? "",
                            RecordPosition(run: Int($0.int(1)), status: $0.text(2) ?? "", code: $0.text(3) ?? "", field: $0.text(4) ?? "")
                        )
                    })
                {
                    positions[key] = position
                }
                i += n
            }
        }
        return ConsoleProjectionWrite(run: run, job: job, firstSeq: next, batches: batches, positions: positions)
    }

    /// Folds what the write did into the projections (still inside its transaction).
    func finish(_ db: Database) throws {
        var effects = ProjectionEffects()
        if let job { try foldRecords(job: job, db, &effects) }
        let marks = ConsoleProjections.payloadTypes.map { "'\($0)'" }.joined(separator: ", ")
        let events = try db.prepare(
            "SELECT seq, type, at, CASE WHEN type IN (\(marks)) THEN payload END FROM events WHERE run = ? AND seq >= ? ORDER BY seq"
        ).query([.int(Int64(run)), .int(Int64(firstSeq))]) { s in (Int(s.int(0)), s.text(1) ?? "", s.text(2) ?? "", s.text(3)) }
        if !events.isEmpty {
            var projection = try RunProjection.load(run: run, db) ?? fresh(db)
            for (seq, type, at, payload) in events {
                projection.apply(seq: seq, type: type, at: at, payload: payload.flatMap { try? JSONParser.parse($0) }, into: &effects)
            }
            try projection.save(db)
        }
        try effects.save(db)
    }

    /// The projection of a run that has only its `run_started` event.
    private func fresh(_ db: Database) throws -> RunProjection {
        let row = try db.prepare("SELECT job, started_at, info FROM runs WHERE id = ?").query([.int(Int64(run))]) {
            ($0.text(0) ?? "", $0.text(1) ?? "", $0.text(2) ?? "{}")
        }.first
        guard let (job, startedAt, info) = row else { throw StoreError("no run \(run)") }
        var projection = RunProjection(run: run, job: job, startedAt: startedAt, info: (try? JSONParser.parse(info)) ?? .null)
        projection.lastProgressSeq = 1
        projection.lastProgressAt = startedAt
        return projection
    }

    /// Record tallies, failure groups and outcome counters from the batches' record changes, applied
    /// in order over the positions read before the write (an update replaces run, status, code and
    /// field, as the records upsert does).
    private func foldRecords(job: String, _ db: Database, _ effects: inout ProjectionEffects) throws {
        struct RunStatus: Hashable {
            var run: Int
            var status: String
        }
        struct Group: Hashable {
            var code: String
            var field: String
        }
        var counts: [RunStatus: Int] = [:]
        var totals: [String: Int] = [:]
        var groups: [Group: Int] = [:]
        var messages: [Group: String] = [:]
        var positions = self.positions
        for (batch, _) in batches {
            var resultStatus: [String: String] = [:]
            for u in batch.updates {
                let s = u.state
                let now = RecordPosition(run: s.run, status: s.status, code: s.errorCode ?? "", field: s.field ?? "")
                let before = positions[s.key]
                positions[s.key] = now
                resultStatus[s.key] = s.status
                if before == now { continue }
                if let before {
                    if before.run != now.run || before.status != now.status {
                        counts[RunStatus(run: before.run, status: before.status), default: 0] -= 1
                        counts[RunStatus(run: now.run, status: now.status), default: 0] += 1
                    }
                    if before.status != now.status {
                        totals[before.status, default: 0] -= 1
                        totals[now.status, default: 0] += 1
                    }
                    if before.status == "rejected" { groups[Group(code: before.code, field: before.field), default: 0] -= 1 }
                } else {
                    counts[RunStatus(run: now.run, status: now.status), default: 0] += 1
                    totals[now.status, default: 0] += 1
                }
                if now.status == "rejected" {
                    let group = Group(code: now.code, field: now.field)
                    groups[group, default: 0] += 1
                    if let message = s.error { messages[group] = message }
                }
            }
            for e in batch.recordEvents where ConsoleProjections.outcomeKinds.contains(e.kind) {
                let outcome = e.kind == "result" ? (resultStatus[e.key] ?? Self.status(of: e.payload)) : e.kind
                effects.add("records", job, outcome, 1)
            }
        }
        let count = try db.prepare(
            "INSERT INTO console_record_counts(job, run, status, n) VALUES(?, ?, ?, ?) ON CONFLICT(job, run, status) DO UPDATE SET n = console_record_counts.n + excluded.n"
        )
        for (key, n) in counts where n != 0 {
            try count.run([.text(job), .int(Int64(key.run)), .text(key.status), .int(Int64(n))])
        }
        let total = try db.prepare(
            "INSERT INTO console_record_totals(job, status, n) VALUES(?, ?, ?) ON CONFLICT(job, status) DO UPDATE SET n = console_record_totals.n + excluded.n"
        )
        for (status, n) in totals where n != 0 {
            try total.run([.text(job), .text(status), .int(Int64(n))])
        }
        let group = try db.prepare(
            """
            INSERT INTO console_failure_groups(job, code, field, n, message) VALUES(?, ?, ?, ?, ?) ON CONFLICT(job, code, field)
              DO UPDATE SET n = console_failure_groups.n + excluded.n,
                message = CASE WHEN excluded.message <> '' THEN excluded.message ELSE console_failure_groups.message END
            """)
        for (key, n) in groups where n != 0 || messages[key] != nil {
            try group.run([.text(job), .text(key.code), .text(key.field), .int(Int64(n)), .text(messages[key] ?? "")])
        }
    }

    /// The `status` of a `result` record event's payload.
    private static func status(of payload: [UInt8]) -> String {
        (try? JSONParser.parse(payload))?["status"]?.stringValue ?? "unknown"
    }
}
