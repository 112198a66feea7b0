import Foundation
import MapDSL
import SyncEngine

/// HubSpot webhooks: a JSON array of events, signed with the app's client secret.
///
/// Signature v3 (`X-HubSpot-Signature-v3`): base64 HMAC-SHA256 over `method + URL + body + timestamp`,
/// with `X-HubSpot-Request-Timestamp` (epoch ms) no more than 5 minutes away from now; the URL is the
/// one called, exactly as received, with the escapes HubSpot's rules list decoded (``v3URI(_:)``). Deliveries that
/// carry only the older `X-HubSpot-Signature` (v1: hex SHA-256 of `secret + body`; v2: of
/// `secret + method + URL + body`) are accepted unless ``requireV3`` is set; they have no timestamp,
/// so replays are stopped by event-id deduplication alone.
public struct HubSpotReceiver: WebhookReceiver {
    public let platform = "hubspot"
    public let source: String
    public let methods = ["POST"]
    private let secret: WebhookSecret
    /// Refuse v1/v2 signatures.
    public var requireV3: Bool
    /// Largest accepted distance between the request timestamp and now, in milliseconds.
    public var maxTimestampSkew: Int64 = 300_000

    /// Creates a receiver verifying with the app's client secret.
    public init(source: String = "default", secret: WebhookSecret, requireV3: Bool = false) {
        self.source = source
        self.secret = secret
        self.requireV3 = requireV3
    }

    /// HubSpot's generic object type ids for the standard objects.
    static let objectTypes = ["0-1": "contact", "0-2": "company", "0-3": "deal", "0-5": "ticket", "0-7": "product", "0-8": "line_item"]

    public func receive(_ delivery: WebhookDelivery, now: Date) -> WebhookVerdict {
        if let failure = verify(delivery, now: now) { return ReceiverSupport.unauthorized(failure) }
        return parse(delivery, now: now)
    }

    public func parse(_ delivery: WebhookDelivery, now: Date) -> WebhookVerdict {
        let parsed: JSONValue
        switch ReceiverSupport.json(delivery.body) {
        case .success(let v): parsed = v
        case .failure(let f): return ReceiverSupport.malformed(f.reason)
        }
        guard let items = parsed.arrayValue else { return ReceiverSupport.malformed("body must be a JSON array of events") }
        var events: [ChangeEvent] = []
        for (i, item) in items.enumerated() {
            switch event(item) {
            case .success(let e): events.append(e)
            case .failure(let f): return ReceiverSupport.malformed("event \(i): \(f.reason)")
            }
        }
        return .accepted(events, reply: WebhookReply(status: 200, body: "ok"))
    }

    /// Nil when the delivery is authentic, else why not.
    func verify(_ delivery: WebhookDelivery, now: Date) -> String? {
        if let v3 = delivery.header("x-hubspot-signature-v3") {
            guard let stamp = delivery.header("x-hubspot-request-timestamp"), let ms = Int64(stamp) else {
                return "X-HubSpot-Request-Timestamp is missing or not epoch milliseconds"
            }
            // Checked before any arithmetic: a hostile timestamp (Int64.min, say) is refused, never a trap.
            let nowMs = Int64(exactly: (now.timeIntervalSince1970 * 1000).rounded()) ?? 0
            guard let skew = ReceiverSupport.distance(nowMs, ms), skew <= UInt64(clamping: maxTimestampSkew) else {
                return "X-HubSpot-Request-Timestamp is more than \(maxTimestampSkew / 1000) seconds from now (expired or replayed)"
            }
            let message = Array((delivery.method + Self.v3URI(delivery.url)).utf8) + Array(delivery.body) + Array(stamp.utf8)
            let expected = Data(Digest.hmacSHA256(key: secret.bytes, message: message)).base64EncodedString()
            guard Digest.constantTimeEquals(Array(expected.utf8), Array(v3.utf8)) else {
                return "X-HubSpot-Signature-v3 does not match (HMAC-SHA256 over method, URL, body and timestamp)"
            }
            return nil
        }
        guard !requireV3 else { return "X-HubSpot-Signature-v3 is missing" }
        guard let signature = delivery.header("x-hubspot-signature") else { return "no HubSpot signature header" }
        let version = delivery.header("x-hubspot-signature-version")?.lowercased() ?? "v1"
        let tail: [UInt8]
        switch version {
        case "v1": tail = Array(delivery.body)
        case "v2": tail = Array((delivery.method + delivery.url).utf8) + Array(delivery.body)
        default: return "unsupported X-HubSpot-Signature-Version \(version.prefix(8))"
        }
        let expected = Digest.hex(Digest.sha256(secret.bytes + tail))
        guard Digest.constantTimeEquals(Array(expected.utf8), Array(signature.lowercased().utf8)) else {
            return "X-HubSpot-Signature (\(version)) does not match"
        }
        return nil
    }

