import Foundation
import MapDSL
import SyncEngine

/// Segment's Webhooks destination: one JSON message per POST (`identify`, `track`, `page`, `group`,
/// `screen`, `alias`, `delete`), signed in `X-Signature` as hex HMAC-SHA1 of the body when a shared
/// secret is configured.
///
/// Events: object = message type; kind = the track event name for `track`, else the type; record id =
/// `userId`, else `anonymousId`; values = `traits.*` or `properties.*` flattened; event id = `messageId`.
public struct SegmentReceiver: WebhookReceiver {
    public let platform = "segment"
    public let source: String
    public let methods = ["POST"]
    private let secret: WebhookSecret?

    /// Creates a receiver; with `secret` nil the endpoint accepts unsigned messages (configure this
    /// only behind other protection).
    public init(source: String = "default", secret: WebhookSecret?) {
        self.source = source
        self.secret = secret
    }

    public func receive(_ delivery: WebhookDelivery, now: Date) -> WebhookVerdict {
        if let secret {
            guard let given = delivery.header("x-signature") else { return ReceiverSupport.unauthorized("X-Signature is missing") }
            let expected = Digest.hex(Digest.hmacSHA1(key: secret.bytes, message: Array(delivery.body)))
            guard Digest.constantTimeEquals(Array(expected.utf8), Array(given.lowercased().utf8)) else {
                return ReceiverSupport.unauthorized("X-Signature does not match (hex HMAC-SHA1 of the body)")
            }
        }
        return parse(delivery, now: now)
    }

    public func parse(_ delivery: WebhookDelivery, now: Date) -> WebhookVerdict {
        let message: JSONValue
        switch ReceiverSupport.json(delivery.body) {
        case .success(let v): message = v
        case .failure(let f): return ReceiverSupport.malformed(f.reason)
        }
        guard message.objectValue != nil else { return ReceiverSupport.malformed("body must be a JSON object (one Segment message)") }
        guard let type = message["type"]?.stringValue, !type.isEmpty else { return ReceiverSupport.malformed("missing `type`") }
        guard let user = message["userId"]?.stringValue ?? message["anonymousId"]?.stringValue, !user.isEmpty else {
            return ReceiverSupport.malformed("message has neither userId nor anonymousId")
        }
        var changes: [FieldChange] = []
        switch type {
        case "identify", "group": changes = ReceiverSupport.flatten(message["traits"] ?? .object([]), prefix: "traits")
        case "track", "page", "screen": changes = ReceiverSupport.flatten(message["properties"] ?? .object([]), prefix: "properties")
        default: break
        }
        if type == "identify", let email = message["context"]?["traits"]?["email"], !changes.contains(where: { $0.field == "traits.email" })
        {
            changes.append(FieldChange(field: "traits.email", value: email))
        }
        let kind = type == "track" ? (message["event"]?.stringValue ?? "track") : type
        let stamp = message["timestamp"]?.stringValue ?? message["receivedAt"]?.stringValue
        let occurred = stamp.flatMap(InboxTime.canonical) ?? InboxTime.string(now)
        let id = message["messageId"]?.stringValue ?? ReceiverSupport.derivedId(Array(delivery.body))
        return .accepted(
            [
                ChangeEvent(
                    platform: platform, source: source, object: type, recordId: user, kind: kind, changes: changes,
                    snapshot: true, occurredAt: occurred, eventId: id, raw: message)
            ], reply: WebhookReply())
    }
}
