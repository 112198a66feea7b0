import Foundation
import Observe
import SyncEngine
import Testing

/// The quarantine's bound is visible: `/metrics` counts the unauthenticated deliveries dropped.
@Suite struct QuarantineMetricTests {
    @Test func droppedQuarantinedDeliveriesAreACounterOnMetrics() throws {
        let project = try TempProject()
        defer { project.remove() }
        let inbox = try Inbox(path: ":memory:")
        inbox.unauthenticatedQuarantineLimit = 2
        for i in 0..<5 {
            try inbox.quarantine(
                platform: "hubspot", source: "default", httpStatus: 401, reason: "forged \(i)", authenticated: false, contentType: nil,
                body: Data())
        }
        let observatory = Observatory(store: try EventStore(path: ":memory:"), root: project.root)
        let text = try MetricsRenderer.scrape(observatory, inbox: try InboxStats.of(inbox, now: Date()))
        #expect(text.contains("# TYPE mapc_webhook_quarantine_dropped_total counter"))
        #expect(text.contains("\nmapc_webhook_quarantine_dropped_total 3\n"), "\(text)")
    }
}
