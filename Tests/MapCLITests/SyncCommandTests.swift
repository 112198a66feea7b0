import Foundation
import MapCLI
import MapDSL
import TestSupport
import Testing

/// The sync and operator commands end to end over the local JSONL adapters (no servers needed).
@Suite struct SyncCommandTests {
    /// A project copy with a JSONL-to-JSONL job over the HubSpot contact sample.
    final class SyncProject {
        let project: ReviewTestProject
        let data: String

        init() throws {
            project = try ReviewTestProject()
            try FileManager.default.copyItem(atPath: Repo.path("ratelimits"), toPath: project.root + "/ratelimits")
            data = project.root + "/data"
            try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)
            // The JSONL adapter identifies records by an `id` field.
            var lines: [String] = []
            for line in try Repo.read("samples/hubspot/contact.jsonl").split(separator: "\n") {
                guard case .object(var pairs) = try JSONParser.parse(String(line)) else { continue }
                pairs.insert(("id", pairs.first { $0.0 == "hs_object_id" }?.1 ?? .null), at: 0)
                lines.append(JSONWriter.compact(.object(pairs)))
            }
            try (lines.joined(separator: "\n") + "\n").write(toFile: data + "/contact.jsonl", atomically: true, encoding: .utf8)
            try FileManager.default.createDirectory(atPath: project.root + "/jobs", withIntermediateDirectories: true)
            try project.write(
                "jobs/leads.json",
                """
                {"source": {"platform": "hubspot", "object": "contact", "adapter": "jsonl"},
                 "destination": {"platform": "salesforce", "object": "Lead", "adapter": "jsonl"},
                 "mapping": "samples/mappings/contacts-to-leads.map", "pageSize": 50, "batchSize": 40}
                """)
            #expect(project.run(["approve", leads, "--by", "tester"]).code == 0)
        }

        func run(_ args: [String]) -> (code: Int32, out: String, err: String) {
            project.run(args, env: ["MAPC_JSONL_DIR": data, "USER": "tester"])
        }

