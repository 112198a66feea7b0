import AdapterSpec
import Crypto
import Foundation
import HTTPServer
import MapDSL

extension SpecEmulator {
    /// The query parameter of the emulator's own next-page links (`nextURL`, `linkHeader`).
    static let pageCursor = "page_cursor"

    // MARK: - list

    /// A page of records in order of last change (ties by id), with the spec's pagination.
    func list(_ request: Request, _ object: AdapterSpec.ObjectSpec, _ list: AdapterSpec.ListSpec) -> Response {
        let size: Int
        if let text = request.query(list.pageSizeParameter) {
            guard let n = Int(text), n >= 1, n <= list.pageSizeMax else {
                return error(
                    400, code: "invalid", message: "\(list.pageSizeParameter) must be between 1 and \(list.pageSizeMax)",
                    field: list.pageSizeParameter)
            }
            size = n
        } else {
            size = min(20, list.pageSizeMax)
        }
        var records = store.all(object.name).sorted { ($0.updatedAt, $0.id) < ($1.updatedAt, $1.id) }
        if let filter = list.modifiedSince, let given = request.query(filter.parameter) {
            guard let since = SpecTemplate.match(filter.value, given)?["since"], let date = Timestamps.parse(since) else {
                return error(
                    400, code: "invalid", message: "\(filter.parameter) is not of the form \(filter.value)", field: filter.parameter)
            }
            records = records.filter { $0.updatedAt >= date }
        }
        var offset = 0
        switch list.pagination {
        case .cursor(_, let parameter):
            if let given = request.query(parameter) {
                guard let n = Self.decodeCursor(given) else {
                    return error(400, code: "invalid", message: "invalid cursor", field: parameter)
                }
                offset = n
            }
        case .nextURL, .linkHeader:
            if let given = request.query(Self.pageCursor) {
                guard let n = Self.decodeCursor(given) else { return error(400, code: "invalid", message: "invalid cursor") }
                offset = n
            }
        case .offset(let parameter, _):
            if let given = request.query(parameter) {
                guard let n = Int(given), n >= 0 else { return error(400, code: "invalid", message: "invalid offset", field: parameter) }
                offset = n
            }
        case .page(let parameter, let first):
            if let given = request.query(parameter) {
                guard let n = Int(given), n >= first, n - first < Int.max / max(1, size) else {
                    return error(400, code: "invalid", message: "invalid page", field: parameter)
                }
                offset = (n - first) * size
            }
        }
        let end = min(records.count, offset + size)
        let page = offset < records.count ? Array(records[offset..<end]) : []
        let more = end < records.count
        var body = SpecPath.set(.object([]), list.records, .array(page.map { item($0, object) }))
        var headers: [(name: String, value: String)] = []
        switch list.pagination {
        case .cursor(let path, _):
            body = SpecPath.set(body, path, more ? .string(Self.encodeCursor(end)) : .null)
        case .nextURL(let path):
            body = SpecPath.set(body, path, more ? .string(nextURL(request, list, size, end)) : .null)
        case .linkHeader:
            if more { headers.append(("Link", "<\(nextURL(request, list, size, end))>; rel=\"next\"")) }
        case .offset(_, let total):
            if let total { body = SpecPath.set(body, total, .int(records.count)) }
        case .page:
            break
        }
        var response = Response.json(bytes: JSONWriter.bytes(body))
        for header in headers { response.setHeader(header.name, header.value) }
        return response
    }

    func nextURL(_ request: Request, _ list: AdapterSpec.ListSpec, _ size: Int, _ offset: Int) -> String {
        var query = request.queryItems.filter { $0.name != Self.pageCursor }.map { ($0.name, $0.value ?? "") }
        query.append((Self.pageCursor, Self.encodeCursor(offset)))
        let text = query.map { "\(Self.escape($0.0))=\(Self.escape($0.1))" }.joined(separator: "&")
        return baseURL.withLock { $0 } + request.path + "?" + text
    }

