import Foundation
import MapDSL

/// What a sync keeps besides its events: the job's high-water mark, cached lookups, run leases.
extension EventStore {
    // MARK: High-water marks

    /// The job's high-water mark, if a run reached one.
    public func watermark(job: String) throws -> Watermark? {
        try reading { db in
            try db.prepare(
                "SELECT modified, record_id, mapping_version, source, run, at FROM watermarks WHERE job = ?"
            ).query([.text(job)]) { s -> Watermark? in
                guard let position = SourcePosition(modified: s.text(0) ?? "", id: s.text(1) ?? "") else { return nil }
                return Watermark(
                    position: position, mappingVersion: s.text(2) ?? "", source: s.text(3) ?? "", run: Int(s.int(4)),
                    at: s.text(5) ?? "")
            }.first ?? nil
        }
    }

    /// Forgets the job's mark (its next run reads everything).
    public func clearWatermark(job: String) throws {
        try locked { try db.prepare("DELETE FROM watermarks WHERE job = ?").run([.text(job)]) }
    }

    /// Writes `mark` for `job` inside the caller's transaction: it replaces a mark of another
    /// mapping version or source, and otherwise only ever moves forward.
    static func advanceWatermark(_ m: Watermark, job: String, in db: Database) throws {
        try db.prepare(
            """
            INSERT INTO watermarks(job, modified, modified_ms, record_id, mapping_version, source, run, at)
            VALUES(?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT(job) DO UPDATE SET modified = excluded.modified, modified_ms = excluded.modified_ms,
              record_id = excluded.record_id, mapping_version = excluded.mapping_version, source = excluded.source,
              run = excluded.run, at = excluded.at
            WHERE watermarks.mapping_version <> excluded.mapping_version OR watermarks.source <> excluded.source
              OR excluded.modified_ms > watermarks.modified_ms
              OR (excluded.modified_ms = watermarks.modified_ms AND excluded.record_id > watermarks.record_id)
            """
        ).run([
            .text(job), .text(m.position.modified), .int(m.position.millis), .text(m.position.id), .text(m.mappingVersion),
            .text(m.source), .int(Int64(m.run)), .text(m.at),
        ])
    }

    // MARK: Lookup cache

    /// The cached lookup answers of `job` still fresh at `now` (seconds since 1970): by object, field
    /// and value; a nil answer is a cached "no match".
    func cachedLookups(job: String, now: Double) throws -> [LookupKey: JSONValue?] {
        try reading { db in
            var out: [LookupKey: JSONValue?] = [:]
            let rows = try db.prepare(
                "SELECT object, field, value, answer FROM lookup_cache WHERE job = ? AND expires_at > ?"
            ).query([.text(job), .double(now)]) { s -> (LookupKey, JSONValue?)? in
                let key = LookupKey(object: s.text(0) ?? "", field: s.text(1) ?? "", value: s.text(2) ?? "")
                if s.isNull(3) { return (key, nil) }
                guard let answer = try? JSONParser.parse(s.text(3) ?? "") else { return nil }
                return (key, answer)
            }
            for case let (key, answer)? in rows { out[key] = .some(answer) }
            return out
        }
    }

    /// Stores lookup answers of `job` fetched at `now`, each fresh for its `ttl` seconds.
    func cacheLookups(job: String, _ answers: [(key: LookupKey, answer: JSONValue?, ttl: Double)], now: Double) throws {
        guard !answers.isEmpty else { return }
        try locked {
            try db.transaction {
                let statement = try db.prepare(
                    """
                    INSERT INTO lookup_cache(job, object, field, value, answer, fetched_at, expires_at) VALUES(?, ?, ?, ?, ?, ?, ?)
                    ON CONFLICT(job, object, field, value) DO UPDATE SET answer = excluded.answer,
                      fetched_at = excluded.fetched_at, expires_at = excluded.expires_at
                    """)
                for a in answers {
                    try statement.run([
                        .text(job), .text(a.key.object), .text(a.key.field), .text(a.key.value),
                        a.answer.map { .text(JSONWriter.compact($0)) } ?? .null, .double(now), .double(now + a.ttl),
                    ])
                }
                try db.prepare("DELETE FROM lookup_cache WHERE job = ? AND expires_at <= ?").run([.text(job), .double(now)])
            }
        }
    }

    // MARK: Run leases

    /// Records that this process runs `run` of `job` from now on.
    func acquireLease(_ lease: RunLease) throws {
        try locked {
            try db.prepare(
                """
                INSERT INTO run_leases(run, job, pid, host, process_start, started_at, heartbeat_at) VALUES(?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT(run) DO UPDATE SET pid = excluded.pid, host = excluded.host, process_start = excluded.process_start,
                  started_at = excluded.started_at, heartbeat_at = excluded.heartbeat_at
                """
            ).run([
                .int(Int64(lease.run)), .text(lease.job), .int(Int64(lease.process.pid)), .text(lease.process.host),
                .text(lease.process.start), .text(lease.startedAt), .double(lease.heartbeat),
            ])
        }
    }

