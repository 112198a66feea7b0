import Foundation
import MapDSL
import Sandbox
import SyncEngine
import TestSupport
import Testing

/// The crash harness: a 10,000-record sync from the HubSpot emulator to the Salesforce emulator,
/// killed with SIGKILL at more than twenty points spread across every state and resumed each time.
/// Afterwards every source key has exactly one destination record with the right values, and the
/// event log accounts for every record.
@Suite(.serialized) struct CrashHarnessTests {
    static let records = 10_000

    static let mapping = """
        mapping hubspot.contact -> salesforce.Lead
        key HubSpot_Contact_Id__c
        skip when blank(email)

        HubSpot_Contact_Id__c = hs_object_id
        Company               = null_if_blank(trim(company)) ?? "Unknown"
        Email                 = lower(trim(email))
        FirstName             = truncate(trim(firstname), 40)
        LastName              = null_if_blank(trim(lastname)) ?? "Unknown"
        Status                = match lifecyclestage {
            "marketingqualifiedlead" => "Working - Contacted"
            _                        => "Open - Not Contacted"
        }
        """

    /// Deterministic, somewhat messy contacts (HubSpot sends every property as a string).
    static func contacts() -> [JSONValue] {
        let first = ["Ann", "Bo", "Chen", "Dara", "Eli", "Fatima", "Gus", "Hana", "Ivo", "José", "Zoë", "Søren"]
        let last = ["Lee", "O'Brien", "Novak", "Silva", "Tanaka", "Weber", "Kumar", "Dubois", "", "Müller"]
        let stages = ["lead", "marketingqualifiedlead", "subscriber", "customer", ""]
        return (0..<records).map { i in
            let id = String(100_000 + i)
            var email: JSONValue = .string(" \(first[i % first.count].lowercased())\(i)@Example.COM ")
            if i % 97 == 0 { email = "" }
            if i % 331 == 0 { email = .string("broken\(i)@") }
            return .object([
                ("hs_object_id", .string(id)), ("email", email), ("firstname", .string(first[i % first.count])),
                ("lastname", .string(last[i % last.count])), ("company", i % 7 == 0 ? .null : .string("Company \(i % 50)")),
                ("lifecyclestage", .string(stages[i % stages.count])), ("createdate", "2024-03-05T10:22:11.000Z"),
                ("lastmodifieddate", "2024-03-06T10:22:11.000Z"),
            ])
        }
    }

