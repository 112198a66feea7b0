import Crypto
import Foundation
import HTTPServer
import MapDSL

/// Why one member could not be written, in Mailchimp's words.
struct MemberFailure: Error {
    let title: String
    let detail: String
    let field: String?
    let code: String
}

extension MailchimpEmulator {
    /// `GET /lists/{id}/members?count&offset&status&since_last_changed&sort_field&sort_dir`.
    ///
    /// `since_last_changed` keeps members changed after the instant; `sort_field` is
    /// `timestamp_opt`, `timestamp_signup` or `last_changed` (`sort_dir` `ASC` or `DESC`), members
    /// equal on it staying in the order they were added.
    func listMembers(_ request: Request) -> Response {
        if let missing = checkList(request) { return missing }
        let ceiling = limiter.endpoint(method: "GET", path: request.path)?.batchSize ?? 1000
        let count = Int(request.query("count") ?? "") ?? 10
        let offset = Int(request.query("offset") ?? "") ?? 0
        guard count >= 0, offset >= 0 else {
            return problem(400, "Invalid Resource", "count and offset must be non-negative integers")
        }
        guard count <= ceiling else {
            return problem(400, "Invalid Resource", "The count parameter must be \(ceiling) or less.")
        }
        var members = store.all("member")
        if let status = request.query("status") {
            members = members.filter { $0[field: "status"]?.textValue == status }
        }
        if let since = request.query("since_last_changed") {
            guard let date = Timestamps.parse(since) else {
                return problem(400, "Invalid Resource", "since_last_changed must be an ISO 8601 date-time.")
            }
            members = members.filter { $0.updatedAt > date }
        }
        if let field = request.query("sort_field") {
            guard ["timestamp_opt", "timestamp_signup", "last_changed"].contains(field) else {
                return problem(
                    400, "Invalid Resource", "sort_field must be one of timestamp_opt, timestamp_signup, last_changed.")
            }
            let direction = request.query("sort_dir") ?? "ASC"
            guard direction == "ASC" || direction == "DESC" else {
                return problem(400, "Invalid Resource", "sort_dir must be ASC or DESC.")
            }
            // Signup and opt-in are stored as the member's creation time.
            let key: (StoredRecord) -> Date = field == "last_changed" ? { $0.updatedAt } : { $0.createdAt }
            members = members.enumerated().sorted { left, right in
                let (a, b) = (key(left.element), key(right.element))
                if a == b { return left.offset < right.offset }
                return direction == "ASC" ? a < b : a > b
            }.map(\.element)
        }
        let page = offset < members.count ? Array(members[offset..<min(members.count, offset + count)]) : []
        return .json([
            "members": .array(page.map(wire)), "list_id": .string(context.options.mailchimpListID),
            "total_items": .int(members.count), "_links": [],
        ])
    }

    /// `GET /lists/{id}/members/{subscriber_hash or email}`.
    func getMember(_ request: Request) -> Response {
        if let missing = checkList(request) { return missing }
        let hash = subscriberHash(request.parameter("hash") ?? "")
        guard let record = store.transaction({ $0.record("member", id: hash) }) else { return notFound() }
        return .json(wire(record))
    }

    /// `PUT /lists/{id}/members/{subscriber_hash}`: add or update; `status_if_new` applies on create.
    func putMember(_ request: Request) -> Response {
        if let missing = checkList(request) { return missing }
        guard let member = request.jsonBody?.objectValue else {
            return problem(400, "Invalid Resource", "The request body must be a JSON object.")
        }
        let hash = subscriberHash(request.parameter("hash") ?? "")
        if let email = member["email_address"]?.stringValue, MD5.hex(email.lowercased()) != hash {
            return problem(
                400, "Invalid Resource",
                "The resource submitted could not be validated. For field-specific details, see the 'errors' array.",
                errors: [["field": "email_address", "message": "The email address does not match the subscriber hash."]])
        }
        let result = store.transaction { tables in
            write(member, into: &tables, hashInPath: hash, updateExisting: true)
        }
        switch result {
        case .success(let written): return .json(wire(written.record))
        case .failure(let failure):
            var errors: [JSONValue]?
            if let field = failure.field { errors = [["field": .string(field), "message": .string(failure.detail)]] }
            return problem(400, failure.title, failure.detail, errors: errors)
        }
    }

