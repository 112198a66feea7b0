import CSQLite
import Foundation
import MapDSL
import SyncEngine

/// Rows of tables in a local SQLite database (the `path` parameter, `MAPC_SQLITE_PATH`).
///
/// As a source the cursor is the last `rowid` read; with `modified_field`, `modifiedSince` keeps rows
/// whose column is at or after the instant (compared as ISO 8601 text). As a sink a missing table is
/// created with the key as primary key, missing columns are added, and each batch is one transaction
/// of find-then-insert-or-update by key. JSON arrays and objects are stored as JSON text, booleans as
/// 0/1. One connection per adapter, used under a lock.
public final class SQLiteAdapter: PlatformAdapter, @unchecked Sendable {
    public let platform = "sqlite"
    let path: String
    let modifiedField: String?
    let lock = NSLock()
    let cache: LookupCache
    private let db: OpaquePointer

    /// Opens (or creates) the database named by the `path` parameter.
    public init(connection: Connection, options: AdapterOptions = AdapterOptions()) throws(AdapterError) {
        guard let path = connection.parameters["path"] ?? connection.baseURL?.path, !path.isEmpty else {
            throw .fatal("sqlite connection needs a database file: set MAPC_SQLITE_PATH")
        }
        self.path = path
        modifiedField = connection.parameters["modified_field"]
        cache = LookupCache(capacity: options.lookupCacheSize)
        var handle: OpaquePointer?
        let flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX
        guard sqlite3_open_v2(path, &handle, flags, nil) == SQLITE_OK, let handle else {
            if let handle { sqlite3_close(handle) }
            throw .fatal("cannot open the SQLite database \(path)")
        }
        db = handle
        sqlite3_busy_timeout(db, 5000)
        _ = try? execute("PRAGMA journal_mode=WAL")
    }

    deinit {
        sqlite3_close(db)
    }

    public func limits(object: String, mode: WriteMode) -> AdapterLimits { AdapterLimits(maxBatchRecords: 10_000) }

    // MARK: - SQL helpers

    static func quote(_ identifier: String) throws(AdapterError) -> String {
        guard let first = identifier.unicodeScalars.first, first == "_" || first.properties.isAlphabetic,
            identifier.unicodeScalars.allSatisfy({ $0 == "_" || $0 == "." || $0.properties.isAlphabetic || ("0"..."9").contains($0) })
        else { throw .fatal("'\(identifier)' is not a usable SQLite table or column name") }
        return "\"\(identifier)\""
    }

    private func failure(_ what: String) -> AdapterError {
        let message = String(cString: sqlite3_errmsg(db))
        let code = sqlite3_errcode(db)
        if code == SQLITE_BUSY || code == SQLITE_LOCKED { return .transient("sqlite \(what): \(message)") }
        return .fatal("sqlite \(what): \(message)")
    }

    @discardableResult
    func execute(_ sql: String, _ arguments: [JSONValue] = []) throws(AdapterError) -> [[(String, JSONValue)]] {
        var statement: OpaquePointer?
        guard sqlite3_prepare_v2(db, sql, -1, &statement, nil) == SQLITE_OK, let statement else {
            throw failure("cannot prepare a statement")
        }
        defer { sqlite3_finalize(statement) }
        for (index, value) in arguments.enumerated() {
            let position = Int32(index + 1)
            switch value {
            case .null: sqlite3_bind_null(statement, position)
            case .bool(let b): sqlite3_bind_int64(statement, position, b ? 1 : 0)
            case .int(let i): sqlite3_bind_int64(statement, position, Int64(i))
            case .double(let d): sqlite3_bind_double(statement, position, d)
            case .string(let s): sqlite3_bind_text(statement, position, s, -1, mapc_sqlite_transient())
            case .array, .object: sqlite3_bind_text(statement, position, JSONWriter.compact(value), -1, mapc_sqlite_transient())
            }
        }
        var rows: [[(String, JSONValue)]] = []
        while true {
            let step = sqlite3_step(statement)
            if step == SQLITE_DONE { break }
            guard step == SQLITE_ROW else { throw failure("statement failed") }
            var row: [(String, JSONValue)] = []
            for column in 0..<sqlite3_column_count(statement) {
                let name = String(cString: sqlite3_column_name(statement, column))
                let value: JSONValue
                switch sqlite3_column_type(statement, column) {
                case SQLITE_INTEGER: value = .int(Int(sqlite3_column_int64(statement, column)))
                case SQLITE_FLOAT: value = .double(sqlite3_column_double(statement, column))
                case SQLITE_TEXT: value = .string(String(cString: sqlite3_column_text(statement, column)))
                case SQLITE_BLOB:
                    let count = Int(sqlite3_column_bytes(statement, column))
                    let bytes = sqlite3_column_blob(statement, column)
                    value = .string(bytes.map { Data(bytes: $0, count: count).base64EncodedString() } ?? "")
                default: value = .null
                }
                row.append((name, value))
            }
            rows.append(row)
        }
        return rows
    }

