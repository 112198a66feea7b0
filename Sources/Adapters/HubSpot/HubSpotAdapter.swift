import Foundation
import MapDSL
import SyncEngine

/// HubSpot CRM v3: objects list with `after` paging, search for incremental reads, properties for
/// describe, batch upsert by `idProperty`, batch update/create, batch read for lookups.
///
/// Objects are schema names (`contact`, `company`, `deal`, `ticket`, or a custom object type id);
/// property values travel as strings and are typed back from the described schema on fetch.
public final class HubSpotAdapter: PlatformAdapter {
    public let platform = "hubspot"
    let api: APIClient
    let cache: LookupCache
    let schemas = Locked<[String: Schema]>([:])

    /// Creates an adapter for `connection` (base URL and private-app or OAuth token).
    public init(connection: Connection, options: AdapterOptions = AdapterOptions()) throws(AdapterError) {
        guard let url = connection.baseURL, let token = connection.credential else {
            throw .fatal("hubspot connection needs a base URL and a token")
        }
        api = try APIClient(
            platform: platform, baseURL: url, headers: ["Authorization": "Bearer \(token.value)"], secrets: [token],
            options: options, throttle: HubSpotAdapter.throttle, message: HubSpotAdapter.message)
        cache = LookupCache(capacity: options.lookupCacheSize)
    }

    /// 429 with `policyName` `DAILY` means the day's quota is gone (it resets at midnight in the
    /// account's time zone, unknown here: an hour is suggested); other policies are short waits.
    static func throttle(_ response: HTTPResponse) -> Throttle {
        guard response.status == 429 else { return .none }
        if response.json?["policyName"]?.stringValue == "DAILY" {
            return .exhausted(retryAfter: 3600, message: "hubspot daily API limit reached: \(message(response))")
        }
        return .wait(nil)
    }

    /// HubSpot's error text: `message`, plus the first detail.
    static func message(_ response: HTTPResponse) -> String {
        guard let json = response.json else { return response.snippet }
        var text = json["message"]?.stringValue ?? response.snippet
        if let category = json["category"]?.stringValue ?? json["policyName"]?.stringValue { text = "\(category): \(text)" }
        return text
    }

    /// The URL object type for a schema object name.
    static func objectType(_ object: String) -> String {
        switch object {
        case "contact": "contacts"
        case "company": "companies"
        case "deal": "deals"
        case "ticket": "tickets"
        default: object
        }
    }

    /// The property holding the last-modified time.
    static func modifiedProperty(_ object: String) -> String {
        object == "contact" ? "lastmodifieddate" : "hs_lastmodifieddate"
    }

    public func limits(object: String, mode: WriteMode) -> AdapterLimits {
        let operation = mode == .insertOnly ? "create" : mode == .updateOnly ? "update" : "upsert"
        let rule = api.limiter.rule(method: "POST", path: "/crm/v3/objects/\(Self.objectType(object))/batch/\(operation)")
        return AdapterLimits(
            maxBatchRecords: rule.batchSize ?? 100, maxPayloadBytes: rule.payloadBytes, maxRecordBytes: rule.recordBytes)
    }

    // MARK: - Describe

    public func describe(object: String) throws(AdapterError) -> Schema {
        if let schema = schemas.withLock({ $0[object] }) { return schema }
        let response = try api.send("GET", "/crm/v3/properties/\(Self.objectType(object))")
        guard response.status == 200 else { throw api.failure(response, doing: "describing \(object)") }
        guard let results = response.json?["results"]?.arrayValue else {
            throw .fatal("hubspot properties reply for \(object) has no results array")
        }
        let schema = Schema(
            platform: platform, object: object, label: object.capitalized, fields: results.compactMap(Self.field))
        schemas.withLock { $0[object] = schema }
        return schema
    }

