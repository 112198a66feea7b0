import Foundation
import TestSupport
import Testing

@testable import SyncEngine

/// Several `mapc serve` processes writing one inbox: deduplication is the store's unique
/// constraint, so it holds across connections, not only inside one process.
@Suite struct SharedInboxTests {
    /// A store that two connections can share: a file for SQLite, a schema on the cluster for PostgreSQL.
    static func sharedLocation(_ kind: StoreKind) throws -> String {
        switch kind {
        case .sqlite:
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("mapc-inbox-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            return dir.appendingPathComponent("events.db").path
        case .postgres:
            return try kind.location("inbox")
        }
    }

    static func event(_ n: Int) -> ChangeEvent {
        ChangeEvent(
            platform: "hubspot", object: "contact", recordId: "r\(n % 37)", kind: "contact.propertyChange",
            changes: [FieldChange(field: "email", value: .string("p\(n)@example.com"))],
            occurredAt: "2026-01-01T00:00:\(String(format: "%02d", n % 60)).000Z", eventId: "evt-\(n)")
    }

    @Test(arguments: StoreKind.all) func overlappingDeliveriesToTwoReceiversAreStoredOnce(store kind: StoreKind) throws {
        let location = try Self.sharedLocation(kind)
        let a = try Inbox(path: location)
        let b = try Inbox(path: location)
        // Receiver A gets events 0..<300, receiver B 150..<450 in reverse order, in batches of 10, at the same time.
        let first = (0..<300).map(Self.event)
        let second = (150..<450).reversed().map(Self.event)
        let results = Guarded<[InsertResult]>([])
        let errors = Guarded<[String]>([])
        let group = DispatchGroup()
        for (inbox, events) in [(a, first), (b, second)] {
            group.enter()
            Thread {
                defer { group.leave() }
                for start in stride(from: 0, to: events.count, by: 10) {
                    do {
                        let r = try inbox.insert(Array(events[start..<min(start + 10, events.count)]))
                        results.withLock { $0.append(r) }
                    } catch {
                        errors.withLock { $0.append("\(error)") }
                    }
                }
            }.start()
        }
        group.wait()
        #expect(errors.value == [])
        let inserted = results.value.reduce(0) { $0 + $1.inserted.count }
        let duplicates = results.value.reduce(0) { $0 + $1.duplicates }
        #expect(inserted == 450)
        #expect(duplicates == 150)
        let counts = try a.counts()
        #expect(counts["pending"] == 450)
        #expect(counts["deliveries"] == 600)
    }
}

/// A value shared by test threads.
final class Guarded<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: Value
    init(_ value: Value) { stored = value }
    var value: Value { lock.withLock { stored } }
    func withLock<R>(_ body: (inout Value) -> R) -> R { lock.withLock { body(&stored) } }
}
