import Crypto
import Foundation
import HTTPServer
import MapDSL
import MapcSupport

/// Mailchimp Marketing API v3 emulator under `/3.0`: `GET /ping`, list members with `count`/`offset`
/// paging, `PUT /lists/{id}/members/{subscriber_hash}` add-or-update, `POST /lists/{id}` batch subscribe;
/// every reply honours `fields` / `exclude_fields`.
///
/// One audience exists, ``SandboxOptions/mailchimpListID``. Auth: HTTP Basic with any user name and
/// the API key as password, or `Bearer <key>`. Errors are `application/problem+json`. Members are
/// stored flat with dotted names (`merge_fields.FNAME`) as in `schemas/mailchimp/member.json`, and
/// nested on the wire. Over the concurrency limit (10 per key) requests get 429.
final class MailchimpEmulator: Emulator, BulkEmulating {
    let store: RecordStore
    let context: EmulatorContext
    let limiter: RateLimiter
    private let counter = Locked(0)
    /// Batch operations, oldest first (see `MailchimpBatches.swift`).
    let batches = Locked<[MailchimpBatch]>([])
    /// Batches deleted so far (ids stay unique).
    let batchesRetired = Locked(0)
    let bulkFaults: Locked<BulkFaults>

    init(_ context: EmulatorContext, limiter: RateLimiter) {
        self.context = context
        self.limiter = limiter
        self.bulkFaults = Locked(context.options.bulkFaults)
        var tables = RecordTables()
        let now = context.clock()
        let sample = context.samples["member"] ?? SampleRows(columns: [], rows: [])
        for row in sample.rows.map(sample.fields) {
            guard let email = row["email_address"]?.stringValue else { continue }
            var fields = row
            fields["id"] = nil
            let changed = row["last_changed"]?.stringValue.flatMap(Timestamps.parse) ?? now
            fields["last_changed"] = nil
            tables.insert(
                id: MD5.hex(email.lowercased()), fields: fields, createdAt: changed, updatedAt: changed, into: "member")
        }
        store = RecordStore(seed: tables)
    }

    func register(on router: inout Router) {
        router.add("GET", "/3.0/ping") { [self] request in
            projected(.json(["health_status": "Everything's Chimpy!"]), request)
        }
        router.add("GET", "/3.0/lists/:listId/members") { [self] request in projected(listMembers(request), request) }
        router.add("GET", "/3.0/lists/:listId/members/:hash") { [self] request in projected(getMember(request), request) }
        router.add("PUT", "/3.0/lists/:listId/members/:hash") { [self] request in projected(putMember(request), request) }
        router.add("PATCH", "/3.0/lists/:listId/members/:hash") { [self] request in projected(patchMember(request), request) }
        router.add("POST", "/3.0/lists/:listId") { [self] request in projected(batchSubscribe(request), request) }
        registerBatches(on: &router)
        router.fallback { [self] _ in notFound() }
    }

    /// A successful reply trimmed to the request's `fields` / `exclude_fields` (see ``MailchimpFields``).
    func didReset() {
        expireBulkJobs()
        bulkFaults.withLock { $0 = context.options.bulkFaults }
    }

    func registerControl(on router: inout Router) {
        registerBulkControl(on: &router)
        registerBatchArchive(on: &router)
    }

    func projected(_ response: Response, _ request: Request) -> Response {
        guard (200..<300).contains(response.status), let fields = MailchimpFields(request),
            let body = JSONValue.parse(response.body)
        else { return response }
        var trimmed = response
        trimmed.body = fields.apply(body).serialized()
        return trimmed
    }

    // MARK: - Problems, auth and limits

    /// A problem+json reply as Mailchimp sends it.
    func problem(_ status: Int, _ title: String, _ detail: String, errors: [JSONValue]? = nil) -> Response {
        let instance = sandboxUUID(
            counter.withLock { value in
                value += 1
                return value
            })
        var body: [String: JSONValue] = [
            "type": "https://mailchimp.com/developer/marketing/docs/errors/", "title": .string(title),
            "status": .int(status), "detail": .string(detail), "instance": .string(instance),
        ]
        if let errors { body["errors"] = .array(errors) }
        return Response.json(.object(body), status: status, contentType: "application/problem+json; charset=utf-8")
            .withHeader("X-Request-Id", instance)
            .withHeader("Link", "<https://us1.api.mailchimp.com/schema/3.0/ProblemDetailDocument.json>; rel=\"describedBy\"")
    }

