import Foundation
import TestSupport
import Testing

@testable import SyncEngine

/// The libpq connection the PostgreSQL store runs on, against the throw-away test cluster.
@Suite
struct PostgresConnectionTests {
    func connect() throws -> PGConnection {
        try PGConnection(url: PostgresURL(PostgresCluster.freshStoreURL("conn")))
    }

    @Test func parametersRoundTripAsTextIncludingQuotesUnicodeAndNull() throws {
        let c = try connect()
        let rows = try c.query(
            "SELECT $1::text, $2::bigint, $3::text, $4::double precision", ["it's \"q\" ✓ \\ $1", "-9223372036854775808", nil, "0.1"])
        #expect(rows.rows.count == 1)
        #expect(rows.rows[0][0] == "it's \"q\" ✓ \\ $1")
        #expect(rows.rows[0][1] == "-9223372036854775808")
        #expect(rows.rows[0][2] == nil)
        #expect(rows.rows[0][3] == "0.1")
    }

    @Test func aFailedTransactionLeavesNothingBehind() throws {
        let c = try connect()
        try c.exec("CREATE SCHEMA IF NOT EXISTS \(try currentSchema(c)); CREATE TABLE t(k text PRIMARY KEY)")
        #expect(throws: PostgresError.self) {
            try c.transaction {
                _ = try c.query("INSERT INTO t(k) VALUES($1)", ["a"])
                _ = try c.query("INSERT INTO t(k) VALUES($1)", ["a"])
            }
        }
        #expect(try c.query("SELECT count(*) FROM t", []).rows[0][0] == "0")
        try c.transaction { _ = try c.query("INSERT INTO t(k) VALUES($1)", ["b"]) }
        #expect(try c.query("SELECT k FROM t", []).rows.map { $0[0] } == ["b"])
        #expect(c.changes == 1)
    }

    @Test func anErrorCarriesTheServersMessageAndCode() throws {
        let c = try connect()
        try c.exec("CREATE SCHEMA IF NOT EXISTS \(try currentSchema(c)); CREATE TABLE u(k text PRIMARY KEY)")
        _ = try c.query("INSERT INTO u VALUES($1)", ["secret-value-1"])
        do {
            _ = try c.query("INSERT INTO u VALUES($1)", ["secret-value-1"])
            Issue.record("a duplicate key was accepted")
        } catch let error as PostgresError {
            #expect(error.isUniqueViolation)
            #expect(error.description.contains("duplicate key value violates unique constraint"))
        }
        do {
            try c.exec("SELEC 1")
            Issue.record("a syntax error was accepted")
        } catch let error as PostgresError {
            #expect(error.sqlState == "42601")
            #expect(error.description.contains("syntax error"))
        }
    }

    @Test func aWrongPasswordIsNeverShown() throws {
        let good = try PostgresCluster.url.get()
        let wrong = good.replacingOccurrences(
            of: "mapc:\(try #require(URLComponents(string: good)?.password))@", with: "mapc:hunter2-wrong@")
        #expect(wrong != good)
        do {
            _ = try PGConnection(url: PostgresURL(wrong))
            Issue.record("a wrong password was accepted")
        } catch let error as PostgresError {
            #expect(!error.description.contains("hunter2"))
            #expect(error.description.contains("password authentication failed"))
            #expect(error.description.contains("mapc:***@127.0.0.1"))
        }
    }

    @Test func aURLIsShownWithoutItsPassword() throws {
        let url = try PostgresURL("postgres://u:p%40ss@db.example:5432/mapc?sslmode=require")
        #expect(url.description == "postgres://u:***@db.example:5432/mapc?sslmode=require")
        #expect(url.scrub("failed for p@ss and p%40ss") == "failed for *** and ***")
        #expect(throws: PostgresError.self) { try PostgresURL("mysql://x") }
        #expect(throws: PostgresError.self) { try PostgresURL("postgres://" + String(repeating: "a", count: 5000)) }
    }

    func currentSchema(_ c: PGConnection) throws -> String {
        let path = try c.query("SHOW search_path", []).rows[0][0] ?? ""
        return String(path.split(separator: ",").first ?? "public").trimmingCharacters(in: .whitespaces)
    }
}

/// The store's SQLite statements as PostgreSQL receives them.
@Suite struct PGDialectTests {
    @Test(arguments: [
        ("SELECT a FROM t WHERE b = ? AND c = '?' AND d = ?", "SELECT a FROM t WHERE b = $1 AND c = '?' AND d = $2"),
        ("BEGIN IMMEDIATE", "BEGIN "),
        ("BEGIN DEFERRED", "BEGIN ISOLATION LEVEL REPEATABLE READ"),
        (
            "CREATE TABLE t(id INTEGER PRIMARY KEY, n INTEGER NOT NULL, x REAL)",
            "CREATE TABLE t(id BIGSERIAL PRIMARY KEY, n BIGINT NOT NULL, x DOUBLE PRECISION)"
        ),
        ("INSERT OR IGNORE INTO t(a, b) VALUES(?, ?)", "INSERT INTO t(a, b) VALUES($1, $2) ON CONFLICT DO NOTHING"),
        (
            "INSERT OR REPLACE INTO write_ledger(job, platform, record_id, hash, fields) VALUES(?, ?, ?, ?, ?)",
            "INSERT INTO write_ledger(job, platform, record_id, hash, fields) VALUES($1, $2, $3, $4, $5) ON CONFLICT(job, platform, record_id, hash) DO UPDATE SET fields = excluded.fields"
        ),
        ("SELECT count(*) FROM (SELECT 1 FROM t) WHERE 1 = 1", "SELECT count(*) FROM (SELECT 1 FROM t) AS sub0 WHERE 1 = 1"),
        ("SELECT 'it''s ? INTEGER' FROM t", "SELECT 'it''s ? INTEGER' FROM t"),
    ])
    func statementsAreRewrittenAndQuotedTextIsNot(sqlite: String, postgres: String) {
        #expect(PGDialect.translate(sqlite) == postgres)
    }
}
