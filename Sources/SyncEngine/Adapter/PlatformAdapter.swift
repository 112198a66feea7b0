import Foundation
import MapDSL

/// How records are written to the destination.
public enum WriteMode: String, Sendable, Codable, CaseIterable {
    /// Create or update by key.
    case upsert
    /// Update existing records only; unknown keys are rejected.
    case updateOnly = "update-only"
    /// Append only (events); a deterministic message id per record lets the platform drop repeats.
    case insertOnly = "insert-only"
}

/// A page request to a source.
public struct FetchRequest: Sendable, Hashable {
    /// The platform object (`contact`, `Lead`).
    public var object: String
    /// The cursor returned with the previous page; nil for the first page.
    public var cursor: String?
    /// Only records modified at or after this instant (ISO 8601), for incremental syncs.
    public var modifiedSince: String?
    /// Records per page wanted (the adapter may return fewer).
    public var pageSize: Int
    /// The fields wanted (schema field names); nil for all.
    public var fields: [String]?

    /// Creates a request.
    public init(object: String, cursor: String? = nil, modifiedSince: String? = nil, pageSize: Int, fields: [String]? = nil) {
        self.object = object
        self.cursor = cursor
        self.modifiedSince = modifiedSince
        self.pageSize = pageSize
        self.fields = fields
    }
}

/// One source record, flattened to our schema's field names.
public struct SourceRecord: Sendable, Hashable {
    /// The platform's record id.
    public var id: String
    /// A JSON object keyed by schema field names (dotted names stay flat: `traits.email`).
    public var fields: JSONValue
    /// When the platform last changed the record (ISO 8601, as the platform wrote it), when the
    /// adapter knows: what a job's high-water mark is made of.
    public var modified: String?

    /// Creates a record.
    public init(id: String, fields: JSONValue, modified: String? = nil) {
        self.id = id
        self.fields = fields
        self.modified = modified
    }
}

/// A page of source records.
public struct SourcePage: Sendable {
    /// The records, in the platform's order.
    public var records: [SourceRecord]
    /// The cursor for the next page; nil when this was the last page.
    public var nextCursor: String?
    /// Whether the read comes in ascending order of modification time (ties by id) and a record
    /// changed while it is under way is read again further on: then every record modified before
    /// the last one of a page was read by the end of that page, and a job's high-water mark may
    /// advance page by page. Otherwise (a plain listing) the mark is taken when the read is over.
    public var ordered: Bool

    /// Creates a page.
    public init(records: [SourceRecord], nextCursor: String?, ordered: Bool = false) {
        self.records = records
        self.nextCursor = nextCursor
        self.ordered = ordered
    }
}

/// One record to write.
public struct OutboundRecord: Sendable, Hashable {
    /// The key value (upsert key, or the message id for insert-only destinations).
    public var key: String
    /// Destination field names and values, in mapping order (each name once).
    public var pairs: [(String, JSONValue)]

    /// Creates a record; a name given twice keeps its last value, in its first place.
    public init(key: String, fields: [(String, JSONValue)]) {
        self.key = key
        var pairs: [(String, JSONValue)] = []
        pairs.reserveCapacity(fields.count)
        for (name, value) in fields {
            if let i = pairs.firstIndex(where: { $0.0 == name }) { pairs[i].1 = value } else { pairs.append((name, value)) }
        }
        self.pairs = pairs
    }

    /// Creates a record from fields whose names are known to be distinct (a mapping's outputs).
    public init(key: String, distinctFields: [(String, JSONValue)]) {
        self.key = key
        self.pairs = distinctFields
    }

    /// The value of field `name`, if the record has it.
    public subscript(field name: String) -> JSONValue? {
        pairs.first { $0.0 == name }?.1
    }

    /// Destination field values by name (built on each call; iterate ``pairs`` on hot paths).
    public var fields: [String: JSONValue] {
        var map: [String: JSONValue] = [:]
        for (k, v) in pairs { map[k] = v }
        return map
    }

    /// Field names, in order.
    public var order: [String] { pairs.map(\.0) }

    /// The fields as an ordered JSON object.
    public var json: JSONValue { .object(pairs) }

    public static func == (a: OutboundRecord, b: OutboundRecord) -> Bool {
        a.key == b.key && a.pairs.count == b.pairs.count && zip(a.pairs, b.pairs).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(key)
        for (k, v) in pairs {
            hasher.combine(k)
            hasher.combine(v)
        }
    }
}

/// What the platform said about one written record.
public struct WriteResult: Sendable, Hashable {
    /// The outcome kinds.
    public enum Status: String, Sendable, Codable {
        case created, updated
        /// The platform recognised a repeat (same message id) and dropped it.
        case duplicate
        case rejected
    }

    /// The record's key.
    public var key: String
    /// The outcome.
    public var status: Status
    /// The platform's id of the record, when it gives one.
    public var destinationId: String?
    /// The platform's error code, for rejections (`INVALID_EMAIL_ADDRESS`).
    public var errorCode: String?
    /// The platform's message, for rejections.
    public var message: String?
    /// The field the platform blamed, if any.
    public var field: String?
    /// For rejections: the platform documents this error as passing (a locked row, a per-record
    /// rate limit or server error), so the same write is worth sending again after a pause. The
    /// codes that count as transient are data: `platforms/<platform>/errors.json`.
    public var transient: Bool

    /// Creates a result.
    public init(
        key: String, status: Status, destinationId: String? = nil, errorCode: String? = nil, message: String? = nil,
        field: String? = nil, transient: Bool = false
    ) {
        self.key = key
        self.status = status
        self.destinationId = destinationId
        self.errorCode = errorCode
        self.message = message
        self.field = field
        self.transient = transient
    }
}

