import Foundation
import MapDSL
import SyncEngine

/// Mailchimp Transactional (Mandrill) webhooks: a form POST whose `mandrill_events` field holds a
/// JSON array of up to 1,000 events, signed in `X-Mandrill-Signature`.
///
/// The signature is base64 HMAC-SHA1, keyed with the webhook's `auth_key`, over the webhook URL
/// exactly as registered followed by every POST field, sorted by name, as name then value with no
/// separators. A `HEAD` or `GET` (Mandrill's URL check) is answered 200 without storing anything.
public struct MandrillReceiver: WebhookReceiver {
    public let platform = "mandrill"
    public let source: String
    public let methods = ["HEAD", "GET", "POST"]
    private let key: WebhookSecret
    /// The URL as registered with Mandrill; when nil, the URL the request was made to.
    public var registeredURL: String?

    /// Creates a receiver verifying with the webhook's `auth_key`.
    public init(source: String = "default", key: WebhookSecret, registeredURL: String? = nil) {
        self.source = source
        self.key = key
        self.registeredURL = registeredURL
    }

    /// The signature Mandrill sends for `fields` posted to `url` under `key`.
    public static func signature(url: String, fields: [(key: String, value: String)], key: WebhookSecret) -> String {
        var message = url
        for (k, v) in fields.sorted(by: { $0.key < $1.key }) {
            message += k + v
        }
        return Data(Digest.hmacSHA1(key: key.bytes, message: Array(message.utf8))).base64EncodedString()
    }

    public func receive(_ delivery: WebhookDelivery, now: Date) -> WebhookVerdict {
        if delivery.method != "POST" { return .answer(WebhookReply(status: 200, body: "ok")) }
        guard let given = delivery.header("x-mandrill-signature") ?? delivery.header("x-mailchimp-signature") else {
            return ReceiverSupport.unauthorized("X-Mandrill-Signature is missing")
        }
        let pairs: [(key: String, value: String)]
        do throws(FormError) {
            guard let text = String(data: delivery.body, encoding: .utf8) else { throw FormError.malformed }
            pairs = try FormDecoder.decode(text)
        } catch {
            return .refused(status: 400, reason: error.description, authenticated: false)
        }
        let expected = Self.signature(url: registeredURL ?? delivery.url, fields: pairs, key: key)
        guard Digest.constantTimeEquals(Array(expected.utf8), Array(given.utf8)) else {
            return ReceiverSupport.unauthorized("X-Mandrill-Signature does not match (HMAC-SHA1 over the URL and sorted fields)")
        }
        return parse(delivery, now: now)
    }

    public func parse(_ delivery: WebhookDelivery, now: Date) -> WebhookVerdict {
        let pairs: [(key: String, value: String)]
        do throws(FormError) {
            guard let text = String(data: delivery.body, encoding: .utf8) else { throw FormError.malformed }
            pairs = try FormDecoder.decode(text)
        } catch {
            return ReceiverSupport.malformed(error.description)
        }
        guard let field = pairs.first(where: { $0.key == "mandrill_events" })?.value else {
            return ReceiverSupport.malformed("missing form field mandrill_events")
        }
        let parsed: JSONValue
        switch ReceiverSupport.json(Data(field.utf8)) {
        case .success(let v): parsed = v
        case .failure(let f): return ReceiverSupport.malformed("mandrill_events: \(f.reason)")
        }
        guard let items = parsed.arrayValue else { return ReceiverSupport.malformed("mandrill_events must be a JSON array") }
        var events: [ChangeEvent] = []
        for (i, item) in items.enumerated() {
            switch event(item, now: now) {
            case .success(let e): events.append(e)
            case .failure(let f): return ReceiverSupport.malformed("mandrill_events[\(i)] \(f.reason)")
            }
        }
        return .accepted(events, reply: WebhookReply())
    }

    private func event(_ item: JSONValue, now: Date) -> Result<ChangeEvent, OutboundMessageParser.ParseFailure> {
        typealias Failure = OutboundMessageParser.ParseFailure
        let ts = item["ts"]?.intValue
        let occurred: String
        if let ts {
            // Range first, then arithmetic: `ts` = Int64.max is refused, not multiplied.
            guard let time = ReceiverSupport.time(epochSeconds: Int64(ts)) else {
                return .failure(Failure("has `ts` \(ts), not a time between 1970 and 9999 (epoch seconds)"))
            }
            occurred = time
        } else if let given = item["ts"], given != .null {
            return .failure(Failure("has a `ts` that is not epoch seconds"))
        } else {
            occurred = InboxTime.string(now)
        }
        let derived = ReceiverSupport.derivedId(Array(JSONWriter.compact(item).utf8))
        if let kind = item["event"]?.stringValue, let msg = item["msg"], msg.objectValue != nil {
            let id = item["_id"]?.stringValue ?? msg["_id"]?.stringValue ?? derived
            var changes: [FieldChange] = []
            for name in ["email", "sender", "subject", "state", "tags", "metadata", "bounce_description", "diag"] {
                if let v = msg[name] { changes.append(FieldChange(field: name, value: v)) }
            }
            for name in ["url", "ip", "user_agent"] {
                if let v = item[name] { changes.append(FieldChange(field: name, value: v)) }
            }
            return .success(
                ChangeEvent(
                    platform: platform, source: source, object: "message", recordId: id, kind: kind, changes: changes,
                    snapshot: true, occurredAt: occurred, eventId: "\(id):\(kind):\(ts.map(String.init) ?? derived)", raw: item))
        }
        if let type = item["type"]?.stringValue {
            let entry = item["reject"] ?? item["entry"] ?? .object([])
            let email = entry["email"]?.stringValue ?? ""
            let action = item["action"]?.stringValue ?? "change"
            return .success(
                ChangeEvent(
                    platform: platform, source: source, object: type, recordId: email, kind: "\(type).\(action)",
                    changes: ReceiverSupport.flatten(entry, prefix: ""), snapshot: true, occurredAt: occurred, eventId: derived, raw: item))
        }
        return .failure(Failure("has neither an `event` with a `msg` nor a sync `type`"))
    }
}
