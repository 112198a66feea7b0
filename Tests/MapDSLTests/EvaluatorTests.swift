import Foundation
import MapDSL
import TestSupport
import Testing

/// Semantics tables: each case maps one record through one assignment and compares the output.
@Suite struct EvaluatorTests {
    static let source = Schema(
        platform: "test", object: "src",
        fields: [
            Field(name: "s", type: .string), Field(name: "t", type: .string), Field(name: "i", type: .int),
            Field(name: "d", type: .decimal), Field(name: "b", type: .bool), Field(name: "day", type: .date),
            Field(name: "ts", type: .datetime), Field(name: "p", type: .picklist, values: ["a", "b"]),
            Field(name: "company", type: .string),
        ])
    static let destination = Schema(
        platform: "test", object: "dst",
        fields: [
            Field(name: "out_s", type: .string), Field(name: "out_i", type: .int), Field(name: "out_d", type: .decimal),
            Field(name: "out_b", type: .bool), Field(name: "out_day", type: .date), Field(name: "out_ts", type: .datetime),
        ])
    static let accounts = Schema(
        platform: "test", object: "Account", fields: [Field(name: "Id", type: .id), Field(name: "Name", type: .string)])
    static let schemas = InMemorySchemas([source, destination, accounts])

    /// Maps `record` with `field = expr`; returns the output value, or the failure code.
    func eval(_ expr: String, _ field: String, _ record: JSONValue, lookups: LookupProvider? = nil) throws -> Result<Value, RecordFailure> {
        let text = "mapping test.src -> test.dst\n\(field) = \(expr)\n"
        let mapping = try Fixtures.compile(text, schemas: Self.schemas)
        switch mapping.evaluate(json: record, frame: mapping.makeFrame(lookups: lookups)) {
        case .mapped(let values): return .success(values[0])
        case .failed(let f): return .failure(f)
        case .skipped: return .success(.null)
        }
    }

