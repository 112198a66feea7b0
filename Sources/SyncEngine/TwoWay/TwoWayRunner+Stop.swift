import Foundation
import MapDSL

/// Retries, waits, cancels and the lease of a two-way run: like a one-way run's, every wait (the
/// runner's own between attempts, and the adapters' through ``TwoWayOptions/waits``) is announced
/// and cut into slices that look for a cancel, and a process holds the run's lease, so `mapc
/// cancel` asks it to stop instead of closing a run that is still under way.
extension TwoWayRunner {
    /// Runs `body` (one read or write on `side`), waiting out rate limits and retrying transient
    /// failures up to the job's `retries`; looks for a stop before each attempt and after each failure.
    func attempt<T>(_ side: TwoWaySide, _ doing: String, _ body: () throws -> T) throws -> T {
        var failures = 0
        while true {
            try checkStop()
            do {
                return try body()
            } catch let error as AdapterError {
                try checkStop()
                failures += 1
                switch error {
                case .fatal, .quotaExhausted: throw error
                case .transient(let message):
                    if failures >= spec.retries { throw error }
                    try waitOut(
                        options.backoff.delay(attempt: failures, unit: options.clock.random()),
                        for: "a retry of \(doing) after \(message.prefix(80))")
                case .rateLimited(let wait, _):
                    if failures >= spec.retries { throw error }
                    try waitOut(min(max(wait, 0), options.backoff.cap), for: "\(spec.endpoint(side).platform) rate limit")
                }
            }
        }
    }

    /// Waits `seconds` for `what` in slices of ``WaitWatch/slice``, looking for a stop before and
    /// between them; a wait long enough to be seen is a `waiting` event first (for `mapc status`).
    func waitOut(_ seconds: Double, for what: String) throws {
        guard seconds > 0 else { return try checkStop() }
        if seconds >= WaitWatch.announceAtLeast, current > 0 {
            let until = Date(timeIntervalSince1970: Date().timeIntervalSince1970 + seconds)
            let payload: JSONValue = .object([
                ("for", .string(what)), ("seconds", .double(seconds)), ("until", .string(Self.iso(until))), ("in", "engine"),
            ])
            try store.append(run: current, type: "waiting", payload: payload, at: options.now())
        }
        var left = seconds
        while left > 0 {
            try checkStop()
            let step = min(left, WaitWatch.slice)
            options.clock.sleep(step)
            left -= step
        }
        try checkStop()
    }

    /// Throws ``TwoWayStop`` when the run was asked to stop.
    func checkStop() throws {
        if let reason = stopReason() { throw TwoWayStop(reason: reason) }
    }

    /// Why the run must stop (a signal to this process, or an operator's cancel request), or nil.
    func stopReason() -> String? {
        if let why = options.interrupted() { return why }
        guard current > 0, (try? store.hasEvent(run: current, type: "cancel_requested")) == true else { return nil }
        let by = (try? store.events(run: current))?.last { $0.type == "cancel_requested" }?.payload["by"]?.stringValue
        return "cancelled by \(by ?? "operator")"
    }

    /// Records the run as cancelled with `reason` (unless `mapc cancel` closed it already) and
    /// returns the error that says so.
    func cancelled(run: Int, reason: String) throws -> TwoWayCancelled {
        let recorded = try store.replayState(run: run)
        if recorded.phase == .cancelled { return TwoWayCancelled(run: run, state: recorded) }
        let state = JobState(.cancelled, page: recorded.page, batch: recorded.batch, reason: reason)
        try store.transition(run: run, to: state, at: options.now())
        return TwoWayCancelled(run: run, state: state)
    }

    /// Takes the run's lease for this process (with a heartbeat) and attaches the adapters' waits.
    func takeLease(run: Int) throws {
        let process = ProcessIdentity.current
        try store.acquireLease(
            RunLease(run: run, job: spec.name, process: process, startedAt: options.now(), heartbeat: Date().timeIntervalSince1970))
        lease = LeaseKeeper(store: store, run: run, process: process, interval: options.heartbeatInterval)
        let (store, now, interrupted) = (self.store, options.now, options.interrupted)
        options.waits?.attach(
            stopRequested: { interrupted() != nil || (try? store.hasEvent(run: run, type: "cancel_requested")) == true }
        ) { what, seconds in
            let until = Date(timeIntervalSince1970: Date().timeIntervalSince1970 + seconds)
            let payload: JSONValue = .object([
                ("for", .string(what)), ("seconds", .double(seconds)), ("until", .string(Self.iso(until))), ("in", "adapter"),
            ])
            _ = try? store.append(run: run, type: "waiting", payload: payload, at: now())
        }
    }

    /// Gives up the lease (the run ended here, however it ended).
    func releaseLease() {
        options.waits?.detach()
        guard let lease else { return }
        lease.stop()
        self.lease = nil
        try? store.releaseLease(run: current)
    }

    /// Closes an earlier run of the job left in a running state by a process that is gone (killed,
    /// or the machine stopped), so the job does not show a run forever under way; refuses to start
    /// while that process still runs it.
    func closeAbandoned() throws {
        guard let open = try Operations.openRun(store: store, job: spec.name), open.state.phase.isRunning || open.state.phase == .created
        else { return }
        let verdict = LeaseVerdict.judge(
            try store.lease(run: open.id), current: .current, now: Date().timeIntervalSince1970, timeout: options.leaseTimeout,
            isAlive: ProcessIdentity.isAlive)
        switch verdict {
        case .alive(let who):
            throw JobError("run \(open.id) of \(spec.name) is still running (\(who)); cancel it with 'mapc cancel \(spec.name)'")
        case .orphaned(let why):
            let state = JobState(
                .cancelled, page: open.state.page, batch: open.state.batch,
                reason: "abandoned: its process was gone (\(why)); closed when a new run started (the new run reads both sides again)")
            try store.transition(run: open.id, to: state, at: options.now())
            try store.append(run: open.id, type: "run_abandoned", payload: .object([("why", .string(why))]), at: options.now())
            try? store.releaseLease(run: open.id)
        }
    }

    /// `2026-12-06T00:00:00.000Z`.
    static func iso(_ date: Date) -> String { Dates.formatDateTime(Int64((date.timeIntervalSince1970 * 1000).rounded(.down))) }
}
