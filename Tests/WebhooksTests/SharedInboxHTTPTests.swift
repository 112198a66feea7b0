import Foundation
import MapDSL
import SyncEngine
import TestSupport
import Testing

@testable import Webhooks

/// Two webhook receivers (as two `mapc serve` processes) on one PostgreSQL store: HubSpot delivers
/// every event to both, at the same time; the inbox's unique constraint stores each event once.
@Suite struct SharedInboxHTTPTests {
    @Test func deliveriesDuplicatedAcrossTwoReceiversAreStoredOnce() async throws {
        let location = try PostgresCluster.freshStoreURL("hooks")
        let a = try TestServer(path: location)
        defer { a.stop() }
        let b = try TestServer(path: location)
        defer { b.stop() }
        let events = 300
        let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
            for i in 0..<events {
                // Every event goes to both receivers; a third of them twice more to the one it went to second.
                for server in i % 2 == 0 ? [a, b] : [b, a] {
                    group.addTask {
                        let url = server.url("/webhooks/hubspot")
                        let body = Fixtures.hubspotPropertyChange(
                            eventId: 9000 + i, objectId: 700 + i % 40, property: "email", value: "p\(i)@example.com")
                        let headers = Fixtures.hubspotV3(url: url.absoluteString, body: body, timestamp: Fixtures.nowMs())
                        var last = try await Client.send("POST", url, headers: headers, body: body).status
                        if i % 3 == 0 { last = max(last, try await Client.send("POST", url, headers: headers, body: body).status) }
                        return last
                    }
                }
            }
            var out: [Int] = []
            for try await s in group { out.append(s) }
            return out
        }
        #expect(statuses.count == 2 * events)
        #expect(statuses.allSatisfy { $0 == 200 }, "\(Set(statuses))")
        let deliveries = 2 * events + 2 * ((events + 2) / 3)
        let counts = try a.inbox.counts()
        #expect(counts["pending"] == events)
        #expect(counts["deliveries"] == deliveries)
        #expect(a.ingress.snapshot.duplicates + b.ingress.snapshot.duplicates == deliveries - events)
        #expect(Set(try b.inbox.entries(limit: 1000).map(\.event.eventId)).count == events)
    }
}