    /// Column names and declared types of `table` (empty when it does not exist).
    private func columns(_ table: String) throws(AdapterError) -> [(name: String, type: String, notNull: Bool, key: Bool)] {
        try execute("PRAGMA table_info(\(try Self.quote(table)))").map { row in
            let value = { (name: String) in row.first { $0.0 == name }?.1 }
            return (
                value("name")?.stringValue ?? "", value("type")?.stringValue ?? "", value("notnull")?.intValue == 1,
                (value("pk")?.intValue ?? 0) > 0
            )
        }
    }

    // MARK: - Source

    public func fetch(_ request: FetchRequest) throws(AdapterError) -> SourcePage {
        lock.lock()
        defer { lock.unlock() }
        let table = try Self.quote(request.object)
        // The modification time is read even when not asked for (a job's mark is made of it).
        var wanted = request.fields
        if let field = modifiedField, let names = wanted, !names.contains(field) { wanted = names + [field] }
        let selected = try wanted.map { names throws(AdapterError) in try names.map(Self.quote).joined(separator: ", ") } ?? "*"
        var sql = "SELECT rowid AS \"mapc_rowid\", \(selected) FROM \(table) WHERE rowid > ?"
        var arguments: [JSONValue] = [.int(Int(request.cursor ?? "0") ?? 0)]
        if let since = request.modifiedSince, let field = modifiedField {
            sql += " AND \(try Self.quote(field)) >= ?"
            arguments.append(.string(since))
        }
        sql += " ORDER BY rowid LIMIT ?"
        let pageSize = max(request.pageSize, 1)
        arguments.append(.int(pageSize + 1))
        let rows = try execute(sql, arguments)
        let page = rows.prefix(pageSize)
        let keyColumn = try columns(request.object).first { $0.key }?.name
        let records = page.map { row in
            let rowid = row.first?.1.intValue ?? 0
            var fields = Array(row.dropFirst())
            let id = keyColumn.flatMap { name in fields.first { $0.0 == name }?.1 }.flatMap(JSONShapes.text) ?? String(rowid)
            // Row order is not modification order: a job's mark is taken when the read is over.
            let modified = modifiedField.flatMap { name in fields.first { $0.0 == name }?.1 }.flatMap(JSONShapes.text)
            if let field = modifiedField, let names = request.fields, !names.contains(field) { fields.removeAll { $0.0 == field } }
            return SourceRecord(id: id, fields: .object(fields), modified: modified)
        }
        let last = page.last?.first?.1.intValue
        return SourcePage(records: records, nextCursor: rows.count > pageSize ? last.map(String.init) : nil)
    }

