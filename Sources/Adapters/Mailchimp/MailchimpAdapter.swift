import Crypto
import Foundation
import MapDSL
import MapcSupport
import SyncEngine

/// Mailchimp Marketing API v3, audience members: `count`/`offset` paging with `since_last_changed`,
/// batch subscribe (≤500, `new_members`/`updated_members`/`errors`), add-or-update by subscriber hash
/// (MD5 of the lower-cased email) for members that carry `status_if_new`, lookups by email.
///
/// The connection needs the API key (`MAPC_MAILCHIMP_TOKEN`, Basic auth) and the audience id
/// (`MAPC_MAILCHIMP_LIST`). The only object is `member`; nested values travel as dotted names
/// (`merge_fields.FNAME`).
public final class MailchimpAdapter: PlatformAdapter {
    public let platform = "mailchimp"
    let api: APIClient
    let listID: String
    let prefix: String
    let cache: LookupCache

    /// Creates an adapter for `connection`.
    public init(connection: Connection, options: AdapterOptions = AdapterOptions()) throws(AdapterError) {
        guard let url = connection.baseURL, let key = connection.credential else {
            throw .fatal("mailchimp connection needs an API key (and a base URL when the key has no data-centre suffix)")
        }
        guard let list = connection.parameters["list"], !list.isEmpty else {
            throw .fatal("mailchimp connection needs the audience id: set MAPC_MAILCHIMP_LIST")
        }
        listID = list
        prefix = url.path.hasSuffix("/3.0") ? "" : "/3.0"
        let basic = Data("mapc:\(key.value)".utf8).base64EncodedString()
        api = try APIClient(
            platform: platform, baseURL: url, headers: ["Authorization": "Basic \(basic)"], secrets: [key, Secret(basic)],
            options: options, message: MailchimpAdapter.message)
        cache = LookupCache(capacity: options.lookupCacheSize)
    }

    /// The subscriber hash of an email: lower-case hex MD5 of the lower-cased address.
    public static func subscriberHash(_ email: String) -> String { MD5.hex(email.lowercased()) }

    /// problem+json: `title: detail` plus the first field error.
    static func message(_ response: HTTPResponse) -> String {
        guard let json = response.json else { return response.snippet }
        var text = "\(json["title"]?.stringValue ?? "Error"): \(json["detail"]?.stringValue ?? "")"
        if let first = json["errors"]?.arrayValue?.first, let field = first["field"]?.stringValue {
            text += " (\(field): \(first["message"]?.stringValue ?? ""))"
        }
        return text
    }

    var listPath: String { "\(prefix)/lists/\(queryEscape(listID))" }

    func checkObject(_ object: String) throws(AdapterError) {
        guard object == "member" else { throw .fatal("mailchimp has no object '\(object)' (only 'member')") }
    }

    public func limits(object: String, mode: WriteMode) -> AdapterLimits {
        let rule = api.limiter.rule(method: "POST", path: listPath)
        return AdapterLimits(
            maxBatchRecords: rule.batchSize ?? 500, maxPayloadBytes: rule.payloadBytes, maxRecordBytes: rule.recordBytes)
    }

    public func describe(object: String) throws(AdapterError) -> Schema {
        throw .fatal(
            "mailchimp describe is not implemented (the sandbox has no merge-fields endpoint); use schemas/mailchimp/member.json")
    }

    // MARK: - Fetch

