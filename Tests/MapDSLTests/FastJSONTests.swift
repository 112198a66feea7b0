import Foundation
import MapDSL
import TestSupport
import Testing

/// The fast line path of ``RecordMapper`` (schema-directed decoder, byte writer) against the
/// general path (``JSONParser`` + ``CompiledMapping/evaluate(json:frame:)`` + ``RecordMapper/jsonLine(_:fields:)``):
/// every line must give the same outcome, message and bytes.
@Suite struct FastJSONTests {
    static let source = Schema(
        platform: "test", object: "src",
        fields: [
            Field(name: "s", type: .string), Field(name: "t", type: .string), Field(name: "i", type: .int),
            Field(name: "d", type: .decimal), Field(name: "b", type: .bool), Field(name: "day", type: .date),
            Field(name: "ts", type: .datetime), Field(name: "p", type: .picklist, values: ["a", "b"]),
            Field(name: "é", type: .string), Field(name: "unused", type: .string),
        ])
    static let destination = Schema(
        platform: "test", object: "dst",
        fields: [
            Field(name: "out_s", type: .string), Field(name: "out_t", type: .string), Field(name: "out_i", type: .int),
            Field(name: "out_d", type: .decimal), Field(name: "out_b", type: .bool), Field(name: "out_day", type: .date),
            Field(name: "out_ts", type: .datetime), Field(name: "out_p", type: .string),
            Field(name: "out_len", type: .int),
        ])
    static let schemas = InMemorySchemas([source, destination])
    static let mapping = """
        mapping test.src -> test.dst
        skip when s == "skip me"

        out_s = s
        out_t = lower(trim(t))
        out_i = i
        out_d = d
        out_b = b
        out_day = day
        out_ts = ts
        out_p = p
        out_len = length(s)
        """

    static func compiled() throws -> CompiledMapping {
        try Fixtures.compile(mapping, schemas: schemas)
    }

    /// The general path's result for `line`, as text.
    static func general(_ line: [UInt8], _ mapping: CompiledMapping) -> String {
        let json: JSONValue
        do {
            json = try JSONParser.parse(line, rejectingInvalidUTF8: true)
        } catch {
            return "rejected R0608 not valid JSON: \(error.description) -"
        }
        switch mapping.evaluate(json: json, frame: mapping.makeFrame()) {
        case .mapped(let values): return "mapped " + RecordMapper.jsonLine(values, fields: mapping.outputFields)
        case .skipped(let rule): return "skipped \(rule)"
        case .failed(let f): return "rejected \(f.code.rawValue) \(f.message) \(f.sourceField ?? "-")"
        }
    }

    /// The fast path's result for `line`, as text.
    static func fast(_ line: [UInt8], _ mapper: RecordMapper) -> String {
        var out: [UInt8] = []
        let status = line.withUnsafeBufferPointer { mapper.map(line: $0, appendingTo: &out) }
        switch status {
        case .blank: return "blank"
        case .mapped: return "mapped " + String(decoding: out, as: UTF8.self)
        case .skipped(let rule): return "skipped \(rule)"
        case .rejected(let f, _, _): return "rejected \(f?.code.rawValue ?? "-") \(f?.message ?? "-") \(f?.sourceField ?? "-")"
        }
    }

