import Foundation
import MapDSL
import SyncEngine
import Testing

@testable import Webhooks

@Suite struct ReceiverFormatTests {
    let now = Date(timeIntervalSince1970: 1_764_000_000)

    private func events(_ verdict: WebhookVerdict) -> [ChangeEvent] {
        if case .accepted(let events, _) = verdict { return events }
        Issue.record("expected accepted, got \(verdict)")
        return []
    }

    private func refusal(_ verdict: WebhookVerdict) -> (Int, String)? {
        if case .refused(let status, let reason, _) = verdict { return (status, reason) }
        return nil
    }

    @Test func hubspotV1MatchesTheDocumentedTestVector() {
        let receiver = HubSpotReceiver(secret: WebhookSecret(Fixtures.hubspotSecret))
        let delivery = WebhookDelivery(
            method: "POST", url: "https://www.example.com/webhook_uri",
            headers: [
                ("X-HubSpot-Signature", "232db2615f3d666fe21a8ec971ac7b5402d33b9a925784df3ca654d05f4817de"),
                ("X-HubSpot-Signature-Version", "v1"),
            ], body: Data(Fixtures.hubspotDocsBody.utf8))
        let got = events(receiver.receive(delivery, now: now))
        #expect(got.count == 1)
        #expect(got.first?.object == "contact")
        #expect(got.first?.recordId == "123")
        #expect(got.first?.kind == "contact.creation")
        #expect(got.first?.occurredAt == "2019-07-26T04:00:00.000Z")
        #expect(got.first?.eventId == "62515:12345:1:1564113600000")
        #expect(got.first?.changeSource == "CRM")
        // v3-only receivers refuse it.
        let strict = HubSpotReceiver(secret: WebhookSecret(Fixtures.hubspotSecret), requireV3: true)
        #expect(refusal(strict.receive(delivery, now: now))?.0 == 401)
    }

    @Test func hubspotV3VerifiesMethodURLBodyAndTimestamp() {
        let receiver = HubSpotReceiver(secret: WebhookSecret(Fixtures.hubspotSecret))
        let url = "https://hooks.example.com/webhooks/hubspot"
        let body = Fixtures.hubspotPropertyChange(eventId: 7, objectId: 501, property: "email", value: "ada@example.com")
        let stamp = Int64(now.timeIntervalSince1970 * 1000) - 1000
        let headers = Fixtures.hubspotV3(url: url, body: body, timestamp: stamp).map { ($0.key, $0.value) }
        let ok = WebhookDelivery(method: "POST", url: url, headers: headers, body: Data(body.utf8))
        let got = events(receiver.receive(ok, now: now))
        #expect(got.first?.changes == [FieldChange(field: "email", value: "ada@example.com")])
        #expect(got.first?.snapshot == false)

        // Another URL, another body, another secret: all refused with 401.
        var wrongURL = ok
        wrongURL.url = "https://evil.example.com/webhooks/hubspot"
        #expect(refusal(receiver.receive(wrongURL, now: now))?.0 == 401)
        var tampered = ok
        tampered.body = Data(body.replacingOccurrences(of: "ada@", with: "eve@").utf8)
        #expect(refusal(receiver.receive(tampered, now: now))?.0 == 401)
        let other = HubSpotReceiver(secret: WebhookSecret("another-secret"))
        #expect(refusal(other.receive(ok, now: now))?.0 == 401)
    }

    @Test func hubspotV3RefusesTimestampsOutsideFiveMinutes() {
        let receiver = HubSpotReceiver(secret: WebhookSecret(Fixtures.hubspotSecret))
        let url = "https://hooks.example.com/webhooks/hubspot"
        let body = Fixtures.hubspotDocsBody
        let nowMs = Int64(now.timeIntervalSince1970 * 1000)
        for (offset, accepted) in [(-299_000, true), (-301_000, false), (301_000, false), (0, true)] as [(Int64, Bool)] {
            let headers = Fixtures.hubspotV3(url: url, body: body, timestamp: nowMs + offset).map { ($0.key, $0.value) }
            let verdict = receiver.receive(WebhookDelivery(method: "POST", url: url, headers: headers, body: Data(body.utf8)), now: now)
            if accepted {
                #expect(refusal(verdict) == nil, "offset \(offset)")
            } else {
                #expect(refusal(verdict)?.0 == 401, "offset \(offset)")
                #expect(refusal(verdict)?.1.contains("seconds from now") == true)
            }
        }
    }

    @Test func hubspotGenericObjectEventsMapTypeIds() {
        let receiver = HubSpotReceiver(secret: WebhookSecret(Fixtures.hubspotSecret))
        let body =
            #"[{"eventId":9,"subscriptionId":3,"portalId":1,"occurredAt":1764000000000,"subscriptionType":"object.propertyChange","objectTypeId":"0-2","objectId":77,"propertyName":"domain","propertyValue":"example.com"}]"#
        let got = events(receiver.parse(WebhookDelivery(method: "POST", url: "", body: Data(body.utf8)), now: now))
        #expect(got.first?.object == "company")
        #expect(got.first?.recordId == "77")
    }

