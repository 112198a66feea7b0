import Foundation
import MapDSL

/// The bulk path of a run: the destination's bulk API, its limits, and how long polls may wait.
struct BulkRoute {
    let writer: any BulkWriter
    let limits: BulkLimits
    let pollCap: Double
}

/// A run's write path while it runs.
struct WritePathState {
    /// Set when records go through bulk jobs.
    var route: BulkRoute?
    /// Set while the choice waits for the threshold's worth of records (or the end of the read).
    var deferred: DeferredPath?
}

/// A choice of path still to make, and what each side needs.
struct DeferredPath {
    let route: BulkRoute
    let threshold: Int
    let jobRecords: Int
    /// The REST batches' buffer, taken back if the run stays small.
    let restBuffer: BatchBuffer
}

/// One bulk job of a batch as the run's events tell it (a resumed run follows it again).
struct RecordedBulkJob {
    /// The platform's id (nil: submitted with its data and the answer never recorded).
    var id: String?
    /// 1 for the batch's first job; later ones carry the records earlier ones left unprocessed.
    var attempt: Int
    /// The destination keys of its records (nil: every record of the batch).
    var keys: Set<String>?
    var records: Int
    var uploaded = false
    var closed = false
    /// When its records were submitted (``BulkStyle/submitWithData``).
    var submittedAt: String?
}

/// What one bulk job did with its records.
struct BulkOutcome {
    var results: [WriteResult]
    /// Keys the job did not process (or whose results never came): sent again in another job.
    var unprocessed: [String]
    /// The platform lost the job: its records may or may not have been written.
    var lost: Bool
}

/// The bulk events of a run, in the order they are written for one job: `bulk_submitting` (data
/// sent with the create request only), `bulk_job` (the id, before any record is uploaded),
/// `bulk_uploaded`, `bulk_closed`, `bulk_job_state` (each change), `bulk_results_partial`, and
/// `bulk_job_done` or `bulk_job_gone`.
extension SyncRunner {
    static let bulkEventTypes = [
        "bulk_submitting", "bulk_job", "bulk_uploaded", "bulk_closed", "bulk_job_state", "bulk_job_done", "bulk_job_gone",
    ]

    var bulkWriter: (any BulkWriter)? { destination as? any BulkWriter }

    // MARK: Choosing the path

    /// Chooses the run's write path and records it with the reason (event `write_path`); on the
    /// bulk path a batch is one bulk job's worth of records.
    func chooseWritePath() throws {
        let settings = try job.bulkSettings()
        let writer = bulkWriter
        let limits = writer?.bulkLimits(object: job.destination.object, mode: job.mode)
        let refusal = writer?.bulkRefusal(object: job.destination.object, keyField: keyField, mode: job.mode)
        var used = 0
        if let limits, limits.dailyBatches != nil {
            used = try store.bulkBatchesUsed(platform: job.destination.platform, since: dayAgo(), internalBatch: limits.internalBatch)
        }
        let decision = WritePathDecision.decide(
            settings: settings, override: options.writePath, limits: limits, refusal: refusal, expected: total,
            flushEachPage: flushEachPage, batchesUsed: used)
        if decision.deferred, let writer, let limits {
            let route = BulkRoute(writer: writer, limits: limits, pollCap: settings.pollSeconds)
            writePath.deferred = DeferredPath(
                route: route, threshold: settings.threshold, jobRecords: decision.jobRecords, restBuffer: buffer)
            // Nothing goes out before the threshold's worth of records waits (or the read ends).
            buffer = BatchBuffer(maxRecords: settings.threshold, maxBytes: limits.maxUploadBytes)
            return
        }
        var payload: [(String, JSONValue)] = [("path", decision.bulk ? "bulk" : "rest"), ("reason", .string(decision.reason))]
        if let total { payload.append(("expected", .int(total))) }
        if decision.bulk, let writer, let limits {
            payload += [("api", .string(limits.name)), ("jobRecords", .int(decision.jobRecords))]
            useBulk(BulkRoute(writer: writer, limits: limits, pollCap: settings.pollSeconds), jobRecords: decision.jobRecords)
        }
        try record("write_path", .object(payload))
    }