    static func escape(_ text: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }

    /// Opaque cursors, as platforms give them.
    static func encodeCursor(_ offset: Int) -> String { Data("o:\(offset)".utf8).base64EncodedString() }

    static func decodeCursor(_ text: String) -> Int? {
        guard let data = Data(base64Encoded: text), let plain = String(data: data, encoding: .utf8), plain.hasPrefix("o:"),
            let n = Int(plain.dropFirst(2)), n >= 0
        else { return nil }
        return n
    }

    // MARK: - find

    /// Records whose field equals the value given in the path or query (emails case-insensitively).
    func find(_ request: Request, _ object: AdapterSpec.ObjectSpec, _ find: AdapterSpec.FindSpec) -> Response {
        var values: [String: String] = request.pathParameters
        var filters: [String: String?] = [:]
        for part in SpecTemplate.parts(find.path) {
            if case .placeholder(let name, let filter, _) = part { filters[name] = filter }
        }
        for (name, template) in find.query {
            guard let given = request.query(name), let matched = SpecTemplate.match(template, given) else {
                return error(400, code: "invalid", message: "\(name) is not of the form \(template)", field: name)
            }
            values.merge(matched) { $1 }
            for part in SpecTemplate.parts(template) {
                if case .placeholder(let name, let filter, _) = part { filters[name] = filter }
            }
        }
        guard let wanted = values["value"] else { return error(400, code: "invalid", message: "no value to look up") }
        let fields = values["field"].map { [$0] } ?? find.fields
        guard fields.allSatisfy(find.fields.contains) else {
            return error(400, code: "invalid", message: "cannot filter by \(fields.joined(separator: ", "))")
        }
        let filter = filters["value"] ?? nil
        let matches = store.all(object.name).filter { record in
            fields.contains { field in
                guard let text = record[field: field]?.textValue else { return false }
                switch filter {
                case "md5lower"?: return MD5.hex(text.lowercased()) == wanted.lowercased()
                default: return text.lowercased() == wanted.lowercased()
                }
            }
        }
        if let path = find.records {
            return .json(bytes: JSONWriter.bytes(SpecPath.set(.object([]), path, .array(matches.map { item($0, object) }))))
        }
        guard let first = matches.first else {
            return error(find.notFoundStatuses.first ?? 404, code: "not_found", message: "The requested resource was not found.")
        }
        return .json(bytes: JSONWriter.bytes(item(first, object)))
    }

    // MARK: - write

    /// One record's outcome inside a write.
    enum Outcome {
        case created(StoredRecord)
        case updated(StoredRecord)
        /// A create-only endpoint met a record it already has.
        case duplicate(StoredRecord)
        case rejected(code: String, message: String, field: String?)
    }

