import CPostgres
import Foundation

/// A PostgreSQL failure: what mapc was doing and the server's message (with its SQLSTATE code when
/// the server sent one). Never holds the connection's password nor bound values.
public struct PostgresError: Error, Sendable, CustomStringConvertible {
    /// What failed, with the server's message.
    public var message: String
    /// The five-character SQLSTATE code (`23505` unique violation, `40001` serialization failure…).
    public var sqlState: String?
    public var description: String { "PostgreSQL: \(message)" }

    init(_ message: String, sqlState: String? = nil) {
        self.message = message
        self.sqlState = sqlState
    }

    /// A unique or primary-key constraint refused the row.
    public var isUniqueViolation: Bool { sqlState == "23505" }
}

/// A PostgreSQL connection URL (`postgres://user:password@host:port/database?…` or
/// `postgresql://…`), with what must never be shown taken out.
public struct PostgresURL: Sendable, Equatable, CustomStringConvertible {
    /// The URL as given (holds the password: never print it).
    let raw: String
    /// The password, percent-decoded, when the URL has one.
    let password: String?

    /// Longest URL accepted.
    static let maxLength = 4096

    /// Whether `text` names a PostgreSQL server rather than a SQLite file.
    public static func isPostgres(_ text: String) -> Bool {
        text.hasPrefix("postgres://") || text.hasPrefix("postgresql://")
    }

    /// Parses `text`; throws when it is not a PostgreSQL URL or is too long.
    public init(_ text: String) throws {
        guard Self.isPostgres(text) else { throw PostgresError("not a postgres:// URL") }
        guard text.utf8.count <= Self.maxLength else { throw PostgresError("the store URL is longer than \(Self.maxLength) bytes") }
        guard let components = URLComponents(string: text) else {
            throw PostgresError("the store URL is not a valid URL: \(Self.redacting(text))")
        }
        raw = text
        password = components.password
    }

    /// The URL with its password replaced by `***`.
    public var description: String { Self.redacting(raw) }

    /// `text` with the password of the URL's user-info part replaced.
    static func redacting(_ text: String) -> String {
        guard let scheme = text.range(of: "://") else { return text }
        let rest = text[scheme.upperBound...]
        let authorityEnd = rest.firstIndex(where: { $0 == "/" || $0 == "?" }) ?? rest.endIndex
        let authority = rest[rest.startIndex..<authorityEnd]
        guard let at = authority.lastIndex(of: "@") else { return text }
        let userInfo = authority[authority.startIndex..<at]
        guard let colon = userInfo.firstIndex(of: ":") else { return text }
        return String(text[text.startIndex..<colon]) + ":***" + String(text[at...])
    }

    /// `message` without the password, in either spelling (as given, percent-decoded).
    func scrub(_ message: String) -> String {
        var out = message
        if let password, !password.isEmpty {
            out = out.replacingOccurrences(of: password, with: "***")
            if let encoded = password.addingPercentEncoding(withAllowedCharacters: .alphanumerics), encoded != password {
                out = out.replacingOccurrences(of: encoded, with: "***")
            }
        }
        return out.replacingOccurrences(of: raw, with: description)
    }
}

/// One libpq connection. Not thread-safe: one owner at a time (the store serialises access).
/// Parameters are sent as text (`PQexecParams`), so the server reads them as the type their place
/// in the statement asks for; results come back as text.
final class PGConnection {
    private let conn: OpaquePointer
    let url: PostgresURL
    /// Rows the last command changed (`PQcmdTuples`).
    private(set) var changes = 0

    /// Connects to `url`; the error carries the server's message, never the password.
    init(url: PostgresURL, connectTimeout: Int = 10) throws {
        self.url = url
        // A connect timeout and application name the URL's own settings (expanded last) override.
        let keywords = ["connect_timeout", "application_name", "dbname"]
        let values = [String(connectTimeout), "mapc", url.raw]
        let c = withCStrings(keywords) { keys in
            withCStrings(values) { vals in
                PQconnectdbParams(keys, vals, 1)
            }
        }
        guard let c else { throw PostgresError("cannot connect to \(url): out of memory") }
        guard PQstatus(c) == CONNECTION_OK else {
            let message = url.scrub(String(cString: PQerrorMessage(c)).trimmingCharacters(in: .whitespacesAndNewlines))
            PQfinish(c)
            throw PostgresError("cannot connect to \(url): \(message)")
        }
        conn = c
        // Quiet notices (IF NOT EXISTS …) instead of libpq printing them to stderr.
        PQsetNoticeProcessor(conn, { _, _ in }, nil)
    }

