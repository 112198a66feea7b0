import Foundation
import Sandbox
import Testing

@Suite struct SegmentEmulatorTests {
    private let auth = ["Authorization": basic(SandboxPlatform.segment.defaultCredential, "")]

    private func start(_ configure: (inout SandboxOptions) throws -> Void = { _ in }) throws -> SandboxServer {
        var options = Fixtures.options()
        try configure(&options)
        return try SandboxServer.start(platform: .segment, options: options)
    }

    private func track(_ id: String, user: String? = "u1", event: String? = "Signed Up") -> [String: Any] {
        var message: [String: Any] = ["type": "track", "messageId": id, "properties": ["plan": "pro"]]
        if let user { message["userId"] = user }
        if let event { message["event"] = event }
        return message
    }

    @Test func acceptsTheWriteKeyByBasicAuthOrBodyOnly() async throws {
        let server = try start()
        defer { server.stop() }
        let client = Client(server)
        let refused = try await client.send("POST", "/v1/track", json: track("m1"))
        #expect(refused.status == 401)
        let wrong = try await client.send("POST", "/v1/track", headers: ["Authorization": basic("nope", "")], json: track("m1"))
        #expect(wrong.status == 401)
        let viaHeader = try await client.send("POST", "/v1/track", headers: auth, json: track("m1"))
        #expect(viaHeader.status == 200)
        #expect(viaHeader.object["success"] as? Bool == true)
        var body = track("m2")
        body["writeKey"] = SandboxPlatform.segment.defaultCredential
        #expect(try await client.send("POST", "/v1/track", json: body).status == 200)
        #expect(server.recordCount(object: "track") == 2)
    }

    @Test func storesBatchesOnceByMessageId() async throws {
        let server = try start()
        defer { server.stop() }
        let client = Client(server)
        let batch: [String: Any] = [
            "batch": [
                track("a"), track("b"),
                ["type": "identify", "messageId": "c", "userId": "u1", "traits": ["email": "x@example.com"]],
            ],
            "context": ["library": ["name": "mapc"]],
        ]
        #expect(try await client.send("POST", "/v1/batch", headers: auth, json: batch).status == 200)
        #expect(try await client.send("POST", "/v1/batch", headers: auth, json: batch).status == 200)
        #expect(try await client.send("POST", "/v1/track", headers: auth, json: track("a")).status == 200)
        let tracks = try await client.records("track", key: "messageId")
        #expect(tracks["count"] as? Int == 2)
        #expect((tracks["duplicates"] as? [String: Any])?.isEmpty == true)
        #expect(server.recordCount(object: "identify") == 1)
        let first = (tracks["records"] as? [[String: Any]])?.first?["fields"] as? [String: Any]
        #expect((first?["context"] as? [String: Any])?["library"] != nil)
    }

    @Test func dropsMessagesWithoutIdentityButAnswers200() async throws {
        let server = try start()
        defer { server.stop() }
        let client = Client(server)
        let batch: [String: Any] = ["batch": [track("n1", user: nil), track("n2", event: nil), track("ok")]]
        let reply = try await client.send("POST", "/v1/batch", headers: auth, json: batch)
        #expect(reply.status == 200)
        let rejected = try await client.records("rejected")
        let reasons = (rejected["records"] as? [[String: Any]] ?? []).compactMap { ($0["fields"] as? [String: Any])?["reason"] as? String }
        #expect(reasons == ["no_user_anon_id", "missing_event"])
        #expect(server.recordCount(object: "track") == 1)
    }

    @Test func refusesOversizedPayloadsWith400() async throws {
        let server = try start()
        defer { server.stop() }
        let client = Client(server)
        var big = track("big")
        big["properties"] = ["blob": String(repeating: "x", count: 33 * 1024)]
        let single = try await client.send("POST", "/v1/track", headers: auth, json: big)
        #expect(single.status == 400)
        let inBatch = try await client.send("POST", "/v1/batch", headers: auth, json: ["batch": [big]])
        #expect(inBatch.status == 400)
        let many = (0..<40).map { index -> [String: Any] in
            var message = track("bulk-\(index)")
            message["properties"] = ["blob": String(repeating: "y", count: 14 * 1024)]
            return message
        }
        let huge = try await client.send("POST", "/v1/batch", headers: auth, json: ["batch": many])
        #expect(huge.status == 400)
        #expect(server.recordCount(object: "track") == 0)
    }

    @Test func answers429WithRetryAfterOverTheLimit() async throws {
        let limits = try Fixtures.limits(.segment).overriding(
            bucket: "workspace", requests: RequestWindow(count: 2, windowSeconds: 600), dailyQuota: nil,
            maxConcurrency: nil)
        let server = try start { $0.rateLimits = limits }
        defer { server.stop() }
        let client = Client(server)
        #expect(try await client.send("POST", "/v1/track", headers: auth, json: track("r1")).status == 200)
        #expect(try await client.send("POST", "/v1/track", headers: auth, json: track("r2")).status == 200)
        let limited = try await client.send("POST", "/v1/track", headers: auth, json: track("r3"))
        #expect(limited.status == 429)
        let retryAfter = Int(limited.header("Retry-After") ?? "") ?? 0
        #expect(retryAfter >= 1 && retryAfter <= 600)
        #expect(limited.header("X-RateLimit-Reset") != nil)
        try await client.faults(["failNext": 1])
        #expect(try await client.send("POST", "/v1/track", headers: auth, json: track("r4")).status == 503)
    }
}
