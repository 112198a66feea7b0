import Foundation
import MapDSL

extension SyncRunner {
    /// A batch written on another thread while the runner goes on.
    struct InFlight {
        var records: [Outbound]
        var batch: Int
        var request: WriteRequest
        var answer: Ahead<[WriteResult]>
        /// The destination keys of its records, lower-cased.
        var keys: Set<String>
    }

    // MARK: Sending

    /// Sends a full batch: travelling while the runner goes on when uploads are pipelined (at most
    /// ``SyncOptions/batchesInFlight`` at once, and never beside a batch holding one of its keys,
    /// whose answer must come first so the platform applies the two in order), else answered here.
    func dispatch(_ batch: [Pending], page: Int) throws {
        if try decideDeferredPath(batch, page: page) { return }
        if pipelines {
            let keys = Set(batch.map { $0.key.lowercased() })
            if inFlight.contains(where: { !$0.keys.isDisjoint(with: keys) }) {
                try finishInFlight()
            } else {
                while inFlight.count >= max(1, options.batchesInFlight) { try finishOldestInFlight() }
            }
            try upload(batch, page: page, later: true)
        } else {
            try finishInFlight()
            try upload(batch, page: page, later: false)
        }
    }

    /// Records a batch as being sent, then sends it (`later`: on another thread, answered by
    /// ``finishInFlight()``).
    func upload(_ batch: [Pending], page: Int, later: Bool = false) throws {
        batchNumber += 1
        counts.batches = batchNumber
        try move(JobState(.uploading, page: page, batch: batchNumber))
        let at = clock.timestamp()
        // The batch event names its records; their values are in their `sent` events, written with
        // it, which is where a resumed run reads them back from to reconcile the batch.
        var writes = StoreBatch()
        writes.event(
            "batch_sending",
            .object([
                ("batch", .int(batchNumber)), ("page", .int(page)), ("count", .int(batch.count)),
                ("ids", .array(batch.map { .string($0.id) })),
            ]), at: at)
        writes.recordEvents.reserveCapacity(batch.count)
        var bytes: [UInt8] = []
        for r in batch {
            bytes.removeAll(keepingCapacity: true)
            JSONWriter.appendRaw("{\"batch\":", to: &bytes)
            JSONWriter.appendInt(batchNumber, to: &bytes)
            JSONWriter.appendRaw(",\"page\":", to: &bytes)
            JSONWriter.appendInt(r.page, to: &bytes)
            JSONWriter.appendRaw(",\"key\":", to: &bytes)
            JSONWriter.appendString(r.key, to: &bytes)
            bytes.append(contentsOf: versionField)
            JSONWriter.appendRaw(",\"hash\":", to: &bytes)
            JSONWriter.appendString(r.hash, to: &bytes)
            // The key was unknown before: should the answer be lost, the record counts as created.
            if r.isNew { JSONWriter.appendRaw(",\"new\":true", to: &bytes) }
            JSONWriter.appendRaw(",\"values\":", to: &bytes)
            bytes.append(contentsOf: r.json)
            bytes.append(UInt8(ascii: "}"))
            writes.recordEvents.append(RecordEventRow(key: r.id, kind: "sent", payload: bytes))
        }
        // The record projection changes when the platform answers: until then a record's latest
        // outcome is what it was, and its `sent` event without a `result` says it is in flight.
        try commit(writes, at: at)
        crash("before-send")
        try send(
            batch.map { Outbound(id: $0.id, key: $0.key, hash: $0.hash, values: pairs($0.values), page: $0.page, isNew: $0.isNew) },
            batch: batchNumber, later: later)
    }

    /// Re-sends a batch that was sent but not acknowledged before the run stopped.
    func reconcile(_ pending: StoredEvent) throws {
        let batch = pending.payload["batch"]?.intValue ?? batchNumber
        let page = pending.payload["page"]?.intValue ?? state.page
        let records: [Outbound]
        if let listed = pending.payload["records"]?.arrayValue {
            // Stores written before batch events named their records only: the values are inline.
            records = listed.compactMap { r in
                guard let id = r["id"]?.stringValue, let key = r["key"]?.stringValue, let hash = r["hash"]?.stringValue,
                    let values = r["values"]?.objectValue
                else { return nil }
                return Outbound(id: id, key: key, hash: hash, values: values, page: page, isNew: false)
            }
        } else {
            let ids = (pending.payload["ids"]?.arrayValue ?? []).compactMap(\.stringValue)
            let sent = try store.sentPayloads(job: job.name, run: run, seq: pending.seq, keys: ids)
            records = ids.compactMap { id in
                guard let p = sent[id], let key = p["key"]?.stringValue, let hash = p["hash"]?.stringValue,
                    let values = p["values"]?.objectValue
                else { return nil }
                return Outbound(
                    id: id, key: key, hash: hash, values: values, page: p["page"]?.intValue ?? page, isNew: p["new"]?.boolValue == true)
            }
        }
        // Records of the batch count as fetched in this run once, when their outcome is recorded.
        let known = try store.syncStates(job: job.name, keys: records.map(\.id))
        counts.fetched += records.filter { known[$0.id]?.run != run }.count
        try move(JobState(.uploading, page: page, batch: batch))
        try record("reconcile", .object([("batch", .int(batch)), ("records", .int(records.count))]))
        try send(records, batch: batch, inDoubt: true)
        try sync()
    }

