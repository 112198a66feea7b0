import Foundation
import Sandbox
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// Fault switches and control endpoints, exercised through the HubSpot emulator.
@Suite struct SandboxFaultTests {
    private let auth = ["Authorization": "Bearer \(SandboxPlatform.hubspot.defaultCredential)"]

    private func start(_ configure: (inout SandboxOptions) -> Void = { _ in }) throws -> SandboxServer {
        var options = Fixtures.options()
        configure(&options)
        return try SandboxServer.start(platform: .hubspot, options: options)
    }

    @Test func failsTheNextNRequestsThenRecovers() async throws {
        let server = try start()
        defer { server.stop() }
        let client = Client(server)
        let set = try await client.faults(["failNext": 2, "errorStatus": 502])
        #expect(set.object["failNext"] as? Int == 2)
        var statuses: [Int] = []
        for _ in 0..<3 {
            statuses.append(try await client.send("GET", "/crm/v3/objects/contacts", headers: auth).status)
        }
        #expect(statuses == [502, 502, 200])
        let log = try await client.send("GET", "/_sandbox/requests").object["requests"] as? [[String: Any]] ?? []
        #expect(log.compactMap { $0["fault"] as? String } == ["fail", "fail"])
        #expect(log.count == 3)
    }

    @Test func refusesTheNextNAsRateLimitedThenRecovers() async throws {
        let server = try start()
        defer { server.stop() }
        let client = Client(server)
        let set = try await client.faults(["rateLimitNext": 2])
        #expect(set.object["rateLimitNext"] as? Int == 2)
        var statuses: [Int] = []
        for _ in 0..<3 {
            statuses.append(try await client.send("GET", "/crm/v3/objects/contacts", headers: auth).status)
        }
        #expect(statuses == [429, 429, 200])
        let log = try await client.send("GET", "/_sandbox/requests").object["requests"] as? [[String: Any]] ?? []
        #expect(log.compactMap { $0["fault"] as? String } == ["rateLimitStorm", "rateLimitStorm"])
        #expect(try await client.send("GET", "/_sandbox/faults").object["rateLimitNext"] as? Int == 0)
    }

    @Test func stormsWith429AndDropsConnections() async throws {
        let server = try start()
        defer { server.stop() }
        let client = Client(server)
        try await client.faults(["rateLimitStorm": true])
        let storm = try await client.send("GET", "/crm/v3/objects/contacts", headers: auth)
        #expect(storm.status == 429)
        #expect(storm.object["policyName"] as? String == "TEN_SECONDLY_ROLLING")
        try await client.faults(["rateLimitStorm": false, "dropRate": 1.0])
        await #expect(throws: (any Error).self) {
            _ = try await client.send("GET", "/crm/v3/objects/contacts", headers: auth)
        }
        let cleared = try await client.send("DELETE", "/_sandbox/faults")
        #expect(cleared.object["dropRate"] as? Double == 0)
        #expect(try await client.send("GET", "/crm/v3/objects/contacts", headers: auth).status == 200)
    }

    @Test func randomErrorsRepeatForTheSameSeed() async throws {
        let server = try start {
            $0.faults = FaultSwitches(errorRate: 0.5, errorStatus: 503)
            $0.seed = 42
        }
        defer { server.stop() }
        let client = Client(server)
        func run() async throws -> [Int] {
            var statuses: [Int] = []
            for _ in 0..<16 {
                statuses.append(try await client.send("GET", "/crm/v3/objects/contacts", headers: auth).status)
            }
            return statuses
        }
        let first = try await run()
        #expect(first.contains(503) && first.contains(200))
        #expect(try await client.send("POST", "/_sandbox/reset").status == 200)
        let second = try await run()
        #expect(first == second)
        #expect(server.currentFaults.errorRate == 0.5)
    }

    @Test func hangingRequestsTimeOutAndDoNotBlockStop() async throws {
        let server = try start { $0.faults = FaultSwitches(hangRate: 1, hangMilliseconds: 60_000) }
        let client = Client(server, timeout: 1)
        do {
            let reply = try await client.send("GET", "/crm/v3/objects/contacts", headers: auth)
            Issue.record("expected a timeout, got \(reply.status)")
        } catch {
            #expect((error as? URLError)?.code == .timedOut)
        }
        await Task.detached { server.stop() }.value
        #expect(server.requestLog.first?.fault == "hang")
    }

    @Test func addsLatencyAndResetsRecords() async throws {
        let server = try start()
        defer { server.stop() }
        let client = Client(server)
        server.setFaults(FaultSwitches(latencyMilliseconds: 20))
        let upsert: [String: Any] = ["inputs": [["id": "late@example.com", "idProperty": "email", "properties": [:]]]]
        #expect(try await client.send("POST", "/crm/v3/objects/contacts/batch/upsert", headers: auth, json: upsert).status == 200)
        #expect(server.recordCount(object: "contact") == 26)
        #expect(try await client.send("POST", "/_sandbox/reset").status == 200)
        #expect(server.recordCount(object: "contact") == 25)
        #expect(server.currentFaults == FaultSwitches())
        #expect(try await client.send("GET", "/_sandbox/records").status == 400)
        #expect(try await client.send("GET", "/_sandbox/health").object["platform"] as? String == "hubspot")
    }
}
