import Foundation
import HTTPServer
import MapDSL

/// One batch operation request held by the emulator.
struct MailchimpBatch: Sendable {
    struct Operation: Sendable {
        var method: String
        var path: String
        var body: String?
        var operationID: String?
    }

    var id: String
    var operations: [Operation]
    var submittedAt: Date
    var completedAt: Date?
    var status = "pending"
    /// `{status_code, operation_id, response}` per processed operation, in order.
    var results: [JSONValue] = []
    var errored = 0

    func info(baseURL: String?) -> JSONValue {
        var fields: [String: JSONValue] = [
            "id": .string(id), "status": .string(status), "total_operations": .number(Double(operations.count)),
            "finished_operations": .number(Double(results.count)), "errored_operations": .number(Double(errored)),
            "submitted_at": .string(Timestamps.iso(submittedAt)),
            "completed_at": completedAt.map { .string(Timestamps.iso($0)) } ?? "", "response_body_url": "", "_links": [],
        ]
        if status == "finished", let baseURL { fields["response_body_url"] = .string("\(baseURL)/_sandbox/batch-results/\(id).tar.gz") }
        return .object(fields)
    }
}

/// Mailchimp batch operations: `POST /batches` with `{operations: [{method, path, params?, body?,
/// operation_id?}]}`, `GET /batches` and `GET /batches/{id}` (status `pending` → `started` →
/// `finished`, with counts), `DELETE /batches/{id}`. A finished batch's `response_body_url` serves a
/// tar.gz of JSON files listing each operation's `status_code`, `operation_id` and `response` (the
/// reply as a JSON string), from `/_sandbox/batch-results/{id}.tar.gz` without credentials, as
/// Mailchimp's storage link needs none.
///
/// Operations are run as the emulator runs the same requests: `PUT /lists/{id}/members/{hash}` here;
/// any other gets 404. Batches advance ``BulkFaults/recordsPerPoll`` operations per status request;
/// ``BulkFaults/failAfterRecords`` makes operations after that many answer 500 (Mailchimp batches do
/// not fail as a whole), ``BulkFaults/partialResults`` serves archives listing half the operations,
/// ``BulkFaults/pollFailures`` answers status requests 503. At most 500 batches may be pending.
extension MailchimpEmulator {
    static let maxPendingBatches = 500
    static let maxOperations = 1_000_000

    func registerBatches(on router: inout Router) {
        router.add("POST", "/3.0/batches") { [self] request in submit(request) }
        router.add("GET", "/3.0/batches") { [self] request in listBatches(request) }
        router.add("GET", "/3.0/batches/:batchId") { [self] request in batchInfo(request) }
        router.add("DELETE", "/3.0/batches/:batchId") { [self] request in deleteBatch(request) }
    }

    func registerBatchArchive(on router: inout Router) {
        router.add("GET", "/_sandbox/batch-results/:file") { [self] request in archive(request) }
    }

    private func baseURL(_ request: Request) -> String? {
        request.header("Host").map { "http://\($0)" }
    }

    private func submit(_ request: Request) -> Response {
        guard let body = request.jsonBody, let operations = body["operations"]?.arrayValue else {
            return problem(400, "Invalid Resource", "The request body must be an object with an 'operations' array.")
        }
        guard operations.count <= Self.maxOperations else {
            return problem(400, "Invalid Resource", "A batch holds at most \(Self.maxOperations) operations in the sandbox.")
        }
        var parsed: [MailchimpBatch.Operation] = []
        parsed.reserveCapacity(operations.count)
        for (i, op) in operations.enumerated() {
            guard let method = op["method"]?.stringValue, let path = op["path"]?.stringValue else {
                return problem(
                    400, "Invalid Resource", "The resource submitted could not be validated.",
                    errors: [["field": .string("operations.item:\(i)"), "message": "method and path are required"]])
            }
            parsed.append(.init(method: method, path: path, body: op["body"]?.stringValue, operationID: op["operation_id"]?.stringValue))
        }
        let result = batches.withLock { all -> MailchimpBatch? in
            guard all.filter({ $0.status != "finished" }).count < Self.maxPendingBatches else { return nil }
            let number = all.count + batchesRetired.withLock { $0 } + 1
            let batch = MailchimpBatch(id: String(format: "b%09d", number), operations: parsed, submittedAt: context.clock())
            all.append(batch)
            return batch
        }
        guard let batch = result else {
            return problem(429, "Too Many Requests", "You have more than \(Self.maxPendingBatches) pending batches.")
        }
        return .json(batch.info(baseURL: baseURL(request)))
    }