    /// One HubSpot property definition as a schema field (see docs/adapters.md for what cannot be expressed).
    static func field(_ property: JSONValue) -> Field? {
        guard let name = property["name"]?.stringValue else { return nil }
        let options = (property["options"]?.arrayValue ?? []).compactMap { $0["value"]?.stringValue }
        let fieldType = property["fieldType"]?.stringValue ?? ""
        var format: FieldFormat?
        let type: FieldType
        switch property["type"]?.stringValue ?? "string" {
        case "number": type = name == "hs_object_id" ? .id : .decimal
        case "bool": type = .bool
        case "date": type = .date
        case "datetime": type = .datetime
        case "enumeration": type = fieldType == "checkbox" ? .multipicklist : .picklist
        case "phone_number":
            type = .string
            format = .phone
        default:
            type = .string
            if name == "email" {
                format = .email
            } else if name == "website" || name.hasSuffix("_url") {
                format = .url
            }
        }
        let readOnly = property["modificationMetadata"]?["readOnlyValue"]?.boolValue ?? false
        let unique = property["hasUniqueValue"]?.boolValue ?? false
        let description = property["description"]?.stringValue
        return Field(
            name: name, label: property["label"]?.stringValue, type: type, nullable: name != "hs_object_id",
            maxLength: type == .string ? 65_536 : nil,
            values: (type == .picklist || type == .multipicklist) && !options.isEmpty ? options : nil,
            readOnly: readOnly, unique: unique, externalId: unique && !readOnly, format: format,
            description: description?.isEmpty == false ? description : nil)
    }

    /// The schema if already described, else described now; nil when describing fails (fetch still works untyped).
    func knownSchema(_ object: String) -> Schema? {
        if let schema = schemas.withLock({ $0[object] }) { return schema }
        return try? describe(object: object)
    }

    // MARK: - Fetch

    /// Cursor formats: `a:<after>` for the list endpoint, `s:<since>|<after>` for search.
    public func fetch(_ request: FetchRequest) throws(AdapterError) -> SourcePage {
        let schema = knownSchema(request.object)
        let names = request.fields ?? schema?.fields.map(\.name)
        let type = Self.objectType(request.object)
        var since = request.modifiedSince
        var after: String?
        if let cursor = request.cursor {
            if cursor.hasPrefix("s:") {
                let parts = cursor.dropFirst(2).split(separator: "|", maxSplits: 1, omittingEmptySubsequences: false)
                since = parts.first.map(String.init)
                after = parts.count > 1 && !parts[1].isEmpty ? String(parts[1]) : nil
            } else {
                after = String(cursor.hasPrefix("a:") ? cursor.dropFirst(2) : cursor[...])
            }
        }
        let reply: JSONValue
        if let since {
            let modified = Self.modifiedProperty(request.object)
            let pageSize = min(
                max(request.pageSize, 1), api.limiter.rule(method: "POST", path: "/crm/v3/objects/\(type)/search").batchSize ?? 200)
            var body: [(String, JSONValue)] = [
                (
                    "filterGroups",
                    [["filters": [["propertyName": .string(modified), "operator": "GTE", "value": .string(since)]]]]
                ),
                ("sorts", [["propertyName": .string(modified), "direction": "ASCENDING"]]),
                ("limit", .int(pageSize)),
            ]
            if let names { body.append(("properties", .array(names.map(JSONValue.string)))) }
            if let after { body.append(("after", .string(after))) }
            let response = try api.sendJSON("POST", "/crm/v3/objects/\(type)/search", .object(body))
            guard response.status == 200, let json = response.json else {
                throw api.failure(response, doing: "searching \(request.object)")
            }
            reply = json
            let records = try Self.records(json, schema: schema)
            guard let next = json["paging"]?["next"]?["after"]?.stringValue else {
                return SourcePage(records: records, nextCursor: nil)
            }
            // Search stops at 10,000 results: restart from the last modification time seen (re-reading
            // a few records is harmless, upserts are idempotent).
            if (Int(next) ?? 0) + pageSize > 10_000,
                let last = (reply["results"]?.arrayValue?.last?["properties"]?[modified]?.stringValue)
            {
                return SourcePage(records: records, nextCursor: "s:\(last)|")
            }
            return SourcePage(records: records, nextCursor: "s:\(since)|\(next)")
        }
        let pageSize = min(max(request.pageSize, 1), api.limiter.rule(method: "GET", path: "/crm/v3/objects/\(type)").batchSize ?? 100)
        var query: [(String, String)] = [("limit", String(pageSize))]
        if let after { query.append(("after", after)) }
        if let names { query.append(("properties", names.joined(separator: ","))) }
        let response = try api.send("GET", "/crm/v3/objects/\(type)" + queryString(query))
        guard response.status == 200, let json = response.json else {
            throw api.failure(response, doing: "listing \(request.object)")
        }
        let records = try Self.records(json, schema: schema)
        let next = json["paging"]?["next"]?["after"]?.stringValue
        return SourcePage(records: records, nextCursor: next.map { "a:\($0)" })
    }

