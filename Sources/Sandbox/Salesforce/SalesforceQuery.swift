import Foundation
import HTTPServer

extension SalesforceEmulator {
    /// `GET /query?q=SOQL`: the first page, with `nextRecordsUrl` when more remain.
    func query(_ request: Request) -> Response {
        let version = request.parameter("version") ?? "v59.0"
        guard let text = request.query("q"), !text.isEmpty else {
            return error(400, "MALFORMED_QUERY", "A query string has to be specified")
        }
        let soql: SOQLQuery
        do {
            soql = try SOQLQuery.parse(text)
        } catch let malformed as SOQLQuery.Malformed {
            return error(400, "MALFORMED_QUERY", malformed.message)
        } catch {
            return self.error(400, "MALFORMED_QUERY", "\(error)")
        }
        guard knows(soql.object) else {
            return error(
                400, "INVALID_TYPE",
                "sObject type '\(soql.object)' is not supported. If you are attempting to use a custom object, be sure to append the '__c' after the entity name."
            )
        }
        let referenced = soql.fields + soql.conditions.map(\.field) + soql.ordering.map(\.field)
        if let schema = context.schemas[soql.object] {
            for field in referenced where schema.field(field) == nil && !Self.systemFields.contains(field) {
                return error(
                    400, "INVALID_FIELD",
                    "No such column '\(field)' on entity '\(soql.object)'. If you are attempting to use a custom field, be sure to append the '__c' after the custom field name. Please reference your WSDL or the describe call for the appropriate names."
                )
            }
        }
        var records = store.all(soql.object).filter { record in
            soql.conditions.allSatisfy { SOQLQuery.satisfies(value(of: $0.field, in: record), $0) }
        }
        if !soql.ordering.isEmpty {
            // Compared key by key (dates as instants, numbers as numbers); records equal on every key
            // keep their stored order, so the pages of one query never repeat or skip a record.
            let keyed = records.enumerated().map { position, record in
                (position, record, soql.ordering.map { value(of: $0.field, in: record) })
            }
            records = keyed.sorted { left, right in
                for (index, key) in soql.ordering.enumerated() {
                    let ordering = Self.compare(left.2[index], right.2[index], exact: key.field == "Id")
                    if ordering != .orderedSame { return key.descending ? ordering == .orderedDescending : ordering == .orderedAscending }
                }
                return left.0 < right.0
            }.map(\.1)
        }
        if let offset = soql.offset { records = Array(records.dropFirst(offset)) }
        if let limit = soql.limit { records = Array(records.prefix(limit)) }
        if soql.countOnly {
            // COUNT(): the number is `totalSize`; there are no rows.
            return .json(.object(["totalSize": .int(records.count), "done": .bool(true), "records": .array([])]))
        }
        let wires = records.map { wire($0, object: soql.object, fields: soql.fields, version: version) }
        return page(wires, from: 0, pageSize: pageSize(request), locator: nil, version: version)
    }

    /// Orders two field values as SOQL's ORDER BY does: nulls first, numbers by value, date-times as
    /// instants, text without regard to case (`exact`: byte by byte, as record ids, which are
    /// case-sensitive).
    static func compare(_ left: JSONValue, _ right: JSONValue, exact: Bool = false) -> ComparisonResult {
        switch (left, right) {
        case (.null, .null): return .orderedSame
        case (.null, _): return .orderedAscending
        case (_, .null): return .orderedDescending
        default: break
        }
        if let a = left.numberValue, let b = right.numberValue {
            return a < b ? .orderedAscending : a > b ? .orderedDescending : .orderedSame
        }
        let a = left.textValue ?? ""
        let b = right.textValue ?? ""
        if a.utf8.count > 9, b.utf8.count > 9, let x = Timestamps.parse(a), let y = Timestamps.parse(b) { return x.compare(y) }
        if exact { return a == b ? .orderedSame : a < b ? .orderedAscending : .orderedDescending }
        return a.compare(b, options: .caseInsensitive)
    }