    static let stringCases: [(String, JSONValue, Value)] = [
        ("lower(trim(s))", ["s": "  Ann@X.COM "], .string("ann@x.com")),
        ("trim(s)", ["s": "\u{00A0}Zoë\u{2003}"], .string("Zoë")),
        ("trim(s)", ["s": nil], .null),
        ("trim(s)", [:], .null),
        ("s ?? \"x\"", ["s": ""], .string("")),
        ("null_if_blank(trim(s)) ?? \"x\"", ["s": "   "], .string("x")),
        ("upper(s)", ["s": "straße"], .string("STRASSE")),
        ("title(s)", ["s": "mary-jane o'BRIEN"], .string("Mary-Jane O'Brien")),
        ("title(s)", ["s": "don't stop"], .string("Don't Stop")),
        ("replace(s, \"-\", \" \")", ["s": "a-b-c"], .string("a b c")),
        ("split(s, \" \", -1)", ["s": "Ann Marie Lee"], .string("Lee")),
        ("split(s, \" \", 5)", ["s": "Ann Lee"], .null),
        ("substring(s, 0, 10)", ["s": "2024-03-05T10:22:11Z"], .string("2024-03-05")),
        ("substring(s, 2)", ["s": "王芳芳"], .string("芳")),
        ("substring(s, 10, 3)", ["s": "short"], .string("")),
        ("left(s, 3)", ["s": "Zoë Lee"], .string("Zoë")),
        ("right(s, 3)", ["s": "ABC-123"], .string("123")),
        ("truncate(s, 8, \"…\")", ["s": "Hello world"], .string("Hello w…")),
        ("truncate(s, 80)", ["s": "short"], .string("short")),
        ("to_string(length(s))", ["s": "Søren"], .string("5")),
        ("s + \"!\"", ["s": "hi"], .string("hi!")),
        ("s + t", ["s": "hi", "t": nil], .null),
        ("concat(s, \" \", t)", ["s": "Ann", "t": nil], .string("Ann ")),
        ("join(\" \", s, t, \"Lee\")", ["s": "Ann", "t": "  "], .string("Ann Lee")),
        ("email_domain(s)", ["s": " Ann@Acme.COM "], .string("acme.com")),
        ("email_domain(s)", ["s": "no-at-sign"], .null),
        ("normalize_phone(s)", ["s": "(555) 010-2030"], .string("+15550102030")),
        ("normalize_phone(s, \"GB\")", ["s": "020 7946 0958 ext 12"], .string("+442079460958")),
        ("normalize_phone(s)", ["s": "0044 20 7946 0958"], .string("+442079460958")),
        ("normalize_phone(s)", ["s": "n/a"], .null),
        ("extract(s, \"#(\\\\d+)\")", ["s": "Order #4411"], .string("4411")),
        ("to_string(matches(s, \"^[A-Z]{2}-\\\\d+$\"))", ["s": "AB-1234"], .string("true")),
        ("match p { \"a\" => \"A\", null => \"none\", _ => \"other\" }", ["p": nil], .string("none")),
        ("match p { \"a\" => \"A\", _ => \"other\" }", ["p": "zzz"], .string("other")),
        ("match p { \"a\", \"b\" => \"AB\", _ => \"other\" }", ["p": "b"], .string("AB")),
        ("if blank(s) then \"Marketing Site\" else s", ["s": " "], .string("Marketing Site")),
        ("if blank(s) then \"Marketing Site\" else s", ["s": "Web"], .string("Web")),
        ("to_string(d)", ["d": "1,200.50"], .string("1200.5")),
        ("to_string(b)", ["b": "TRUE"], .string("true")),
        ("to_string(day)", ["day": "2024-02-29"], .string("2024-02-29")),
        ("to_string(ts)", ["ts": "2024-03-05T10:22:11.5+01:00"], .string("2024-03-05T09:22:11.500Z")),
        ("to_string(ts)", ["ts": 1_709_634_131_000], .string("2024-03-05T10:22:11.000Z")),
        ("format_date(day, \"MM/dd\")", ["day": "1990-04-01"], .string("04/01")),
        ("format_date(ts, \"dd MMM yyyy HH:mm\")", ["ts": "2024-03-05T10:22:11Z"], .string("05 Mar 2024 10:22")),
        ("lookup(test.Account, Name == trim(company))?.Id", ["company": " Acme "], .string("001A")),
        ("lookup(test.Account, Name == company)?.Id", ["company": "Nobody"], .null),
        ("lookup(test.Account, Name == company)?.Id", ["company": "Twin"], .null),
        ("lookup(test.Account, Name == company)?.Id", ["company": nil], .null),
    ]

    static let lookup = InMemoryLookup(records: [
        "test.Account": [
            ["Id": .string("001A"), "Name": .string("Acme")], ["Id": .string("002T"), "Name": .string("Twin")],
            ["Id": .string("003T"), "Name": .string("Twin")],
        ]
    ])

    @Test(arguments: stringCases)
    func strings(expr: String, record: JSONValue, expected: Value) throws {
        #expect(try eval(expr, "out_s", record, lookups: Self.lookup).get() == expected)
    }

    static let numberCases: [(String, JSONValue, Value)] = [
        ("i + 1", ["i": "41"], .int(42)),
        ("i * 2", ["i": 21], .int(42)),
        ("i % 5", ["i": 42], .int(2)),
        ("-i", ["i": "5"], .int(-5)),
        ("i ?? 0", ["i": ""], .int(0)),
        ("try_int(s)", ["s": " 1,200 "], .int(1200)),
        ("try_int(s)", ["s": "50-100"], .null),
        ("try_int(s)", ["s": "1,20"], .null),
        ("to_int(d)", ["d": 3.9], .int(3)),
        ("length(s)", ["s": "Zoë"], .int(3)),
        ("year(day)", ["day": "2024-03-05"], .int(2024)),
        ("days_between(to_date(\"2024-01-01\"), to_date(\"2024-03-01\"))", [:], .int(60)),
        ("max(i, 3)", ["i": 7], .int(7)),
        ("abs(i)", ["i": -7], .int(7)),
    ]

