import CSQLite
import Foundation

/// A SQLite failure; the message never contains bound values.
public struct StoreError: Error, Sendable, CustomStringConvertible {
    /// What failed.
    public var message: String
    public var description: String { "event store: \(message)" }

    init(_ message: String) { self.message = message }
}

/// One SQLite connection. Not thread-safe: one owner at a time (the store serialises access).
final class Database {
    private(set) var handle: OpaquePointer?
    private var statements: [String: Statement] = [:]
    /// Copies the log into the database for this connection's commits (see ``init(path:checkpointAt:)``).
    private var checkpointer: BackgroundCheckpointer?

    /// Opens (creating it if needed, in a folder that must exist) the database at `path`; `:memory:`
    /// for an in-memory database. ``StoreCheck`` decides beforehand whether it may be created. With `checkpointAt` (log pages), the write-ahead log this connection's
    /// commits grow is copied into the database on another thread (see ``BackgroundCheckpointer``)
    /// instead of inside the commit that crosses SQLite's threshold.
    init(path: String, checkpointAt: Int32? = nil) throws {
        var db: OpaquePointer?
        let flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX
        guard sqlite3_open_v2(path, &db, flags, nil) == SQLITE_OK, let db else {
            let msg = db.map { String(cString: sqlite3_errmsg($0)) } ?? "cannot open"
            sqlite3_close(db)
            throw StoreError("cannot open \(path): \(msg)")
        }
        handle = db
        sqlite3_busy_timeout(db, 10_000)
        if path != ":memory:" {
            try exec("PRAGMA journal_mode=WAL")
            try exec("PRAGMA synchronous=NORMAL")
            // A sync rewrites the same few pages (the run row, index interiors) in every commit:
            // a larger cache and fewer, larger checkpoints copy each of them into the database less often.
            try exec("PRAGMA cache_size=-16384")
            try exec("PRAGMA wal_autocheckpoint=\(BackgroundCheckpointer.defaultStart)")
            if let checkpointAt {
                let checkpointer = BackgroundCheckpointer(path: path, start: checkpointAt)
                self.checkpointer = checkpointer
                // Replaces the automatic checkpoint: called after every commit with the log's size.
                sqlite3_wal_hook(
                    db,
                    { context, db, name, pages in
                        guard let context else { return SQLITE_OK }
                        let checkpointer = Unmanaged<BackgroundCheckpointer>.fromOpaque(context).takeUnretainedValue()
                        if checkpointer.committed(logPages: pages) { sqlite3_wal_checkpoint(db, name) }
                        return SQLITE_OK
                    }, Unmanaged.passUnretained(checkpointer).toOpaque())
            }
        }
        try exec("PRAGMA foreign_keys=ON")
    }

    deinit {
        if let checkpointer {
            sqlite3_wal_hook(handle, nil, nil)
            checkpointer.finish()
        }
        statements.removeAll()
        sqlite3_close_v2(handle)
    }

    /// Checkpoints made on another thread for this connection's commits so far.
    var backgroundCheckpoints: Int { checkpointer?.completed ?? 0 }

    /// Runs SQL without results.
    func exec(_ sql: String) throws {
        var err: UnsafeMutablePointer<CChar>?
        if sqlite3_exec(handle, sql, nil, nil, &err) != SQLITE_OK {
            let msg = err.map { String(cString: $0) } ?? "unknown error"
            sqlite3_free(err)
            throw StoreError(msg)
        }
    }

    /// A cached prepared statement for `sql`, reset and ready to bind.
    func prepare(_ sql: String) throws -> Statement {
        if let s = statements[sql] {
            s.reset()
            return s
        }
        var stmt: OpaquePointer?
        guard sqlite3_prepare_v2(handle, sql, -1, &stmt, nil) == SQLITE_OK, let stmt else {
            throw StoreError("cannot prepare statement: \(String(cString: sqlite3_errmsg(handle)))")
        }
        let s = Statement(stmt, db: self)
        statements[sql] = s
        return s
    }

