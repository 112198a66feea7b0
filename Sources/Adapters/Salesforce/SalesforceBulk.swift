import Foundation
import MapDSL
import SyncEngine

/// Salesforce Bulk API 2.0 ingest: `POST /jobs/ingest` creates an empty job, `PUT
/// /jobs/ingest/{id}/batches` uploads its CSV (once, at most 150 MB after base64, so about 100 MB
/// raw), `PATCH /jobs/ingest/{id}` with `UploadComplete` starts processing, `GET /jobs/ingest/{id}`
/// tells the state (`Open`, `UploadComplete`, `InProgress`, `JobComplete`, `Failed`, `Aborted`), and
/// `successfulResults/` (`sf__Id`, `sf__Created`), `failedResults/` (`sf__Id`, `sf__Error`) and
/// `unprocessedrecords/` give every record's outcome as CSV, each row with the columns uploaded.
///
/// Operations: `upsert` by an external id (or `Id`) and `update` by `Id` (mapc's update-only
/// mode). Insert-only is refused: a record
/// in a job the platform lost could not be sent again without risking a second copy.
extension SalesforceAdapter: BulkWriter {
    /// Salesforce processes a job's records in internal batches of this many.
    static let bulkInternalBatch = 10_000
    /// Internal batches per rolling 24 hours, shared by Bulk API and Bulk API 2.0.
    static let bulkDailyBatches = 15_000
    /// Records mapc puts in one job (the platform's limit is the upload size).
    static let bulkJobRecords = 100_000

    public func bulkLimits(object: String, mode: WriteMode) -> BulkLimits {
        let rule = api.limiter.rule(method: "PUT", path: "\(prefix)/jobs/ingest/0/batches")
        // The limit counts base64, which adds a third: what is sent stays under two thirds of it.
        let payload = rule.payloadBytes ?? 150_000_000
        return BulkLimits(
            name: "Bulk API 2.0", style: .createThenUpload, maxRecords: Self.bulkJobRecords, maxUploadBytes: payload / 3 * 2,
            internalBatch: Self.bulkInternalBatch, dailyBatches: Self.bulkDailyBatches)
    }

    public func bulkRefusal(object: String, keyField: String, mode: WriteMode) -> String? {
        switch mode {
        case .upsert: nil
        case .updateOnly: keyField == "Id" ? nil : "Bulk API 2.0 updates need key Id (upsert by \(keyField) instead)"
        case .insertOnly: "insert-only writes have no key that makes a record sent twice harmless"
        }
    }

    /// The job's operation and the column that identifies records in its CSV.
    static func operation(_ request: WriteRequest) -> (operation: String, keyColumn: String) {
        request.mode == .updateOnly ? ("update", "Id") : ("upsert", request.keyField)
    }

    var ingest: String { "\(prefix)/jobs/ingest" }

    public func createBulkJob(_ request: WriteRequest) throws(AdapterError) -> String {
        let (operation, key) = Self.operation(request)
        var body: [(String, JSONValue)] = [
            ("object", .string(request.object)), ("operation", .string(operation)), ("contentType", "CSV"),
            ("columnDelimiter", "COMMA"), ("lineEnding", "LF"),
        ]
        if operation == "upsert" { body.append(("externalIdFieldName", .string(key))) }
        let response = try api.sendJSON("POST", ingest, .object(body), idempotent: false)
        guard response.status == 200 || response.status == 201, let id = response.json?["id"]?.stringValue, !id.isEmpty else {
            throw api.failure(response, doing: "creating a Bulk API 2.0 job for \(request.object)")
        }
        return id
    }

    /// The records of `request` that fit a job, as CSV, and those too large for one (over 400,000
    /// characters, the platform's limit per record).
    func requestCSV(_ request: WriteRequest) -> (csv: [UInt8], oversize: [String]) {
        let (_, keyColumn) = Self.operation(request)
        var columns = [keyColumn]
        var seen: Set<String> = [keyColumn]
        for record in request.records {
            for (name, _) in record.pairs where !seen.contains(name) {
                seen.insert(name)
                columns.append(name)
            }
        }
        let limit = api.limiter.rule(method: "PUT", path: "\(ingest)/0/batches").recordBytes ?? 400_000
        var out: [UInt8] = []
        BulkCSV.appendRow(columns, ending: .lf, to: &out)
        var oversize: [String] = []
        var row: [UInt8] = []
        var index: [String: Int] = [:]
        for (i, c) in columns.enumerated() { index[c] = i }
        for record in request.records {
            var cells = [String](repeating: "", count: columns.count)
            cells[0] = record.key
            for (name, value) in record.pairs where name != keyColumn {
                if let i = index[name] { cells[i] = BulkCSV.text(value) }
            }
            row.removeAll(keepingCapacity: true)
            BulkCSV.appendRow(cells, ending: .lf, to: &row)
            if row.count > limit {
                oversize.append(record.key)
            } else {
                out.append(contentsOf: row)
            }
        }
        return (out, oversize)
    }

