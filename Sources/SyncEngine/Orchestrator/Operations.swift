import Foundation
import MapDSL

/// Operator actions and questions about jobs, shared by the CLI and the dashboard.
public enum Operations {
    /// Records an operator's fix of one field of a rejected record, as a `fixed` record event that
    /// stays attached to the record until a run writes it (`fix_applied`) or it is withdrawn: every
    /// later run that maps the record (sync, retry, resume) applies it. `side` says whether `field` is
    /// a source field (the record is mapped again) or a destination field (the value sent is
    /// overridden); nil when unknown (then both).
    ///
    /// The fix remembers the version of the source record it was made against (the values last
    /// read): when a run reads other values, the source changed and the fix is retired.
    @discardableResult
    public static func fix(
        store: EventStore, job: String, key: String, field: String, value: JSONValue, side: FixSide? = nil, by: Principal, at: String
    ) throws -> RecordState {
        guard let record = try store.record(job: job, anyKey: key) else {
            throw JobError("job \(job) has no record with key '\(key)'")
        }
        guard record.status == "rejected" else {
            throw JobError("record \(key) of \(job) is \(record.status), not rejected; only rejected records can be fixed")
        }
        guard let run = try store.latestRun(job: job) else { throw JobError("job \(job) has no runs") }
        var payload: [(String, JSONValue)] = [("field", .string(field)), ("value", value)]
        if let side { payload.append(("side", .string(side.rawValue))) }
        if let source = try lastReadSource(store: store, job: job, key: record.key) {
            payload.append(("sourceHash", .string(RecordFix.fingerprint(source))))
        }
        payload += by.fields
        try store.commit(
            run: run.id, job: job,
            events: [("record_fixed", .object([("key", .string(record.key))] + payload))],
            recordEvents: [(record.key, "fixed", .object(payload))], updates: [], at: at)
        return record
    }

    /// Withdraws the fixes of a record in effect (those of `fields`, or all): later runs map the
    /// record from its source values again. Returns the fields withdrawn.
    @discardableResult
    public static func withdrawFixes(store: EventStore, job: String, key: String, fields: [String], by: Principal, at: String) throws
        -> [String]
    {
        guard let record = try store.record(job: job, anyKey: key) else {
            throw JobError("job \(job) has no record with key '\(key)'")
        }
        let current = try store.fixes(job: job, key: record.key)[record.key] ?? []
        guard !current.isEmpty else { throw JobError("record \(record.key) of \(job) has no fixes in effect") }
        let unknown = fields.filter { f in !current.contains { $0.field == f } }
        if !unknown.isEmpty {
            throw JobError(
                "record \(record.key) of \(job) has no fix of \(unknown.joined(separator: ", ")); its fixes: \(current.map(\.field).joined(separator: ", "))"
            )
        }
        let withdrawn = fields.isEmpty ? current.map(\.field) : fields
        guard let run = try store.latestRun(job: job) else { throw JobError("job \(job) has no runs") }
        let payload: [(String, JSONValue)] = [("fields", .array(withdrawn.map(JSONValue.string)))] + by.fields
        try store.commit(
            run: run.id, job: job, events: [("fix_withdrawn", .object([("key", .string(record.key))] + payload))],
            recordEvents: [(record.key, "fix_withdrawn", .object(payload))], updates: [], at: at)
        return withdrawn
    }

    /// The source values last read for a record (its latest `fetched` event), if any.
    static func lastReadSource(store: EventStore, job: String, key: String) throws -> JSONValue? {
        try store.recordEvents(job: job, key: key).last { $0.kind == "fetched" }?.payload["values"]
    }

    /// The job's run that is still going or paused (the newest, when older versions of mapc left
    /// several), or nil when none is: only one such run per job.
    public static func activeRun(store: EventStore, job: String) throws -> RunSummary? {
        try store.runs(job: job).last { $0.state.phase.isRunning || $0.state.phase == .paused }
    }

    /// The job's run that has not ended: the active one, else a failed run (which can still be
    /// resumed or cancelled) when it is the latest.
    public static func openRun(store: EventStore, job: String) throws -> RunSummary? {
        if let active = try activeRun(store: store, job: job) { return active }
        guard let latest = try store.latestRun(job: job), !latest.state.phase.isTerminal else { return nil }
        return latest
    }

    /// Refuses to start a run of `job` while another one is running or paused, naming the run and
    /// the commands that resolve it.
    public static func checkNoActiveRun(store: EventStore, job: String) throws {
        guard let active = try activeRun(store: store, job: job) else { return }
        throw ActiveRunError(job: job, run: active.id, state: active.state)
    }

    /// Cancels the job's active run: directly when it is paused or its process is gone (then the
    /// reason says so), else by asking the running process (it stops within a second, waits
    /// included). Refuses when no run is active.
    public static func cancel(
        store: EventStore, job: String, by: Principal, at: String, leaseTimeout: Double = SyncOptions().leaseTimeout,
        superseded: Bool = false
    ) throws -> JobState {
        guard let latest = try store.latestRun(job: job) else { throw JobError("job \(job) has never run; there is nothing to cancel") }
        guard let run = try openRun(store: store, job: job) else {
            throw JobError("nothing to cancel: no run of \(job) is running or paused (run \(latest.id) is \(latest.state.phase.rawValue))")
        }
        let state = try store.replayState(run: run.id)
        var payload = by.fields
        if superseded { payload.append(("supersede", true)) }
        try store.append(run: run.id, type: "cancel_requested", payload: .object(payload), at: at)
        var reason = superseded ? "superseded by a new run started by \(by.name)" : "cancelled by \(by.name)"
        if state.phase.isRunning {
            let verdict = LeaseVerdict.judge(
                try store.lease(run: run.id), current: .current, now: Date().timeIntervalSince1970, timeout: leaseTimeout,
                isAlive: ProcessIdentity.isAlive)
            guard case .orphaned(let why) = verdict else { return state }
            reason += " (no process was running it: \(why))"
        }
        let next = JobState(.cancelled, page: state.page, batch: state.batch, reason: reason)
        try store.transition(run: run.id, to: next, at: at)
        try store.releaseLease(run: run.id)
        return next
    }
}

/// A run of the job is still running or paused, so another may not start.
public struct ActiveRunError: Error, Sendable, CustomStringConvertible {
    /// The job.
    public var job: String
    /// The active run.
    public var run: Int
    /// Its state.
    public var state: JobState

    /// `run 7 of people is paused (…); resume it with 'mapc resume people', or cancel it …`.
    public var description: String {
        let what = state.phase == .paused ? "is paused" : "is running (\(state.description))"
        return "run \(run) of \(job) \(what); resume it with 'mapc resume \(job)', cancel it with 'mapc cancel \(job)', "
            + "or start anyway with --supersede (cancels run \(run))"
    }
}