    /// Writes the items of the request in the spec's shape and answers in its result style.
    func write(_ request: Request, _ object: AdapterSpec.ObjectSpec, _ write: AdapterSpec.WriteSpec) -> Response {
        guard let body = try? JSONParser.parse(Array(request.body), rejectingInvalidUTF8: true) else {
            return error(400, code: "invalid_json", message: "The request body is not valid JSON.")
        }
        let items: [SpecJSON]
        switch write.shape {
        case .single:
            guard let item = SpecPath.get(body, write.records), item.objectValue != nil else {
                return error(400, code: "invalid", message: "expected the record at '\(write.records)'")
            }
            items = [item]
        case .array:
            guard let array = body.arrayValue else { return error(400, code: "invalid", message: "expected an array of records") }
            items = array
        case .wrapped:
            guard let array = SpecPath.get(body, write.records)?.arrayValue else {
                return error(400, code: "invalid", message: "expected an array at '\(write.records)'")
            }
            items = array
        }
        if let limit = limits.endpoint(method: request.method, path: request.path)?.batchSize, items.count > limit {
            return error(400, code: "too_many_records", message: "at most \(limit) records per request")
        }
        for (path, value) in write.constants where SpecPath.get(body, path) != value {
            return error(400, code: "invalid", message: "'\(path)' must be \(JSONWriter.compact(value))", field: path)
        }
        let key = keyField(object.name)
        let outcomes: [Outcome] = items.map { item in
            for (path, value) in write.itemConstants where SpecPath.get(item, path) != value {
                return .rejected(code: "invalid", message: "'\(path)' must be \(JSONWriter.compact(value))", field: path)
            }
            var pairs: [(String, SpecJSON)] = []
            Self.flatten(SpecPath.get(item, write.itemFieldsAt) ?? .object([]), into: &pairs)
            let constantRoots = Set(write.itemConstants.map { String($0.0.split(separator: ".").first ?? "") })
            if write.itemFieldsAt.isEmpty { pairs.removeAll { constantRoots.contains(String($0.0.split(separator: ".").first ?? "")) } }
            var keyValue = key.flatMap { k in pairs.first { $0.0 == k }?.1.stringValue }
            if write.shape == .single, let path = request.pathParameters["key"] { keyValue = path }
            return upsert(object, pairs, key: key, keyValue: keyValue)
        }
        return reply(outcomes, items, write, key: key)
    }

    func upsert(_ object: AdapterSpec.ObjectSpec, _ pairs: [(String, SpecJSON)], key: String?, keyValue: String?) -> Outcome {
        var fields: [String: JSONValue] = [:]
        for (name, value) in pairs { fields[name] = JSONValue(value) }
        let schema = schemas[object.name]
        return store.transaction { tables -> Outcome in
            let existing = key.flatMap { k in
                keyValue.flatMap { tables.find(object.name, field: k, value: $0, caseInsensitive: true).first }
            }
            let issues = FieldValidator.validate(fields, against: schema, creating: existing == nil)
            if let issue = issues.first { return Self.rejection(issue) }
            let now = clock()
            if let existing, Self.createOnly(object) { return .duplicate(existing) }
            if let existing, let stored = tables.update(object.name, id: existing.id, fields: fields, at: now) {
                return .updated(stored)
            }
            let id = Self.id(object.name, tables.nextSequence())
            return .created(tables.insert(id: id, fields: fields, createdAt: now, updatedAt: now, into: object.name))
        }
    }

    /// Whether the object's writes only create (a status result without `updated` statuses).
    static func createOnly(_ object: AdapterSpec.ObjectSpec) -> Bool {
        if case .status(_, let updated, _, _)? = object.write?.results { return updated.isEmpty }
        return false
    }

    static func rejection(_ issue: FieldIssue) -> Outcome {
        let field = issue.field
        switch issue.problem {
        case .unknownField: return .rejected(code: "unknown_field", message: "\(field) is not a field of this object", field: field)
        case .readOnly: return .rejected(code: "read_only", message: "\(field) is read-only", field: field)
        case .required: return .rejected(code: "required", message: "\(field) is required", field: field)
        case .notNullable: return .rejected(code: "not_nullable", message: "\(field) cannot be null", field: field)
        case .tooLong(let max, let length):
            return .rejected(code: "too_long", message: "\(field) is \(length) long; at most \(max)", field: field)
        case .notAllowed(let value, let allowed):
            return .rejected(
                code: "invalid_value", message: "\(value) is not allowed for \(field) (allowed: \(allowed.joined(separator: ", ")))",
                field: field)
        case .invalidEmail(let text): return .rejected(code: "invalid_email", message: "Invalid email address: \(text)", field: field)
        case .wrongType(let expected): return .rejected(code: "invalid_type", message: "\(field) must be \(expected)", field: field)
        }
    }