    public func uploadBulkJob(_ id: String, _ request: WriteRequest) throws(AdapterError) {
        let (csv, _) = requestCSV(request)
        let limit = bulkLimits(object: request.object, mode: request.mode).maxUploadBytes
        guard csv.count <= limit else {
            throw .fatal("the upload of job \(id) is \(csv.count) bytes, over the \(limit) bytes Bulk API 2.0 takes")
        }
        let response = try api.send(
            "PUT", "\(ingest)/\(queryEscape(id))/batches", body: Data(csv), extraHeaders: ["Content-Type": "text/csv"])
        guard response.status == 201 || response.status == 200 else {
            throw api.failure(response, doing: "uploading the records of Bulk API 2.0 job \(id)")
        }
    }

    public func closeBulkJob(_ id: String) throws(AdapterError) {
        let response = try api.sendJSON("PATCH", "\(ingest)/\(queryEscape(id))", .object([("state", "UploadComplete")]))
        guard response.status == 200 else {
            throw api.failure(response, doing: "closing the upload of Bulk API 2.0 job \(id)")
        }
    }

    public func bulkJobState(_ id: String) throws(AdapterError) -> BulkJobState {
        let response = try api.send("GET", "\(ingest)/\(queryEscape(id))")
        if response.status == 404 { return .gone }
        guard response.status == 200, let json = response.json, let state = json["state"]?.stringValue else {
            throw api.failure(response, doing: "asking for Bulk API 2.0 job \(id)")
        }
        let processed = json["numberRecordsProcessed"]?.intValue ?? 0
        switch state {
        case "Open": return .open
        case "UploadComplete", "InProgress": return .running(processed: processed)
        case "JobComplete": return .finished(processed: processed, failed: json["numberRecordsFailed"]?.intValue ?? 0)
        case "Failed": return .failed(processed: processed, message: json["errorMessage"]?.stringValue ?? "the job failed")
        case "Aborted": return .aborted
        default: throw .fatal("Bulk API 2.0 job \(id) is in a state mapc does not know: \(state)")
        }
    }

    public func bulkJobResults(_ id: String, _ request: WriteRequest) throws(AdapterError) -> BulkJobResults {
        let (_, keyColumn) = Self.operation(request)
        let (_, oversize) = requestCSV(request)
        // Keys as sent, found again case-insensitively (external ids match that way).
        var keys: [String: String] = [:]
        for r in request.records { keys[r.key.lowercased()] = r.key }
        var results = oversize.map {
            WriteResult(
                key: $0, status: .rejected, errorCode: "RECORD_TOO_LARGE",
                message: "the record is over the 400,000 characters Bulk API 2.0 takes in one record; not sent")
        }
        var answered = Set(oversize.map { $0.lowercased() })
        func rows(_ file: String) throws(AdapterError) -> (header: [String], rows: [[String]]) {
            let response = try api.send("GET", "\(ingest)/\(queryEscape(id))/\(file)/")
            guard response.status == 200 else { throw api.failure(response, doing: "reading the \(file) of Bulk API 2.0 job \(id)") }
            do {
                return try BulkCSV.parse(response.body)
            } catch {
                throw .transient("the \(file) of Bulk API 2.0 job \(id) are not valid CSV: \(error.description)")
            }
        }
        func column(_ header: [String], _ name: String) -> Int? { header.firstIndex(of: name) }
        let success = try rows("successfulResults")
        if let k = column(success.header, keyColumn) {
            let idColumn = column(success.header, "sf__Id")
            let createdColumn = column(success.header, "sf__Created")
            for row in success.rows where k < row.count {
                guard let key = keys[row[k].lowercased()], answered.insert(key.lowercased()).inserted else { continue }
                let created = createdColumn.map { $0 < row.count && row[$0].lowercased() == "true" } ?? false
                let destination = idColumn.flatMap { $0 < row.count && !row[$0].isEmpty ? row[$0] : nil }
                results.append(WriteResult(key: key, status: created ? .created : .updated, destinationId: destination))
            }
        }
        let failed = try rows("failedResults")
        if let k = column(failed.header, keyColumn) {
            let errorColumn = column(failed.header, "sf__Error")
            for row in failed.rows where k < row.count {
                guard let key = keys[row[k].lowercased()], answered.insert(key.lowercased()).inserted else { continue }
                let error = BulkError(errorColumn.map { $0 < row.count ? row[$0] : "" } ?? "")
                results.append(
                    WriteResult(
                        key: key, status: .rejected, errorCode: error.code, message: error.message, field: error.fields.first,
                        transient: api.transient.isTransient(code: error.code)))
            }
        }
        let rest = try rows("unprocessedrecords")
        var unprocessed: [String] = []
        if let k = column(rest.header, keyColumn) {
            for row in rest.rows where k < row.count {
                guard let key = keys[row[k].lowercased()], answered.insert(key.lowercased()).inserted else { continue }
                unprocessed.append(key)
            }
        }
        return BulkJobResults(results: results, unprocessed: unprocessed, complete: answered.count >= keys.count)
    }
}
