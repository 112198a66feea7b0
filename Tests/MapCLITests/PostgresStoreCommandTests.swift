import Foundation
import MapCLI
import MapDSL
import TestSupport
import Testing

/// The sync and operator commands on a PostgreSQL store (`--store postgres://…`, `MAPC_STORE_URL`):
/// the same answers as on SQLite, and the store's password never in their output.
@Suite struct PostgresStoreCommandTests {
    @Test func syncStatusEventsAndWorkerOnAPostgresStoreNeverShowThePassword() throws {
        let p = try SyncCommandTests.SyncProject()
        let url = try PostgresCluster.freshStoreURL("cli")
        var outputs: [String] = []
        let sync = p.run(["sync", "leads", "--store", url, "--format", "json"])
        outputs += [sync.out, sync.err]
        #expect(sync.code == 0, "\(sync.err)")
        let summary = try JSONParser.parse(sync.out)
        #expect(summary["state"] == "completed")
        #expect(summary["records"]?["created"]?.intValue == 216)
        #expect(summary["records"]?["rejected"]?.intValue == 10)
        // Nothing went to the project's SQLite file, and no directory was made from the URL.
        #expect(!FileManager.default.fileExists(atPath: p.project.root + "/.mapc/events.db"))
        #expect(!FileManager.default.fileExists(atPath: p.project.root + "/postgres:"))
        // The environment names the same store.
        let status = p.project.run(["status"], env: ["MAPC_JSONL_DIR": p.data, "USER": "tester", "MAPC_STORE_URL": url])
        outputs += [status.out, status.err]
        #expect(
            status.code == 0 && status.out.contains("leads") && status.out.contains("completed"),
            "[\(status.code)] \(status.out)\(status.err)")
        let events = p.run(["events", "leads", "--store", url])
        outputs += [events.out, events.err]
        #expect(events.out.contains("batch 1 acknowledged: 40 created"), "\(events.out)")
        let enqueue = p.run(["worker", "enqueue", "leads", "--store", url])
        outputs += [enqueue.out, enqueue.err]
        #expect(enqueue.code == 0 && enqueue.out == "queued leads\n", "\(enqueue.err)")
        let list = p.run(["worker", "list", "--store", url, "--format", "json"])
        outputs += [list.out, list.err]
        #expect(try JSONParser.parse(list.out).arrayValue?.first?["state"] == "due")
        let missing = p.run(["worker", "enqueue", "nope", "--store", url])
        #expect(missing.code == 2 && missing.err.contains("no job 'nope'"), "\(missing.err)")
        for text in outputs { #expect(!text.contains(PostgresCluster.password)) }
    }

    @Test func aWrongPasswordExitsThreeNamingTheStoreWithoutAnyPassword() throws {
        let p = try SyncCommandTests.SyncProject()
        let good = try PostgresCluster.freshStoreURL("cli")
        let wrong = good.replacingOccurrences(of: PostgresCluster.password, with: "hunter2-not-it")
        #expect(wrong != good)
        for command in [["status"], ["sync", "leads"], ["worker", "list"]] {
            let r = p.run(command + ["--store", wrong])
            #expect(r.code == 3, "\(command): \(r.err)")
            #expect(r.err.contains("password authentication failed"), "\(command): \(r.err)")
            #expect(r.err.contains("mapc:***@127.0.0.1"), "\(command): \(r.err)")
            #expect(!r.err.contains("hunter2") && !r.out.contains("hunter2"), "\(command): \(r.err)")
        }
        #expect(!FileManager.default.fileExists(atPath: p.data + "/Lead.jsonl"))
    }
}
