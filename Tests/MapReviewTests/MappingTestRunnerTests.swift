import MapDSL
import Testing

@Suite struct MappingTestRunnerTests {
    static let cases = """
        # a comment
        {"name": "ok", "input": {"hs_object_id": "1", "email": " A@B.COM ", "createdate": "2024-01-01T00:00:00Z"}, "expect": {"Email": "a@b.com", "Account__c": null}}
        {"name": "wrong value", "input": {"hs_object_id": "1", "email": "a@b.com", "createdate": "2024-01-01T00:00:00Z"}, "expect": {"Email": "A@B.COM", "Nope": 1}}
        {"name": "skip", "input": {"email": ""}, "skip": "blank( email )"}
        {"name": "wrong skip rule", "input": {"email": ""}, "skip": "blank(lastname)"}
        {"name": "reject", "input": {"hs_object_id": "1", "email": "x@", "createdate": "2024-01-01T00:00:00Z"}, "reject": {"code": "V0704", "field": "Email"}}
        {"name": "expected reject but mapped", "input": {"hs_object_id": "1", "email": "x@y.com", "createdate": "2024-01-01T00:00:00Z"}, "reject": "V0704"}
        {"name": "lookup", "input": {"hs_object_id": "1", "email": "x@y.com", "company": "Acme", "createdate": "2024-01-01T00:00:00Z"}, "lookups": {"salesforce.Account": [{"Id": "001", "Name": "Acme"}]}, "expect": {"Account__c": "001"}}

        {"input": {}, "expect": {}, "skip": true}
        [1]
        """

    @Test func casesParseAndProblemsAreReportedByLine() {
        let suite = MappingTestSuite.parse(Self.cases)
        #expect(suite.cases.count == 7)
        #expect(suite.problems.map(\.line) == [10, 11])
        #expect(suite.problems[0].message.contains("exactly one of"))
        #expect(MappingTestSuite.casesPath(forMapping: "a/b.map") == "a/b.tests.jsonl")
    }

    @Test func eachFailureNamesFieldExpectedAndGot() throws {
        let m = try Fixtures.compile(Fixtures.leadsMapping)
        let lookupSchemas = Fixtures.check(Fixtures.leadsMapping).lookupSchemas
        let results = MappingTestRunner.run(MappingTestSuite.parse(Self.cases), mapping: m, lookupSchemas: lookupSchemas)
        #expect(results.map(\.passed) == [true, false, true, false, true, false, true])
        let wrong = results[1].failures
        #expect(wrong.count == 2)
        #expect(wrong[0].field == "Email" && wrong[0].expected == "\"A@B.COM\"" && wrong[0].got == "\"a@b.com\"")
        #expect(wrong[1].field == "Nope" && wrong[1].got == "(not written by the mapping)")
        #expect(results[3].failures.first?.got == "skipped by `blank(email)`")
        #expect(results[5].failures.first?.got.hasPrefix("mapped {") == true)
        let report = MappingTestReport(entries: [.init(mapping: "m.map", casesFile: "m.tests.jsonl", results: results)])
        #expect(!report.ok)
        let text = report.renderText()
        #expect(
            text.contains(
                "case \"wrong value\" (m.tests.jsonl:3)\n    field `Email`\n      expected: \"A@B.COM\"\n      got:      \"a@b.com\"\n"))
        #expect(text.hasSuffix("FAILED: 1 mapping, 7 cases, 3 failed\n"))
    }
}