    static let lines: [String] = [
        #"{"s": "Ann", "t": "  BOB@X.COM ", "i": "42", "d": "1,200.5", "b": "yes", "day": "2024-03-05", "ts": "2024-03-05T10:22:11Z", "p": "a"}"#,
        #"{"s":"compact","i":7,"d":2.5,"b":true,"day":1700000000000,"ts":1700000000000}"#,
        #"{"unused": {"deep": [1, 2, {"x": [true, false, null]}], "n": -1.5e-3}, "s": "after nested"}"#,
        #"{"s": "\u00e9\u0041\ud83d\ude00\n\t\"\\\/\b\f\r", "t": "\u0000x"}"#,
        #"{"s": "raw é ünïcödé 🎉 and \u00e9", "é": "key with an accent"}"#,
        #"{"\u0073": "escaped key", "t": "x"}"#,
        #"{"s": "first", "s": "second wins"}"#,
        #"{"i": "abc", "i": "5"}"#,
        #"{"i": "5", "i": "abc"}"#,
        #"{"i": 123456789012345678901234567890}"#,
        #"{"i": "123456789012345678901234567890"}"#,
        #"{"d": 1e999, "unused": -1e-999, "s": "big"}"#,
        #"{"i": 9223372036854775807, "d": 12345678901234567890}"#,
        #"{"i": -9223372036854775808}"#,
        #"{"i": 5.0, "b": 1, "d": "n/a"}"#,
        #"{"i": " 1,200 ", "b": " TRUE "}"#,
        #"{"s": ["a", "b"], "t": [1]}"#,
        #"{"s": 12, "t": 1.5, "p": true}"#,
        #"{"s": "skip me"}"#,
        #"{"day": "2024-02-30"}"#,
        #"{"ts": "yesterday"}"#,
        #"{}"#, "  {  }  ", "\t{\"s\" : \"spaced\" ,\"t\"\t:\r\n\"x\" }\r",
        #"[1, 2]"#, #""just a string""#, "42", "null", "true",
        #"{"s": "x",}"#, #"{"s": "x" "t": "y"}"#, #"{"s": "x""#, #"{"s": }"#, #"{"s" "x"}"#, #"{s: "x"}"#,
        #"{"s": "x"} trailing"#, #"{"s": "x"}}"#, #"{"s": "bad \x escape"}"#, #"{"s": "\ud800 lone"}"#,
        #"{"s": "\udc00 lone low"}"#, #"{"s": "\u12"}"#, "{\"s\": \"control \u{01} char\"}", "{\"s\": \"tab\tinside\"}",
        #"{"s": 01}"#, #"{"s": 1.}"#, #"{"s": -}"#, #"{"s": +1}"#, #"{"s": tru}"#, #"{"s": nul}"#, #"{"s": falsey}"#,
        #"{"unused": [1,]}"#, #"{"unused": [1 2]}"#, #"{"unused": {"a" 1}}"#, #"{"unused": {"a": 1,}}"#,
        "{\"s\": \"x\"}\u{0}", "{\"s\": \"nul \u{0} inside\"}",
    ]

    @Test func fastPathMatchesGeneralPath() throws {
        let mapping = try Self.compiled()
        let mapper = RecordMapper(mapping: mapping, validate: false)
        for line in Self.lines {
            let bytes = Array(line.utf8)
            #expect(Self.fast(bytes, mapper) == Self.general(bytes, mapping), "\(line)")
        }
    }

