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
