import Foundation
import TestSupport
import Testing

@testable import MapDSL

/// The byte-level evaluator (``CellProgram``, used by ``RecordMapper`` when it covers a mapping)
/// against the general path (``JSONParser``, the ``Value`` evaluator, ``OutputValidator``): every
/// line must give the same outcome, the same bytes and the same violations, whichever evaluator
/// decided it.
@Suite struct CellEvaluatorTests {
    static let source = Schema(
        platform: "test", object: "src",
        fields: [
            Field(name: "s", type: .string), Field(name: "t", type: .string), Field(name: "u", type: .string),
            Field(name: "i", type: .int), Field(name: "b", type: .bool), Field(name: "day", type: .date),
        ])
    static let destination = Schema(
        platform: "test", object: "dst",
        fields: [
            Field(name: "email", type: .string, maxLength: 12, format: .email),
            Field(name: "upper", type: .string),
            Field(name: "named", type: .string, nullable: false, required: true, maxLength: 5),
            Field(name: "prefixed", type: .string), Field(name: "middle", type: .string), Field(name: "tail", type: .string),
            Field(name: "number", type: .int), Field(name: "count", type: .int), Field(name: "amount", type: .decimal),
            Field(name: "at", type: .datetime), Field(name: "flag", type: .bool, nullable: false),
            Field(name: "either", type: .string), Field(name: "kind", type: .picklist, values: ["A", "E", "kay", "other", "Zoë"]),
            Field(name: "same", type: .bool), Field(name: "neither", type: .bool), Field(name: "first", type: .string),
            Field(name: "missing", type: .bool), Field(name: "spelled", type: .string),
            Field(name: "phone", type: .string, format: .phone),
            Field(name: "sum", type: .int), Field(name: "ratio", type: .decimal), Field(name: "bigger", type: .bool),
            Field(name: "negated", type: .int), Field(name: "trimmed", type: .string), Field(name: "lowered", type: .string),
            Field(name: "blankness", type: .bool),
        ])
    static let mapping = """
        mapping test.src -> test.dst
        skip when s == "skip me"
        skip when blank(u) and is_null(t) and s == "both"

        email    = lower(trim(s))
        upper    = upper(t)
        named    = null_if_blank(trim(s)) ?? "none"
        prefixed = "pre " + left(s, 3)
        middle   = substring(t, 1, 2)
        tail     = substring(s, 2)
        number   = try_int(t)
        count    = i
        amount   = i
        at       = day
        flag     = b ?? false
        either   = if blank(t) then "blank" else t
        kind     = match s {
            "a" => "A"
            "é" => "E"
            "K" => "kay"
            "Zoë", "zoe" => "Zoë"
            _ => "other"
        }
        same     = s == t
        neither  = s != "x" and not present(t) or is_null(u)
        first    = coalesce(u, t, s, "z")
        missing  = is_null(u)
        spelled  = match i {
            1 => "one"
            2 => "two"
            _ => "many"
        }
        phone    = u
        sum      = i * 2 - 1
        ratio    = 10 / i
        bigger   = i > 1 or s < t or t >= "b"
        negated  = -i
        trimmed  = trim(s)
        lowered  = lower(t)
        blankness = blank(s) or present(t)
        """

    static func compiled() throws -> CompiledMapping {
        try Fixtures.compile(mapping, schemas: InMemorySchemas([source, destination]))
    }

    /// The general path's result for `line`, validated, as text.
    static func general(_ line: [UInt8], _ mapping: CompiledMapping) -> String {
        let json: JSONValue
        do {
            json = try JSONParser.parse(line, rejectingInvalidUTF8: true)
        } catch {
            return "rejected R0608 not valid JSON: \(error.description)"
        }
        switch mapping.evaluate(json: json, frame: mapping.makeFrame()) {
        case .mapped(let values):
            let violations = OutputValidator.validate(values, fields: mapping.outputFields)
            if !violations.isEmpty { return "rejected " + violations.map { "\($0.code.rawValue) \($0.message)" }.joined(separator: "; ") }
            return "mapped " + RecordMapper.jsonLine(values, fields: mapping.outputFields)
        case .skipped(let rule): return "skipped \(rule)"
        case .failed(let f): return "rejected \(f.code.rawValue) \(f.message)"
        }
    }

