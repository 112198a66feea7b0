import Foundation
import MapDSL
import SyncEngine
import TestSupport
import Testing

/// The shared limiter on a PostgreSQL store with real threads and the real clock: three
/// "processes" (each its own store connection and limiter) reserving slots of one window at once.
@Suite(.serialized) struct SharedLimiterPostgresTests {
    static let budget = RequestBudget(count: 4, windowSeconds: 0.5)
    static let registry = RateLimitRegistry(
        platform: "test", endpoints: [EndpointRule(name: "default", bucket: "account", requests: budget)])

    @Test func threeProcessesReservingSlotsAtOnceNeverPutMoreThanTheBudgetInAnyServerWindow() throws {
        let location = try StoreKind.postgres.location("limits")
        let first = try EventStore(path: location)
        let recorded = Guarded<[(sent: Double, answered: Double)]>([])
        let failures = Guarded<[String]>([])
        let group = DispatchGroup()
        for n in 0..<3 {
            group.enter()
            Thread {
                defer { group.leave() }
                do {
                    let store = n == 0 ? first : try EventStore(path: location)
                    let limiter = RateLimiter(registry: Self.registry, windowStore: store)
                    for i in 0..<10 {
                        let permit = try limiter.acquire(method: "GET", path: "/objects")
                        let sent = Date().timeIntervalSince1970
                        // The request's own time on the wire, different for each.
                        if (i + n) % 3 == 0 { Thread.sleep(forTimeInterval: 0.002 * Double(1 + n)) }
                        let answered = Date().timeIntervalSince1970
                        limiter.complete(permit)
                        recorded.withLock { $0.append((sent, answered)) }
                    }
                } catch {
                    failures.withLock { $0.append("\(error)") }
                }
            }.start()
        }
        group.wait()
        #expect(failures.value.isEmpty, "\(failures.value)")
        #expect(recorded.value.count == 30)
        let most = Self.worstServerWindow(recorded.value, window: Self.budget.windowSeconds)
        #expect(most <= Self.budget.count, "\(most) requests could have been in one server window")
        // Every permit was answered: no slot is left held.
        #expect(try first.loadWindow("test/account")?.pending == [])
    }

    @Test func aPendingSlotSurvivesTheStoreRoundTripExactlySoItsAnswerFreesIt() throws {
        let store = try EventStore(path: try StoreKind.postgres.location("limits"))
        let limiter = RateLimiter(registry: Self.registry, windowStore: store)
        let permits = try (0..<3).map { _ in try limiter.acquire(method: "GET", path: "/objects") }
        #expect(try store.loadWindow("test/account")?.pending.count == 3)
        for permit in permits { limiter.complete(permit) }
        let state = try store.loadWindow("test/account")
        #expect(state?.pending == [])
        #expect(state?.times.count == 3)
    }

    /// The largest number of the spans [sent, answered + window) that overlap: the most requests
    /// one server window can hold, whenever each arrived between its send and its answer.
    static func worstServerWindow(_ requests: [(sent: Double, answered: Double)], window: Double) -> Int {
        var edges: [(Double, Int)] = []
        for r in requests {
            edges.append((r.sent, 1))
            edges.append((r.answered + window, -1))
        }
        edges.sort { $0.0 < $1.0 || ($0.0 == $1.0 && $0.1 < $1.1) }
        var open = 0
        var most = 0
        for (_, step) in edges {
            open += step
            most = max(most, open)
        }
        return most
    }
}
