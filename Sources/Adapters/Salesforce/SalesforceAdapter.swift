import Foundation
import MapDSL
import MapcSupport
import SyncEngine

/// Salesforce REST: SOQL query with `nextRecordsUrl` paging (incremental on `SystemModstamp`), sObject
/// describe, sObject Collections upsert by external id (≤200 records, per-record results).
///
/// The connection URL is the org's instance URL; the API version comes from the `version` parameter
/// (default `v59.0`). Cursors are `<nextRecordsUrl>|<last SystemModstamp>`: when a query locator has
/// expired the adapter re-queries from that modification time instead of failing.
public final class SalesforceAdapter: PlatformAdapter {
    public let platform = "salesforce"
    let api: APIClient
    let version: String
    let cache: LookupCache
    let schemas = Locked<[String: Schema]>([:])
    /// Records from which a full first read goes through a Bulk API 2.0 query job (connection
    /// parameter `bulk_query`, `MAPC_SALESFORCE_BULK_QUERY`: a number, or `off`; default 10,000); nil: never.
    let bulkQueryThreshold: Int?

    /// Creates an adapter for `connection` (instance URL and OAuth access token).
    public init(connection: Connection, options: AdapterOptions = AdapterOptions()) throws(AdapterError) {
        guard let url = connection.baseURL, let token = connection.credential else {
            throw .fatal("salesforce connection needs an instance URL and an access token")
        }
        var version = connection.parameters["version"] ?? "v59.0"
        if !version.hasPrefix("v") { version = "v" + version }
        self.version = version
        switch connection.parameters["bulk_query"] {
        case "off"?: bulkQueryThreshold = nil
        case let text?: bulkQueryThreshold = Int(text).map { max(1, $0) } ?? 10_000
        case nil: bulkQueryThreshold = 10_000
        }
        api = try APIClient(
            platform: platform, baseURL: url, headers: ["Authorization": "Bearer \(token.value)"], secrets: [token],
            options: options, throttle: SalesforceAdapter.throttle, message: SalesforceAdapter.message)
        cache = LookupCache(capacity: options.lookupCacheSize)
    }

    var prefix: String { "/services/data/\(version)" }

    /// Salesforce's top-level errors: `[{message, errorCode, fields}]`.
    static func message(_ response: HTTPResponse) -> String {
        guard let first = response.json?.arrayValue?.first else { return response.snippet }
        let code = first["errorCode"]?.stringValue ?? "ERROR"
        return "\(code): \(first["message"]?.stringValue ?? "")"
    }

    /// 403 `REQUEST_LIMIT_EXCEEDED`: the concurrency limit is short-lived, the daily allocation is not.
    static func throttle(_ response: HTTPResponse) -> Throttle {
        guard response.status == 403 || response.status == 429,
            let first = response.json?.arrayValue?.first, first["errorCode"]?.stringValue == "REQUEST_LIMIT_EXCEEDED"
        else { return response.status == 429 ? .wait(nil) : .none }
        let text = first["message"]?.stringValue ?? ""
        if text.contains("Concurrent") { return .wait(nil) }
        // Salesforce names no reset time: its allocation is a rolling 24 hours (the registry estimates).
        return .exhausted(quota: "salesforce daily API allocation", resetsAt: nil, message: "REQUEST_LIMIT_EXCEEDED: \(text)")
    }

    public func limits(object: String, mode: WriteMode) -> AdapterLimits {
        let rule = api.limiter.rule(method: "PATCH", path: "\(prefix)/composite/sobjects/\(object)/Id")
        return AdapterLimits(
            maxBatchRecords: rule.batchSize ?? 200, maxPayloadBytes: rule.payloadBytes, maxRecordBytes: rule.recordBytes)
    }

    // MARK: - Describe

