import Foundation
import HTTPServer
import MapDSL

extension SalesforceEmulator {
    /// `PATCH /composite/sobjects/{SObject}/{ExternalIdField}` with `{allOrNone, records:[...]}`.
    ///
    /// Up to the table's batch size (200) records, processed in order; replies 200 with one
    /// `{id, success, errors, created}` per record. With `allOrNone` any failure rolls everything back
    /// and the other records report `ALL_OR_NONE_OPERATION_ROLLED_BACK`.
    func upsert(_ request: Request) -> Response {
        let object = request.parameter("sobject") ?? ""
        let externalField = request.parameter("externalIdField") ?? ""
        let body: CollectionBody
        do {
            body = try CollectionBody.decode(request.body, keyField: externalField)
        } catch .notAnObject {
            return error(400, "JSON_PARSER_ERROR", "The request body is not valid JSON")
        } catch {
            return self.error(400, "INVALID_FIELD", "The 'records' field is required")
        }
        let records = body.records
        let cap = limiter.endpoint(method: request.method, path: request.path)?.batchSize ?? 200
        if records.count > cap {
            return error(
                400, "EXCEEDED_ID_LIMIT", "record limit reached. cannot submit more than \(cap) records into this call")
        }
        guard knows(object) else {
            return error(404, "NOT_FOUND", "The requested resource does not exist")
        }
        let schema = context.schemas[object]
        if let schema, externalField != "Id", schema.field(externalField)?.externalId != true {
            return error(
                404, "NOT_FOUND", "Provided external ID field does not exist or is not accessible: \(externalField)",
                fields: [externalField])
        }
        let allOrNone = body.allOrNone
        let keys = records.map { $0.key?.lowercased() }
        var results: [UpsertOutcome] = []
        results.reserveCapacity(records.count)
        var anyFailed = false

        var keyCounts: [String: Int] = [:]
        for case let key? in keys { keyCounts[key, default: 0] += 1 }
        let checks = schema.map { FieldChecks(columns: body.columns, schema: $0, column: body.column) }
        // Upserting by Id never writes the Id field.
        let idColumn = externalField == "Id" ? body.column("Id") : nil

        func apply(_ working: inout RecordTables) {
            // Store slots of the request's columns, resolved on first write.
            var slots = [Int?](repeating: nil, count: body.columns.count)
            for (index, record) in records.enumerated() {
                guard let key = keys[index], !key.isEmpty else {
                    results.append(failure([("MISSING_ARGUMENT", "\(externalField) not specified", [externalField])]))
                    anyFailed = true
                    continue
                }
                if keyCounts[key, default: 0] > 1 {
                    results.append(
                        failure([("DUPLICATE_EXTERNAL_ID", "Duplicate external id specified: \(key)", [externalField])]))
                    anyFailed = true
                    continue
                }
                let matches =
                    externalField == "Id"
                    ? working.all(object).filter { $0.id.lowercased() == key }
                    : working.find(object, field: externalField, value: key, caseInsensitive: true)
                if matches.count > 1 {
                    results.append(
                        failure([
                            ("DUPLICATE_EXTERNAL_ID", "Provided external ID field exists on multiple records", [externalField])
                        ]))
                    anyFailed = true
                    continue
                }
                let existing = matches.first
                var values = record.values
                if let idColumn, idColumn < values.count { values[idColumn] = nil }
                let issues = checks?.validate(values, creating: existing == nil) ?? []
                if !issues.isEmpty {
                    // By name for the messages, which quote values.
                    let fields = values.fields(named: body.columns)
                    results.append(failure(Self.describe(issues, fields: fields, object: object)))
                    anyFailed = true
                    continue
                }
                let now = context.clock()
                if existing == nil && externalField == "Id" {
                    results.append(failure([("NOT_FOUND", "Provided external ID field does not exist or is not accessible: \(key)", [])]))
                    anyFailed = true
                    continue
                }
                var slotted: [(slot: Int, value: JSONValue)] = []
                slotted.reserveCapacity(values.count)
                for (column, value) in values.enumerated() {
                    guard let value else { continue }
                    if slots[column] == nil { slots[column] = working.slot(of: body.columns[column], in: object) }
                    slotted.append((slots[column]!, value))
                }
                if let existing {
                    working.update(object, id: existing.id, values: slotted, at: now)
                    results.append(.saved(id: existing.id, created: false))
                } else {
                    let id = Self.makeID(object, working.nextSequence())
                    working.insert(id: id, values: slotted, createdAt: now, updatedAt: now, into: object)
                    results.append(.saved(id: id, created: true))
                }
            }
        }

        store.transaction { tables in
            guard allOrNone else {
                // Each record stands alone: write in place (copying the tables would cost a copy of
                // every stored record per request).
                apply(&tables)
                return
            }
            var working = tables
            apply(&working)
            if anyFailed {
                results = results.map { result in
                    guard case .saved = result else { return result }
                    return failure([
                        (
                            "ALL_OR_NONE_OPERATION_ROLLED_BACK",
                            "Record rolled back because not all records were valid and the request was using AllOrNone header",
                            []
                        )
                    ])
                }
            } else {
                tables = working
            }
        }
        var reply = JSONArrayBytes(capacity: 64 * results.count + 2)
        for result in results {
            reply.append { result.append(to: &$0) }
        }
        return .json(bytes: reply.bytes)
    }