    deinit { PQfinish(conn) }

    /// Runs one or more statements without parameters (migrations, BEGIN, COMMIT).
    func exec(_ sql: String) throws {
        guard let res = PQexec(conn, sql) else { throw PostgresError("out of memory") }
        defer { PQclear(res) }
        try check(res)
    }

    /// Runs `sql` with `$1…$n` bound to `params` (text; nil is NULL); returns the rows as text.
    func query(_ sql: String, _ params: [String?]) throws -> PGRows {
        let res = withParameters(params) { values, lengths in
            PQexecParams(conn, sql, Int32(params.count), nil, values, lengths, nil, 0)
        }
        guard let res else { throw PostgresError("out of memory") }
        defer { PQclear(res) }
        try check(res)
        return rows(of: res)
    }

    /// The rows of a successful result, as text.
    private func rows(of res: OpaquePointer) -> PGRows {
        let rowCount = Int(PQntuples(res))
        let columnCount = Int(PQnfields(res))
        var rows: [[String?]] = []
        rows.reserveCapacity(rowCount)
        for r in 0..<rowCount {
            var row: [String?] = []
            row.reserveCapacity(columnCount)
            for c in 0..<columnCount {
                if PQgetisnull(res, Int32(r), Int32(c)) != 0 {
                    row.append(nil)
                } else {
                    row.append(String(cString: PQgetvalue(res, Int32(r), Int32(c))))
                }
            }
            rows.append(row)
        }
        return PGRows(rows: rows)
    }

    /// Names of the statements prepared on this connection, by their text.
    private var prepared: [String: String] = [:]

    /// Runs `sql` (a statement the store runs again and again) prepared once per connection: the
    /// server parses and plans it once, then only binds `params`; returns the rows as text.
    func queryPrepared(_ sql: String, _ params: [String?]) throws -> PGRows {
        let name: String
        if let known = prepared[sql] {
            name = known
        } else {
            name = "mapc_\(prepared.count + 1)"
            guard let res = PQprepare(conn, name, sql, Int32(params.count), nil) else { throw PostgresError("out of memory") }
            defer { PQclear(res) }
            try check(res)
            prepared[sql] = name
        }
        let res = withParameters(params) { values, lengths in
            PQexecPrepared(conn, name, Int32(params.count), values, lengths, nil, 0)
        }
        guard let res else { throw PostgresError("out of memory") }
        defer { PQclear(res) }
        try check(res)
        return rows(of: res)
    }

    /// Runs `body` in a transaction, committing on success and rolling back on error.
    func transaction<T>(_ body: () throws -> T) throws -> T {
        try exec("BEGIN")
        do {
            let r = try body()
            try exec("COMMIT")
            return r
        } catch {
            try? exec("ROLLBACK")
            throw error
        }
    }

    /// Throws the server's message when `res` is not a success.
    private func check(_ res: OpaquePointer) throws {
        let status = PQresultStatus(res)
        switch status {
        case PGRES_COMMAND_OK, PGRES_TUPLES_OK, PGRES_EMPTY_QUERY:
            changes = Int(String(cString: PQcmdTuples(res))) ?? 0
        default:
            let state = PQresultErrorField(res, Int32(UInt8(ascii: "C"))).map { String(cString: $0) }
            let primary = PQresultErrorField(res, Int32(UInt8(ascii: "M"))).map { String(cString: $0) }
            let message = primary ?? String(cString: PQresultErrorMessage(res)).trimmingCharacters(in: .whitespacesAndNewlines)
            throw PostgresError(url.scrub(message.isEmpty ? "statement failed" : message), sqlState: state)
        }
    }
}

/// A query's rows, as text (nil: NULL).
struct PGRows {
    var rows: [[String?]]
}

/// Calls `body` with `strings` as a C array of C strings.
private func withCStrings<R>(_ strings: [String], _ body: ([UnsafePointer<CChar>?]) -> R) -> R {
    let copies = strings.map { strdup($0) }
    defer { copies.forEach { free($0) } }
    return body(copies.map { UnsafePointer($0) } + [nil])
}