    public func describe(object: String) throws(AdapterError) -> Schema {
        lock.lock()
        defer { lock.unlock() }
        let columns = try columns(object)
        guard !columns.isEmpty else { throw .fatal("sqlite table '\(object)' does not exist in \(path)") }
        return Schema(
            platform: platform, object: object,
            fields: columns.map { column in
                let declared = column.type.uppercased()
                let type: FieldType
                if declared.contains("BOOL") {
                    type = .bool
                } else if declared.contains("INT") {
                    type = .int
                } else if declared.contains("REAL") || declared.contains("FLOA") || declared.contains("DOUB")
                    || declared.contains("NUM") || declared.contains("DEC")
                {
                    type = .decimal
                } else if declared.contains("DATETIME") || declared.contains("TIMESTAMP") {
                    type = .datetime
                } else if declared.contains("DATE") {
                    type = .date
                } else {
                    type = .string
                }
                return Field(
                    name: column.name, type: type, nullable: !column.notNull && !column.key, unique: column.key,
                    externalId: column.key)
            })
    }

    public func find(object: String, field: String, value: String) throws(AdapterError) -> JSONValue? {
        try cache.lookup(object, field, value) { () throws(AdapterError) -> JSONValue? in
            lock.lock()
            defer { lock.unlock() }
            let rows = try execute(
                "SELECT * FROM \(try Self.quote(object)) WHERE CAST(\(try Self.quote(field)) AS TEXT) = ? LIMIT 2", [.string(value)])
            return rows.count == 1 ? .object(rows[0]) : nil
        }
    }

    // MARK: - Sink

    /// The declared type of a new column, from a sample value.
    static func affinity(_ value: JSONValue?) -> String {
        switch value {
        case .int?: "INTEGER"
        case .double?: "REAL"
        case .bool?: "BOOLEAN"
        default: "TEXT"
        }
    }

    public func write(_ request: WriteRequest) throws(AdapterError) -> [WriteResult] {
        lock.lock()
        defer { lock.unlock() }
        defer { cache.invalidate(request.object) }
        let table = try Self.quote(request.object)
        let key = try Self.quote(request.keyField)
        var existing = Set(try columns(request.object).map(\.name))
        if existing.isEmpty {
            try execute("CREATE TABLE IF NOT EXISTS \(table) (\(key) TEXT PRIMARY KEY)")
            existing = [request.keyField]
        }
        for record in request.records {
            for name in record.order where !existing.contains(name) {
                let affinity = Self.affinity(request.records.lazy.compactMap { $0[field: name] }.first { $0 != .null })
                try execute("ALTER TABLE \(table) ADD COLUMN \(try Self.quote(name)) \(affinity)")
                existing.insert(name)
            }
        }
        try execute("BEGIN IMMEDIATE")
        var results: [WriteResult] = []
        do {
            for record in request.records {
                let found = !(try execute("SELECT 1 FROM \(table) WHERE \(key) = ? LIMIT 1", [.string(record.key)])).isEmpty
                let kept = record.pairs.filter { $0.0 != request.keyField }
                let names = kept.map(\.0)
                let values = kept.map(\.1)
                switch (request.mode, found) {
                case (.insertOnly, true):
                    results.append(WriteResult(key: record.key, status: .duplicate, destinationId: record.key))
                case (.updateOnly, false):
                    results.append(
                        WriteResult(key: record.key, status: .rejected, errorCode: "NOT_FOUND", message: "no row with this key"))
                case (_, true):
                    if !names.isEmpty {
                        let sets = try names.map { name throws(AdapterError) in "\(try Self.quote(name)) = ?" }.joined(separator: ", ")
                        try execute("UPDATE \(table) SET \(sets) WHERE \(key) = ?", values + [.string(record.key)])
                    }
                    results.append(WriteResult(key: record.key, status: .updated, destinationId: record.key))
                case (_, false):
                    let columns = try ([request.keyField] + names).map(Self.quote).joined(separator: ", ")
                    let marks = Array(repeating: "?", count: names.count + 1).joined(separator: ", ")
                    try execute("INSERT INTO \(table) (\(columns)) VALUES (\(marks))", [.string(record.key)] + values)
                    results.append(WriteResult(key: record.key, status: .created, destinationId: record.key))
                }
            }
            try execute("COMMIT")
        } catch {
            _ = try? execute("ROLLBACK")
            throw error
        }
        return results
    }
}
