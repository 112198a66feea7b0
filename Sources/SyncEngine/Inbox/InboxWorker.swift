import Foundation
import MapDSL

/// Processes the inbox in the background: each record's events in order of occurrence, failed
/// attempts retried with backoff (never dropped), acknowledgement never waiting on it.
///
/// One worker thread per inbox; the processor decides (triggers, echo) and may be slow or fail.
public final class InboxWorker: @unchecked Sendable {
    /// Decides what one event does; throwing leaves it pending for a retry.
    public typealias Processor = @Sendable (InboxEntry) throws -> InboxDecision

    private let inbox: Inbox
    private let processor: Processor
    private let backoff: Backoff
    private let clock: SyncClock
    private let log: @Sendable (String) -> Void
    private let condition = NSCondition()
    private var stopping = false
    private var wakeups = 0
    private var finished = true
    private var afterComplete: [@Sendable (InboxDecision) -> Void] = []

    /// Creates a worker; call ``start()`` to run it in the background or ``drain()`` to process inline.
    public init(
        inbox: Inbox, backoff: Backoff = Backoff(base: 1, cap: 300), clock: SyncClock = SystemClock(),
        log: @escaping @Sendable (String) -> Void = { _ in }, processor: @escaping Processor
    ) {
        self.inbox = inbox
        self.processor = processor
        self.backoff = backoff
        self.clock = clock
        self.log = log
        inbox.onInsert { [weak self] in self?.wake() }
    }

    /// Registers a callback run after each processed event (e.g. to wake the job scheduler).
    public func onComplete(_ callback: @escaping @Sendable (InboxDecision) -> Void) {
        condition.lock()
        afterComplete.append(callback)
        condition.unlock()
    }

    /// Wakes the worker to look for new work.
    public func wake() {
        condition.lock()
        wakeups += 1
        condition.signal()
        condition.unlock()
    }

    /// Starts the background thread.
    public func start() {
        condition.lock()
        stopping = false
        finished = false
        condition.unlock()
        let thread = Thread { [self] in loop() }
        thread.name = "mapc-inbox-worker"
        thread.start()
    }

    /// Stops the background thread after the event in hand, and waits for it.
    public func stop() {
        condition.lock()
        stopping = true
        condition.broadcast()
        while !finished { condition.wait() }
        condition.unlock()
    }

    private var isStopping: Bool {
        condition.lock()
        defer { condition.unlock() }
        return stopping
    }

    private func loop() {
        while !isStopping {
            var didWork = false
            do {
                didWork = try drainOnce() > 0
            } catch {
                log("inbox worker: \(error)")
            }
            if didWork { continue }
            let due = (try? inbox.nextDue()) ?? nil
            condition.lock()
            if !stopping && wakeups == 0 {
                _ = condition.wait(until: Date(timeIntervalSinceNow: min(max(due ?? 1, 0.01), 1)))
            }
            wakeups = 0
            condition.unlock()
        }
        condition.lock()
        finished = true
        condition.broadcast()
        condition.unlock()
    }

    /// Processes every event that is ready now (inline); returns how many were attempted.
    @discardableResult
    public func drain() throws -> Int {
        var total = 0
        while true {
            let n = try drainOnce()
            if n == 0 { return total }
            total += n
        }
    }

    private func drainOnce() throws -> Int {
        let heads = try inbox.readyHeads()
        var attempted = 0
        for entry in heads {
            if isStopping { break }
            // Heads go stale while earlier ones are processed: re-check so each record stays in order.
            guard try inbox.isHead(entry.id) else {
                attempted += 1
                continue
            }
            attempted += 1
            let decision: InboxDecision
            do {
                decision = try processor(entry)
            } catch {
                let wait = backoff.delay(attempt: entry.attempts + 1, unit: clock.random())
                try inbox.fail(entry.id, error: "\(error)", retryIn: wait)
                log("inbox: event \(entry.id) failed (attempt \(entry.attempts + 1)), retrying in \(Int(wait.rounded()))s: \(error)")
                continue
            }
            try inbox.complete(entry.id, decision: decision)
            condition.lock()
            let callbacks = afterComplete
            condition.unlock()
            for callback in callbacks { callback(decision) }
        }
        return attempted
    }
}
