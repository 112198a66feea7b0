import Crypto
import Foundation
import MapDSL
import Sandbox
import TestSupport
import Testing

@testable import SyncEngine

/// `mapc sync` of a two-way job held in a long wait (the Mailchimp emulator refuses with a 429 and
/// `Retry-After: 600`) ends when asked: by `mapc cancel` from another process, and by SIGTERM. Each
/// stopped run is recorded as cancelled with its reason; the next `mapc sync` carries every edit
/// across, and creates nobody twice.
@Suite(.serialized, .timeLimit(.minutes(5))) struct TwoWayCancelTests {
    typealias Project = TwoWayKilledRunTests.Project

    /// Starts the built mapc in the project without waiting for it; standard error goes to `errPath`.
    static func start(_ args: [String], _ project: Project, errPath: String) throws -> Process {
        let binary = [
            URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("mapc").path,
            Repo.path(".build/debug/mapc"),
        ].first { FileManager.default.isExecutableFile(atPath: $0) }
        guard let binary else { throw TwoWayKilledRunTests.HTTPFailure(message: "the mapc executable is not built") }
        FileManager.default.createFile(atPath: errPath, contents: nil)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: binary)
        p.arguments = args
        p.currentDirectoryURL = URL(fileURLWithPath: project.root)
        var env = project.env
        env["MAPC_ACTOR"] = "ops"
        p.environment = env
        p.standardError = FileHandle(forWritingAtPath: errPath)
        p.standardOutput = FileHandle(forWritingAtPath: errPath)
        try p.run()
        return p
    }

    /// The `waiting` event of the job's run after `previous` runs, once the running process has
    /// recorded it (the store is read until then; the suite's time limit bounds the loop).
    static func waitingEvent(_ store: EventStore, after previous: Int, process: Process) throws -> StoredEvent? {
        while process.isRunning {
            let runs = try store.runs(job: "contacts-two-way")
            if runs.count > previous, let event = try store.lastEvent(run: runs[previous].id, types: ["waiting"]) { return event }
            usleep(20_000)
        }
        return nil
    }

    /// Mailchimp's next request is refused as rate-limited, asking for a 600 s wait.
    static func refuseNextMailchimpRequest(_ project: Project) throws {
        _ = try TwoWayKilledRunTests.request(
            "POST", project.mailchimp.baseURL.appendingPathComponent("_sandbox/faults"), auth: "",
            body: ["rateLimitNext": 1, "retryAfterSeconds": 600])
    }

    @Test func aWaitingRunEndsOnCancelAndOnSIGTERMAndTheNextSyncLosesAndDuplicatesNothing() throws {
        let project = try TwoWayKilledRunTests.project()
        defer { project.stop() }
        let first = try TwoWayKilledRunTests.mapc(["sync", "contacts-two-way"], project)
        #expect(first.status == 0, "\(first.err)")
        // A person edits 10 first names in Salesforce and 10 last names in Mailchimp.
        let edits: [JSONValue] = (0..<10).map { i in
            ["attributes": ["type": "Contact"], "Id": .string(TwoWayKilledRunTests.sfId(i)), "FirstName": .string("Edited\(i)")]
        }
        _ = try TwoWayKilledRunTests.request(
            "PATCH", project.salesforce.baseURL.appendingPathComponent("services/data/v59.0/composite/sobjects/Contact/Id"),
            auth: "Bearer \(project.salesforce.credential)", body: ["allOrNone": false, "records": .array(edits)])
        let mcAuth = "Basic " + Data("mapc:\(project.mailchimp.credential)".utf8).base64EncodedString()
        let list = project.env["MAPC_MAILCHIMP_LIST"]!
        for i in 40..<50 {
            _ = try TwoWayKilledRunTests.request(
                "PATCH", project.mailchimp.baseURL.appendingPathComponent("3.0/lists/\(list)/members/\(MD5.hex("k\(i)@example.com"))"),
                auth: mcAuth, body: ["merge_fields": ["LNAME": .string("Changed\(i)")]])
        }
        let store = try EventStore(path: project.root + "/.mapc/events.db")
        let dir = project.root + "/logs"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)

        // Run 2 waits for Mailchimp's rate limit; 'mapc cancel' from another process ends it.
        try Self.refuseNextMailchimpRequest(project)
        let second = try Self.start(["sync", "contacts-two-way"], project, errPath: dir + "/second")
        let waiting = try #require(try Self.waitingEvent(store, after: 1, process: second), "run 2 never waited")
        #expect(waiting.payload["for"]?.stringValue == "mailchimp rate limit" && waiting.payload["seconds"]?.doubleValue == 30)
        // `mapc status` says what the run waits for.
        let status = try Self.start(["status", "contacts-two-way", "--format", "json"], project, errPath: dir + "/status")
        status.waitUntilExit()
        let shown = try JSONParser.parse(try String(contentsOfFile: dir + "/status", encoding: .utf8))
        let wait = shown.arrayValue?.first?["waiting"]
        #expect(wait?["for"]?.stringValue == "mailchimp rate limit" && wait?["autoResume"] == false, "\(shown)")
        let cancel = try TwoWayKilledRunTests.mapc(["cancel", "contacts-two-way"], project)
        #expect(cancel.status == 0, "\(cancel.err)")
        second.waitUntilExit()
        let secondErr = try String(contentsOfFile: dir + "/second", encoding: .utf8)
        #expect(second.terminationReason == .exit && second.terminationStatus == 1, "\(secondErr)")
        #expect(secondErr.contains("contacts-two-way run 2: cancelled (cancelled by "), "\(secondErr)")
        var runs = try store.runs(job: "contacts-two-way")
        #expect(runs.count == 2 && runs[1].state.phase == .cancelled)
        // Asked of the running process (its lease was alive), not closed behind its back.
        #expect(runs[1].state.reason?.contains("no process was running it") == false, "\(runs[1].state.reason ?? "")")
        #expect(try store.events(run: runs[1].id).contains { $0.type == "cancel_requested" })
        #expect(try store.lease(run: runs[1].id) == nil)

        // Run 3 waits too: mapc kept Mailchimp's 600 s hold for the next process. SIGTERM ends it
        // as cancelled, and the process exits on its own.
        let third = try Self.start(["sync", "contacts-two-way"], project, errPath: dir + "/third")
        #expect(try Self.waitingEvent(store, after: 2, process: third) != nil, "run 3 never waited")
        third.terminate()
        third.waitUntilExit()
        let thirdErr = try String(contentsOfFile: dir + "/third", encoding: .utf8)
        #expect(third.terminationReason == .exit && third.terminationStatus == 1, "\(thirdErr)")
        runs = try store.runs(job: "contacts-two-way")
        #expect(runs.count == 3 && runs[2].state.phase == .cancelled && runs[2].state.reason == "interrupted by SIGTERM")
        // Neither stopped run wrote anything.
        for run in runs[1...2] {
            #expect(try store.events(run: run.id).allSatisfy { $0.type != "twoway_summary" })
        }

        // The hold outlived both cancels; the test lets its time pass.
        var hold = try #require(try store.loadWindow("mailchimp/default"))
        #expect(hold.blockedUntil > Date().timeIntervalSince1970 + 60)
        hold.blockedUntil = 0
        try store.saveWindow(hold, for: "mailchimp/default")

        // Run 4 carries every edit across; nobody exists twice on either side.
        let fourth = try TwoWayKilledRunTests.mapc(["sync", "contacts-two-way"], project)
        #expect(fourth.status == 0, "\(fourth.err)")
        let contacts = try TwoWayKilledRunTests.records(project.salesforce, "Contact", key: "Email")
        let members = try TwoWayKilledRunTests.records(project.mailchimp, "member", key: "email_address")
        #expect(contacts["count"] == 140 && contacts["distinct"] == 140 && contacts["duplicates"] == .object([]))
        #expect(members["count"] == 140 && members["distinct"] == 140 && members["duplicates"] == .object([]))
        func fields(_ reply: JSONValue, _ key: String, _ value: String) -> JSONValue? {
            reply["records"]?.arrayValue?.first { $0["fields"]?[key]?.stringValue == value }?["fields"]
        }
        for i in 0..<10 {
            #expect(fields(members, "email_address", "k\(i)@example.com")?["merge_fields.FNAME"] == .string("Edited\(i)"))
        }
        for i in 40..<50 {
            #expect(fields(contacts, "Email", "k\(i)@example.com")?["LastName"] == .string("Changed\(i)"))
        }
        runs = try store.runs(job: "contacts-two-way")
        let summary = try store.events(run: runs[3].id).first { $0.type == "twoway_summary" }?.payload
        #expect(summary?["updatedRight"] == 10 && summary?["updatedLeft"] == 10, "\(String(describing: summary))")
        #expect(summary?["createdRight"] == 0 && summary?["createdLeft"] == 0, "\(String(describing: summary))")
    }
}
