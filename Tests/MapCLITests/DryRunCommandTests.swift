import Foundation
import MapDSL
import Testing

@Suite struct DryRunCommandTests {
    @Test func messyHubSpotSampleNamesRejectedRecordsWithFieldLevelReasons() throws {
        let p = try ReviewTestProject()
        let r = p.run(["dry-run", leads])
        #expect(r.code == 0, "\(r.err)")
        #expect(r.out.contains("over samples/hubspot/contact.jsonl"))
        #expect(r.out.contains("samples/hubspot/contact.jsonl:49: V0704 Email: \"maria@@gmail.com\" is not a valid email address"))
        #expect(!r.out.contains("V0705"), "Salesforce phone fields take any text")
        #expect(r.out.contains("warning V0704 Email: \"pedro@gmail\" may not be a valid email address"))
        #expect(r.out.contains("blank(email)"))
        #expect(r.out.contains("fill rate over"))
        #expect(r.out.contains("duplicate keys (HubSpot_Contact_Id__c)"))
        #expect(r.out.contains("lookups hit"))
    }

    /// A samples file past the whole-file limit (256 MiB; a sparse file here) is refused with a message,
    /// before it is read whole.
    @Test func aSamplesFileLargerThanTheWholeFileLimitIsRefusedWithAMessage() throws {
        let p = try ReviewTestProject()
        let huge = p.root + "/huge.jsonl"
        #expect(FileManager.default.createFile(atPath: huge, contents: nil))
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: huge))
        try handle.truncate(atOffset: (256 << 20) + 1)
        try handle.close()
        let r = p.run(["dry-run", leads, "--samples", "huge.jsonl"])
        #expect(r.code == 2, "\(r.err)")
        #expect(r.err.contains("'huge.jsonl' is larger than 256 MiB"), "\(r.err)")
        #expect(r.out.isEmpty)
    }

    @Test func markdownRendersAsATable() throws {
        let p = try ReviewTestProject()
        let r = p.run(["dry-run", leads, "--format", "markdown"])
        #expect(r.code == 0)
        #expect(r.out.hasPrefix("### Dry run: `samples/mappings/contacts-to-leads.map`"))
        #expect(r.out.contains("| read | mapped | skipped | rejected | lookups hit |\n|---:|---:|---:|---:|---:|\n"))
        #expect(r.out.contains("| code | field | records | reason | examples |"))
        #expect(r.out.contains("| V0704 | `Email` |"))
        for line in r.out.split(separator: "\n") where line.hasPrefix("|") { #expect(line.hasSuffix("|")) }
    }

    @Test func jsonCarriesEveryCount() throws {
        let p = try ReviewTestProject()
        let r = p.run(["dry-run", leads, "--format", "json"])
        let json = try JSONParser.parse(r.out)
        let read = try #require(json["read"]?.intValue)
        let parts = ["mapped", "skipped", "rejected"].compactMap { json[$0]?.intValue }
        #expect(parts.count == 3 && read == parts.reduce(0, +))
        #expect(json["rejections"]?.arrayValue?.isEmpty == false)
        #expect(json["lookups"]?["calls"]?.intValue != nil)
    }

    @Test func showPrintsSourceBesideOutputAndSamplesCanBeGiven() throws {
        let p = try ReviewTestProject()
        try p.write(
            "few.jsonl",
            """
            {"hs_object_id": "1", "email": " A@Example.com ", "lastname": "Ash", "createdate": "2024-01-01T00:00:00Z"}
            {"hs_object_id": "1", "email": "", "createdate": "2024-01-01T00:00:00Z"}
            {"hs_object_id": "1", "email": "b@example.com", "createdate": "2024-01-01T00:00:00Z"}

            """)
        let r = p.run(["dry-run", leads, "--samples", "few.jsonl", "--show", "2"])
        #expect(r.code == 0, "\(r.err)")
        #expect(r.out.contains("few.jsonl:1\n"))
        let emailRow = try #require(r.out.split(separator: "\n").first { $0.contains("\" A@Example.com \"") })
        #expect(emailRow.contains("→"))
        #expect(r.out.contains("skipped by `skip when blank(email)`"))
        #expect(r.out.contains("duplicate keys (HubSpot_Contact_Id__c)\n  value  records  lines\n  1            2  1, 3\n"))
    }

    @Test func usageErrorsAreClear() throws {
        let p = try ReviewTestProject()
        #expect(p.run(["dry-run"]).code == 2)
        #expect(p.run(["dry-run", leads, "--format", "html"]).code == 2)
        #expect(p.run(["dry-run", leads, "--show", "many"]).code == 2)
        try FileManager.default.removeItem(atPath: p.root + "/samples/hubspot/contact.jsonl")
        let r = p.run(["dry-run", leads])
        #expect(r.code == 2)
        #expect(r.err.contains("no sample records for hubspot.contact"))
        #expect(r.err.contains("help: pass --samples FILE.jsonl"))
    }
}