    @Test(arguments: numberCases)
    func integers(expr: String, record: JSONValue, expected: Value) throws {
        #expect(try eval(expr, "out_i", record).get() == expected)
    }

    static let decimalCases: [(String, JSONValue, Value)] = [
        ("i / 2", ["i": 5], .decimal(2.5)),
        ("d + i", ["d": 0.5, "i": 1], .decimal(1.5)),
        ("round(d, 2)", ["d": "2.345"], .decimal(2.35)),
        ("round(d)", ["d": -2.5], .decimal(-3)),
        ("to_decimal(s)", ["s": "1,234.5"], .decimal(1234.5)),
        ("try_decimal(s)", ["s": "n/a"], .null),
        ("i", ["i": 3], .decimal(3)),
        ("max(i, d)", ["i": 3, "d": 2.5], .decimal(3)),
    ]

    @Test(arguments: decimalCases)
    func decimals(expr: String, record: JSONValue, expected: Value) throws {
        #expect(try eval(expr, "out_d", record).get() == expected)
    }

    static let boolCases: [(String, JSONValue, Value)] = [
        ("s == \"true\"", ["s": "true"], .bool(true)),
        ("s == \"true\"", ["s": nil], .bool(false)),
        ("s == null", ["s": nil], .bool(true)),
        ("i == d", ["i": 2, "d": 2.0], .bool(true)),
        ("i < 3", ["i": nil], .bool(false)),
        ("not (i < 3)", ["i": nil], .bool(true)),
        ("s < t", ["s": "a", "t": "b"], .bool(true)),
        ("day < ts", ["day": "2024-03-05", "ts": "2024-03-05T00:00:01Z"], .bool(true)),
        ("blank(s) or s == \"x\"", ["s": "\t"], .bool(true)),
        ("present(s) and length(s) > 2", ["s": "abc"], .bool(true)),
        ("b ?? false", ["b": ""], .bool(false)),
        ("to_bool(s)", ["s": "Yes"], .bool(true)),
        ("is_null(i)", [:], .bool(true)),
        ("contains(s, \"@gmail.\")", ["s": "ann@gmail.com"], .bool(true)),
        ("starts_with(s, \"+44\")", ["s": "+44 20"], .bool(true)),
        ("ends_with(s, \".io\")", ["s": "a@b.io"], .bool(true)),
    ]

    @Test(arguments: boolCases)
    func booleans(expr: String, record: JSONValue, expected: Value) throws {
        #expect(try eval(expr, "out_b", record).get() == expected)
    }

    static let dateCases: [(String, String, JSONValue, Value)] = [
        ("to_date(s)", "out_day", ["s": "2024-03-05T23:59:59Z"], .date(Dates.days(year: 2024, month: 3, day: 5))),
        ("parse_date(s, \"dd/MM/yyyy\")", "out_day", ["s": "05/03/2024"], .date(Dates.days(year: 2024, month: 3, day: 5))),
        ("try_date(s)", "out_day", ["s": "31/02/2020"], .null),
        ("try_date(s)", "out_day", ["s": "2021-13-45"], .null),
        ("add_days(day, 1)", "out_day", ["day": "2024-02-28"], .date(Dates.days(year: 2024, month: 2, day: 29))),
        ("add_days(day, -1)", "out_day", ["day": "2024-03-01"], .date(Dates.days(year: 2024, month: 2, day: 29))),
        ("day", "out_ts", ["day": "2024-03-05"], .datetime(Int64(Dates.days(year: 2024, month: 3, day: 5)) * 86_400_000)),
        ("parse_datetime(s, \"yyyy-MM-dd HH:mm\")", "out_ts", ["s": "2024-03-05 14:30"], .datetime(1_709_649_000_000)),
    ]

    @Test(arguments: dateCases)
    func dates(expr: String, field: String, record: JSONValue, expected: Value) throws {
        #expect(try eval(expr, field, record).get() == expected)
    }

