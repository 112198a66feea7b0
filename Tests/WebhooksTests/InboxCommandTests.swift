import Foundation
import MapCLI
import MapDSL
import SyncEngine
import Testing

@testable import Webhooks

@Suite struct InboxCommandTests {
    @Test func inboxListsWithReasonsAndReplayReprocessesOneEvent() throws {
        let directory = Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try FileManager.default.createDirectory(atPath: directory + "/jobs", withIntermediateDirectories: true)
        try #"""
        {"source": {"platform": "hubspot", "object": "contact"}, "destination": {"platform": "salesforce", "object": "Lead"},
         "mapping": "mappings/contacts-to-leads.map",
         "triggers": [{"platform": "hubspot", "object": "contact", "properties": ["email"]}]}
        """#.write(toFile: directory + "/jobs/contacts-to-leads.json", atomically: true, encoding: .utf8)
        let store = directory + "/events.db"
        let inbox = try Inbox(path: store)
        let stored = try inbox.insert([
            ChangeEvent(
                platform: "hubspot", object: "contact", recordId: "501", kind: "contact.propertyChange",
                changes: [FieldChange(field: "email", value: "ada@example.com")], occurredAt: "2026-11-25T00:00:00.000Z", eventId: "e1")
        ])
        try inbox.quarantine(
            platform: "segment", source: "default", httpStatus: 400, reason: "missing `type`", authenticated: true,
            contentType: "application/json", body: Data(Fixtures.segmentIdentify().utf8))

        func mapc(_ args: [String], env: [String: String] = [:]) -> (Int32, String, String) {
            let io = CapturedIO()
            let code = MapCLI.run(args, io: io, environment: env, workingDirectory: directory)
            return (code, io.stdout, io.stderr)
        }
        let (code, out, _) = mapc(["inbox", "--store", store])
        #expect(code == 0)
        #expect(out.contains("1 pending, 0 processed, 1 quarantined"))
        #expect(out.contains("q1"))
        #expect(out.contains("missing `type`"))

        let (replayCode, replayOut, replayErr) = mapc(["replay", String(stored.inserted[0]), "--store", store, "--queue-only"])
        #expect(replayCode == 0, "\(replayErr)")
        #expect(replayOut.contains("triggered contacts-to-leads"))
        #expect(replayOut.contains("queued for 'mapc serve': contacts-to-leads"))

        let (_, json, _) = mapc(["inbox", "--store", store, "--status", "processed", "--format", "json"])
        let parsed = try JSONParser.parse(json)
        #expect(parsed["events"]?.arrayValue?.first?["replays"] == 1)
        #expect(parsed["queuedSyncs"]?.arrayValue?.first?["job"] == "contacts-to-leads")

        // A quarantined delivery whose sender was verified is re-parsed with the current settings.
        let (qCode, qOut, qErr) = mapc(["replay", "q1", "--store", store], env: ["MAPC_WEBHOOK_SEGMENT_ALLOW_UNSIGNED": "1"])
        #expect(qCode == 0, "\(qErr)")
        #expect(qOut.contains("stored 1 event"))
        #expect(try inbox.counts()["quarantined"] == 0)
        #expect(mapc(["replay", "999", "--store", store]).0 == 1)
        #expect(mapc(["inbox", "--status", "odd", "--store", store]).0 == 2)
    }
}
