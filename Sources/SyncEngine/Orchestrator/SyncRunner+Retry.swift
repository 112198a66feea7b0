import Foundation
import MapDSL

extension SyncRunner {
    /// Starts a retry run: every rejected record of the job (or only those `only` selects, e.g. one
    /// error code and field) is mapped again (with the operator's fixes applied to its source or
    /// destination values), validated and uploaded.
    @discardableResult
    public func retryRejected(only: RejectedFilter? = nil) throws -> RunSummary {
        try releasingLeaseOnError { try retryRun(only: only) }
    }

    private func retryRun(only: RejectedFilter?) throws -> RunSummary {
        try closeAbandonedRuns()
        try resolveActiveRuns()
        let rejected = try storeRef.records(job: jobRef.name, status: "rejected").filter { only?.matches($0) ?? true }
        guard !rejected.isEmpty else {
            throw JobError("job \(jobRef.name) has no rejected records" + (only == nil ? "" : " of that kind") + " to retry")
        }
        let info: JSONValue = .object([
            ("kind", "retry"), ("job", .string(jobRef.name)), ("mapping", .string(jobRef.mapping)),
            ("mappingVersion", .string(versionRef)), ("source", .string(jobRef.source.qualifiedName)),
            ("destination", .string(jobRef.destination.qualifiedName)), ("mode", .string(jobRef.mode.rawValue)),
            ("records", .int(rejected.count)),
            actorRef.byMember, actorRef.identityMember, ("only", only?.json ?? .null),
        ])
        try beginRun(info: info)
        // The retry set is an event, so a resumed retry run retries the same records.
        try record("retry_set", .object([("keys", .array(rejected.map { .string($0.key) })), ("only", only?.json ?? .null)]))
        // The dead letters play the part of the source page.
        let page = SourcePage(
            records: rejected.map { r in
                SourceRecord(id: r.key, fields: r.payload?["source"] ?? .object([]))
            }, nextCursor: nil)
        return try processSinglePage(page, retrying: rejected)
    }

    /// Goes on with a paused or interrupted retry run: its unanswered batches first, then the
    /// records of its retry set that it has not answered yet (never the whole source).
    func resumeRetry(pending: [StoredEvent]) throws -> RunSummary {
        for batch in pending { try reconcile(batch) }
        let set = try storeRef.lastEvent(run: run, types: ["retry_set"])
        let keys = (set?.payload["keys"]?.arrayValue ?? []).compactMap(\.stringValue)
        let states = try storeRef.records(job: jobRef.name, keys: keys)
        let todo = keys.compactMap { states[$0] }.filter { $0.run != run && $0.status == "rejected" }
        let page = SourcePage(
            records: todo.map { r in SourceRecord(id: r.key, fields: r.payload?["source"] ?? .object([])) }, nextCursor: nil)
        return try processSinglePage(page, retrying: todo)
    }
}