    /// The first batch of a run whose path waits: the threshold's worth of records (bulk: they
    /// wait again, in a buffer as large as a job), or fewer, when the read ended or a record came
    /// again (REST: sent now in REST batches). Records the path and why; false when the path was
    /// decided already.
    func decideDeferredPath(_ batch: [Pending], page: Int) throws -> Bool {
        guard let pending = writePath.deferred else { return false }
        writePath.deferred = nil
        let records = batch + buffer.records
        let name = pending.route.limits.name
        if records.count >= pending.threshold {
            try record(
                "write_path",
                .object([
                    ("path", "bulk"),
                    (
                        "reason",
                        .string(
                            "\(name): \(records.count) records waited to be sent before the first write, at or above the bulk threshold of \(pending.threshold); up to \(pending.jobRecords) records per job"
                        )
                    ), ("api", .string(name)), ("jobRecords", .int(pending.jobRecords)),
                ]))
            useBulk(pending.route, jobRecords: pending.jobRecords)
            // They wait for the rest of the job (the end of the read drains the buffer again).
            for r in records {
                for ready in buffer.add(r) { try dispatch(ready, page: page) }
            }
        } else {
            try record(
                "write_path",
                .object([
                    ("path", "rest"),
                    (
                        "reason",
                        .string(
                            "REST batches: \(records.count) records to send in this run, below the bulk threshold of \(pending.threshold)")
                    ),
                ]))
            buffer = pending.restBuffer
            for ready in BatchBuffer.batches(records, maxRecords: buffer.maxRecords, maxBytes: buffer.maxBytes) {
                try dispatch(ready, page: page)
            }
        }
        return true
    }

    /// Takes the path the run chose when it started (a resumed run); a run stopped before it chose
    /// chooses again.
    func restoreWritePath() throws {
        guard let chosen = try store.lastEvent(run: run, types: ["write_path"]) else { return try chooseWritePath() }
        guard chosen.payload["path"]?.stringValue == "bulk", let writer = bulkWriter else { return }
        let limits = writer.bulkLimits(object: job.destination.object, mode: job.mode)
        let jobRecords = chosen.payload["jobRecords"]?.intValue ?? limits.maxRecords
        useBulk(BulkRoute(writer: writer, limits: limits, pollCap: try job.bulkSettings().pollSeconds), jobRecords: jobRecords)
    }

    private func useBulk(_ route: BulkRoute, jobRecords: Int) {
        writePath.route = route
        buffer = BatchBuffer(maxRecords: max(1, min(jobRecords, route.limits.maxRecords)), maxBytes: route.limits.maxUploadBytes)
    }

    private func dayAgo() -> String {
        let now = Dates.parseISODateTime(Substring(clock.timestamp())) ?? 0
        return Dates.formatDateTime(now - 86_400_000)
    }

    /// The bulk route batch `batch` takes: the run's, or for a batch that an earlier process of
    /// this run sent in bulk, the destination's (whatever this process chose).
    func bulkRoute(forBatch batch: Int, inDoubt: Bool) throws -> BulkRoute? {
        if let route = writePath.route { return route }
        guard inDoubt, let writer = bulkWriter, !(try recordedBulkJobs(batch: batch)).isEmpty else { return nil }
        return BulkRoute(
            writer: writer, limits: writer.bulkLimits(object: job.destination.object, mode: job.mode),
            pollCap: try job.bulkSettings().pollSeconds)
    }

    // MARK: Sending a batch in bulk

