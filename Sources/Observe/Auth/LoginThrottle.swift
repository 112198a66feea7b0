import Foundation

/// Slows password guessing: after ``freeFailures`` failed sign-ins for one operator name, or
/// ``freeFailuresPerClient`` from one client address, within ``window`` seconds, further attempts
/// for that name or from that address are refused for a while: 30 seconds, doubling with each
/// further failure, at most ``maximumLockout``. A successful sign-in clears the name's failures.
///
/// Refused attempts are answered before any password is hashed, so a locked-out guesser costs the
/// server nothing.
public final class LoginThrottle: @unchecked Sendable {
    /// Failures for one name before it is locked.
    public let freeFailures: Int
    /// Failures from one client before it is locked.
    public let freeFailuresPerClient: Int
    /// Seconds over which failures are counted.
    public let window: Double
    /// The first lockout, in seconds.
    public let baseLockout: Double
    /// The longest lockout, in seconds.
    public let maximumLockout: Double
    private let clock: WallClock
    private let lock = NSLock()
    private var entries: [String: Entry] = [:]
    /// Most names and addresses remembered (the oldest are forgotten first).
    private let capacity = 50_000

    private struct Entry {
        var failures: Int
        var first: Date
        var lockedUntil: Date?
    }

    /// Creates a throttle.
    public init(
        freeFailures: Int = 5, freeFailuresPerClient: Int = 20, window: Double = 15 * 60, baseLockout: Double = 30,
        maximumLockout: Double = 15 * 60, clock: WallClock = SystemWallClock()
    ) {
        self.freeFailures = freeFailures
        self.freeFailuresPerClient = freeFailuresPerClient
        self.window = window
        self.baseLockout = baseLockout
        self.maximumLockout = maximumLockout
        self.clock = clock
    }

    private static func keys(name: String, client: String?) -> [(String, Bool)] {
        [("name:" + name, true)] + (client.map { [("client:" + $0, false)] } ?? [])
    }

    /// Seconds until an attempt for `name` from `client` is allowed, or nil when it is allowed now.
    public func wait(name: String, client: String?) -> Double? {
        let now = clock.now()
        return lock.withLock {
            let waits = Self.keys(name: name, client: client).compactMap { key, _ -> Double? in
                guard let until = entries[key]?.lockedUntil, until > now else { return nil }
                return until.timeIntervalSince(now)
            }
            return waits.max()
        }
    }

    /// Records a failed attempt.
    public func failed(name: String, client: String?) {
        let now = clock.now()
        lock.withLock {
            if entries.count >= capacity {
                let oldest = entries.sorted { $0.value.first < $1.value.first }.prefix(capacity / 10).map(\.key)
                for k in oldest { entries[k] = nil }
            }
            for (key, isName) in Self.keys(name: name, client: client) {
                var e = entries[key] ?? Entry(failures: 0, first: now, lockedUntil: nil)
                if now.timeIntervalSince(e.first) > window, (e.lockedUntil ?? now) <= now {
                    e = Entry(failures: 0, first: now, lockedUntil: nil)
                }
                e.failures += 1
                let free = isName ? freeFailures : freeFailuresPerClient
                if e.failures >= free {
                    let doublings = Double(min(20, e.failures - free))
                    e.lockedUntil = now.addingTimeInterval(min(maximumLockout, baseLockout * pow(2, doublings)))
                }
                entries[key] = e
            }
        }
    }

    /// Records a successful sign-in: the name's failures are forgotten.
    public func succeeded(name: String, client: String?) {
        _ = lock.withLock { entries.removeValue(forKey: "name:" + name) }
    }
}
