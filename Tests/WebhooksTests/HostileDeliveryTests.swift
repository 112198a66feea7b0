import Foundation
import MapDSL
import SyncEngine
import Testing

@testable import Webhooks

/// Deliveries a hostile sender makes (issue 14): each is refused with a clear status, never a trap.
@Suite struct HostileDeliveryTests {
    let now = Date(timeIntervalSince1970: 1_764_000_000)

    private func refusal(_ verdict: WebhookVerdict) -> (status: Int, reason: String)? {
        if case .refused(let status, let reason, _) = verdict { return (status, reason) }
        return nil
    }

    // MARK: timestamps

    /// `X-HubSpot-Request-Timestamp: -9223372036854775808` overflowed `now - ts` before the signature
    /// was checked and killed `mapc serve` with no authentication at all.
    @Test func hubspotTimestampAtTheEdgesOfInt64IsRefusedBeforeAnyArithmetic() {
        let receiver = HubSpotReceiver(secret: WebhookSecret(Fixtures.hubspotSecret))
        let body = Data(Fixtures.hubspotDocsBody.utf8)
        let stamps = [
            "-9223372036854775808", "9223372036854775807", "-9223372036854775807", "9223372036854775808", "-1", "0",
            "99999999999999999999999", "1e12", " 1764000000000", "", "0x10", "+",
        ]
        for stamp in stamps {
            let delivery = WebhookDelivery(
                method: "POST", url: "https://hooks.example.com/webhooks/hubspot",
                headers: [("X-HubSpot-Signature-v3", "x"), ("X-HubSpot-Request-Timestamp", stamp)], body: body)
            let refused = refusal(receiver.receive(delivery, now: now))
            #expect(refused?.status == 401, "timestamp \(stamp)")
            #expect(refused?.reason.contains("X-HubSpot-Request-Timestamp") == true, "timestamp \(stamp)")
        }
    }

    /// A correctly signed v3 delivery whose timestamp is absurd is refused too: the signature does
    /// not make the timestamp trustworthy arithmetic.
    @Test func hubspotSignedDeliveryWithAnAbsurdTimestampIsRefused() {
        let receiver = HubSpotReceiver(secret: WebhookSecret(Fixtures.hubspotSecret))
        let url = "https://hooks.example.com/webhooks/hubspot"
        for stamp in [Int64.min, Int64.max, Int64.min + 1] {
            let headers = Fixtures.hubspotV3(url: url, body: Fixtures.hubspotDocsBody, timestamp: stamp).map { ($0.key, $0.value) }
            let delivery = WebhookDelivery(method: "POST", url: url, headers: headers, body: Data(Fixtures.hubspotDocsBody.utf8))
            #expect(refusal(receiver.receive(delivery, now: now))?.status == 401, "timestamp \(stamp)")
        }
    }

    /// An event's `occurredAt` becomes the inbox's sort key: one outside 1970 … 9999 is a 400.
    @Test func hubspotEventOccurredAtOutOfRangeIsA400() {
        let receiver = HubSpotReceiver(secret: WebhookSecret(Fixtures.hubspotSecret))
        for occurred in ["-9223372036854775808", "9223372036854775807", "-1", "253402300800000"] {
            let body = Fixtures.hubspotDocsBody.replacingOccurrences(of: "1564113600000", with: occurred)
            let refused = refusal(receiver.parse(WebhookDelivery(method: "POST", url: "", body: Data(body.utf8)), now: now))
            #expect(refused?.status == 400, "occurredAt \(occurred)")
            #expect(refused?.reason.contains("occurredAt") == true)
        }
    }

    /// A signed Mandrill delivery with `ts` = Int64.max overflowed `ts * 1000`.
    @Test func mandrillSignedDeliveryWithTsAtInt64MaxIsA400() {
        let url = "https://hooks.example.com/webhooks/mandrill"
        let receiver = MandrillReceiver(key: WebhookSecret(Fixtures.mandrillKey), registeredURL: url)
        for ts in ["9223372036854775807", "-9223372036854775808", "253402300800", "-1", "\"soon\"", "1e300"] {
            let events = Fixtures.mandrillEvents.replacingOccurrences(of: "\"ts\":1384954004", with: "\"ts\":\(ts)")
            let (body, signature) = Fixtures.mandrill(url: url, events: events)
            let delivery = WebhookDelivery(method: "POST", url: url, headers: [("X-Mandrill-Signature", signature)], body: Data(body.utf8))
            let refused = refusal(receiver.receive(delivery, now: now))
            #expect(refused?.status == 400, "ts \(ts)")
            #expect(refused?.reason.contains("mandrill_events[0]") == true, "ts \(ts): \(refused?.reason ?? "accepted")")
        }
        // The largest accepted second still works.
        let events = Fixtures.mandrillEvents.replacingOccurrences(of: "\"ts\":1384954004", with: "\"ts\":253402300799")
        let (body, signature) = Fixtures.mandrill(url: url, events: events)
        let delivery = WebhookDelivery(method: "POST", url: url, headers: [("X-Mandrill-Signature", signature)], body: Data(body.utf8))
        guard case .accepted(let got, _) = receiver.receive(delivery, now: now) else {
            Issue.record("the year-9999 ts was refused")
            return
        }
        #expect(got.first?.occurredAt == "9999-12-31T23:59:59.000Z")
    }

