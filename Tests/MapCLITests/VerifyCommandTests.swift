import Foundation
import MapCLI
import MapDSL
import TestSupport
import Testing

@Suite struct VerifyCommandTests {
    @Test func changeReviewReapproveCycle() throws {
        let p = try ReviewTestProject()
        #expect(p.run(["verify"]).code == 1)
        #expect(p.run(["approve"] + p.mappings + ["--by", "ana"]).code == 0)
        let ok = p.run(["verify"])
        #expect(ok.code == 0, "\(ok.out)")
        #expect(ok.out.contains("ok: \(p.mappings.count) mappings approved and unchanged"))

        try p.replaceLine(in: leads, startingWith: "Title", with: "Title = upper(trim(jobtitle))")
        let failed = p.run(["verify"])
        #expect(failed.code == 1)
        #expect(failed.out.contains("FAIL  samples/mappings/contacts-to-leads.map\n      modified since approval (field Title)"))
        for other in p.mappings where other != leads { #expect(failed.out.contains("ok    \(other)")) }

        let review = p.run(["review", leads])
        #expect(review.out.contains("~ Title (changed)"))

        #expect(p.run(["approve", leads, "--by", "bo"]).code == 0)
        let again = p.run(["verify"])
        #expect(again.code == 0, "\(again.out)")
        #expect(again.out.contains("ok    samples/mappings/contacts-to-leads.map (approved by bo"))
    }

    @Test func aRemovedPicklistValueFailsWithTheTypeError() throws {
        let p = try ReviewTestProject()
        #expect(p.run(["approve", leads, "--by", "ana"]).code == 0)
        let schema = "schemas/salesforce/Lead.json"
        let text = try p.read(schema)
        #expect(text.contains("\"Working - Contacted\", "))
        try p.write(schema, text.replacingOccurrences(of: "\"Working - Contacted\", ", with: ""))
        let r = p.run(["verify", leads])
        #expect(r.code == 1)
        #expect(r.out.contains("FAIL  samples/mappings/contacts-to-leads.map"))
        #expect(r.out.contains("destination schema salesforce.Lead changed since approval (schema drift)"))
        #expect(r.out.contains("error[E0303]: \"Working - Contacted\" is not an allowed value of the picklist `Status`"))
        let json = try JSONParser.parse(p.run(["verify", leads, "--format", "json"]).out)
        #expect(json["ok"] == false)
        let kinds = json["mappings"]?.arrayValue?.first?["problems"]?.arrayValue?.compactMap { $0["kind"]?.stringValue }
        #expect(kinds == ["schema-drifted", "type-error"])
    }

    @Test func unapprovedMappingsAreNamed() throws {
        let p = try ReviewTestProject()
        let r = p.run(["verify", "--format", "json"])
        #expect(r.code == 1)
        let json = try JSONParser.parse(r.out)
        let names = json["mappings"]?.arrayValue?.compactMap { $0["mapping"]?.stringValue }
        #expect(names == p.mappings)
        #expect(json["mappings"]?.arrayValue?.allSatisfy { $0["problems"]?.arrayValue?.first?["kind"] == "unapproved" } == true)
    }

    @Test func theRepositoryLockApprovesEverySampleMapping() {
        let io = CapturedIO()
        let code = MapCLI.run(["verify"], io: io, environment: [:], workingDirectory: Repo.root)
        #expect(code == 0, "mappings.lock is out of date; review and re-approve:\n\(io.stdout)")
    }

    /// A mapping approved while its cases passed fails verification once a case fails, naming the
    /// case, field, expected and actual value (text and JSON).
    @Test func verifyFailsAMappingWhoseOwnCasesFail() throws {
        let p = try ReviewTestProject()
        #expect(p.run(["approve", leads, "--by", "ana"]).code == 0)
        #expect(p.run(["verify", leads]).code == 0)
        let cases = "samples/mappings/contacts-to-leads.tests.jsonl"
        try p.write(
            cases,
            try p.read(cases)
                + """
                {"name": "deliberately wrong", "input": {"hs_object_id": "1", "email": "a@b.com", "createdate": "2024-01-01T00:00:00Z"}, "expect": {"Status": "Closed - Converted"}}

                """)
        let r = p.run(["verify", leads])
        #expect(r.code == 1, "\(r.out)")
        #expect(r.out.contains("FAIL  samples/mappings/contacts-to-leads.map\n      1 of "))
        #expect(r.out.contains("fails; see 'mapc test'"))
        #expect(r.out.contains("case \"deliberately wrong\""))
        #expect(r.out.contains("field `Status` expected \"Closed - Converted\", got \"Open - Not Contacted\""))
        let json = try JSONParser.parse(p.run(["verify", leads, "--format", "json"]).out)
        #expect(json["ok"] == false)
        let problem = json["mappings"]?.arrayValue?.first?["problems"]?.arrayValue?.first
        #expect(problem?["kind"]?.stringValue == "cases-fail")
        #expect(problem?["failures"]?.arrayValue?.count == 1)
    }
}
