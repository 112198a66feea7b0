import Foundation
import MapDSL
import Testing

@Suite struct TestCommandTests {
    @Test func everySampleMappingHasPassingCases() throws {
        let p = try ReviewTestProject()
        let r = p.run(["test"])
        #expect(r.code == 0, "\(r.out)\(r.err)")
        for m in p.mappings {
            #expect(r.out.contains("ok   \(m):"), "\(m) has no passing cases")
            let cases = try p.read(String(m.dropLast(4)) + ".tests.jsonl")
            let suite = MappingTestSuite.parse(cases)
            #expect(suite.cases.count >= 5 && suite.problems.isEmpty, "\(m)")
            let kinds = Set(
                suite.cases.map { c -> String in
                    switch c.expectation {
                    case .mapped: "mapped"
                    case .skipped: "skipped"
                    case .rejected: "rejected"
                    }
                })
            #expect(kinds.contains("rejected"), "\(m) has no rejection case")
        }
    }

    @Test func aFailingCaseNamesTheFieldExpectedAndGot() throws {
        let p = try ReviewTestProject()
        let cases = "samples/mappings/contacts-to-leads.tests.jsonl"
        try p.write(
            cases,
            try p.read(cases)
                + """
                {"name": "deliberately wrong", "input": {"hs_object_id": "1", "email": "a@b.com", "createdate": "2024-01-01T00:00:00Z"}, "expect": {"Status": "Closed - Converted"}}

                """)
        let r = p.run(["test", leads])
        #expect(r.code == 1)
        #expect(r.out.contains("case \"deliberately wrong\""))
        #expect(r.out.contains("field `Status`\n      expected: \"Closed - Converted\"\n      got:      \"Open - Not Contacted\"\n"))
        let json = try JSONParser.parse(p.run(["test", leads, "--format", "json"]).out)
        #expect(json["ok"] == false)
    }

    @Test func aMappingWithoutCasesFails() throws {
        let p = try ReviewTestProject()
        try FileManager.default.copyItem(atPath: p.root + "/" + leads, toPath: p.root + "/samples/mappings/copy.map")
        let r = p.run(["test", "samples/mappings/copy.map"])
        #expect(r.code == 1)
        #expect(r.out.contains("no cases file 'samples/mappings/copy.tests.jsonl'"))
    }
}
