import Foundation
import TestSupport
import Testing

@testable import MapDSL

/// Outside values at the edges of numbers and dates: every result out of range is the record's
/// failure with a code, in both evaluators (from bytes, and from a parsed JSON value), never a trap.
@Suite struct EvaluatorRangeTests {
    static let source = Schema(
        platform: "test", object: "src",
        fields: [
            Field(name: "s", type: .string), Field(name: "i", type: .int), Field(name: "j", type: .int),
            Field(name: "d", type: .decimal), Field(name: "day", type: .date), Field(name: "ts", type: .datetime),
        ])
    static let destination = Schema(
        platform: "test", object: "dst",
        fields: [
            Field(name: "out_s", type: .string), Field(name: "out_i", type: .int), Field(name: "out_d", type: .decimal),
            Field(name: "out_day", type: .date), Field(name: "out_ts", type: .datetime),
            Field(name: "email", type: .string, format: .email),
        ])
    static let schemas = InMemorySchemas([source, destination])

    /// What became of a record: its one value, or its failure's code.
    enum Outcome: Equatable {
        case success(Value)
        case failure(RecordErrorCode)

        func get() -> Value? {
            if case .success(let v) = self { return v }
            return nil
        }
    }

    /// The outcome of `field = expr` on the JSON line `line`: the value, or the failure code; from
    /// the bytes (`RecordMapper.map(line:)`) and from the parsed value (`evaluate(json:)`), which
    /// must agree.
    func eval(_ expr: String, _ field: String, _ line: String) throws -> Outcome {
        let mapping = try Fixtures.compile("mapping test.src -> test.dst\n\(field) = \(expr)\n", schemas: Self.schemas)
        let fromBytes: Outcome
        switch RecordMapper(mapping: mapping, validate: false).map(line: Array(line.utf8)) {
        case .mapped(_, let values): fromBytes = .success(values[0])
        case .rejected(let failure, _, _): fromBytes = .failure(failure?.code ?? .conversionFailed)
        case .skipped, nil: fromBytes = .success(.null)
        }
        if let json = try? JSONParser.parse(line) {
            let fromValue: Outcome
            switch mapping.evaluate(json: json, frame: mapping.makeFrame()) {
            case .mapped(let values): fromValue = .success(values[0])
            case .failed(let f): fromValue = .failure(f.code)
            case .skipped: fromValue = .success(.null)
            }
            #expect(fromValue == fromBytes, "\(expr) on \(line): bytes \(fromBytes), value \(fromValue)")
        }
        return fromBytes
    }

