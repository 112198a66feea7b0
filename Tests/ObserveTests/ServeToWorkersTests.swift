import Foundation
import SyncEngine
import TestSupport
import Testing

/// `mapc serve --to-workers` on a PostgreSQL store: a webhook that triggers a one-way job puts the
/// job in the workers' queue instead of running it in the serve process.
@Suite(.serialized) struct ServeToWorkersTests {
    @Test(.enabled(if: ServeListenersTests.mapcBinary() != nil, "needs the mapc executable"), .timeLimit(.minutes(2)))
    func aTriggeredJobIsQueuedForTheWorkers() throws {
        let location = try PostgresCluster.freshStoreURL("serveq")
        let jobs = NSTemporaryDirectory() + "serve-jobs-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: jobs, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: jobs) }
        try #"""
        {"source": {"platform": "segment", "object": "identify"}, "destination": {"platform": "hubspot", "object": "contact"},
         "mapping": "people.map", "triggers": [{"platform": "segment", "object": "identify"}]}
        """#.write(toFile: jobs + "/people.json", atomically: true, encoding: .utf8)
        let serve = try ServeListenersTests.Serve(
            ["--listen", "127.0.0.1:0", "--admin-listen", "none", "--jobs", jobs, "--to-workers"],
            environment: ["MAPC_WEBHOOK_SEGMENT_ALLOW_UNSIGNED": "1"], store: location)
        let webhooks = try serve.port("webhooks on")
        let body =
            #"{"type":"identify","userId":"u-1","messageId":"m-1","traits":{"email":"a@example.com"},"timestamp":"2026-01-01T00:00:00Z"}"#
        let delivery = try RawHTTP(port: webhooks).request(
            "POST", "/webhooks/segment", headers: [("Content-Type", "application/json")], body: body)
        #expect(delivery.status == 200, "\(delivery.status) \(delivery.body)")
        #expect(serve.line(containing: "trigger: people queued for mapc worker") != nil)
        #expect(serve.stop() == 0)
        let entries = try WorkQueue(location: location).entries()
        #expect(entries.map(\.job) == ["people"])
        #expect(entries.first?.state == "due")
        // Nothing ran in the serve process: the job has no run in the store.
        #expect(try EventStore(path: location).latestRun(job: "people") == nil)
        #expect(serve.line(containing: PostgresCluster.password) == nil)
    }
}