/// A write request for one batch.
public struct WriteRequest: Sendable {
    /// The destination object.
    public var object: String
    /// The destination field that identifies records (upsert key / external id / message id).
    public var keyField: String
    /// The write mode.
    public var mode: WriteMode
    /// The records.
    public var records: [OutboundRecord]

    /// Creates a request.
    public init(object: String, keyField: String, mode: WriteMode, records: [OutboundRecord]) {
        self.object = object
        self.keyField = keyField
        self.mode = mode
        self.records = records
    }
}

/// Failures of a whole request, classified so the engine knows what to do.
public enum AdapterError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Worth retrying after a backoff: 5xx, timeouts, dropped connections.
    case transient(String)
    /// The platform asked us to wait this many seconds.
    case rateLimited(retryAfter: Double, message: String)
    /// Retrying will not help: authentication, permissions, schema drift, unknown object.
    case fatal(String)
    /// A daily allocation or quota is used up: waiting a few seconds will not help, the run pauses
    /// until it resets.
    case quotaExhausted(QuotaExhaustion)

    public var description: String {
        switch self {
        case .transient(let m): "transient failure: \(m)"
        case .rateLimited(let s, let m): "rate limited for \(s)s: \(m)"
        case .fatal(let m): "fatal: \(m)"
        case .quotaExhausted(let q): "\(q): \(q.message)"
        }
    }
}

/// A platform's daily allocation (or a registry's daily quota) used up, and when it comes back.
public struct QuotaExhaustion: Sendable, Hashable, CustomStringConvertible {
    /// What is used up, as the user knows it: `salesforce daily API allocation`.
    public var quota: String
    /// When it resets (or, for a rolling window, when the oldest counted requests leave it); nil
    /// when neither the platform's answer nor the registry says.
    public var resetsAt: Date?
    /// Whether the quota is a rolling 24-hour window (it frees up gradually; `resetsAt` is mapc's
    /// estimate from the requests it counted).
    public var rolling: Bool
    /// The platform's own words (secret-free).
    public var message: String

    /// Creates the description of an exhausted quota.
    public init(quota: String, resetsAt: Date?, rolling: Bool = false, message: String) {
        self.quota = quota
        self.resetsAt = resetsAt
        self.rolling = rolling
        self.message = message
    }

    /// `resets 2026-12-06 00:00 UTC`, `rolling 24 hours, estimated to free up by 2026-12-06 03:00 UTC`, or
    /// `reset time unknown`.
    public var resetText: String {
        guard let resetsAt else { return "reset time unknown (see the platform's usage page)" }
        let when = Self.utc(resetsAt)
        return rolling ? "rolling 24 hours, estimated to free up by \(when)" : "resets \(when)"
    }

    /// `salesforce daily API allocation used up; resets 2026-12-06 00:00 UTC`.
    public var description: String { "\(quota) used up; \(resetText)" }

    /// `2026-12-06 00:00 UTC` (minutes rounded up, so the time named is never before the reset).
    public static func utc(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let rounded = Date(timeIntervalSince1970: (date.timeIntervalSince1970 / 60).rounded(.up) * 60)
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute], from: rounded)
        func two(_ n: Int?) -> String { n.map { $0 < 10 ? "0\($0)" : "\($0)" } ?? "??" }
        return "\(c.year ?? 0)-\(two(c.month))-\(two(c.day)) \(two(c.hour)):\(two(c.minute)) UTC"
    }
}

/// Per-request limits of a platform endpoint.
public struct AdapterLimits: Sendable, Hashable {
    /// Most records in one write request.
    public var maxBatchRecords: Int
    /// Most bytes in one request body, if limited.
    public var maxPayloadBytes: Int?
    /// Most bytes for one record inside a request, if limited.
    public var maxRecordBytes: Int?

    /// Creates limits.
    public init(maxBatchRecords: Int, maxPayloadBytes: Int? = nil, maxRecordBytes: Int? = nil) {
        self.maxBatchRecords = maxBatchRecords
        self.maxPayloadBytes = maxPayloadBytes
        self.maxRecordBytes = maxRecordBytes
    }
}

/// A platform's API as the sync engine sees it. Implementations are thread-safe, speak the
/// platform's real wire format, stay within its limits (splitting oversized payloads rather than
/// sending them), and classify failures as ``AdapterError``s; per-record rejections are results,
/// not errors.
public protocol PlatformAdapter: Sendable {
    /// The platform name (`hubspot`).
    var platform: String { get }
    /// Write limits for `object`.
    func limits(object: String, mode: WriteMode) -> AdapterLimits
    /// The object's schema, from the platform's describe endpoint, in mapc's schema model.
    func describe(object: String) throws -> Schema
    /// One page of records.
    func fetch(_ request: FetchRequest) throws -> SourcePage
    /// Writes one batch; returns one result per record, in any order, keyed by ``OutboundRecord/key``.
    func write(_ request: WriteRequest) throws -> [WriteResult]
    /// The record of `object` whose `field` equals `value` (for lookups), or nil when none or several match.
    func find(object: String, field: String, value: String) throws -> JSONValue?
    /// How many records `object` has, when the platform can tell cheaply (for progress and ETA); nil
    /// otherwise. A default implementation returns nil.
    func count(object: String) throws -> Int?
    /// How many records a read of `object` with `modifiedSince` (nil: every record) would return, at
    /// the cost of one request at most, when the platform can tell; nil otherwise. The default asks
    /// ``count(object:)`` for a read of every record and knows nothing of incremental reads.
    func count(object: String, modifiedSince: String?) throws -> Int?
}
