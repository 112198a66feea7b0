import Adapters
import Foundation
import MapcSupport
import SyncEngine
import Testing

/// Limits shared by several processes (``SharedLimiterStore``: PostgreSQL in production, an
/// in-memory store here) under an injected clock: slots reserved ahead in one look at the store,
/// unanswered requests holding their slot, reserved slots given back, a killed process's slots let go.
final class MemorySharedLimits: SharedLimiterStore, @unchecked Sendable {
    private let lock = NSLock()
    private var windows: [String: LimiterWindowState] = [:]
    private var usage: [String: QuotaUsage] = [:]
    /// Looks at the store so far (each one round trip in production).
    private(set) var looks = 0

    var sharesLimits: Bool { true }

    func loadWindow(_ key: String) throws -> LimiterWindowState? { lock.withLock { windows[key] } }

    func saveWindow(_ state: LimiterWindowState, for key: String) throws { lock.withLock { windows[key] = state } }

    func exclusively<R>(
        _ key: String, _ body: (LimiterWindowState?, QuotaUsage) throws -> (result: R, window: LimiterWindowState?, usage: QuotaUsage?)
    ) throws -> R {
        lock.lock()
        defer { lock.unlock() }
        looks += 1
        let (result, window, counted) = try body(windows[key], usage[key] ?? QuotaUsage())
        if let window { windows[key] = window }
        if let counted { usage[key] = counted }
        return result
    }
}

/// The most requests that can be in one `window` of the server at once, whenever each arrived
/// between its send and its answer: the largest number of the spans [sent, answered + window) that
/// overlap.
func worstServerWindow(_ requests: [(sent: Double, answered: Double)], window: Double) -> Int {
    var edges: [(Double, Int)] = []
    for r in requests {
        edges.append((r.sent, 1))
        edges.append((r.answered + window, -1))
    }
    // An end at the same instant as a start frees its slot first (the server's window is half-open).
    edges.sort { $0.0 < $1.0 || ($0.0 == $1.0 && $0.1 < $1.1) }
    var open = 0
    var most = 0
    for (_, step) in edges {
        open += step
        most = max(most, open)
    }
    return most
}

extension AdaptersTestSuite {
    @Suite("Shared rate limits: reserved slots and unanswered requests")
    struct SharedLimiterSlotTests {
        static let budget = RequestBudget(count: 5, windowSeconds: 1)
        static let registry = RateLimitRegistry(
            platform: "test", endpoints: [EndpointRule(name: "default", bucket: "account", requests: budget)])

        static func process(
            _ store: MemorySharedLimits, _ clock: ManualLimiterClock, inFlightLimit: Double = 30, waits: WaitWatch? = nil
        ) -> RateLimiter {
            RateLimiter(
                registry: registry, clock: clock, windowStore: store,
                configuration: LimiterConfiguration(inFlightLimit: inFlightLimit), waits: waits)
        }

        @Test(
            "three processes sharing a window never put more than the budget in any server window, even with answers slower than the window"
        )
        func slotsNeverOverlapPastTheBudget() throws {
            let clock = ManualLimiterClock()
            let store = MemorySharedLimits()
            let processes = (0..<3).map { _ in Self.process(store, clock) }
            var open: [(permit: RatePermit, sent: Double, due: Double)?] = [nil, nil, nil]
            var requests: [(sent: Double, answered: Double)] = []
            // Answer latencies in turn, one of them longer than the window itself, while the other
            // processes keep the window full.
            let latencies = [0.0, 0.01, 0.0, 1.5, 0.0, 0.02, 0.0, 0.005]
            var issued = 0
            while requests.count < 90 {
                let now = clock.now().timeIntervalSince1970
                for k in 0..<3 {
                    if let o = open[k], o.due <= now {
                        requests.append((o.sent, now))
                        processes[k].complete(o.permit)
                        open[k] = nil
                    }
                }
                for k in 0..<3 where open[k] == nil && issued < 90 {
                    let permit = try processes[k].acquire(method: "GET", path: "/objects")
                    let sent = clock.now().timeIntervalSince1970
                    open[k] = (permit, sent, sent + latencies[issued % latencies.count])
                    issued += 1
                }
                clock.advance(0.01)
            }
            #expect(requests.count == 90)
            #expect(worstServerWindow(requests, window: Self.budget.windowSeconds) <= Self.budget.count)
            // Everything answered: nothing is left holding a slot.
            #expect(try store.loadWindow("test/account")?.pending == [])
        }

