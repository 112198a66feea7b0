import Foundation
import HTTPServer
import MapcSupport

/// Salesforce REST emulator: SOQL query with `nextRecordsUrl` paging, sObject describe, sObject
/// Collections upsert by external id, `Sforce-Limit-Info` on every reply and 403
/// `REQUEST_LIMIT_EXCEEDED` over the daily allocation.
///
/// Objects are those with a schema in `schemas/salesforce/` (`Lead`, `Contact`, `Account`, ...). Any
/// API version `vNN.N` is accepted. Record ids are 18 characters with the object's key prefix.
/// `Sforce-Query-Options: batchSize=n` sets the page size (1–2000 here; the platform's minimum is 200).
final class SalesforceEmulator: Emulator, BulkEmulating {
    let store: RecordStore
    /// Bulk API 2.0 ingest jobs, oldest first (see `SalesforceBulkIngest.swift`).
    let ingestJobs = Locked<[IngestJob]>([])
    /// Jobs deleted so far (job ids stay unique after a delete or an expiry).
    let ingestRetired = Locked(0)
    /// Bulk API 2.0 query jobs (see `SalesforceBulkQuery.swift`).
    let queryJobs = Locked<[QueryJob]>([])
    let bulkFaults: Locked<BulkFaults>
    let context: EmulatorContext
    let limiter: RateLimiter
    /// Open query cursors: locator → the full result and its page size.
    let cursors = Locked<[String: (records: [JSONValue], pageSize: Int)]>([:])
    let cursorCounter = Locked(0)

    static let systemFields: Set<String> = ["Id", "CreatedDate", "LastModifiedDate", "SystemModstamp"]

    init(_ context: EmulatorContext, limiter: RateLimiter) {
        self.context = context
        self.limiter = limiter
        self.bulkFaults = Locked(context.options.bulkFaults)
        var tables = RecordTables()
        for (object, sample) in context.samples.sorted(by: { $0.key < $1.key }) {
            // The system fields live outside the stored fields; resolve the other columns to slots once.
            let slots = sample.columns.map { name in
                Self.systemFields.contains(name) ? nil : tables.slot(of: name, in: object)
            }
            for row in sample.rows {
                let created = sample.value("CreatedDate", in: row)?.stringValue.flatMap(Timestamps.parse) ?? context.clock()
                let modified =
                    (sample.value("SystemModstamp", in: row) ?? sample.value("LastModifiedDate", in: row))?.stringValue
                    .flatMap(Timestamps.parse) ?? created
                var values: [(slot: Int, value: JSONValue)] = []
                values.reserveCapacity(row.count)
                for (column, field) in row.enumerated() {
                    if let field, let slot = slots[column] { values.append((slot, field)) }
                }
                let id = sample.value("Id", in: row)?.stringValue ?? Self.makeID(object, tables.nextSequence())
                tables.insert(id: id, values: values, createdAt: created, updatedAt: modified, into: object)
            }
        }
        store = RecordStore(seed: tables)
    }

    func didReset() {
        cursors.withLock { $0 = [:] }
        expireBulkJobs()
        queryJobs.withLock { $0 = [] }
        bulkFaults.withLock { $0 = context.options.bulkFaults }
    }

    func registerControl(on router: inout Router) {
        registerBulkControl(on: &router)
    }

    /// An 18-character id with the object's key prefix.
    static func makeID(_ object: String, _ number: Int) -> String {
        let prefix = keyPrefix(object)
        guard number >= 0 else {
            let digits = String(number)
            return prefix + "Sb" + String(repeating: "0", count: max(0, 13 - digits.count)) + digits
        }
        var digits = 1
        var rest = number / 10
        while rest > 0 {
            digits += 1
            rest /= 10
        }
        let width = max(13, digits)
        let length = prefix.utf8.count + 2 + width
        return String(unsafeUninitializedCapacity: length) { buffer in
            var index = 0
            for byte in prefix.utf8 {
                buffer[index] = byte
                index += 1
            }
            buffer[index] = UInt8(ascii: "S")
            buffer[index + 1] = UInt8(ascii: "b")
            var value = number
            for position in stride(from: length - 1, through: index + 2, by: -1) {
                buffer[position] = 0x30 + UInt8(value % 10)
                value /= 10
            }
            return length
        }
    }

    static func keyPrefix(_ object: String) -> String {
        switch object {
        case "Account": "001"
        case "Contact": "003"
        case "Lead": "00Q"
        case "Opportunity": "006"
        default: "a0S"
        }
    }

