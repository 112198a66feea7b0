import Foundation
import MapDSL
import MapGen
import Testing

/// The evaluation suite in `evals/` and its scorer.
@Suite struct EvalSuiteTests {
    static let cases: [EvalCase] = {
        (try? EvalSuite.load(directory: Fixtures.root + "/evals", groups: ["tune", "held-out"], samples: Fixtures.root + "/samples")) ?? []
    }()

    @Test func thirtyCasesOverEveryPlatformPairWithCleanReferences() throws {
        #expect(Self.cases.count >= 30)
        #expect(Self.cases.filter { $0.group == "held-out" }.count >= 10)
        var pairs = Set<String>()
        for c in Self.cases {
            let from = try #require(c.prose.from).split(separator: ".")[0]
            let to = try #require(c.prose.to).split(separator: ".")[0]
            pairs.insert("\(from)->\(to)")
            let check = Checker.check(SourceText(path: c.name, text: c.reference), schemas: Fixtures.schemas)
            #expect(!check.diagnostics.hasErrors, "\(c.name).map")
            #expect(c.records.count >= 2, "\(c.name)")
        }
        let readable = ["hubspot", "salesforce", "mailchimp", "segment"]
        let all = ["hubspot", "salesforce", "mailchimp", "segment", "ga4"]
        for s in readable {
            for d in all where d != s { #expect(pairs.contains("\(s)->\(d)"), "no case from \(s) to \(d)") }
        }
    }

    /// The bar of issue 18 that the suite keeps: the offline generator claims no wrong rule.
    @Test func offlineGeneratorClaimsNoWrongRuleOnTheSuite() throws {
        #expect(!Self.cases.isEmpty)
        let generator = OfflineGenerator(schemas: Fixtures.schemas)
        var scores: [CaseScore] = []
        for c in Self.cases {
            let r = generator.generate(prose: c.prose, source: Fixtures.schema(c.prose.from!), destination: Fixtures.schema(c.prose.to!))
            #expect(!r.diagnostics.hasErrors, "\(c.name)")
            scores.append(
                EvalScorer.score(
                    c, EvalGeneration(mapping: r.mapping, notImplemented: r.trace.notImplemented.map(\.sentence)), schemas: Fixtures.schemas
                ))
        }
        let silent = scores.flatMap { s in
            s.fields.filter(\.silentWrong).map { "\(s.name) \($0.field): \($0.example ?? $0.status.rawValue)" }
        }
        #expect(silent.isEmpty, "\(silent)")
        let copies = EvalReport.agreement(scores, .copy)
        let transforms = EvalReport.agreement(scores, .transform)
        #expect(Double(copies.right) >= 0.95 * Double(copies.total))
        #expect(Double(transforms.right) >= 0.8 * Double(transforms.total))
    }

    func scoreCase(reference: String, generated: String?, notImplemented: [Int] = [], prose: String = "A is a.") -> CaseScore {
        let c = EvalCase(
            name: "x", group: "tune", prose: ProseDocument(from: "hubspot.contact", to: "salesforce.Lead", body: prose),
            reference: reference,
            records: [
                try! JSONParser.parse(#"{"hs_object_id": "1", "lastname": "Lee", "lifecyclestage": "lead", "email": "a@x.com"}"#),
                try! JSONParser.parse(#"{"hs_object_id": "2", "lastname": "", "lifecyclestage": "customer", "email": ""}"#),
            ], lookups: [:])
        return EvalScorer.score(c, EvalGeneration(mapping: generated, notImplemented: notImplemented), schemas: Fixtures.schemas)
    }

    static let reference = """
        mapping hubspot.contact -> salesforce.Lead
        key HubSpot_Contact_Id__c
        HubSpot_Contact_Id__c = hs_object_id
        Company = "Acme"
        LastName = trim(lastname ?? "")
        Status = if lifecyclestage == "customer" then "Working - Contacted" else "Open - Not Contacted"
        """

    @Test func copiesTransformsAndSilentWrongAreCountedApart() {
        let wrong = Self.reference.replacingOccurrences(of: "\"customer\" then", with: "\"lead\" then") + "  # [S1] confidence 0.90\n"
        let s = scoreCase(reference: Self.reference, generated: wrong)
        let byField = Dictionary(uniqueKeysWithValues: s.fields.map { ($0.field, $0) })
        #expect(byField["HubSpot_Contact_Id__c"]?.kind == .copy && byField["HubSpot_Contact_Id__c"]?.status == .right)
        #expect(byField["LastName"]?.kind == .transform, "`?? \"\"` is more than a copy")
        #expect(byField["Company"]?.kind == .transform)
        #expect(byField["Status"]?.status == .wrong && byField["Status"]?.silentWrong == true)
        #expect(EvalReport.silentWrong([s]) == 1)
        let flagged = wrong.replacingOccurrences(of: "confidence 0.90", with: "confidence 0.40, REVIEW: guessed")
        #expect(EvalReport.silentWrong([scoreCase(reference: Self.reference, generated: flagged)]) == 0)
    }

    @Test func aMissingFieldIsReportedOnlyWhenItsSentenceIsListed() {
        let without = Self.reference.replacingOccurrences(
            of: "Company = \"Acme\"\n", with: "Company = \"Unknown\"  # confidence 0.00, REVIEW\n"
        )
        .replacingOccurrences(of: "LastName = trim(lastname ?? \"\")\n", with: "LastName = \"x\"  # REVIEW\n")
        let missingStatus = without.replacingOccurrences(
            of: "Status = if lifecyclestage == \"customer\" then \"Working - Contacted\" else \"Open - Not Contacted\"",
            with: "Status = \"Open - Not Contacted\"  # confidence 0.00, REVIEW")
        let s = scoreCase(reference: Self.reference, generated: missingStatus, notImplemented: [1], prose: "Status depends on the moon.")
        #expect(s.fields.first { $0.field == "Status" }?.flagged == true)
        let extra = Self.reference + "\nTitle = jobtitle  # confidence 0.95\n"
        let e = scoreCase(reference: Self.reference, generated: extra)
        #expect(e.fields.contains { $0.field == "Title" && $0.status == .extra && $0.silentWrong })
    }

    @Test func calibrationBucketsRulesByTheirConfidence() {
        let generated = Self.reference.replacingOccurrences(of: "Company = \"Acme\"", with: "Company = \"Acme\"  # confidence 0.95")
        let table = EvalReport.calibration([scoreCase(reference: Self.reference, generated: generated)])
        #expect(table.count == 1 && table[0].confidence == 0.95 && table[0].rules == 1 && table[0].right == 1)
    }

    /// A case whose prose is past the prose limit is an error that names the file and the limit.
    @Test func aCaseWithProseLargerThanTheLimitIsRefused() throws {
        let dir = NSTemporaryDirectory() + "mapc-eval-big-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try FileManager.default.createDirectory(atPath: dir + "/g", withIntermediateDirectories: true)
        try ("from: hubspot.contact\nto: salesforce.Lead\n\n" + String(repeating: "Title is jobtitle. ", count: 4_000))
            .write(toFile: dir + "/g/big.txt", atomically: true, encoding: .utf8)
        try "mapping hubspot.contact -> salesforce.Lead\n".write(toFile: dir + "/g/big.map", atomically: true, encoding: .utf8)
        try "".write(toFile: dir + "/g/big.jsonl", atomically: true, encoding: .utf8)
        #expect {
            try EvalSuite.load(directory: dir, groups: ["g"], samples: nil)
        } throws: { error in
            (error as? MapGenError)?.message.contains("big.txt' is 76043 bytes; a prose description may be at most 64 KiB") == true
        }
    }
}
