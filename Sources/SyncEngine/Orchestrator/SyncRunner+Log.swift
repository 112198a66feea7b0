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
                    clock.sleep(wait)
                case .transient(let message):
                    failures += 1
                    try record(
                        "retry",
                        .object([("attempt", .int(failures)), ("message", .string(message)), ("while", .string(doing))]))
                    if failures >= job.retries {
                        let on = firstRecord.map { " on the batch starting with record \($0)" } ?? ""
                        try stop(.paused, "paused in \(doing): failed \(failures) times\(on) (\(message))")
                    }
                    clock.sleep(options.backoff.delay(attempt: failures, unit: clock.random()))
                case .fatal(let message):
                    try stop(.failed, "failed in \(doing): \(message)")
                }
            }
        }
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