    static func records(_ json: JSONValue, schema: Schema?) throws(AdapterError) -> [SourceRecord] {
        guard let results = json["results"]?.arrayValue else { throw .fatal("hubspot reply has no results array") }
        return results.compactMap { result in
            guard let id = result["id"]?.stringValue else { return nil }
            return SourceRecord(id: id, fields: typed(result["properties"] ?? [:], schema: schema))
        }
    }

    /// Properties with values typed per the schema (HubSpot sends every value as a string).
    static func typed(_ properties: JSONValue, schema: Schema?) -> JSONValue {
        guard var pairs = properties.objectValue else { return .object([]) }
        for i in pairs.indices {
            guard case .string(let text) = pairs[i].1 else { continue }
            let type = schema.flatMap { s in s.fieldIndex(pairs[i].0).map { s.fields[$0].type } }
            // Text stays text: only typed fields need converting.
            if type != nil && type != .string { pairs[i].1 = JSONShapes.typed(text, as: type) }
        }
        return .object(pairs)
    }

    // MARK: - Write

    public func write(_ request: WriteRequest) throws(AdapterError) -> [WriteResult] {
        let type = Self.objectType(request.object)
        let operation: String
        switch request.mode {
        case .upsert: operation = request.keyField == "hs_object_id" ? "update" : "upsert"
        case .updateOnly: operation = "update"
        case .insertOnly: operation = "create"
        }
        let limits = limits(object: request.object, mode: request.mode)
        let inputs = request.records.map { record in (record, input(record, keyField: request.keyField, operation: operation)) }
        let plan = BatchSplitter.split(
            inputs, maxItems: limits.maxBatchRecords, maxPayload: limits.maxPayloadBytes,
            maxItem: limits.maxRecordBytes, envelope: 12, size: { JSONShapes.size($0.1) }, key: { $0.0.key.lowercased() })
        var results = plan.oversize.map { tooLarge($0.0.key, limits) }
        defer { cache.invalidate(request.object) }
        for chunk in plan.chunks {
            let body: JSONValue = ["inputs": .array(chunk.map(\.1))]
            let response = try api.sendJSON("POST", "/crm/v3/objects/\(type)/batch/\(operation)", body)
            guard [200, 201, 207].contains(response.status), let json = response.json else {
                throw api.failure(response, doing: "batch \(operation) of \(request.object)")
            }
            results += try Self.results(
                json, records: chunk.map(\.0), keyField: request.keyField, operation: operation)
        }
        return results
    }

    /// One batch input for `record`.
    func input(_ record: OutboundRecord, keyField: String, operation: String) -> JSONValue {
        var properties: [(String, JSONValue)] = []
        for (name, value) in record.pairs where name != keyField || operation == "create" {
            properties.append((name, .string(JSONShapes.text(value) ?? "")))
        }
        // Upserts repeat the key as a property so the reply echoes it and results can be matched.
        if operation == "upsert" { properties.append((keyField, .string(record.key))) }
        switch operation {
        case "create":
            return ["properties": .object(properties), "objectWriteTraceId": .string(record.key)]
        case "update" where keyField == "hs_object_id":
            return ["id": .string(record.key), "properties": .object(properties)]
        default:
            return ["id": .string(record.key), "idProperty": .string(keyField), "properties": .object(properties)]
        }
    }

    func tooLarge(_ key: String, _ limits: AdapterLimits) -> WriteResult {
        WriteResult(
            key: key, status: .rejected, errorCode: "RECORD_TOO_LARGE",
            message:
                "the record is larger than HubSpot accepts in one request (\(limits.maxRecordBytes ?? limits.maxPayloadBytes ?? 0) bytes); not sent"
        )
    }