    private func listBatches(_ request: Request) -> Response {
        let base = baseURL(request)
        let all = batches.withLock { $0.map { $0.info(baseURL: base) } }
        return .json(["batches": .array(all), "total_items": .number(Double(all.count)), "_links": []])
    }

    private func batchInfo(_ request: Request) -> Response {
        let failPoll = bulkFaults.withLock { faults -> Bool in
            guard faults.pollFailures > 0 else { return false }
            faults.pollFailures -= 1
            return true
        }
        if failPoll { return serverError(status: 503) }
        let id = request.parameter("batchId") ?? ""
        let base = baseURL(request)
        return batches.withLock { all in
            guard let i = all.firstIndex(where: { $0.id == id }) else { return notFound() }
            advance(&all[i])
            return .json(all[i].info(baseURL: base))
        }
    }

    private func deleteBatch(_ request: Request) -> Response {
        let id = request.parameter("batchId") ?? ""
        let removed = batches.withLock { all -> Bool in
            guard let i = all.firstIndex(where: { $0.id == id }) else { return false }
            all.remove(at: i)
            return true
        }
        if removed { batchesRetired.withLock { $0 += 1 } }
        return removed ? .empty() : notFound()
    }

    /// Runs up to one poll's worth of the batch's operations.
    private func advance(_ batch: inout MailchimpBatch) {
        guard batch.status != "finished" else { return }
        let faults = bulkFaults.withLock { $0 }
        let start = batch.results.count
        let end = min(batch.operations.count, start + faults.recordsPerPoll)
        batch.status = "started"
        for i in start..<end {
            let op = batch.operations[i]
            let (status, body): (Int, Data)
            if let limit = faults.failAfterRecords, i >= limit {
                (status, body) = (
                    500, Data(#"{"title":"Internal Server Error","status":500,"detail":"the sandbox failed this operation"}"#.utf8)
                )
            } else {
                (status, body) = run(op)
            }
            if status >= 400 { batch.errored += 1 }
            batch.results.append(
                .object([
                    "status_code": .number(Double(status)), "operation_id": op.operationID.map(JSONValue.string) ?? .null,
                    "response": .string(String(decoding: body, as: UTF8.self)),
                ]))
        }
        if batch.results.count == batch.operations.count {
            batch.status = "finished"
            batch.completedAt = context.clock()
        }
    }

    /// One operation, answered as the same request to the API would be.
    private func run(_ op: MailchimpBatch.Operation) -> (Int, Data) {
        let parts = op.path.split(separator: "/").map(String.init)
        if op.method == "PUT", parts.count == 4, parts[0] == "lists", parts[2] == "members" {
            let request = Request(
                method: "PUT", path: "/3.0" + op.path, body: Data((op.body ?? "").utf8),
                pathParameters: ["listId": parts[1], "hash": parts[3]])
            let response = putMember(request)
            return (response.status, response.body)
        }
        let reply = problem(404, "Resource Not Found", "The requested resource could not be found.")
        return (reply.status, reply.body)
    }

    private func archive(_ request: Request) -> Response {
        let file = request.parameter("file") ?? ""
        guard file.hasSuffix(".tar.gz") else { return .json(["error": "not found"], status: 404) }
        let id = String(file.dropLast(7))
        let partial = bulkFaults.withLock { faults -> Bool in
            guard faults.partialResults > 0 else { return false }
            faults.partialResults -= 1
            return true
        }
        let results: [JSONValue]? = batches.withLock { all in
            all.first { $0.id == id && $0.status == "finished" }?.results
        }
        guard var results else { return .json(["error": "not found"], status: 404) }
        if partial { results = Array(results.prefix(results.count / 2)) }
        var files: [(name: String, data: [UInt8])] = []
        var start = 0
        while start < results.count || files.isEmpty {
            let slice = Array(results[start..<min(results.count, start + 1000)])
            files.append(("\(id)/\(files.count).json", Array(JSONValue.array(slice).serialized())))
            start += 1000
        }
        let body = BatchArchiveWriter.gzip(BatchArchiveWriter.tar(files))
        return Response(status: 200, headerFields: [(name: "Content-Type", value: "application/x-gzip")], body: body)
    }

    func bulkJobs() -> [BulkJobSummary] {
        batches.withLock { all in
            all.map {
                BulkJobSummary(id: $0.id, state: $0.status, records: $0.operations.count, processed: $0.results.count, uploads: 1)
            }
        }
    }

    func expireBulkJobs() {
        let n = batches.withLock { all -> Int in
            defer { all.removeAll() }
            return all.count
        }
        batchesRetired.withLock { $0 += n }
    }
}