    /// The cursor is the offset of the next page. Members come in order of their last change
    /// (`sort_field=last_changed`), so a job's mark follows the pages; Mailchimp pages by offset, so
    /// a member changed while the read is under way shifts the pages after it (docs/adapters.md).
    public func fetch(_ request: FetchRequest) throws(AdapterError) -> SourcePage {
        try checkObject(request.object)
        let offset = Int(request.cursor ?? "0") ?? 0
        let count = min(max(request.pageSize, 1), api.limiter.rule(method: "GET", path: "\(listPath)/members").batchSize ?? 1000)
        var query: [(String, String)] = [
            ("count", String(count)), ("offset", String(offset)), ("sort_field", "last_changed"), ("sort_dir", "ASC"),
        ]
        if let since = request.modifiedSince { query.append(("since_last_changed", try Self.sinceLastChanged(since))) }
        let response = try api.send("GET", "\(listPath)/members" + queryString(query))
        guard response.status == 200, let json = response.json, let members = json["members"]?.arrayValue else {
            throw api.failure(response, doing: "listing members")
        }
        let records = members.map { member in
            var pairs = JSONShapes.flatten(member, skip: ["_links"])
            if let names = request.fields { pairs = pairs.filter { names.contains($0.0) } }
            return SourceRecord(
                id: member["id"]?.stringValue ?? "", fields: .object(pairs), modified: member["last_changed"]?.stringValue)
        }
        let total = json["total_items"]?.intValue ?? 0
        let next = offset + members.count
        return SourcePage(records: records, nextCursor: next < total && !members.isEmpty ? String(next) : nil, ordered: true)
    }

    // MARK: - Write

    public func write(_ request: WriteRequest) throws(AdapterError) -> [WriteResult] {
        try checkObject(request.object)
        guard request.mode != .updateOnly else {
            throw .fatal("mailchimp has no update-only batch write; use upsert")
        }
        defer { cache.invalidate(request.object) }
        if request.keyField == "id" {
            var results: [WriteResult] = []
            for record in request.records { results.append(try patch(record)) }
            return results
        }
        let members = request.records.map { record -> (OutboundRecord, JSONValue) in
            var pairs = record.pairs
            if request.keyField == "email_address", record[field: "email_address"] == nil {
                pairs.insert(("email_address", .string(record.key)), at: 0)
            }
            return (record, JSONShapes.nest(pairs))
        }
        // Members that only say how to subscribe when new go through PUT (true add-or-update): batch
        // subscribe would overwrite the status of existing members.
        let single = members.filter { $0.1["status"] == nil && $0.1["status_if_new"] != nil && request.mode == .upsert }
        let batch = members.filter { !($0.1["status"] == nil && $0.1["status_if_new"] != nil && request.mode == .upsert) }
        var results: [WriteResult] = []
        for (record, member) in single {
            results.append(try put(record, member))
        }
        let limits = limits(object: request.object, mode: request.mode)
        let plan = BatchSplitter.split(
            batch, maxItems: limits.maxBatchRecords, maxPayload: limits.maxPayloadBytes, maxItem: limits.maxRecordBytes,
            envelope: 40, size: { JSONShapes.size($0.1) }, key: { Self.email($0.1, $0.0).lowercased() })
        results += plan.oversize.map {
            WriteResult(key: $0.0.key, status: .rejected, errorCode: "RECORD_TOO_LARGE", message: "member too large; not sent")
        }
        for chunk in plan.chunks {
            let body: JSONValue = [
                "members": .array(chunk.map(\.1)), "update_existing": .bool(request.mode == .upsert),
            ]
            let response = try api.sendJSON("POST", listPath, body)
            guard response.status == 200, let json = response.json else {
                throw api.failure(response, doing: "batch subscribe")
            }
            // Mailchimp's messages may echo what it was sent (the key included): scrubbed like every error.
            results += try Self.results(json, chunk).map { result in
                var scrubbed = result
                scrubbed.message = result.message.map { api.redactor.redact($0) }
                return scrubbed
            }
        }
        return results
    }

    static func email(_ member: JSONValue, _ record: OutboundRecord) -> String {
        member["email_address"]?.stringValue ?? record.key
    }