/// Calls `body` with parameters as C strings and their lengths (text format; nil: NULL).
private func withParameters<R>(
    _ params: [String?], _ body: (UnsafePointer<UnsafePointer<CChar>?>?, UnsafePointer<Int32>?) -> R
) -> R {
    var copies: [UnsafeMutablePointer<CChar>?] = []
    var lengths: [Int32] = []
    copies.reserveCapacity(params.count)
    for p in params {
        guard let p else {
            copies.append(nil)
            lengths.append(0)
            continue
        }
        var bytes = Array(p.utf8)
        lengths.append(Int32(clamping: bytes.count))
        bytes.append(0)
        let buffer = UnsafeMutablePointer<CChar>.allocate(capacity: bytes.count)
        bytes.withUnsafeBufferPointer { src in
            src.withMemoryRebound(to: CChar.self) { buffer.update(from: $0.baseAddress!, count: bytes.count) }
        }
        copies.append(buffer)
    }
    defer { copies.forEach { $0?.deallocate() } }
    let pointers = copies.map { UnsafePointer($0) }
    return pointers.withUnsafeBufferPointer { values in
        lengths.withUnsafeBufferPointer { lens in body(values.baseAddress, lens.baseAddress) }
    }
}

/// Rewrites the store's SQLite statements for PostgreSQL, so both run the same migrations and
/// queries: `?` → `$n`, SQLite column types → PostgreSQL ones (`INTEGER PRIMARY KEY` → `BIGSERIAL`),
/// `BEGIN IMMEDIATE` → `BEGIN`, `BEGIN DEFERRED` → a repeatable-read (one snapshot) transaction,
/// `WITHOUT ROWID` dropped, `INSERT OR IGNORE` / `INSERT OR REPLACE`
/// → `ON CONFLICT`, and an alias for a subquery in `FROM` (PostgreSQL 15 requires one). Quoted
/// text is never touched. `datetime('now')` and `json_extract` are functions the store defines.
enum PGDialect {
    /// The conflict target of the tables written with `INSERT OR REPLACE`.
    static let replaceKeys: [String: [String]] = [
        "console_runs": ["run"],
        "write_ledger": ["job", "platform", "record_id", "hash"],
    ]

    /// Functions SQLite has that the store's statements use, defined in the store's schema.
    static let compatibilityFunctions = """
        CREATE OR REPLACE FUNCTION datetime(t text) RETURNS text LANGUAGE sql STABLE AS
          $f$ SELECT to_char((CASE WHEN t = 'now' THEN now() ELSE t::timestamptz END) AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS') $f$;
        CREATE OR REPLACE FUNCTION json_extract(doc text, path text) RETURNS text LANGUAGE sql IMMUTABLE AS
          $f$ SELECT (doc::jsonb) #>> string_to_array(substr(path, 3), '.') $f$;
        """

    /// A token of a statement: a word, a quoted string, or one other character.
    private enum Token {
        case word(String)
        case quoted(String)
        case other(Character)

        var text: String {
            switch self {
            case .word(let w): w
            case .quoted(let q): q
            case .other(let c): String(c)
            }
        }
        var upper: String? {
            if case .word(let w) = self { return w.uppercased() }
            return nil
        }
    }

    private static func tokens(_ sql: String) -> [Token] {
        var out: [Token] = []
        var i = sql.startIndex
        while i < sql.endIndex {
            let c = sql[i]
            if c == "'" || c == "\"" {
                var j = sql.index(after: i)
                while j < sql.endIndex {
                    if sql[j] == c {
                        let next = sql.index(after: j)
                        if next < sql.endIndex && sql[next] == c {
                            j = sql.index(after: next)
                            continue
                        }
                        j = next
                        break
                    }
                    j = sql.index(after: j)
                }
                out.append(.quoted(String(sql[i..<min(j, sql.endIndex)])))
                i = min(j, sql.endIndex)
            } else if c.isLetter || c == "_" || c.isNumber {
                var j = i
                while j < sql.endIndex && (sql[j].isLetter || sql[j].isNumber || sql[j] == "_") { j = sql.index(after: j) }
                out.append(.word(String(sql[i..<j])))
                i = j
            } else {
                out.append(.other(c))
                i = sql.index(after: i)
            }
        }
        return out
    }

