import Foundation
import MapcSupport

/// What the fault injector decided for one request.
enum FaultAction: Sendable, Equatable {
    case proceed
    case fail(status: Int)
    case drop
    /// Refused as rate-limited; `retryAfter` seconds in a `Retry-After` header when above 0.
    case rateLimit(retryAfter: Int)
    case hang(milliseconds: Int)
}

/// Decides faults per request from ``FaultSwitches`` and a seeded generator, and performs waits that
/// ``interruptAll()`` can cut short (so a stopping sandbox never waits for a 30-second hang).
final class FaultInjector: Sendable {
    private struct State {
        var switches: FaultSwitches
        var random: SeededRandom
        var interrupted = false
        /// Counts the times hangs were switched off: a held request ends when this changes.
        var hangReleases: UInt64 = 0
        /// Requests being held now.
        var holding = 0
    }

    private let state: Locked<State>
    private let seed: UInt64
    private let initial: FaultSwitches
    private let condition = NSCondition()

    init(switches: FaultSwitches, seed: UInt64) {
        self.seed = seed
        self.initial = switches
        self.state = Locked(State(switches: switches, random: SeededRandom(seed: seed)))
    }

    var switches: FaultSwitches {
        state.withLock { $0.switches }
    }

    /// Replaces the switches. Switching hangs off (`hangRate` 0) also ends the requests held now,
    /// so a caller can hold a request for as long as it needs and then let it go.
    func set(_ switches: FaultSwitches) {
        let released = state.withLock { state in
            let release = state.switches.hangRate > 0 && switches.hangRate == 0
            state.switches = switches
            if release { state.hangReleases &+= 1 }
            return release
        }
        if released {
            condition.lock()
            condition.broadcast()
            condition.unlock()
        }
    }

    /// The pending ``FaultSwitches/editAfterRead``, cleared as it is taken (it applies once).
    func takeEditAfterRead() -> FaultSwitches.RecordEdit? {
        state.withLock { state in
            defer { state.switches.editAfterRead = nil }
            return state.switches.editAfterRead
        }
    }

    /// Back to the start options' switches and the original seed.
    func reset() {
        state.withLock {
            $0.switches = initial
            $0.random = SeededRandom(seed: seed)
        }
    }

    /// The fault for the next request, plus the latency to add before handling it.
    func decide() -> (action: FaultAction, latencyMilliseconds: Int) {
        state.withLock { state in
            let latency = state.switches.latencyMilliseconds
            if state.switches.failNext > 0 && state.switches.failAfter > 0 {
                state.switches.failAfter -= 1
            } else if state.switches.failNext > 0 {
                state.switches.failNext -= 1
                return (.fail(status: state.switches.errorStatus), latency)
            }
            if state.switches.rateLimitNext > 0 {
                state.switches.rateLimitNext -= 1
                return (.rateLimit(retryAfter: state.switches.retryAfterSeconds), latency)
            }
            if state.switches.dropRate > 0, state.random.nextUnit() < state.switches.dropRate {
                return (.drop, latency)
            }
            if state.switches.rateLimitStorm {
                return (.rateLimit(retryAfter: state.switches.retryAfterSeconds), latency)
            }
            if state.switches.errorRate > 0, state.random.nextUnit() < state.switches.errorRate {
                return (.fail(status: state.switches.errorStatus), latency)
            }
            if state.switches.hangRate > 0, state.random.nextUnit() < state.switches.hangRate {
                return (.hang(milliseconds: state.switches.hangMilliseconds), latency)
            }
            return (.proceed, latency)
        }
    }

    /// Sleeps `milliseconds`, returning early once ``interruptAll()`` has been called.
    func wait(milliseconds: Int) {
        guard milliseconds > 0 else { return }
        let deadline = Date(timeIntervalSinceNow: Double(milliseconds) / 1000)
        condition.lock()
        while !state.withLock({ $0.interrupted }) && condition.wait(until: deadline) {}
        condition.unlock()
    }

    /// Holds a request that hangs: `milliseconds`, or until hangs are switched off (see ``set(_:)``)
    /// or ``interruptAll()`` is called, whichever comes first.
    func hold(milliseconds: Int) {
        guard milliseconds > 0 else { return }
        let deadline = Date(timeIntervalSinceNow: Double(milliseconds) / 1000)
        condition.lock()
        let generation = state.withLock {
            $0.holding += 1
            return $0.hangReleases
        }
        condition.broadcast()  // for waitUntilHolding
        while !state.withLock({ $0.interrupted || $0.hangReleases != generation }) && condition.wait(until: deadline) {}
        state.withLock { $0.holding -= 1 }
        condition.broadcast()
        condition.unlock()
    }

    /// The number of requests ``hold(milliseconds:)`` is holding now.
    var holding: Int { state.withLock { $0.holding } }

    /// Waits until `count` requests are held (true), or `deadline` passes (false).
    func waitUntilHolding(_ count: Int, before deadline: Date) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while holding < count {
            guard condition.wait(until: deadline) else { return holding >= count }
        }
        return true
    }

    /// Wakes every waiting request and makes later waits return at once (used when stopping).
    func interruptAll() {
        state.withLock { $0.interrupted = true }
        condition.lock()
        condition.broadcast()
        condition.unlock()
    }
}
