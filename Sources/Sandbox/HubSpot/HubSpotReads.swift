import Foundation
import HTTPServer

extension HubSpotEmulator {
    /// `GET /crm/v3/objects/{objectType}?limit&after&properties&archived`.
    func list(_ request: Request) -> Response {
        let objectType = request.parameter("objectType") ?? ""
        guard let object = objectName(objectType) else { return unknownObjectType(objectType) }
        let limit = min(max(Int(request.query("limit") ?? "") ?? 10, 1), 100)
        var start = 0
        if let after = request.query("after") {
            guard let offset = Int(after), offset >= 0 else {
                return error(400, category: "VALIDATION_ERROR", message: "Invalid paging cursor: \(after)")
            }
            start = offset
        }
        let names = request.queryList("properties")
        let archived = request.query("archived") == "true"
        // Only the page leaves the lock: holding a snapshot of every record would make a concurrent
        // write copy them all.
        let (total, page, layout) = store.transaction { tables -> (Int, [StoredRecord], FieldLayout) in
            guard !archived else { return (0, [], .empty) }
            let total = tables.count(object)
            let page = start < total ? tables.records(object, in: start..<min(total, start + limit)) : []
            return (total, page, tables.layout(object))
        }
        var body = JSONObjectBytes()
        body.set("results", json: objectWriter(names, object: object, layout: layout).array(page))
        let next = start + page.count
        if next < total {
            body.set("paging", ["next": ["after": .string(String(next)), "link": .string(nextLink(request, limit, next, names))]])
        }
        return .json(bytes: body.bytes)
    }

    /// `GET /crm/v3/objects/{objectType}/{id}?idProperty&properties`.
    func readOne(_ request: Request) -> Response {
        let objectType = request.parameter("objectType") ?? ""
        guard let object = objectName(objectType) else { return unknownObjectType(objectType) }
        let id = request.parameter("objectId") ?? ""
        guard let record = find(object, id: id, idProperty: request.query("idProperty")) else {
            return error(404, category: "OBJECT_NOT_FOUND", message: "Object not found.  objectId are usually numeric.")
        }
        return .json(bytes: wire(record, properties: request.queryList("properties"), object: object))
    }

    /// The URL of the page after `after`: the same path, limit and properties (all of them, as one
    /// comma list, each name percent-encoded) and `archived` when it was asked for.
    private func nextLink(_ request: Request, _ limit: Int, _ after: Int, _ names: [String]?) -> String {
        var link = "\(request.path)?limit=\(limit)&after=\(after)"
        if let names {
            let encoded = names.map { $0.addingPercentEncoding(withAllowedCharacters: Self.queryNameCharacters) ?? $0 }
            link += "&properties=" + encoded.joined(separator: ",")
        }
        if let archived = request.query("archived") {
            link += "&archived=" + (archived.addingPercentEncoding(withAllowedCharacters: Self.queryNameCharacters) ?? "")
        }
        return link
    }

    /// Characters left as they are in a query value we build: RFC 3986 unreserved.
    private static let queryNameCharacters = CharacterSet(
        charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")

    /// `POST /crm/v3/objects/{objectType}/batch/read` with `{inputs:[{id}], properties, idProperty}`.
    func batchRead(_ request: Request) -> Response {
        let objectType = request.parameter("objectType") ?? ""
        guard let object = objectName(objectType) else { return unknownObjectType(objectType) }
        guard let body = request.jsonBody, let inputs = body["inputs"]?.arrayValue else {
            return error(400, category: "VALIDATION_ERROR", message: "Invalid input JSON: expected an object with inputs")
        }
        if inputs.count > batchLimit(request) {
            return tooManyInputs(inputs.count, limit: batchLimit(request))
        }
        let started = Timestamps.iso(context.clock())
        let names = body["properties"]?.arrayValue?.compactMap(\.stringValue)
        let idProperty = body["idProperty"]?.stringValue
        var results = JSONArrayBytes(capacity: 4096)
        var missing: [String] = []
        for input in inputs {
            let id = input["id"]?.textValue ?? ""
            if let record = find(object, id: id, idProperty: idProperty) {
                results.append { $0.append(contentsOf: wire(record, properties: names, object: object)) }
            } else {
                missing.append(id)
            }
        }
        var reply = JSONObjectBytes()
        reply.set("status", "COMPLETE")
        reply.set("results", json: results.bytes)
        reply.set("startedAt", .string(started))
        reply.set("completedAt", .string(Timestamps.iso(context.clock())))
        guard !missing.isEmpty else { return .json(bytes: reply.bytes) }
        reply.set("numErrors", 1)
        reply.set(
            "errors",
            [
                standardError(
                    category: "OBJECT_NOT_FOUND",
                    message:
                        "Could not get some \(object.uppercased()) objects, they may be deleted or not exist. Check that ids are valid.",
                    context: ["ids": .array(missing.map(JSONValue.string))])
            ])
        return .json(bytes: reply.bytes, status: 207)
    }

    /// `GET /crm/v3/properties/{objectType}`: the schema as HubSpot property definitions.
    func properties(_ request: Request) -> Response {
        let objectType = request.parameter("objectType") ?? ""
        guard let object = objectName(objectType), let schema = context.schemas[object] else {
            return unknownObjectType(objectType)
        }
        let results: [JSONValue] = schema.fields.enumerated().map { index, field in
            let (type, fieldType) = Self.propertyTypes(field)
            let options: [JSONValue] = (field.values ?? []).enumerated().map { order, value in
                ["label": .string(value), "value": .string(value), "hidden": false, "displayOrder": .int(order)]
            }
            return [
                "name": .string(field.name), "label": .string(field.label ?? field.name), "type": .string(type),
                "fieldType": .string(fieldType), "groupName": .string("\(object)information"),
                "description": "", "options": .array(options), "displayOrder": .int(index),
                "hasUniqueValue": .bool(field.unique), "hidden": false, "formField": .bool(!field.readOnly),
                "modificationMetadata": [
                    "archivable": true, "readOnlyDefinition": true, "readOnlyValue": .bool(field.readOnly),
                ],
            ]
        }
        return .json(["results": .array(results)])
    }

    static func propertyTypes(_ field: FieldSpec) -> (String, String) {
        switch field.type {
        case "int", "decimal", "id": ("number", "number")
        case "bool": ("bool", "booleancheckbox")
        case "date": ("date", "date")
        case "datetime": ("datetime", "date")
        case "picklist": ("enumeration", "select")
        case "multipicklist": ("enumeration", "checkbox")
        default: field.format == "phone" ? ("phone_number", "phonenumber") : ("string", "text")
        }
    }

    /// The record whose id (or `idProperty` value, case-insensitive) is `id`.
    func find(_ object: String, id: String, idProperty: String?) -> StoredRecord? {
        store.transaction { tables in
            if let idProperty, idProperty != "hs_object_id" {
                return tables.find(object, field: idProperty, value: id, caseInsensitive: true).first
            }
            return tables.record(object, id: id)
        }
    }

    func tooManyInputs(_ count: Int, limit: Int) -> Response {
        error(400, category: "VALIDATION_ERROR", message: "Too many inputs: \(count). The maximum is \(limit).")
    }
}