    @Test func salesforceOutboundMessageBecomesOneEventPerNotification() {
        let receiver = SalesforceReceiver(organizationIds: ["00D000000000062"])
        let verdict = receiver.receive(
            WebhookDelivery(
                method: "POST", url: "", headers: [("Content-Type", "text/xml; charset=utf-8")], body: Data(Fixtures.salesforceLead.utf8)),
            now: now)
        guard case .accepted(let got, let reply) = verdict else {
            Issue.record("not accepted: \(verdict)")
            return
        }
        #expect(got.count == 2)
        #expect(got[0].object == "Lead")
        #expect(got[0].recordId == "00Q000000000001EAA")
        #expect(got[0].eventId == "04l000000000BPFAA2")
        #expect(got[0].kind == "outbound_message")
        #expect(got[0].snapshot)
        #expect(got[0].occurredAt == "2026-01-15T10:00:00.000Z")
        #expect(got[0].value(of: "Email") == "ada@example.com")
        #expect(got[0].value(of: "Company") == .null)
        #expect(got[1].value(of: "LastName") == "Hopper")
        #expect(reply.contentType.hasPrefix("text/xml"))
        #expect(reply.body.contains("<Ack>true</Ack>"))
        #expect(reply.body.contains("notificationsResponse xmlns=\"http://soap.sforce.com/2005/09/outbound\""))
    }

