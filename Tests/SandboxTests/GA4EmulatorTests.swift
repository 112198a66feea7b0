import Foundation
import Sandbox
import Testing

@Suite struct GA4EmulatorTests {
    private let secret = SandboxPlatform.ga4.defaultCredential

    private func start(_ configure: (inout SandboxOptions) throws -> Void = { _ in }) throws -> SandboxServer {
        var options = Fixtures.options()
        try configure(&options)
        return try SandboxServer.start(platform: .ga4, options: options)
    }

    private func payload(_ events: [[String: Any]], clientID: String? = "c1") -> [String: Any] {
        var body: [String: Any] = ["events": events]
        if let clientID { body["client_id"] = clientID }
        return body
    }

    private func event(_ name: String, _ params: [String: Any] = ["value": 1]) -> [String: Any] {
        ["name": name, "params": params]
    }

    @Test func collectAnswers204AndRecordsOnlyWithTheRightSecret() async throws {
        let server = try start()
        defer { server.stop() }
        let client = Client(server)
        let body = payload([event("sign_up"), event("purchase")])
        let wrong = try await client.send("POST", "/mp/collect?measurement_id=G-TEST&api_secret=nope", json: body)
        #expect(wrong.status == 204)
        let missing = try await client.send("POST", "/mp/collect?measurement_id=G-TEST", json: body)
        #expect(missing.status == 204)
        #expect(server.recordCount(object: "event") == 0)
        let right = try await client.send("POST", "/mp/collect?measurement_id=G-TEST&api_secret=\(secret)", json: body)
        #expect(right.status == 204)
        #expect(right.body.isEmpty)
        let invalid = try await client.send(
            "POST", "/mp/collect?measurement_id=G-TEST&api_secret=\(secret)", json: payload([event("1bad")]))
        #expect(invalid.status == 204)
        let stored = try await client.records("event", key: "name")
        #expect(stored["count"] as? Int == 2)
        #expect(server.requestLog.count == 4)
    }

    @Test func debugEndpointReportsValidationMessages() async throws {
        let server = try start()
        defer { server.stop() }
        let client = Client(server)
        func codes(_ body: [String: Any]) async throws -> [String] {
            let reply = try await client.send("POST", "/debug/mp/collect?measurement_id=G-TEST&api_secret=\(secret)", json: body)
            #expect(reply.status == 200)
            return (reply.object["validationMessages"] as? [[String: Any]] ?? []).compactMap { $0["validationCode"] as? String }
        }
        #expect(try await codes(payload([event("sign_up")])) == [])
        #expect(try await codes(payload((0..<26).map { _ in event("tick") })) == ["EXCEEDED_MAX_ENTITIES"])
        #expect(try await codes(payload([event("1bad")])) == ["NAME_INVALID"])
        #expect(try await codes(payload([event("session_start")])) == ["NAME_RESERVED"])
        #expect(try await codes(payload([event("ok")], clientID: nil)) == ["VALUE_REQUIRED"])
        #expect(try await codes(payload([event("ok", ["text": String(repeating: "a", count: 101)])])) == ["VALUE_OUT_OF_BOUNDS"])
        #expect(server.recordCount(object: "event") == 0)
    }

    @Test func refusesBodiesOverTheLimitAndHonoursFaults() async throws {
        let server = try start()
        defer { server.stop() }
        let client = Client(server)
        let big = payload([event("big", ["blob": String(repeating: "b", count: 131_000)])])
        let reply = try await client.send("POST", "/mp/collect?measurement_id=G-TEST&api_secret=\(secret)", json: big)
        #expect(reply.status == 413)
        try await client.faults(["rateLimitStorm": true])
        let storm = try await client.send("POST", "/mp/collect?measurement_id=G-TEST&api_secret=\(secret)", json: payload([event("x")]))
        #expect(storm.status == 429)
        #expect(storm.header("Retry-After") == "1")
        try await client.faults(["rateLimitStorm": false, "failNext": 1, "errorStatus": 500])
        let failed = try await client.send("POST", "/mp/collect?measurement_id=G-TEST&api_secret=\(secret)", json: payload([event("x")]))
        #expect(failed.status == 500)
        #expect(server.recordCount(object: "event") == 0)
    }
}
