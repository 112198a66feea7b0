import Foundation
import MapDSL
import Sandbox
import TestSupport
import Testing

@testable import SyncEngine

/// `mapc` killed with SIGKILL, then started again: the next `sync` closes the run the dead process
/// left running, and a `resume` right after the kill paces itself by the window the dead process
/// used (no 429 from the emulator).
@Suite(.serialized, .timeLimit(.minutes(5))) struct KilledRunTests {
    static let mapping = """
        mapping hubspot.contact -> salesforce.Lead
        key HubSpot_Contact_Id__c
        skip when blank(email)

        HubSpot_Contact_Id__c = hs_object_id
        Company               = null_if_blank(trim(company)) ?? "Unknown"
        Email                 = lower(trim(email))
        LastName              = null_if_blank(trim(lastname)) ?? "Unknown"
        Status                = "Open - Not Contacted"
        """

    /// A project with `contacts` HubSpot contacts, the mapping approved, and the registry's HubSpot
    /// account budget set to `budget` requests per `window` seconds (for mapc and the emulator alike).
    struct Project {
        let root: String
        let env: [String: String]
        let hubspot: SandboxServer
        let salesforce: SandboxServer

        func stop() {
            hubspot.stop()
            salesforce.stop()
            try? FileManager.default.removeItem(atPath: root)
        }
    }

    static func project(contacts: Int, budget: (Int, Int)? = nil) throws -> Project {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("mapc-killed-\(UUID().uuidString)").path
        let fm = FileManager.default
        try fm.createDirectory(atPath: root + "/samples/hubspot", withIntermediateDirectories: true)
        try fm.createDirectory(atPath: root + "/jobs", withIntermediateDirectories: true)
        try fm.copyItem(atPath: Repo.path("schemas"), toPath: root + "/schemas")
        try fm.copyItem(atPath: Repo.path("ratelimits"), toPath: root + "/ratelimits")
        if let (count, seconds) = budget {
            // Every HubSpot bucket at the small budget (the ordinary ones share "account").
            var text = try String(contentsOfFile: root + "/ratelimits/hubspot.json", encoding: .utf8)
            text = text.replacingOccurrences(
                of: #""count": 190, "windowSeconds": 10"#, with: "\"count\": \(count), \"windowSeconds\": \(seconds)")
            try text.write(toFile: root + "/ratelimits/hubspot.json", atomically: true, encoding: .utf8)
        }
        let lines = (0..<contacts).map { i in
            JSONWriter.compact(
                .object([
                    ("hs_object_id", .string(String(300_000 + i))), ("email", .string("k\(i)@example.com")),
                    ("lastname", .string("Last \(i)")), ("company", .string("Company \(i % 9)")),
                    ("lastmodifieddate", .string(Dates.formatDateTime(1_709_251_200_000 + Int64(i) * 60_000))),
                ]))
        }
        try (lines.joined(separator: "\n") + "\n").write(toFile: root + "/samples/hubspot/contact.jsonl", atomically: true, encoding: .utf8)
        try Self.mapping.write(toFile: root + "/killed.map", atomically: true, encoding: .utf8)
        try
            #"{"source": {"platform": "hubspot", "object": "contact"}, "destination": {"platform": "salesforce", "object": "Lead"}, "mapping": "killed.map", "pageSize": 20, "batchSize": 40, "retries": 5}"#
            .write(toFile: root + "/jobs/killed.json", atomically: true, encoding: .utf8)
        let options = SandboxOptions.project(root: URL(fileURLWithPath: root))
        let hubspot = try SandboxServer.start(platform: .hubspot, options: options)
        let salesforce = try SandboxServer.start(platform: .salesforce, options: options)
        var env = ProcessInfo.processInfo.environment
        env["MAPC_HUBSPOT_URL"] = hubspot.baseURL.absoluteString
        env["MAPC_HUBSPOT_TOKEN"] = hubspot.credential
        env["MAPC_SALESFORCE_URL"] = salesforce.baseURL.absoluteString
        env["MAPC_SALESFORCE_TOKEN"] = salesforce.credential
        env["NO_COLOR"] = "1"
        env.removeValue(forKey: "MAPC_RATE_LIMITS")
        env.removeValue(forKey: "MAPC_STORE")
        let project = Project(root: root, env: env, hubspot: hubspot, salesforce: salesforce)
        let approve = try Self.mapc(["approve", "killed.map", "--by", "test"], project)
        guard approve.status == 0 else {
            project.stop()
            throw Failure("approve failed: \(approve.stderr)")
        }
        return project
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String
        init(_ d: String) { description = d }
    }

    /// Runs the built mapc in the project; `crashAt` kills it (SIGKILL) at that point of the run.
    static func mapc(_ args: [String], _ project: Project, crashAt: String? = nil) throws -> (status: Int32, killed: Bool, stderr: String) {
        var candidates: [String] = []
        if let exe = Bundle.main.executableURL { candidates.append(exe.deletingLastPathComponent().appendingPathComponent("mapc").path) }
        candidates.append(URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("mapc").path)
        candidates.append(Repo.path(".build/debug/mapc"))
        guard let binary = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            throw Failure("the mapc executable is not built (looked in \(candidates))")
        }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: binary)
        p.arguments = args
        p.currentDirectoryURL = URL(fileURLWithPath: project.root)
        var env = project.env
        if let crashAt { env["MAPC_CRASH_AT"] = crashAt }
        p.environment = env
        let err = Pipe()
        p.standardError = err
        p.standardOutput = FileHandle.nullDevice
        try p.run()
        let text = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, p.terminationReason == .uncaughtSignal, String(decoding: text.suffix(2000), as: UTF8.self))
    }

    @Test func syncsAfterKillsLeaveNoRunRunningAndNothingWrittenTwice() throws {
        let project = try Self.project(contacts: 400)
        defer { project.stop() }
        // Three syncs killed as a batch goes out (recorded as sent, not answered), each followed by a new sync.
        for _ in 0..<3 {
            let killed = try Self.mapc(["sync", "killed"], project, crashAt: "before-send:2")
            #expect(killed.killed, "mapc was not killed: \(killed.stderr)")
        }
        let last = try Self.mapc(["sync", "killed"], project)
        #expect(last.status == 0 && !last.killed, "\(last.stderr)")
        let store = try EventStore(path: project.root + "/.mapc/events.db")
        let runs = try store.runs(job: "killed")
        #expect(runs.count == 4)
        #expect(runs.allSatisfy { !$0.state.phase.isRunning }, "\(runs.map(\.state.description))")
        for r in runs.dropLast() {
            #expect(r.state.phase == .cancelled)
            #expect(r.state.reason?.contains("has ended") == true, "\(r.state.reason ?? "")")
            #expect(try store.events(run: r.id).contains { $0.type == "reconcile" })
        }
        #expect(runs.last?.state.phase == .completed)
        // Every contact once at the destination, with nothing duplicated.
        let leads = try JSONParser.parse(
            String(
                decoding: try Data(
                    contentsOf: project.salesforce.baseURL.appendingPathComponent("_sandbox/records").appending(queryItems: [
                        URLQueryItem(name: "object", value: "Lead"), URLQueryItem(name: "key", value: "HubSpot_Contact_Id__c"),
                    ])), as: UTF8.self))
        #expect(leads["distinct"]?.intValue == 400)
        #expect(leads["duplicates"]?.objectValue?.isEmpty == true)
    }

    @Test func aResumeRightAfterAKillMeetsNo429() throws {
        // HubSpot at 9 requests per 10 s: a page of 20 contacts per request, 200 contacts. The kill
        // comes after page 8 with the window used up exactly (the describe and pages 1-8; page 9,
        // read ahead, waits in the limiter); the resume starts well within those 10 s. (A process
        // with no memory of the window learns it from HubSpot's remaining-quota headers, but only
        // once its first answer is back.)
        func killThenResume(forgetWindows: Bool) throws -> Int {
            let project = try Self.project(contacts: 200, budget: (9, 10))
            defer { project.stop() }
            let killed = try Self.mapc(["sync", "killed"], project, crashAt: "after-fetch:8")
            #expect(killed.killed, "mapc was not killed: \(killed.stderr)")
            #expect(project.hubspot.requestLog.filter { $0.status == 429 }.isEmpty)
            if forgetWindows {
                let store = try EventStore(path: project.root + "/.mapc/events.db")
                try store.locked { try store.db.prepare("DELETE FROM limiter_windows").run() }
            }
            // At once: the resumed process knows the dead one's window from the store.
            let resumed = try Self.mapc(["resume", "killed"], project)
            #expect(resumed.status == 0, "\(resumed.stderr)")
            return project.hubspot.requestLog.filter { $0.status == 429 }.count
        }
        let refused = try killThenResume(forgetWindows: false)
        #expect(refused == 0, "\(refused) requests refused after the resume")
        // With the stored windows forgotten the platform refuses some (so the check above can fail).
        #expect(try killThenResume(forgetWindows: true) > 0)
    }
}