    private func failure(_ errors: [(code: String, message: String, fields: [String])]) -> UpsertOutcome {
        .failed([
            "success": false, "created": false,
            "errors": .array(
                errors.map {
                    ["statusCode": .string($0.code), "message": .string($0.message), "fields": .array($0.fields.map(JSONValue.string))]
                }),
        ])
    }

    /// Salesforce status codes and messages for field problems (required fields grouped in one error).
    static func describe(_ issues: [FieldIssue], fields: [String: JSONValue], object: String)
        -> [(code: String, message: String, fields: [String])]
    {
        var errors: [(code: String, message: String, fields: [String])] = []
        // A field can be both required and not nullable: name it once.
        var missing: [String] = []
        for issue in issues where issue.problem == .required || issue.problem == .notNullable {
            if !missing.contains(issue.field) { missing.append(issue.field) }
        }
        if !missing.isEmpty {
            errors.append(("REQUIRED_FIELD_MISSING", "Required fields are missing: [\(missing.joined(separator: ", "))]", missing))
        }
        for issue in issues {
            let value = fields[issue.field]?.textValue ?? ""
            switch issue.problem {
            case .required, .notNullable:
                continue
            case .unknownField:
                errors.append(("INVALID_FIELD", "No such column '\(issue.field)' on sobject of type \(object)", [issue.field]))
            case .readOnly:
                errors.append(
                    (
                        "INVALID_FIELD_FOR_INSERT_UPDATE",
                        "Unable to create/update fields: \(issue.field). Please check the security settings of this field and verify that it is read/write for your profile or permission set.",
                        [issue.field]
                    ))
            case .tooLong(let maxLength, _):
                errors.append(
                    (
                        "STRING_TOO_LONG", "\(issue.field): data value too large: \(value) (max length=\(maxLength))", [issue.field]
                    ))
            case .notAllowed(let bad, _):
                errors.append(
                    (
                        "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST", "\(issue.field): bad value for restricted picklist field: \(bad)",
                        [issue.field]
                    ))
            case .invalidEmail(let email):
                errors.append(("INVALID_EMAIL_ADDRESS", "\(issue.field): invalid email address: \(email)", [issue.field]))
            case .wrongType(let expected):
                errors.append(
                    (
                        "INVALID_TYPE_ON_FIELD_IN_RECORD", "\(issue.field): value not of required type: \(value) (\(expected))",
                        [issue.field]
                    ))
            }
        }
        return errors
    }
}

/// What happened to one record of a collections upsert.
private enum UpsertOutcome {
    /// Written: `{created, errors: [], id, success: true}`.
    case saved(id: String, created: Bool)
    /// Refused: the `SaveResult` with its errors.
    case failed(JSONValue)

    /// Appends the result as Salesforce sends it (keys sorted, as every sandbox reply).
    func append(to out: inout [UInt8]) {
        switch self {
        case .saved(let id, let created):
            JSONWriter.appendRaw(created ? "{\"created\":true" : "{\"created\":false", to: &out)
            JSONWriter.appendRaw(",\"errors\":[],\"id\":", to: &out)
            JSONWriter.appendString(id, to: &out)
            JSONWriter.appendRaw(",\"success\":true}", to: &out)
        case .failed(let result):
            result.appendJSON(to: &out)
        }
    }
}