    /// The mapper's result for `line`, as text.
    static func fast(_ line: [UInt8], _ mapper: RecordMapper) -> String {
        var out: [UInt8] = []
        let status = line.withUnsafeBufferPointer { mapper.map(line: $0, appendingTo: &out) }
        switch status {
        case .blank: return "blank"
        case .mapped: return "mapped " + String(decoding: out, as: UTF8.self)
        case .skipped(let rule): return "skipped \(rule)"
        case .rejected(let f, let violations, _):
            if let f { return "rejected \(f.code.rawValue) \(f.message)" }
            return "rejected " + violations.map { "\($0.code.rawValue) \($0.message)" }.joined(separator: "; ")
        }
    }

    /// Texts that the byte level must get right or leave to the ``Value`` evaluator: ASCII and
    /// Unicode whitespace at either end, case, combining marks, canonically equivalent spellings
    /// (`é` and `e` + U+0301, `K` and the Kelvin sign), emails, phones, numbers in every form
    /// `try_int` reads, escapes.
    static let pieces = [
        "", " ", "\t", "  ", "\n", "\r\n", "\u{0B}", "\u{0C}", "\u{1C}", "\u{A0}", "\u{2003}", "\u{85}", "\u{FEFF}", "\u{200B}",
        "\u{3000}", "a", "A", "K", "\u{212A}", "é", "e\u{301}", "\u{301}", "Zoë", "zoe", "ZOË", "ß", "İ", "🎉", "x", "skip me",
        "both", "ann@x.io", "ANN@X.IO", " Ann@Example.COM ", "a@b", "a@b.c", "a..b@c.de", "+1 555 0100 200", "(555) 010-2030",
        "555", "0", "42", " 42 ", "-7", "+12", "1,200", "1,250,000", "12345,678", "1,23", "+1,000", ",123", "-0,000",
        "999,999,999,999,999,999", "9,999,999,999,999,999,999", "12.0", "1e3", "50-100", "n/a", "123456789012345678",
        "1234567890123456789", "٣", "\"", "\\", "/", "quote\"d", "tab\there", "\u{01}", "\u{7F}", "Müller & Söhne",
    ]

    /// A deterministic stream of pseudo-random numbers (SplitMix64).
    struct Stream {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
    }

    /// Ordinary values, as most records hold.
    static let ordinary = ["Ann", "ann@x.io", "Bob", "  Lee ", "a", "K", "zoe", "42", "7", "", "x", "both", "Acme Corp", "+1 555 0100"]

    static func text(_ r: inout Stream) -> JSONValue {
        switch r.below(10) {
        case 0: return .null
        case 1: return .string(pieces[r.below(pieces.count)])
        case 2...6: return .string(ordinary[r.below(ordinary.count)])
        default:
            var s = ""
            for _ in 0..<(1 + r.below(3)) { s += pieces[r.below(pieces.count)] }
            return .string(s)
        }
    }

    /// A JSON text of `value` with every non-ASCII scalar and some ASCII ones as `\u` escapes,
    /// as ASCII-only exporters write it.
    static func escaped(_ value: JSONValue) -> String {
        guard case .object(let pairs) = value else { return JSONWriter.compact(value) }
        var out = "{"
        for (i, (k, v)) in pairs.enumerated() {
            if i > 0 { out += ", " }
            out += "\"\(k)\": "
            guard case .string(let s) = v else {
                out += JSONWriter.compact(v)
                continue
            }
            out += "\""
            for u in s.utf16 {
                if u < 0x20 || u >= 0x7F || u == 0x22 || u == 0x5C || u == 0x2F {
                    out += String(format: "\\u%04x", u)
                } else {
                    out += String(UnicodeScalar(u)!)
                }
            }
            out += "\""
        }
        return out + "}"
    }

    /// A record as one JSONL line, written one of three ways.
    static func line(_ r: inout Stream) -> [UInt8] {
        var pairs: [(String, JSONValue)] = [("s", text(&r)), ("t", text(&r))]
        if r.below(4) > 0 { pairs.append(("u", text(&r))) }
        switch r.below(6) {
        case 0: pairs.append(("i", .null))
        case 1: pairs.append(("i", .string(pieces[r.below(pieces.count)])))
        default: pairs.append(("i", .int(r.below(4))))
        }
        if r.below(3) > 0 { pairs.append(("b", r.below(5) == 0 ? .string(" TRUE ") : .bool(r.below(2) == 0))) }
        if r.below(3) > 0 { pairs.append(("day", r.below(4) == 0 ? .string("2024-02-30") : .string("2024-03-05"))) }
        if r.below(5) == 0 { pairs.append(("unused", .array([.int(1), .object([("x", .string("é"))])]))) }
        let object = JSONValue.object(r.below(7) == 0 ? pairs.reversed() : pairs)
        switch r.below(4) {
        case 0: return Array(escaped(object).utf8)
        case 1: return Array(JSONWriter.compact(object).utf8)
        default: return Array(JSONWriter.compact(object).replacingOccurrences(of: "\",\"", with: "\", \"").utf8)
        }
    }

