import Foundation
import HTTPServer

/// One Bulk API 2.0 query job held by the emulator: its rows, read when the job was created.
struct QueryJob: Sendable {
    var id: String
    var object: String
    var operation: String
    var state: String
    var createdDate: Date
    var columns: [String]
    var rows: [[String]]
    var processed = 0

    func info() -> JSONValue {
        .object([
            "id": .string(id), "operation": .string(operation), "object": .string(object), "state": .string(state),
            "createdById": "005Sb0000000001", "createdDate": .string(Timestamps.salesforce(createdDate)),
            "systemModstamp": .string(Timestamps.salesforce(createdDate)), "concurrencyMode": "Parallel", "contentType": "CSV",
            "apiVersion": 59, "lineEnding": "LF", "columnDelimiter": "COMMA", "jobType": "V2Query",
            "numberRecordsProcessed": .number(Double(processed)), "retries": 0, "totalProcessingTime": 0,
        ])
    }
}

/// Salesforce Bulk API 2.0 query: `POST /jobs/query` `{operation: "query"|"queryAll", query}` runs
/// the SOQL as `GET /query` runs it, `GET /jobs/query/{id}` reports `UploadComplete`, `InProgress`,
/// `JobComplete` (``BulkFaults/recordsPerPoll`` records per status request), and `GET
/// /jobs/query/{id}/results?maxRecords=N&locator=L` pages through the rows as CSV with
/// `Sforce-Locator` (`null` on the last page) and `Sforce-NumberOfRecords`.
extension SalesforceEmulator {
    func registerBulkQuery(on router: inout Router) {
        let base = "/services/data/:version/jobs/query"
        router.add("POST", base) { [self] request in createQuery(request) }
        router.add("GET", base + "/:jobId") { [self] request in queryInfo(request) }
        router.add("GET", base + "/:jobId/results") { [self] request in queryResults(request) }
    }

    private func createQuery(_ request: Request) -> Response {
        guard let body = request.jsonBody, let text = body["query"]?.stringValue else {
            return error(400, "INVALIDJOB", "InvalidJob : a query is required")
        }
        let operation = body["operation"]?.stringValue ?? "query"
        guard operation == "query" || operation == "queryAll" else {
            return error(400, "INVALIDJOB", "InvalidJob : Invalid operation: \(operation)")
        }
        let version = request.parameter("version") ?? "v59.0"
        let soql: SOQLQuery
        do {
            soql = try SOQLQuery.parse(text)
        } catch {
            return self.error(400, "MALFORMED_QUERY", "\(error)")
        }
        // Bulk API 2.0 query jobs take no aggregate functions (COUNT() is a REST query).
        guard !soql.countOnly else {
            return error(
                400, "INVALIDJOB", "InvalidJob : aggregate functions such as COUNT() are not supported in a query job; use the REST query")
        }
        // The rows, as the REST query answers them, page after page.
        var records: [JSONValue] = []
        var reply = query(
            Request(
                method: "GET", path: "/services/data/\(version)/query", queryItems: [("q", text)],
                headerFields: [("sforce-query-options", "batchSize=2000")], pathParameters: ["version": version]))
        while true {
            guard reply.status == 200, let page = JSONValue.parse(reply.body) else { return reply }
            records += page["records"]?.arrayValue ?? []
            guard let next = page["nextRecordsUrl"]?.stringValue, let locator = next.split(separator: "/").last else { break }
            reply = queryMore(
                Request(method: "GET", path: next, pathParameters: ["version": version, "locator": String(locator)]))
        }
        let rows = records.map { record in soql.fields.map { BulkQueryCSV.cell(record[$0] ?? .null) } }
        let job = ingestJobs.withLock { jobs -> QueryJob in
            let number = jobs.count + ingestRetired.withLock { $0 } + queryJobs.withLock { $0.count } + 1
            let id = "750" + String(repeating: "0", count: max(0, 12 - String(number).count)) + String(number) + "QQQ"
            let job = QueryJob(
                id: id, object: soql.object, operation: operation, state: "UploadComplete", createdDate: context.clock(),
                columns: soql.fields, rows: rows)
            queryJobs.withLock { $0.append(job) }
            return job
        }
        return .json(job.info())
    }

    private func queryInfo(_ request: Request) -> Response {
        let failPoll = bulkFaults.withLock { faults -> Bool in
            guard faults.pollFailures > 0 else { return false }
            faults.pollFailures -= 1
            return true
        }
        if failPoll { return serverError(status: 503) }
        let id = request.parameter("jobId") ?? ""
        let perPoll = bulkFaults.withLock { $0.recordsPerPoll }
        return queryJobs.withLock { jobs in
            guard let i = jobs.firstIndex(where: { $0.id == id }) else {
                return error(404, "NOT_FOUND", "The requested resource does not exist")
            }
            if jobs[i].state != "JobComplete" {
                jobs[i].processed = min(jobs[i].rows.count, jobs[i].processed + perPoll)
                jobs[i].state = jobs[i].processed == jobs[i].rows.count ? "JobComplete" : "InProgress"
            }
            return .json(jobs[i].info())
        }
    }

    private func queryResults(_ request: Request) -> Response {
        let id = request.parameter("jobId") ?? ""
        let job = queryJobs.withLock { jobs in jobs.first { $0.id == id } }
        guard let job else { return error(404, "NOT_FOUND", "The requested resource does not exist") }
        guard job.state == "JobComplete" else {
            return error(400, "INVALIDJOBSTATE", "Job \(id) is not complete: \(job.state)")
        }
        let maxRecords = min(max(Int(request.query("maxRecords") ?? "") ?? 50_000, 1), 1_000_000)
        let start = Int(request.query("locator") ?? "0") ?? -1
        guard start >= 0, start <= job.rows.count else { return error(400, "INVALID_LOCATOR", "invalid locator") }
        let end = min(job.rows.count, start + maxRecords)
        let body = BulkCSVReader.write([job.columns] + Array(job.rows[start..<end]))
        return Response(
            status: 200,
            headerFields: [
                (name: "Content-Type", value: "text/csv"), (name: "Sforce-Locator", value: end < job.rows.count ? String(end) : "null"),
                (name: "Sforce-NumberOfRecords", value: String(end - start)),
            ], body: body)
    }
}

/// Query results as Bulk API 2.0 writes them: text as it is, numbers and booleans as written,
/// null as an empty cell.
enum BulkQueryCSV {
    static func cell(_ value: JSONValue) -> String {
        switch value {
        case .null: ""
        case .string(let s): s
        case .bool(let b): b ? "true" : "false"
        case .number(let n): n == n.rounded() && abs(n) < 9e15 ? String(Int64(n)) : String(n)
        default: String(decoding: value.serialized(), as: UTF8.self)
        }
    }
}