    /// Over HTTP: the unauthenticated request that killed `mapc serve` gets 401 and the server goes on.
    @Test func serveSurvivesTheInt64MinHubSpotTimestamp() async throws {
        let t = try TestServer()
        defer { t.stop() }
        let url = t.url("/webhooks/hubspot")
        let hostile = try await Client.send(
            "POST", url,
            headers: [
                "X-HubSpot-Signature-v3": "x", "X-HubSpot-Request-Timestamp": "-9223372036854775808", "Content-Type": "application/json",
            ], body: Fixtures.hubspotDocsBody)
        #expect(hostile.status == 401)
        let body = Fixtures.hubspotPropertyChange(eventId: 1, objectId: 501, property: "email", value: "ada@example.com")
        let good = try await Client.send(
            "POST", url, headers: Fixtures.hubspotV3(url: url.absoluteString, body: body, timestamp: Fixtures.nowMs()), body: body)
        #expect(good.status == 200)
        #expect(try t.inbox.entries().count == 1)
    }

    // MARK: form bodies

    private func mailchimp(_ body: String) -> WebhookVerdict {
        let receiver = MailchimpReceiver(secret: WebhookSecret(Fixtures.mailchimpSecret))
        return receiver.receive(
            WebhookDelivery(
                method: "POST", url: "", query: [("key", Fixtures.mailchimpSecret)],
                headers: [("Content-Type", "application/x-www-form-urlencoded")], body: Data(body.utf8)), now: now)
    }

    /// `data[a][a]…[a]=1` with ~50,000 bracket levels overflowed the stack of the form decoder.
    @Test func mailchimpFormWithFiftyThousandBracketLevelsIsA400() {
        let deep = "data" + String(repeating: "[a]", count: 50_000) + "=1"
        let refused = refusal(mailchimp(Fixtures.mailchimpSubscribe + "&" + deep))
        #expect(refused?.status == 400)
        #expect(refused?.reason.contains("form field name") == true, "\(refused?.reason ?? "accepted")")
        // Percent-encoded brackets are the same name once decoded.
        let encoded = "data" + String(repeating: "%5Ba%5D", count: 50_000) + "=1"
        #expect(refusal(mailchimp(encoded))?.status == 400)
        // With the name-length limit lifted, the depth limit alone refuses it, before building anything.
        let limits = FormLimits(maxKeyBytes: 1 << 20)
        #expect(throws: FormError.tooDeep(limit: 16)) { try FormDecoder.nested(FormDecoder.decode(deep, limits: limits), limits: limits) }
    }

    @Test func formNestingDeeperThanTheLimitIsA400NamingTheLimit() {
        let seventeen = "data" + String(repeating: "[b]", count: 16) + "=1"
        let refused = refusal(mailchimp(Fixtures.mailchimpSubscribe + "&" + seventeen))
        #expect(refused?.status == 400)
        #expect(refused?.reason == "form field name nested more than 16 levels deep")
        // Sixteen levels is still a form Mailchimp-style keys fit in.
        let sixteen = "data" + String(repeating: "[b]", count: 15) + "=1"
        guard case .accepted = mailchimp(Fixtures.mailchimpSubscribe + "&" + sixteen) else {
            Issue.record("16 levels refused")
            return
        }
    }

    @Test func formWithMoreFieldsThanTheLimitIsA400() {
        let many = (0..<1001).map { "data[merges][F\($0)]=x" }.joined(separator: "&")
        let refused = refusal(mailchimp(Fixtures.mailchimpSubscribe + "&" + many))
        #expect(refused?.status == 400)
        #expect(refused?.reason == "form body has more than 1000 fields")
        let long = "data[" + String(repeating: "k", count: 300) + "]=1"
        #expect(refusal(mailchimp(Fixtures.mailchimpSubscribe + "&" + long))?.reason == "form field name longer than 256 bytes")
    }

    /// Mandrill bodies go through the same limits before the signature is computed.
    @Test func mandrillFormWithDeepOrManyFieldsIsRefusedBeforeSigning() {
        let url = "https://hooks.example.com/webhooks/mandrill"
        let receiver = MandrillReceiver(key: WebhookSecret(Fixtures.mandrillKey), registeredURL: url)
        let many = String(repeating: "a=1&", count: 5000)
        let delivery = WebhookDelivery(method: "POST", url: url, headers: [("X-Mandrill-Signature", "x")], body: Data(many.utf8))
        #expect(refusal(receiver.receive(delivery, now: now))?.status == 400)
    }

