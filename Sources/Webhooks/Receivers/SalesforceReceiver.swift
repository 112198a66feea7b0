import Foundation
import MapDSL
import SyncEngine

/// Salesforce Outbound Messages: a SOAP envelope of up to 100 notifications, answered with the
/// SOAP `notificationsResponse` carrying `<Ack>true</Ack>` (anything else makes Salesforce retry).
///
/// Outbound messages are not signed; the sending organisation's id is checked against the
/// configured ones (15- or 18-character ids compare on their first 15 characters). Use HTTPS and,
/// where possible, Salesforce's IP ranges in front of this endpoint.
public struct SalesforceReceiver: WebhookReceiver {
    public let platform = "salesforce"
    public let source: String
    public let methods = ["POST"]
    private let organizations: Set<String>

    /// Creates a receiver accepting messages from `organizationIds`.
    public init(source: String = "default", organizationIds: [String]) {
        self.source = source
        self.organizations = Set(organizationIds.map { String($0.prefix(15)) })
    }

    /// The reply Salesforce expects for a delivered message.
    public static let acknowledgement = """
        <?xml version="1.0" encoding="UTF-8"?>
        <soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/">
        <soapenv:Body>
        <notificationsResponse xmlns="http://soap.sforce.com/2005/09/outbound">
        <Ack>true</Ack>
        </notificationsResponse>
        </soapenv:Body>
        </soapenv:Envelope>
        """

    public func receive(_ delivery: WebhookDelivery, now: Date) -> WebhookVerdict {
        parse(delivery, now: now)
    }

    public func parse(_ delivery: WebhookDelivery, now: Date) -> WebhookVerdict {
        let message: OutboundMessage
        switch OutboundMessageParser.parse(delivery.body) {
        case .success(let m): message = m
        // The sender cannot be verified before the organisation id is read, so this is unauthenticated.
        case .failure(let f): return .refused(status: 400, reason: f.reason, authenticated: false)
        }
        guard organizations.contains(String(message.organizationId.prefix(15))) else {
            return ReceiverSupport.unauthorized("OrganizationId \(message.organizationId.prefix(18)) is not an accepted organisation")
        }
        var events: [ChangeEvent] = []
        for (i, n) in message.notifications.enumerated() {
            guard !n.objectType.isEmpty else { return ReceiverSupport.malformed("Notification \(i + 1) has no sObject xsi:type") }
            guard let id = n.fields.first(where: { $0.name == "Id" })?.value, !id.isEmpty else {
                return ReceiverSupport.malformed("Notification \(i + 1): the sObject has no Id field")
            }
            let stamp = n.fields.first { $0.name == "LastModifiedDate" || $0.name == "SystemModstamp" }?.value
            let occurred = stamp.flatMap(InboxTime.canonical) ?? InboxTime.string(now)
            let changes = n.fields.filter { $0.name != "Id" }.map {
                FieldChange(field: $0.name, value: $0.value.map(JSONValue.string) ?? .null)
            }
            let raw: JSONValue = .object([
                ("OrganizationId", .string(message.organizationId)), ("ActionId", .string(message.actionId)),
                ("NotificationId", .string(n.id)), ("type", .string(n.objectType)),
                ("fields", .object(n.fields.map { ($0.name, $0.value.map(JSONValue.string) ?? .null) })),
            ])
            events.append(
                ChangeEvent(
                    platform: platform, source: source, object: n.objectType, recordId: id, kind: "outbound_message",
                    changes: changes, snapshot: true, occurredAt: occurred, eventId: n.id, raw: raw))
        }
        return .accepted(events, reply: WebhookReply(status: 200, contentType: "text/xml; charset=utf-8", body: Self.acknowledgement))
    }
}
