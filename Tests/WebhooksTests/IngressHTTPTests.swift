import Foundation
import MapDSL
import SyncEngine
import Testing

@testable import Webhooks

@Suite struct IngressHTTPTests {
    @Test func signedHubSpotPostIsStoredAndAcknowledged() async throws {
        let t = try TestServer()
        defer { t.stop() }
        let url = t.url("/webhooks/hubspot")
        let body = Fixtures.hubspotPropertyChange(eventId: 1, objectId: 501, property: "email", value: "ada@example.com")
        let reply = try await Client.send(
            "POST", url, headers: Fixtures.hubspotV3(url: url.absoluteString, body: body, timestamp: Fixtures.nowMs()), body: body)
        #expect(reply.status == 200)
        let stored = try t.inbox.entries()
        #expect(stored.count == 1)
        #expect(stored.first?.status == .pending)
        #expect(stored.first?.event.recordId == "501")
        // The retry of the same delivery is acknowledged again but stored once.
        let retry = try await Client.send(
            "POST", url, headers: Fixtures.hubspotV3(url: url.absoluteString, body: body, timestamp: Fixtures.nowMs()), body: body)
        #expect(retry.status == 200)
        #expect(try t.inbox.entries().count == 1)
        #expect(try t.inbox.entries().first?.deliveries == 2)
        #expect(t.ingress.snapshot.duplicates == 1)
    }

    @Test func wrongOrExpiredSignaturesGet401AndNothingIsStored() async throws {
        let t = try TestServer()
        defer { t.stop() }
        let url = t.url("/webhooks/hubspot")
        let body = Fixtures.hubspotDocsBody
        let wrong = Fixtures.hubspotV3(url: url.absoluteString, body: body, timestamp: Fixtures.nowMs(), secret: "not-the-secret")
        let expired = Fixtures.hubspotV3(url: url.absoluteString, body: body, timestamp: Fixtures.nowMs() - 6 * 60 * 1000)
        for headers in [wrong, expired, ["Content-Type": "application/json"]] {
            let reply = try await Client.send("POST", url, headers: headers, body: body)
            #expect(reply.status == 401)
            #expect(!reply.text.isEmpty)
        }
        #expect(try t.inbox.entries().isEmpty)
        let quarantined = try t.inbox.quarantined()
        #expect(quarantined.count == 3)
        #expect(quarantined.allSatisfy { !$0.authenticated && $0.httpStatus == 401 })
        #expect(quarantined.contains { $0.reason.contains("seconds from now") })
        // Nothing about the secret leaks into replies, logs or the quarantine.
        let everything = t.logs.all.joined() + quarantined.map(\.reason).joined()
        #expect(!everything.contains(Fixtures.hubspotSecret))
    }

    @Test func salesforceGetsTheSOAPAcknowledgement() async throws {
        let t = try TestServer()
        defer { t.stop() }
        let reply = try await Client.send(
            "POST", t.url("/webhooks/salesforce"), headers: ["Content-Type": "text/xml; charset=utf-8", "SOAPAction": "\"\""],
            body: Fixtures.salesforceLead)
        #expect(reply.status == 200)
        #expect(reply.contentType?.hasPrefix("text/xml") == true)
        #expect(reply.text.contains("<Ack>true</Ack>"))
        #expect(try t.inbox.entries().count == 2)
    }

    @Test func mailchimpValidationGETAndFormPost() async throws {
        let t = try TestServer()
        defer { t.stop() }
        let url = t.url("/webhooks/mailchimp?key=\(Fixtures.mailchimpSecret)")
        #expect(try await Client.send("GET", url).status == 200)
        #expect(try await Client.send("GET", t.url("/webhooks/mailchimp?key=guess")).status == 401)
        let reply = try await Client.send(
            "POST", url, headers: ["Content-Type": "application/x-www-form-urlencoded"], body: Fixtures.mailchimpSubscribe)
        #expect(reply.status == 200)
        #expect(try t.inbox.entries().first?.event.value(of: "merge_fields.FNAME") == "Mailchimp")
        // The URL key is never stored: not in events, not in the quarantine.
        _ = try await Client.send("POST", t.url("/webhooks/mailchimp?key=\(Fixtures.mailchimpSecret)"), body: "type=subscribe")
        // Quarantined: the GET with the wrong key, and this POST without fired_at.
        #expect(try t.inbox.quarantined().map(\.httpStatus).sorted() == [400, 401])
        #expect(try !t.inbox.quarantined().contains { String(decoding: $0.body, as: UTF8.self).contains(Fixtures.mailchimpSecret) })
    }