    public func describe(object: String) throws(AdapterError) -> Schema {
        if let schema = schemas.withLock({ $0[object] }) { return schema }
        let response = try api.send("GET", "\(prefix)/sobjects/\(queryEscape(object))/describe")
        guard response.status == 200, let json = response.json, let fields = json["fields"]?.arrayValue else {
            throw api.failure(response, doing: "describing \(object)")
        }
        let schema = Schema(
            platform: platform, object: json["name"]?.stringValue ?? object, label: json["label"]?.stringValue,
            fields: fields.compactMap(Self.field))
        schemas.withLock { $0[object] = schema }
        return schema
    }

    /// One describe field entry as a schema field (see docs/adapters.md for what cannot be expressed).
    static func field(_ entry: JSONValue) -> Field? {
        guard let name = entry["name"]?.stringValue else { return nil }
        let sfType = entry["type"]?.stringValue ?? "string"
        var format: FieldFormat?
        var references: String?
        let type: FieldType
        switch sfType {
        case "id": type = .id
        case "reference":
            type = .id
            references = entry["referenceTo"]?.arrayValue?.first?.stringValue.map { "salesforce.\($0)" }
        case "boolean": type = .bool
        case "int": type = .int
        case "double", "currency", "percent": type = .decimal
        case "date": type = .date
        case "datetime": type = .datetime
        case "picklist", "combobox": type = .picklist
        case "multipicklist": type = .multipicklist
        case "email":
            type = .string
            format = .email
        case "phone":
            type = .string
            format = .phone
        case "url":
            type = .string
            format = .url
        default: type = .string
        }
        let nillable = entry["nillable"]?.boolValue ?? true
        let createable = entry["createable"]?.boolValue ?? false
        let updateable = entry["updateable"]?.boolValue ?? false
        let defaulted = entry["defaultedOnCreate"]?.boolValue ?? (entry["defaultValue"].map { $0 != .null } ?? false)
        let required = !nillable && createable && !defaulted && type != .bool
        let length = entry["length"]?.intValue ?? 0
        let values = (entry["picklistValues"]?.arrayValue ?? []).filter { $0["active"]?.boolValue ?? true }
            .compactMap { $0["value"]?.stringValue }
        return Field(
            name: name, label: entry["label"]?.stringValue, type: type, nullable: nillable && !required,
            required: required, maxLength: type == .string && length > 0 ? length : nil,
            values: (type == .picklist || type == .multipicklist) && !values.isEmpty ? values : nil,
            readOnly: !createable && !updateable, unique: entry["unique"]?.boolValue ?? false || type == .id && name == "Id",
            externalId: entry["externalId"]?.boolValue ?? false, format: format, references: references)
    }

    // MARK: - Fetch

    /// Reads in modification order (`ORDER BY SystemModstamp, Id`). Cursors are
    /// `<nextRecordsUrl>|<SystemModstamp>|<Id>` of the page's last record: when the query locator
    /// has expired the query starts again from that time, and the records up to that one (in the
    /// same order) are dropped, so none is read twice or missed.
    public func fetch(_ request: FetchRequest) throws(AdapterError) -> SourcePage {
        var since = request.modifiedSince
        var last: (modified: String, id: String)?
        if let cursor = request.cursor, cursor.hasPrefix("bulkq:") { return try continueBulkQuery(request, cursor: cursor) }
        if let cursor = request.cursor {
            let parts = cursor.split(separator: "|", maxSplits: 2, omittingEmptySubsequences: false).map(String.init)
            if parts.count > 1, !parts[1].isEmpty { last = (parts[1], parts.count > 2 ? parts[2] : "") }
            if !parts[0].isEmpty {
                let response = try api.send("GET", parts[0], extraHeaders: pageHeader(request.pageSize))
                if response.status == 200, let json = response.json { return try page(json) }
                let expired = response.status == 400 && Self.message(response).hasPrefix("INVALID_QUERY_LOCATOR")
                guard expired else { throw api.failure(response, doing: "reading the next page of \(request.object)") }
                api.options.log?("salesforce: query locator expired, re-querying from \(last?.modified ?? since ?? "the start")")
            }
            if let last { since = last.modified }
        }
        var names: [String]
        if let fields = request.fields {
            names = fields
        } else {
            names = try describe(object: request.object).fields.map(\.name)
        }
        if !names.contains("SystemModstamp") { names.append("SystemModstamp") }
        if !names.contains("Id") { names.insert("Id", at: 0) }
        var soql = "SELECT \(names.joined(separator: ", ")) FROM \(request.object)"
        if let since { soql += " WHERE SystemModstamp >= \(try Self.soqlDateTime(since))" }
        // The id orders records changed in the same instant, so the order is total.
        soql += " ORDER BY SystemModstamp ASC, Id ASC"
        let response = try api.send(
            "GET", "\(prefix)/query" + queryString([("q", soql)]), extraHeaders: pageHeader(request.pageSize))
        guard response.status == 200, let json = response.json else {
            throw api.failure(response, doing: "querying \(request.object)")
        }
        // A large first read: one query job instead of a page per request.
        if request.cursor == nil, since == nil, json["done"]?.boolValue == false, let threshold = bulkQueryThreshold,
            let total = json["totalSize"]?.intValue, total >= threshold
        {
            return try startBulkQuery(request, soql: soql)
        }
        var result = try page(json)
        if let last, let upTo = SourcePosition(modified: last.modified, id: last.id) {
            // Started again after an expired locator: what the run read already is dropped.
            result.records.removeAll { record in SourcePosition(record).map { $0 <= upTo } ?? false }
        }
        return result
    }

