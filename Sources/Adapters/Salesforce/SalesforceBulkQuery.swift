import Foundation
import MapDSL
import SyncEngine

/// Bulk API 2.0 query for large first reads: when the first page of a full read (no cursor, no
/// `modifiedSince`) reports at least ``SalesforceAdapter/bulkQueryThreshold`` records, the same
/// SOQL goes to `POST /jobs/query`, the job is polled until `JobComplete`, and the pages come from
/// `GET /jobs/query/{id}/results?maxRecords=…&locator=…` as CSV (cursor `bulkq:<job>:<locator>`).
/// Values come back typed by the object's describe (numbers, booleans; an empty cell is null).
/// Incremental reads stay on REST: they are small, and they need the modification order.
extension SalesforceAdapter {
    /// Records per page of query results (one results request each).
    static let bulkQueryPageRecords = 50_000
    /// Status requests before a query job that is still running is given up (as transient).
    static let bulkQueryMaxPolls = 200

    /// Starts a query job for `soql` and returns its first page.
    func startBulkQuery(_ request: FetchRequest, soql: String) throws(AdapterError) -> SourcePage {
        let response = try api.sendJSON(
            "POST", "\(prefix)/jobs/query", .object([("operation", "query"), ("query", .string(soql))]), idempotent: false)
        guard response.status == 200 || response.status == 201, let id = response.json?["id"]?.stringValue, !id.isEmpty else {
            throw api.failure(response, doing: "creating a Bulk API 2.0 query job for \(request.object)")
        }
        api.options.log?("salesforce: \(request.object) read through Bulk API 2.0 query job \(id)")
        var polls = 0
        while true {
            switch try bulkQueryState(id) {
            case "JobComplete": return try bulkQueryPage(request, job: id, locator: nil)
            case "Failed", "Aborted": throw .fatal("Bulk API 2.0 query job \(id) for \(request.object) did not complete")
            default:
                polls += 1
                guard polls < Self.bulkQueryMaxPolls else {
                    throw .transient("Bulk API 2.0 query job \(id) still running after \(polls) status requests")
                }
                let delay = BulkPoll.delay(poll: polls, cap: 15, unit: 0.5)
                guard WaitWatch.wait(api.options.waits, delay, for: "salesforce query job \(id)", clock: api.options.clock) else {
                    throw .transient("stopped polling Bulk API 2.0 query job \(id): the run was asked to stop")
                }
            }
        }
    }

    private func bulkQueryState(_ id: String) throws(AdapterError) -> String {
        let response = try api.send("GET", "\(prefix)/jobs/query/\(queryEscape(id))")
        guard response.status == 200, let state = response.json?["state"]?.stringValue else {
            throw api.failure(response, doing: "asking for Bulk API 2.0 query job \(id)")
        }
        return state
    }

    /// One page of a finished query job's results (the first when `locator` is nil).
    func bulkQueryPage(_ request: FetchRequest, job id: String, locator: String?) throws(AdapterError) -> SourcePage {
        var query = [("maxRecords", String(Self.bulkQueryPageRecords))]
        if let locator { query.append(("locator", locator)) }
        let response = try api.send("GET", "\(prefix)/jobs/query/\(queryEscape(id))/results" + queryString(query))
        guard response.status == 200 else { throw api.failure(response, doing: "reading the results of query job \(id)") }
        let table: (header: [String], rows: [[String]])
        do {
            table = try BulkCSV.parse(response.body)
        } catch {
            throw .transient("the results of query job \(id) are not valid CSV: \(error.description)")
        }
        let schema = try describe(object: request.object)
        var types: [String: FieldType] = [:]
        for field in schema.fields { types[field.name] = field.type }
        let idColumn = table.header.firstIndex(of: "Id")
        let modifiedColumn = table.header.firstIndex(of: "SystemModstamp")
        let records = table.rows.map { row -> SourceRecord in
            var pairs: [(String, JSONValue)] = []
            pairs.reserveCapacity(table.header.count)
            for (i, name) in table.header.enumerated() {
                pairs.append((name, Self.typed(i < row.count ? row[i] : "", types[name])))
            }
            return SourceRecord(
                id: idColumn.map { $0 < row.count ? row[$0] : "" } ?? "", fields: .object(pairs),
                modified: modifiedColumn.flatMap { $0 < row.count && !row[$0].isEmpty ? row[$0] : nil })
        }
        let next = response.header("Sforce-Locator").flatMap { $0.isEmpty || $0 == "null" ? nil : $0 }
        return SourcePage(records: records, nextCursor: next.map { "bulkq:\(id):\($0)" }, ordered: false)
    }

    /// A query-results cell as the JSON value the REST query would have given.
    static func typed(_ cell: String, _ type: FieldType?) -> JSONValue {
        guard !cell.isEmpty else { return .null }
        switch type {
        case .int?: return Int(cell).map(JSONValue.int) ?? Double(cell).map(JSONValue.double) ?? .string(cell)
        case .decimal?: return Double(cell).map(JSONValue.double) ?? .string(cell)
        case .bool?: return cell.lowercased() == "true" ? .bool(true) : cell.lowercased() == "false" ? .bool(false) : .string(cell)
        default: return .string(cell)
        }
    }

    /// The next page of a query job named by a `bulkq:` cursor.
    func continueBulkQuery(_ request: FetchRequest, cursor: String) throws(AdapterError) -> SourcePage {
        let parts = cursor.split(separator: ":", maxSplits: 2).map(String.init)
        guard parts.count == 3 else { throw .fatal("malformed Bulk API 2.0 query cursor") }
        return try bulkQueryPage(request, job: parts[1], locator: parts[2])
    }
}