    func reply(_ outcomes: [Outcome], _ items: [SpecJSON], _ write: AdapterSpec.WriteSpec, key: String?) -> Response {
        guard let object = spec.objects.first(where: { $0.write?.path == write.path && $0.write?.method == write.method }) else {
            return error(500, code: "server_error", message: "no object")
        }
        switch write.results {
        case .status(let created, let updated, let duplicate, let idPath):
            switch outcomes.first {
            case .duplicate(let record)?:
                return error(
                    duplicate.first ?? 409, code: "conflict",
                    message: "A contact matching those details already exists with id=\(record.id)")
            case .created(let record)?, .updated(let record)?:
                var body = item(record, object)
                if let idPath { body = SpecPath.set(body, idPath, .string(record.id)) }
                let isNew = if case .created? = outcomes.first { true } else { false }
                return .json(bytes: JSONWriter.bytes(body), status: isNew ? (created.first ?? 201) : (updated.first ?? 200))
            case .rejected(let code, let message, let field)?:
                return error(400, code: code, message: message, field: field)
            case nil:
                return error(400, code: "invalid", message: "no record")
            }
        case .byKey(let keyPath, let createdPath, let updatedPath, let errorsPath, let idPath, let codePath, let messagePath, let fieldPath):
            var created: [SpecJSON] = []
            var updated: [SpecJSON] = []
            var errors: [SpecJSON] = []
            for (outcome, sent) in zip(outcomes, items) {
                let keyValue = SpecPath.get(sent, keyPath) ?? .null
                switch outcome {
                case .created(let record), .updated(let record), .duplicate(let record):
                    var entry = item(record, object)
                    entry = SpecPath.set(entry, keyPath, keyValue)
                    if let idPath { entry = SpecPath.set(entry, idPath, .string(record.id)) }
                    if case .created = outcome { created.append(entry) } else { updated.append(entry) }
                case .rejected(let code, let message, let field):
                    var entry = SpecPath.set(.object([]), keyPath, keyValue)
                    if let codePath { entry = SpecPath.set(entry, codePath, .string(code)) }
                    if let messagePath { entry = SpecPath.set(entry, messagePath, .string(message)) }
                    if let fieldPath, let field { entry = SpecPath.set(entry, fieldPath, .string(field)) }
                    errors.append(entry)
                }
            }
            var body: SpecJSON = .object([])
            body = SpecPath.set(body, createdPath, .array(created))
            body = SpecPath.set(body, updatedPath, .array(updated))
            body = SpecPath.set(body, errorsPath, .array(errors))
            return .json(bytes: JSONWriter.bytes(body))
        case .inOrder(let at, let idPath, let errorPath, let codePath, let messagePath, let fieldPath, let createdPath):
            let entries: [SpecJSON] = outcomes.map { outcome in
                switch outcome {
                case .created(let record), .updated(let record), .duplicate(let record):
                    var entry: SpecJSON = .object([])
                    if let idPath { entry = SpecPath.set(entry, idPath, .string(record.id)) }
                    if let createdPath {
                        let isNew = if case .created = outcome { true } else { false }
                        entry = SpecPath.set(entry, createdPath, .bool(isNew))
                    }
                    return entry
                case .rejected(let code, let message, let field):
                    var entry: SpecJSON = SpecPath.set(.object([]), errorPath ?? "error", .bool(true))
                    if let codePath { entry = SpecPath.set(entry, codePath, .string(code)) }
                    if let messagePath { entry = SpecPath.set(entry, messagePath, .string(message)) }
                    if let fieldPath, let field { entry = SpecPath.set(entry, fieldPath, .string(field)) }
                    return entry
                }
            }
            return .json(bytes: JSONWriter.bytes(SpecPath.set(.object([]), at, .array(entries))))
        case .accepted:
            if let rejected = outcomes.first(where: { if case .rejected = $0 { true } else { false } }),
                case .rejected(let code, let message, let field) = rejected
            {
                return error(400, code: code, message: message, field: field)
            }
            return .json(bytes: JSONWriter.bytes(.object([("success", .bool(true))])))
        }
    }
}
