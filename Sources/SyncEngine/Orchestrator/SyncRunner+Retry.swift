import Foundation
import MapDSL

extension SyncRunner {
    /// Starts a retry run: every rejected record of the job is mapped again (with the operator's
    /// fixes applied to its source or destination values), validated and uploaded.
    @discardableResult
    public func retryRejected() throws -> RunSummary {
        try releasingLeaseOnError { try retryRun() }
    }

    private func retryRun() throws -> RunSummary {
        let rejected = try storeRef.records(job: jobRef.name, status: "rejected")
        guard !rejected.isEmpty else { throw JobError("job \(jobRef.name) has no rejected records to retry") }
        try closeAbandonedRuns()
        let info: JSONValue = .object([
            ("kind", "retry"), ("job", .string(jobRef.name)), ("mapping", .string(jobRef.mapping)),
            ("mappingVersion", .string(versionRef)), ("source", .string(jobRef.source.qualifiedName)),
            ("destination", .string(jobRef.destination.qualifiedName)), ("mode", .string(jobRef.mode.rawValue)),
            ("records", .int(rejected.count)),
            ("by", .string(actorRef)),
        ])
        try beginRun(info: info)
        // The dead letters play the part of the source page.
        let page = SourcePage(
            records: rejected.map { r in
                SourceRecord(id: r.key, fields: Self.patched(r))
            }, nextCursor: nil)
        return try processSinglePage(page, retrying: rejected)
    }

    /// The record's source values with source-field patches applied, plus destination patches and
    /// already-mapped values for records that never had (or lost) their source.
    static func patched(_ r: RecordState) -> JSONValue {
        var fields = r.payload?["source"]?.objectValue ?? []
        for (k, v) in r.payload?["patches"]?.objectValue ?? [] {
            if let i = fields.firstIndex(where: { $0.0 == k }) { fields[i].1 = v } else { fields.append((k, v)) }
        }
        return .object(fields)
    }
}

/// Operator actions and questions about jobs, shared by the CLI and the dashboard.
public enum Operations {
    /// Records an operator's fix of one field of a rejected record; the next `retry` uses it.
    /// `field` may be a source field (the record is mapped again) or a destination field (the value
    /// sent is overridden).
    public static func fix(store: EventStore, job: String, key: String, field: String, value: JSONValue, by: String, at: String) throws
        -> RecordState
    {
        guard var record = try store.record(job: job, anyKey: key) else {
            throw JobError("job \(job) has no record with key '\(key)'")
        }
        guard record.status == "rejected" else {
            throw JobError("record \(key) of \(job) is \(record.status), not rejected; only rejected records can be fixed")
        }
        var payload = record.payload?.objectValue ?? []
        var patches = payload.first { $0.0 == "patches" }?.1.objectValue ?? []
        if let i = patches.firstIndex(where: { $0.0 == field }) { patches[i].1 = value } else { patches.append((field, value)) }
        if let i = payload.firstIndex(where: { $0.0 == "patches" }) {
            payload[i].1 = .object(patches)
        } else {
            payload.append(("patches", .object(patches)))
        }
        record.payload = .object(payload)
        guard let run = try store.latestRun(job: job) else { throw JobError("job \(job) has no runs") }
        try store.commit(
            run: run.id, job: job,
            events: [
                ("record_fixed", .object([("key", .string(record.key)), ("field", .string(field)), ("value", value), ("by", .string(by))]))
            ],
            recordEvents: [(record.key, "fixed", .object([("field", .string(field)), ("value", value), ("by", .string(by))]))],
            updates: [RecordUpdate(state: record, acknowledged: false)], at: at)
        return record
    }

    /// Cancels the latest run: directly when it is not running or its process is gone (then the
    /// reason says so), else by asking the running process (it stops before its next page).
    public static func cancel(
        store: EventStore, job: String, by: String, at: String, leaseTimeout: Double = SyncOptions().leaseTimeout
    ) throws -> JobState {
        guard let run = try store.latestRun(job: job) else { throw JobError("job \(job) has never run") }
        let state = try store.replayState(run: run.id)
        if state.phase.isTerminal { throw JobError("the latest run of \(job) is already \(state.phase.rawValue)") }
        try store.append(run: run.id, type: "cancel_requested", payload: .object([("by", .string(by))]), at: at)
        var reason = "cancelled by \(by)"
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
