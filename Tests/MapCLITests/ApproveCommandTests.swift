import Crypto
import Foundation
import MapDSL
import MapReview
import Testing

@Suite struct ApproveCommandTests {
    @Test func approvalRecordsHashesApproverTimeDryRunAndText() throws {
        let p = try ReviewTestProject()
        try p.write(leads, "# generated-by: mapc gen 0.1\n# model: local-test\n# prompt-hash: 5e1f\n" + (try p.read(leads)))
        let r = p.run(["approve", leads, "--by", "ana", "--note", "looks right"])
        #expect(r.code == 0, "\(r.err)")
        #expect(r.out.hasPrefix("approved samples/mappings/contacts-to-leads.map (sha256 "))
        #expect(r.out.contains("by ana at 2025-01-31T09:30:00Z; dry-run: "))
        let lock = try MappingsLock.load(root: p.root)
        let e = try #require(lock.entries[leads])
        #expect(e.approvedBy == "ana" && e.note == "looks right" && e.approvedAt == ReviewTestProject.now)
        #expect(e.mapping == "hubspot.contact -> salesforce.Lead")
        #expect(e.schemas.map(\.object) == ["hubspot.contact", "salesforce.Lead", "salesforce.Account"])
        #expect(e.provenance.map(\.0) == ["generated-by", "model", "prompt-hash"])
        #expect(e.dryRun?.samples == "samples/hubspot/contact.jsonl")
        #expect(e.dryRun.map { $0.read == $0.mapped + $0.skipped + $0.rejected } == true)
        #expect(e.canonicalText == Formatter.format(Parser.parse(SourceText(path: "", text: try p.read(leads))).file))
        #expect(e.sha256 == SHA256.hex(e.canonicalText))
        // The file is stable: approving again at the same time rewrites it byte for byte.
        let before = try p.read("mappings.lock")
        #expect(p.run(["approve", leads, "--by", "ana", "--note", "looks right"]).code == 0)
        #expect(try p.read("mappings.lock") == before)
    }

    @Test func approvalNeedsANameAndACleanMapping() throws {
        let p = try ReviewTestProject()
        let noName = p.run(["approve", leads])
        #expect(noName.code == 2)
        #expect(noName.err.contains("--by NAME is required"))
        try p.replaceLine(in: leads, startingWith: "Email", with: "Email = lower(trim(emial))")
        let broken = p.run(["approve", leads, "--by", "ana"])
        #expect(broken.code == 1)
        #expect(broken.err.contains("emial"))
        #expect(!FileManager.default.fileExists(atPath: p.root + "/mappings.lock"))
        #expect(p.run(["approve", leads, "--by", "ana"], env: ["MAPC_NOW": "yesterday"]).code == 2)
    }

    /// A mapping whose own cases fail is refused: the message names the case, the field, the
    /// expected and the actual value, the exit status is 1, and mappings.lock is not written.
    @Test func approvalRefusesAMappingWhoseOwnCasesFail() throws {
        let p = try ReviewTestProject()
        let cases = "samples/mappings/contacts-to-leads.tests.jsonl"
        try p.write(
            cases,
            try p.read(cases)
                + """
                {"name": "deliberately wrong", "input": {"hs_object_id": "1", "email": "a@b.com", "createdate": "2024-01-01T00:00:00Z"}, "expect": {"Status": "Closed - Converted"}}

                """)
        let r = p.run(["approve", leads, "--by", "ana"])
        #expect(r.code == 1, "\(r.out)\(r.err)")
        #expect(r.err.contains("samples/mappings/contacts-to-leads.map: 1 of "))
        #expect(
            r.err.contains(
                "case \"deliberately wrong\" (samples/mappings/contacts-to-leads.tests.jsonl:"
            ))
        #expect(r.err.contains("field `Status` expected \"Closed - Converted\", got \"Open - Not Contacted\""))
        #expect(r.err.contains("refusing to approve samples/mappings/contacts-to-leads.map"))
        #expect(!r.out.contains("approved "))
        #expect(!FileManager.default.fileExists(atPath: p.root + "/mappings.lock"))
        // Approving it together with a passing mapping approves neither.
        let both = p.run(["approve", "samples/mappings/companies-to-accounts.map", leads, "--by", "ana"])
        #expect(both.code == 1)
        #expect(!FileManager.default.fileExists(atPath: p.root + "/mappings.lock"))
    }

    /// A cases file with a line that cannot be read is a failure too, not a pass.
    @Test func approvalRefusesAMappingWithAnUnreadableCase() throws {
        let p = try ReviewTestProject()
        let cases = "samples/mappings/contacts-to-leads.tests.jsonl"
        try p.write(cases, try p.read(cases) + "{\"name\": \"half\", \"input\": \n")
        let r = p.run(["approve", leads, "--by", "ana"])
        #expect(r.code == 1)
        #expect(r.err.contains("unreadable case"))
        #expect(!FileManager.default.fileExists(atPath: p.root + "/mappings.lock"))
    }
}