    /// `PATCH /lists/{id}/members/{subscriber_hash}`: updates an existing member. A new
    /// `email_address` changes the member's address, so its id (the hash of the address) changes
    /// too; its `contact_id` stays. An address another member has is refused.
    func patchMember(_ request: Request) -> Response {
        if let missing = checkList(request) { return missing }
        guard var member = request.jsonBody?.objectValue else {
            return problem(400, "Invalid Resource", "The request body must be a JSON object.")
        }
        let hash = subscriberHash(request.parameter("hash") ?? "")
        let result: Result<(record: StoredRecord, created: Bool), MemberFailure>? = store.transaction { tables in
            guard let existing = tables.record("member", id: hash) else { return nil }
            if member["email_address"] == nil { member["email_address"] = existing[field: "email_address"] }
            let email = member["email_address"]?.stringValue ?? ""
            let target = MD5.hex(email.lowercased())
            if target != hash, FieldValidator.isEmail(email) {
                guard tables.record("member", id: target) == nil else {
                    return .failure(
                        MemberFailure(
                            title: "Member Exists", detail: "\(email) is already a list member.", field: "email_address",
                            code: "ERROR_CONTACT_EXISTS"))
                }
                tables.rekey("member", from: hash, to: target)
                return write(member, into: &tables, hashInPath: target, updateExisting: true)
            }
            return write(member, into: &tables, hashInPath: hash, updateExisting: true)
        }
        switch result {
        case nil: return notFound()
        case .success(let written)?: return .json(wire(written.record))
        case .failure(let failure)?:
            var errors: [JSONValue]?
            if let field = failure.field { errors = [["field": .string(field), "message": .string(failure.detail)]] }
            return problem(400, failure.title, failure.detail, errors: errors)
        }
    }

    /// `POST /lists/{id}` batch subscribe: `{members:[...], update_existing}`, at most 500 members.
    func batchSubscribe(_ request: Request) -> Response {
        if let missing = checkList(request) { return missing }
        guard let body = request.jsonBody?.objectValue, let members = body["members"]?.arrayValue else {
            return problem(400, "Invalid Resource", "The request body must contain a members array.")
        }
        let cap = limiter.endpoint(method: "POST", path: request.path)?.batchSize ?? 500
        if members.count > cap {
            return problem(
                400, "Invalid Resource",
                "The resource submitted could not be validated. For field-specific details, see the 'errors' array.",
                errors: [["field": "members", "message": .string("Array must contain at most \(cap) items")]])
        }
        let updateExisting = body["update_existing"]?.boolValue ?? false
        var created: [JSONValue] = []
        var updated: [JSONValue] = []
        var errors: [JSONValue] = []
        store.transaction { tables in
            for item in members {
                let member = item.objectValue ?? [:]
                let email = member["email_address"]?.stringValue ?? ""
                switch write(member, into: &tables, hashInPath: nil, updateExisting: updateExisting) {
                case .success(let written):
                    if written.created { created.append(wire(written.record)) } else { updated.append(wire(written.record)) }
                case .failure(let failure):
                    var error: [String: JSONValue] = [
                        "email_address": .string(email), "error": .string(failure.detail), "error_code": .string(failure.code),
                    ]
                    if let field = failure.field {
                        error["field"] = .string(field)
                        error["field_message"] = .string(failure.detail)
                    }
                    errors.append(.object(error))
                }
            }
        }
        return .json([
            "new_members": .array(created), "updated_members": .array(updated), "errors": .array(errors),
            "total_created": .int(created.count), "total_updated": .int(updated.count),
            "error_count": .int(errors.count), "_links": [],
        ])
    }

