import Foundation
import HTTPServer
import MapcSupport

/// HubSpot CRM v3 emulator: objects list/read/batch endpoints and properties, bearer-token auth,
/// `X-HubSpot-RateLimit-*` headers and 429 bodies with `policyName`.
///
/// Objects are those with a schema in `schemas/hubspot/` (`contact`, `company`, ...); URL object types
/// may be plural (`contacts`, `companies`) or type ids (`0-1`, `0-2`). Property values are strings on
/// the wire. Paging cursors (`after`) are opaque strings.
final class HubSpotEmulator: Emulator {
    let store: RecordStore
    let context: EmulatorContext
    let limiter: RateLimiter
    private let counter = Locked(0)

    init(_ context: EmulatorContext, limiter: RateLimiter) {
        self.context = context
        self.limiter = limiter
        var tables = RecordTables()
        var highest = 0
        for (object, sample) in context.samples.sorted(by: { $0.key < $1.key }) {
            // Every field but the id is stored; resolve the columns to store slots once.
            let idColumn = sample.column("hs_object_id")
            let created = sample.column("createdate")
            let modified = sample.column("lastmodifieddate")
            let slots = sample.columns.enumerated().map { column, name in
                column == idColumn ? nil : tables.slot(of: name, in: object)
            }
            for row in sample.rows {
                func value(_ column: Int?) -> JSONValue? {
                    guard let column, column < row.count else { return nil }
                    return row[column]
                }
                let id = value(idColumn)?.textValue ?? ""
                if let number = Int(id) { highest = max(highest, number) }
                let createdAt = value(created)?.stringValue.flatMap(Timestamps.parse) ?? context.clock()
                let updatedAt = value(modified)?.stringValue.flatMap(Timestamps.parse) ?? createdAt
                var values: [(slot: Int, value: JSONValue)] = []
                values.reserveCapacity(row.count)
                for (column, field) in row.enumerated() {
                    if let field, let slot = slots[column] { values.append((slot, field)) }
                }
                tables.insert(id: id, values: values, createdAt: createdAt, updatedAt: updatedAt, into: object)
            }
        }
        tables.sequence = max(highest, 1000)
        for object in tables.objectNames {
            tables.assignMissingIDs(object) { String($0.nextSequence()) }
        }
        store = RecordStore(seed: tables)
    }

    func register(on router: inout Router) {
        router.add("GET", "/crm/v3/objects/:objectType") { [self] request in list(request) }
        router.add("POST", "/crm/v3/objects/:objectType/batch/read") { [self] request in batchRead(request) }
        router.add("POST", "/crm/v3/objects/:objectType/batch/upsert") { [self] request in batchUpsert(request) }
        router.add("POST", "/crm/v3/objects/:objectType/batch/update") { [self] request in batchUpdate(request) }
        router.add("POST", "/crm/v3/objects/:objectType/batch/create") { [self] request in batchCreate(request) }
        router.add("POST", "/crm/v3/objects/:objectType/search") { [self] request in search(request) }
        router.add("GET", "/crm/v3/objects/:objectType/:objectId") { [self] request in readOne(request) }
        router.add("GET", "/crm/v3/properties/:objectType") { [self] request in properties(request) }
        router.fallback { [self] request in
            error(404, category: "OBJECT_NOT_FOUND", message: "No route for \(request.method) \(request.path)")
        }
    }

    // MARK: - Object types

    /// The schema object name for a URL object type, or `nil` when HubSpot would not know it.
    func objectName(_ objectType: String) -> String? {
        let aliases = ["0-1": "contact", "0-2": "company", "0-3": "deal", "0-5": "ticket"]
        var candidates = [objectType, aliases[objectType] ?? objectType]
        if objectType.hasSuffix("ies") { candidates.append(String(objectType.dropLast(3)) + "y") }
        if objectType.hasSuffix("s") { candidates.append(String(objectType.dropLast())) }
        for candidate in candidates where context.schemas[candidate] != nil || context.samples[candidate] != nil {
            return candidate
        }
        return context.schemas.isEmpty && context.samples.isEmpty ? candidates.last : nil
    }

    func unknownObjectType(_ objectType: String) -> Response {
        error(400, category: "VALIDATION_ERROR", message: "Unable to infer object type from: \(objectType)")
    }

    /// Properties returned when the request names none.
    func defaultProperties(_ object: String) -> [String] {
        let common = ["createdate", "hs_object_id", "lastmodifieddate"]
        switch object {
        case "contact": return ["email", "firstname", "lastname"] + common
        case "company": return ["domain", "name"] + common
        default: return common
        }
    }

    /// A writer of HubSpot objects with the properties `names` (`nil`: the object's defaults), for records
    /// laid out by `layout`.
    func objectWriter(_ names: [String]?, object: String, layout: FieldLayout) -> HubSpotObjectWriter {
        HubSpotObjectWriter(properties: names ?? defaultProperties(object), layout: layout)
    }

