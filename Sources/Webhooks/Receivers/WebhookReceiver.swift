import Foundation
import MapDSL
import SyncEngine

/// One webhook request as a receiver sees it: what the platform sent and the URL it called.
public struct WebhookDelivery: Sendable {
    /// The request method in upper case.
    public var method: String
    /// The full URL as the platform called it (scheme, host, path, query), used by URL-signing schemes.
    public var url: String
    /// Query parameters, decoded.
    public var query: [(name: String, value: String?)]
    /// Header fields with lower-cased names.
    public var headers: [(name: String, value: String)]
    /// The raw body.
    public var body: Data

    /// Creates a delivery.
    public init(
        method: String, url: String, query: [(name: String, value: String?)] = [], headers: [(name: String, value: String)] = [],
        body: Data = Data()
    ) {
        self.method = method.uppercased()
        self.url = url
        self.query = query
        self.headers = headers.map { (name: $0.name.lowercased(), value: $0.value) }
        self.body = body
    }

    /// The first value of header `name` (case-insensitive).
    public func header(_ name: String) -> String? {
        let lowered = name.lowercased()
        return headers.first { $0.name == lowered }?.value
    }

    /// The first value of query parameter `name`.
    public func queryValue(_ name: String) -> String? {
        query.first { $0.name == name }?.value ?? nil
    }

    /// The media type of the body, lower-cased, without parameters.
    public var mediaType: String? {
        header("content-type").map { String($0.split(separator: ";").first ?? "").trimmingCharacters(in: .whitespaces).lowercased() }
    }
}

/// A reply to send the platform.
public struct WebhookReply: Sendable, Hashable {
    /// The status code.
    public var status: Int
    /// The content type.
    public var contentType: String
    /// The body text.
    public var body: String

    /// Creates a reply.
    public init(status: Int = 200, contentType: String = "text/plain; charset=utf-8", body: String = "ok") {
        self.status = status
        self.contentType = contentType
        self.body = body
    }
}

/// What a receiver made of a delivery.
public enum WebhookVerdict: Sendable {
    /// Verified and parsed: store these events, then send `reply`.
    case accepted([ChangeEvent], reply: WebhookReply)
    /// Nothing to store (e.g. Mailchimp's URL validation GET): just send the reply.
    case answer(WebhookReply)
    /// Refused with a 4xx and a reason; `authenticated` tells whether the sender was verified first.
    case refused(status: Int, reason: String, authenticated: Bool)
}

/// Verifies and normalises one platform's webhook deliveries.
///
/// Receivers are pure: no I/O, the current time is passed in, secrets never appear in reasons.
public protocol WebhookReceiver: Sendable {
    /// The platform name used in routes and events (`hubspot`).
    var platform: String { get }
    /// The configured source name (`default` unless several are configured).
    var source: String { get }
    /// HTTP methods the endpoint answers.
    var methods: [String] { get }
    /// Verifies, parses and normalises `delivery`, received at `now`.
    func receive(_ delivery: WebhookDelivery, now: Date) -> WebhookVerdict
    /// Parses and normalises `delivery` without verifying it: only for replaying a quarantined
    /// delivery whose sender was verified when it arrived.
    func parse(_ delivery: WebhookDelivery, now: Date) -> WebhookVerdict
}

/// Small helpers shared by the receivers.
enum ReceiverSupport {
    /// `401` for a sender that could not be verified.
    static func unauthorized(_ reason: String) -> WebhookVerdict {
        .refused(status: 401, reason: reason, authenticated: false)
    }

    /// `400` for a verified sender whose body is unusable.
    static func malformed(_ reason: String) -> WebhookVerdict {
        .refused(status: 400, reason: reason, authenticated: true)
    }

    /// The latest instant an event may name, 9999-12-31T23:59:59.999Z, in epoch milliseconds: later
    /// ones would not sort as text in the inbox's canonical form, and no platform sends them.
    static let latestEpochMilliseconds: Int64 = 253_402_300_799_999

    /// Epoch milliseconds in the inbox's canonical form, or nil outside 1970 … 9999 (checked
    /// before any arithmetic, so no value traps).
    static func time(epochMilliseconds ms: Int64) -> String? {
        guard ms >= 0, ms <= latestEpochMilliseconds else { return nil }
        return InboxTime.string(epochMilliseconds: ms)
    }

    /// Epoch seconds in the inbox's canonical form, or nil outside 1970 … 9999.
    static func time(epochSeconds s: Int64) -> String? {
        guard s >= 0, s <= latestEpochMilliseconds / 1000 else { return nil }
        return time(epochMilliseconds: s * 1000)
    }

    /// How far apart two epoch-millisecond instants are, or nil when the distance does not fit in
    /// 64 bits (one of them is absurd): the subtraction is checked, never trapped.
    static func distance(_ a: Int64, _ b: Int64) -> UInt64? {
        let (difference, overflow) = a.subtractingReportingOverflow(b)
        return overflow ? nil : difference.magnitude
    }

    /// A JSON scalar as text (platforms mostly send strings; ids may be numbers).
    static func text(_ value: JSONValue?) -> String? {
        switch value {
        case .string(let s)?: return s
        case .int(let i)?: return String(i)
        case .double(let d)?: return d == d.rounded() && abs(d) < 1e15 ? String(Int64(d)) : String(d)
        case .bool(let b)?: return b ? "true" : "false"
        default: return nil
        }
    }

    /// Flattens nested objects to dotted names under `prefix` (`traits.address.city`); arrays stay values.
    static func flatten(_ value: JSONValue, prefix: String) -> [FieldChange] {
        guard let pairs = value.objectValue else { return [FieldChange(field: prefix, value: value)] }
        var out: [FieldChange] = []
        for (k, v) in pairs {
            let name = prefix.isEmpty ? k : prefix + "." + k
            if v.objectValue != nil {
                out += flatten(v, prefix: name)
            } else {
                out.append(FieldChange(field: name, value: v))
            }
        }
        return out
    }

    /// A stable id for an event that has none: SHA-256 of its bytes, 32 hex digits.
    static func derivedId(_ bytes: [UInt8]) -> String {
        String(Digest.hex(Digest.sha256(bytes)).prefix(32))
    }

    /// Parses a JSON body, or explains why it is not JSON.
    static func json(_ body: Data) -> Result<JSONValue, OutboundMessageParser.ParseFailure> {
        do {
            return .success(try JSONParser.parse(Array(body)))
        } catch {
            return .failure(OutboundMessageParser.ParseFailure("body is not valid JSON (\(error.message) at byte \(error.offset))"))
        }
    }
}
