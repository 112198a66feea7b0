import Foundation
import MapCLI
import MapDSL
import TestSupport
import Testing

/// Runs `mapc` in-process with captured output.
func mapc(_ args: [String], cwd: String = Repo.root, env: [String: String] = [:]) -> (code: Int32, out: String, err: String) {
    let io = CapturedIO()
    let code = MapCLI.run(args, io: io, environment: env, workingDirectory: cwd)
    return (code, io.stdout, io.stderr)
}

/// A scratch directory with copies of the project's schemas and samples.
func scratchProject() throws -> String {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("mapc-test-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    for sub in ["schemas", "samples"] {
        try FileManager.default.copyItem(atPath: Repo.path(sub), toPath: "\(dir)/\(sub)")
    }
    return dir
}

@Suite struct CoreCommandTests {
    @Test func helpListsCommandsAndEveryCommandHasHelp() {
        let r = mapc(["--help"])
        #expect(r.code == 0)
        for name in ["check", "fmt", "run"] {
            #expect(r.out.contains("  \(name)"))
            let h = mapc([name, "--help"])
            #expect(h.code == 0 && h.out.contains("Usage: mapc \(name)"))
        }
    }

    @Test func unknownCommandAndOptionAreUsageErrorsWithSuggestions() {
        let a = mapc(["chekc"])
        #expect(a.code == 2 && a.err.contains("did you mean 'mapc check'"))
        let b = mapc(["check", "--formt", "json", "x.map"])
        #expect(b.code == 2 && b.err.contains("did you mean '--format'"))
        let c = mapc(["check"])
        #expect(c.code == 2)
        let d = mapc(["check", "--format", "yaml", "x.map"])
        #expect(d.code == 2 && d.err.contains("unknown format"))
    }

    @Test func checkCleanSamples() {
        let r = mapc(["check"] + Repo.sampleMappings())
        #expect(r.code == 0, "\(r.out)")
        #expect(r.out.contains("0 errors"))
    }

    @Test func checkMisspelledFieldShowsPositionCaretAndSuggestion() throws {
        let dir = try scratchProject()
        let text = try Repo.read("samples/mappings/contacts-to-leads.map").replacingOccurrences(
            of: "lower(trim(email))", with: "lower(trim(emial))")
        try text.write(toFile: "\(dir)/typo.map", atomically: true, encoding: .utf8)
        let r = mapc(["check", "typo.map"], cwd: dir)
        #expect(r.code == 1)
        let line = text.components(separatedBy: "\n").firstIndex { $0.contains("emial") }! + 1
        #expect(r.out.contains("typo.map:\(line):"))
        #expect(r.out.contains("error[E0201]"))
        #expect(r.out.contains("^^^^^"))
        #expect(r.out.contains("did you mean `email`?"))
        let json = mapc(["check", "--format", "json", "typo.map"], cwd: dir)
        let parsed = try JSONParser.parse(json.out)
        #expect(parsed["errors"]?.intValue == 1)
        #expect(parsed["files"]?.arrayValue?.first?["diagnostics"]?.arrayValue?.first?["code"]?.stringValue == "E0201")
    }

    @Test func checkMissingFileIsAClearError() {
        let r = mapc(["check", "nope.map"])
        #expect(r.code == 3)
        #expect(r.err.contains("cannot read 'nope.map'"))
    }

    @Test func fmtRewritesAndCheckReports() throws {
        let dir = try scratchProject()
        try
            "mapping hubspot.contact->salesforce.Lead\nkey HubSpot_Contact_Id__c\nStatus='Open - Not Contacted'\nHubSpot_Contact_Id__c=hs_object_id\n"
            .write(toFile: "\(dir)/m.map", atomically: true, encoding: .utf8)
        #expect(mapc(["fmt", "--check", "m.map"], cwd: dir).code == 1)
        #expect(mapc(["fmt", "m.map"], cwd: dir).code == 0)
        let once = try String(contentsOfFile: "\(dir)/m.map", encoding: .utf8)
        #expect(once.contains("HubSpot_Contact_Id__c = hs_object_id\nStatus                = \"Open - Not Contacted\""))
        #expect(mapc(["fmt", "m.map"], cwd: dir).code == 0)
        #expect(try String(contentsOfFile: "\(dir)/m.map", encoding: .utf8) == once)
        #expect(mapc(["fmt", "--check", "m.map"], cwd: dir).code == 0)
    }

    @Test func fmtRefusesFilesWithSyntaxErrors() throws {
        let dir = try scratchProject()
        try "mapping a.b -> c.d\nX = (1 +\n".write(toFile: "\(dir)/bad.map", atomically: true, encoding: .utf8)
        let r = mapc(["fmt", "bad.map"], cwd: dir)
        #expect(r.code == 1 && r.err.contains("not formatted"))
        #expect(try String(contentsOfFile: "\(dir)/bad.map", encoding: .utf8) == "mapping a.b -> c.d\nX = (1 +\n")
    }

    @Test func runMapsSamplesAndReportsRejects() throws {
        let dir = try scratchProject()
        try FileManager.default.copyItem(atPath: Repo.path("samples/mappings"), toPath: "\(dir)/m")
        let r = mapc(
            [
                "run", "m/contacts-to-leads.map", "--input", "samples/hubspot/contact.jsonl", "--lookups", "samples",
                "--output", "out.jsonl", "--rejects", "rejects.jsonl",
            ], cwd: dir)
        #expect(r.code == 1)
        #expect(r.err.contains("read 232"))
        let out = try String(contentsOfFile: "\(dir)/out.jsonl", encoding: .utf8).split(separator: "\n")
        let rejects = try String(contentsOfFile: "\(dir)/rejects.jsonl", encoding: .utf8).split(separator: "\n")
        let skipped = 6
        #expect(out.count + rejects.count + skipped == 232)
        let first = try JSONParser.parse(String(out[0]))
        #expect(first["HubSpot_Contact_Id__c"] == "5101")
        #expect(first["Email"] == "sophie.weber@gmx.de")
        let reject = try JSONParser.parse(String(rejects[0]))
        #expect(reject["reasons"]?.arrayValue?.first?["field"] != nil)
        #expect(reject["line"]?.intValue != nil)
    }

    @Test func runReadsStandardInputNamesMalformedLines() throws {
        let dir = try scratchProject()
        try "{\"hs_object_id\":\"1\",\"email\":\"A@B.COM\"}\nnot json\n\n[1]\n".write(
            toFile: "\(dir)/in.jsonl", atomically: true, encoding: .utf8)
        try FileManager.default.copyItem(atPath: Repo.path("samples/mappings"), toPath: "\(dir)/m")
        let r = mapc(["run", "m/contacts-to-leads.map", "--input", "in.jsonl"], cwd: dir)
        #expect(r.code == 1)
        #expect(r.out.contains("\"Email\":\"a@b.com\""))
        #expect(r.err.contains("in.jsonl:2: rejected[R0608]"))
        #expect(r.err.contains("in.jsonl:4: rejected[R0608]"))
        #expect(r.err.contains("read 3, mapped 1, skipped 0, rejected 2"))
    }
}
