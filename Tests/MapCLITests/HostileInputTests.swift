import Foundation
import MapDSL
import TestSupport
import Testing

/// Issue 14's repros against the built `mapc`, each in a child process: a clear error with the
/// README's exit code, never a signal, nothing written that should not be.
@Suite(.timeLimit(.minutes(5))) struct HostileInputTests {
    /// A valid mapping head into salesforce.Lead; tests add one assignment.
    static let head = """
        mapping hubspot.contact -> salesforce.Lead
        key HubSpot_Contact_Id__c

        HubSpot_Contact_Id__c = hs_object_id
        Company               = "Acme"
        LastName              = lastname ?? "Unknown"
        Status                = "Open - Not Contacted"

        """

    // MARK: Record values that trapped the evaluator

    @Test func addDaysAndRemainderPastTheirRangeRejectTheRecordInsteadOfKillingTheRun() throws {
        let p = try ScratchProject()
        try p.write(
            "dates.map",
            Self.head + """
                Description           = format_date(add_days(to_date(createdate), num_associated_deals), "yyyy-MM-dd") + "/" + to_string(add_days(to_datetime(createdate), num_associated_deals))
                NumberOfEmployees     = hs_analytics_num_visits % -1

                """)
        let lines = [
            #"{"hs_object_id": "1", "createdate": "2024-03-05", "num_associated_deals": 9223372036854775807}"#,
            #"{"hs_object_id": "2", "createdate": "2024-03-05", "num_associated_deals": 106751991167}"#,
            #"{"hs_object_id": "3", "createdate": "2024-03-05", "num_associated_deals": -9223372036854775808}"#,
            #"{"hs_object_id": "4", "createdate": "2024-03-05", "num_associated_deals": 1, "hs_analytics_num_visits": -9223372036854775808}"#,
            #"{"hs_object_id": "5", "createdate": "9223372036854775807", "num_associated_deals": 1}"#,
        ]
        try p.write("in.jsonl", lines.joined(separator: "\n") + "\n")
        let run = try p.mapc(["run", "dates.map", "--input", "in.jsonl", "--rejects", "rejects.jsonl"])
        #expect(!run.signaled && run.status == 1, "\(run.summary)")
        // The dry-run completes (exit 0) and counts the rejections by code.
        let dryRun = try p.mapc(["dry-run", "dates.map", "--samples", "in.jsonl", "--format", "json"])
        #expect(!dryRun.signaled && dryRun.status == 0, "\(dryRun.summary)")
        #expect(dryRun.out.contains("R0609"))
        let rejects = p.read("rejects.jsonl").split(separator: "\n").compactMap { try? JSONParser.parse(String($0)) }
        #expect(rejects.count == 4)
        #expect(rejects.allSatisfy { $0["reasons"]?.arrayValue?.first?["code"] == "R0609" })
        // Int.min % -1 is 0: record 4 maps.
        let out = try p.mapc(["run", "dates.map", "--input", "in.jsonl", "--quiet"])
        #expect(out.out.contains(#""NumberOfEmployees":0"#), "\(out.summary)")
    }

    // MARK: The front end

    static let deepExpressions: [(String, String)] = [
        ("8,700 terms of +", "Description = email" + String(repeating: " + email", count: 8700)),
        ("8,700 terms of and", "HasOptedOutOfEmail = hs_email_optout" + String(repeating: " and hs_email_optout", count: 8700)),
        ("8,700 terms of ??", "Description = email" + String(repeating: " ?? email", count: 8700)),
        ("10,600 not", "HasOptedOutOfEmail = " + String(repeating: "not ", count: 10_600) + "true"),
        ("22,000 unary minus", "NumberOfEmployees = " + String(repeating: "-", count: 22_000) + "hs_analytics_num_visits"),
        ("22,000 unary minus on a literal", "NumberOfEmployees = " + String(repeating: "-", count: 22_000) + "1"),
        ("30,000 parentheses", "Description = " + String(repeating: "(", count: 30_000) + "email" + String(repeating: ")", count: 30_000)),
    ]

    @Test(arguments: deepExpressions)
    func deepExpressionsAreOneDiagnosticNotACrash(name: String, line: String) throws {
        let p = try ScratchProject()
        try p.write("deep.map", Self.head + line + "\n")
        let r = try p.mapc(["check", "--format", "json", "deep.map"])
        #expect(!r.signaled && r.status == 1, "\(name): \(r.summary)")
        let json = try JSONParser.parse(r.out)
        let codes = json["files"]?.arrayValue?.first?["diagnostics"]?.arrayValue?.compactMap { $0["code"]?.stringValue }
        #expect(codes == ["E0115"], "\(name)")
    }

    @Test(arguments: [20_000, 40_000])
    func fmtOfTensOfThousandsOfTermsRefusesInsteadOfCrashing(terms: Int) throws {
        let p = try ScratchProject()
        let text = Self.head + "Description = email" + String(repeating: " + email", count: terms) + "\n"
        try p.write("big.map", text)
        let r = try p.mapc(["fmt", "big.map"])
        #expect(!r.signaled && r.status == 1, "\(r.summary)")
        #expect(r.err.contains("E0115") && r.err.contains("not formatted"))
        #expect(p.read("big.map") == text)
    }

    @Test(arguments: ["`.Account`", "`salesforce.`", "`salesforce.../../../x/evil`"])
    func lookupObjectNamesNeverReachTheFileSystem(object: String) throws {
        let p = try ScratchProject()
        try FileManager.default.createDirectory(atPath: p.root + "/x", withIntermediateDirectories: true)
        try p.write("x/evil.json", #"{"platform": "salesforce", "object": "evil", "fields": [{"name": "Id", "type": "id"}]}"#)
        try p.write("lookup.map", Self.head + "Account__c = lookup(\(object), Name == company)?.Id\n")
        let r = try p.mapc(["check", "lookup.map"])
        #expect(!r.signaled && r.status == 1, "\(r.summary)")
        #expect(r.out.contains("error[E0408]"))
        #expect(!r.out.contains("evil.json") && !r.out.contains("exist"))
    }

    @Test func thirtyKilobytesOfNULAndSixtyOfBadEscapesFinishWithAShortReport() throws {
        let p = try ScratchProject()
        try p.write("nul.map", bytes: [UInt8](repeating: 0, count: 30_000))
        try p.write("escapes.map", Self.head + "Description = \"" + String(repeating: "\\q", count: 30_000) + "\"\n")
        try p.write("mixed.map", Self.head + "Description = \"" + String(repeating: "\\q \\u{zz} ", count: 6_000) + "\"\n")
        for file in ["nul.map", "escapes.map", "mixed.map"] {
            let r = try p.mapc(["check", file])
            #expect(!r.signaled && r.status == 1, "\(file): \(r.summary)")
            #expect(r.out.utf8.count < 20_000, "\(file) printed \(r.out.utf8.count) bytes")
            let json = try p.mapc(["check", "--format", "json", file])
            #expect(json.status == 1 && json.out.utf8.count < 200_000)
            #expect((try? JSONParser.parse(json.out)) != nil)
        }
    }

    @Test func aMappingFileThatIsNotUTF8GetsLineAndColumnAndExit1() throws {
        let p = try ScratchProject()
        var bytes = Array((Self.head + "Description = \"caf").utf8)
        bytes.append(0xE9)
        bytes += Array("\"\n".utf8)
        try p.write("latin1.map", bytes: bytes)
        let text = try p.mapc(["check", "latin1.map"])
        #expect(text.status == 1 && text.out.contains("latin1.map:8:19: error[E0105]"), "\(text.summary)")
        let json = try p.mapc(["check", "--format", "json", "latin1.map"])
        #expect(json.status == 1)
        let d = try JSONParser.parse(json.out)["files"]?.arrayValue?.first?["diagnostics"]?.arrayValue?.first
        #expect(d?["code"] == "E0105" && d?["line"] == 8 && d?["column"] == 19)
        let fmt = try p.mapc(["fmt", "latin1.map"])
        #expect(fmt.status == 1 && fmt.err.contains("E0105"))
    }

    @Test(arguments: ["\r\n", "\r"])
    func mappingsWithOtherLineEndsCheckRunAndFormat(ending: String) throws {
        let p = try ScratchProject()
        let text = try Repo.read("samples/mappings/contacts-to-leads.map").replacingOccurrences(of: "\n", with: ending)
        try p.write("m.map", text)
        let check = try p.mapc(["check", "m.map"])
        #expect(check.status == 0, "\(check.out + check.err)")
        let canonical = try p.mapc(["fmt", "--check", "m.map"])
        #expect(canonical.status == 1 && canonical.out.contains("not canonically formatted"))
        #expect(try p.mapc(["fmt", "m.map"]).status == 0)
        #expect(!p.read("m.map").contains("\r"))
        #expect(try p.mapc(["fmt", "--check", "m.map"]).status == 0)
    }

    // MARK: mapc run's input and outputs

    @Test func anEndlessLineStopsWithItsLineNumber() throws {
        let p = try ScratchProject()
        let r = try p.mapc(["run", "samples/mappings/contacts-to-leads.map", "--input", "/dev/zero"])
        #expect(!r.signaled && r.status == 3, "\(r.summary)")
        #expect(r.err.contains("line 1 of '/dev/zero' is longer than 16777216 bytes"))
        try p.write("in.jsonl", #"{"hs_object_id": "1"}"# + "\n" + String(repeating: " ", count: 200) + "{}\n")
        let small = try p.mapc(["run", "samples/mappings/contacts-to-leads.map", "--input", "in.jsonl", "--max-line-bytes", "100"])
        #expect(small.status == 3 && small.err.contains("line 2 of 'in.jsonl' is longer than 100 bytes"), "\(small.summary)")
        let bad = try p.mapc(["run", "samples/mappings/contacts-to-leads.map", "--input", "in.jsonl", "--max-line-bytes", "0"])
        #expect(bad.status == 2)
    }

    @Test func writeErrorsExitThreeNamingTheFileAndNeverClaimRecordsWritten() throws {
        let p = try ScratchProject()
        let mapping = "samples/mappings/contacts-to-leads.map"
        let input = "samples/hubspot/contact.jsonl"
        let output = try p.mapc(["run", mapping, "--input", input, "--output", "/dev/full"])
        #expect(output.status == 3 && output.err.contains("cannot write '/dev/full': No space left on device"), "\(output.summary)")
        #expect(!output.err.contains("mapped 2"))
        let stdout = try p.mapc(["run", mapping, "--input", input], stdoutPath: "/dev/full")
        #expect(stdout.status == 3 && stdout.err.contains("cannot write standard output: No space left on device"), "\(stdout.summary)")
        let rejects = try p.mapc(["run", mapping, "--input", input, "--output", "/dev/null", "--rejects", "/dev/full"])
        #expect(rejects.status == 3 && rejects.err.contains("cannot write '/dev/full'"), "\(rejects.summary)")
        // Any command's standard output: check's report too.
        let check = try p.mapc(["check", mapping], stdoutPath: "/dev/full")
        #expect(check.status == 3 && check.err.contains("cannot write standard output"), "\(check.summary)")
    }

    @Test func anOutputThatIsTheInputIsRefusedBeforeAnythingIsWritten() throws {
        let p = try ScratchProject()
        let mapping = "samples/mappings/contacts-to-leads.map"
        let original = try Repo.read("samples/hubspot/contact.jsonl")
        try p.write("in.jsonl", original)
        try FileManager.default.createSymbolicLink(atPath: p.root + "/link.jsonl", withDestinationPath: p.root + "/in.jsonl")
        try FileManager.default.linkItem(atPath: p.root + "/in.jsonl", toPath: p.root + "/hard.jsonl")
        for args in [
            ["--output", "in.jsonl"], ["--output", "link.jsonl"], ["--rejects", "hard.jsonl"], ["--output", "./in.jsonl"],
            ["--output", "a.jsonl", "--rejects", "a.jsonl"],
        ] {
            let r = try p.mapc(["run", mapping, "--input", "in.jsonl"] + args)
            #expect(r.status == 2, "\(args): \(r.summary)")
            #expect(p.read("in.jsonl") == original, "\(args) damaged the input")
        }
        let stdin = try p.mapc(["run", mapping, "--input", "-", "--output", "in.jsonl"], stdinPath: p.root + "/in.jsonl")
        #expect(stdin.status == 2 && p.read("in.jsonl") == original, "\(stdin.summary)")
        let appended = try p.mapc(["run", mapping, "--input", "in.jsonl"], stdoutPath: p.root + "/in.jsonl")
        #expect(appended.status == 2 && appended.err.contains("standard output is the input file"), "\(appended.summary)")
    }

    @Test func anInputThatCannotBeReadIsExitThreeNotAnEmptyRun() throws {
        let p = try ScratchProject()
        let r = try p.mapc(["run", "samples/mappings/contacts-to-leads.map", "--input", "samples"])
        #expect(r.status == 3 && r.err.contains("cannot read 'samples': Is a directory"), "\(r.summary)")
        #expect(!r.err.contains("read 0"))
        let missing = try p.mapc(["run", "samples/mappings/contacts-to-leads.map", "--input", "nope.jsonl"])
        #expect(missing.status == 3 && missing.err.contains("No such file or directory"), "\(missing.summary)")
    }

    @Test func recordTextThatIsNotUTF8AndOddNumbersAreHandledAsDocumented() throws {
        let p = try ScratchProject()
        try p.write(
            "text.map",
            Self.head + "Description = employee_count\nEmail = email\nAnnualRevenue = to_decimal(annualrevenue)\n")
        var bad = Array(#"{"hs_object_id": "1", "email": "ann@example.com"#.utf8)
        bad += [0xFF]
        bad += Array(#""}"#.utf8)
        let lines: [[UInt8]] = [
            bad, Array(#"{"hs_object_id": "2", "employee_count": 123456789012345678901234567890}"#.utf8),
            Array(#"{"hs_object_id": "3", "employee_count": 1e400}"#.utf8),
            Array(#"{"hs_object_id": "4", "annualrevenue": "1e400"}"#.utf8),
        ]
        try p.write("in.jsonl", bytes: Array(lines.joined(separator: [0x0A])) + [0x0A])
        let r = try p.mapc(["run", "text.map", "--input", "in.jsonl", "--rejects", "rejects.jsonl"])
        #expect(!r.signaled && r.status == 1, "\(r.summary)")
        #expect(r.out.contains(#""Description":"123456789012345678901234567890""#))
        #expect(r.out.contains(#""Description":"1e400""#))
        #expect(!r.out.contains("ann@example.com"))
        let rejects = p.read("rejects.jsonl").split(separator: "\n").compactMap { try? JSONParser.parse(String($0)) }
        #expect(rejects.map { $0["line"]?.intValue } == [1, 4])
        #expect(rejects.first?["reasons"]?.arrayValue?.first?["code"] == "R0608")
        #expect(rejects.last?["reasons"]?.arrayValue?.first?["code"] == "R0601")
    }
}
