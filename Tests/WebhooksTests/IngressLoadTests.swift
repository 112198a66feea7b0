import Foundation
import HTTPServer
import MapDSL
import SyncEngine
import Testing

@testable import Webhooks

/// Latency samples in seconds.
final class Samples: @unchecked Sendable {
    private let lock = NSLock()
    private var values: [Double] = []
    func add(_ v: Double) { lock.withLock { values.append(v) } }
    func percentile(_ p: Double) -> Double {
        let sorted = lock.withLock { values.sorted() }
        guard !sorted.isEmpty else { return 0 }
        return sorted[min(sorted.count - 1, Int((Double(sorted.count) * p).rounded(.up)) - 1)]
    }
    var summary: String {
        String(
            format: "p50 %.2f ms, p95 %.2f ms, p99 %.2f ms, max %.2f ms", percentile(0.5) * 1000, percentile(0.95) * 1000,
            percentile(0.99) * 1000, percentile(1) * 1000)
    }
}

@Suite(.serialized) struct IngressLoadTests {
    @Test func thousandsOfConcurrentWebhooksWhileProcessingIsStalled() async throws {
        let unique = 3000
        let records = 300
        let duplicateEvery = 10
        let directory = Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let inbox = try Inbox(path: directory + "/events.db")
        let ingress = WebhookIngress(inbox: inbox, settings: Fixtures.settings)
        let receiver = HubSpotReceiver(secret: WebhookSecret(Fixtures.hubspotSecret))
        let serverTimes = Samples()
        var router = Router()
        router.add("POST", "/webhooks/hubspot") { request in
            let start = DispatchTime.now().uptimeNanoseconds
            let response = ingress.handle(request, receiver: receiver)
            serverTimes.add(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
            return response
        }
        let server = try HTTPServer.start(configuration: .init(connectionLimit: 512), router: router)
        defer { server.stop() }

        // The processing side is stalled: the worker blocks on its first event until released.
        let gate = DispatchSemaphore(value: 0)
        let stalled = Remaining(1)
        let processed = CallLog()
        let worker = InboxWorker(inbox: inbox) { entry in
            if stalled.take() { gate.wait() }
            processed.append("\(entry.event.recordId)|\(entry.event.occurredAt)|\(entry.event.eventId)")
            return InboxDecision(outcome: .object([("result", "no_trigger")]))
        }
        worker.start()

        // Event i belongs to record i % records; later i means later occurredAt, but they are sent shuffled.
        let url = URL(string: server.baseURL.absoluteString + "/webhooks/hubspot")!
        var plan = Array(0..<unique) + stride(from: 0, to: unique, by: duplicateEvery).map { $0 }
        plan.shuffle()
        let clientTimes = Samples()
        let statuses = CallLog()
        let lanes = 64
        let planned = plan
        await withTaskGroup(of: Void.self) { group in
            for lane in 0..<lanes {
                group.addTask {
                    for index in stride(from: lane, to: planned.count, by: lanes) {
                        let i = planned[index]
                        let body = Fixtures.hubspotPropertyChange(
                            eventId: i, objectId: 10_000 + i % records, property: "email", value: "user\(i)@example.com",
                            occurredAt: 1_764_000_000_000 + Int64(i) * 1000)
                        let headers = Fixtures.hubspotV3(url: url.absoluteString, body: body, timestamp: Fixtures.nowMs())
                        let start = DispatchTime.now().uptimeNanoseconds
                        let status = (try? await Client.send("POST", url, headers: headers, body: body).status) ?? -1
                        clientTimes.add(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
                        statuses.append(String(status))
                    }
                }
            }
        }
        // Every delivery was acknowledged while nothing was processed.
        #expect(statuses.all.count == plan.count)
        #expect(statuses.all.allSatisfy { $0 == "200" })
        #expect(processed.all.isEmpty)
        let before = try inbox.counts()
        #expect(before["pending"] == unique)
        #expect(before["deliveries"] == plan.count)
        #expect(ingress.snapshot.stored == unique)
        #expect(ingress.snapshot.duplicates == plan.count - unique)

        // Resume processing: every event is processed exactly once, each record's in occurrence order.
        gate.signal()
        for _ in 0..<1200 where processed.all.count < unique {
            try await Task.sleep(nanoseconds: 50_000_000)
        }
        worker.stop()
        let done = processed.all
        #expect(done.count == unique)
        #expect(Set(done).count == unique)
        var lastByRecord: [String: String] = [:]
        var outOfOrder = 0
        // The first event was taken in hand (and stalled) before the rest arrived; order holds for all others.
        for line in done.dropFirst() {
            let parts = line.split(separator: "|").map(String.init)
            if let last = lastByRecord[parts[0]], last > parts[1] { outOfOrder += 1 }
            lastByRecord[parts[0]] = parts[1]
        }
        #expect(outOfOrder == 0)
        let after = try inbox.counts()
        #expect(after["processed"] == unique)
        #expect(after["pending"] == 0)
        print("webhook load: \(plan.count) deliveries (\(unique) unique) over \(lanes) connections while processing was stalled")
        print("  acknowledgement, client round trip: \(clientTimes.summary)")
        print("  acknowledgement, server handler:    \(serverTimes.summary)")
    }
}