    /// Writes a batch through bulk jobs: first following the jobs an earlier process of the run
    /// recorded for it (never creating a second one for records a job holds), then a new job for
    /// the records no job processed, up to the job's retries; records still unprocessed become
    /// transient dead letters. The answers are recorded as any batch's.
    func sendInBulk(_ records: [Outbound], batch: Int, route: BulkRoute, inDoubt: Bool) throws {
        try sync()
        var byKey: [String: WriteResult] = [:]
        var pending = records
        var lost = false
        var attempts = 0
        func take(_ outcome: BulkOutcome) {
            for r in outcome.results { byKey[r.key] = r }
            pending.removeAll { byKey[$0.key] != nil }
            lost = lost || outcome.lost
        }
        if inDoubt {
            for var recorded in try recordedBulkJobs(batch: batch) {
                attempts = max(attempts, recorded.attempt)
                let subset = recorded.keys.map { keys in pending.filter { keys.contains($0.key) } } ?? pending
                guard !subset.isEmpty else { continue }
                take(try follow(&recorded, subset, batch: batch, route: route))
            }
        }
        let lastAttempt = attempts + max(1, job.retries)
        while !pending.isEmpty && attempts < lastAttempt {
            attempts += 1
            var started = try startBulkJob(pending, batch: batch, attempt: attempts, route: route)
            take(try follow(&started, pending, batch: batch, route: route))
        }
        for r in pending {
            byKey[r.key] = WriteResult(
                key: r.key, status: .rejected, errorCode: "BULK_UNPROCESSED",
                message:
                    "\(route.limits.name) did not process this record in \(attempts) jobs; it is sent again by the next run or mapc retry",
                transient: true)
        }
        try settle(records, batch: batch, results: Array(byKey.values), inDoubt: inDoubt || lost)
    }

    /// Creates a job for `records` and hands it their data. The job's id is durable in the store
    /// before any record leaves (``BulkStyle/createThenUpload``); when the data goes with the
    /// create request, the submission is durable first and the id right after.
    func startBulkJob(_ records: [Outbound], batch: Int, attempt: Int, route: BulkRoute) throws -> RecordedBulkJob {
        let request = request(records)
        let writer = route.writer
        let name = route.limits.name
        var started = RecordedBulkJob(attempt: attempt, records: records.count)
        var payload: [(String, JSONValue)] = [
            ("batch", .int(batch)), ("attempt", .int(attempt)), ("records", .int(records.count)), ("api", .string(name)),
        ]
        if attempt > 1 {
            payload.append(("keys", .array(records.map { .string($0.key) })))
            started.keys = Set(records.map(\.key))
        }
        switch route.limits.style {
        case .createThenUpload:
            let id = try self.attempt("creating a \(name) job for batch \(batch)", firstRecord: records.first?.id) {
                try writer.createBulkJob(request)
            }
            started.id = id
            try record("bulk_job", .object(payload + [("job", .string(id))]))
            try sync()
            try noteBulkJob(id, batch: batch, attempt: attempt, records: records.count, state: "created")
            crash("bulk-created")
            try upload(&started, request, batch: batch, route: route)
            try close(&started, batch: batch, route: route)
        case .submitWithData:
            try record("bulk_submitting", .object(payload))
            try sync()
            started.submittedAt = try store.lastEvent(run: run, types: ["bulk_submitting"])?.at ?? clock.timestamp()
            crash("bulk-submitting")
            let id = try self.attempt("submitting a \(name) job for batch \(batch)", firstRecord: records.first?.id) {
                try writer.submitBulkJob(request)
            }
            crash("bulk-submitted")
            started.id = id
            started.uploaded = true
            started.closed = true
            try record("bulk_job", .object(payload + [("job", .string(id)), ("uploaded", true)]))
            try sync()
            try noteBulkJob(id, batch: batch, attempt: attempt, records: records.count, state: "running")
        }
        return started
    }

