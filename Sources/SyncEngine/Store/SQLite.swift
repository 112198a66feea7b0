import CSQLite
import Foundation

/// A SQLite failure; the message never contains bound values.
public struct StoreError: Error, Sendable, CustomStringConvertible {
    /// What failed.
    public var message: String
    public var description: String { "event store: \(message)" }

    init(_ message: String) { self.message = message }
}

/// One SQLite connection, or one PostgreSQL connection (``init(postgres:)``) running the same
/// statements rewritten by ``PGDialect``. Not thread-safe: one owner at a time (the store
/// serialises access).
final class Database {
    private(set) var handle: OpaquePointer?
    /// The PostgreSQL connection, when this is one.
    private(set) var pg: PGConnection?
    private var statements: [String: Statement] = [:]
    /// Copies the log into the database for this connection's commits (see ``init(path:checkpointAt:)``).
    private var checkpointer: BackgroundCheckpointer?
    /// The worker lease this connection writes under (see ``WriteFence``): every write checks it first.
    var fence: WriteFence?
    /// Whether a transaction of this connection is open.
    private(set) var inTransaction = false

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
        // After the pragmas: the file exists now, even for a new store.
        openFile = path == ":memory:" ? nil : OpenStoreFiles.opened(path)
    }

    /// Connects to PostgreSQL at `url`. The store lives in the first schema of the connection's
    /// `search_path` (`?options=-csearch_path%3Dname`; `public` by default), created when missing,
    /// with the SQLite functions the store's statements use.
    init(postgres url: PostgresURL) throws {
        let connection = try PGConnection(url: url)
        pg = connection
        if (try connection.query("SELECT current_schema()", []).rows.first?.first ?? nil) == nil {
            let path = (try connection.query("SHOW search_path", []).rows.first?.first ?? nil) ?? ""
            let first = path.split(separator: ",").first.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
            guard !first.isEmpty, first.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }) else {
                throw StoreError("the store URL's search_path names no usable schema (letters, digits and _ only)")
            }
            do {
                try connection.exec("CREATE SCHEMA IF NOT EXISTS \(first)")
            } catch let error as PostgresError where error.isUniqueViolation {
                // Another process created it at the same moment (IF NOT EXISTS does not wait for it).
            }
        }
    }

    /// Whether this connection is to PostgreSQL.
    var isPostgres: Bool { pg != nil }
    /// This connection's file in ``OpenStoreFiles`` (nil in memory and on PostgreSQL).
    private var openFile: OpenStoreFiles.Key?

    deinit {
        if let checkpointer {
            sqlite3_wal_hook(handle, nil, nil)
            checkpointer.finish()
        }
        statements.removeAll()
        sqlite3_close_v2(handle)
        if let openFile { OpenStoreFiles.closed(openFile) }
    }

    /// Checkpoints made on another thread for this connection's commits so far.
    var backgroundCheckpoints: Int { checkpointer?.completed ?? 0 }

    /// Runs SQL without results.
    func exec(_ sql: String) throws {
        if let pg {
            try pg.exec(PGDialect.translate(sql))
            return
        }
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
        if pg != nil {
            let s = Statement(postgres: PGDialect.translate(sql), db: self)
            statements[sql] = s
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
        inTransaction = true
        defer { inTransaction = false }
        do {
            if let fence { try fence.check(self) }
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
        if let pg {
            // One process at a time migrates a schema: a session lock held across the migrations.
            _ = try pg.query("SELECT pg_advisory_lock(hashtext(current_schema()))", [])
            defer { _ = try? pg.query("SELECT pg_advisory_unlock(hashtext(current_schema()))", []) }
            try pg.exec(PGDialect.compatibilityFunctions)
            try migrateEach(migrations)
            return
        }
        try migrateEach(migrations)
    }

    private func migrateEach(_ migrations: [(name: String, sql: String)]) throws {
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

    var lastError: String { pg == nil ? String(cString: sqlite3_errmsg(handle)) : "PostgreSQL error" }
    var lastInsertRowID: Int64 {
        guard let pg else { return sqlite3_last_insert_rowid(handle) }
        return (try? pg.query("SELECT lastval()", []).rows.first?.first ?? nil).flatMap { Int64($0) } ?? 0
    }
    /// Rows the last statement changed.
    var changes: Int { pg?.changes ?? Int(sqlite3_changes(handle)) }
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
    /// The SQLite statement (nil on PostgreSQL).
    let stmt: OpaquePointer!
    unowned let db: Database
    private var text: UnsafeMutablePointer<UInt8>
    private var textCapacity = 1024
    /// On PostgreSQL: the statement, its bound parameters, its rows once run, the current row.
    private let pgSQL: String?
    private var pgParameters: [String?] = []
    private var pgParameterError: StoreError?
    private var pgRows: [[String?]]?
    private var pgRow = -1

    /// Whether the statement changes rows (INSERT, UPDATE, DELETE, REPLACE), as a fence must check.
    let isWrite: Bool
    /// Whether it is a query (SELECT, WITH).
    private var isRead: Bool { pgSQL.map { ["SELECT", "WITH"].contains(Self.firstWord($0)) } ?? false }

    init(_ stmt: OpaquePointer, db: Database) {
        self.stmt = stmt
        self.db = db
        pgSQL = nil
        isWrite = Self.writes(sqlite3_sql(stmt).map { String(cString: $0) } ?? "")
        text = .allocate(capacity: textCapacity)
    }

    init(postgres sql: String, db: Database) {
        stmt = nil
        self.db = db
        pgSQL = sql
        isWrite = Self.writes(sql)
        text = .allocate(capacity: 1)
    }

    /// Whether `sql`'s first word makes it a write.
    static func writes(_ sql: String) -> Bool { ["INSERT", "UPDATE", "DELETE", "REPLACE"].contains(firstWord(sql)) }

    /// The statement's first word, upper-cased.
    static func firstWord(_ sql: String) -> String { sql.drop { $0.isWhitespace }.prefix { $0.isLetter }.uppercased() }

    deinit {
        if let stmt { sqlite3_finalize(stmt) }
        text.deallocate()
    }

    func reset() {
        if pgSQL != nil {
            pgRows = nil
            pgRow = -1
            return
        }
        sqlite3_reset(stmt)
        sqlite3_clear_bindings(stmt)
    }

    /// After the rows were read: ready to run again with new values.
    private func rewind() {
        if pgSQL != nil {
            pgRows = nil
            pgRow = -1
        } else {
            sqlite3_reset(stmt)
        }
    }

    @discardableResult
    func bind(_ values: [SQLValue]) -> Statement {
        if pgSQL != nil {
            pgRows = nil
            pgRow = -1
            pgParameterError = nil
            pgParameters = values.map { v in
                let text: String?
                switch v {
                case .null: text = nil
                case .int(let n): text = String(n)
                case .double(let d):
                    text = d.isNaN ? "NaN" : d.isInfinite ? (d < 0 ? "-Infinity" : "Infinity") : String(d)
                case .text(let s): text = s
                case .utf8(let bytes): text = String(decoding: bytes, as: UTF8.self)
                }
                if let text, text.utf8.contains(0) {
                    pgParameterError = StoreError("PostgreSQL text cannot hold a NUL character")
                }
                return text
            }
            return self
        }
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
        if let pgSQL {
            if pgRows == nil {
                if let pgParameterError { throw pgParameterError }
                guard let pg = db.pg else { throw StoreError("the PostgreSQL connection is closed") }
                // Reads and writes are prepared once per connection; transaction control is not.
                pgRows = try (isWrite || isRead ? pg.queryPrepared(pgSQL, pgParameters) : pg.query(pgSQL, pgParameters)).rows
                pgRow = -1
            }
            pgRow += 1
            return pgRow < pgRows!.count
        }
        let rc = sqlite3_step(stmt)
        if rc == SQLITE_ROW { return true }
        if rc == SQLITE_DONE { return false }
        throw StoreError("statement failed: \(db.lastError)")
    }

    /// Runs to completion, ignoring rows.
    func run(_ values: [SQLValue] = []) throws {
        if db.fence != nil && !db.inTransaction && isWrite {
            // A write outside a transaction checks the fence in one of its own.
            try db.transaction { try run(values) }
            return
        }
        bind(values)
        while try step() {}
        rewind()
    }

    /// All rows, each mapped by `row`.
    func query<T>(_ values: [SQLValue] = [], _ row: (Statement) throws -> T) throws -> [T] {
        bind(values)
        var out: [T] = []
        while try step() { out.append(try row(self)) }
        rewind()
        return out
    }

    /// Column `col` of the current PostgreSQL row (nil: NULL).
    private func pgValue(_ col: Int32) -> String? {
        guard let pgRows, pgRow >= 0, pgRow < pgRows.count, Int(col) < pgRows[pgRow].count else { return nil }
        return pgRows[pgRow][Int(col)]
    }

    func int(_ col: Int32) -> Int64 {
        guard pgSQL != nil else { return sqlite3_column_int64(stmt, col) }
        guard let v = pgValue(col) else { return 0 }
        if let n = Int64(v) { return n }
        if v == "t" { return 1 }
        if let d = Double(v), d.isFinite, d.magnitude < 9.2e18 { return Int64(d) }
        return 0
    }
    func double(_ col: Int32) -> Double {
        guard pgSQL != nil else { return sqlite3_column_double(stmt, col) }
        return pgValue(col).flatMap(Double.init) ?? 0
    }
    func isNull(_ col: Int32) -> Bool {
        guard pgSQL != nil else { return sqlite3_column_type(stmt, col) == SQLITE_NULL }
        return pgValue(col) == nil
    }
    func text(_ col: Int32) -> String? {
        if pgSQL != nil { return pgValue(col) }
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

/// The store files this process has SQLite connections to, by device and inode.
///
/// POSIX record locks belong to the process, and closing *any* descriptor of a file drops all of
/// them. A second store opened in a process that already has the file open (`mapc serve` opens
/// the event store, then the inbox, then more per action) must therefore not read the file's header
/// through a descriptor of its own: that dropped the first connections' locks, so the next `mapc
/// sync` or `resume` to exit believed itself the file's last user, checkpointed and deleted the
/// write-ahead log under the server, whose reads then failed with "database disk image is
/// malformed" (`make demo`'s last /metrics scrape).
enum OpenStoreFiles {
    struct Key: Hashable {
        let device: UInt64
        let inode: UInt64
    }
    nonisolated(unsafe) private static var counts: [Key: Int] = [:]
    private static let lock = NSLock()

    static func key(_ path: String) -> Key? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return Key(device: UInt64(info.st_dev), inode: UInt64(info.st_ino))
    }

    /// Counts a connection to `path`; its key, for ``closed(_:)``.
    static func opened(_ path: String) -> Key? {
        guard let key = key(path) else { return nil }
        lock.withLock { counts[key, default: 0] += 1 }
        return key
    }

    static func closed(_ key: Key) {
        lock.withLock {
            let left = (counts[key] ?? 1) - 1
            counts[key] = left > 0 ? left : nil
        }
    }

    /// Whether this process holds a connection to `path`.
    static func isOpen(_ path: String) -> Bool {
        guard let key = key(path) else { return false }
        return lock.withLock { counts[key] != nil }
    }
}
