import Foundation
import MapDSL
import SyncEngine

/// Mailchimp batch operations: `POST /batches` with `{operations: [{method, path, operation_id,
/// body}]}` creates a batch carrying every operation (its id comes back with the answer), `GET
/// /batches/{id}` tells its `status` (`pending`, `preprocessing`, `started`, `finalizing`,
/// `finished`) and counts, and `response_body_url` points at a tar.gz of JSON files listing each
/// operation's `status_code`, `operation_id` and `response`.
///
/// Each record is one `PUT /lists/{list}/members/{subscriber_hash}` (add or update), its key the
/// operation id. A run killed after submitting and before recording the id finds its batch in
/// `GET /batches` by submission time and operation count.
extension MailchimpAdapter: BulkWriter {
    /// Operations mapc puts in one batch (Mailchimp publishes no limit per batch).
    static let batchOperations = 10_000
    /// Pending batches Mailchimp allows per API key.
    static let pendingBatches = 500

    public func bulkLimits(object: String, mode: WriteMode) -> BulkLimits {
        let rule = api.limiter.rule(method: "POST", path: "\(prefix)/batches")
        return BulkLimits(
            name: "Mailchimp batch operations", style: .submitWithData, maxRecords: Self.batchOperations,
            maxUploadBytes: rule.payloadBytes ?? 64 * 1024 * 1024, internalBatch: Self.batchOperations)
    }

    public func bulkRefusal(object: String, keyField: String, mode: WriteMode) -> String? {
        guard object == "member" else { return "mailchimp has no object '\(object)' (only 'member')" }
        return mode == .upsert ? nil : "batch operations write members by add-or-update (upsert) only"
    }

    /// One operation per record: the member as JSON text, by subscriber hash.
    func operations(_ request: WriteRequest) -> JSONValue {
        .array(
            request.records.map { record in
                var pairs = record.pairs
                if request.keyField == "email_address", record[field: "email_address"] == nil {
                    pairs.insert(("email_address", .string(record.key)), at: 0)
                }
                let member = JSONShapes.nest(pairs)
                let address = Self.email(member, record)
                return .object([
                    ("method", "PUT"), ("path", .string("/lists/\(listID)/members/\(Self.subscriberHash(address))")),
                    ("operation_id", .string(record.key)), ("body", .string(JSONWriter.compact(member))),
                ])
            })
    }

    public func submitBulkJob(_ request: WriteRequest) throws(AdapterError) -> String {
        try checkObject(request.object)
        let response = try api.sendJSON("POST", "\(prefix)/batches", .object([("operations", operations(request))]), idempotent: false)
        guard response.status == 200, let id = response.json?["id"]?.stringValue, !id.isEmpty else {
            throw api.failure(response, doing: "submitting a batch of \(request.records.count) operations")
        }
        return id
    }

    public func findBulkJob(submittedAfter: String, operations: Int, excluding known: Set<String>) throws(AdapterError)
        -> String?
    {
        // Clocks differ: a batch submitted up to five minutes before our record of it counts.
        guard let since = ISODates.parse(submittedAfter)?.addingTimeInterval(-300) else { return nil }
        let response = try api.send("GET", "\(prefix)/batches" + queryString([("count", "1000")]))
        guard response.status == 200, let batches = response.json?["batches"]?.arrayValue else {
            throw api.failure(response, doing: "listing batches")
        }
        let matches = batches.filter { batch in
            guard let id = batch["id"]?.stringValue, !known.contains(id),
                let at = batch["submitted_at"]?.stringValue.flatMap(ISODates.parse)
            else { return false }
            return at >= since && batch["total_operations"]?.intValue == operations
        }
        return matches.count == 1 ? matches[0]["id"]?.stringValue : nil
    }

    public func bulkJobState(_ id: String) throws(AdapterError) -> BulkJobState {
        let response = try api.send("GET", "\(prefix)/batches/\(queryEscape(id))")
        if response.status == 404 { return .gone }
        guard response.status == 200, let json = response.json, let status = json["status"]?.stringValue else {
            throw api.failure(response, doing: "asking for batch \(id)")
        }
        let finished = json["finished_operations"]?.intValue ?? 0
        switch status {
        case "pending", "preprocessing", "started", "finalizing": return .running(processed: finished)
        case "finished": return .finished(processed: finished, failed: json["errored_operations"]?.intValue ?? 0)
        case "canceled", "cancelled": return .aborted
        default: throw .fatal("batch \(id) is in a status mapc does not know: \(status)")
        }
    }

    public func bulkJobResults(_ id: String, _ request: WriteRequest) throws(AdapterError) -> BulkJobResults {
        let response = try api.send("GET", "\(prefix)/batches/\(queryEscape(id))")
        guard response.status == 200, let json = response.json else { throw api.failure(response, doing: "asking for batch \(id)") }
        guard let link = json["response_body_url"]?.stringValue, !link.isEmpty, let url = URL(string: link) else {
            return BulkJobResults(results: [], unprocessed: [], complete: false)
        }
        let archive = try api.download(url)
        guard archive.status == 200 else {
            // The link expires (it is signed for a while): a fresh one comes with the next status request.
            if archive.status == 403 || archive.status == 404 { return BulkJobResults(results: [], unprocessed: [], complete: false) }
            throw .transient("the results of batch \(id) could not be fetched (status \(archive.status))")
        }
        let files: [(name: String, data: [UInt8])]
        do {
            files = try BatchArchive.untar(try BatchArchive.gunzip(archive.body))
        } catch {
            throw .transient("the results of batch \(id) are not a readable tar.gz: \(error.description)")
        }
        var keys: [String: String] = [:]
        for r in request.records { keys[r.key] = r.key }
        var results: [String: WriteResult] = [:]
        for file in files where file.name.hasSuffix(".json") {
            guard let items = (try? JSONParser.parse(file.data))?.arrayValue else {
                throw .transient("a results file of batch \(id) is not a JSON array: \(file.name)")
            }
            for item in items {
                guard let key = item["operation_id"]?.stringValue.flatMap({ keys[$0] }) else { continue }
                results[key] = Self.result(key: key, item, transient: api.transient)
            }
        }
        return BulkJobResults(results: Array(results.values), unprocessed: [], complete: results.count == keys.count)
    }

    /// One operation's outcome: 200 with the member (created when its signup time equals its last
    /// change, as for PUT), 4xx with Mailchimp's problem document, 429 or 5xx transient.
    static func result(key: String, _ item: JSONValue, transient: TransientErrors) -> WriteResult {
        let status = item["status_code"]?.intValue ?? 0
        let body = item["response"]?.stringValue.flatMap { try? JSONParser.parse($0) }
        if status == 200 {
            let signup = body?["timestamp_signup"]?.stringValue.flatMap(ISODates.parse)
            let changed = body?["last_changed"]?.stringValue.flatMap(ISODates.parse)
            let created = signup != nil && signup == changed
            return WriteResult(key: key, status: created ? .created : .updated, destinationId: body?["id"]?.stringValue)
        }
        let first = body?["errors"]?.arrayValue?.first
        let code = body?["title"]?.stringValue ?? "HTTP \(status)"
        return WriteResult(
            key: key, status: .rejected, errorCode: code,
            message: first?["message"]?.stringValue ?? body?["detail"]?.stringValue ?? "status \(status)",
            field: first?["field"]?.stringValue,
            transient: status == 429 || status >= 500 || transient.isTransient(code: code, status: status))
    }
}