    /// Runs `body` in a transaction, committing on success and rolling back on error.
    func transaction<T>(_ body: () throws -> T) throws -> T {
        try prepare("BEGIN IMMEDIATE").run()
        do {
            let r = try body()
            try prepare("COMMIT").run()
            return r
        } catch {
            try? exec("ROLLBACK")
            throw error
        }
    }

    /// Applies the named migrations not yet applied, in order, each in its own transaction (checked
    /// inside it, so two processes opening the same file never apply one twice). Migration lists are
    /// append-only: a shipped migration is never edited.
    func migrate(_ migrations: [(name: String, sql: String)]) throws {
        let known = StoreCheck.knownMigrations
        if let stray = migrations.first(where: { !known.contains($0.name) }) {
            throw StoreError("migration '\(stray.name)' is not listed in StoreCheck.knownMigrations")
        }
        try exec("CREATE TABLE IF NOT EXISTS migrations(name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)")
        for (name, sql) in migrations {
            try transaction {
                let done = try prepare("SELECT 1 FROM migrations WHERE name = ?").query([.text(name)]) { _ in true }
                if done.isEmpty {
                    try exec(sql)
                    try prepare("INSERT INTO migrations(name, applied_at) VALUES(?, datetime('now'))").run([.text(name)])
                }
            }
        }
    }

    var lastError: String { String(cString: sqlite3_errmsg(handle)) }
    var lastInsertRowID: Int64 { sqlite3_last_insert_rowid(handle) }
}

/// Checkpoints a database's write-ahead log on a thread (and connection) of its own.
///
/// SQLite copies the log into the database inside the commit that finds the log past its
/// threshold: for a sync, a third of the writing thread's time, spent while uploads wait for that
/// commit. A passive checkpoint from another connection copies the same pages while the writer goes
/// on (it never blocks the writer, nor readers), and the writer starts the log afresh once a
/// checkpoint caught up. Should the checkpoints fall behind, the writer checkpoints itself once the
/// log reaches ``limit`` (after the background one under way), so the log never grows without bound.
final class BackgroundCheckpointer: @unchecked Sendable {
    /// Log pages after a commit that start a background checkpoint, by default (16 MiB).
    static let defaultStart: Int32 = 4096
    /// Log pages after a commit that start a background checkpoint.
    let start: Int32
    /// Log pages after a commit past which the writing connection checkpoints itself.
    var limit: Int32 { 4 * start }
    private let path: String
    private let queue = DispatchQueue(label: "mapc.store.checkpoint")
    private let lock = NSLock()
    // Guarded by `lock`.
    private var running = false
    private var done = 0
    // Used on `queue` only.
    private var connection: Database?

    init(path: String, start: Int32 = BackgroundCheckpointer.defaultStart) {
        self.path = path
        self.start = max(1, start)
    }

    /// Called after a commit that left `logPages` pages in the log; true when the caller must
    /// checkpoint now, itself (then a background checkpoint under way has finished).
    func committed(logPages: Int32) -> Bool {
        if logPages >= limit {
            // The background checkpoints fall behind: wait for the one under way (it holds the
            // checkpoint lock), so the caller's copies the rest and the log starts afresh.
            queue.sync {}
            return true
        }
        guard logPages >= start else { return false }
        let idle = lock.withLock {
            defer { running = true }
            return !running
        }
        guard idle else { return false }
        queue.async { [self] in
            if connection == nil { connection = try? Database(path: path) }
            if let handle = connection?.handle {
                sqlite3_wal_checkpoint_v2(handle, nil, SQLITE_CHECKPOINT_PASSIVE, nil, nil)
            }
            lock.withLock {
                running = false
                done += 1
            }
        }
        return false
    }

    /// Checkpoints made on the checkpointer's thread so far.
    var completed: Int { lock.withLock { done } }

    /// Waits for a checkpoint under way and closes the checkpointer's connection.
    func finish() {
        queue.sync { connection = nil }
    }
}