    /// The path segment as a subscriber hash: raw emails are hashed, hashes lower-cased.
    func subscriberHash(_ segment: String) -> String {
        segment.contains("@") ? MD5.hex(segment.lowercased()) : segment.lowercased()
    }

    /// Validates and stores one member; shared by PUT and batch subscribe.
    func write(
        _ member: [String: JSONValue], into tables: inout RecordTables, hashInPath: String?, updateExisting: Bool
    ) -> Result<(record: StoredRecord, created: Bool), MemberFailure> {
        guard let email = member["email_address"]?.stringValue, !email.isEmpty else {
            return .failure(
                MemberFailure(
                    title: "Invalid Resource", detail: "The email_address field is required.", field: "email_address",
                    code: "ERROR_GENERIC"))
        }
        guard FieldValidator.isEmail(email) else {
            return .failure(
                MemberFailure(
                    title: "Invalid Resource", detail: "\(email) looks fake or invalid, please enter a real email address.",
                    field: "email_address", code: "ERROR_GENERIC"))
        }
        let hash = hashInPath ?? MD5.hex(email.lowercased())
        let existing = tables.record("member", id: hash)
        if existing != nil && !updateExisting {
            return .failure(
                MemberFailure(
                    title: "Member Exists",
                    detail: "\(email) is already a list member. Use PUT to insert or update list members.", field: nil,
                    code: "ERROR_CONTACT_EXISTS"))
        }
        var fields = flatten(member)
        let statusIfNew = fields.removeValue(forKey: "status_if_new")
        if existing == nil, fields["status"] == nil, let statusIfNew { fields["status"] = statusIfNew }
        if existing != nil, fields["status"] == nil, statusIfNew != nil { fields["status"] = nil }
        let schema = context.schemas["member"]
        let ignored = Set(fields.keys.filter { !$0.contains(".") && schema?.field($0) == nil })
        let issues = FieldValidator.validate(fields, against: schema, creating: existing == nil, ignoring: ignored)
        if let issue = issues.first {
            return .failure(Self.describe(issue, fields: fields))
        }
        for name in ignored { fields[name] = nil }
        let now = context.clock()
        if let existing {
            let record = tables.update("member", id: existing.id, fields: fields, at: now)!
            return .success((record, false))
        }
        // Mailchimp's contact id names the person across address changes.
        if fields["contact_id"] == nil { fields["contact_id"] = .string(MD5.hex("contact:" + hash)) }
        let record = tables.insert(id: hash, fields: fields, createdAt: now, updatedAt: now, into: "member")
        return .success((record, true))
    }

    /// Mailchimp's wording for one field problem.
    static func describe(_ issue: FieldIssue, fields: [String: JSONValue]) -> MemberFailure {
        let value = fields[issue.field]?.textValue ?? ""
        let isMerge = issue.field.hasPrefix("merge_fields.")
        let detail: String
        switch issue.problem {
        case .required, .notNullable:
            detail =
                issue.field == "status"
                ? "The status field is required: provide status or status_if_new for a new member."
                : "\(issue.field) is required."
        case .unknownField:
            detail = isMerge ? "Your merge fields were invalid: \(issue.field) does not exist." : "Unknown field \(issue.field)."
        case .readOnly:
            detail = "\(issue.field) is read-only."
        case .tooLong(let maxLength, _):
            detail = "\(issue.field) must be \(maxLength) characters or less."
        case .notAllowed(_, let allowed):
            detail = "Schema describes enum [\(allowed.joined(separator: ", "))], \(value) found instead"
        case .invalidEmail(let email):
            detail = "\(email) looks fake or invalid, please enter a real email address."
        case .wrongType(let expected):
            detail = "Schema describes \(expected), \(value) found instead"
        }
        let field = issue.field.hasPrefix("merge_fields.") ? String(issue.field.dropFirst("merge_fields.".count)) : issue.field
        return MemberFailure(title: "Invalid Resource", detail: detail, field: field, code: "ERROR_GENERIC")
    }
}
