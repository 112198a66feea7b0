import Foundation
import HTTPServer
import MapDSL
import SyncEngine
import Testing

@testable import Webhooks

/// URL-signing schemes verify over the URL exactly as the platform called it (issue 15, item 10): a
/// query string such as `?tags=a,b` was rebuilt and re-encoded (`tags=a%2Cb`) and every such
/// delivery was refused.
@Suite struct URLSignatureTests {
    let now = Date(timeIntervalSince1970: 1_764_000_000)

    /// What HubSpot does when it sends a v3-signed request: it signs the URL as configured in the
    /// app (the escapes its rules list appear decoded there) and may percent-encode those
    /// characters on the wire.
    static func hubspotSends(signedURL: String, wireURL: String, body: String, timestamp: Int64) -> WebhookDelivery {
        let headers = Fixtures.hubspotV3(url: signedURL, body: body, timestamp: timestamp).map { ($0.key, $0.value) }
        return WebhookDelivery(method: "POST", url: wireURL, headers: headers, body: Data(body.utf8))
    }

    private func accepted(_ verdict: WebhookVerdict) -> Bool {
        if case .accepted = verdict { return true }
        return false
    }

    @Test func hubspotV3DecodesExactlyTheDocumentedEscapesOfTheURLAsReceived() {
        let receiver = HubSpotReceiver(secret: WebhookSecret(Fixtures.hubspotSecret))
        let stamp = Int64(now.timeIntervalSince1970 * 1000)
        let body = Fixtures.hubspotDocsBody
        let signed = "https://hooks.example.com/webhooks/hubspot?tags=a,b&who=ops@example.com&p=(1);x:y!$'*"
        // Sent with the characters as they are, or with any of them percent-encoded (either hex case).
        for wire in [
            signed,
            "https://hooks.example.com/webhooks/hubspot?tags=a%2Cb&who=ops%40example.com&p=%281%29%3Bx%3Ay%21%24%27%2A",
            "https://hooks.example.com/webhooks/hubspot?tags=a%2cb&who=ops%40example.com&p=(1);x%3ay!$'*",
            "https%3A%2F%2Fhooks.example.com/webhooks/hubspot?tags=a,b&who=ops@example.com&p=(1);x:y!$'*",
        ] {
            let delivery = Self.hubspotSends(signedURL: signed, wireURL: wire, body: body, timestamp: stamp)
            #expect(accepted(receiver.receive(delivery, now: now)), "wire URL \(wire)")
        }
        // Escapes outside the list stay as received: %20 and %2B are signed as %20 and %2B.
        let spaced = "https://hooks.example.com/webhooks/hubspot?q=a%20b%2Bc"
        #expect(accepted(receiver.receive(Self.hubspotSends(signedURL: spaced, wireURL: spaced, body: body, timestamp: stamp), now: now)))
        let decodedTooFar = Self.hubspotSends(
            signedURL: "https://hooks.example.com/webhooks/hubspot?q=a b+c", wireURL: spaced, body: body, timestamp: stamp)
        #expect(!accepted(receiver.receive(decodedTooFar, now: now)))
        // Query order and values are signed: reordered or changed parameters are refused.
        for tampered in [
            "https://hooks.example.com/webhooks/hubspot?who=ops@example.com&tags=a,b&p=(1);x:y!$'*",
            "https://hooks.example.com/webhooks/hubspot?tags=a,c&who=ops@example.com&p=(1);x:y!$'*",
        ] {
            let delivery = Self.hubspotSends(signedURL: signed, wireURL: tampered, body: body, timestamp: stamp)
            #expect(!accepted(receiver.receive(delivery, now: now)), "tampered \(tampered)")
        }
        // One pass: an escaped percent sign followed by hex stays escaped.
        #expect(HubSpotReceiver.v3URI("/x?a=%252C&b=%2C%") == "/x?a=%252C&b=,%")
    }