    /// The write request for `records`.
    func request(_ records: [Outbound]) -> WriteRequest {
        WriteRequest(
            object: job.destination.object, keyField: keyField, mode: job.mode,
            // A mapping's output fields are distinct (and so are those of the objects it wrote to the store).
            records: records.map { OutboundRecord(key: $0.key, distinctFields: $0.values) })
    }

    /// Sends `records` as batch `batch`: here, or on another thread (`later`). `inDoubt`: the batch
    /// may have reached the platform before (it is sent again to reconcile it).
    func send(_ records: [Outbound], batch: Int, later: Bool = false, inDoubt: Bool = false) throws {
        if let route = try bulkRoute(forBatch: batch, inDoubt: inDoubt) {
            return try sendInBulk(records, batch: batch, route: route, inDoubt: inDoubt)
        }
        let request = request(records)
        if later {
            // The batch goes out once the writer has recorded it as being sent.
            let (destination, recorded) = (self.destination, writer.barrier())
            inFlight.append(
                InFlight(
                    records: records, batch: batch, request: request,
                    answer: Ahead(queue: writeQueue) {
                        try recorded.wait()
                        return try destination.write(request)
                    }, keys: Set(records.map { $0.key.lowercased() })))
            return
        }
        try sync()
        var tries = 0
        let results: [WriteResult] = try attempt("uploading batch \(batch)", firstRecord: records.first?.id) {
            tries += 1
            return try destination.write(request)
        }
        try settle(records, batch: batch, results: results, inDoubt: inDoubt || tries > 1)
    }

    /// Waits for every batch in flight, oldest first (see ``finishOldestInFlight()``).
    func finishInFlight() throws {
        while !inFlight.isEmpty { try finishOldestInFlight() }
    }

    /// Waits for the oldest batch in flight (retrying it here as any write is retried) and records
    /// the answer.
    func finishOldestInFlight() throws {
        guard !inFlight.isEmpty else { return }
        let f = inFlight.removeFirst()
        var first: Result<[WriteResult], any Error>? = f.answer.wait()
        var again = false
        let results: [WriteResult] = try attempt("uploading batch \(f.batch)", firstRecord: f.records.first?.id) {
            if let answer = first.take() { return try answer.get() }
            again = true
            return try destination.write(f.request)
        }
        try settle(f.records, batch: f.batch, results: results, inDoubt: again)
    }

    // MARK: Answers

    /// Sends records the platform refused with a transient error again, with backoff, up to the
    /// job's attempts, then records the answer. `inDoubt`: an earlier attempt of the batch may have
    /// been applied (its answer was lost).
    func settle(_ records: [Outbound], batch: Int, results first: [WriteResult], inDoubt: Bool) throws {
        var results = first
        var attempt = 1
        while let retry = RecordRetry.decide(
            results, attempt: attempt, maxAttempts: job.retries, backoff: options.backoff, unit: clock.random())
        {
            let again = Set(retry.keys)
            let subset = records.filter { again.contains($0.key) }
            let codes = Set(results.filter { again.contains($0.key) }.compactMap(\.errorCode)).sorted()
            try record(
                "record_retry",
                .object([
                    ("batch", .int(batch)), ("attempt", .int(attempt)), ("records", .int(subset.count)),
                    ("codes", .array(codes.map(JSONValue.string))), ("wait", .double(retry.delay)),
                ]))
            try waitOut(retry.delay, for: "a retry of \(subset.count) records of batch \(batch)")
            let answers: [WriteResult] = try self.attempt(
                "sending \(subset.count) records of batch \(batch) again", firstRecord: subset.first?.id
            ) {
                try destination.write(request(subset))
            }
            var byKey: [String: WriteResult] = [:]
            for r in answers { byKey[r.key] = r }
            results = results.map { byKey[$0.key] ?? $0 }
            attempt += 1
        }
        try acknowledge(records, batch: batch, results: results, inDoubt: inDoubt)
    }