        func leadsWritten() throws -> [String: JSONValue] {
            var out: [String: JSONValue] = [:]
            for line in try String(contentsOfFile: data + "/Lead.jsonl", encoding: .utf8).split(separator: "\n") {
                let v = try JSONParser.parse(String(line))
                out[v["HubSpot_Contact_Id__c"]?.stringValue ?? ""] = v
            }
            return out
        }
    }

    @Test func syncThenStatusEventsWhyFailedFixRetry() throws {
        let p = try SyncProject()
        let sync = p.run(["sync", "leads", "--format", "json"])
        #expect(sync.code == 0, "\(sync.err)")
        let summary = try JSONParser.parse(sync.out)
        #expect(summary["state"] == "completed")
        #expect(summary["records"]?["created"]?.intValue == 216)
        #expect(summary["records"]?["rejected"]?.intValue == 10)
        #expect(summary["records"]?["skipped"]?.intValue == 6)
        #expect(try p.leadsWritten().count == 216)

        let status = p.run(["status"])
        #expect(status.out.contains("leads") && status.out.contains("completed"))

        let events = p.run(["events", "leads"])
        #expect(events.out.contains("created -> fetching page 1"))
        #expect(events.out.contains("batch 1 acknowledged: 40 created"))

        let failed = p.run(["failed", "leads", "--format", "json"])
        let rejected = try JSONParser.parse(failed.out).arrayValue ?? []
        #expect(rejected.count == 10)
        let bad = try #require(rejected.first { $0["message"]?.stringValue?.contains("maria@@gmail.com") == true })
        let key = try #require(bad["key"]?.stringValue)
        #expect(bad["code"] == "V0704" && bad["field"] == "Email")

        let why = p.run(["why", "leads", key])
        #expect(why.out.contains("refused by mapc's check V0704 on Email"))
        #expect(why.out.contains("fetched (page 1):"))

        #expect(p.run(["fix", "leads", key, "email=maria@gmail.com", "--by", "tester"]).code == 0)
        let retry = p.run(["retry", "leads"])
        #expect(retry.out.contains("created 1"))
        #expect(try p.leadsWritten()[key]?["Email"] == "maria@gmail.com")
        let after = p.run(["why", "leads", key, "--format", "json"])
        let kinds = (try JSONParser.parse(after.out)["events"]?.arrayValue ?? []).compactMap { $0["kind"]?.stringValue }
        #expect(kinds == ["fetched", "rejected", "fixed", "fetched", "sent", "result", "fix_applied"])
        // A name given with --by is recorded as self-declared; $USER (which anyone sets) is not who ran it.
        let timeline = p.run(["events", "leads", "--run", "1"]).out
        #expect(timeline.contains("tester (self-declared) fixed email of record \(key)"))
        #expect(!timeline.contains("by tester"), "the sync was started by the OS account, not $USER")
    }

    /// Issue 15: the sync rejects only what Salesforce refuses, sends what it may refuse with a
    /// `warned` event, and sends phones with text and e-mails with a dot before the @.
    @Test func syncRejectsWhatSalesforceRefusesAndWarnsWhereUnsure() throws {
        let p = try SyncProject()
        #expect(p.run(["sync", "leads"]).code == 0)
        var ids: [String: String] = [:]
        for line in try Repo.read("samples/hubspot/contact.jsonl").split(separator: "\n") {
            let r = try JSONParser.parse(String(line))
            for field in ["email", "phone"] { ids[r[field]?.stringValue ?? ""] = r["hs_object_id"]?.stringValue }
        }
        let written = try p.leadsWritten()
        for phone in ["555-0101 ext. 12", "1-800-FLOWERS", "call after 5pm"] {
            let id = try #require(ids[phone])
            #expect(written[id]?["Phone"]?.stringValue == phone)
        }
        #expect(written[try #require(ids["ann.lee.@example.com"])]?["Email"] == "ann.lee.@example.com")

        let failed = try JSONParser.parse(p.run(["failed", "leads", "--format", "json"]).out).arrayValue ?? []
        let underscore = try #require(failed.first { $0["key"]?.stringValue == ids["x@my_domain.com"] })
        #expect(underscore["code"] == "V0704" && underscore["field"] == "Email")
        #expect(!failed.contains { $0["code"] == "V0705" })

        let doubtful = try #require(ids["pedro@gmail"])
        #expect(written[doubtful]?["Email"] == "pedro@gmail")
        let why = try JSONParser.parse(p.run(["why", "leads", doubtful, "--format", "json"]).out)
        let events = why["events"]?.arrayValue ?? []
        #expect(events.compactMap { $0["kind"]?.stringValue } == ["fetched", "warned", "sent", "result"])
        let warning = events.first { $0["kind"] == "warned" }?["payload"]?["warnings"]?.arrayValue?.first
        #expect(warning?["code"] == "V0704" && warning?["field"] == "Email")
    }

    @Test func rerunSendsNothingUnchangedAndFullResends() throws {
        let p = try SyncProject()
        #expect(p.run(["sync", "leads"]).code == 0)
        let again = try JSONParser.parse(p.run(["sync", "leads", "--format", "json"]).out)
        #expect(again["records"]?["unchanged"]?.intValue == 216)
        #expect(again["records"]?["created"] == nil && again["records"]?["updated"] == nil)
        let full = try JSONParser.parse(p.run(["sync", "leads", "--full", "--format", "json"]).out)
        #expect(full["records"]?["updated"]?.intValue == 216)
        #expect(try p.leadsWritten().count == 216)
    }

    @Test func refusesAModifiedMappingNamingTheField() throws {
        let p = try SyncProject()
        try p.project.replaceLine(in: leads, startingWith: "Title", with: "Title                 = trim(jobtitle)")
        let r = p.run(["sync", "leads"])
        #expect(r.code == 1)
        #expect(r.err.contains("refusing to run leads"))
        #expect(r.err.contains("modified since approval"))
        #expect(r.err.contains("Title"))
        #expect(!FileManager.default.fileExists(atPath: p.data + "/Lead.jsonl"))
    }

    @Test func clearErrorsForUnknownJobsAndNoRuns() throws {
        let p = try SyncProject()
        let unknown = p.run(["sync", "nope"])
        #expect(unknown.code == 2 && unknown.err.contains("no job 'nope'") && unknown.err.contains("known jobs: leads"))
        // Before the first sync there is no store: commands that read it say so (exit 3) and
        // create nothing; status says no sync has run.
        for command in [["events", "leads"], ["resume", "leads"], ["failed", "leads"]] {
            let r = p.run(command)
            #expect(r.code == 3 && r.err.contains("no event store"), "\(command): \(r.err)")
        }
        #expect(p.run(["status"]).out.contains("no sync has run yet"))
        #expect(!FileManager.default.fileExists(atPath: p.project.root + "/.mapc/events.db"))
        let noDir = p.project.run(["sync", "leads"])
        #expect(noDir.code == 2 && noDir.err.contains("MAPC_JSONL_DIR"))
    }

    @Test func cancelAfterCompletionIsRefusedAndFixNeedsARejectedRecord() throws {
        let p = try SyncProject()
        #expect(p.run(["sync", "leads"]).code == 0)
        let cancel = p.run(["cancel", "leads"]).err
        #expect(cancel.contains("nothing to cancel") && cancel.contains("run 1 is completed"))
        let fix = p.run(["fix", "leads", "5101", "email=x@y.com"])
        #expect(fix.code == 1 && fix.err.contains("not rejected"))
        #expect(p.run(["fix", "leads", "5101", "email"]).code == 2)
    }
}
