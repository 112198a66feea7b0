import AdapterSpec
import Foundation
import MapDSL
import TestSupport
import Testing

extension AdaptersTestSuite {
    /// `mapc adapter check`: the spec grammar, its meaning, line:col diagnostics and did-you-mean.
    @Suite("Declarative spec checker")
    struct DeclarativeSpecCheckTests {
        static let root = Repo.path("")

        static func check(_ text: String, path: String = "spec.json") -> SpecCheckResult {
            SpecChecker(root: root).check(source: SourceText(path: path, text: text))
        }

        @Test("the broken spec's diagnostics match the golden file")
        func brokenGolden() throws {
            let relative = "Tests/AdaptersTests/Golden/DeclarativeSpec/broken.json"
            let result = try SpecChecker.check(path: Repo.path(relative), display: relative, root: Self.root)
            #expect(result.spec == nil)
            Golden.check(result.rendered(), path: "Tests/AdaptersTests/Golden/DeclarativeSpec/broken.txt")
            let json = result.diagnostics.map { JSONWriter.compact(SpecDiagnosticRenderer.json($0, in: result.source)) }
            Golden.check(json.joined(separator: "\n") + "\n", path: "Tests/AdaptersTests/Golden/DeclarativeSpec/broken.jsonl")
        }

        @Test("every shipped spec checks clean", arguments: ["mailchimp", "klaviyo", "intercom"])
        func shippedSpecs(_ platform: String) throws {
            let result = try SpecChecker.check(path: Repo.path("adapters/\(platform).json"), root: Self.root)
            #expect(result.diagnostics.isEmpty, "\(result.rendered())")
            let spec = try #require(result.spec)
            #expect(spec.platform == platform)
            #expect(spec.objects.allSatisfy { !$0.schema.fields.isEmpty })
        }

        @Test("a misspelled member gets a fix that applying makes the spec clean")
        func didYouMeanFix() throws {
            let text = try String(contentsOfFile: Repo.path("adapters/mailchimp.json"), encoding: .utf8)
                .replacingOccurrences(of: "\"modifiedSince\"", with: "\"modifedSince\"")
            let result = Self.check(text)
            #expect(result.diagnostics.map(\.code) == [.unknownMember])
            let d = try #require(result.diagnostics.first)
            #expect(d.fix == "\"modifiedSince\"")
            let location = result.source.location(of: d.span.start)
            let line = result.source.lineText(location.line)
            #expect(line.contains("modifedSince"))
            var bytes = Array(text.utf8)
            bytes.replaceSubrange(d.span.start..<d.span.end, with: Array(d.fix!.utf8))
            #expect(Self.check(String(decoding: bytes, as: UTF8.self)).diagnostics.isEmpty)
        }

        @Test("every code is in the catalogue once and documented")
        func codesDocumented() throws {
            let codes = SpecDiagnosticCode.allCases.map(\.rawValue)
            #expect(Set(codes).count == codes.count)
            #expect(codes == codes.sorted { ($0.hasPrefix("W") ? 1 : 0, $0) < ($1.hasPrefix("W") ? 1 : 0, $1) })
            let doc = try String(contentsOfFile: Repo.path("docs/declarative-adapters.md"), encoding: .utf8)
            for code in SpecDiagnosticCode.allCases {
                #expect(doc.contains("| \(code.rawValue) |"), "\(code.rawValue) is not documented")
            }
        }

        @Test("the JSON Schema file is generated from the grammar")
        func jsonSchemaFile() throws {
            let generated = SpecJSONSchema.text()
            if Golden.recording {
                try generated.write(toFile: Repo.path("adapters/mapc-adapter.schema.json"), atomically: true, encoding: .utf8)
                Issue.record("regenerated adapters/mapc-adapter.schema.json; rerun without MAPC_RECORD_GOLDEN")
                return
            }
            let file = try String(contentsOfFile: Repo.path("adapters/mapc-adapter.schema.json"), encoding: .utf8)
            #expect(file == generated, "adapters/mapc-adapter.schema.json is stale:\n\(Golden.lineDiff(file, generated))")
            // It is itself valid JSON with the variants' constraints.
            let parsed = try JSONParser.parse(file)
            #expect(parsed["properties"]?["auth"]?["allOf"]?.arrayValue?.count == 5)
        }

        @Test("wrong types, a missing member and an unknown template name are each reported at their line and column")
        func positions() {
            let text = """
                {
                  "format": "mapc-adapter/1",
                  "platform": "demo",
                  "auth": {"type": "query"},
                  "headers": {"X-Account": "{account}"},
                  "objects": 3
                }
                """
            let result = Self.check(text)
            let found = result.diagnostics.map { d -> String in
                let l = result.source.location(of: d.span.start)
                return "\(l.line):\(l.column) \(d.code.rawValue)"
            }
            #expect(found.contains("4:11 A0202"), "\(found)")  // query auth needs "parameter"
            #expect(found.contains("5:29 A0301"), "\(found)")
            #expect(found.contains("6:14 A0203"), "\(found)")
            #expect(found.contains("3:15 W0401"), "\(found)")  // no ratelimits/demo.json
        }

        @Test("a spec cut at any byte or with any byte deleted never crashes and always reports something")
        func robustness() throws {
            let bytes = Array(try String(contentsOfFile: Repo.path("adapters/mailchimp.json"), encoding: .utf8).utf8)
            var checked = 0
            for cut in stride(from: 0, to: bytes.count - 1, by: 13) {
                let truncated = SpecChecker(root: Self.root).check(source: SourceText(path: "t.json", bytes: Array(bytes[..<cut])))
                #expect(truncated.hasErrors)
                var deleted = bytes
                deleted.remove(at: cut)
                let mutated = SpecChecker(root: Self.root).check(source: SourceText(path: "d.json", bytes: deleted))
                // Deleting whitespace changes nothing; deleting anything else must be noticed or be harmless.
                if mutated.spec == nil { #expect(mutated.hasErrors) }
                checked += 1
            }
            #expect(checked > 100)
            let deep = String(repeating: "[", count: 200) + String(repeating: "]", count: 200)
            #expect(Self.check(deep).diagnostics.map(\.code) == [.syntax])
            #expect(Self.check("{\"format\": \"\\ud800\"}").diagnostics.map(\.code) == [.syntax])
        }
    }
}