    static let outOfRange: [(String, String, String, RecordErrorCode)] = [
        // add_days past the calendar: the issue's repros.
        ("add_days(to_date(s), i)", "out_day", #"{"s": "2024-03-05", "i": 9223372036854775807}"#, .dateOutOfRange),
        ("add_days(to_date(s), i)", "out_day", #"{"s": "2024-03-05", "i": -9223372036854775808}"#, .dateOutOfRange),
        ("add_days(to_date(s), i)", "out_day", #"{"s": "2024-03-05", "i": 3000000}"#, .dateOutOfRange),
        ("add_days(to_datetime(s), i)", "out_ts", #"{"s": "2024-03-05", "i": 106751991167}"#, .dateOutOfRange),
        ("add_days(to_datetime(s), i)", "out_ts", #"{"s": "2024-03-05", "i": -9223372036854775808}"#, .dateOutOfRange),
        ("add_days(to_datetime(s), i)", "out_ts", #"{"s": "2024-03-05", "i": 9223372036854775807}"#, .dateOutOfRange),
        ("format_date(add_days(to_date(s), i), \"yyyy\")", "out_s", #"{"s": "2024-03-05", "i": 9223372036854775807}"#, .dateOutOfRange),
        ("format_date(add_days(to_datetime(s), i), \"yyyy\")", "out_s", #"{"s": "2024-03-05", "i": 106751991167}"#, .dateOutOfRange),
        ("to_string(add_days(day, i))", "out_s", #"{"day": "9999-12-31", "i": 1}"#, .dateOutOfRange),
        // Source values outside the calendar.
        ("ts", "out_ts", #"{"ts": 9223372036854775807}"#, .dateOutOfRange),
        ("ts", "out_ts", #"{"ts": "-9223372036854775808"}"#, .dateOutOfRange),
        ("day", "out_day", #"{"day": 9223372036854775807}"#, .dateOutOfRange),
        // Checked arithmetic.
        ("i + j", "out_i", #"{"i": 9223372036854775807, "j": 1}"#, .numberOutOfRange),
        ("i - j", "out_i", #"{"i": -9223372036854775808, "j": 1}"#, .numberOutOfRange),
        ("i * j", "out_i", #"{"i": 4611686018427387904, "j": 2}"#, .numberOutOfRange),
        ("-i", "out_i", #"{"i": -9223372036854775808}"#, .numberOutOfRange),
        ("d * d", "out_d", #"{"d": 1e200}"#, .numberOutOfRange),
        ("d + d", "out_d", #"{"d": 1.7976931348623157e308}"#, .numberOutOfRange),
        ("d / 0.000001", "out_d", #"{"d": 1e305}"#, .numberOutOfRange),
        ("i % j", "out_i", #"{"i": 1, "j": 0}"#, .divisionByZero),
        // Numbers no field type holds.
        ("d", "out_d", #"{"d": 1e400}"#, .numberOutOfRange),
        ("i", "out_i", #"{"i": 123456789012345678901234567890}"#, .numberOutOfRange),
        ("i", "out_i", #"{"i": 1e19}"#, .numberOutOfRange),
    ]

    @Test(arguments: outOfRange)
    func outOfRangeIsTheRecordsFailureNotATrap(expr: String, field: String, line: String, code: RecordErrorCode) throws {
        #expect(try eval(expr, field, line) == .failure(code))
    }

    @Test func caseListsAreNotEmpty() {
        #expect(!Self.outOfRange.isEmpty && !Self.inRange.isEmpty && !Self.offsets.isEmpty)
    }

    static let inRange: [(String, String, String, Value)] = [
        // Int.min % -1 overflows in the machine, not in arithmetic: the remainder is 0.
        ("i % j", "out_i", #"{"i": -9223372036854775808, "j": -1}"#, .int(0)),
        ("i % j", "out_i", #"{"i": 7, "j": -2}"#, .int(1)),
        ("add_days(to_date(s), i)", "out_day", #"{"s": "9999-12-30", "i": 1}"#, .date(Dates.maxDay)),
        ("add_days(to_date(s), i)", "out_day", #"{"s": "0001-01-02", "i": -1}"#, .date(Dates.minDay)),
        ("days_between(to_date(s), day)", "out_i", #"{"s": "0001-01-01", "day": "9999-12-31"}"#, .int(Dates.maxDay - Dates.minDay)),
        ("round(d, 2)", "out_d", #"{"d": 1.7976931348623157e308}"#, .decimal(1.7976931348623157e308)),
        ("format_date(ts, \"yyyy-MM-dd HH:mm\")", "out_s", #"{"ts": "9999-12-31T23:59:59.999Z"}"#, .string("9999-12-31 23:59")),
    ]

    @Test(arguments: inRange)
    func edgesInsideTheRangeStillMap(expr: String, field: String, line: String, expected: Value) throws {
        #expect(try eval(expr, field, line) == .success(expected))
    }

    static let offsets: [(String, Bool)] = [
        ("2024-03-05T10:00:00+99:99", false), ("2024-03-05T10:00:00+18:01", false), ("2024-03-05T10:00:00+05:60", false),
        ("2024-03-05T10:00:00+02:", false), ("0001-01-01T00:00:00+01:00", false), ("9999-12-31T23:00:00-01:30", false),
        ("2024-03-05T10:00:00+14:00", true), ("2024-03-05T10:00:00-12:00", true), ("2024-03-05T10:00:00+0530", true),
        ("2024-03-05T10:00:00+18:00", true),
    ]

    @Test(arguments: offsets)
    func timestampOffsetsBeyondEighteenHoursAreRejected(text: String, valid: Bool) throws {
        let r = try eval("to_datetime(s)", "out_ts", #"{"s": "\#(text)"}"#)
        if valid {
            #expect(r.get() != nil, "\(text) should read")
        } else {
            #expect(r == .failure(.invalidDate), "\(text) should be refused")
        }
    }

    @Test func invalidUTF8InARecordStringIsAMalformedRecordNotAReplacementCharacter() throws {
        let mapping = try Fixtures.compile("mapping test.src -> test.dst\nemail = s\n", schemas: Self.schemas)
        let mapper = RecordMapper(mapping: mapping)
        var line = Array(#"{"s": "ann@example.com"#.utf8)
        line += [0xFF, 0xFE]
        line += Array(#""}"#.utf8)
        guard case .rejected(let failure, _, _) = mapper.map(line: line) else {
            Issue.record("a string that is not UTF-8 was mapped")
            return
        }
        #expect(failure?.code == .malformedRecord)
        #expect(failure?.message.contains("invalid UTF-8") == true)
        #expect(throws: JSONParseError(message: "invalid UTF-8 in a string", offset: 22)) {
            try JSONParser.parse(line, rejectingInvalidUTF8: true)
        }
        // In a key too, and in a string with escapes.
        #expect(throws: JSONParseError.self) {
            try JSONParser.parse([0x7B, 0x22, 0xC0, 0x80, 0x22, 0x3A, 0x31, 0x7D], rejectingInvalidUTF8: true)
        }
        #expect(throws: JSONParseError.self) {
            try JSONParser.parse(Array(#"["\n"#.utf8) + [0xED, 0xA0, 0x80] + Array(#""]"#.utf8), rejectingInvalidUTF8: true)
        }
        // Other documents (platform replies, files) are repaired as before unless asked.
        #expect(try JSONParser.parse(line)["s"] == .string("ann@example.com\u{FFFD}\u{FFFD}"))
    }

    @Test func numbersReadAsTextKeepTheirDigits() throws {
        let mapping = try Fixtures.compile("mapping test.src -> test.dst\nout_s = s\n", schemas: Self.schemas)
        let mapper = RecordMapper(mapping: mapping)
        for (literal, text) in [
            ("123456789012345678901234567890", "123456789012345678901234567890"), ("1e400", "1e400"), ("-1e400", "-1e400"),
            ("0.12345678901234567890", "0.12345678901234567890"), ("12", "12"),
            ("1.5", "1.5"), ("-9223372036854775809", "-9223372036854775809"),
        ] {
            guard case .mapped(_, let values) = mapper.map(line: Array(#"{"s": \#(literal)}"#.utf8)) else {
                Issue.record("\(literal) was not mapped")
                continue
            }
            #expect(values[0] == .string(text), "\(literal)")
        }
        // A parsed value has lost a number too large for a double: that is the record's failure.
        guard case .failed(let f) = mapping.evaluate(json: try JSONParser.parse(#"{"s": 1e400}"#), frame: mapping.makeFrame()) else {
            Issue.record("1e400 as a parsed value was mapped")
            return
        }
        #expect(f.code == .numberOutOfRange)
    }

    @Test func deeplyNestedRecordValuesAreMalformedNotAStackOverflow() throws {
        let mapping = try Fixtures.compile("mapping test.src -> test.dst\nout_s = s\n", schemas: Self.schemas)
        let mapper = RecordMapper(mapping: mapping)
        for (open, close) in [("[", "]"), ("{\"a\":", "}")] {
            let deep =
                #"{"s": "x", "other": "# + String(repeating: open, count: 100_000) + "1" + String(repeating: close, count: 100_000) + "}"
            guard case .rejected(let failure, _, _) = mapper.map(line: Array(deep.utf8)) else {
                Issue.record("a 100,000-deep value was mapped")
                continue
            }
            #expect(failure?.code == .malformedRecord)
        }
        #expect(throws: JSONParseError.self) {
            try JSONParser.parse(String(repeating: "[", count: 600) + String(repeating: "]", count: 600))
        }
        #expect((try? JSONParser.parse(String(repeating: "[", count: 500) + String(repeating: "]", count: 500))) != nil)
    }
}
