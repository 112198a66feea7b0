import Foundation
import MapDSL

extension SyncRunner {
    // MARK: The loop

    /// Reads, maps and sends page after page from `startCursor` (after page `startPage`), first
    /// sending again the batches `pending` left unanswered.
    func proceed(cursor startCursor: String?, page startPage: Int, pending: [StoredEvent]) throws -> RunSummary {
        var cursor = startCursor
        var page = startPage
        startReading()
        // Batches sent and never answered go again first, oldest first.
        for batch in pending { try reconcile(batch) }
        while true {
            try stopIfCancelled()
            page += 1
            try move(JobState(.fetching, page: page, batch: batchNumber))
            // Fetching can take long: the store says so while it does (and holds everything before).
            if cursor.flatMap({ readAhead?.isReady($0) }) != true { try flush() }
            let request = fetchRequest(cursor: cursor)
            var readHere = false
            let (fetched, mappedAhead): (SourcePage, PreparedPage?) = try attempt("fetching page \(page)", firstRecord: nil) {
                // The page read ahead, when it was for this cursor; a failed read-ahead is retried here.
                if !readHere, let cursor, let ahead = readAhead?.take(cursor) { return try ahead.get() }
                readHere = true
                return (try source.fetch(request), nil)
            }
            // Read here: the reading ahead (re)starts after this page.
            if readHere, let readAhead, let next = fetched.nextCursor { readAhead.start(at: next, number: page + 1) }
            crash("after-fetch")
            try move(JobState(.mapping, page: page, batch: batchNumber))
            // Mapped ahead, or here (and here again if a lookup failed while mapping ahead).
            var prepared = mappedAhead
            let sendable = try attempt("mapping page \(page)", firstRecord: nil) {
                try mapPage(fetched, prepared: prepared.take(), page: page, cursor: cursor)
            }
            lookups?.persist()
            crash("after-map")
            try move(JobState(.validating, page: page, batch: batchNumber))
            crash("after-validate")
            let done = fetched.nextCursor == nil
            marks.read(fetched, number: page)
            // The page's checkpoint waits for the answers to its records, whichever batches carry them.
            checkpoints.add(Checkpoint(page: page, cursor: cursor, next: fetched.nextCursor), sending: sendable.count)
            for record in sendable {
                for batch in buffer.add(record) { try dispatch(batch, page: page) }
            }
            // The last page sends what waits; so does every page when the next one's lookups must see it.
            // (Again while the buffer refills: the first drain of a run may decide its write path.)
            while done || flushEachPage, let rest = buffer.drain() { try dispatch(rest, page: page) }
            if flushEachPage { try finishInFlight() }
            try writeReadyCheckpoints()
            if done {
                try finish()
                return try summary()
            }
            cursor = fetched.nextCursor
        }
    }

    /// Sets up reading ahead for this run (its requests carry the run's `modifiedSince`).
    func startReading() {
        guard options.readAhead, readAhead == nil else { return }
        let request = fetchRequest(cursor: nil)
        let source = self.source
        readAhead = ReadAhead(depth: 2, preparer: aheadPreparer) { cursor in
            var next = request
            next.cursor = cursor
            return try source.fetch(next)
        }
    }

    func fetchRequest(cursor: String?) -> FetchRequest {
        FetchRequest(
            object: job.source.object, cursor: cursor, modifiedSince: modifiedSince, pageSize: job.pageSize,
            fields: mapping.inputFields.map(\.name))
    }

    /// Maps, validates and uploads one page that is already in hand, then completes the run.
    func processSinglePage(_ page: SourcePage, retrying: [RecordState]) throws -> RunSummary {
        try move(JobState(.fetching, page: 1, batch: 0))
        try move(JobState(.mapping, page: 1, batch: 0))
        let overrides = Dictionary(uniqueKeysWithValues: retrying.map { ($0.key, $0) })
        let sendable = try attempt("mapping the rejected records", firstRecord: nil) {
            try mapPage(page, page: 1, cursor: nil, overrides: overrides)
        }
        try move(JobState(.validating, page: 1, batch: 0))
        for batch in BatchBuffer.batches(sendable, maxRecords: buffer.maxRecords, maxBytes: buffer.maxBytes) {
            try dispatch(batch, page: 1)
        }
        try finish()
        return try summary()
    }

