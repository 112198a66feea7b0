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

    /// Opens (creating it and its folder if needed) the database at `path`; `:memory:` for an
    /// in-memory database.
    init(path: String) throws {
        if path != ":memory:" {
            try? FileManager.default.createDirectory(
                atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        }
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
            try exec("PRAGMA wal_autocheckpoint=4096")
        }
        try exec("PRAGMA foreign_keys=ON")
    }

    deinit {
        statements.removeAll()
        sqlite3_close_v2(handle)
    }

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
