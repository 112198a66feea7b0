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
}