    func register(on router: inout Router) {
        router.add("GET", "/services/data") { _ in
            .json([["label": "Spring '24", "url": "/services/data/v59.0", "version": "59.0"]])
        }
        router.add("GET", "/services/data/:version/query") { [self] request in query(request) }
        router.add("GET", "/services/data/:version/query/:locator") { [self] request in queryMore(request) }
        router.add("GET", "/services/data/:version/queryAll") { [self] request in query(request) }
        router.add("GET", "/services/data/:version/queryAll/:locator") { [self] request in queryMore(request) }
        router.add("GET", "/services/data/:version/sobjects/:sobject/describe") { [self] request in describe(request) }
        router.add("PATCH", "/services/data/:version/composite/sobjects/:sobject/:externalIdField") { [self] request in
            upsert(request)
        }
        router.add("GET", "/services/data/:version/limits") { [self] _ in limits() }
        registerBulk(on: &router)
        registerBulkQuery(on: &router)
        router.fallback { [self] _ in error(404, "NOT_FOUND", "The requested resource does not exist") }
    }

    /// Whether `object` exists in this org (has a schema or seed records; anything when there are none).
    func knows(_ object: String) -> Bool {
        context.schemas[object] != nil || context.samples[object] != nil
            || (context.schemas.isEmpty && context.samples.isEmpty)
    }

    /// A record as Salesforce sends it, with `attributes` and only the selected fields.
    func wire(_ record: StoredRecord, object: String, fields: [String], version: String) -> JSONValue {
        var result: [String: JSONValue] = [
            "attributes": [
                "type": .string(object), "url": .string("/services/data/\(version)/sobjects/\(object)/\(record.id)"),
            ]
        ]
        for field in fields {
            result[field] = value(of: field, in: record)
        }
        return .object(result)
    }

    /// A field value including the system fields kept outside `fields`.
    func value(of field: String, in record: StoredRecord) -> JSONValue {
        switch field {
        case "Id": .string(record.id)
        case "CreatedDate": .string(Timestamps.salesforce(record.createdAt))
        case "LastModifiedDate", "SystemModstamp": .string(Timestamps.salesforce(record.updatedAt))
        default: record[field: field] ?? .null
        }
    }

    // MARK: - Errors and limits

    /// Salesforce's top-level error body: an array of `{message, errorCode, fields?}`.
    func error(_ status: Int, _ code: String, _ message: String, fields: [String]? = nil) -> Response {
        var item: [String: JSONValue] = ["message": .string(message), "errorCode": .string(code)]
        if let fields { item["fields"] = .array(fields.map(JSONValue.string)) }
        return .json(.array([.object(item)]), status: status)
    }

    func refuseUnauthenticated(_ request: Request) -> Response? {
        if request.path == "/services/data" { return nil }
        guard request.bearerToken == context.credential else {
            return error(401, "INVALID_SESSION_ID", "Session expired or invalid")
        }
        return nil
    }

    func rateLimited(_ refusal: LimitRefusal?) -> Response {
        if case .concurrency = refusal {
            return error(403, "REQUEST_LIMIT_EXCEEDED", "ConcurrentPerOrgLongTxn Limit exceeded.")
        }
        return error(403, "REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded.")
    }

    func serverError(status: Int) -> Response {
        if status == 503 {
            return error(503, "SERVER_UNAVAILABLE", "Server temporarily unavailable.")
        }
        return error(
            status, "UNKNOWN_EXCEPTION",
            "An unexpected error occurred. Please include this ErrorId if you contact support: 1234567-89 (sandbox)")
    }

    func payloadTooLarge(limit: Int, size: Int) -> Response {
        error(413, "REQUEST_ENTITY_TOO_LARGE", "Request body of \(size) bytes exceeds the maximum of \(limit) bytes")
    }

    /// REST API "Compression Headers": requests may be compressed with gzip or deflate.
    var requestCodings: Set<ContentCoding> { [.gzip, .deflate] }

    func bodyRefused(_ refusal: ContentCoding.Refusal) -> Response {
        switch refusal {
        case .unsupported: error(415, "UNSUPPORTED_MEDIA_TYPE", refusal.message)
        case .corrupt: error(400, "JSON_PARSER_ERROR", refusal.message)
        case .tooLarge: error(413, "REQUEST_ENTITY_TOO_LARGE", refusal.message)
        }
    }

    func methodNotAllowed(_ request: Request, allowed: String) -> Response {
        error(405, "METHOD_NOT_ALLOWED", "HTTP Method '\(request.method)' not allowed. Allowed are \(allowed)")
    }

    func limitHeaders(_ usage: LimitUsage) -> [(name: String, value: String)] {
        guard let quota = usage.dailyQuota else { return [] }
        return [(name: "Sforce-Limit-Info", value: "api-usage=\(usage.dailyUsed)/\(quota)")]
    }

    /// `GET /limits`: the daily allocation as the limiter sees it.
    func limits() -> Response {
        let limit = limiter.limits.endpoint(named: "default")?.dailyQuota ?? 15_000
        return .json(["DailyApiRequests": ["Max": .int(limit), "Remaining": .int(limit)]])
    }
}
