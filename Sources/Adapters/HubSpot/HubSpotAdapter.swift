import Foundation
import MapDSL
import MapcSupport
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
    /// account's time zone: the registry's reset rule and time zone estimate when); other policies are short waits.
    static func throttle(_ response: HTTPResponse) -> Throttle {
        guard response.status == 429 else { return .none }
        if response.json?["policyName"]?.stringValue == "DAILY" {
            return .exhausted(quota: "hubspot daily API limit", resetsAt: nil, message: message(response))
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

    /// Cursor formats: `a:<after>` for the list endpoint; for search (incremental reads) those of
    /// ``HubSpotSearchCursor``.
    public func fetch(_ request: FetchRequest) throws(AdapterError) -> SourcePage {
        let schema = knownSchema(request.object)
        let names = request.fields ?? schema?.fields.map(\.name)
        var search: HubSpotSearchCursor?
        var after: String?
        if let cursor = request.cursor {
            if let parsed = HubSpotSearchCursor(text: cursor) {
                search = parsed
            } else {
                after = String(cursor.hasPrefix("a:") ? cursor.dropFirst(2) : cursor[...])
            }
        } else if let since = request.modifiedSince {
            guard let first = HubSpotSearchCursor(since: since) else {
                throw .fatal("modifiedSince '\(since)' is not an ISO 8601 date-time")
            }
            search = first
        }
        if let search { return try self.search(request, from: search, names: names, schema: schema) }
        let type = Self.objectType(request.object)
        let pageSize = min(max(request.pageSize, 1), api.limiter.rule(method: "GET", path: "/crm/v3/objects/\(type)").batchSize ?? 100)
        var query: [(String, String)] = [("limit", String(pageSize))]
        if let after { query.append(("after", after)) }
        if let names { query.append(("properties", names.joined(separator: ","))) }
        let response = try api.send("GET", "/crm/v3/objects/\(type)" + queryString(query))
        guard response.status == 200, let json = response.json else {
            throw api.failure(response, doing: "listing \(request.object)")
        }
        let records = try Self.records(json, schema: schema, modified: Self.modifiedProperty(request.object))
        let next = json["paging"]?["next"]?["after"]?.stringValue
        return SourcePage(records: records, nextCursor: next.map { "a:\($0)" })
    }

    /// One page of an incremental read: `POST /crm/v3/objects/{type}/search` on the last-modified
    /// property, ascending, restarted from the last time seen for every page (see
    /// ``HubSpotSearchCursor``); search has its own, lower rate limit in the registry.
    func search(_ request: FetchRequest, from cursor: HubSpotSearchCursor, names: [String]?, schema: Schema?)
        throws(AdapterError) -> SourcePage
    {
        let type = Self.objectType(request.object)
        let modified = Self.modifiedProperty(request.object)
        let path = "/crm/v3/objects/\(type)/search"
        let pageSize = min(max(request.pageSize, 1), api.limiter.rule(method: "POST", path: path).batchSize ?? 200)
        let (filterGroups, sorts) = cursor.query(modified: modified)
        var body: [(String, JSONValue)] = [("filterGroups", filterGroups), ("sorts", sorts), ("limit", .int(pageSize))]
        // The modification time is always asked for: the read goes on from it.
        if let names { body.append(("properties", .array((names.contains(modified) ? names : names + [modified]).map(JSONValue.string)))) }
        let response = try api.sendJSON("POST", path, .object(body))
        guard response.status == 200, let json = response.json else {
            throw api.failure(response, doing: "searching \(request.object)")
        }
        var records = try Self.records(json, schema: schema, modified: modified)
        let positions = records.map { ($0.id, $0.modified.flatMap { Dates.parseISODateTime(Substring($0)) }) }
        records = zip(records, positions).filter { !cursor.alreadyRead(id: $0.1.0, millis: $0.1.1) }.map(\.0)
        if let names, !names.contains(modified) {
            for i in records.indices { records[i].fields = .object((records[i].fields.objectValue ?? []).filter { $0.0 != modified }) }
        }
        let more = json["paging"]?["next"] != nil
        let next = cursor.next(after: positions.map { (id: $0.0, millis: $0.1) }, more: more)
        return SourcePage(records: records, nextCursor: next?.text, ordered: true)
    }

    /// The records of a list or search reply, each with its modification time (the `modified`
    /// property, else the object's `updatedAt`).
    static func records(_ json: JSONValue, schema: Schema?, modified: String) throws(AdapterError) -> [SourceRecord] {
        guard let results = json["results"]?.arrayValue else { throw .fatal("hubspot reply has no results array") }
        return results.compactMap { result in
            guard let id = result["id"]?.stringValue else { return nil }
            let properties = result["properties"] ?? [:]
            let changed = properties[modified]?.stringValue ?? result["updatedAt"]?.stringValue
            return SourceRecord(id: id, fields: typed(properties, schema: schema), modified: changed)
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
            // batch/create is not idempotent: a request on a dropped connection is reported, never re-sent unseen.
            let response = try api.sendJSON(
                "POST", "/crm/v3/objects/\(type)/batch/\(operation)", body, idempotent: operation != "create")
            guard [200, 201, 207].contains(response.status), let json = response.json else {
                throw api.failure(response, doing: "batch \(operation) of \(request.object)")
            }
            results += try Self.results(
                json, records: chunk.map(\.0), keyField: request.keyField, operation: operation, transient: api.transient)
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
    static func results(
        _ json: JSONValue, records: [OutboundRecord], keyField: String, operation: String,
        transient: TransientErrors = TransientErrors(platform: "hubspot", rules: [])
    ) throws(AdapterError) -> [WriteResult] {
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
            let code = detail?["code"]?.stringValue ?? error["category"]?.stringValue
            // A per-input status (429, 5xx) or category the platform documents as passing.
            let status = error["status"].flatMap { $0.stringValue.flatMap { Int($0) } ?? $0.intValue }
            let passing =
                transient.isTransient(code: code, status: status)
                || transient.isTransient(code: error["category"]?.stringValue, status: nil)
            for record in targets {
                done[record.key.lowercased()] = WriteResult(
                    key: record.key, status: .rejected, errorCode: code,
                    message: detail?["message"]?.stringValue ?? error["message"]?.stringValue,
                    field: detail?["in"]?.stringValue, transient: passing)
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