    private func upload(_ j: inout RecordedBulkJob, _ request: WriteRequest, batch: Int, route: BulkRoute) throws {
        guard let id = j.id else { return }
        try attempt("uploading \(request.records.count) records to \(route.limits.name) job \(id)", firstRecord: nil) {
            try route.writer.uploadBulkJob(id, request)
        }
        j.uploaded = true
        try record("bulk_uploaded", .object([("batch", .int(batch)), ("job", .string(id)), ("records", .int(request.records.count))]))
        try sync()
        try noteBulkJob(id, batch: batch, attempt: j.attempt, records: j.records, state: "uploaded")
        crash("bulk-uploaded")
    }

    private func close(_ j: inout RecordedBulkJob, batch: Int, route: BulkRoute) throws {
        guard let id = j.id else { return }
        try attempt("closing the upload of \(route.limits.name) job \(id)", firstRecord: nil) { try route.writer.closeBulkJob(id) }
        j.closed = true
        try record("bulk_closed", .object([("batch", .int(batch)), ("job", .string(id))]))
        try noteBulkJob(id, batch: batch, attempt: j.attempt, records: j.records, state: "closed")
    }

    /// Follows a job until it is over and reads its results: uploads and closes it first if the
    /// run stopped before, polls with a growing wait (``BulkPoll``), asks again for results that
    /// are not complete yet, and treats a job the platform lost as unprocessed.
    func follow(_ j: inout RecordedBulkJob, _ records: [Outbound], batch: Int, route: BulkRoute) throws -> BulkOutcome {
        let writer = route.writer
        let name = route.limits.name
        let request = request(records)
        let everything = BulkOutcome(results: [], unprocessed: records.map(\.key), lost: true)
        if j.id == nil, let submittedAt = j.submittedAt {
            // Submitted with its data, the answer never recorded: the platform's list of jobs says.
            // Jobs the run recorded (for other batches) are not this one.
            let known = Set(try store.events(types: ["bulk_job"], run: run).compactMap { $0.payload["job"]?.stringValue })
            let found = try attempt("looking for the \(name) job of batch \(batch)", firstRecord: nil) {
                try writer.findBulkJob(submittedAfter: submittedAt, operations: records.count, excluding: known)
            }
            guard let found else {
                try record(
                    "bulk_job_gone",
                    .object([
                        ("batch", .int(batch)), ("records", .int(records.count)),
                        ("reason", "no job submitted then with these records is on the platform"),
                    ]))
                return everything
            }
            j.id = found
            j.uploaded = true
            j.closed = true
            try record(
                "bulk_job",
                .object([
                    ("batch", .int(batch)), ("attempt", .int(j.attempt)), ("records", .int(records.count)), ("api", .string(name)),
                    ("job", .string(found)), ("uploaded", true), ("found", true),
                ]))
        }
        guard let id = j.id else { return everything }
        var polls = 0
        var last = ""
        while true {
            let state = try attempt("asking for \(name) job \(id)", firstRecord: nil) { try writer.bulkJobState(id) }
            if state.word != last {
                last = state.word
                var payload: [(String, JSONValue)] = [("batch", .int(batch)), ("job", .string(id)), ("state", .string(state.word))]
                if case .running(let processed) = state { payload.append(("processed", .int(processed))) }
                try record("bulk_job_state", .object(payload))
                try noteBulkJob(id, batch: batch, attempt: j.attempt, records: j.records, state: state.word)
            }
            switch state {
            case .open:
                if !j.uploaded { try upload(&j, request, batch: batch, route: route) }
                try close(&j, batch: batch, route: route)
            case .running:
                polls += 1
                report()
                crash("bulk-polling")
                try waitOut(BulkPoll.delay(poll: polls, cap: route.pollCap, unit: clock.random()), for: "bulk job \(id)", announce: false)
            case .gone:
                try record(
                    "bulk_job_gone",
                    .object([
                        ("batch", .int(batch)), ("job", .string(id)), ("records", .int(records.count)),
                        ("reason", "the platform no longer knows the job (deleted after its retention, or never created)"),
                    ]))
                return everything
            case .finished, .failed, .aborted:
                return try collect(id, state: state, records, request, batch: batch, route: route)
            }
        }
    }