    static let failureCases: [(String, String, JSONValue, RecordErrorCode)] = [
        ("to_int(s)", "out_i", ["s": "abc"], .conversionFailed),
        ("i / 0", "out_d", ["i": 1], .divisionByZero),
        ("i % 0", "out_i", ["i": 1], .divisionByZero),
        ("i * i", "out_i", ["i": 9_000_000_000_000], .numberOutOfRange),
        ("to_date(s)", "out_day", ["s": "yesterday"], .invalidDate),
        ("parse_date(s, \"dd/MM/yyyy\")", "out_day", ["s": "2024-03-05"], .invalidDate),
        ("to_bool(s)", "out_b", ["s": "maybe"], .conversionFailed),
        ("i", "out_i", ["i": "twelve"], .unreadableSourceValue),
        ("to_string(ts)", "out_s", ["ts": "31/02/2020"], .unreadableSourceValue),
        ("matches(s, t)", "out_b", ["s": "x", "t": "(["], .invalidPattern),
    ]

    @Test(arguments: failureCases)
    func recordLevelFailures(expr: String, field: String, record: JSONValue, code: RecordErrorCode) throws {
        guard case .failure(let f) = try eval(expr, field, record) else {
            Issue.record("expected a failure for \(expr)")
            return
        }
        #expect(f.code == code)
        #expect(code == .unreadableSourceValue ? f.sourceField != nil : (f.field == field && f.line == 2))
    }

    @Test func nonObjectRecordIsAFailureNotACrash() throws {
        let mapping = try Fixtures.compile("mapping test.src -> test.dst\nout_s = s\n", schemas: Self.schemas)
        guard case .failed(let f) = mapping.evaluate(json: .array([]), frame: mapping.makeFrame()) else {
            Issue.record("expected a failure")
            return
        }
        #expect(f.code == .malformedRecord)
    }

    /// One frame reused for records whose keys come in other orders, missing, repeated or unknown
    /// (the frame remembers the last key order) maps each as a fresh frame would.
    @Test func aReusedFrameMapsRecordsOfAnyKeyOrderAsAFreshOne() throws {
        let mapping = try Fixtures.compile(
            "mapping test.src -> test.dst\nout_s = s + \"/\" + (t ?? \"-\")\nout_i = i\nout_b = b\n", schemas: Self.schemas)
        let records: [JSONValue] = [
            ["s": "a", "t": "b", "i": 1, "b": true], ["s": "a", "t": "b", "i": 1, "b": true], ["t": "c", "s": "d", "b": "false", "i": "2"],
            ["s": "e", "i": 3], ["x": 1, "s": "f", "t": "g", "i": 4, "b": false], ["s": "h", "s": "i", "t": "j"], [:],
            ["s": "k", "t": "l", "i": "not a number"], ["s": "m", "t": "n", "i": 5, "b": true],
        ]
        let shared = mapping.makeFrame()
        for record in records {
            let reused = mapping.evaluate(json: record, frame: shared)
            let fresh = mapping.evaluate(json: record, frame: mapping.makeFrame())
            #expect(String(describing: reused) == String(describing: fresh), "\(JSONWriter.compact(record))")
        }
        guard case .mapped(let values) = mapping.evaluate(json: ["t": "c", "s": "d", "b": "false", "i": "2"], frame: shared) else {
            Issue.record("expected values")
            return
        }
        #expect(values == [.string("d/c"), .int(2), .bool(false)])
    }

    @Test func skipRulesReportWhichRule() throws {
        let mapping = try Fixtures.compile(
            "mapping test.src -> test.dst\nskip when blank(s)\nskip when i > 10\nout_s = s\n", schemas: Self.schemas)
        let frame = mapping.makeFrame()
        guard case .skipped(let rule) = mapping.evaluate(json: ["s": "x", "i": 11], frame: frame) else {
            Issue.record("expected skip")
            return
        }
        #expect(rule == 1)
        #expect(mapping.skipRules == ["blank(s)", "i > 10"])
    }
}
