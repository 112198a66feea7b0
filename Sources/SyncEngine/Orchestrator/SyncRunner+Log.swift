import Foundation
import MapDSL

extension SyncRunner {
    // MARK: Retries

    /// Runs `body`, retrying transient failures with backoff and waiting out rate limits; pauses the
    /// run after the last failed attempt and fails it on a fatal error.
    func attempt<T>(_ doing: String, firstRecord: String?, _ body: () throws -> T) throws -> T {
        var failures = 0
        var waited = 0.0
        while true {
            do {
                return try body()
            } catch let e as AdapterError {
                switch e {
                case .rateLimited(let seconds, let message):
                    let wait = min(max(seconds, 0.05), options.maxRateLimitWait)
                    waited += wait
                    try record(
                        "rate_limited",
                        .object([("wait", .double(wait)), ("message", .string(message)), ("while", .string(doing))]))
                    if waited > options.maxRateLimitWait * 4 {
                        try stop(.paused, "paused in \(doing): still rate limited after waiting \(Int(waited))s (\(message))")
                    }
                    try waitOut(wait, for: "\(platformName(doing)) rate limit")
                case .quotaExhausted(let quota):
                    var payload: [(String, JSONValue)] = [
                        ("quota", .string(quota.quota)), ("message", .string(quota.message)), ("while", .string(doing)),
                    ]
                    if let at = quota.resetsAt { payload.append(("resetsAt", .string(Self.iso(at)))) }
                    payload.append(("rolling", .bool(quota.rolling)))
                    try record("quota_exhausted", .object(payload))
                    try stop(.paused, "\(quota) (in \(doing))")
                case .transient(let message):
                    failures += 1
                    try record(
                        "retry",
                        .object([("attempt", .int(failures)), ("message", .string(message)), ("while", .string(doing))]))
                    if failures >= job.retries {
                        let on = firstRecord.map { " on the batch starting with record \($0)" } ?? ""
                        try stop(.paused, "paused in \(doing): failed \(failures) times\(on) (\(message))")
                    }
                    try waitOut(options.backoff.delay(attempt: failures, unit: clock.random()), for: "a retry after \(message.prefix(80))")
                case .fatal(let message):
                    try stop(.failed, "failed in \(doing): \(message)")
                }
            }
        }
    }

    /// The platform a step talks to, as waits name it (`salesforce rate limit`): the source while
    /// fetching or mapping (lookups read the destination too, but pages come from the source),
    /// else the destination.
    func platformName(_ doing: String) -> String {
        doing.hasPrefix("fetching") ? job.source.platform : job.destination.platform
    }

    /// Waits `seconds` for `what`: a `waiting` event says until when (so `mapc status` shows the
    /// wait instead of the last page), and the store's cancel request is checked every quarter of a
    /// second, so `mapc cancel` ends the run within a second of asking.
    func waitOut(_ seconds: Double, for what: String) throws {
        guard seconds > 0 else { return }
        let until = Date(timeIntervalSinceReferenceDate: clock.now() + seconds)
        try record(
            "waiting",
            .object([("for", .string(what)), ("seconds", .double(seconds)), ("until", .string(Self.iso(until)))]))
        // On disk before the wait: `mapc status` shows it, and a cancel that closes the run while
        // it waits (its process judged gone) cannot land before it and make the write refused.
        try writer.sync()
        var left = seconds
        while left > 0 {
            try stopIfCancelled()
            let step = min(left, Self.cancelPollInterval)
            clock.sleep(step)
            left -= step
        }
        try stopIfCancelled()
    }

    /// `2026-12-06T00:00:00.000Z`.
    static func iso(_ date: Date) -> String { Dates.formatDateTime(Int64((date.timeIntervalSince1970 * 1000).rounded(.down))) }

    /// How often a wait looks for a cancel request, in seconds.
    static var cancelPollInterval: Double { 0.25 }

    /// Ends the run as cancelled when an operator asked for it (`mapc cancel`, the dashboard).
    func stopIfCancelled() throws {
        guard try store.hasEvent(run: run, type: "cancel_requested") else { return }
        try finishInFlight()
        // `mapc cancel` may have closed the run itself (it judged this process gone): no second transition.
        try flush()
        let recorded = try store.replayState(run: run)
        if recorded.phase == .cancelled {
            state = recorded
            releaseLease()
            throw SyncStopped(run: run, state: state)
        }
        try move(JobState(.cancelled, page: state.page, batch: state.batch, reason: "cancelled by operator"))
        try flush()
        try sync()
        releaseLease()
        throw SyncStopped(run: run, state: state)
    }

    func stop(_ phase: JobPhase, _ reason: String) throws -> Never {
        // A batch still travelling is answered (and recorded) before the run stops.
        try finishInFlight()
        try move(JobState(phase, page: state.page, batch: state.batch, reason: reason))
        try flush()
        try sync()
        releaseLease()
        report()
        throw SyncStopped(run: run, state: state)
    }

    // MARK: The log

    /// Moves to `next`, refusing an illegal transition; the `state` event is written with the
    /// run's next store write (see ``unwritten``).
    func move(_ next: JobState) throws {
        try StateMachine.validate(from: state.phase, to: next.phase)
        unwritten.transitions.append(StoreBatch.Transition(to: next, at: clock.timestamp()))
        state = next
    }

    /// Writes one run event now, after the transitions and events not yet written.
    func record(_ type: String, _ payload: JSONValue) throws {
        let at = clock.timestamp()
        unwritten.event(type, payload, at: at)
        try flush()
    }

    /// Writes `batch` after the staged writes and the transitions and events not yet written, all
    /// in one transaction (on the writer's thread, after every earlier write).
    func commit(_ batch: StoreBatch, at: String) throws {
        stage(batch, at: at)
        let all = staged
        staged = []
        let (store, run, name) = (self.store, self.run, job.name)
        try writer.enqueue { try store.write(run: run, job: name, all) }
    }

    /// Adds `batch`, after the transitions and events not yet written, to the writes the next
    /// commit takes.
    func stage(_ batch: StoreBatch, at: String) {
        guard !batch.isEmpty || !unwritten.isEmpty else { return }
        unwritten.append(contentsOf: batch)
        staged.append((unwritten, at))
        unwritten = StoreBatch()
    }

    /// Waits until every write so far (handed to the writer or not) is committed.
    func sync() throws {
        try flush()
        try writer.sync()
        unsettled.removeAll(keepingCapacity: true)
    }

    /// Writes the transitions and events not yet written.
    func flush() throws {
        guard !unwritten.isEmpty || !staged.isEmpty else { return }
        try commit(StoreBatch(), at: clock.timestamp())
    }

    func report() {
        options.progress?(SyncProgress(run: run, state: state, counts: counts, elapsed: clock.now() - startedAt, total: total))
    }

    func crash(_ point: String) {
        guard let c = options.crashAt, c.name == point else { return }
        // The kill lands after everything the run did so far is on disk, so the point is a known
        // place in the log (kills from outside the process land anywhere).
        try? flush()
        try? writer.sync()
        crashCounts[point, default: 0] += 1
        if crashCounts[point] == c.occurrence {
            kill(getpid(), SIGKILL)
        }
    }
}
