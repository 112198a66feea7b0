import Foundation
import HTTPServer
import MapDSL

/// One Bulk API 2.0 ingest job held by the emulator.
struct IngestJob: Sendable {
    var id: String
    var object: String
    var operation: String
    var externalIdFieldName: String?
    var lineEnding: String
    var createdDate: Date
    var state: String
    /// Uploads received while the job was open (more than one makes the job fail when closed).
    var uploads: [Data] = []
    /// The upload's rows once read (header first).
    var header: [String] = []
    var rows: [[String]] = []
    var processed = 0
    /// Results by row: `(sf__Id, created)` for a success, the `sf__Error` text for a failure.
    var outcomes: [RowOutcome] = []
    var errorMessage: String?

    enum RowOutcome: Sendable {
        case success(id: String, created: Bool)
        case failure(id: String, error: String)
    }

    var failed: Int {
        outcomes.count { if case .failure = $0 { true } else { false } }
    }

    /// `GET /jobs/ingest/{id}`: the JobInfo fields.
    func info(version: String) -> JSONValue {
        var fields: [String: JSONValue] = [
            "id": .string(id), "object": .string(object), "operation": .string(operation), "state": .string(state),
            "createdById": "005Sb0000000001", "createdDate": .string(Timestamps.salesforce(createdDate)),
            "systemModstamp": .string(Timestamps.salesforce(createdDate)), "concurrencyMode": "Parallel", "contentType": "CSV",
            "apiVersion": .number(Double(version.dropFirst()) ?? 59), "jobType": "V2Ingest", "lineEnding": .string(lineEnding),
            "columnDelimiter": "COMMA", "numberRecordsProcessed": .number(Double(processed)),
            "numberRecordsFailed": .number(Double(failed)), "retries": 0, "totalProcessingTime": 0,
            "contentUrl": .string("services/data/\(version)/jobs/ingest/\(id)/batches"),
        ]
        if let externalIdFieldName { fields["externalIdFieldName"] = .string(externalIdFieldName) }
        if let errorMessage { fields["errorMessage"] = .string(errorMessage) }
        return .object(fields)
    }
}

/// Salesforce Bulk API 2.0 ingest: create a job, upload its CSV once, close it with
/// `UploadComplete`, poll it, read `successfulResults/`, `failedResults/` and `unprocessedrecords/`.
///
/// Operations `insert`, `update`, `upsert` and `delete`. Records are checked against the object's
/// schema as sObject Collections checks them, and errors come back as `sf__Error` text
/// `CODE:message:fields --`. A job is processed ``BulkFaults/recordsPerPoll`` records per status
/// request (see ``BulkFaults``). A second upload into an open job is accepted, and the job then
/// fails when closed, as the platform reports multiple contents for one job (the exact text is
/// unconfirmed).
extension SalesforceEmulator {
    static let maxBulkRecords = 10_000_000

    func registerBulk(on router: inout Router) {
        let base = "/services/data/:version/jobs/ingest"
        router.add("POST", base) { [self] request in createJob(request) }
        router.add("GET", base) { [self] request in listJobs(request) }
        router.add("GET", base + "/:jobId") { [self] request in jobInfo(request) }
        router.add("PATCH", base + "/:jobId") { [self] request in changeJob(request) }
        router.add("DELETE", base + "/:jobId") { [self] request in deleteJob(request) }
        router.add("PUT", base + "/:jobId/batches") { [self] request in upload(request) }
        router.add("GET", base + "/:jobId/successfulResults") { [self] request in results(request, .successful) }
        router.add("GET", base + "/:jobId/failedResults") { [self] request in results(request, .failed) }
        router.add("GET", base + "/:jobId/unprocessedrecords") { [self] request in results(request, .unprocessed) }
    }

    private var notFound: Response { error(404, "NOT_FOUND", "The requested resource does not exist") }