/// A prepared statement with positional binding (1-based) and column reading (0-based).
///
/// Bound text is copied once into a buffer the statement owns and bound without SQLite copying it
/// again (`SQLITE_STATIC`); the buffer is only ever replaced while binding, before the next step.
final class Statement {
    let stmt: OpaquePointer
    unowned let db: Database
    private var text: UnsafeMutablePointer<UInt8>
    private var textCapacity = 1024

    init(_ stmt: OpaquePointer, db: Database) {
        self.stmt = stmt
        self.db = db
        text = .allocate(capacity: textCapacity)
    }

    deinit {
        sqlite3_finalize(stmt)
        text.deallocate()
    }

    func reset() {
        sqlite3_reset(stmt)
        sqlite3_clear_bindings(stmt)
    }

    @discardableResult
    func bind(_ values: [SQLValue]) -> Statement {
        var needed = 0
        for v in values {
            switch v {
            case .text(let s): needed += s.utf8.count
            case .utf8(let bytes): needed += bytes.count
            case .null, .int, .double: break
            }
        }
        if needed > textCapacity {
            // Nothing bound to the old buffer is read again: every parameter is bound anew below.
            text.deallocate()
            while textCapacity < needed { textCapacity *= 2 }
            text = .allocate(capacity: textCapacity)
        }
        var used = 0
        for (i, v) in values.enumerated() {
            let idx = Int32(i + 1)
            switch v {
            case .null: sqlite3_bind_null(stmt, idx)
            case .int(let n): sqlite3_bind_int64(stmt, idx, n)
            case .double(let d): sqlite3_bind_double(stmt, idx, d)
            case .text(var s): s.withUTF8 { bindText($0, at: idx, used: &used) }
            case .utf8(let bytes): bytes.withUnsafeBufferPointer { bindText($0, at: idx, used: &used) }
            }
        }
        return self
    }

    /// Copies UTF-8 text into the statement's buffer at `used` and binds it there with its length;
    /// empty text stays text, not NULL.
    private func bindText(_ bytes: UnsafeBufferPointer<UInt8>, at idx: Int32, used: inout Int) {
        guard let base = bytes.baseAddress, !bytes.isEmpty else {
            sqlite3_bind_text(stmt, idx, "", 0, mapc_sqlite_transient())
            return
        }
        let start = text + used
        start.update(from: base, count: bytes.count)
        used += bytes.count
        start.withMemoryRebound(to: CChar.self, capacity: bytes.count) {
            _ = sqlite3_bind_text(stmt, idx, $0, Int32(bytes.count), mapc_sqlite_static())
        }
    }

    /// Steps once; true when a row is available.
    func step() throws -> Bool {
        let rc = sqlite3_step(stmt)
        if rc == SQLITE_ROW { return true }
        if rc == SQLITE_DONE { return false }
        throw StoreError("statement failed: \(db.lastError)")
    }

    /// Runs to completion, ignoring rows.
    func run(_ values: [SQLValue] = []) throws {
        bind(values)
        while try step() {}
        sqlite3_reset(stmt)
    }

    /// All rows, each mapped by `row`.
    func query<T>(_ values: [SQLValue] = [], _ row: (Statement) throws -> T) throws -> [T] {
        bind(values)
        var out: [T] = []
        while try step() { out.append(try row(self)) }
        sqlite3_reset(stmt)
        return out
    }

    func int(_ col: Int32) -> Int64 { sqlite3_column_int64(stmt, col) }
    func double(_ col: Int32) -> Double { sqlite3_column_double(stmt, col) }
    func isNull(_ col: Int32) -> Bool { sqlite3_column_type(stmt, col) == SQLITE_NULL }
    func text(_ col: Int32) -> String? {
        guard let p = sqlite3_column_text(stmt, col) else { return nil }
        return String(cString: p)
    }
}

/// A value bound to a statement parameter.
enum SQLValue {
    case null
    case int(Int64)
    case double(Double)
    case text(String)
    /// Text given as UTF-8 bytes (JSON written straight into a byte buffer).
    case utf8([UInt8])

    static func of(_ s: String?) -> SQLValue { s.map(SQLValue.text) ?? .null }
    static func of(_ i: Int?) -> SQLValue { i.map { .int(Int64($0)) } ?? .null }
}
