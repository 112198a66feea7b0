import Foundation
import MapDSL
import TestSupport
import Testing

/// `mapc worker --concurrency N` as a real process on a PostgreSQL store: several jobs run to the
/// end, each once under one lease; the option's bounds; two-way jobs refused by `enqueue` and
/// stopped (with the reason) by a worker that finds one queued.
@Suite(.timeLimit(.minutes(5))) struct WorkerConcurrencyCommandTests {
    static let jobNames = ["leads-1", "leads-2", "leads-3", "leads-4", "leads-5"]

    /// The project's `leads` job under other names: every one reads the same contacts and upserts
    /// the same leads (one JSON Lines file, written by the jobs of one process in turn).
    static func project() throws -> PoisonRecordTests.JSONLProject {
        let p = try PoisonRecordTests.JSONLProject()
        p.storeURL = try PostgresCluster.freshStoreURL("slots")
        let spec = p.project.read("jobs/leads.json")
        for name in jobNames { try p.project.write("jobs/\(name).json", spec) }
        return p
    }

    @Test func aWorkerWithTwoSlotsRunsEveryQueuedJobOnce() throws {
        let p = try Self.project()
        let enqueue = try p.mapc(["worker", "enqueue"] + Self.jobNames)
        #expect(enqueue.status == 0, "\(enqueue.summary)")
        let worker = try p.mapc(["worker", "--name", "w", "--concurrency", "2", "--until-empty"])
        #expect(worker.status == 0 && !worker.signaled, "\(worker.summary)")
        #expect(worker.err.contains("up to 2 at once"), "\(worker.err)")
        for name in Self.jobNames {
            #expect(worker.err.components(separatedBy: ": took \(name), lease").count - 1 == 1, "\(name): \(worker.err)")
            #expect(worker.err.contains(": took \(name), lease 1"), "\(worker.err)")
        }
        #expect(!worker.err.contains("took over"), "\(worker.err)")
        let list = try JSONParser.parse(try p.mapc(["worker", "list", "--format", "json"]).out)
        let entries = list.arrayValue ?? []
        #expect(entries.count == Self.jobNames.count)
        for e in entries {
            #expect(e["state"] == "done" && e["lease"] == 1 && e["attempts"] == 0, "\(JSONWriter.compact(e))")
        }
        let status = try JSONParser.parse(try p.mapc(["status", "--format", "json"]).out)
        let runs = Dictionary(
            (status.arrayValue ?? []).compactMap { r in r["job"]?.stringValue.map { ($0, r) } }, uniquingKeysWith: { a, _ in a })
        for name in Self.jobNames {
            let run = runs[name]
            #expect(run?["state"] == "completed" && run?["run"] != nil, "\(name): \(JSONWriter.compact(status))")
            let records = run?["records"]
            let delivered = ["created", "updated", "unchanged"].compactMap { records?[$0]?.intValue }.reduce(0, +)
            #expect(delivered == 216, "\(name): \(records.map(JSONWriter.compact) ?? "no records")")
        }
        // Every lead once in the destination file, whichever job wrote it first.
        let lines = p.project.read("data/Lead.jsonl").split(separator: "\n")
        #expect(lines.count == 216)
        #expect(p.leadKeys.count == 216)
    }

    @Test func sigtermStopsAWorkerWithSlotsCleanly() throws {
        let p = try Self.project()
        #expect(try p.mapc(["worker", "enqueue"] + Self.jobNames).status == 0)
        // A worker without --until-empty: it runs the queue, then waits for more until SIGTERM.
        let worker = Process()
        worker.executableURL = URL(fileURLWithPath: try ChildProcess.binary("mapc"))
        worker.arguments = ["worker", "--name", "w", "--concurrency", "3"]
        worker.currentDirectoryURL = URL(fileURLWithPath: p.project.root)
        var environment = ProcessInfo.processInfo.environment
        environment.merge(["MAPC_JSONL_DIR": p.data, "USER": "tester", "MAPC_STORE_URL": p.storeURL ?? "", "NO_COLOR": "1"]) { _, new in
            new
        }
        worker.environment = environment
        let errFile = p.project.root + "/worker.err"
        FileManager.default.createFile(atPath: errFile, contents: nil)
        let err = try #require(FileHandle(forWritingAtPath: errFile))
        worker.standardError = err
        worker.standardOutput = FileHandle.nullDevice
        try worker.run()
        defer { if worker.isRunning { kill(worker.processIdentifier, SIGKILL) } }
        // Wait (a bounded number of looks, no timing asserted) until every job is done.
        var done = false
        for _ in 0..<600 where !done {
            Thread.sleep(forTimeInterval: 0.1)
            let list = try JSONParser.parse(try p.mapc(["worker", "list", "--format", "json"]).out)
            done = (list.arrayValue ?? []).filter { $0["state"] == "done" }.count == Self.jobNames.count
        }
        #expect(done)
        #expect(worker.isRunning)
        kill(worker.processIdentifier, SIGTERM)
        worker.waitUntilExit()
        try? err.close()
        let log = p.project.read("worker.err")
        #expect(worker.terminationReason == .exit && worker.terminationStatus == 0, "\(log)")
        #expect(log.contains("stopping after the current jobs"), "\(log)")
        #expect(log.components(separatedBy: ": took ").count - 1 == Self.jobNames.count, "\(log)")
        #expect(p.leadKeys.count == 216)
    }

    @Test func concurrencyOutsideOneToSixtyFourIsAUsageError() throws {
        let p = try PoisonRecordTests.JSONLProject()
        p.storeURL = try PostgresCluster.freshStoreURL("slots")
        for bad in ["0", "65", "two", "-1"] {
            let r = try p.mapc(["worker", "--concurrency", bad, "--until-empty"])
            #expect(r.status == 2 && !r.signaled, "\(bad): \(r.summary)")
            #expect(r.err.contains("--concurrency"), "\(bad): \(r.err)")
            #expect(!r.err.contains("taking jobs"), "\(bad): \(r.err)")
        }
        let one = try p.mapc(["worker", "--concurrency", "1", "--until-empty"])
        #expect(one.status == 0 && one.err.contains("up to 1 at once"), "\(one.summary)")
        let help = try p.mapc(["worker", "--help"])
        #expect(help.status == 0 && help.out.contains("--concurrency N"), "\(help.summary)")
        #expect(help.out.contains("default 2"), "\(help.out)")
    }

    static let twoWayJob = """
        {
          "kind": "two-way",
          "left": { "platform": "salesforce", "object": "Contact" },
          "right": { "platform": "mailchimp", "object": "member" },
          "mappings": { "leftToRight": "a.map", "rightToLeft": "b.map" },
          "identity": [ { "left": "Email", "right": "email_address", "match": "email" } ],
          "conflicts": { "default": "salesforce wins" }
        }
        """

    @Test func enqueueRefusesATwoWayJobAndAWorkerStopsOneFoundQueued() throws {
        let p = try Self.project()
        try p.project.write("jobs/both.json", Self.twoWayJob)
        let refused = try p.mapc(["worker", "enqueue", "leads-1", "both"])
        #expect(refused.status == 2, "\(refused.summary)")
        #expect(refused.err.contains("'both' is a two-way job") && refused.err.contains("mapc sync both"), "\(refused.err)")
        // A two-way job queued anyway (here: its file became two-way after it was queued).
        try p.project.write("jobs/both.json", p.project.read("jobs/leads.json"))
        #expect(try p.mapc(["worker", "enqueue", "both", "leads-2"]).status == 0)
        try p.project.write("jobs/both.json", Self.twoWayJob)
        let worker = try p.mapc(["worker", "--name", "w", "--until-empty"])
        #expect(worker.status == 0, "\(worker.summary)")
        #expect(worker.err.contains("both is a two-way job: workers do not run two-way jobs"), "\(worker.err)")
        #expect(worker.err.contains("mapc sync both"), "\(worker.err)")
        let list = try JSONParser.parse(try p.mapc(["worker", "list", "--format", "json"]).out)
        let entries = Dictionary(
            (list.arrayValue ?? []).compactMap { e in e["job"]?.stringValue.map { ($0, e) } }, uniquingKeysWith: { a, _ in a })
        #expect(entries["both"]?["state"] == "stopped", "\(JSONWriter.compact(list))")
        #expect(entries["both"]?["lastOutcome"]?.stringValue?.contains("two-way job") == true, "\(JSONWriter.compact(list))")
        // Stopped, not retried: a second worker has nothing to do; the one-way job ran as usual.
        #expect(entries["leads-2"]?["state"] == "done", "\(JSONWriter.compact(list))")
        let again = try p.mapc(["worker", "--name", "w2", "--until-empty"])
        #expect(again.status == 0 && !again.err.contains("took both"), "\(again.summary)")
        #expect(!p.project.read("data/Lead.jsonl").isEmpty)
    }
}