    @Test func salesforceRefusesOtherOrganisationsAndBrokenXML() {
        let receiver = SalesforceReceiver(organizationIds: ["00D00000000XXXXEAA"])
        #expect(
            refusal(receiver.receive(WebhookDelivery(method: "POST", url: "", body: Data(Fixtures.salesforceLead.utf8)), now: now))?.0
                == 401)
        let good = SalesforceReceiver(organizationIds: [Fixtures.salesforceOrg])
        let cut = String(Fixtures.salesforceLead.prefix(600))
        #expect(refusal(good.receive(WebhookDelivery(method: "POST", url: "", body: Data(cut.utf8)), now: now))?.0 == 400)
        let noId = Fixtures.salesforceLead.replacingOccurrences(of: "<sf:Id>00Q000000000001EAA</sf:Id>", with: "")
        #expect(
            refusal(good.receive(WebhookDelivery(method: "POST", url: "", body: Data(noId.utf8)), now: now))?.1.contains("no Id") == true)
    }

    @Test func mailchimpDecodesBracketedKeysIntoMemberFields() {
        let receiver = MailchimpReceiver(secret: WebhookSecret(Fixtures.mailchimpSecret))
        let delivery = WebhookDelivery(
            method: "POST", url: "", query: [("key", Fixtures.mailchimpSecret)],
            headers: [("Content-Type", "application/x-www-form-urlencoded")], body: Data(Fixtures.mailchimpSubscribe.utf8))
        let got = events(receiver.receive(delivery, now: now))
        #expect(got.count == 1)
        let e = got[0]
        #expect(e.object == "member")
        #expect(e.kind == "subscribe")
        #expect(e.recordId == Digest.hex(Digest.md5(Array("api@mailchimp.com".utf8))))
        #expect(e.occurredAt == "2009-03-26T21:35:57.000Z")
        #expect(e.value(of: "email_address") == "api@mailchimp.com")
        #expect(e.value(of: "status") == "subscribed")
        #expect(e.value(of: "merge_fields.FNAME") == "Mailchimp")
        #expect(e.value(of: "merge_fields.INTERESTS") == "Group1,Group2")
        #expect(e.raw["data"]?["merges"]?["LNAME"] == "API")
    }

    @Test func mailchimpNeedsTheURLKeyEvenForTheValidationGET() {
        let receiver = MailchimpReceiver(secret: WebhookSecret(Fixtures.mailchimpSecret))
        guard
            case .answer(let reply) = receiver.receive(
                WebhookDelivery(method: "GET", url: "", query: [("key", Fixtures.mailchimpSecret)]), now: now)
        else {
            Issue.record("GET with the key must be answered")
            return
        }
        #expect(reply.status == 200)
        #expect(refusal(receiver.receive(WebhookDelivery(method: "GET", url: "", query: [("key", "nope")]), now: now))?.0 == 401)
        #expect(
            refusal(receiver.receive(WebhookDelivery(method: "POST", url: "", body: Data(Fixtures.mailchimpSubscribe.utf8)), now: now))?.0
                == 401)
    }

    @Test func formDecoderHandlesEscapesAndRejectsBrokenOnes() {
        let pairs = FormDecoder.pairs("a%5Bb%5D%5Bc%5D=x+y%21&empty=&bare")
        #expect(pairs?.map(\.key) == ["a[b][c]", "empty", "bare"])
        #expect(pairs?.first?.value == "x y!")
        #expect(FormDecoder.path("data[merges][EMAIL]") == ["data", "merges", "EMAIL"])
        #expect(FormDecoder.pairs("a=%ZZ") == nil)
        #expect(FormDecoder.pairs("a=%E2%82") == nil)
    }

    @Test func mandrillSignatureIsHMACSHA1OverURLAndSortedFields() {
        let url = "https://hooks.example.com/webhooks/mandrill"
        let receiver = MandrillReceiver(key: WebhookSecret(Fixtures.mandrillKey), registeredURL: url)
        let (body, signature) = Fixtures.mandrill(url: url)
        let delivery = WebhookDelivery(
            method: "POST", url: "http://127.0.0.1:1/ignored", headers: [("X-Mandrill-Signature", signature)], body: Data(body.utf8))
        let got = events(receiver.receive(delivery, now: now))
        #expect(got.count == 1)
        #expect(got.first?.object == "message")
        #expect(got.first?.kind == "send")
        #expect(got.first?.recordId == "exampleaaaaaaaaaaaaaaaaaaaaaaaaa")
        #expect(got.first?.eventId == "exampleaaaaaaaaaaaaaaaaaaaaaaaaa:send:1384954004")
        #expect(got.first?.value(of: "email") == "example.webhook@mandrillapp.com")
        #expect(got.first?.occurredAt == "2013-11-20T13:26:44.000Z")
        // Several fields are sorted by name before signing.
        let fields = [(key: "z", value: "1"), (key: "a", value: "2")]
        let expected = Data(Digest.hmacSHA1(key: Array(Fixtures.mandrillKey.utf8), message: Array((url + "a2z1").utf8)))
            .base64EncodedString()
        #expect(MandrillReceiver.signature(url: url, fields: fields, key: WebhookSecret(Fixtures.mandrillKey)) == expected)
        // A different registered URL (trailing slash) breaks the signature.
        let slash = MandrillReceiver(key: WebhookSecret(Fixtures.mandrillKey), registeredURL: url + "/")
        #expect(refusal(slash.receive(delivery, now: now))?.0 == 401)
    }

    @Test func segmentVerifiesHexHMACSHA1AndNormalisesTraits() {
        let receiver = SegmentReceiver(secret: WebhookSecret(Fixtures.segmentSecret))
        let body = Fixtures.segmentIdentify()
        let ok = WebhookDelivery(
            method: "POST", url: "", headers: [("X-Signature", Fixtures.segmentSignature(body))], body: Data(body.utf8))
        let got = events(receiver.receive(ok, now: now))
        #expect(got.first?.object == "identify")
        #expect(got.first?.recordId == "97980cfea0067")
        #expect(got.first?.eventId == "022bb90c-bbac-11e4-8dfc-aa07a5b093db")
        #expect(got.first?.value(of: "traits.email") == "peter@example.com")
        #expect(got.first?.occurredAt == "2015-02-23T22:28:55.387Z")
        var bad = ok
        bad.headers = [("x-signature", Fixtures.segmentSignature(body, secret: "wrong"))]
        #expect(refusal(receiver.receive(bad, now: now))?.0 == 401)
        let unsigned = SegmentReceiver(secret: nil)
        #expect(events(unsigned.receive(WebhookDelivery(method: "POST", url: "", body: Data(body.utf8)), now: now)).count == 1)
        #expect(
            refusal(unsigned.receive(WebhookDelivery(method: "POST", url: "", body: Data("{\"type\":\"track\"}".utf8)), now: now))?.0 == 400
        )
    }

    @Test func settingsComeFromTheEnvironmentAndNeverShowSecrets() throws {
        let env = [
            "MAPC_WEBHOOK_HUBSPOT_SECRET": "planted-hubspot-secret", "MAPC_WEBHOOK_HUBSPOT_EU_SECRET": "planted-eu-secret",
            "MAPC_WEBHOOK_SALESFORCE_ORG_ID": Fixtures.salesforceOrg, "MAPC_WEBHOOK_SEGMENT_ALLOW_UNSIGNED": "1",
            "MAPC_WEBHOOK_PUBLIC_URL": "https://hooks.example.com/",
        ]
        let settings = try WebhookSettings.load(environment: env)
        #expect(
            settings.receivers.map { "\($0.platform)/\($0.source)" } == [
                "hubspot/default", "hubspot/eu", "salesforce/default", "segment/default",
            ])
        #expect(settings.publicURL == "https://hooks.example.com")
        #expect(!"\(settings.receivers)".contains("planted"))
        #expect(throws: WebhookSettingsError.self) { try WebhookSettings.load(environment: ["MAPC_WEBHOOK_SEGMENT_URL": "x"]) }
        do {
            _ = try WebhookSettings.load(environment: ["MAPC_WEBHOOK_SALESFORCE_ORG_ID": "planted-bad-id"])
            Issue.record("a malformed org id must be refused")
        } catch {
            #expect(!"\(error)".contains("planted"))
        }
    }
}