    // MARK: Salesforce XML

    /// Found by `mapc-fuzz --target webhook-salesforce`: an element name that is not UTF-8 made
    /// Foundation's XML parser trap, and Salesforce deliveries carry no signature, so anyone could
    /// stop `mapc serve` with one request.
    @Test func salesforceElementNameThatIsNotUTF8IsA400NotATrap() async throws {
        var bytes = Array(Fixtures.salesforceLead.utf8)
        let name = Array("<ActionId>".utf8)
        let at = try #require((0...(bytes.count - name.count)).first { Array(bytes[$0..<($0 + name.count)]) == name })
        bytes[at + 4] = 0xDA  // <ActÚonId>, the byte alone: not UTF-8
        let receiver = SalesforceReceiver(organizationIds: [Fixtures.salesforceOrg])
        let refused = refusal(receiver.receive(WebhookDelivery(method: "POST", url: "", body: Data(bytes)), now: now))
        #expect(refused?.status == 400)
        #expect(refused?.reason == "body is not UTF-8 text")

        let t = try TestServer()
        defer { t.stop() }
        let reply = try await Client.send("POST", t.url("/webhooks/salesforce"), headers: ["Content-Type": "text/xml"], data: Data(bytes))
        #expect(reply.status == 400)
        let good = try await Client.send(
            "POST", t.url("/webhooks/salesforce"), headers: ["Content-Type": "text/xml"], body: Fixtures.salesforceLead)
        #expect(good.status == 200)
    }

    @Test func salesforceDocumentTypeDeclarationsAndOtherEncodingsAreRefused() {
        let receiver = SalesforceReceiver(organizationIds: [Fixtures.salesforceOrg])
        let laughs =
            #"<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;">]>"#
            + Fixtures.salesforceLead.replacingOccurrences(of: #"<?xml version="1.0" encoding="UTF-8"?>"#, with: "")
            .replacingOccurrences(of: "ada@example.com", with: "&lol2;")
        #expect(
            refusal(receiver.receive(WebhookDelivery(method: "POST", url: "", body: Data(laughs.utf8)), now: now))?.reason
                == "a SOAP message may not contain a document type declaration")
        let latin = Fixtures.salesforceLead.replacingOccurrences(of: "encoding=\"UTF-8\"", with: "encoding='ISO-8859-1'")
        #expect(
            refusal(receiver.receive(WebhookDelivery(method: "POST", url: "", body: Data(latin.utf8)), now: now))?.reason
                == "the XML declaration names an encoding other than UTF-8")
        let lower = Fixtures.salesforceLead.replacingOccurrences(of: "encoding=\"UTF-8\"", with: "encoding = 'utf-8'")
        guard case .accepted = receiver.receive(WebhookDelivery(method: "POST", url: "", body: Data(lower.utf8)), now: now) else {
            Issue.record("a utf-8 declaration was refused")
            return
        }
    }

    /// Found by `mapc-fuzz --target webhook-salesforce` (seed 101): `<s<s<s…` 32,000 times inside
    /// an sObject took 7 s of CPU per parse (every element copied the whole element stack).
    /// Depth, Notifications and fields are bounded before any work that grows with them.
    @Test func salesforceDeepNestingAndTooManyNotificationsAreRefusedByLimit() throws {
        let receiver = SalesforceReceiver(organizationIds: [Fixtures.salesforceOrg])
        func reason(_ body: String) -> String? {
            refusal(receiver.receive(WebhookDelivery(method: "POST", url: "", body: Data(body.utf8)), now: now))?.reason
        }
        let field = "<sf:Id>00Q000000000001EAA</sf:Id>"
        let fuzzed = Fixtures.salesforceLead.replacingOccurrences(of: field, with: String(repeating: "<s", count: 32_000) + field)
        #expect(reason(fuzzed) == "the XML is nested more than 32 levels deep")
        let deep = Fixtures.salesforceLead.replacingOccurrences(
            of: field, with: String(repeating: "<a>", count: 10_000) + String(repeating: "</a>", count: 10_000) + field)
        #expect(reason(deep) == "the XML is nested more than 32 levels deep")
        let one = try #require(Fixtures.salesforceLead.range(of: "<Notification>"))
        let end = try #require(Fixtures.salesforceLead.range(of: "</Notification>"))
        let notification = String(Fixtures.salesforceLead[one.lowerBound..<end.upperBound])
        let many = Fixtures.salesforceLead.replacingOccurrences(of: notification, with: String(repeating: notification, count: 101))
        #expect(reason(many) == "more than 100 Notifications in one message")
        let fields = (0..<2001).map { "<sf:F\($0)>x</sf:F\($0)>" }.joined()
        #expect(
            reason(Fixtures.salesforceLead.replacingOccurrences(of: field, with: field + fields))
                == "a Notification has more than 2000 fields")
    }
}