    func notFound() -> Response {
        problem(404, "Resource Not Found", "The requested resource could not be found.")
    }

    func refuseUnauthenticated(_ request: Request) -> Response? {
        if request.basicCredentials?.password == context.credential || request.bearerToken == context.credential {
            return nil
        }
        return problem(
            401, "API Key Invalid", "Your API key may be invalid, or you've attempted to access the wrong datacenter.")
    }

    func rateLimited(_ refusal: LimitRefusal?) -> Response {
        let limit = refusal?.usage.concurrencyLimit ?? 10
        return problem(429, "Too Many Requests", "You have exceeded the limit of \(limit) simultaneous connections.")
    }

    func serverError(status: Int) -> Response {
        problem(status, status == 503 ? "Service Unavailable" : "Internal Server Error", "An unexpected internal error has occurred.")
    }

    func payloadTooLarge(limit: Int, size: Int) -> Response {
        problem(413, "Request Entity Too Large", "The request body of \(size) bytes exceeds \(limit) bytes.")
    }

    /// Mailchimp documents no compressed request bodies, so every `Content-Encoding` is refused.
    func bodyRefused(_ refusal: ContentCoding.Refusal) -> Response {
        switch refusal {
        case .unsupported: problem(415, "Unsupported Media Type", refusal.message + ".")
        case .corrupt: problem(400, "JSON Parse Error", refusal.message + ".")
        case .tooLarge: problem(413, "Request Entity Too Large", refusal.message + ".")
        }
    }

    func methodNotAllowed(_ request: Request, allowed: String) -> Response {
        problem(
            405, "Method Not Allowed",
            "The requested method and resource are not compatible. See the Allow header for this resource's available methods."
        )
    }

    // MARK: - Wire shapes

    /// A member as Mailchimp sends it: dotted fields nested, plus the derived fields.
    func wire(_ record: StoredRecord) -> JSONValue {
        var result: [String: JSONValue] = [:]
        for (name, value) in record.fieldPairs {
            let parts = name.split(separator: ".", maxSplits: 1).map(String.init)
            if parts.count == 2 {
                var nested = result[parts[0]]?.objectValue ?? [:]
                nested[parts[1]] = value
                result[parts[0]] = .object(nested)
            } else {
                result[name] = value
            }
        }
        let email = record[field: "email_address"]?.stringValue ?? ""
        result["id"] = .string(record.id)
        result["unique_email_id"] =
            result["unique_email_id"] ?? .string(String(MD5.hex("unique:" + email.lowercased()).prefix(10)))
        result["list_id"] = .string(context.options.mailchimpListID)
        result["last_changed"] = .string(Timestamps.iso(record.updatedAt))
        result["timestamp_signup"] = result["timestamp_signup"] ?? .string(Timestamps.iso(record.createdAt))
        if result["merge_fields"] == nil { result["merge_fields"] = [:] }
        let first = result["merge_fields"]?["FNAME"]?.textValue ?? ""
        let last = result["merge_fields"]?["LNAME"]?.textValue ?? ""
        result["full_name"] = .string([first, last].filter { !$0.isEmpty }.joined(separator: " "))
        return .object(result)
    }

    /// Flattens a request member into stored fields: `merge_fields`, `location` and `stats` become dotted names.
    func flatten(_ member: [String: JSONValue]) -> [String: JSONValue] {
        var fields: [String: JSONValue] = [:]
        for (name, value) in member {
            if ["merge_fields", "location", "stats"].contains(name), let nested = value.objectValue {
                for (key, inner) in nested { fields["\(name).\(key)"] = inner }
            } else {
                fields[name] = value
            }
        }
        return fields
    }

    func checkList(_ request: Request) -> Response? {
        request.parameter("listId") == context.options.mailchimpListID ? nil : notFound()
    }
}