    // MARK: Mapping a page

    /// Maps a page (or takes it as mapped ahead) and records what became of each record; returns
    /// the records to send.
    func mapPage(
        _ fetched: SourcePage, prepared: PreparedPage? = nil, page: Int, cursor: String?, overrides: [String: RecordState] = [:]
    ) throws -> [Pending] {
        // A lookup that failed for a platform reason (not a data reason) fails the whole page, so
        // the caller retries, pauses or fails it instead of dead-lettering good records.
        if let failure = prepared?.lookupFailure { throw failure }
        let ahead = prepared.flatMap { $0.number == page && $0.records.count == fetched.records.count ? $0.records : nil }
        var frame: Frame?
        let ids = fetched.records.map(\.id)
        // A record read again while an older version of it waits in the buffer: that one goes out
        // first, and what the run did with it is read back below.
        if ids.contains(where: buffer.ids.contains), let waiting = buffer.drain() {
            try dispatch(waiting, page: page)
        }
        // What this run already did with a record must be on disk before it is read back.
        if ids.contains(where: unsettled.contains) {
            try finishInFlight()
            try writeReadyCheckpoints()
            try sync()
        }
        unsettled.formUnion(ids)
        let known = try store.syncStates(job: job.name, keys: ids)
        var batch = StoreBatch()
        batch.recordEvents.reserveCapacity(fetched.records.count * 2)
        var out: [Pending] = []
        var pageCounts = (skipped: 0, rejected: 0, unchanged: 0, mapped: 0)
        var delta = SyncCounts()
        for (index, rec) in fetched.records.enumerated() {
            let before = known[rec.id]
            let retry = overrides[rec.id]
            let prepared: PreparedRecord
            if retry == nil, let ahead {
                prepared = ahead[index]
            } else {
                if frame == nil { frame = preparer.makeFrame() }
                prepared = preparer.prepare(rec, page: page, frame: frame!, retry: retry)
            }
            let action = RecordDecision.decide(
                prepared.outcome, before: before, run: run, version: version, full: full, retrying: retry != nil)
            if case .alreadyDone = action { continue }
            if case .send(_, _, _, _, _, true) = action {} else { delta.fetched += 1 }
            batch.recordEvents.append(RecordEventRow(key: rec.id, kind: "fetched", payload: prepared.fetched))
            if let use = prepared.fixes {
                if !use.superseded.isEmpty {
                    batch.recordEvent(
                        rec.id, "fix_superseded",
                        .object([
                            ("fields", .array(use.superseded.map(JSONValue.string))),
                            ("reason", "the source record changed since the fix; its new values are used"),
                        ]))
                }
                if case .send = action, !use.outstanding.isEmpty { fixesSent[rec.id] = use } else { fixesSent[rec.id] = nil }
            }
            func base(_ status: String) -> RecordState {
                RecordState(key: rec.id, run: run, status: status, mappingVersion: version)
            }
            switch action {
            case .alreadyDone:
                break
            case .skip(let rule):
                delta.skipped += 1
                pageCounts.skipped += 1
                batch.recordEvent(rec.id, "skipped", .object([("rule", .string("skip when " + mapping.skipRules[rule]))]))
                batch.updates.append(RecordUpdate(state: base("skipped"), acknowledged: false))
            case .mappingFailed(let f):
                delta.rejected += 1
                pageCounts.rejected += 1
                var s = base("rejected")
                s.errorCode = f.code.rawValue
                s.error = f.message
                s.field = f.field ?? f.sourceField
                s.payload = .object([("source", rec.fields), ("stage", "mapping")])
                batch.recordEvent(
                    rec.id, "rejected",
                    .object([
                        ("stage", "mapping"), ("code", .string(f.code.rawValue)), ("message", .string(f.message)),
                        ("field", s.field.map(JSONValue.string) ?? .null),
                    ]))
                batch.updates.append(RecordUpdate(state: s, acknowledged: false))
            case .invalid(let values, let violations, let key):
                delta.rejected += 1
                pageCounts.rejected += 1
                let pairs = pairs(values)
                var s = base("rejected")
                s.errorCode = violations.first?.code.rawValue
                s.error = violations.map(\.message).joined(separator: "; ")
                s.field = violations.first?.field
                s.destinationKey = key
                s.payload = .object([("source", rec.fields), ("values", .object(pairs)), ("stage", "validation")])
                batch.recordEvent(
                    rec.id, "rejected",
                    .object([
                        ("stage", "validation"), ("code", s.errorCode.map(JSONValue.string) ?? .null), ("message", .string(s.error ?? "")),
                        ("field", s.field.map(JSONValue.string) ?? .null), ("values", .object(pairs)),
                    ]))
                batch.updates.append(RecordUpdate(state: s, acknowledged: false))
            case .unchanged(let hash, let key):
                delta.unchanged += 1
                pageCounts.unchanged += 1
                var s = base("unchanged")
                s.contentHash = hash
                s.destinationKey = key
                batch.recordEvent(rec.id, "unchanged", .object([("hash", .string(hash))]))
                batch.updates.append(RecordUpdate(state: s, acknowledged: false))
            case .stillRejected(let hash, let key):
                // The platform refused these very values: they stay a dead letter, not sent again.
                delta.rejected += 1
                pageCounts.rejected += 1
                var s = base("rejected")
                s.contentHash = hash
                s.destinationKey = key
                s.errorCode = before?.errorCode
                s.error = before?.error
                s.field = before?.field
                batch.recordEvent(
                    rec.id, "rejected",
                    .object([
                        ("stage", "destination"), ("code", before?.errorCode.map(JSONValue.string) ?? .null),
                        ("message", before?.error.map(JSONValue.string) ?? .null), ("field", before?.field.map(JSONValue.string) ?? .null),
                        ("resent", false),
                        (
                            "reason",
                            .string(
                                "the platform refused these values with this mapping in run \(before?.run ?? 0); not sent again unless the record or the mapping changes, or by mapc retry"
                            )
                        ),
                    ]))
                batch.updates.append(RecordUpdate(state: s, acknowledged: false))
            case .send(let values, let json, let hash, let key, let isNew, _):
                // Values the platform may refuse: sent, with a `warned` event naming them.
                if case .mapped(_, _, let found, _, _) = prepared.outcome, !found.isEmpty {
                    let list: [JSONValue] = found.warnings.map {
                        .object([("code", .string($0.code.rawValue)), ("field", .string($0.field)), ("message", .string($0.message))])
                    }
                    batch.recordEvent(rec.id, "warned", .object([("stage", "validation"), ("warnings", .array(list))]))
                }
                pageCounts.mapped += 1
                out.append(Pending(id: rec.id, key: key, hash: hash, values: values, json: json, page: page, isNew: isNew))
            }
        }
        if let failure = preparer.takeLookupFailure() { throw failure }
        let at = clock.timestamp()
        batch.event(
            "page_fetched",
            .object([
                ("page", .int(page)), ("cursor", cursor.map(JSONValue.string) ?? .null),
                ("next", fetched.nextCursor.map(JSONValue.string) ?? .null), ("records", .int(fetched.records.count)),
                ("toSend", .int(pageCounts.mapped)), ("skipped", .int(pageCounts.skipped)),
                ("rejected", .int(pageCounts.rejected)), ("unchanged", .int(pageCounts.unchanged)),
            ]), at: at)
        // Committed with the next write that must be durable (a batch's, or before a wait for a page).
        stage(batch, at: at)
        counts.fetched += delta.fetched
        counts.skipped += delta.skipped
        counts.rejected += delta.rejected
        counts.unchanged += delta.unchanged
        return out
    }

    /// Mapped values as destination field name and JSON value pairs.
    func pairs(_ values: [Value]) -> [(String, JSONValue)] {
        var out: [(String, JSONValue)] = []
        out.reserveCapacity(values.count)
        for (f, v) in zip(mapping.outputFields, values) { out.append((f.name, v.json)) }
        return out
    }
}