    /// Moves the heartbeat of `run`'s lease to `now` (seconds since 1970), if this process holds it.
    func heartbeat(run: Int, process: ProcessIdentity, now: Double) throws {
        try locked {
            try db.prepare("UPDATE run_leases SET heartbeat_at = ? WHERE run = ? AND pid = ? AND host = ? AND process_start = ?")
                .run([.double(now), .int(Int64(run)), .int(Int64(process.pid)), .text(process.host), .text(process.start)])
        }
    }

    /// The lease of `run`, if a process holds (or held, and died holding) it.
    public func lease(run: Int) throws -> RunLease? {
        try reading { db in
            try db.prepare("SELECT run, job, pid, host, process_start, started_at, heartbeat_at FROM run_leases WHERE run = ?")
                .query([.int(Int64(run))]) { s in
                    RunLease(
                        run: Int(s.int(0)), job: s.text(1) ?? "",
                        process: ProcessIdentity(pid: Int32(truncatingIfNeeded: s.int(2)), host: s.text(3) ?? "", start: s.text(4) ?? ""),
                        startedAt: s.text(5) ?? "", heartbeat: s.double(6))
                }.first
        }
    }

    /// Gives up the lease of `run` (the run stopped, or its dead holder was accounted for).
    func releaseLease(run: Int) throws {
        try locked { try db.prepare("DELETE FROM run_leases WHERE run = ?").run([.int(Int64(run))]) }
    }
}

/// One looked-up value: the object, the field compared and the value it must equal.
struct LookupKey: Hashable, Sendable {
    var object: String
    var field: String
    var value: String
}

/// Rate-limiter windows persist in the event store, beside the daily quotas.
extension EventStore: LimiterStateStore {
    public func loadWindow(_ key: String) throws -> LimiterWindowState? {
        try locked {
            try db.prepare("SELECT state FROM limiter_windows WHERE key = ?").query([.text(key)]) { s in
                LimiterWindowState(json: (try? JSONParser.parse(s.text(0) ?? "")) ?? .null)
            }.first ?? nil
        }
    }

    public func saveWindow(_ state: LimiterWindowState, for key: String) throws {
        let text = JSONWriter.compact(state.json)
        try locked {
            try db.prepare("INSERT INTO limiter_windows(key, state) VALUES(?, ?) ON CONFLICT(key) DO UPDATE SET state = excluded.state")
                .run([.text(key), .text(text)])
        }
    }
}

/// On PostgreSQL every process sharing the store shares the limits: each decision runs with the
/// bucket's rows locked (`FOR UPDATE`), on a connection of its own so that it never waits for the
/// run's writes.
extension EventStore: SharedLimiterStore {
    public var sharesLimits: Bool { isPostgres }

    public func exclusively<R>(
        _ key: String, _ body: (LimiterWindowState?, QuotaUsage) throws -> (result: R, window: LimiterWindowState?, usage: QuotaUsage?)
    ) throws -> R {
        try withLimitsConnection { db in
            try db.transaction {
                // The rows exist before they are locked: a lock on a missing row locks nothing.
                try db.prepare("INSERT INTO limiter_windows(key, state) VALUES(?, '{}') ON CONFLICT(key) DO NOTHING").run([.text(key)])
                try db.prepare("INSERT INTO quota_usage(key, hourly) VALUES(?, '{}') ON CONFLICT(key) DO NOTHING").run([.text(key)])
                let lock = db.isPostgres ? " FOR UPDATE" : ""
                let window =
                    try db.prepare("SELECT state FROM limiter_windows WHERE key = ?" + lock).query([.text(key)]) { s in
                        LimiterWindowState(json: (try? JSONParser.parse(s.text(0) ?? "")) ?? .null)
                    }.first ?? nil
                let usage =
                    try db.prepare("SELECT hourly FROM quota_usage WHERE key = ?" + lock).query([.text(key)]) {
                        Self.decodeUsage($0.text(0) ?? "{}")
                    }.first ?? QuotaUsage()
                let (result, newWindow, newUsage) = try body(window, usage)
                if let newWindow {
                    try db.prepare("UPDATE limiter_windows SET state = ? WHERE key = ?").run([
                        .text(JSONWriter.compact(newWindow.json)), .text(key),
                    ])
                }
                if let newUsage {
                    let json = JSONWriter.compact(
                        .object(newUsage.hourly.sorted { $0.key < $1.key }.map { (String($0.key), .int($0.value)) }))
                    try db.prepare("UPDATE quota_usage SET hourly = ? WHERE key = ?").run([.text(json), .text(key)])
                }
                return result
            }
        }
    }
}
