import Foundation
import MapDSL
import Testing

@Suite struct ReviewCommandTests {
    @Test func reviewShowsTheChangedFieldWithCountsAndBeforeAfter() throws {
        let p = try ReviewTestProject()
        #expect(p.run(["approve", leads, "--by", "ana"]).code == 0)
        let clean = p.run(["review", leads])
        #expect(clean.code == 0)
        #expect(clean.out.contains("unchanged since it was approved"))
        try p.replaceLine(in: leads, startingWith: "Title", with: "Title = upper(trim(jobtitle))")
        let r = p.run(["review", leads])
        #expect(r.code == 1)
        #expect(r.out.hasPrefix("diff approved by ana at 2025-01-31T09:30:00Z -> samples/mappings/contacts-to-leads.map\n"))
        #expect(
            r.out.contains("  ~ Title (changed)\n      - Title = truncate(trim(jobtitle), 128)\n      + Title = upper(trim(jobtitle))\n"))
        let summary = try #require(r.out.split(separator: "\n").first { $0.hasPrefix("behaviour over samples/hubspot/contact.jsonl: ") })
        let changed = try #require(Int(summary.split(separator: " ")[3]))
        #expect(changed > 0)
        let titleRow = try #require(r.out.split(separator: "\n").first { $0.contains(" Title ") && $0.contains("\"OFFICE MANAGER\"") })
        #expect(titleRow.contains("\"Office Manager\""))
        let md = p.run(["review", leads, "--format", "markdown"])
        #expect(md.out.contains("| field changed | `Title` |"))
    }

    @Test func anUnapprovedMappingShowsItsDryRun() throws {
        let p = try ReviewTestProject()
        let r = p.run(["review", leads])
        #expect(r.code == 1)
        #expect(r.err.contains("has never been approved"))
        #expect(r.out.hasPrefix("dry-run samples/mappings/contacts-to-leads.map"))
    }
}