    /// Maps a batch-subscribe reply to results by email.
    static func results(_ json: JSONValue, _ chunk: [(OutboundRecord, JSONValue)]) throws(AdapterError) -> [WriteResult] {
        var byEmail: [String: OutboundRecord] = [:]
        for (record, member) in chunk { byEmail[email(member, record).lowercased()] = record }
        var done: [String: WriteResult] = [:]
        for (list, status) in [("new_members", WriteResult.Status.created), ("updated_members", .updated)] {
            for member in json[list]?.arrayValue ?? [] {
                guard let address = member["email_address"]?.stringValue?.lowercased(), let record = byEmail[address] else {
                    continue
                }
                done[address] = WriteResult(key: record.key, status: status, destinationId: member["id"]?.stringValue)
            }
        }
        for error in json["errors"]?.arrayValue ?? [] {
            guard let address = error["email_address"]?.stringValue?.lowercased(), let record = byEmail[address] else {
                continue
            }
            done[address] = WriteResult(
                key: record.key, status: .rejected, errorCode: error["error_code"]?.stringValue,
                message: error["error"]?.stringValue ?? error["field_message"]?.stringValue,
                field: error["field"]?.stringValue)
        }
        var out: [WriteResult] = []
        for (record, member) in chunk {
            guard let result = done[email(member, record).lowercased()] else {
                throw .transient("mailchimp did not report on every member of the batch; re-send it (writes are idempotent)")
            }
            out.append(result)
        }
        return out
    }

    /// `PUT /lists/{id}/members/{hash}`: add or update one member.
    func put(_ record: OutboundRecord, _ member: JSONValue) throws(AdapterError) -> WriteResult {
        let address = Self.email(member, record)
        let response = try api.sendJSON("PUT", "\(listPath)/members/\(Self.subscriberHash(address))", member)
        if response.status == 200, let json = response.json {
            // Mailchimp does not say whether PUT created the member; a fresh member's signup time equals its last change.
            let signup = json["timestamp_signup"]?.stringValue.flatMap(ISODates.parse)
            let changed = json["last_changed"]?.stringValue.flatMap(ISODates.parse)
            let created = signup != nil && signup == changed
            return WriteResult(key: record.key, status: created ? .created : .updated, destinationId: json["id"]?.stringValue)
        }
        guard response.status == 400, let json = response.json else {
            throw api.failure(response, doing: "add-or-update of a member")
        }
        let first = json["errors"]?.arrayValue?.first
        return WriteResult(
            key: record.key, status: .rejected, errorCode: json["title"]?.stringValue,
            // Mailchimp's messages may echo what it was sent (the key included): scrubbed like every error.
            message: (first?["message"]?.stringValue ?? json["detail"]?.stringValue).map { api.redactor.redact($0) },
            field: first?["field"]?.stringValue)
    }

    /// `PATCH /lists/{id}/members/{id}`: updates an existing member by its id; a new
    /// `email_address` moves the member to a new id, which the result carries.
    func patch(_ record: OutboundRecord) throws(AdapterError) -> WriteResult {
        let member = JSONShapes.nest(record.pairs.filter { $0.0 != "id" && $0.0 != "status_if_new" })
        let response = try api.sendJSON("PATCH", "\(listPath)/members/\(queryEscape(record.key.lowercased()))", member)
        if response.status == 200, let json = response.json {
            return WriteResult(key: record.key, status: .updated, destinationId: json["id"]?.stringValue)
        }
        guard response.status == 400 || response.status == 404, let json = response.json else {
            throw api.failure(response, doing: "updating a member")
        }
        let first = json["errors"]?.arrayValue?.first
        return WriteResult(
            key: record.key, status: .rejected, errorCode: json["title"]?.stringValue,
            message: first?["message"]?.stringValue ?? json["detail"]?.stringValue, field: first?["field"]?.stringValue)
    }

    // MARK: - Find

    public func find(object: String, field: String, value: String) throws(AdapterError) -> JSONValue? {
        try checkObject(object)
        guard field == "email_address" || field == "id" else {
            throw .fatal("mailchimp lookups work by email_address or id, not \(field)")
        }
        return try cache.lookup(object, field, value) { () throws(AdapterError) -> JSONValue? in
            let hash = field == "id" ? value.lowercased() : Self.subscriberHash(value)
            let response = try api.send("GET", "\(listPath)/members/\(hash)")
            if response.status == 404 { return nil }
            guard response.status == 200, let json = response.json else {
                throw api.failure(response, doing: "reading a member")
            }
            return .object(JSONShapes.flatten(json, skip: ["_links"]))
        }
    }
}
