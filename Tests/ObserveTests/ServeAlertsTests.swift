import Foundation
import HTTPServer
import MapDSL
import MapcSupport
import Sandbox
import SyncEngine
import TestSupport
import Testing

/// Alerts that fire: the real `mapc serve` process, an alert command and an alert webhook, and a
/// job paused for real (Salesforce answers REQUEST_LIMIT_EXCEEDED, as its emulator does when told).
@Suite(.serialized, .timeLimit(.minutes(3))) struct ServeAlertsTests {
    static let mapping = """
        mapping hubspot.contact -> salesforce.Lead
        key HubSpot_Contact_Id__c

        HubSpot_Contact_Id__c = hs_object_id
        Email                 = lower(trim(email))
        LastName              = null_if_blank(trim(lastname)) ?? "Unknown"
        Company               = company ?? "Unknown"
        Status                = "Open - Not Contacted"
        """

    /// A HubSpot-to-Salesforce project over the two emulators, its mapping approved.
    final class Project {
        let root: String
        var env: [String: String]
        let hubspot: SandboxServer
        let salesforce: SandboxServer

        init() throws {
            root = FileManager.default.temporaryDirectory.appendingPathComponent("mapc-alerts-\(UUID().uuidString)").path
            let fm = FileManager.default
            try fm.createDirectory(atPath: root + "/samples/hubspot", withIntermediateDirectories: true)
            try fm.createDirectory(atPath: root + "/jobs", withIntermediateDirectories: true)
            try fm.copyItem(atPath: Repo.path("schemas"), toPath: root + "/schemas")
            try fm.copyItem(atPath: Repo.path("ratelimits"), toPath: root + "/ratelimits")
            let lines = (0..<30).map { i in
                JSONWriter.compact(
                    .object([
                        ("hs_object_id", .string(String(400_000 + i))), ("email", .string("a\(i)@example.com")),
                        ("lastname", .string("Last \(i)")), ("company", .string("Company \(i % 4)")),
                        ("lastmodifieddate", .string(Dates.formatDateTime(1_709_251_200_000 + Int64(i) * 60_000))),
                    ]))
            }
            try (lines.joined(separator: "\n") + "\n").write(
                toFile: root + "/samples/hubspot/contact.jsonl", atomically: true, encoding: .utf8)
            try ServeAlertsTests.mapping.write(toFile: root + "/leads.map", atomically: true, encoding: .utf8)
            try
                #"{"source": {"platform": "hubspot", "object": "contact"}, "destination": {"platform": "salesforce", "object": "Lead"}, "mapping": "leads.map", "pageSize": 10}"#
                .write(toFile: root + "/jobs/leads.json", atomically: true, encoding: .utf8)
            let options = SandboxOptions.project(root: URL(fileURLWithPath: root))
            hubspot = try SandboxServer.start(platform: .hubspot, options: options)
            salesforce = try SandboxServer.start(platform: .salesforce, options: options)
            env = [
                "PATH": "/usr/bin:/bin", "HOME": root, "USER": "tester", "NO_COLOR": "1", "MAPC_OPERATORS": root + "/operators.json",
                "MAPC_HUBSPOT_URL": hubspot.baseURL.absoluteString, "MAPC_HUBSPOT_TOKEN": hubspot.credential,
                "MAPC_SALESFORCE_URL": salesforce.baseURL.absoluteString, "MAPC_SALESFORCE_TOKEN": salesforce.credential,
            ]
        }

        deinit {
            hubspot.stop()
            salesforce.stop()
            try? FileManager.default.removeItem(atPath: root)
        }

        /// Starts the built mapc in the project, standard error to `errPath`.
        func start(_ args: [String], errPath: String) throws -> Process {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: try #require(ServeListenersTests.mapcBinary()))
            p.arguments = args
            p.currentDirectoryURL = URL(fileURLWithPath: root)
            p.environment = env
            _ = FileManager.default.createFile(atPath: errPath, contents: nil)
            p.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: errPath))
            p.standardOutput = FileHandle.nullDevice
            try p.run()
            return p
        }

        /// Runs the built mapc to its end; its status and standard error.
        func run(_ args: [String]) throws -> (status: Int32, err: String) {
            let errPath = root + "/err-\(UUID().uuidString).txt"
            let p = try start(args, errPath: errPath)
            p.waitUntilExit()
            return (p.terminationStatus, (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? "")
        }
    }

    @Test(.enabled(if: ServeListenersTests.mapcBinary() != nil, "needs the mapc executable"))
    func aQuotaPauseReachesTheAlertCommandAndWebhookUnderMapcServe() throws {
        let p = try Project()
        let approve = try p.run(["approve", "leads.map", "--by", "tester"])
        try #require(approve.status == 0, "\(approve.err)")

        // Salesforce's daily allocation is used up: the sync pauses at once, naming it.
        p.salesforce.setFaults(FaultSwitches(rateLimitNext: 1_000))
        let sync = try p.run(["sync", "leads"])
        #expect(sync.status != 0)
        #expect(sync.err.contains("salesforce daily API allocation used up"), "\(sync.err)")
        let store = try EventStore(path: p.root + "/.mapc/events.db")
        let run = try #require(try store.latestRun(job: "leads"))
        #expect(run.state.phase == .paused)
        #expect(run.state.reason?.hasPrefix("salesforce daily API allocation used up; ") == true, "\(run.state.reason ?? "")")
        #expect(run.state.reason?.contains(" UTC") == true)
        #expect(try store.events(run: run.id).contains { $0.type == "quota_exhausted" })

        // A loopback webhook receiver, its path carrying a token serve must not print.
        let received = Locked<[String]>([])
        let arrived = DispatchSemaphore(value: 0)
        var router = Router()
        router.add("POST", "/hook/:token") { request in
            received.withLock { $0.append(request.bodyText) }
            arrived.signal()
            return .text("ok\n")
        }
        let receiver = try HTTPServer.start(router: router)
        defer { receiver.stop() }
        let commandOut = p.root + "/command-alert.json"
        let alerts = """
            {
              "command": "cat > '\(commandOut).part' && mv '\(commandOut).part' '\(commandOut)'",
              "webhook": "\(receiver.baseURL.absoluteString)/hook/s3cr3t-hook-path"
            }
            """
        try alerts.write(toFile: p.root + "/alerts.json", atomically: true, encoding: .utf8)

        let errPath = p.root + "/serve.txt"
        let serve = try p.start(
            ["serve", "--listen", "127.0.0.1:0", "--admin-listen", "none", "--alert-interval", "0.1"], errPath: errPath)
        defer {
            if serve.isRunning { kill(serve.processIdentifier, SIGTERM) }
            serve.waitUntilExit()
        }
        // The webhook comes after the command has finished (the hooks run in that order).
        #expect(arrived.wait(timeout: .now() + 90) == .success, "no alert reached the webhook")
        let payload = try JSONParser.parse(try #require(received.snapshot.first))
        #expect(payload["condition"] == "paused" && payload["job"] == "leads" && payload["run"]?.intValue == run.id)
        #expect(payload["summary"]?.stringValue?.contains("salesforce daily API allocation used up") == true)
        let fromCommand = try JSONParser.parse(try String(contentsOfFile: commandOut, encoding: .utf8))
        #expect(fromCommand["condition"] == "paused" && fromCommand["key"] == payload["key"])

        // The delivery is an event of the run (written just after the hooks answered).
        let deadline = Date().addingTimeInterval(60)
        var sent: [StoredEvent] = []
        while sent.isEmpty && Date() < deadline {
            sent = try store.events(run: run.id).filter { $0.type == "alert_sent" }
            if sent.isEmpty { _ = arrived.wait(timeout: .now() + 0.05) }
        }
        #expect(sent.count == 1)
        #expect(sent.first?.payload["via"] == .array(["command", "webhook"]))

        kill(serve.processIdentifier, SIGTERM)
        serve.waitUntilExit()
        #expect(serve.terminationStatus == 0)
        // Sent once, however many checks ran.
        #expect(received.snapshot.count == 1)
        let log = try String(contentsOfFile: errPath, encoding: .utf8)
        #expect(log.contains("alerts: command and webhook to \(receiver.baseURL.absoluteString) from alerts.json"), "\(log)")
        #expect(!log.contains("s3cr3t-hook-path") && !log.contains("command-alert"), "\(log)")
    }

    @Test(.enabled(if: ServeListenersTests.mapcBinary() != nil, "needs the mapc executable"))
    func anAlertsFileOfTheWrongShapeStopsServeNamingTheKeyAndLine() throws {
        let p = try Project()
        for (text, message) in [
            (
                "{\n  \"command\": \"true\",\n  \"webhok\": \"http://127.0.0.1:1/x\"\n}\n",
                "line 3: unknown key `alerts.webhok` (did you mean `webhook`?)"
            ),
            ("{\n  \"rejectRate\": \"high\"\n}\n", "line 2: `alerts.rejectRate` must be a number from 0 to 1"),
            ("[\"command\"]\n", "`alerts` must be an object"),
            ("{\n  \"command\": \"true\",\n", "line 3: not valid JSON"),
        ] {
            try text.write(toFile: p.root + "/alerts.json", atomically: true, encoding: .utf8)
            let serve = try p.run(["serve", "--listen", "127.0.0.1:0", "--admin-listen", "none"])
            #expect(serve.status != 0, "\(text)")
            #expect(serve.err.contains("alerts.json: \(message)"), "\(serve.err)")
        }
    }
}