    private func createJob(_ request: Request) -> Response {
        guard let body = request.jsonBody, case .object = body else {
            return error(400, "JSON_PARSER_ERROR", "The request body is not valid JSON")
        }
        guard let object = body["object"]?.stringValue, knows(object) else {
            return error(400, "INVALIDJOB", "InvalidJob : Invalid object: \(body["object"]?.stringValue ?? "")")
        }
        let operation = body["operation"]?.stringValue ?? ""
        guard ["insert", "update", "upsert", "delete", "hardDelete"].contains(operation) else {
            return error(400, "INVALIDJOB", "InvalidJob : Invalid operation: \(operation)")
        }
        let external = body["externalIdFieldName"]?.stringValue
        if operation == "upsert" {
            guard let external else {
                return error(
                    400, "INVALIDJOB", "InvalidJob : External ID was blank for \(object). An External ID must be specified for upsert.")
            }
            if external != "Id", let schema = context.schemas[object], schema.field(external)?.externalId != true {
                return error(
                    400, "INVALIDJOB", "InvalidJob : Field name provided, \(external) is not an External ID or indexed field for \(object)")
            }
        }
        if let type = body["contentType"]?.stringValue, type != "CSV" {
            return error(400, "INVALIDJOB", "InvalidJob : Unsupported content type: \(type)")
        }
        if let delimiter = body["columnDelimiter"]?.stringValue, delimiter != "COMMA" {
            return error(400, "INVALIDJOB", "InvalidJob : the sandbox reads COMMA-delimited data only, not \(delimiter)")
        }
        let ending = body["lineEnding"]?.stringValue ?? "LF"
        guard ending == "LF" || ending == "CRLF" else {
            return error(400, "INVALIDJOB", "InvalidJob : Invalid lineEnding: \(ending)")
        }
        let version = request.parameter("version") ?? "v59.0"
        let job = ingestJobs.withLock { jobs -> IngestJob in
            let number = jobs.count + ingestRetired.withLock { $0 } + 1
            let id = "750" + String(repeating: "0", count: max(0, 12 - String(number).count)) + String(number) + "AAA"
            let job = IngestJob(
                id: id, object: object, operation: operation, externalIdFieldName: operation == "upsert" ? external : nil,
                lineEnding: ending, createdDate: context.clock(), state: "Open")
            jobs.append(job)
            return job
        }
        return .json(job.info(version: version))
    }

    private func listJobs(_ request: Request) -> Response {
        let version = request.parameter("version") ?? "v59.0"
        let infos = ingestJobs.withLock { $0.map { $0.info(version: version) } }
        return .json(["done": true, "records": .array(infos), "nextRecordsUrl": .null])
    }

    /// Runs `body` on the job named in the path; 404 when there is none.
    private func withJob(_ request: Request, _ body: (inout IngestJob) -> Response) -> Response {
        let id = request.parameter("jobId") ?? ""
        return ingestJobs.withLock { jobs in
            guard let i = jobs.firstIndex(where: { $0.id == id }) else { return notFound }
            return body(&jobs[i])
        }
    }

    private func jobInfo(_ request: Request) -> Response {
        let failPoll = bulkFaults.withLock { faults -> Bool in
            guard faults.pollFailures > 0 else { return false }
            faults.pollFailures -= 1
            return true
        }
        if failPoll { return serverError(status: 503) }
        let version = request.parameter("version") ?? "v59.0"
        return withJob(request) { job in
            process(&job)
            return .json(job.info(version: version))
        }
    }

    private func changeJob(_ request: Request) -> Response {
        let wanted = request.jsonBody?["state"]?.stringValue ?? ""
        let version = request.parameter("version") ?? "v59.0"
        return withJob(request) { job in
            switch wanted {
            case "UploadComplete":
                guard job.state == "Open" else {
                    return error(409, "INVALIDJOBSTATE", "Job \(job.id) is not open: \(job.state)")
                }
                job.state = "UploadComplete"
                if job.uploads.count > 1 {
                    job.state = "Failed"
                    job.errorMessage =
                        "Found multiple contents for job: <\(job.id)>, please 'Close' / 'Abort' / 'Delete' the current Job then create a new Job and make sure you only do 'PUT' once on a given Job."
                } else if let data = job.uploads.first {
                    do throws(BulkCSVReader.Malformed) {
                        let rows = try BulkCSVReader.rows(data, crlf: job.lineEnding == "CRLF", maxRows: Self.maxBulkRecords)
                        job.header = rows.first ?? []
                        job.rows = Array(rows.dropFirst())
                    } catch {
                        job.state = "Failed"
                        job.errorMessage = "InvalidBatch : \(error.message)"
                    }
                }
            case "Aborted":
                guard !["JobComplete", "Failed", "Aborted"].contains(job.state) else {
                    return error(409, "INVALIDJOBSTATE", "Job \(job.id) is already \(job.state)")
                }
                job.state = "Aborted"
            default:
                return error(400, "INVALIDJOBSTATE", "Invalid state: \(wanted)")
            }
            return .json(job.info(version: version))
        }
    }

