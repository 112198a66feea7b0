import Foundation
import MapDSL
import TestSupport
import Testing

/// A record that makes the mapper die must not wedge its job: `mapc sync` really dies on it (a
/// debug build's `MAPC_DEBUG_CRASH_RECORD` makes the mapper trap, overflow its stack or fault on
/// that record, through the same signals a bug would raise), and `mapc resume` then quarantines it
/// and completes, the record in `mapc failed` with code Q0001.
@Suite(.serialized, .timeLimit(.minutes(5))) struct PoisonRecordTests {
    /// A project with a JSONL-to-JSONL job over the HubSpot contact sample (232 contacts, pages of 50).
    final class JSONLProject {
        let project: ScratchProject
        var data: String { project.root + "/data" }

        init() throws {
            project = try ScratchProject()
            let fm = FileManager.default
            try fm.copyItem(atPath: Repo.path("ratelimits"), toPath: project.root + "/ratelimits")
            try fm.createDirectory(atPath: project.root + "/data", withIntermediateDirectories: true)
            try fm.createDirectory(atPath: project.root + "/jobs", withIntermediateDirectories: true)
            var lines: [String] = []
            for line in try Repo.read("samples/hubspot/contact.jsonl").split(separator: "\n") {
                guard case .object(var pairs) = try JSONParser.parse(String(line)) else { continue }
                pairs.insert(("id", pairs.first { $0.0 == "hs_object_id" }?.1 ?? .null), at: 0)
                lines.append(JSONWriter.compact(.object(pairs)))
            }
            try project.write("data/contact.jsonl", lines.joined(separator: "\n") + "\n")
            try project.write(
                "jobs/leads.json",
                #"{"source": {"platform": "hubspot", "object": "contact", "adapter": "jsonl"}, "destination": {"platform": "salesforce", "object": "Lead", "adapter": "jsonl"}, "mapping": "samples/mappings/contacts-to-leads.map", "pageSize": 50, "batchSize": 40}"#
            )
            let approve = try mapc(["approve", "samples/mappings/contacts-to-leads.map", "--by", "tester"])
            #expect(approve.status == 0, "\(approve.summary)")
        }

        /// The event store the project's commands use (`MAPC_STORE_URL`; nil: `.mapc/events.db`).
        var storeURL: String?

        func mapc(_ args: [String], crashOn: String? = nil) throws -> ChildProcess.Outcome {
            var env = ["MAPC_JSONL_DIR": data, "USER": "tester"]
            if let crashOn { env["MAPC_DEBUG_CRASH_RECORD"] = crashOn }
            if let storeURL { env["MAPC_STORE_URL"] = storeURL }
            return try project.mapc(args, env: env)
        }

        var leadKeys: Set<String> {
            Set(
                project.read("data/Lead.jsonl").split(separator: "\n").compactMap {
                    try? JSONParser.parse(String($0))["HubSpot_Contact_Id__c"]?.stringValue
                })
        }
    }

    /// (record id, how the mapper dies, the signal): a record of the first page (mapped by the
    /// runner) and of later pages (mapped ahead on another thread).
    static let crashes: [(String, String, Int32)] = [
        ("5110", "trap", SIGILL), ("5260", "stack", SIGSEGV), ("5300", "segv", SIGSEGV),
    ]

    @Test(arguments: crashes)
    func aRecordThatKillsTheMapperIsQuarantinedAndTheJobCompletes(record: String, kind: String, signal: Int32) throws {
        let p = try JSONLProject()
        let crashed = try p.mapc(["sync", "leads"], crashOn: "\(record):\(kind)")
        #expect(crashed.signaled && crashed.status == signal, "\(crashed.summary)")
        let marker = try JSONParser.parse(p.project.read(".mapc/crash/leads.json"))
        #expect(marker["record"]?.stringValue == record && marker["signal"]?.intValue == Int(signal))

        // The same record, without the trigger: nothing would crash now, but it is quarantined
        // before the run reaches it (the marker says it killed a run).
        let resumed = try p.mapc(["resume", "leads", "--format", "json"])
        #expect(resumed.status == 0, "\(resumed.summary)")
        #expect(try JSONParser.parse(resumed.out)["state"] == "completed")
        #expect(!FileManager.default.fileExists(atPath: p.project.root + "/.mapc/crash/leads.json"))

        let failed = try JSONParser.parse(try p.mapc(["failed", "leads", "--format", "json"]).out).arrayValue ?? []
        let quarantined = try #require(failed.first { $0["key"]?.stringValue == record })
        #expect(quarantined["code"] == "Q0001")
        #expect(quarantined["message"]?.stringValue?.contains("crashed the mapper") == true)
        // Every other record went on: 216 of the 232 map cleanly in this sample, less the poison one.
        #expect(p.leadKeys.count == 215)
        #expect(!p.leadKeys.contains(record))
        let events = try p.mapc(["events", "leads"]).out
        #expect(events.contains("record_quarantined"))
        // Retrying it does not map it again: its values were not kept.
        let retry = try p.mapc(["retry", "leads"], crashOn: "\(record):\(kind)")
        #expect(!retry.signaled, "\(retry.summary)")
    }

    /// The crash markers below `.mapc/crash` (for a PostgreSQL store, in a folder named after it).
    static func markers(_ p: JSONLProject) -> [String] {
        let root = p.project.root + "/.mapc/crash"
        return (FileManager.default.enumerator(atPath: root)?.allObjects as? [String] ?? []).filter { $0.hasSuffix(".json") }.sorted()
    }

    @Test(arguments: StoreKind.all) func aPoisonRecordIsQuarantinedOnEitherStore(store kind: StoreKind) throws {
        let p = try JSONLProject()
        if kind == .postgres { p.storeURL = try kind.location("poison") }
        let crashed = try p.mapc(["sync", "leads"], crashOn: "5260:segv")
        #expect(crashed.signaled && crashed.status == SIGSEGV, "\(crashed.summary)")
        let found = Self.markers(p)
        #expect(found.count == 1, "\(found)")
        let marker = try JSONParser.parse(p.project.read(".mapc/crash/" + (found.first ?? "none")))
        #expect(marker["record"]?.stringValue == "5260" && marker["job"]?.stringValue == "leads")
        if kind == .postgres {
            // The run's store really is the server's: no SQLite file was made, the marker is kept by store.
            #expect(!FileManager.default.fileExists(atPath: p.project.root + "/.mapc/events.db"))
            #expect(found.first?.hasPrefix("pg-") == true)
        }
        let resumed = try p.mapc(["resume", "leads", "--format", "json"])
        #expect(resumed.status == 0, "\(resumed.summary)")
        #expect(try JSONParser.parse(resumed.out)["state"] == "completed")
        #expect(Self.markers(p) == [])
        let failed = try JSONParser.parse(try p.mapc(["failed", "leads", "--format", "json"]).out).arrayValue ?? []
        #expect(failed.first { $0["key"]?.stringValue == "5260" }?["code"] == "Q0001")
        #expect(p.leadKeys.count == 215 && !p.leadKeys.contains("5260"))
    }

    @Test func aNewSyncAfterTheCrashQuarantinesTooAndCountsIt() throws {
        let p = try JSONLProject()
        let crashed = try p.mapc(["sync", "leads"], crashOn: "5101")
        #expect(crashed.signaled, "\(crashed.summary)")
        let again = try p.mapc(["sync", "leads", "--format", "json"])
        #expect(again.status == 0, "\(again.summary)")
        let summary = try JSONParser.parse(again.out)
        #expect(summary["records"]?["rejected"]?.intValue == 11)
        #expect(p.leadKeys.count == 215 && !p.leadKeys.contains("5101"))
    }
}
