import Foundation
import MapDSL

/// One field value carried by a change event.
public struct FieldChange: Sendable, Hashable {
    /// The field, in the platform schema's naming (`email`, `Email`, `merge_fields.FNAME`, `traits.email`).
    public var field: String
    /// The value the platform reported (platforms mostly send strings).
    public var value: JSONValue

    /// Creates a field change.
    public init(field: String, value: JSONValue) {
        self.field = field
        self.value = value
    }
}

/// A platform's webhook event, normalised: which record of which object changed, how, and when.
///
/// Every receiver turns its platform's format into these; the inbox stores them, the worker
/// matches them against trigger rules and echo suppression.
public struct ChangeEvent: Sendable, Hashable {
    /// Platform name (`hubspot`, `salesforce`, `mailchimp`, `mandrill`, `segment`).
    public var platform: String
    /// The configured webhook source it arrived on (`default` unless several are configured).
    public var source: String
    /// Platform object (`contact`, `Lead`, `member`, `message`, `identify`).
    public var object: String
    /// The platform's record id (HubSpot objectId, Salesforce Id, Mailchimp subscriber hash, ...).
    public var recordId: String
    /// The platform's event type (`contact.propertyChange`, `outbound_message`, `subscribe`, `open`).
    public var kind: String
    /// Field values the event carries.
    public var changes: [FieldChange]
    /// True when `changes` is a snapshot of current values (Salesforce, Mailchimp, Segment) rather
    /// than exactly the fields that changed (HubSpot property changes).
    public var snapshot: Bool
    /// When the change happened, UTC ISO 8601 with milliseconds (`2019-07-26T04:00:00.000Z`).
    public var occurredAt: String
    /// The platform's event id (or a stable id derived from the event): the deduplication key.
    public var eventId: String
    /// Where the platform says the change came from (HubSpot `changeSource`, e.g. `API`), if given.
    public var changeSource: String?
    /// The event as the platform sent it (never contains secrets: those travel in headers or the URL).
    public var raw: JSONValue

    /// Creates an event.
    public init(
        platform: String, source: String = "default", object: String, recordId: String, kind: String,
        changes: [FieldChange] = [], snapshot: Bool = false, occurredAt: String, eventId: String,
        changeSource: String? = nil, raw: JSONValue = .null
    ) {
        self.platform = platform
        self.source = source
        self.object = object
        self.recordId = recordId
        self.kind = kind
        self.changes = changes
        self.snapshot = snapshot
        self.occurredAt = occurredAt
        self.eventId = eventId
        self.changeSource = changeSource
        self.raw = raw
    }

    /// The value of `field` in this event (case-insensitive), if it carries it.
    public func value(of field: String) -> JSONValue? {
        let lowered = field.lowercased()
        return changes.first { $0.field.lowercased() == lowered }?.value
    }

    /// As JSON, for the inbox and `--format json`.
    public var json: JSONValue {
        var pairs: [(String, JSONValue)] = [
            ("platform", .string(platform)), ("source", .string(source)), ("object", .string(object)),
            ("recordId", .string(recordId)), ("kind", .string(kind)),
            ("changes", .object(changes.map { ($0.field, $0.value) })), ("snapshot", .bool(snapshot)),
            ("occurredAt", .string(occurredAt)), ("eventId", .string(eventId)),
        ]
        if let changeSource { pairs.append(("changeSource", .string(changeSource))) }
        pairs.append(("raw", raw))
        return .object(pairs)
    }

    /// Reads an event written by ``json``; nil when required members are missing.
    public init?(json: JSONValue) {
        guard let platform = json["platform"]?.stringValue, let object = json["object"]?.stringValue,
            let recordId = json["recordId"]?.stringValue, let kind = json["kind"]?.stringValue,
            let occurredAt = json["occurredAt"]?.stringValue, let eventId = json["eventId"]?.stringValue
        else { return nil }
        self.init(
            platform: platform, source: json["source"]?.stringValue ?? "default", object: object, recordId: recordId,
            kind: kind, changes: (json["changes"]?.objectValue ?? []).map { FieldChange(field: $0.0, value: $0.1) },
            snapshot: json["snapshot"]?.boolValue ?? false, occurredAt: occurredAt, eventId: eventId,
            changeSource: json["changeSource"]?.stringValue, raw: json["raw"] ?? .null)
    }
}

/// UTC timestamps in the one format the inbox stores and orders by.
public enum InboxTime {
    /// `yyyy-MM-dd'T'HH:mm:ss.SSS'Z'` for `date` (sorts lexicographically in time order).
    public static func string(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        formatter.timeZone = TimeZone(identifier: "UTC")
        return formatter.string(from: date)
    }

    /// The canonical form of epoch milliseconds.
    public static func string(epochMilliseconds ms: Int64) -> String {
        string(Date(timeIntervalSince1970: Double(ms) / 1000))
    }

    /// Parses ISO 8601 with or without fractional seconds; nil otherwise.
    public static func date(_ text: String) -> Date? {
        // ISO 8601 is short printable ASCII; nothing else is handed to Foundation's formatters
        // (DateFormatter traps on some non-ASCII text).
        guard text.utf8.count <= 64, text.utf8.allSatisfy({ (0x20...0x7E).contains($0) }) else { return nil }
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let d = formatter.date(from: text) { return d }
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.date(from: text)
    }

    /// Normalises any ISO 8601 text to the canonical form; nil when it does not parse.
    public static func canonical(_ text: String) -> String? {
        date(text).map(string)
    }
}