    /// `GET /query/<locator>-<offset>`: a later page of an earlier query.
    func queryMore(_ request: Request) -> Response {
        let version = request.parameter("version") ?? "v59.0"
        let token = request.parameter("locator") ?? ""
        guard let dash = token.lastIndex(of: "-"), let offset = Int(token[token.index(after: dash)...]) else {
            return error(400, "INVALID_QUERY_LOCATOR", "invalid query locator")
        }
        let locator = String(token[..<dash])
        guard let cursor = cursors.withLock({ $0[locator] }), offset <= cursor.records.count else {
            return error(400, "INVALID_QUERY_LOCATOR", "invalid query locator")
        }
        return page(cursor.records, from: offset, pageSize: cursor.pageSize, locator: locator, version: version)
    }

    private func page(_ records: [JSONValue], from offset: Int, pageSize: Int, locator: String?, version: String)
        -> Response
    {
        let end = min(records.count, offset + pageSize)
        var body: [String: JSONValue] = [
            "totalSize": .int(records.count), "done": .bool(end >= records.count),
            "records": .array(Array(records[offset..<end])),
        ]
        if end < records.count {
            let name =
                locator
                ?? {
                    let number = cursorCounter.withLock { value in
                        value += 1
                        return value
                    }
                    let name = "01gSb\(String(format: "%010d", number))"
                    cursors.withLock { $0[name] = (records, pageSize) }
                    return name
                }()
            body["nextRecordsUrl"] = .string("/services/data/\(version)/query/\(name)-\(end)")
        }
        return .json(.object(body))
    }

    private func pageSize(_ request: Request) -> Int {
        let ceiling = limiter.endpoint(method: "GET", path: request.path)?.batchSize ?? 2000
        guard let options = request.header("Sforce-Query-Options") else { return ceiling }
        for part in options.split(separator: ",") {
            let pair = part.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            if pair.count == 2, pair[0] == "batchSize", let size = Int(pair[1]) {
                return min(max(size, 1), ceiling)
            }
        }
        return ceiling
    }

    /// `GET /sobjects/{SObject}/describe`: the schema as Salesforce field descriptions.
    func describe(_ request: Request) -> Response {
        let object = request.parameter("sobject") ?? ""
        guard let schema = context.schemas[object] else {
            return error(404, "NOT_FOUND", "The requested resource does not exist")
        }
        let fields: [JSONValue] = schema.fields.map { field in
            let writable = !field.readOnly
            return [
                "name": .string(field.name), "label": .string(field.label ?? field.name),
                "type": .string(Self.describeType(field)), "length": .int(field.maxLength ?? 0),
                "nillable": .bool(field.nullable && !field.required), "createable": .bool(writable),
                "updateable": .bool(writable), "defaultValue": .null, "externalId": .bool(field.externalId),
                "idLookup": .bool(field.externalId || field.name == "Id"), "unique": .bool(field.unique),
                "custom": .bool(field.name.hasSuffix("__c")),
                "picklistValues": .array(
                    (field.values ?? []).map {
                        ["value": .string($0), "label": .string($0), "active": true, "defaultValue": false]
                    }),
                "referenceTo": [], "relationshipName": .null,
            ]
        }
        return .json([
            "name": .string(object), "label": .string(schema.label ?? object),
            "labelPlural": .string((schema.label ?? object) + "s"), "keyPrefix": .string(Self.keyPrefix(object)),
            "custom": .bool(object.hasSuffix("__c")), "createable": true, "updateable": true, "deletable": true,
            "queryable": true, "fields": .array(fields), "childRelationships": [], "recordTypeInfos": [],
            "urls": ["describe": .string("/services/data/\(request.parameter("version") ?? "v59.0")/sobjects/\(object)/describe")],
        ])
    }

    static func describeType(_ field: FieldSpec) -> String {
        switch field.type {
        case "id": "id"
        case "int": "int"
        case "decimal": "double"
        case "bool": "boolean"
        case "date": "date"
        case "datetime": "datetime"
        case "picklist": "picklist"
        case "multipicklist": "multipicklist"
        default:
            switch field.format {
            case "email": "email"
            case "phone": "phone"
            case "url": "url"
            default: (field.maxLength ?? 0) > 255 ? "textarea" : "string"
            }
        }
    }
}
