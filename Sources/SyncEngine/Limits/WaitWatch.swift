import Foundation

/// The waits a run's adapters make on their own (a retry's backoff, a platform's Retry-After, the
/// rate limiter's pacing, a bulk job's polling): each is announced, so `mapc status` can say what
/// the run waits for, and cut into slices, so `mapc cancel` ends it within a second.
///
/// One watch is shared by a run's adapters (``AdapterOptions``) and its runner (``SyncOptions``):
/// the runner attaches it to its run (how to ask whether a cancel was requested, how to record a
/// `waiting` event); without a runner attached a wait is an ordinary sleep.
public final class WaitWatch: @unchecked Sendable {
    /// Longest slice of a wait between two looks for a cancel request, in seconds.
    public static let slice = 0.25
    /// Waits shorter than this are not announced (they are over before anyone could look).
    public static let announceAtLeast = 2.0

    private let lock = NSLock()
    private var stopRequested: (@Sendable () -> Bool)?
    private var announce: (@Sendable (_ what: String, _ seconds: Double) -> Void)?
    private var interrupted = false

    /// Creates a watch attached to nothing.
    public init() {}

    /// Attaches the watch to a run: `stopRequested` says whether the run was asked to stop (it is
    /// asked once per slice), `announce` records a wait of `seconds` for `what`.
    public func attach(
        stopRequested: @escaping @Sendable () -> Bool, announce: @escaping @Sendable (_ what: String, _ seconds: Double) -> Void
    ) {
        lock.withLock {
            self.stopRequested = stopRequested
            self.announce = announce
            interrupted = false
        }
    }

    /// Detaches the watch (the run ended).
    public func detach() {
        lock.withLock {
            stopRequested = nil
            announce = nil
            interrupted = false
        }
    }

    /// Whether a wait was cut short because the run was asked to stop (until the next ``attach``).
    public var wasInterrupted: Bool { lock.withLock { interrupted } }

    /// Whether the run was asked to stop (asking the run, once).
    public func isStopRequested() -> Bool {
        let probe = lock.withLock { stopRequested }
        guard let probe, probe() else { return false }
        lock.withLock { interrupted = true }
        return true
    }

    /// Waits `seconds` for `what` on `clock`, looking for a stop request before and between
    /// slices; returns false when the wait was cut short (the caller then gives up).
    public func wait(_ seconds: Double, for what: String, clock: any LimiterClock) -> Bool {
        guard seconds > 0 else { return !isStopRequested() }
        let announce = lock.withLock { self.announce }
        if seconds >= Self.announceAtLeast { announce?(what, seconds) }
        var left = seconds
        while left > 0 {
            if isStopRequested() { return false }
            let step = min(left, Self.slice)
            clock.sleep(seconds: step)
            left -= step
        }
        return !isStopRequested()
    }
}

extension WaitWatch {
    /// `wait` for callers without a watch: a plain sleep on `clock` when `watch` is nil.
    public static func wait(_ watch: WaitWatch?, _ seconds: Double, for what: String, clock: any LimiterClock) -> Bool {
        if let watch { return watch.wait(seconds, for: what, clock: clock) }
        clock.sleep(seconds: seconds)
        return true
    }
}
