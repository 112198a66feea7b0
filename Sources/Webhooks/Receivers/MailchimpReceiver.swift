import Foundation
import MapDSL
import SyncEngine

/// Mailchimp Marketing audience webhooks: form-encoded POSTs with bracketed keys
/// (`type=subscribe&fired_at=...&data[merges][EMAIL]=...`), and a GET to validate the URL.
///
/// Mailchimp does not sign its webhooks; as it recommends, the URL carries a secret
/// (`?key=SECRET`), checked in constant time on every request including the validation GET.
/// Mailchimp sends no event id, so a digest of the body serves as one: a retried delivery is the
/// same bytes and is stored once.
public struct MailchimpReceiver: WebhookReceiver {
    public let platform = "mailchimp"
    public let source: String
    public let methods = ["GET", "POST"]
    private let secret: WebhookSecret

    /// Creates a receiver whose URL must carry `?key=<secret>`.
    public init(source: String = "default", secret: WebhookSecret) {
        self.source = source
        self.secret = secret
    }

    public func receive(_ delivery: WebhookDelivery, now: Date) -> WebhookVerdict {
        guard let given = delivery.queryValue("key") ?? delivery.queryValue("secret"), secret.matches(given) else {
            return ReceiverSupport.unauthorized("the webhook URL's key parameter is missing or wrong")
        }
        if delivery.method == "GET" {
            return .answer(WebhookReply(status: 200, body: "ok"))
        }
        return parse(delivery, now: now)
    }

    public func parse(_ delivery: WebhookDelivery, now: Date) -> WebhookVerdict {
        if let type = delivery.mediaType, type != "application/x-www-form-urlencoded" {
            return ReceiverSupport.malformed("expected application/x-www-form-urlencoded, got \(type.prefix(60))")
        }
        guard let text = String(data: delivery.body, encoding: .utf8) else { return ReceiverSupport.malformed("body is not UTF-8 text") }
        let form: JSONValue
        do throws(FormError) {
            form = try FormDecoder.nested(FormDecoder.decode(text))
        } catch {
            return ReceiverSupport.malformed(error.description)
        }
        guard let type = form["type"]?.stringValue, !type.isEmpty else { return ReceiverSupport.malformed("missing `type`") }
        guard let fired = form["fired_at"]?.stringValue, let occurred = Self.firedAt(fired) else {
            return ReceiverSupport.malformed("missing or unreadable `fired_at` (expected YYYY-MM-DD HH:MM:SS)")
        }
        let data = form["data"] ?? .object([])
        let eventId = ReceiverSupport.derivedId(Array(delivery.body))
        if type == "campaign" {
            guard let id = data["id"]?.stringValue else { return ReceiverSupport.malformed("campaign event without data[id]") }
            let changes = ReceiverSupport.flatten(data, prefix: "").filter { $0.field != "id" }
            return .accepted(
                [
                    ChangeEvent(
                        platform: platform, source: source, object: "campaign", recordId: id, kind: type, changes: changes,
                        snapshot: true, occurredAt: occurred, eventId: eventId, raw: form)
                ], reply: WebhookReply())
        }
        let email =
            (type == "upemail" ? data["new_email"]?.stringValue : data["email"]?.stringValue) ?? data["merges"]?["EMAIL"]?.stringValue
        guard let email, !email.isEmpty else { return ReceiverSupport.malformed("\(type.prefix(20)) event without data[email]") }
        return .accepted(
            [
                ChangeEvent(
                    platform: platform, source: source, object: "member",
                    recordId: Digest.hex(Digest.md5(Array(email.lowercased().utf8))), kind: type,
                    changes: Self.memberChanges(type: type, email: email, data: data), snapshot: true, occurredAt: occurred,
                    eventId: eventId, raw: form)
            ], reply: WebhookReply())
    }

    /// The event's values under the member schema's field names.
    static func memberChanges(type: String, email: String, data: JSONValue) -> [FieldChange] {
        var out = [FieldChange(field: "email_address", value: .string(email))]
        let status = ["subscribe": "subscribed", "unsubscribe": "unsubscribed", "cleaned": "cleaned"][type]
        if let status { out.append(FieldChange(field: "status", value: .string(status))) }
        for name in ["email_type", "ip_opt", "ip_signup", "web_id"] {
            if let v = data[name] { out.append(FieldChange(field: name, value: v)) }
        }
        if type == "unsubscribe", let reason = data["reason"] {
            out.append(FieldChange(field: "unsubscribe_reason", value: reason))
        }
        for (k, v) in data["merges"]?.objectValue ?? [] where k != "EMAIL" {
            out += ReceiverSupport.flatten(v, prefix: "merge_fields." + k)
        }
        return out
    }

    /// `YYYY-MM-DD HH:MM:SS` (UTC) in the inbox's canonical form.
    static func firedAt(_ text: String) -> String? {
        InboxTime.canonical(text.replacingOccurrences(of: " ", with: "T") + "Z")
    }
}