    /// The mapc executable built next to the tests.
    static func mapcBinary() throws -> String {
        var candidates: [String] = []
        if let exe = Bundle.main.executableURL { candidates.append(exe.deletingLastPathComponent().appendingPathComponent("mapc").path) }
        candidates.append(URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("mapc").path)
        candidates.append(Repo.path(".build/debug/mapc"))
        guard let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            throw HarnessError("the mapc executable is not built (looked in \(candidates)); run 'swift build --build-tests'")
        }
        return found
    }

    struct HarnessError: Error, CustomStringConvertible {
        var description: String
        init(_ d: String) { description = d }
    }

    /// Runs mapc; returns (exit status, killed by signal, stderr tail). `killAfter` sends SIGKILL from outside.
    static func mapc(_ args: [String], env: [String: String], cwd: String, killAfter: Double? = nil) throws -> (Int32, Bool, String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: try mapcBinary())
        p.arguments = args
        p.currentDirectoryURL = URL(fileURLWithPath: cwd)
        p.environment = env
        let errPipe = Pipe()
        p.standardError = errPipe
        p.standardOutput = FileHandle.nullDevice
        try p.run()
        if let killAfter {
            DispatchQueue.global().asyncAfter(deadline: .now() + killAfter) { if p.isRunning { kill(p.processIdentifier, SIGKILL) } }
        }
        let err = errPipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        let killed = p.terminationReason == .uncaughtSignal
        return (p.terminationStatus, killed, String(decoding: err.suffix(2000), as: UTF8.self))
    }

    @Test func killedAtTwentyPointsAcrossEveryStateAndResumedNothingLostNothingTwice() throws {
        // A project with its own schemas, seed data, job, mapping and approval.
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("mapc-crash-\(UUID().uuidString)").path
        let fm = FileManager.default
        try fm.createDirectory(atPath: root + "/samples/hubspot", withIntermediateDirectories: true)
        try fm.createDirectory(atPath: root + "/samples/salesforce", withIntermediateDirectories: true)
        try fm.createDirectory(atPath: root + "/jobs", withIntermediateDirectories: true)
        try fm.copyItem(atPath: Repo.path("schemas"), toPath: root + "/schemas")
        try fm.copyItem(atPath: Repo.path("ratelimits"), toPath: root + "/ratelimits")
        defer { try? fm.removeItem(atPath: root) }
        let seed = Self.contacts()
        try (seed.map(JSONWriter.compact).joined(separator: "\n") + "\n").write(
            toFile: root + "/samples/hubspot/contact.jsonl", atomically: true, encoding: .utf8)
        try Self.mapping.write(toFile: root + "/crash.map", atomically: true, encoding: .utf8)
        try
            #"{"source": {"platform": "hubspot", "object": "contact"}, "destination": {"platform": "salesforce", "object": "Lead"}, "mapping": "crash.map", "pageSize": 50, "batchSize": 25, "retries": 5, "bulk": {"use": "rest"}}"#
            .write(toFile: root + "/jobs/crash.json", atomically: true, encoding: .utf8)

        let options = SandboxOptions.project(root: URL(fileURLWithPath: root))
        let hubspot = try SandboxServer.start(platform: .hubspot, options: options)
        let salesforce = try SandboxServer.start(platform: .salesforce, options: options)
        defer {
            hubspot.stop()
            salesforce.stop()
        }
        var env = ProcessInfo.processInfo.environment
        env["MAPC_HUBSPOT_URL"] = hubspot.baseURL.absoluteString
        env["MAPC_HUBSPOT_TOKEN"] = hubspot.credential
        env["MAPC_SALESFORCE_URL"] = salesforce.baseURL.absoluteString
        env["MAPC_SALESFORCE_TOKEN"] = salesforce.credential
        env["NO_COLOR"] = "1"
        let approve = try Self.mapc(["approve", "crash.map", "--by", "harness"], env: env, cwd: root)
        try #require(approve.0 == 0, "approve failed: \(approve.2)")

        // REST batches (the bulk path's kill points are BulkKillTests'). Kill points: every named point inside the runner (fetching, mapping, validating and three
        // moments of uploading), at different occurrences, plus kills from outside at odd moments.
        var plan: [(point: String?, after: Double?)] = []
        let occurrences = [2, 3, 1]
        for round in 0..<3 {
            for point in CrashPoint.names { plan.append(("\(point):\(occurrences[round] + (point.count % 3))", nil)) }
        }
        plan += [(nil, 0.4), (nil, 0.9), (nil, 1.5)]
        var kills = 0
        var internalKills = 0
        var started = false
        var completed = false
        for step in plan {
            var e = env
            if let point = step.point { e["MAPC_CRASH_AT"] = point }
            let (status, killed, err) = try Self.mapc([started ? "resume" : "sync", "crash"], env: e, cwd: root, killAfter: step.after)
            started = true
            if killed {
                kills += 1
                if step.point != nil { internalKills += 1 }
                continue
            }
            // A run that finished before reaching its crash point ends the plan early.
            try #require(status == 0, "mapc exited \(status) without being killed: \(err)")
            completed = true
            break
        }
        #expect(kills >= 20, "only \(kills) kills happened before the run completed")
        if !completed {
            let (status, killed, err) = try Self.mapc(["resume", "crash"], env: env, cwd: root)
            #expect(status == 0 && !killed, "final resume failed: \(err)")
        }

        // Expected outcome, computed by the mapping itself.
        let compiled = try Compiler.compile(
            SourceText(path: "crash.map", text: Self.mapping), schemas: SchemaDirectory(root: root + "/schemas"))
        let mapper = RecordMapper(mapping: compiled)
        var expected: [String: String] = [:]
        var expectedSkipped = 0
        var expectedRejected = 0
        for record in seed {
            switch mapper.map(record: record) {
            case .mapped(let json, let values): expected[values[0].text] = json
            case .skipped: expectedSkipped += 1
            case .rejected: expectedRejected += 1
            }
        }

        // Exactly one destination record per key, with the right values.
        let url = salesforce.baseURL.appendingPathComponent("_sandbox/records")
        var components = URLComponents(url: url, resolvingAgainstBaseURL: false)!
        components.queryItems = [URLQueryItem(name: "object", value: "Lead"), URLQueryItem(name: "key", value: "HubSpot_Contact_Id__c")]
        let body = try JSONParser.parse(String(decoding: try Data(contentsOf: components.url!), as: UTF8.self))
        #expect(body["duplicates"]?.objectValue?.isEmpty == true, "duplicates: \(JSONWriter.compact(body["duplicates"] ?? .null))")
        var seen = 0
        for r in body["records"]?.arrayValue ?? [] {
            guard let fields = r["fields"], let key = fields["HubSpot_Contact_Id__c"]?.stringValue, let want = expected[key] else {
                continue
            }
            seen += 1
            let wanted = try JSONParser.parse(want)
            for (name, value) in wanted.objectValue ?? [] where value != .null {
                #expect(
                    fields[name] == value,
                    "record \(key) field \(name): \(JSONWriter.compact(fields[name] ?? .null)) != \(JSONWriter.compact(value))")
            }
        }
        #expect(seen == expected.count, "the destination has \(seen) of the \(expected.count) mapped records")

        // The event log accounts for every record: fetched = sent + skipped + rejected.
        let store = try EventStore(path: root + "/.mapc/events.db")
        let run = try #require(try store.latestRun(job: "crash"))
        #expect(run.state.phase == .completed)
        let counts = try store.statusCounts(job: "crash", run: run.id)
        let sent = (counts["created"] ?? 0) + (counts["updated"] ?? 0) + (counts["duplicate"] ?? 0)
        #expect(sent == expected.count)
        #expect(counts["skipped"] == expectedSkipped)
        #expect(counts["rejected"] == expectedRejected)
        #expect(sent + (counts["skipped"] ?? 0) + (counts["rejected"] ?? 0) == Self.records)
        #expect(counts["pending"] == nil)
        let events = try store.events(run: run.id)
        let interruptions = events.filter { $0.type == "state" && $0.payload["reason"]?.stringValue?.hasPrefix("interrupted") == true }
        // Every kill inside a running state is in the log as an interruption (an outside kill may land
        // while the run was already paused, or before it started).
        #expect(interruptions.count >= internalKills)
        print("crash harness: \(kills) kills, \(events.filter { $0.type == "reconcile" }.count) reconciled batches, \(events.count) events")
    }
}