    private func deleteJob(_ request: Request) -> Response {
        let id = request.parameter("jobId") ?? ""
        let removed = ingestJobs.withLock { jobs -> Bool in
            guard let i = jobs.firstIndex(where: { $0.id == id }) else { return false }
            jobs.remove(at: i)
            return true
        }
        if removed { ingestRetired.withLock { $0 += 1 } }
        return removed ? .empty() : notFound
    }

    private func upload(_ request: Request) -> Response {
        withJob(request) { job in
            guard job.state == "Open" else {
                return error(409, "INVALIDJOBSTATE", "Job \(job.id) is not open for uploads: \(job.state)")
            }
            job.uploads.append(request.body)
            return .empty(status: 201)
        }
    }

    /// Processes up to one poll's worth of the job's records, and fails it where the faults say.
    private func process(_ job: inout IngestJob) {
        guard job.state == "UploadComplete" || job.state == "InProgress" else { return }
        let faults = bulkFaults.withLock { $0 }
        job.state = "InProgress"
        var end = min(job.rows.count, job.processed + faults.recordsPerPoll)
        var failsHere = false
        if let limit = faults.failAfterRecords, limit < end {
            end = max(job.processed, limit)
            failsHere = true
        }
        if end > job.processed {
            let range = job.processed..<end
            let outcomes = store.transaction { tables in apply(job, rows: range, in: &tables) }
            job.outcomes.append(contentsOf: outcomes)
            job.processed = end
        }
        if failsHere {
            job.state = "Failed"
            job.errorMessage = "InternalServerError : the sandbox failed this job after \(end) records"
        } else if job.processed == job.rows.count {
            job.state = "JobComplete"
        }
    }

    /// Writes rows `range` of the job's upload to the records, one outcome per row.
    private func apply(_ job: IngestJob, rows range: Range<Int>, in tables: inout RecordTables) -> [IngestJob.RowOutcome] {
        let object = job.object
        let schema = context.schemas[object]
        let keyColumn: String = job.operation == "upsert" ? (job.externalIdFieldName ?? "Id") : "Id"
        let k = job.header.firstIndex(of: keyColumn)
        // Columns written: every column but the key when it is Id.
        let written = job.header.enumerated().filter { !($0.element == "Id") }.map(\.offset)
        let names = written.map { job.header[$0] }
        let checks = schema.map { schema in
            FieldChecks(columns: names, schema: schema, column: { name in names.firstIndex(of: name) })
        }
        var slots = [Int?](repeating: nil, count: names.count)
        var keyCounts: [String: Int] = [:]
        if let k {
            for row in job.rows[range] where k < row.count { keyCounts[row[k].lowercased(), default: 0] += 1 }
        }
        func failure(_ code: String, _ message: String, _ fields: [String]) -> IngestJob.RowOutcome {
            .failure(id: "", error: "\(code):\(message):\(fields.joined(separator: ",")) --")
        }
        var out: [IngestJob.RowOutcome] = []
        out.reserveCapacity(range.count)
        for row in job.rows[range] {
            guard let k, k < row.count, !row[k].isEmpty else {
                out.append(failure("MISSING_ARGUMENT", "\(keyColumn) not specified", [keyColumn]))
                continue
            }
            let key = row[k]
            if keyCounts[key.lowercased(), default: 0] > 1 {
                out.append(failure("DUPLICATE_EXTERNAL_ID", "Duplicate external id specified: \(key)", [keyColumn]))
                continue
            }
            let existing: StoredRecord?
            if keyColumn == "Id" {
                existing = tables.record(object, id: key)
            } else {
                let matches = tables.find(object, field: keyColumn, value: key, caseInsensitive: true)
                if matches.count > 1 {
                    out.append(failure("DUPLICATE_EXTERNAL_ID", "\(keyColumn): more than one record found for \(key)", [keyColumn]))
                    continue
                }
                existing = matches.first
            }
            if job.operation == "delete" || job.operation == "hardDelete" {
                out.append(
                    existing == nil
                        ? failure("ENTITY_IS_DELETED", "entity is deleted", [])
                        : failure("INSUFFICIENT_ACCESS", "the sandbox does not delete records", []))
                continue
            }
            if existing == nil && (job.operation == "update" || keyColumn == "Id" && job.operation == "upsert") {
                out.append(failure("INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id", ["Id"]))
                continue
            }
            if existing != nil && job.operation == "insert" {
                out.append(
                    failure(
                        "DUPLICATE_VALUE", "duplicate value found: \(keyColumn) duplicates value on record with id: \(existing!.id)",
                        [keyColumn]))
                continue
            }
            // Cells as values: empty leaves the field alone, #N/A sets null, the schema's type decides the rest.
            var values = [JSONValue?](repeating: nil, count: names.count)
            for (i, column) in written.enumerated() where column < row.count {
                let cell = row[column]
                if cell.isEmpty { continue }
                values[i] = cell == "#N/A" ? .null : Self.typed(cell, schema?.field(names[i]))
            }
            let issues = checks?.validate(values, creating: existing == nil) ?? []
            if !issues.isEmpty {
                var byName: [String: JSONValue] = [:]
                for (i, v) in values.enumerated() { if let v { byName[names[i]] = v } }
                let first = Self.describe(issues, fields: byName, object: object)[0]
                out.append(failure(first.code, first.message, first.fields))
                continue
            }
            var slotted: [(slot: Int, value: JSONValue)] = []
            for (i, value) in values.enumerated() {
                guard let value else { continue }
                if slots[i] == nil { slots[i] = tables.slot(of: names[i], in: object) }
                slotted.append((slots[i]!, value))
            }
            let now = context.clock()
            if let existing {
                tables.update(object, id: existing.id, values: slotted, at: now)
                out.append(.success(id: existing.id, created: false))
            } else {
                let id = Self.makeID(object, tables.nextSequence())
                tables.insert(id: id, values: slotted, createdAt: now, updatedAt: now, into: object)
                out.append(.success(id: id, created: true))
            }
        }
        return out
    }