    /// v2 has no decoding rule: "the URI … must exactly match the original request".
    @Test func hubspotV2SignsTheURLExactlyAsReceived() {
        let receiver = HubSpotReceiver(secret: WebhookSecret(Fixtures.hubspotSecret))
        let url = "https://hooks.example.com/webhooks/hubspot?tags=a%2Cb"
        let body = Fixtures.hubspotDocsBody
        let signature = Digest.hex(Digest.sha256(Array((Fixtures.hubspotSecret + "POST" + url + body).utf8)))
        let headers = [("X-HubSpot-Signature", signature), ("X-HubSpot-Signature-Version", "v2")]
        #expect(accepted(receiver.receive(WebhookDelivery(method: "POST", url: url, headers: headers, body: Data(body.utf8)), now: now)))
        let decoded = WebhookDelivery(
            method: "POST", url: "https://hooks.example.com/webhooks/hubspot?tags=a,b", headers: headers, body: Data(body.utf8))
        #expect(!accepted(receiver.receive(decoded, now: now)))
    }

    /// Over loopback: the server hands the target through undecoded, so the deliveries verify.
    @Test func serveVerifiesHubSpotV3OverAQueryStringAsCalled() async throws {
        let t = try TestServer()
        defer { t.stop() }
        let base = t.server.baseURL.absoluteString
        // `+`, `~` and a bare key are kept as sent (a rebuilt query would read `%20`, `%7E`, …).
        let configured = base + "/webhooks/hubspot?tags=a,b&q=x+y&v=~1&flag"
        var eventId = 0
        for wire in [configured, base + "/webhooks/hubspot?tags=a%2Cb&q=x+y&v=~1&flag"] {
            eventId += 1
            let body = Fixtures.hubspotPropertyChange(eventId: eventId, objectId: 501, property: "email", value: "ada@example.com")
            let reply = try await Client.send(
                "POST", URL(string: wire)!,
                headers: Fixtures.hubspotV3(url: configured, body: body, timestamp: Fixtures.nowMs()), body: body)
            #expect(reply.status == 200, "\(wire): \(reply.text)")
        }
        #expect(try t.inbox.entries().count == 2)
    }

    /// Mandrill signs "the webhook URL exactly as registered", query string included.
    @Test func serveVerifiesMandrillOverAQueryStringAsCalled() async throws {
        let t = try TestServer()
        defer { t.stop() }
        let registered = t.server.baseURL.absoluteString + "/webhooks/mandrill?tags=a,b&z=1&a=%7Ex"
        let (body, signature) = Fixtures.mandrill(url: registered)
        let reply = try await Client.send(
            "POST", URL(string: registered)!,
            headers: ["X-Mandrill-Signature": signature, "Content-Type": "application/x-www-form-urlencoded"], body: body)
        #expect(reply.status == 200, "\(reply.text)")
        // Signed over another spelling of the same query: refused.
        let (_, respelled) = Fixtures.mandrill(url: t.server.baseURL.absoluteString + "/webhooks/mandrill?tags=a%2Cb&z=1&a=~x")
        let refused = try await Client.send(
            "POST", URL(string: registered)!,
            headers: ["X-Mandrill-Signature": respelled, "Content-Type": "application/x-www-form-urlencoded"], body: body)
        #expect(refused.status == 401)
        #expect(try t.inbox.entries().count == 1)
    }

    @Test func theIngressURLIsTheBaseAndTheTargetAsReceived() throws {
        let t = try TestServer()
        defer { t.stop() }
        let request = Request(
            method: "POST", path: "/webhooks/hubspot", queryItems: [("tags", "a,b")], headerFields: [("Host", "hooks.example.com")],
            target: "/webhooks/hubspot?tags=a,b")
        #expect(t.ingress.url(of: request) == "http://hooks.example.com/webhooks/hubspot?tags=a,b")
        let absolute = Request(
            method: "POST", path: "/webhooks/hubspot", headerFields: [("Host", "hooks.example.com")],
            target: "http://hooks.example.com/webhooks/hubspot?x=%2C")
        #expect(t.ingress.url(of: absolute) == "http://hooks.example.com/webhooks/hubspot?x=%2C")
    }
}