    /// `record` as HubSpot sends it, with the properties `names` (`nil`: the object's defaults).
    func wire(_ record: StoredRecord, properties names: [String]?, object: String, new: Bool? = nil) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(512)
        objectWriter(names, object: object, layout: record.layout).append(record, new: new, to: &out)
        return out
    }

    // MARK: - Errors and limits

    func nextCorrelationID() -> String {
        sandboxUUID(
            counter.withLock { value in
                value += 1
                return value
            })
    }

    /// HubSpot's generic error body (the spec's `Error`: `category`, `correlationId` and `message` required;
    /// `status`, `context` and `errors` as HubSpot sends them).
    func error(
        _ status: Int, category: String, message: String, errors: [JSONValue] = [], context: [String: JSONValue] = [:]
    ) -> Response {
        var body: [String: JSONValue] = [
            "status": "error", "message": .string(message), "correlationId": .string(nextCorrelationID()),
            "category": .string(category),
        ]
        if !errors.isEmpty { body["errors"] = .array(errors) }
        if !context.isEmpty { body["context"] = .object(context) }
        return .json(.object(body), status: status)
    }

    /// `standard` (a ``standardError(category:message:context:errors:)`` entry) as a whole-request error.
    func error(_ status: Int, from standard: JSONValue) -> Response {
        error(
            status, category: standard["category"]?.stringValue ?? "VALIDATION_ERROR",
            message: standard["message"]?.stringValue ?? "", errors: standard["errors"]?.arrayValue ?? [],
            context: standard["context"]?.objectValue ?? [:])
    }

    /// One entry of a 207 reply's `errors` (the spec's `StandardError`: `status`, `category`, `message`,
    /// `context`, `links` and `errors` all required).
    func standardError(
        category: String, message: String, context: [String: JSONValue] = [:], errors: [JSONValue] = []
    ) -> JSONValue {
        [
            "status": "error", "category": .string(category), "message": .string(message), "context": .object(context),
            "links": [:], "errors": .array(errors),
        ]
    }

    func refuseUnauthenticated(_ request: Request) -> Response? {
        guard let token = request.bearerToken else {
            return error(
                401, category: "INVALID_AUTHENTICATION",
                message:
                    "Authentication credentials not found. This API supports OAuth 2.0 authentication and you can find more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview"
            )
        }
        guard token == context.credential else {
            return error(
                401, category: "INVALID_AUTHENTICATION",
                message: "The access token provided is invalid or has expired.")
        }
        return nil
    }

    func rateLimited(_ refusal: LimitRefusal?) -> Response {
        let policy: String
        let message: String
        switch refusal {
        case .daily:
            (policy, message) = ("DAILY", "You have reached your daily limit.")
        case .window(let usage, _) where (usage.window?.windowSeconds ?? 10) <= 1:
            (policy, message) = ("SECONDLY", "You have reached your secondly limit.")
        case .window, .concurrency, nil:
            (policy, message) = ("TEN_SECONDLY_ROLLING", "You have reached your ten_secondly_rolling limit.")
        }
        // The documented 429 body (errorType, policyName) plus the category the spec's Error requires.
        let body: JSONValue = [
            "status": "error", "message": .string(message), "errorType": "RATE_LIMIT", "category": "RATE_LIMITS",
            "correlationId": .string(nextCorrelationID()), "policyName": .string(policy),
            "requestId": .string(nextCorrelationID()),
        ]
        var response = Response.json(body, status: 429)
        if refusal == nil {
            response.setHeader("X-HubSpot-RateLimit-Remaining", "0")
        }
        return response
    }

    func serverError(status: Int) -> Response {
        error(status, category: "INTERNAL_ERROR", message: "internal error")
    }

    func payloadTooLarge(limit: Int, size: Int) -> Response {
        error(413, category: "VALIDATION_ERROR", message: "Request body of \(size) bytes exceeds \(limit) bytes")
    }

    /// HubSpot documents no compressed request bodies, so every `Content-Encoding` is refused.
    func bodyRefused(_ refusal: ContentCoding.Refusal) -> Response {
        error(refusal.status, category: "VALIDATION_ERROR", message: refusal.message)
    }

    func methodNotAllowed(_ request: Request, allowed: String) -> Response {
        error(
            405, category: "VALIDATION_ERROR",
            message: "HTTP method \(request.method) is not supported by \(request.path); supported: \(allowed)")
    }

    func limitHeaders(_ usage: LimitUsage) -> [(name: String, value: String)] {
        var headers: [(name: String, value: String)] = []
        if let window = usage.window {
            headers.append((name: "X-HubSpot-RateLimit-Max", value: String(window.count)))
            headers.append((name: "X-HubSpot-RateLimit-Remaining", value: String(usage.windowRemaining ?? 0)))
            headers.append(
                (name: "X-HubSpot-RateLimit-Interval-Milliseconds", value: String(Int(window.windowSeconds * 1000))))
        }
        if let quota = usage.dailyQuota {
            headers.append((name: "X-HubSpot-RateLimit-Daily", value: String(quota)))
            headers.append((name: "X-HubSpot-RateLimit-Daily-Remaining", value: String(max(0, quota - usage.dailyUsed))))
        }
        return headers
    }

    /// The per-request input cap from the rate-limit table (100 when the table says nothing).
    func batchLimit(_ request: Request) -> Int {
        limiter.endpoint(method: request.method, path: request.path)?.batchSize ?? 100
    }
}
