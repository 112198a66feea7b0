import Foundation

/// Time for the rate limiter: "now" and a way to wait, injected so tests are deterministic.
public protocol LimiterClock: Sendable {
    /// The current instant.
    func now() -> Date
    /// Blocks the calling thread for `seconds`.
    func sleep(seconds: Double)
}

/// The system clock: `Date()` and `Thread.sleep`.
public struct SystemLimiterClock: LimiterClock {
    /// Creates the system clock.
    public init() {}

    public func now() -> Date { Date() }

    public func sleep(seconds: Double) {
        guard seconds > 0 else { return }
        Thread.sleep(forTimeInterval: seconds)
    }
}

/// A clock that only moves when told to, or when someone sleeps on it (tests).
///
/// `sleep(seconds:)` advances the time at once and records the wait, so a limiter that would block
/// for ten seconds returns immediately and the test can read ``sleeps``.
public final class ManualLimiterClock: LimiterClock, @unchecked Sendable {
    private let lock = NSLock()
    private var current: Date
    private var recorded: [Double] = []

    /// Creates a clock showing `start`.
    public init(start: Date = Date(timeIntervalSince1970: 1_700_000_000)) {
        current = start
    }

    public func now() -> Date {
        lock.lock()
        defer { lock.unlock() }
        return current
    }

    public func sleep(seconds: Double) {
        lock.lock()
        defer { lock.unlock() }
        recorded.append(seconds)
        if seconds > 0 { current = current.addingTimeInterval(seconds) }
    }

    /// Moves the time forward by `seconds` without recording a sleep.
    public func advance(_ seconds: Double) {
        lock.lock()
        defer { lock.unlock() }
        current = current.addingTimeInterval(seconds)
    }

    /// Every wait requested so far, in order.
    public var sleeps: [Double] {
        lock.lock()
        defer { lock.unlock() }
        return recorded
    }

    /// The sum of every wait so far.
    public var totalSlept: Double { sleeps.reduce(0, +) }
}
