import MapDSL

extension SyncRunner {
    // MARK: Counting the source

    /// Asks the source how many records this run will read (one request at most, with the read's
    /// own `modifiedSince`), for progress and ETA. A count is optional: an answer is recorded as
    /// `source_counted`, a failure as `source_count_failed`, and the run goes on either way.
    func countSource() {
        let payloadBase: [(String, JSONValue)] =
            [("object", .string(job.source.object))] + (modifiedSince.map { [("modifiedSince", .string($0))] } ?? [])
        do {
            total = try source.count(object: job.source.object, modifiedSince: modifiedSince)
        } catch {
            total = nil
            unwritten.event(
                "source_count_failed", .object(payloadBase + [("message", .string(String(describing: error)))]), at: clock.timestamp())
            return
        }
        if let total {
            unwritten.event("source_counted", .object([("total", .int(total))] + payloadBase), at: clock.timestamp())
        }
    }

    /// A resumed run keeps the total counted when it started (no request); a run that had none is
    /// counted now.
    func recountSource() throws {
        if let counted = try store.events(types: ["source_counted"], run: run).last?.payload["total"]?.intValue {
            total = counted
        } else {
            countSource()
        }
    }
}
