import Foundation
import HTTPServer

/// One write input that failed, as a HubSpot `StandardError`.
private struct HubSpotFailure {
    let error: JSONValue
}

extension HubSpotEmulator {
    /// `POST /crm/v3/objects/{objectType}/batch/upsert` with `{inputs:[{id, idProperty, properties}]}`.
    ///
    /// Creates or updates by the unique `idProperty` (matching case-insensitively); 200 when every input
    /// succeeded, 207 with `numErrors`/`errors` otherwise. Results carry `new`.
    func batchUpsert(_ request: Request) -> Response {
        batchWrite(request, creates: true)
    }

    /// `POST /crm/v3/objects/{objectType}/batch/update` with `{inputs:[{id, idProperty?, properties}]}`.
    func batchUpdate(_ request: Request) -> Response {
        batchWrite(request, creates: false)
    }

    private func batchWrite(_ request: Request, creates: Bool) -> Response {
        let objectType = request.parameter("objectType") ?? ""
        guard let object = objectName(objectType) else { return unknownObjectType(objectType) }
        guard let inputs = request.jsonBody?["inputs"]?.arrayValue else {
            return error(400, category: "VALIDATION_ERROR", message: "Invalid input JSON: expected an object with inputs")
        }
        if inputs.count > batchLimit(request) {
            return tooManyInputs(inputs.count, limit: batchLimit(request))
        }
        let ids = inputs.map { $0["id"]?.textValue?.lowercased() ?? "" }
        let repeated = Set(ids.filter { id in ids.filter { $0 == id }.count > 1 })
        if !repeated.isEmpty {
            return error(
                400, category: "VALIDATION_ERROR",
                message: "Duplicate IDs found in batch input: \(repeated.sorted()). IDs must be unique")
        }
        let schema = context.schemas[object]
        let started = Timestamps.iso(context.clock())
        var results = JSONArrayBytes(capacity: 4096)
        var failures: [HubSpotFailure] = []
        store.transaction { tables in
            for input in inputs {
                let id = input["id"]?.textValue ?? ""
                let idProperty = input["idProperty"]?.stringValue ?? "hs_object_id"
                var fields = normalized(input["properties"]?.objectValue ?? [:], schema: schema)
                let existing: StoredRecord?
                if idProperty == "hs_object_id" {
                    existing = tables.record(object, id: id)
                } else {
                    if let schema, schema.field(idProperty)?.unique != true {
                        failures.append(invalidIDProperty(idProperty, id: id))
                        continue
                    }
                    existing = tables.find(object, field: idProperty, value: id, caseInsensitive: true).first
                    fields[idProperty] = normalized([idProperty: .string(id)], schema: schema)[idProperty]
                }
                let issues = FieldValidator.validate(fields, against: schema, creating: existing == nil)
                if !issues.isEmpty {
                    failures.append(HubSpotFailure(error: validationError(issues, fields: fields, id: id)))
                    continue
                }
                let now = context.clock()
                // The object writer sorts the properties and drops repeats.
                let names = Array(fields.keys) + defaultProperties(object)
                if let existing {
                    let updated = tables.update(object, id: existing.id, fields: fields, at: now)!
                    let bytes = wire(updated, properties: names, object: object, new: creates ? false : nil)
                    results.append { $0.append(contentsOf: bytes) }
                } else if creates && idProperty != "hs_object_id" {
                    let id = String(tables.nextSequence())
                    let record = tables.insert(id: id, fields: fields, createdAt: now, updatedAt: now, into: object)
                    let bytes = wire(record, properties: names, object: object, new: true)
                    results.append { $0.append(contentsOf: bytes) }
                } else {
                    failures.append(notFound(object, id: id))
                }
            }
        }
        return batchReply(results: results, failures: failures, started: started, successStatus: 200)
    }