        @Test("a process waiting for a full window reserves its slot in the same look at the store, and sends without another")
        func aFullWindowReservesTheNextSlotInOneLook() throws {
            let clock = ManualLimiterClock()
            let store = MemorySharedLimits()
            let a = Self.process(store, clock)
            let start = clock.now().timeIntervalSince1970
            for _ in 0..<5 { a.complete(try a.acquire(method: "GET", path: "/objects")) }
            let before = store.looks
            let b = Self.process(store, clock)
            let permit = try b.acquire(method: "GET", path: "/objects")
            #expect(store.looks == before + 1)
            // Sent when the oldest answered request left the window (1 s plus the 20 ms margin), not before.
            #expect(abs(clock.now().timeIntervalSince1970 - (start + 1.02)) < 1e-6)
            #expect(try store.loadWindow("test/account")?.pending.count == 1)
            b.complete(permit)
            #expect(try store.loadWindow("test/account")?.pending == [])
        }

        @Test("a reserved slot whose wait was cut short by a cancel is given back to the other processes")
        func aReservedSlotNotUsedIsReturned() throws {
            let clock = ManualLimiterClock()
            let store = MemorySharedLimits()
            let a = Self.process(store, clock)
            let start = clock.now().timeIntervalSince1970
            for _ in 0..<5 { a.complete(try a.acquire(method: "GET", path: "/objects")) }
            let watch = WaitWatch()
            watch.attach(stopRequested: { true }, announce: { _, _ in })
            let cancelled = Self.process(store, clock, waits: watch)
            #expect(throws: AdapterError.self) { try cancelled.acquire(method: "GET", path: "/objects") }
            #expect(try store.loadWindow("test/account")?.pending == [])
            // The slot it had reserved is the next process's, at the same time.
            let c = Self.process(store, clock)
            c.complete(try c.acquire(method: "GET", path: "/objects"))
            #expect(abs(clock.now().timeIntervalSince1970 - (start + 1.02)) < 1e-6)
        }

        @Test("requests a killed process never answered hold their slots past the window, then are let go")
        func aKilledProcessesSlotsAreLetGoAfterTheInFlightLimit() throws {
            let clock = ManualLimiterClock()
            let store = MemorySharedLimits()
            let killed = Self.process(store, clock, inFlightLimit: 2)
            let start = clock.now().timeIntervalSince1970
            // Five permits taken and never completed: the process died with its requests in flight.
            for _ in 0..<5 { _ = try killed.acquire(method: "GET", path: "/objects") }
            let other = Self.process(store, clock, inFlightLimit: 2)
            other.complete(try other.acquire(method: "GET", path: "/objects"))
            let sent = clock.now().timeIntervalSince1970 - start
            // Not when the window alone would free them (1.02 s): the requests may still have been
            // on their way. Once the in-flight limit is over too (3.02 s), they are gone.
            #expect(sent >= 3.02 - 1e-6 && sent < 3.02 + 0.05, "\(sent)")
            #expect(try store.loadWindow("test/account")?.pending == [])
        }

        @Test("on its own a limiter keeps an unanswered request's slot past the window, until its answer or the in-flight limit")
        func anUnansweredRequestHoldsItsSlotInOneProcess() throws {
            let clock = ManualLimiterClock()
            let limiter = RateLimiter(registry: Self.registry, clock: clock, configuration: LimiterConfiguration(inFlightLimit: 2))
            let start = clock.now().timeIntervalSince1970
            _ = try limiter.acquire(method: "GET", path: "/objects")  // never answered
            let slow = try limiter.acquire(method: "GET", path: "/objects")
            for _ in 0..<3 { limiter.complete(try limiter.acquire(method: "GET", path: "/objects")) }
            // After the window the two unanswered requests still hold their slots: three are free, not five.
            clock.advance(1.5)
            var held = try (0..<3).map { _ in try limiter.acquire(method: "GET", path: "/objects") }
            #expect(clock.sleeps.isEmpty)
            // The slow answer comes: its slot frees one window after the answer, not before.
            let answeredAt = clock.now().timeIntervalSince1970
            limiter.complete(slow)
            held.append(try limiter.acquire(method: "GET", path: "/objects"))
            let sent = clock.now().timeIntervalSince1970
            #expect(sent >= answeredAt + 1.02 - 1e-6, "\(sent - answeredAt)")
            // Five unanswered again; the one never answered is let go once the in-flight limit is over too.
            limiter.complete(try limiter.acquire(method: "GET", path: "/objects"))
            for permit in held { limiter.complete(permit) }
            let last = clock.now().timeIntervalSince1970 - start
            #expect(last >= 3.02 - 1e-6 && last < 3.02 + 0.05, "\(last)")
        }
    }
}
