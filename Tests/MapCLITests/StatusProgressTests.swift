import Foundation
import MapCLI
import MapDSL
import SyncEngine
import Testing

/// `mapc status`: the total a sync counted, its progress, and a paused run's reason in full.
@Suite struct StatusProgressTests {
    /// A completed sync over JSONL files shows the count the source gave (every record read).
    @Test func statusShowsTheCountedTotalOfACompletedSync() throws {
        let p = try SyncCommandTests.SyncProject()
        #expect(p.run(["sync", "leads"]).code == 0)
        let json = try JSONParser.parse(p.run(["status", "--format", "json"]).out)
        let item = try #require(json.arrayValue?.first)
        #expect(item["total"]?.intValue == 232)
        #expect(item["done"]?.intValue == 232)
        #expect(item["etaSeconds"] == .null)
        let text = p.run(["status"]).out
        #expect(text.contains("PROGRESS") && text.contains("232/232 100%"))
    }

    /// Regression (issue 16, item 8): the reason of a paused run was cut at 60 characters in the
    /// STATE cell, and read "paused: paused in …". It is printed whole, once, below the table.
    @Test func statusPrintsAPausedRunsReasonInFullWithoutStutter() throws {
        let p = try SyncCommandTests.SyncProject()
        #expect(p.run(["sync", "leads"]).code == 0)
        let store = try EventStore(path: p.project.root + "/.mapc/events.db")
        let reason =
            "paused in uploading batch 12: failed 5 times on the batch starting with record 5101 (transient failure: HTTP 503 from salesforce: Service Unavailable, the platform is down for maintenance)"
        let run = try store.createRun(job: "leads", info: .object([("kind", "sync"), ("job", "leads")]), at: "2025-01-31T09:30:00Z")
        _ = try store.append(run: run, type: "source_counted", payload: .object([("total", .int(30_000))]), at: "2025-01-31T09:30:00Z")
        _ = try store.transition(run: run, to: JobState(.fetching, page: 1), at: "2025-01-31T09:30:01Z")
        _ = try store.transition(run: run, to: JobState(.paused, page: 1, batch: 12, reason: reason), at: "2025-01-31T09:31:00Z")
        let out = p.run(["status"]).out
        #expect(out.contains("\nleads run \(run) \(reason)\n"), "\(out)")
        #expect(!out.contains("paused: paused"))
        #expect(out.contains("0/30000 0%"))
        let json = try JSONParser.parse(p.run(["status", "--format", "json"]).out)
        #expect(json.arrayValue?.first?["reason"]?.stringValue == reason)
        #expect(json.arrayValue?.first?["description"]?.stringValue == reason)
    }
}