    @Test func mapsLikeTheGeneralPath() throws {
        let mapping = try Self.compiled()
        #expect(mapping.cells != nil, "the byte-level evaluator should cover this mapping")
        let mapper = RecordMapper(mapping: mapping)
        var r = Stream(state: 7)
        let count = 4000
        for _ in 0..<count {
            let bytes = Self.line(&r)
            #expect(Self.fast(bytes, mapper) == Self.general(bytes, mapping), "\(String(decoding: bytes, as: UTF8.self))")
        }
        // Both evaluators took part: many records in bytes, the undecided ones as values.
        #expect(mapper.cellRecords > count / 4)
        #expect(mapper.statistics.read - mapper.cellRecords > count / 10)
    }

    /// One output of each type, without constraints: each operation on its own, so that a record
    /// another output would leave to the ``Value`` evaluator cannot hide a wrong byte-level result.
    static let plain = Schema(
        platform: "test", object: "plain",
        fields: [
            Field(name: "text", type: .string), Field(name: "number", type: .int), Field(name: "flag", type: .bool),
            Field(name: "amount", type: .decimal),
        ])

    @Test(arguments: [
        "text = trim(s)", "text = lower(s)", "text = upper(s)", "text = left(s, 3)", "text = left(s, i)", "text = substring(s, 1, 2)",
        "text = substring(s, 2)", "text = substring(s, i, 1)", "text = substring(s, 1, 9223372036854775807)", "text = null_if_blank(s)",
        "text = s + t", "text = s ?? t",
        "text = coalesce(u, t, s)", "text = if blank(s) then \"b\" else s",
        "text = match s {\n \"a\" => \"A\"\n \"é\" => \"E\"\n \"K\" => \"K\"\n _ => \"?\"\n}",
        "flag = blank(s)", "flag = present(s)", "flag = is_null(s)", "flag = s == t", "flag = s != \"a\"", "flag = s == \"K\"",
        "flag = s < t", "flag = s >= t", "flag = not (s == t) and i > 1", "number = try_int(s)", "number = i * 3 - 2", "number = -i",
        "amount = i", "amount = 7 / i", "text = truncate(s, 3, \"…\")", "text = replace(s, \"a\", \"b\")", "text = title(s)",
        "text = to_string(i)", "text = join(\"-\", s, t)", "text = trim(to_string(try_int(s)))", "number = length(s)",
        "flag = matches(s, \"^[a-z]+$\")", "text = lower(title(s)) ?? \"x\"",
    ])
    func eachOperationMapsLikeTheGeneralPath(_ assignment: String) throws {
        let mapping = try Fixtures.compile(
            "mapping test.src -> test.plain\n\(assignment)\n", schemas: InMemorySchemas([Self.source, Self.plain]))
        #expect(mapping.cells != nil)
        let mapper = RecordMapper(mapping: mapping)
        var r = Stream(state: 3)
        for _ in 0..<1500 {
            let bytes = Self.line(&r)
            #expect(Self.fast(bytes, mapper) == Self.general(bytes, mapping), "\(String(decoding: bytes, as: UTF8.self))")
        }
        #expect(mapper.cellRecords > 500)
    }

    @Test func corruptedLinesAreTheParsersToo() throws {
        let mapping = try Self.compiled()
        let mapper = RecordMapper(mapping: mapping)
        var r = Stream(state: 11)
        for _ in 0..<3000 {
            var bytes = Self.line(&r)
            // Delete, replace or insert a byte, sometimes one that is not valid UTF-8.
            let at = r.below(bytes.count)
            let noise: [UInt8] = [0x22, 0x5C, 0x2C, 0x3A, 0x7D, 0x20, 0x00, 0x80, 0xC3, 0xE2, 0xFF, 0x75]
            switch r.below(3) {
            case 0: bytes.remove(at: at)
            case 1: bytes[at] = noise[r.below(noise.count)]
            default: bytes.insert(noise[r.below(noise.count)], at: at)
            }
            #expect(Self.fast(bytes, mapper) == Self.general(bytes, mapping), "\(bytes)")
        }
    }

