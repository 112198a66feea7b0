import Foundation
import MapDSL
import Testing

@testable import Sandbox

/// `JSONReader` must accept exactly what mapc's `JSONParser` accepts and yield what converting its result
/// gives; `ColumnDecoder` must read each object as a dictionary would.
@Suite struct JSONReaderTests {
    /// What the sandbox parsed before it had its own reader: mapc's parser, then conversion.
    static func reference(_ bytes: [UInt8]) -> SandboxJSON? {
        guard let parsed = try? JSONParser.parse(bytes) else { return nil }
        return SandboxJSON(parsed)
    }

    static func read(_ bytes: [UInt8]) -> SandboxJSON? {
        bytes.withUnsafeBufferPointer { JSONReader.parse($0) }
    }

    static let documents: [String] = [
        #"{"a":1,"b":[true,false,null],"c":{"d":"e"},"a":2}"#,
        #"  [1, -0, 0.5, -12.5e3, 1E+2, 2e-2, 123456789012345678, 1234567890123456789, 99999999999999999999]  "#,
        #"{"s":"tab\there \"quoted\" back\\slash \/ \b\f\n\r \u00e9 \ud83c\udf89 \u0000"}"#,
        #"{"unicode":"Üñíçødé 🎉","empty":"","nested":[[[]],{}],"k\u0065y":1}"#,
        #"{"x":9007199254740993,"y":1e400,"z":-1e-400}"#,
        #""just a string""#, "42", "-7", "true", "null", "[]", "{}",
        // Not JSON:
        "", " ", "{", "}", "[1,]", #"{"a":1,}"#, #"{"a" 1}"#, #"{a:1}"#, "01", "-", "1.", ".5", "1e", "+1", "tru",
        "nul", "falsey", #""unterminated"#, "\"control\u{01}\"", #""bad \x escape""#, #""\ud800""#, #""\udc00""#,
        #""\ud800\u0041""#, #""\u12""#, "[1] 2", "{\"a\":1}}", "[\"a\" \"b\"]", "NaN", "[Infinity]",
    ]

    @Test func agreesWithMapcsParserOnDocumentsAndEveryCorruptionOfThem() {
        for document in Self.documents {
            let bytes = Array(document.utf8)
            #expect(Self.read(bytes) == Self.reference(bytes), "\(document)")
            // Delete, duplicate or replace each byte in turn: same verdict, same value, no hang.
            for index in bytes.indices {
                var deleted = bytes
                deleted.remove(at: index)
                #expect(Self.read(deleted) == Self.reference(deleted), "\(document) without byte \(index)")
                var doubled = bytes
                doubled.insert(bytes[index], at: index)
                #expect(Self.read(doubled) == Self.reference(doubled), "\(document) doubling byte \(index)")
                for replacement in [UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "{"), 0x01, 0xFF] {
                    var replaced = bytes
                    replaced[index] = replacement
                    #expect(Self.read(replaced) == Self.reference(replaced), "\(document) with \(replacement) at \(index)")
                }
            }
        }
    }

    @Test func repairsInvalidUTF8AsTheParserDoes() {
        // {"kÿ":"v<C3 28 FF>","<E2 82>":1}: truncated and stray sequences in a value and in a key.
        let bytes: [UInt8] =
            Array("{\"k\u{FF}\":\"v".utf8) + [0xC3, 0x28, 0xFF] + Array("\",\"".utf8) + [0xE2, 0x82]
            + Array("\":1}".utf8)
        #expect(Self.read(bytes) != nil)
        #expect(Self.read(bytes) == Self.reference(bytes))
    }

    @Test func limitsNestingLikeTheParser() {
        for depth in [511, 512, 513] {
            let bytes = Array(String(repeating: "[", count: depth).utf8) + Array(String(repeating: "]", count: depth).utf8)
            #expect(Self.read(bytes) == Self.reference(bytes), "depth \(depth)")
        }
        #expect(Self.read(Array((String(repeating: "[", count: 512) + String(repeating: "]", count: 512)).utf8)) != nil)
        #expect(Self.read(Array((String(repeating: "[", count: 513) + String(repeating: "]", count: 513)).utf8)) == nil)
    }

    /// Reads `objects` (JSON texts) with one decoder, as they would sit in one buffer.
    static func decodeAll(_ objects: [String]) throws -> (ColumnDecoder, [[SandboxJSON?]]) {
        let text = Array(("[" + objects.joined(separator: ",") + "]").utf8)
        return try text.withUnsafeBufferPointer { buffer in
            var reader = JSONReader(buffer)
            var decoder = ColumnDecoder()
            var rows: [[SandboxJSON?]] = []
            try reader.enter()
            repeat {
                reader.skipWhitespace()
                rows.append(try decoder.object(&reader))
            } while try reader.more(UInt8(ascii: "]"))
            return (decoder, rows)
        }
    }

    @Test func columnDecoderReadsEachObjectAsADictionaryWould() throws {
        let objects = [
            #"{"a":1,"b":"x","c":null}"#,
            #"{"a":2,"b":"y","c":null}"#,
            #"{"b":"z","a":3}"#,
            #"{"a":4,"a":5,"d":[1,{"e":true}]}"#,
            #"{"\u0061":6,"b\"q":7}"#,
            #"{"caf\u00e9":1,"café":2}"#,
            #"{}"#,
            #"{"a":7,"b":"w","c":{"nested":1}}"#,
        ]
        let (decoder, rows) = try Self.decodeAll(objects)
        #expect(rows.count == objects.count)
        for (object, row) in zip(objects, rows) {
            var fields: [String: SandboxJSON] = [:]
            for (column, value) in row.enumerated() {
                if let value { fields[decoder.columns[column]] = value }
            }
            #expect(.object(fields) == Self.reference(Array(object.utf8)), "\(object)")
        }
        #expect(Set(decoder.columns).count == decoder.columns.count)
        #expect(decoder.column("a") == 0 && decoder.column("d") != nil && decoder.column("nope") == nil)
    }

    @Test func columnDecoderRefusesWhatIsNotJSON() {
        for bad in [#"{"a":1,}"#, #"{"a"}"#, #"{"a":}"#, #"{1:2}"#, #"{"a":1"#] {
            #expect(throws: JSONReader.Failure.self, "\(bad)") { try Self.decodeAll([#"{"a":0}"#, bad]) }
        }
    }
}