    /// `POST /crm/v3/objects/{objectType}/batch/create` with `{inputs:[{properties, objectWriteTraceId?}]}`.
    ///
    /// A 207 multi-status needs a unique `objectWriteTraceId` on every input (echoed in `context`);
    /// without it one bad input refuses the whole batch with 400 and nothing is created.
    func batchCreate(_ request: Request) -> Response {
        let objectType = request.parameter("objectType") ?? ""
        guard let object = objectName(objectType) else { return unknownObjectType(objectType) }
        guard let inputs = request.jsonBody?["inputs"]?.arrayValue else {
            return error(400, category: "VALIDATION_ERROR", message: "Invalid input JSON: expected an object with inputs")
        }
        if inputs.count > batchLimit(request) {
            return tooManyInputs(inputs.count, limit: batchLimit(request))
        }
        let traced = inputs.allSatisfy { $0["objectWriteTraceId"]?.textValue != nil }
        let schema = context.schemas[object]
        let uniqueFields = schema?.fields.filter { $0.unique && !$0.readOnly }.map(\.name) ?? []
        let started = Timestamps.iso(context.clock())
        var results = JSONArrayBytes(capacity: 4096)
        var failures: [HubSpotFailure] = []
        var firstFailure: Response?
        store.transaction { tables in
            var pending: [(id: String, fields: [String: JSONValue], date: Date)] = []
            for input in inputs {
                let trace = input["objectWriteTraceId"]?.textValue
                let fields = normalized(input["properties"]?.objectValue ?? [:], schema: schema)
                var failure: JSONValue?
                let issues = FieldValidator.validate(fields, against: schema, creating: true)
                if !issues.isEmpty {
                    failure = validationError(issues, fields: fields, id: trace)
                } else {
                    for name in uniqueFields {
                        guard let value = fields[name]?.textValue else { continue }
                        let clash =
                            tables.find(object, field: name, value: value, caseInsensitive: true).first?.id
                            ?? pending.first { $0.fields[name]?.textValue?.lowercased() == value.lowercased() }.map(\.id)
                        if let clash {
                            failure = standardError(
                                category: "CONFLICT", message: "\(object.capitalized) already exists. Existing ID: \(clash)",
                                context: trace.map { ["objectWriteTraceId": [.string($0)]] } ?? [:])
                            break
                        }
                    }
                }
                if let failure {
                    failures.append(HubSpotFailure(error: failure))
                    if firstFailure == nil, !traced {
                        firstFailure = error(failure["category"] == "CONFLICT" ? 409 : 400, from: failure)
                    }
                    continue
                }
                let now = context.clock()
                pending.append((String(tables.nextSequence()), fields, now))
            }
            guard firstFailure == nil else { return }
            for item in pending {
                let record = tables.insert(
                    id: item.id, fields: item.fields, createdAt: item.date, updatedAt: item.date, into: object)
                let bytes = wire(record, properties: Array(item.fields.keys) + defaultProperties(object), object: object)
                results.append { $0.append(contentsOf: bytes) }
            }
        }
        if let firstFailure { return firstFailure }
        return batchReply(results: results, failures: failures, started: started, successStatus: 201)
    }

    // MARK: - Helpers

    /// Lower-cases email-format values, as HubSpot stores them.
    private func normalized(_ fields: [String: JSONValue], schema: ObjectSchema?) -> [String: JSONValue] {
        var result = fields
        for (name, value) in fields where schema?.field(name)?.format == "email" {
            if let text = value.stringValue { result[name] = .string(text.lowercased()) }
        }
        return result
    }

    private func batchReply(results: JSONArrayBytes, failures: [HubSpotFailure], started: String, successStatus: Int)
        -> Response
    {
        var reply = JSONObjectBytes()
        reply.set("status", "COMPLETE")
        reply.set("results", json: results.bytes)
        reply.set("startedAt", .string(started))
        reply.set("completedAt", .string(Timestamps.iso(context.clock())))
        guard !failures.isEmpty else { return .json(bytes: reply.bytes, status: successStatus) }
        reply.set("numErrors", .int(failures.count))
        reply.set("errors", .array(failures.map(\.error)))
        return .json(bytes: reply.bytes, status: 207)
    }

    private func notFound(_ object: String, id: String) -> HubSpotFailure {
        HubSpotFailure(
            error: standardError(
                category: "OBJECT_NOT_FOUND", message: "Could not find \(object.uppercased()) with id \(id)",
                context: ["ids": [.string(id)]]))
    }

    private func invalidIDProperty(_ idProperty: String, id: String) -> HubSpotFailure {
        HubSpotFailure(
            error: standardError(
                category: "VALIDATION_ERROR",
                message: "Property \(idProperty) is not a unique property and cannot be used as idProperty",
                context: ["ids": [.string(id)]]))
    }

    /// HubSpot's "Property values were not valid" error for one input.
    private func validationError(_ issues: [FieldIssue], fields: [String: JSONValue], id: String?) -> JSONValue {
        let details: [JSONValue] = issues.map { issue in
            let (code, message) = Self.describe(issue, value: fields[issue.field]?.textValue ?? "")
            return [
                "isValid": false, "message": .string(message), "error": .string(code), "name": .string(issue.field),
            ]
        }
        let detailText = String(decoding: JSONValue.array(details).serialized(), as: UTF8.self)
        return standardError(
            category: "VALIDATION_ERROR", message: "Property values were not valid: \(detailText)",
            context: id.map { ["ids": [.string($0)]] } ?? [:],
            errors: issues.map { issue in
                let (code, message) = Self.describe(issue, value: fields[issue.field]?.textValue ?? "")
                return ["message": .string(message), "code": .string(code), "in": .string(issue.field)]
            })
    }

    /// HubSpot's error code and message for one field problem.
    static func describe(_ issue: FieldIssue, value: String) -> (String, String) {
        switch issue.problem {
        case .invalidEmail(let email):
            return ("INVALID_EMAIL", "Email address \(email) is invalid")
        case .notAllowed(let bad, let allowed):
            return ("INVALID_OPTION", "\(bad) was not one of the allowed options: [\(allowed.joined(separator: ", "))]")
        case .tooLong(let maxLength, let length):
            return (
                "INVALID_LENGTH",
                "Property \(issue.field) has a value of length \(length), which exceeds the maximum of \(maxLength)"
            )
        case .unknownField:
            return ("PROPERTY_DOESNT_EXIST", "Property \"\(issue.field)\" does not exist")
        case .readOnly:
            return ("READ_ONLY_VALUE", "\(issue.field) is a read only property; its value cannot be set.")
        case .wrongType(let expected):
            return ("INVALID_\(expected.uppercased())", "\(value) is not a valid \(expected) value for \(issue.field)")
        case .required, .notNullable:
            return ("REQUIRED", "\(issue.field) is required")
        }
    }
}
