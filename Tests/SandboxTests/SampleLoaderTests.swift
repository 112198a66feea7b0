import Foundation
import Testing

@testable import Sandbox

/// Creates a fresh folder for one test and removes it when the test is done.
final class ScratchFolder {
    let root = FileManager.default.temporaryDirectory.appendingPathComponent("sample-loader-\(UUID().uuidString)")

    deinit {
        try? FileManager.default.removeItem(at: root)
    }
}

@Suite struct SampleLoaderTests {
    let scratch = ScratchFolder()

    /// Writes `files` (object name → contents) under a fresh `<root>/hubspot/` and loads them.
    private func load(_ files: [String: [UInt8]]) throws -> (root: URL, rows: [String: SampleRows]) {
        let root = scratch.root.appendingPathComponent(UUID().uuidString)
        let folder = root.appendingPathComponent("hubspot", isDirectory: true)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        for (name, bytes) in files {
            try Data(bytes).write(to: folder.appendingPathComponent("\(name).jsonl"))
        }
        return (root, try SampleLoader.load(platform: "hubspot", from: root))
    }

    private func fields(_ sample: SampleRows?) -> [[String: SandboxJSON]] {
        guard let sample else { return [] }
        return sample.rows.map(sample.fields)
    }

    @Test func readsLFAndCRLFLinesAlike() throws {
        let lines = [#"{"id":"1","email":"a@example.com"}"#, #"{"id":"2","email":null,"n":3}"#, #"{"id":"3"}"#]
        let (_, loaded) = try load([
            "lf": Array((lines.joined(separator: "\n") + "\n").utf8),
            "crlf": Array((lines.joined(separator: "\r\n") + "\r\n").utf8),
            "nofinalnewline": Array(lines.joined(separator: "\r\n").utf8),
        ])
        let expected: [[String: SandboxJSON]] = [
            ["id": "1", "email": "a@example.com"], ["id": "2", "email": .null, "n": 3], ["id": "3"],
        ]
        #expect(fields(loaded["lf"]) == expected)
        #expect(fields(loaded["crlf"]) == expected)
        #expect(fields(loaded["nofinalnewline"]) == expected)
        #expect(Set(loaded.keys) == ["lf", "crlf", "nofinalnewline"])
    }

    @Test func skipsBlankAndCommentLines() throws {
        let text = "// seed for tests\r\n\n   \n\t\r\n{\"id\":\"1\"}\n  // indented comment\n\u{0C}{\"id\":\"2\"} \u{0B}\n\n"
        let (_, loaded) = try load(["contact": Array(text.utf8)])
        #expect(fields(loaded["contact"]) == [["id": "1"], ["id": "2"]])
    }

    @Test func trimsUnicodeWhitespaceAroundAnObject() throws {
        let text = "\u{00A0}{\"id\":\"1\"}\u{2003}\n\u{3000}// comment\u{00A0}\n"
        let (_, loaded) = try load(["contact": Array(text.utf8)])
        #expect(fields(loaded["contact"]) == [["id": "1"]])
    }

    @Test func namesTheFileAndLineOfABadLine() throws {
        for (text, line) in [
            ("{\"id\":\"1\"}\n{\"id\":\"2\",}\n", 2), ("{\"id\":\"1\"}\r\n\r\n[1,2]\r\n", 3), ("\n\n\"text\"", 3),
            ("{\"id\":\"1\"}\n{\"id\":\n\"2\"}\n", 2), ("{\"a\":1} {\"b\":2}", 1),
        ] {
            let root = scratch.root.appendingPathComponent(UUID().uuidString)
            let folder = root.appendingPathComponent("hubspot", isDirectory: true)
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            let file = folder.appendingPathComponent("contact.jsonl")
            try Data(text.utf8).write(to: file)
            let error = #expect(throws: SandboxError.self) { try SampleLoader.load(platform: "hubspot", from: root) }
            #expect(error?.description == "\(file.path):\(line): not a JSON object", "\(text)")
        }
    }

    @Test func readsEveryLineAsTheJSONParserWould() throws {
        var lines: [String] = []
        for index in 0..<300 {
            // Keys repeat in order mostly, but not always, as in real seed files.
            var pairs = [
                "\"hs_object_id\": \"\(index)\"", "\"email\": \"user\(index)@example.com\"",
                "\"name\": \"N\\u00e9\(index)\"", "\"n\": \(index % 7 == 0 ? "null" : String(index))",
            ]
            if index % 5 == 0 { pairs.swapAt(0, 2) }
            if index % 11 == 0 { pairs.append("\"extra\(index % 3)\": [1, {\"x\": true}]") }
            if index % 13 == 0 { pairs.removeFirst() }
            lines.append("{" + pairs.joined(separator: ", ") + "}")
        }
        let (_, loaded) = try load(["contact": Array(lines.joined(separator: "\n").utf8)])
        let expected = lines.map { JSONReaderTests.reference(Array($0.utf8))!.objectValue! }
        #expect(fields(loaded["contact"]) == expected)
    }

    @Test func missingFoldersYieldNothing() throws {
        #expect(try SampleLoader.load(platform: "hubspot", from: nil).isEmpty)
        let (root, _) = try load([:])
        #expect(try SampleLoader.load(platform: "salesforce", from: root).isEmpty)
    }
}
