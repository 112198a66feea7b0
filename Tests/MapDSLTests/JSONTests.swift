import MapDSL
import Testing

@Suite struct JSONTests {
    @Test(arguments: [
        #"{"a":1,"b":[true,false,null],"c":"x\"y\\z\n","d":-2.5e3,"e":{}}"#,
        #"[]"#, #""\u00e9\ud83d\ude00""#, #"0"#, #"-0.5"#, #"{"z":1,"a":2}"#,
    ])
    func roundTrip(text: String) throws {
        let v = try JSONParser.parse(text)
        let again = try JSONParser.parse(JSONWriter.compact(v))
        #expect(again == v)
        #expect(try JSONParser.parse(JSONWriter.pretty(v)) == v)
    }

    @Test func keysKeepDocumentOrder() throws {
        let v = try JSONParser.parse(#"{"z":1,"a":2,"m":3}"#)
        #expect(v.objectValue?.map(\.0) == ["z", "a", "m"])
        #expect(JSONWriter.compact(v) == #"{"z":1,"a":2,"m":3}"#)
    }

    @Test(arguments: [
        "", "{", "[1,]", #"{"a"}"#, #"{"a":}"#, "01", "1.", "-", "tru", #""\x""#, #""\ud800""#, "[1] 2", "\"a\nb\"",
        String(repeating: "[", count: 1000),
    ])
    func rejectsMalformed(text: String) {
        #expect(throws: JSONParseError.self) { try JSONParser.parse(text) }
    }

    @Test func escapesControlCharacters() {
        #expect(JSONWriter.compact(.string("a\u{1}b\t")) == #""a\u0001b\t""#)
        #expect(JSONWriter.compact(.double(1200)) == "1200")
        #expect(JSONWriter.compact(.double(0.1)) == "0.1")
    }

    /// Strings whose escapes fall at every position of the eight-byte scan, and around them.
    @Test func escapesAtEveryOffsetOfTheWordScan() throws {
        for length in 0..<20 {
            for position in 0..<max(length, 1) {
                for special in ["\"", "\\", "\n", "\u{1f}", "é", "😀"] {
                    var chars = Array(repeating: "a", count: length)
                    if position < length { chars[position] = special }
                    let text = chars.joined()
                    let written = JSONWriter.compact(.string(text))
                    #expect(try JSONParser.parse(written) == .string(text), "\(written)")
                    // The byte writer against the String writer, which escapes scalar by scalar.
                    var expected = ""
                    JSONWriter.appendString(text, into: &expected)
                    #expect(written == expected)
                }
            }
        }
    }

    @Test func byteWritersSpliceWhatCompactWrites() {
        let value: JSONValue = .object([("a", .array([.int(-12), .double(2.5), .bool(true), .null])), ("b\"", .string("x\u{7}"))])
        var bytes: [UInt8] = []
        JSONWriter.appendRaw("[", to: &bytes)
        JSONWriter.append(value, to: &bytes)
        JSONWriter.appendRaw(",", to: &bytes)
        JSONWriter.appendInt(Int.min, to: &bytes)
        JSONWriter.appendRaw(",", to: &bytes)
        JSONWriter.appendInt(0, to: &bytes)
        JSONWriter.appendRaw(",", to: &bytes)
        JSONWriter.appendNumber(.nan, to: &bytes)
        JSONWriter.appendRaw(",", to: &bytes)
        JSONWriter.appendString("", to: &bytes)
        JSONWriter.appendRaw("]", to: &bytes)
        #expect(String(decoding: bytes, as: UTF8.self) == "[" + JSONWriter.compact(value) + ",\(Int.min),0,null,\"\"]")
    }

    @Test(arguments: [
        ("123456789012345678", JSONValue.int(123_456_789_012_345_678)),
        ("-123456789012345678", .int(-123_456_789_012_345_678)),
        ("9223372036854775807", .int(Int.max)), ("-9223372036854775808", .int(Int.min)),
        ("9223372036854775808", .double(9_223_372_036_854_775_808)), ("-0", .int(0)), ("0", .int(0)), ("7", .int(7)),
        ("1e2", .double(100)), ("-1.5", .double(-1.5)),
    ])
    func parsesNumbersAtTheEdgesOfInt(text: String, expected: JSONValue) throws {
        let parsed = try JSONParser.parse(text)
        #expect(parsed == expected)
        if case .int = expected {
            guard case .int = parsed else {
                Issue.record("\(text) parsed as \(parsed), not an integer")
                return
            }
        }
    }

    @Test(arguments: ["true", "false", "null", "[true,false,null]", #"{"a":false}"#])
    func parsesLiterals(text: String) throws {
        #expect(JSONWriter.compact(try JSONParser.parse(text)) == text)
    }

    @Test(arguments: ["fals", "falsy", "nul", "nulll", "truee", "tRue", "[f]"])
    func rejectsBrokenLiterals(text: String) {
        #expect(throws: JSONParseError.self) { try JSONParser.parse(text) }
    }
}