    /// The percent-escapes HubSpot's v3 validation rules decode in the URI before hashing (hex
    /// digits in either case); every other byte of the URL stays exactly as received.
    public static let v3DecodedEscapes: [String: UInt8] = [
        "3A": UInt8(ascii: ":"), "2F": UInt8(ascii: "/"), "3F": UInt8(ascii: "?"), "40": UInt8(ascii: "@"),
        "21": UInt8(ascii: "!"), "24": UInt8(ascii: "$"), "27": UInt8(ascii: "'"), "28": UInt8(ascii: "("),
        "29": UInt8(ascii: ")"), "2A": UInt8(ascii: "*"), "2C": UInt8(ascii: ","), "3B": UInt8(ascii: ";"),
    ]

    /// The URI as HubSpot signs it for v3: the URL as received with the escapes of
    /// ``v3DecodedEscapes`` decoded, in one pass (a decoded byte never starts a new escape).
    public static func v3URI(_ url: String) -> String {
        let bytes = Array(url.utf8)
        guard bytes.contains(UInt8(ascii: "%")) else { return url }
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var i = 0
        while i < bytes.count {
            if bytes[i] == UInt8(ascii: "%"), i + 2 < bytes.count,
                let decoded = v3DecodedEscapes[String(decoding: bytes[(i + 1)...(i + 2)], as: UTF8.self).uppercased()]
            {
                out.append(decoded)
                i += 3
            } else {
                out.append(bytes[i])
                i += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    private func event(_ item: JSONValue) -> Result<ChangeEvent, OutboundMessageParser.ParseFailure> {
        typealias Failure = OutboundMessageParser.ParseFailure
        guard item.objectValue != nil else { return .failure(Failure("not a JSON object")) }
        guard let type = item["subscriptionType"]?.stringValue, let dot = type.firstIndex(of: ".") else {
            return .failure(Failure("missing subscriptionType such as \"contact.propertyChange\""))
        }
        guard let objectId = ReceiverSupport.text(item["objectId"] ?? item["primaryObjectId"]) else {
            return .failure(Failure("missing objectId"))
        }
        guard let occurred = item["occurredAt"]?.intValue else { return .failure(Failure("missing occurredAt (epoch milliseconds)")) }
        guard let occurredAt = ReceiverSupport.time(epochMilliseconds: Int64(occurred)) else {
            return .failure(Failure("occurredAt \(occurred) is not a time between 1970 and 9999 (epoch milliseconds)"))
        }
        guard let eventId = ReceiverSupport.text(item["eventId"]) else { return .failure(Failure("missing eventId")) }
        var object = String(type[..<dot])
        if object == "object" {
            let typeId = item["objectTypeId"]?.stringValue ?? ""
            object = Self.objectTypes[typeId] ?? typeId
        }
        var changes: [FieldChange] = []
        if let name = item["propertyName"]?.stringValue {
            changes.append(FieldChange(field: name, value: item["propertyValue"] ?? .null))
        }
        // HubSpot's own advice: (subscriptionId, eventId, occurredAt) identifies a delivery; eventId alone is not unique.
        let subscription = ReceiverSupport.text(item["subscriptionId"]) ?? "-"
        let portal = ReceiverSupport.text(item["portalId"]) ?? "-"
        return .success(
            ChangeEvent(
                platform: platform, source: source, object: object, recordId: objectId, kind: type, changes: changes,
                snapshot: false, occurredAt: occurredAt,
                eventId: "\(portal):\(subscription):\(eventId):\(occurred)", changeSource: item["changeSource"]?.stringValue,
                raw: item))
    }
}
