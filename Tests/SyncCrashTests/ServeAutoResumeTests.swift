import Foundation
import MapDSL
import Sandbox
import SyncEngine
import TestSupport
import Testing

/// `autoResume` end to end: a `mapc sync` paused for real (the Salesforce emulator answers
/// REQUEST_LIMIT_EXCEEDED, no reset time known), then the real `mapc serve` resumes the run by itself
/// once it is due — no sooner than a minute after the pause, so this test waits that minute and runs
/// only in `make test-slow` (`MAPC_SLOW_TESTS=1`); the scheduling itself is in `make test`
/// (`AutoResumeTests`, with an injected clock).
@Suite(.serialized, .timeLimit(.minutes(4))) struct ServeAutoResumeTests {
    static let slow = ProcessInfo.processInfo.environment["MAPC_SLOW_TESTS"] == "1"

    static let mapping = """
        mapping hubspot.contact -> salesforce.Lead
        key HubSpot_Contact_Id__c

        HubSpot_Contact_Id__c = hs_object_id
        Email                 = lower(trim(email))
        LastName              = null_if_blank(trim(lastname)) ?? "Unknown"
        Company               = company ?? "Unknown"
        Status                = "Open - Not Contacted"
        """

    static func mapc() -> String? {
        [
            URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("mapc").path,
            Repo.path(".build/debug/mapc"),
        ].first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// Starts the built mapc in `root`, both streams to `logPath`.
    static func start(_ args: [String], root: String, env: [String: String], logPath: String) throws -> Process {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: try #require(mapc()))
        p.arguments = args
        p.currentDirectoryURL = URL(fileURLWithPath: root)
        p.environment = env
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        p.standardError = handle
        p.standardOutput = handle
        try p.run()
        return p
    }

    @Test(.enabled(if: slow && mapc() != nil, "MAPC_SLOW_TESTS=1 and the mapc executable"))
    func aQuotaPauseIsResumedByMapcServeOnceDueAndTheRunCompletes() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("mapc-auto-resume-\(UUID().uuidString)").path
        let fm = FileManager.default
        defer { try? fm.removeItem(atPath: root) }
        try fm.createDirectory(atPath: root + "/samples/hubspot", withIntermediateDirectories: true)
        try fm.createDirectory(atPath: root + "/jobs", withIntermediateDirectories: true)
        for item in ["schemas", "ratelimits"] { try fm.copyItem(atPath: Repo.path(item), toPath: root + "/" + item) }
        let lines = (0..<30).map { i in
            JSONWriter.compact(
                .object([
                    ("hs_object_id", .string(String(500_000 + i))), ("email", .string("r\(i)@example.com")),
                    ("lastname", .string("Last \(i)")), ("company", .string("Company \(i % 3)")),
                    ("lastmodifieddate", .string(Dates.formatDateTime(1_709_251_200_000 + Int64(i) * 60_000))),
                ]))
        }
        try (lines.joined(separator: "\n") + "\n").write(toFile: root + "/samples/hubspot/contact.jsonl", atomically: true, encoding: .utf8)
        try Self.mapping.write(toFile: root + "/leads.map", atomically: true, encoding: .utf8)
        // The reset time is unknown (no rate-limit registry): due a minute after the pause, the floor.
        try
            #"{"source": {"platform": "hubspot", "object": "contact"}, "destination": {"platform": "salesforce", "object": "Lead"}, "mapping": "leads.map", "pageSize": 10, "autoResume": {"marginSeconds": 0, "unknownResetSeconds": 0}}"#
            .write(toFile: root + "/jobs/leads.json", atomically: true, encoding: .utf8)
        let options = SandboxOptions.project(root: URL(fileURLWithPath: root))
        let hubspot = try SandboxServer.start(platform: .hubspot, options: options)
        let salesforce = try SandboxServer.start(platform: .salesforce, options: options)
        defer {
            hubspot.stop()
            salesforce.stop()
        }
        let env = [
            "PATH": "/usr/bin:/bin", "HOME": root, "USER": "tester", "NO_COLOR": "1", "MAPC_OPERATORS": root + "/operators.json",
            "MAPC_HUBSPOT_URL": hubspot.baseURL.absoluteString, "MAPC_HUBSPOT_TOKEN": hubspot.credential,
            "MAPC_SALESFORCE_URL": salesforce.baseURL.absoluteString, "MAPC_SALESFORCE_TOKEN": salesforce.credential,
            "MAPC_RATE_LIMITS": "none",
        ]
        func run(_ args: [String]) throws -> (status: Int32, log: String) {
            let log = root + "/log-\(UUID().uuidString).txt"
            let p = try Self.start(args, root: root, env: env, logPath: log)
            p.waitUntilExit()
            return (p.terminationStatus, (try? String(contentsOfFile: log, encoding: .utf8)) ?? "")
        }
        let approve = try run(["approve", "leads.map", "--by", "tester"])
        try #require(approve.status == 0, "\(approve.log)")

        // Salesforce's daily allocation is used up: the sync pauses at once.
        salesforce.setFaults(FaultSwitches(rateLimitNext: 1_000))
        let sync = try run(["sync", "leads"])
        #expect(sync.status != 0 && sync.log.contains("salesforce daily API allocation used up"), "\(sync.log)")
        let store = try EventStore(path: root + "/.mapc/events.db")
        let paused = try #require(try store.latestRun(job: "leads"))
        #expect(paused.state.phase == .paused)
        let status = try run(["status", "leads"])
        #expect(status.log.contains("then resumes by itself (autoResume; cancel to stop)"), "\(status.log)")
        // The quota is back; nothing resumes the run but serve.
        salesforce.setFaults(FaultSwitches())
        // With the reset unknown, the limiter also holds the bucket for its own guess of an hour
        // (kept in the store for the next process), longer than this job's `unknownResetSeconds`: a
        // run resumed sooner would wait that hour out. This test is about serve's resume, so it
        // lets the limiter's hour pass (the two settings disagreeing is a known gap).
        var hold = try #require(try store.loadWindow("salesforce/default"))
        #expect(hold.blockedUntil > Date().timeIntervalSince1970 + 3000)
        hold.blockedUntil = 0
        try store.saveWindow(hold, for: "salesforce/default")

        let serveLog = root + "/serve.txt"
        let serve = try Self.start(
            ["serve", "--listen", "127.0.0.1:0", "--admin-listen", "none", "--alert-interval", "1"], root: root, env: env,
            logPath: serveLog)
        defer {
            if serve.isRunning { kill(serve.processIdentifier, SIGTERM) }
            serve.waitUntilExit()
        }
        // Serve resumes the run once due (a minute after the pause); the store is read until the
        // run has completed (for three minutes at most: a failure, not a hang).
        var run = paused
        let giveUp = Date().addingTimeInterval(180)
        while serve.isRunning && run.state.phase != .completed && Date() < giveUp {
            usleep(200_000)
            run = try #require(try store.run(paused.id))
        }
        #expect(run.state.phase == .completed, "\(run.state) \((try? String(contentsOfFile: serveLog, encoding: .utf8)) ?? "")")
        let events = try store.events(run: paused.id)
        let quota = try #require(events.first { $0.type == "quota_exhausted" })
        let auto = try #require(events.first { $0.type == "auto_resume" })
        let resumed = try #require(events.first { $0.type == "resumed" })
        #expect(auto.seq > quota.seq && resumed.seq > auto.seq)
        #expect(resumed.payload["by"]?.stringValue == "autoResume" && resumed.payload["identity"]?.stringValue == "system")
        // Not before the minute was up.
        let pausedAt = try #require(Dates.parseISODateTime(Substring(quota.at)))
        let resumedAt = try #require(Dates.parseISODateTime(Substring(auto.at)))
        #expect(resumedAt - pausedAt >= 60_000)
        // Resumed once, and every lead arrived.
        #expect(events.filter { $0.type == "auto_resume" }.count == 1)
        let leads = try TwoWayKilledRunTests.records(salesforce, "Lead", key: "HubSpot_Contact_Id__c")
        #expect(leads["count"] == 30 && leads["distinct"] == 30, "\(leads)")
        kill(serve.processIdentifier, SIGTERM)
        serve.waitUntilExit()
        let log = try String(contentsOfFile: serveLog, encoding: .utf8)
        #expect(log.contains("autoResume: resumed leads run \(paused.id)"), "\(log)")
    }
}