    private func pageHeader(_ size: Int) -> [String: String] {
        ["Sforce-Query-Options": "batchSize=\(min(max(size, 1), 2000))"]
    }

    private func page(_ json: JSONValue) throws(AdapterError) -> SourcePage {
        guard let rows = json["records"]?.arrayValue else { throw .fatal("salesforce query reply has no records") }
        let records = rows.map { row in
            SourceRecord(
                id: row["Id"]?.stringValue ?? "",
                fields: .object((row.objectValue ?? []).filter { $0.0 != "attributes" }),
                modified: row["SystemModstamp"]?.stringValue)
        }
        guard json["done"]?.boolValue == false, let next = json["nextRecordsUrl"]?.stringValue else {
            return SourcePage(records: records, nextCursor: nil, ordered: true)
        }
        let lastTime = rows.last?["SystemModstamp"]?.stringValue ?? ""
        let lastID = rows.last?["Id"]?.stringValue ?? ""
        let relative = next.hasPrefix("http") ? (URL(string: next)?.path ?? next) : next
        return SourcePage(records: records, nextCursor: "\(relative)|\(lastTime)|\(lastID)", ordered: true)
    }

    /// An instant as a SOQL date-time literal (`2024-05-01T12:00:00Z`), from any ISO 8601 spelling.
    static func soqlDateTime(_ text: String) throws(AdapterError) -> String {
        guard let date = ISODates.parse(text) else {
            throw .fatal("modifiedSince '\(text)' is not an ISO 8601 date-time")
        }
        // Whole seconds, rounded down, so `>=` still includes the instant asked for.
        return String(ISODates.format(Date(timeIntervalSince1970: date.timeIntervalSince1970.rounded(.down))).prefix(19)) + "Z"
    }

    // MARK: - Write