    /// A record string that is not UTF-8 makes the record malformed, on both paths (it is never
    /// repaired into U+FFFD, which would pass as text).
    @Test func invalidUTF8InAValueIsRejectedAsTheRecordParserDoes() throws {
        let mapping = try Self.compiled()
        let mapper = RecordMapper(mapping: mapping)
        for raw: [UInt8] in [
            Array(#"{"s": "a"#.utf8) + [0xFF] + Array(#"b", "t": "x"}"#.utf8),
            Array(#"{"s": "Zo"#.utf8) + [0xC3] + Array(#"", "t": "x"}"#.utf8),
            Array(#"{"t": "\u00e9"#.utf8) + [0xE2, 0x82] + Array(#"\n", "s": "a"}"#.utf8),
            Array(#"{"s": ""#.utf8) + [0xED, 0xA0, 0x80] + Array(#""}"#.utf8),
            Array(#"{"s": ""#.utf8) + [0xF4, 0x90, 0x80, 0x80] + Array(#""}"#.utf8),
        ] {
            #expect(Self.fast(raw, mapper) == Self.general(raw, mapping))
            #expect(Self.fast(raw, mapper).hasPrefix("rejected R0608 not valid JSON: invalid UTF-8"))
        }
    }

    @Test func mappingsWithLookupsKeepToValues() throws {
        let accounts = Schema(
            platform: "test", object: "Account", fields: [Field(name: "Id", type: .id), Field(name: "Name", type: .string)])
        let schemas = InMemorySchemas([Self.source, Self.plain, accounts])
        let plain = try Fixtures.compile("mapping test.src -> test.plain\ntext = title(s)\n", schemas: schemas)
        #expect(plain.cells != nil)
        let looked = try Fixtures.compile(
            "mapping test.src -> test.plain\ntext = lookup(test.Account, Name == trim(s))?.Id\n", schemas: schemas)
        #expect(looked.cells == nil)
    }

    /// The semantics tables of ``EvaluatorTests`` (one assignment, one record, including the
    /// functions the byte level hands to ``Value`` code) through the mapper and the general path.
    @Test func evaluatorTablesMapLikeTheGeneralPath() throws {
        var cases: [(String, String, JSONValue)] = []
        for (e, r, _) in EvaluatorTests.stringCases { cases.append((e, "out_s", r)) }
        for (e, r, _) in EvaluatorTests.numberCases { cases.append((e, "out_i", r)) }
        for (e, r, _) in EvaluatorTests.decimalCases { cases.append((e, "out_d", r)) }
        for (e, r, _) in EvaluatorTests.boolCases { cases.append((e, "out_b", r)) }
        for (e, f, r, _) in EvaluatorTests.dateCases { cases.append((e, f, r)) }
        for (e, f, r, _) in EvaluatorTests.failureCases { cases.append((e, f, r)) }
        var covered = 0
        for (expr, field, record) in cases where !expr.contains("lookup(") {
            let mapping = try Fixtures.compile("mapping test.src -> test.dst\n\(field) = \(expr)\n", schemas: EvaluatorTests.schemas)
            if mapping.cells != nil { covered += 1 }
            let mapper = RecordMapper(mapping: mapping)
            for line in [JSONWriter.compact(record), Self.escaped(record)] {
                let bytes = Array(line.utf8)
                #expect(Self.fast(bytes, mapper) == Self.general(bytes, mapping), "\(field) = \(expr) on \(line)")
            }
        }
        #expect(covered > cases.count / 2)
    }

    @Test func utf8ValidityIsWhatStringKeeps() {
        func check(_ bytes: [UInt8]) {
            let kept = Array(String(decoding: bytes, as: UTF8.self).utf8) == bytes
            let valid = bytes.withUnsafeBufferPointer { CellText.isValidUTF8($0.baseAddress!, $0.count) }
            #expect(valid == kept, "\(bytes.map { String($0, radix: 16) })")
        }
        for a in 0...255 { check([UInt8(a)]) }
        for a in 0xC0...0xFF {
            for b in 0...255 { check([UInt8(a), UInt8(b)]) }
        }
        let tails: [UInt8] = [0x00, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0]
        for a: UInt8 in [0xE0, 0xE1, 0xEC, 0xED, 0xEE, 0xEF, 0xF0, 0xF1, 0xF3, 0xF4, 0xF5] {
            for b in 0...255 {
                for c in tails {
                    check([a, UInt8(b), c])
                    check([a, UInt8(b), c, 0x80])
                    check([0x41, a, UInt8(b), c, 0xBF, 0x41])
                }
            }
        }
    }
}