    /// A CSV cell as the value the field's type reads it as (text when the type does not take it).
    static func typed(_ cell: String, _ field: FieldSpec?) -> JSONValue {
        switch field?.kind {
        case .int?, .decimal?: Double(cell).map(JSONValue.number) ?? .string(cell)
        case .bool?:
            switch cell.lowercased() {
            case "true", "1": .bool(true)
            case "false", "0": .bool(false)
            default: .string(cell)
            }
        default: .string(cell)
        }
    }

    enum ResultFile { case successful, failed, unprocessed }

    private func results(_ request: Request, _ file: ResultFile) -> Response {
        withJob(request) { job in
            guard ["JobComplete", "Failed", "Aborted"].contains(job.state) else {
                return error(409, "INVALIDJOBSTATE", "Job \(job.id) has no results yet: \(job.state)")
            }
            var rows: [[String]] = []
            switch file {
            case .successful:
                rows.append(["sf__Id", "sf__Created"] + job.header)
                var listed = job.outcomes.indices.filter { if case .success = job.outcomes[$0] { true } else { false } }
                let partial = bulkFaults.withLock { faults -> Bool in
                    guard faults.partialResults > 0 else { return false }
                    faults.partialResults -= 1
                    return true
                }
                if partial { listed = Array(listed.prefix(listed.count / 2)) }
                for i in listed {
                    guard case .success(let id, let created) = job.outcomes[i] else { continue }
                    rows.append([id, created ? "true" : "false"] + job.rows[i])
                }
            case .failed:
                rows.append(["sf__Id", "sf__Error"] + job.header)
                for (i, outcome) in job.outcomes.enumerated() {
                    guard case .failure(let id, let text) = outcome else { continue }
                    rows.append([id, text] + job.rows[i])
                }
            case .unprocessed:
                rows.append(job.header)
                // An aborted or failed job never read some rows; a job that failed before reading
                // its upload has all of them unread.
                if job.rows.isEmpty, let data = job.uploads.first,
                    let all = try? BulkCSVReader.rows(data, crlf: job.lineEnding == "CRLF", maxRows: Self.maxBulkRecords)
                {
                    rows = all
                } else {
                    for row in job.rows[job.processed...] { rows.append(row) }
                }
            }
            return Response(
                status: 200, headerFields: [(name: "Content-Type", value: "text/csv")], body: BulkCSVReader.write(rows))
        }
    }

    func bulkJobs() -> [BulkJobSummary] {
        ingestJobs.withLock { jobs in
            jobs.map {
                BulkJobSummary(id: $0.id, state: $0.state, records: $0.rows.count, processed: $0.processed, uploads: $0.uploads.count)
            }
        }
    }

    func expireBulkJobs() {
        let n = ingestJobs.withLock { jobs -> Int in
            defer { jobs.removeAll() }
            return jobs.count
        }
        ingestRetired.withLock { $0 += n }
    }
}
