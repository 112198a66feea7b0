import Foundation
import Sandbox
import Testing

/// Compressed request bodies: accepted where the platform accepts them, refused in its own error shape
/// elsewhere, and never inflated past the sandbox's bound.
@Suite(.timeLimit(.minutes(1))) struct ContentCodingTests {
    private func start(_ platform: SandboxPlatform, _ configure: (inout SandboxOptions) -> Void = { _ in })
        throws -> SandboxServer
    {
        var options = Fixtures.options()
        configure(&options)
        return try SandboxServer.start(platform: platform, options: options)
    }

    private let segmentAuth = ["Authorization": basic(SandboxPlatform.segment.defaultCredential, "")]

    private func batch(_ ids: [String]) -> Data {
        let messages = ids.map { "{\"type\":\"track\",\"userId\":\"u1\",\"event\":\"Signed Up\",\"messageId\":\"\($0)\"}" }
        return Data("{\"batch\":[\(messages.joined(separator: ","))]}".utf8)
    }

    private func gzipHeaders(_ base: [String: String], _ coding: String = "gzip") -> [String: String] {
        base.merging(["Content-Type": "application/json", "Content-Encoding": coding]) { $1 }
    }

    @Test func segmentStoresGzipBatchesAsTheOfficialLibrarySendsThem() async throws {
        let server = try start(.segment)
        defer { server.stop() }
        let client = Client(server)
        let body = Compression.deflate(batch(["g1", "g2", "g3"]))
        let reply = try await client.send("POST", "/v1/batch", headers: gzipHeaders(segmentAuth), body: body)
        #expect(reply.status == 200)
        #expect(server.recordCount(object: "track") == 3)
        let aliased = try await client.send(
            "POST", "/v1/batch", headers: gzipHeaders(segmentAuth, "x-gzip"), body: Compression.deflate(batch(["g4"])))
        #expect(aliased.status == 200)
        let twice = Compression.deflate(Compression.deflate(batch(["g5"])))
        let layered = try await client.send("POST", "/v1/batch", headers: gzipHeaders(segmentAuth, "gzip, gzip"), body: twice)
        #expect(layered.status == 200)
        #expect(server.recordCount(object: "track") == 5)
    }

    @Test func segmentReadsTheWriteKeyFromAGzipBody() async throws {
        let server = try start(.segment)
        defer { server.stop() }
        let body = Data("{\"writeKey\":\"\(SandboxPlatform.segment.defaultCredential)\",\"batch\":[]}".utf8)
        let reply = try await Client(server).send(
            "POST", "/v1/batch", headers: gzipHeaders([:]), body: Compression.deflate(body))
        #expect(reply.status == 200)
    }

    @Test func segmentMeasuresItsSizeLimitsOnTheInflatedBody() async throws {
        let server = try start(.segment)
        defer { server.stop() }
        // 600 KB of JSON compresses to a few KB, but Segment's 500 KB batch limit is about the messages.
        let ids = (0..<8_000).map { "message-\($0)-" + String(repeating: "x", count: 30) }
        let plain = batch(ids)
        #expect(plain.count > 512_000)
        let reply = try await Client(server).send(
            "POST", "/v1/batch", headers: gzipHeaders(segmentAuth), body: Compression.deflate(plain))
        #expect(reply.status == 400)
        #expect(reply.object["code"] as? String == "payload_too_large")
        #expect(server.recordCount(object: "track") == 0)
    }

    @Test func aGzipBombGets413WithoutInflatingPastTheBound() async throws {
        let server = try start(.segment) { $0.maxInflatedBodyBytes = 2 << 20 }
        defer { server.stop() }
        let client = Client(server)
        let bomb = Compression.gzippedZeros(count: 256 << 20)
        let reply = try await client.send("POST", "/v1/batch", headers: gzipHeaders(segmentAuth), body: bomb)
        #expect(reply.status == 413)
        #expect(reply.object["code"] as? String == "payload_too_large")
        let after = try await client.send(
            "POST", "/v1/batch", headers: gzipHeaders(segmentAuth), body: Compression.deflate(batch(["ok"])))
        #expect(after.status == 200)
    }

    @Test func corruptAndUnsupportedCodingsAreRefusedInSegmentsShape() async throws {
        let server = try start(.segment)
        defer { server.stop() }
        let client = Client(server)
        let corrupt = try await client.send(
            "POST", "/v1/batch", headers: gzipHeaders(segmentAuth), body: Data("\u{1f}\u{8b}garbage".utf8))
        #expect(corrupt.status == 400)
        #expect(corrupt.object["code"] as? String == "invalid_request")
        let brotli = try await client.send("POST", "/v1/batch", headers: gzipHeaders(segmentAuth, "br"), body: batch(["b"]))
        #expect(brotli.status == 415)
        #expect(brotli.object["code"] as? String == "unsupported_encoding")
        let deflate = try await client.send(
            "POST", "/v1/batch", headers: gzipHeaders(segmentAuth, "deflate"),
            body: Compression.deflate(batch(["d"]), framing: .zlib))
        #expect(deflate.status == 415)
        let deep = try await client.send("POST", "/v1/batch", headers: gzipHeaders(segmentAuth, "gzip, gzip, gzip"), body: batch(["x"]))
        #expect(deep.status == 415)
        let identity = try await client.send("POST", "/v1/batch", headers: gzipHeaders(segmentAuth, "identity"), body: batch(["i"]))
        #expect(identity.status == 200)
        #expect(server.recordCount(object: "track") == 1)
    }

    @Test(arguments: [Compression.Framing.gzip, .zlib, .raw])
    func salesforceUpsertsCompressedCollections(_ framing: Compression.Framing) async throws {
        let server = try start(.salesforce)
        defer { server.stop() }
        let body = Data(
            """
            {"allOrNone":false,"records":[{"attributes":{"type":"Lead"},"External_Id__c":"gz-1","LastName":"Zip","Company":"Z"}]}
            """.utf8)
        let reply = try await Client(server).send(
            "PATCH", "/services/data/v59.0/composite/sobjects/Lead/External_Id__c",
            headers: gzipHeaders(
                ["Authorization": "Bearer \(SandboxPlatform.salesforce.defaultCredential)"],
                framing == .gzip ? "gzip" : "deflate"),
            body: Compression.deflate(body, framing: framing))
        #expect(reply.status == 200)
        #expect((reply.array.first as? [String: Any])?["created"] as? Bool == true)
    }

    @Test func platformsWithoutDocumentedCompressionAnswer415InTheirShape() async throws {
        let body = Compression.deflate(Data("{}".utf8))
        let hubspot = try start(.hubspot)
        defer { hubspot.stop() }
        let hubspotReply = try await Client(hubspot).send(
            "POST", "/crm/v3/objects/contacts/batch/read",
            headers: gzipHeaders(["Authorization": "Bearer \(SandboxPlatform.hubspot.defaultCredential)"]), body: body)
        #expect(hubspotReply.status == 415)
        #expect(hubspotReply.object["correlationId"] is String)
        #expect(hubspotReply.object["category"] as? String == "VALIDATION_ERROR")

        let mailchimp = try start(.mailchimp)
        defer { mailchimp.stop() }
        let mailchimpReply = try await Client(mailchimp).send(
            "POST", "/3.0/lists/sandboxlist",
            headers: gzipHeaders(["Authorization": basic("any", SandboxPlatform.mailchimp.defaultCredential)]), body: body)
        #expect(mailchimpReply.status == 415)
        #expect(mailchimpReply.header("Content-Type")?.hasPrefix("application/problem+json") == true)
        #expect(mailchimpReply.object["status"] as? Int == 415)

        let ga4 = try start(.ga4)
        defer { ga4.stop() }
        let ga4Reply = try await Client(ga4).send(
            "POST", "/mp/collect?measurement_id=G-1&api_secret=\(SandboxPlatform.ga4.defaultCredential)",
            headers: gzipHeaders([:]), body: body)
        #expect(ga4Reply.status == 415)
        #expect((ga4Reply.object["error"] as? [String: Any])?["code"] as? Int == 415)
        #expect(ga4.recordCount(object: "event") == 0)
    }
}