    /// Records the platform's answer to a batch: one result per record and the record projection,
    /// then the checkpoints that waited for it.
    func acknowledge(_ records: [Outbound], batch: Int, results: [WriteResult], inDoubt: Bool) throws {
        crash("after-send")
        var byKey: [String: WriteResult] = [:]
        byKey.reserveCapacity(results.count)
        for r in results { byKey[r.key] = r }
        var writes = StoreBatch()
        writes.recordEvents.reserveCapacity(records.count)
        writes.updates.reserveCapacity(records.count)
        var batchCounts = SyncCounts()
        var bytes: [UInt8] = []
        for r in records {
            let result =
                byKey[r.key]
                ?? WriteResult(
                    key: r.key, status: .rejected, errorCode: "NO_RESULT", message: "the platform returned no result for this record")
            // Sent before with the answer lost: the platform saw the key on the first attempt. A key
            // mapc never had acknowledged was created then, whatever this answer says.
            let status: WriteResult.Status = inDoubt && r.isNew && result.status == .updated ? .created : result.status
            var s = RecordState(key: r.id, run: run, status: status.rawValue, contentHash: r.hash, mappingVersion: version)
            s.destinationKey = r.key
            s.destinationId = result.destinationId
            var answer: [(String, JSONValue)] = [("status", .string(status.rawValue))]
            if status != result.status { answer.append(("reported", .string(result.status.rawValue))) }
            if let id = result.destinationId { answer.append(("destinationId", .string(id))) }
            switch status {
            case .created: batchCounts.created += 1
            case .updated: batchCounts.updated += 1
            case .duplicate: batchCounts.duplicate += 1
            case .rejected:
                batchCounts.rejected += 1
                s.errorCode = result.errorCode
                s.error = result.message
                s.field = result.field
                s.transient = result.transient
                s.payload = .object([("values", .object(r.values)), ("stage", "destination")])
                answer += [
                    ("code", result.errorCode.map(JSONValue.string) ?? .null), ("message", result.message.map(JSONValue.string) ?? .null),
                    ("field", result.field.map(JSONValue.string) ?? .null),
                ]
                if result.transient { answer.append(("transient", true)) }
            }
            if status != .rejected { s.sentHash = r.hash }
            bytes.removeAll(keepingCapacity: true)
            JSONWriter.append(.object(answer), to: &bytes)
            writes.recordEvents.append(RecordEventRow(key: r.id, kind: "result", payload: bytes))
            // The record's outstanding fixes were written: they are applied (and stay in effect
            // until the source changes); a refusal leaves them outstanding.
            if status != .rejected, let use = fixesSent.removeValue(forKey: r.id) {
                writes.recordEvent(
                    r.id, "fix_applied",
                    .object([
                        ("fields", .array(use.outstanding.map(JSONValue.string))),
                        ("sourceHash", use.fingerprint.map(JSONValue.string) ?? .null),
                    ]))
            }
            writes.updates.append(RecordUpdate(state: s, acknowledged: status != .rejected))
        }
        counts.created += batchCounts.created
        counts.updated += batchCounts.updated
        counts.duplicate += batchCounts.duplicate
        counts.rejected += batchCounts.rejected
        let at = clock.timestamp()
        writes.event(
            "batch_acked",
            .object([
                ("batch", .int(batch)), ("created", .int(batchCounts.created)), ("updated", .int(batchCounts.updated)),
                ("duplicate", .int(batchCounts.duplicate)), ("rejected", .int(batchCounts.rejected)),
            ]), at: at)
        // Committed with the run's next write: the next batch's, a checkpoint, or before the run
        // waits for a page.
        stage(writes, at: at)
        crash("after-ack")
        checkpoints.answered(pages: records.map(\.page))
        try writeReadyCheckpoints()
        report()
    }

    // MARK: Checkpoints

    /// Writes the checkpoints every record before which has been answered, in page order.
    func writeReadyCheckpoints() throws {
        for checkpoint in checkpoints.ready() { try write(checkpoint) }
    }

    /// Writes a page's checkpoint (committed with the run's next write), with the job's high-water
    /// mark when it moves.
    func write(_ checkpoint: Checkpoint) throws {
        let at = clock.timestamp()
        var batch = StoreBatch()
        var payload: [(String, JSONValue)] = [
            ("page", .int(checkpoint.page)), ("cursor", checkpoint.cursor.map(JSONValue.string) ?? .null),
            ("next", checkpoint.next.map(JSONValue.string) ?? .null), ("done", .bool(checkpoint.next == nil)),
            ("counts", counts.json),
        ]
        if let position = marks.checkpoint(page: checkpoint.page, done: checkpoint.next == nil, startedAt: startedAtMillis) {
            let mark = Watermark(position: position, mappingVersion: version, source: job.source.qualifiedName, run: run, at: at)
            batch.watermark = mark
            payload.append(("mark", .object([("modified", .string(position.modified)), ("id", .string(position.id))])))
        }
        batch.event("checkpoint", .object(payload), at: at)
        stage(batch, at: at)
        crash("after-checkpoint")
        report()
    }
}