    public func write(_ request: WriteRequest) throws(AdapterError) -> [WriteResult] {
        switch request.mode {
        case .upsert: break
        case .updateOnly:
            guard request.keyField == "Id" else {
                throw .fatal("salesforce update-only writes need key Id (upsert by \(request.keyField) instead)")
            }
        case .insertOnly:
            throw .fatal("salesforce insert-only writes are not supported; use upsert by an external id")
        }
        let limits = limits(object: request.object, mode: request.mode)
        // Each record is written as JSON once: its size decides the chunks, its bytes go into the body.
        var head: [UInt8] = []
        JSONWriter.appendRaw("{\"attributes\":{\"type\":", to: &head)
        JSONWriter.appendString(request.object, to: &head)
        JSONWriter.appendRaw("},", to: &head)
        JSONWriter.appendString(request.keyField, to: &head)
        head.append(UInt8(ascii: ":"))
        let wires = request.records.map { record -> (OutboundRecord, [UInt8]) in
            var bytes = head
            JSONWriter.appendString(record.key, to: &bytes)
            for (name, value) in record.pairs where name != request.keyField {
                bytes.append(UInt8(ascii: ","))
                JSONWriter.appendString(name, to: &bytes)
                bytes.append(UInt8(ascii: ":"))
                JSONWriter.append(value, to: &bytes)
            }
            bytes.append(UInt8(ascii: "}"))
            return (record, bytes)
        }
        let plan = BatchSplitter.split(
            wires, maxItems: limits.maxBatchRecords, maxPayload: limits.maxPayloadBytes, maxItem: limits.maxRecordBytes,
            envelope: 32, size: { $0.1.count }, key: { $0.0.key.lowercased() })
        var results = plan.oversize.map {
            WriteResult(
                key: $0.0.key, status: .rejected, errorCode: "RECORD_TOO_LARGE",
                message: "the record is larger than Salesforce accepts in one request; not sent")
        }
        defer { cache.invalidate(request.object) }
        let path = "\(prefix)/composite/sobjects/\(queryEscape(request.object))/\(queryEscape(request.keyField))"
        for chunk in plan.chunks {
            var body: [UInt8] = []
            body.reserveCapacity(chunk.reduce(40) { $0 + $1.1.count + 1 })
            JSONWriter.appendRaw("{\"allOrNone\":false,\"records\":[", to: &body)
            for (i, item) in chunk.enumerated() {
                if i > 0 { body.append(UInt8(ascii: ",")) }
                body.append(contentsOf: item.1)
            }
            JSONWriter.appendRaw("]}", to: &body)
            let response = try api.send("PATCH", path, body: Data(body))
            guard response.status == 200, let items = response.json?.arrayValue, items.count == chunk.count else {
                throw api.failure(response, doing: "upserting \(request.object)")
            }
            for (item, (record, _)) in zip(items, chunk) {
                if item["success"]?.boolValue == true {
                    let created = item["created"]?.boolValue ?? false
                    results.append(
                        WriteResult(key: record.key, status: created ? .created : .updated, destinationId: item["id"]?.stringValue))
                } else {
                    let error = item["errors"]?.arrayValue?.first
                    let code = error?["statusCode"]?.stringValue
                    results.append(
                        WriteResult(
                            key: record.key, status: .rejected, errorCode: code, message: error?["message"]?.stringValue,
                            field: error?["fields"]?.arrayValue?.first?.stringValue, transient: api.transient.isTransient(code: code)))
                }
            }
        }
        return results
    }

    // MARK: - Find

    public func find(object: String, field: String, value: String) throws(AdapterError) -> JSONValue? {
        try cache.lookup(object, field, value) { () throws(AdapterError) -> JSONValue? in
            let names = try describe(object: object).fields.map(\.name)
            let literal = value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "'", with: "\\'")
            let soql = "SELECT \(names.joined(separator: ", ")) FROM \(object) WHERE \(field) = '\(literal)' LIMIT 2"
            let response = try api.send("GET", "\(prefix)/query" + queryString([("q", soql)]))
            guard response.status == 200, let rows = response.json?["records"]?.arrayValue else {
                throw api.failure(response, doing: "looking up \(object)")
            }
            guard rows.count == 1 else { return nil }
            return .object((rows[0].objectValue ?? []).filter { $0.0 != "attributes" })
        }
    }
}

/// ISO 8601 parsing and printing through MapDSL's calendar code (Foundation's formatters are costly per call).
enum ISODates {
    /// Parses `2024-05-01`, `2024-05-01T12:00:00Z`, fractions, `+02:00` / `+0200` offsets.
    static func parse(_ text: String) -> Date? {
        guard let millis = Dates.parseISODateTime(Substring(text)) else { return nil }
        return Date(timeIntervalSince1970: Double(millis) / 1000)
    }

    /// `2024-05-01T12:00:00.000Z`.
    static func format(_ date: Date) -> String {
        Dates.formatDateTime(Int64((date.timeIntervalSince1970 * 1000).rounded(.down)))
    }
}