    /// Maps a batch reply (200/201/207) back to the records by key.
    static func results(_ json: JSONValue, records: [OutboundRecord], keyField: String, operation: String)
        throws(AdapterError) -> [WriteResult]
    {
        var byKey: [String: OutboundRecord] = [:]
        for record in records { byKey[record.key.lowercased()] = record }
        var done: [String: WriteResult] = [:]
        for result in json["results"]?.arrayValue ?? [] {
            let id = result["id"]?.stringValue
            let matched: String?
            switch operation {
            case "create": matched = result["objectWriteTraceId"]?.stringValue ?? (records.count == 1 ? records[0].key : nil)
            case "update" where keyField == "hs_object_id": matched = id
            default: matched = result["properties"]?[keyField]?.stringValue ?? (records.count == 1 ? records[0].key : nil)
            }
            guard let matched, let record = byKey[matched.lowercased()] else { continue }
            let isNew = result["new"]?.boolValue ?? (operation == "create")
            done[record.key.lowercased()] = WriteResult(key: record.key, status: isNew ? .created : .updated, destinationId: id)
        }
        for error in json["errors"]?.arrayValue ?? [] {
            let context = error["context"]
            let ids =
                (context?["ids"]?.arrayValue ?? context?["objectWriteTraceId"]?.arrayValue ?? []).compactMap(\.stringValue)
            var targets = ids.compactMap { byKey[$0.lowercased()] }
            if targets.isEmpty {
                let open = records.filter { done[$0.key.lowercased()] == nil }
                if open.count == 1 { targets = open }
            }
            let detail = error["errors"]?.arrayValue?.first
            for record in targets {
                done[record.key.lowercased()] = WriteResult(
                    key: record.key, status: .rejected,
                    errorCode: detail?["code"]?.stringValue ?? error["category"]?.stringValue,
                    message: detail?["message"]?.stringValue ?? error["message"]?.stringValue,
                    field: detail?["in"]?.stringValue)
            }
        }
        var missing = records.filter { done[$0.key.lowercased()] == nil }
        // batch/create echoes trace ids only in errors: when every other input has a result, they were created.
        let unmatched = (json["results"]?.arrayValue?.count ?? 0) - done.values.filter { $0.status != .rejected }.count
        if operation == "create", !missing.isEmpty, unmatched == missing.count {
            for record in missing { done[record.key.lowercased()] = WriteResult(key: record.key, status: .created) }
            missing = []
        }
        if !missing.isEmpty {
            throw .transient(
                "hubspot acknowledged \(records.count - missing.count) of \(records.count) records; re-send the batch (upserts are idempotent)"
            )
        }
        return records.compactMap { done[$0.key.lowercased()] }
    }

    // MARK: - Find

    public func find(object: String, field: String, value: String) throws(AdapterError) -> JSONValue? {
        try cache.lookup(object, field, value) { () throws(AdapterError) -> JSONValue? in
            let schema = knownSchema(object)
            let type = Self.objectType(object)
            let unique = field == "hs_object_id" || schema?.field(field)?.unique == true
            if unique {
                var body: [(String, JSONValue)] = [("inputs", [["id": .string(value)]])]
                if field != "hs_object_id" { body.append(("idProperty", .string(field))) }
                if let names = schema?.fields.map(\.name) { body.append(("properties", .array(names.map(JSONValue.string)))) }
                let response = try api.sendJSON("POST", "/crm/v3/objects/\(type)/batch/read", .object(body))
                guard [200, 207].contains(response.status), let json = response.json else {
                    throw api.failure(response, doing: "reading \(object)")
                }
                guard let first = json["results"]?.arrayValue?.first else { return nil }
                return Self.typed(first["properties"] ?? [:], schema: schema)
            }
            var body: [(String, JSONValue)] = [
                ("filterGroups", [["filters": [["propertyName": .string(field), "operator": "EQ", "value": .string(value)]]]]),
                ("limit", 2),
            ]
            if let names = schema?.fields.map(\.name) { body.append(("properties", .array(names.map(JSONValue.string)))) }
            let response = try api.sendJSON("POST", "/crm/v3/objects/\(type)/search", .object(body))
            guard response.status == 200, let results = response.json?["results"]?.arrayValue else {
                throw api.failure(response, doing: "searching \(object)")
            }
            guard results.count == 1 else { return nil }
            return Self.typed(results[0]["properties"] ?? [:], schema: schema)
        }
    }
}
