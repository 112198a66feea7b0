import MapDSL
import Testing

@Suite struct DryRunReportTests {
    func report(show: Int = 0) throws -> DryRunReport {
        DryRun.run(
            try Fixtures.compile(Fixtures.leadsMapping), samples: Fixtures.contacts, lookups: try Fixtures.accounts(),
            mappingPath: "contacts-to-leads.map", samplesPath: "samples/hubspot/contact.jsonl", show: show)
    }

    @Test func messyHubSpotSampleNamesRejectedRecordsWithFieldLevelReasons() throws {
        let r = try report()
        #expect(r.read == 232)
        #expect(r.read == r.mapped + r.skipped + r.rejected)
        #expect(r.skips.map(\.rule) == ["blank(email)"])
        #expect(r.rejected > 0)
        let email = try #require(r.rejections.first { $0.code == "V0704" })
        #expect(email.field == "Email")
        #expect(email.examples.first?.line == 49)
        #expect(email.examples.first?.message.contains("maria@@gmail.com") == true)
        // Salesforce phone fields take any text: "020 7946 0958 ext 12", "n/a", "call after 5pm" are sent.
        #expect(!r.rejections.contains { $0.code == "V0705" })
        #expect(r.rejections.contains { $0.code == "V0703" && $0.field == "Company" })
        // "pedro@gmail" may be refused (the domain has no dot) but Salesforce does not document it: a warning.
        #expect(r.warnings.contains { $0.code == "V0704" && $0.examples.contains { $0.message.contains("pedro@gmail") } })
        #expect(r.warned >= 1)
        #expect(r.rejections.reduce(0) { $0 + $1.count } >= r.rejected)
        #expect(r.lookups != nil && r.lookups!.hits <= r.lookups!.calls)
        #expect(r.fill.count == 12 && r.fill.allSatisfy { $0.total == r.mapped })
    }

    @Test func duplicateKeysAreFoundWithTheirLines() throws {
        let samples = """
            {"hs_object_id": "1", "email": "a@example.com", "createdate": "2024-01-01T00:00:00Z"}

            {"hs_object_id": "2", "email": "b@example.com", "createdate": "2024-01-01T00:00:00Z"}
            {"hs_object_id": "1", "email": "c@example.com", "createdate": "2024-01-01T00:00:00Z"}
            not json
            """
        let r = DryRun.run(try Fixtures.compile(Fixtures.leadsMapping), samples: samples, mappingPath: "m", samplesPath: "s")
        #expect(r.read == 4)
        #expect(r.duplicateKeys.map(\.value) == ["1"])
        #expect(r.duplicateKeys.map(\.lines) == [[1, 4]])
        #expect(r.rejections.map(\.code) == ["R0608"])
        #expect(r.rejections.first?.examples.first?.line == 5)
    }

    @Test func percentagesRoundToOneDecimal() {
        #expect(DryRunReport.percent(118, of: 174) == "67.8%")
        #expect(DryRunReport.percent(1, of: 3) == "33.3%")
        #expect(DryRunReport.percent(0, of: 0) == "–")
    }

    @Test func markdownRendersAsTables() throws {
        let md = try report(show: 1).renderMarkdown()
        #expect(md.contains("| code | field | records | reason | examples |\n|---|---|---:|---|---|\n"))
        #expect(md.contains("| V0704 | `Email` | 7 | invalid email address | line 49: "))
        for line in md.split(separator: "\n") where line.hasPrefix("|") {
            #expect(line.hasSuffix("|"), "table row not closed: \(line)")
        }
        assertGolden(md, "dry-run-contacts-to-leads.md")
    }

    @Test func textAndJSONRenderingsMatchTheGoldens() throws {
        let r = try report(show: 1)
        assertGolden(r.renderText(), "dry-run-contacts-to-leads.txt")
        assertGolden(JSONWriter.pretty(r.json), "dry-run-contacts-to-leads.json")
    }

    @Test func markdownCellsEscapePipes() {
        #expect(ReportTable.escape("a|b\nc") == "a\\|b<br>c")
        #expect(ReportTable.code("x | y") == "`x \\| y`")
        #expect(ReportTable.code("a`b") == "`` a`b ``")
    }
}