    @Test func mandrillSignedOverTheCalledURL() async throws {
        let t = try TestServer()
        defer { t.stop() }
        let url = t.url("/webhooks/mandrill")
        let (body, signature) = Fixtures.mandrill(url: url.absoluteString)
        let headers = ["Content-Type": "application/x-www-form-urlencoded", "X-Mandrill-Signature": signature]
        #expect(try await Client.send("HEAD", url).status == 200)
        #expect(try await Client.send("POST", url, headers: headers, body: body).status == 200)
        #expect(try t.inbox.entries().first?.event.kind == "send")
        let forged = Fixtures.mandrill(url: url.absoluteString, key: "wrong-key")
        #expect(try await Client.send("POST", url, headers: ["X-Mandrill-Signature": forged.signature], body: body).status == 401)
        #expect(try t.inbox.entries().count == 1)
    }

    @Test func segmentSignedMessages() async throws {
        let t = try TestServer()
        defer { t.stop() }
        let body = Fixtures.segmentIdentify()
        let ok = try await Client.send(
            "POST", t.url("/webhooks/segment"),
            headers: ["X-Signature": Fixtures.segmentSignature(body), "Content-Type": "application/json"],
            body: body)
        #expect(ok.status == 200)
        let bad = try await Client.send("POST", t.url("/webhooks/segment"), headers: ["X-Signature": "00"], body: body)
        #expect(bad.status == 401)
        #expect(try t.inbox.entries().count == 1)
    }

    @Test func malformedBodiesGet400WithAReasonAndAreQuarantined() async throws {
        let t = try TestServer()
        defer { t.stop() }
        let url = t.url("/webhooks/hubspot")
        let cases = ["{not json", #"{"eventId":1}"#, #"[{"eventId":1,"subscriptionType":"contact.creation"}]"#]
        for body in cases {
            let reply = try await Client.send(
                "POST", url, headers: Fixtures.hubspotV3(url: url.absoluteString, body: body, timestamp: Fixtures.nowMs()), body: body)
            #expect(reply.status == 400)
        }
        let segment = #"{"type":"identify"}"#
        let reply = try await Client.send(
            "POST", t.url("/webhooks/segment"), headers: ["X-Signature": Fixtures.segmentSignature(segment)], body: segment)
        #expect(reply.status == 400)
        #expect(reply.text.contains("userId"))
        #expect(try t.inbox.entries().isEmpty)
        let quarantined = try t.inbox.quarantined()
        #expect(quarantined.count == 4)
        #expect(quarantined.allSatisfy { $0.authenticated && $0.httpStatus == 400 && !$0.reason.isEmpty })
        #expect(quarantined.contains { $0.reason.contains("not valid JSON") })
        #expect(quarantined.contains { $0.reason.contains("missing objectId") })
    }

    @Test func oversizedBodiesGet413AndAreNotStored() async throws {
        let t = try TestServer(maxBodyBytes: 64 * 1024)
        defer { t.stop() }
        let url = t.url("/webhooks/hubspot")
        let big = "[" + Array(repeating: Fixtures.hubspotDocsBody.dropFirst().dropLast(), count: 400).joined(separator: ",") + "]"
        #expect(big.utf8.count > 64 * 1024)
        let reply = try await Client.send(
            "POST", url, headers: Fixtures.hubspotV3(url: url.absoluteString, body: big, timestamp: Fixtures.nowMs()), body: big)
        #expect(reply.status == 413)
        #expect(try t.inbox.entries().isEmpty)
    }

    @Test func unknownPathsAndMethods() async throws {
        let t = try TestServer()
        defer { t.stop() }
        let notFound = try await Client.send("POST", t.url("/webhooks/ga4"), body: "{}")
        #expect(notFound.status == 404)
        #expect(notFound.text.contains("/webhooks/hubspot"))
        #expect(try await Client.send("GET", t.url("/webhooks/hubspot")).status == 405)
        // Named sources are served too.
        let named = try TestServer(settings: WebhookSettings(receivers: [SegmentReceiver(source: "eu", secret: nil)]))
        defer { named.stop() }
        #expect(try await Client.send("POST", named.url("/webhooks/segment/eu"), body: Fixtures.segmentIdentify()).status == 200)
        #expect(try named.inbox.entries().first?.event.source == "eu")
    }
}