    /// `sql` for PostgreSQL.
    static func translate(_ sql: String) -> String {
        let toks = tokens(sql)
        var out = ""
        out.reserveCapacity(sql.utf8.count + 16)
        var parameter = 0
        var parens: [Bool] = []  // per open parenthesis: whether it opens a subquery in FROM
        var pendingInsert: (replace: Bool, table: String?)? = nil
        var columns: [String]? = nil
        var collectingColumns = false
        var i = 0
        func nextWord(after k: Int) -> (Int, String)? {
            var k = k + 1
            while k < toks.count {
                if case .other(let c) = toks[k], c.isWhitespace {
                    k += 1
                    continue
                }
                if let u = toks[k].upper { return (k, u) }
                return nil
            }
            return nil
        }
        func previousWord(before k: Int) -> String? {
            var k = k - 1
            while k >= 0 {
                if case .other(let c) = toks[k], c.isWhitespace {
                    k -= 1
                    continue
                }
                return toks[k].upper
            }
            return nil
        }
        while i < toks.count {
            let t = toks[i]
            switch t {
            case .quoted(let q):
                out += q
            case .other("?"):
                parameter += 1
                out += "$\(parameter)"
            case .other("("):
                let subquery = previousWord(before: i) == "FROM" && nextWord(after: i)?.1 == "SELECT"
                parens.append(subquery)
                if pendingInsert != nil && columns == nil && !collectingColumns {
                    collectingColumns = true
                    columns = []
                }
                out += "("
            case .other(")"):
                out += ")"
                if collectingColumns { collectingColumns = false }
                if parens.popLast() == true {
                    let next = nextWord(after: i)?.1
                    if next == nil || ["WHERE", "GROUP", "ORDER", "LIMIT", "JOIN", "UNION", "ON"].contains(next!) {
                        out += " AS sub\(parens.count)"
                    }
                }
            case .word(let w):
                let u = w.uppercased()
                if collectingColumns {
                    columns?.append(w)
                    out += w
                } else if u == "INSERT", let (k, next) = nextWord(after: i), next == "OR", let (k2, how) = nextWord(after: k) {
                    pendingInsert = (how == "REPLACE", nil)
                    out += "INSERT"
                    i = k2 + 1
                    continue
                } else if u == "INTO", pendingInsert != nil, pendingInsert?.table == nil, let (k, table) = nextWord(after: i) {
                    pendingInsert?.table = table.lowercased()
                    out += "INTO " + (toks[k].text)
                    i = k + 1
                    continue
                } else if u == "IMMEDIATE", previousWord(before: i) == "BEGIN" {
                    // dropped: PostgreSQL's BEGIN
                } else if u == "DEFERRED", previousWord(before: i) == "BEGIN" {
                    // A read over several statements: one snapshot for all of them, as SQLite's.
                    out += "ISOLATION LEVEL REPEATABLE READ"
                } else if u == "WITHOUT", nextWord(after: i)?.1 == "ROWID" {
                    i = nextWord(after: i)!.0 + 1
                    continue
                } else if u == "INTEGER" && previousWord(before: i) != "AS" {
                    if nextWord(after: i)?.1 == "PRIMARY" { out += "BIGSERIAL" } else { out += "BIGINT" }
                } else if u == "REAL" {
                    out += "DOUBLE PRECISION"
                } else {
                    out += w
                }
            case .other(let c):
                out.append(c)
            }
            i += 1
        }
        if let insert = pendingInsert {
            var trimmed = out
            while trimmed.last?.isWhitespace == true || trimmed.last == ";" { trimmed.removeLast() }
            if insert.replace, let table = insert.table, let keys = replaceKeys[table], let columns {
                let updates = columns.filter { !keys.contains($0) }.map { "\($0) = excluded.\($0)" }.joined(separator: ", ")
                out = trimmed + " ON CONFLICT(\(keys.joined(separator: ", "))) DO UPDATE SET \(updates)"
            } else if !insert.replace {
                out = trimmed + " ON CONFLICT DO NOTHING"
            }
        }
        return out
    }
}
