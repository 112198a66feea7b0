import Foundation
import MapDSL
import TestSupport
import Testing

/// docs/dsl.md carries tables generated from the code; they must be current.
@Suite struct DocsTests {
    @Test func generatedSectionsAreCurrent() throws {
        let doc = try Repo.read("docs/dsl.md")
        let regenerated = ReferenceTables.regenerate(doc)
        for name in ReferenceTables.sections.keys {
            #expect(doc.contains("<!-- BEGIN GENERATED: \(name) -->"), "docs/dsl.md lacks the \(name) section")
        }
        if regenerated != doc {
            if Golden.recording {
                try regenerated.write(toFile: Repo.path("docs/dsl.md"), atomically: true, encoding: .utf8)
                Issue.record("regenerated docs/dsl.md; rerun without MAPC_RECORD_GOLDEN")
            } else {
                Issue.record(
                    "docs/dsl.md is out of date; run MAPC_RECORD_GOLDEN=1 swift test --filter DocsTests:\n\(Golden.lineDiff(doc, regenerated))"
                )
            }
        }
    }

    @Test func everyFunctionIsDocumented() throws {
        let doc = try Repo.read("docs/dsl.md")
        for f in Stdlib.all { #expect(doc.contains("`\(f.name)("), "\(f.name) is not in docs/dsl.md") }
    }

    @Test func documentedExampleMappingChecks() throws {
        let doc = try Repo.read("docs/dsl.md")
        let start = try #require(doc.range(of: "```\n# HubSpot contacts"))
        let end = try #require(doc.range(of: "```", range: start.upperBound..<doc.endIndex))
        let example = String(doc[doc.index(start.lowerBound, offsetBy: 4)..<end.lowerBound])
        let result = Fixtures.check(example)
        #expect(!result.diagnostics.hasErrors, "\(result.diagnostics.map(\.message))")
    }
}