    /// Text that is not UTF-8, in a value or a key the mapping does not even read, makes the
    /// record malformed on both paths.
    @Test func invalidUTF8IsRejectedAsTheRecordParserDoes() throws {
        let mapping = try Self.compiled()
        let mapper = RecordMapper(mapping: mapping, validate: false)
        for raw: [UInt8] in [
            Array(#"{"s": "a"#.utf8) + [0xFF, 0xC3] + Array(#"b", "t": "x"}"#.utf8),
            Array(#"{"s": "\u00e9"#.utf8) + [0xE2, 0x82] + Array(#"\n"}"#.utf8),
            Array(#"{""#.utf8) + [0xC3] + Array(#"": "key", "s": "v"}"#.utf8),
        ] {
            #expect(Self.fast(raw, mapper) == Self.general(raw, mapping))
            #expect(Self.fast(raw, mapper).hasPrefix("rejected R0608 not valid JSON: invalid UTF-8"))
        }
    }

    @Test func nestingDepthLimitIsTheParsers() throws {
        let mapping = try Self.compiled()
        let mapper = RecordMapper(mapping: mapping, validate: false)
        for depth in [510, 511, 512, 600] {
            let line = #"{"s": "x", "unused": "# + String(repeating: "[", count: depth) + String(repeating: "]", count: depth) + "}"
            let bytes = Array(line.utf8)
            #expect(Self.fast(bytes, mapper) == Self.general(bytes, mapping), "depth \(depth)")
        }
    }

    @Test func keyOrderMayChangeFromLineToLine() throws {
        let mapping = try Self.compiled()
        let mapper = RecordMapper(mapping: mapping, validate: false)
        let lines = [
            #"{"s": "1", "t": "a", "i": 1}"#, #"{"s": "2", "t": "b", "i": 2}"#, #"{"t": "c", "s": "3", "i": 3}"#,
            #"{"i": 4, "unused": "x", "s": "4"}"#, #"{"st": "no", "s": "5"}"#, #"{"s": "6", "t": "d", "i": 6}"#,
            #"{"s\"": "quoted key", "s": "7"}"#, #"{"s": "8", "t": "e"}"#,
        ]
        for line in lines + lines.reversed() {
            let bytes = Array(line.utf8)
            #expect(Self.fast(bytes, mapper) == Self.general(bytes, mapping), "\(line)")
        }
    }

    @Test func blankLinesAreNotRecords() throws {
        let mapper = RecordMapper(mapping: try Self.compiled())
        for line in ["", "  ", "\t\r", "\n"] {
            #expect(Self.fast(Array(line.utf8), mapper) == "blank")
        }
        #expect(mapper.statistics.read == 0)
    }

    @Test func malformedLinesAreRecordErrorsWithTheParsersMessage() throws {
        let mapper = RecordMapper(mapping: try Self.compiled())
        let result = Self.fast(Array(#"{"s": "x",}"#.utf8), mapper)
        #expect(result == "rejected R0608 not valid JSON: expected a string key at byte 10 -")
        #expect(Self.fast(Array("[1]".utf8), mapper).hasPrefix("rejected R0608 the record is a JSON array, not an object"))
        #expect(mapper.statistics.read == 2)
        #expect(mapper.statistics.rejected == 2)
    }

    @Test func writerEscapesLikeJSONWriter() throws {
        let fields = [Field(name: "a\"b", type: .string), Field(name: "n", type: .int), Field(name: "x", type: .decimal)]
        let strings = [
            "plain", "quote \" backslash \\ slash /", "\u{0}\u{1}\u{8}\u{C}\u{1F}\n\r\t", "é 🎉 \u{7F}", "", "12345678\"12345678",
        ]
        let mapping = try Self.compiled()
        let mapper = RecordMapper(mapping: mapping, validate: false)
        for s in strings {
            let line = JSONWriter.compact(.object([("s", .string(s))]))
            let bytes = Array(line.utf8)
            #expect(Self.fast(bytes, mapper) == Self.general(bytes, mapping))
            var expected = ""
            JSONWriter.appendString(s, into: &expected)
            #expect(RecordMapper.jsonLine([.string(s), .int(-7), .decimal(0.1)], fields: fields).contains(expected))
        }
        for n in [0, 9, 10, -1, -10, Int.max, Int.min, 1_234_567] {
            let bytes = Array(#"{"i": \#(n)}"#.utf8)
            #expect(Self.fast(bytes, mapper) == Self.general(bytes, mapping))
        }
    }

    @Test func samplesMapTheSameOnBothPaths() throws {
        for path in Repo.sampleMappings() {
            let text = try Repo.read(path)
            let checked = Fixtures.check(text, path: path)
            guard let source = checked.source else { continue }
            let mapping = try Compiler.compile(checked)
            let samples = "samples/\(source.platform)/\(source.object).jsonl"
            guard FileManager.default.fileExists(atPath: Repo.path(samples)) else { continue }
            let mapper = RecordMapper(mapping: mapping, validate: false)
            for line in try Repo.read(samples).split(separator: "\n") {
                let bytes = Array(line.utf8)
                #expect(Self.fast(bytes, mapper) == Self.general(bytes, mapping))
            }
        }
    }

    static let texts = [
        "", " ", "\t\n", "plain", "  padded\t", "Zoë", " Zoë ", "\u{00A0}nbsp\u{00A0}", "\u{2003}em\u{2003}", "\u{200B}zwsp",
        "\u{FEFF}bom", "\u{85}nel", "e\u{301}", " e\u{301} ", "\u{301}combining", "Ünïcödé STRASSE ß", "İstanbul", "ABC-xyz_09",
        "\r\nline\r\n", "\u{1F600} emoji \u{1F600}", "\u{3000}ideographic\u{3000}", "\u{1C}file separator\u{1F}", "mixed\u{0301}é",
    ]

    @Test func textFastPathsAgreeWithFoundation() throws {
        let mapping = try Fixtures.compile(
            """
            mapping test.src -> test.dst
            out_s = trim(s)
            out_t = lower(s)
            out_p = upper(s)
            out_e = left(s, 3)
            out_b = blank(s)
            out_i = try_int(s)
            """,
            schemas: InMemorySchemas([
                Self.source,
                Schema(
                    platform: "test", object: "dst",
                    fields: [
                        Field(name: "out_s", type: .string), Field(name: "out_t", type: .string), Field(name: "out_p", type: .string),
                        Field(name: "out_e", type: .string), Field(name: "out_b", type: .bool), Field(name: "out_i", type: .int),
                    ]),
            ]))
        for text in Self.texts + ["42", " -7 ", "+12", "1,200", "12.0", "123456789012345678", "1234567890123456789", "n/a", "٣"] {
            guard case .mapped(let v) = mapping.evaluate(json: .object([("s", .string(text))]), frame: mapping.makeFrame()) else {
                Issue.record("not mapped: \(text)")
                continue
            }
            let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(v[0] == .string(trimmed), "trim \(text.debugDescription)")
            #expect(v[1] == .string(text.lowercased()), "lower \(text.debugDescription)")
            #expect(v[2] == .string(text.uppercased()), "upper \(text.debugDescription)")
            let left = text.utf8.allSatisfy { $0 < 0x80 } ? String(decoding: text.utf8.prefix(3), as: UTF8.self) : String(text.prefix(3))
            #expect(v[3] == .string(left), "left \(text.debugDescription)")
            #expect(v[4] == .bool(trimmed.isEmpty), "blank \(text.debugDescription)")
            let number =
                Int(trimmed) ?? Int(trimmed.replacingOccurrences(of: ",", with: ""))
                ?? Double(trimmed).flatMap { $0 == $0.rounded() ? Int($0) : nil }
            #expect(v[5] == (number.map(Value.int) ?? .null), "try_int \(text.debugDescription)")
        }
    }

    @Test func picklistChecksRememberOnlyPasses() throws {
        let destination = Schema(
            platform: "test", object: "pick",
            fields: [Field(name: "pick", type: .picklist, maxLength: 3, values: ["a", "b", "long", "e\u{301}"])])
        let mapping = try Fixtures.compile(
            "mapping test.src -> test.pick\npick = s\n", schemas: InMemorySchemas([Self.source, destination]))
        let mapper = RecordMapper(mapping: mapping)
        let texts = ["a", "b", "c", "a", "long", "c", "long", "b", "\u{E9}", "e\u{301}", "e\u{301}", "\u{E9}"]
        for text in texts + texts {
            var out: [UInt8] = []
            let line = Array(JSONWriter.compact(.object([("s", .string(text))])).utf8)
            let status = line.withUnsafeBufferPointer { mapper.map(line: $0, appendingTo: &out) }
            let expected = OutputValidator.validate([.string(text)], fields: destination.fields)
            switch status {
            case .mapped: #expect(expected.isEmpty, "\(text.debugDescription)")
            case .rejected(_, let violations, _): #expect(violations == expected, "\(text.debugDescription)")
            default: Issue.record("unexpected \(status)")
            }
        }
    }
}