    /// Reads a finished job's results, asking again (a few times, with a wait) while the
    /// platform's result files do not yet list every record.
    private func collect(
        _ id: String, state: BulkJobState, _ records: [Outbound], _ request: WriteRequest, batch: Int, route: BulkRoute
    ) throws -> BulkOutcome {
        var tries = 0
        var results: BulkJobResults
        while true {
            tries += 1
            results = try attempt("reading the results of \(route.limits.name) job \(id)", firstRecord: nil) {
                try route.writer.bulkJobResults(id, request)
            }
            if results.complete || tries > max(1, job.retries) { break }
            try record(
                "bulk_results_partial",
                .object([
                    ("batch", .int(batch)), ("job", .string(id)), ("results", .int(results.results.count + results.unprocessed.count)),
                    ("records", .int(records.count)), ("try", .int(tries)),
                ]))
            try waitOut(BulkPoll.delay(poll: tries, cap: route.pollCap, unit: clock.random()), for: "bulk job \(id)", announce: false)
        }
        // A record no result file lists is sent again (by key: harmless if it was written).
        var answered = Set(results.unprocessed)
        for r in results.results { answered.insert(r.key) }
        let missing = records.map(\.key).filter { !answered.contains($0) }
        var payload: [(String, JSONValue)] = [
            ("batch", .int(batch)), ("job", .string(id)), ("state", .string(state.word)),
            ("created", .int(results.results.count { $0.status == .created })),
            ("updated", .int(results.results.count { $0.status == .updated })),
            ("rejected", .int(results.results.count { $0.status == .rejected })), ("unprocessed", .int(results.unprocessed.count)),
        ]
        if !missing.isEmpty { payload.append(("missing", .int(missing.count))) }
        if case .failed(_, let message) = state { payload.append(("message", .string(message))) }
        try record("bulk_job_done", .object(payload))
        return BulkOutcome(results: results.results, unprocessed: results.unprocessed + missing, lost: false)
    }

    /// The bulk jobs this run's events record for `batch`, in the order they were started.
    func recordedBulkJobs(batch: Int) throws -> [RecordedBulkJob] {
        var jobs: [RecordedBulkJob] = []
        for e in try store.events(types: Self.bulkEventTypes, run: run) where e.payload["batch"]?.intValue == batch {
            let id = e.payload["job"]?.stringValue
            func index() -> Int? { id.flatMap { id in jobs.lastIndex { $0.id == id } } }
            switch e.type {
            case "bulk_submitting", "bulk_job":
                let attempt = e.payload["attempt"]?.intValue ?? 1
                let keys = e.payload["keys"]?.arrayValue.map { Set($0.compactMap(\.stringValue)) }
                if e.type == "bulk_job", let i = jobs.lastIndex(where: { $0.attempt == attempt && $0.id == nil }) {
                    jobs[i].id = id
                    jobs[i].uploaded = true
                    jobs[i].closed = true
                } else {
                    var j = RecordedBulkJob(id: id, attempt: attempt, keys: keys, records: e.payload["records"]?.intValue ?? 0)
                    if e.type == "bulk_submitting" { j.submittedAt = e.at }
                    if e.payload["uploaded"]?.boolValue == true {
                        j.uploaded = true
                        j.closed = true
                    }
                    jobs.append(j)
                }
            case "bulk_uploaded": if let i = index() { jobs[i].uploaded = true }
            case "bulk_closed": if let i = index() { jobs[i].closed = true }
            default: break
            }
        }
        return jobs
    }

    private func noteBulkJob(_ id: String, batch: Int, attempt: Int, records: Int, state: String) throws {
        let at = clock.timestamp()
        try store.noteBulkJob(
            BulkJobRow(
                platform: job.destination.platform, jobID: id, job: job.name, run: run, batch: batch, attempt: attempt,
                records: records, state: state, createdAt: at, updatedAt: at))
    }
}
