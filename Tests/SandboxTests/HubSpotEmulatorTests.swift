import Foundation
import Sandbox
import Testing

@Suite struct HubSpotEmulatorTests {
    private let auth = ["Authorization": "Bearer \(SandboxPlatform.hubspot.defaultCredential)"]

    private func start(_ configure: (inout SandboxOptions) throws -> Void = { _ in }) throws -> SandboxServer {
        var options = Fixtures.options()
        try configure(&options)
        return try SandboxServer.start(platform: .hubspot, options: options)
    }

    @Test func refusesRequestsWithoutAValidToken() async throws {
        let server = try start()
        defer { server.stop() }
        let client = Client(server)
        let missing = try await client.send("GET", "/crm/v3/objects/contacts")
        #expect(missing.status == 401)
        #expect(missing.object["category"] as? String == "INVALID_AUTHENTICATION")
        let wrong = try await client.send("GET", "/crm/v3/objects/contacts", headers: ["Authorization": "Bearer nope"])
        #expect(wrong.status == 401)
    }

    @Test func pagesThroughEverySeededRecord() async throws {
        let server = try start()
        defer { server.stop() }
        let client = Client(server)
        var ids: [String] = []
        var emails: [String] = []
        var path = "/crm/v3/objects/contacts?limit=10&properties=email,lifecyclestage"
        var pages = 0
        while true {
            let reply = try await client.send("GET", path, headers: auth)
            #expect(reply.status == 200)
            #expect(reply.header("X-HubSpot-RateLimit-Max") == "190")
            let results = reply.object["results"] as? [[String: Any]] ?? []
            for result in results {
                ids.append(result["id"] as? String ?? "")
                let properties = result["properties"] as? [String: Any] ?? [:]
                emails.append(properties["email"] as? String ?? "")
                #expect(properties["lifecyclestage"] is String)
            }
            pages += 1
            guard let paging = reply.object["paging"] as? [String: Any],
                let next = paging["next"] as? [String: Any], let after = next["after"] as? String
            else { break }
            path = "/crm/v3/objects/contacts?limit=10&properties=email,lifecyclestage&after=\(after)"
        }
        #expect(pages == 3)
        #expect(ids.count == 25)
        #expect(Set(ids).count == 25)
        #expect(ids.first == "101")
        #expect(emails.contains("user25@example.com"))
    }

    @Test func upsertingTwiceCreatesNoDuplicates() async throws {
        let server = try start()
        defer { server.stop() }
        let client = Client(server)
        let body: [String: Any] = [
            "inputs": [
                ["id": "USER1@example.com", "idProperty": "email", "properties": ["firstname": "Updated"]],
                ["id": "new1@example.com", "idProperty": "email", "properties": ["firstname": "New", "lastname": "One"]],
                ["id": "new2@example.com", "idProperty": "email", "properties": ["lifecyclestage": "lead"]],
            ]
        ]
        let first = try await client.send("POST", "/crm/v3/objects/contacts/batch/upsert", headers: auth, json: body)
        #expect(first.status == 200)
        let firstResults = first.object["results"] as? [[String: Any]] ?? []
        #expect(firstResults.compactMap { $0["new"] as? Bool }.sorted { !$0 && $1 } == [false, true, true])
        let second = try await client.send("POST", "/crm/v3/objects/contacts/batch/upsert", headers: auth, json: body)
        #expect(second.status == 200)
        let secondResults = second.object["results"] as? [[String: Any]] ?? []
        #expect(secondResults.allSatisfy { $0["new"] as? Bool == false })
        #expect(Set(secondResults.compactMap { $0["id"] as? String }) == Set(firstResults.compactMap { $0["id"] as? String }))

        let records = try await client.records("contact", key: "email")
        #expect(records["count"] as? Int == 27)
        #expect((records["duplicates"] as? [String: Any])?.isEmpty == true)
        let updated = try await client.records("contact", key: "email", value: "user1@example.com")
        let fields = (updated["records"] as? [[String: Any]])?.first?["fields"] as? [String: Any]
        #expect(fields?["firstname"] as? String == "Updated")
        #expect(server.recordCount(object: "contact") == 27)
    }

    @Test func rejectsInvalidRecordsOneByOneWith207() async throws {
        let server = try start()
        defer { server.stop() }
        let client = Client(server)
        let body: [String: Any] = [
            "inputs": [
                ["id": "not-an-email", "idProperty": "email", "properties": ["firstname": "Bad"]],
                ["id": "ok@example.com", "idProperty": "email", "properties": ["lifecyclestage": "customer"]],
                ["id": "pick@example.com", "idProperty": "email", "properties": ["lifecyclestage": "champion"]],
                ["id": "long@example.com", "idProperty": "email", "properties": ["firstname": String(repeating: "x", count: 21)]],
                ["id": "ro@example.com", "idProperty": "email", "properties": ["createdate": "2024-01-01"]],
            ]
        ]
        let reply = try await client.send("POST", "/crm/v3/objects/contacts/batch/upsert", headers: auth, json: body)
        #expect(reply.status == 207)
        #expect(reply.object["numErrors"] as? Int == 4)
        #expect((reply.object["results"] as? [Any])?.count == 1)
        let messages = (reply.object["errors"] as? [[String: Any]] ?? []).compactMap { $0["message"] as? String }
        #expect(messages.contains { $0.contains("Email address not-an-email is invalid") && $0.contains("INVALID_EMAIL") })
        #expect(messages.contains { $0.contains("champion was not one of the allowed options") })
        #expect(messages.contains { $0.contains("INVALID_LENGTH") })
        #expect(messages.contains { $0.contains("READ_ONLY_VALUE") })
        let errors = reply.object["errors"] as? [[String: Any]] ?? []
        #expect(errors.allSatisfy { $0["category"] as? String == "VALIDATION_ERROR" })
        #expect(server.recordCount(object: "contact") == 26)
    }

    @Test func batchCreateAndReadFollowHubSpotRules() async throws {
        let server = try start()
        defer { server.stop() }
        let client = Client(server)
        let untraced: [String: Any] = [
            "inputs": [["properties": ["email": "fresh@example.com"]], ["properties": ["email": "user2@example.com"]]]
        ]
        let conflict = try await client.send("POST", "/crm/v3/objects/contacts/batch/create", headers: auth, json: untraced)
        #expect(conflict.status == 409)
        #expect(server.recordCount(object: "contact") == 25)
        let traced: [String: Any] = [
            "inputs": [
                ["properties": ["email": "fresh@example.com"], "objectWriteTraceId": "t1"],
                ["properties": ["email": "user2@example.com"], "objectWriteTraceId": "t2"],
            ]
        ]
        let partial = try await client.send("POST", "/crm/v3/objects/contacts/batch/create", headers: auth, json: traced)
        #expect(partial.status == 207)
        #expect(server.recordCount(object: "contact") == 26)

        let read: [String: Any] = [
            "idProperty": "email", "properties": ["email", "firstname"],
            "inputs": [["id": "user3@example.com"], ["id": "ghost@example.com"]],
        ]
        let readReply = try await client.send("POST", "/crm/v3/objects/contacts/batch/read", headers: auth, json: read)
        #expect(readReply.status == 207)
        #expect((readReply.object["results"] as? [Any])?.count == 1)
        let describe = try await client.send("GET", "/crm/v3/properties/contacts", headers: auth)
        let properties = describe.object["results"] as? [[String: Any]] ?? []
        let stage = properties.first { $0["name"] as? String == "lifecyclestage" }
        #expect(stage?["type"] as? String == "enumeration")
        #expect((stage?["options"] as? [Any])?.count == 3)
    }

    @Test func answers429WithHubSpotHeadersOverTheLimit() async throws {
        let limits = try Fixtures.limits(.hubspot).overriding(
            bucket: "account", requests: RequestWindow(count: 3, windowSeconds: 10), dailyQuota: 1000,
            maxConcurrency: nil)
        let clock = TestClock(Date(timeIntervalSince1970: 1_735_689_600))
        let server = try start {
            $0.rateLimits = limits
            $0.clock = clock.now
        }
        defer { server.stop() }
        let client = Client(server)
        for index in 0..<3 {
            let reply = try await client.send("GET", "/crm/v3/objects/contacts", headers: auth)
            #expect(reply.status == 200)
            #expect(reply.header("X-HubSpot-RateLimit-Remaining") == String(2 - index))
        }
        let limited = try await client.send("GET", "/crm/v3/objects/contacts", headers: auth)
        #expect(limited.status == 429)
        #expect(limited.object["policyName"] as? String == "TEN_SECONDLY_ROLLING")
        #expect(limited.object["errorType"] as? String == "RATE_LIMIT")
        #expect(limited.header("X-HubSpot-RateLimit-Max") == "3")
        #expect(limited.header("X-HubSpot-RateLimit-Remaining") == "0")
        #expect(limited.header("X-HubSpot-RateLimit-Interval-Milliseconds") == "10000")
        #expect(limited.header("X-HubSpot-RateLimit-Daily") == "1000")
        #expect(limited.header("X-HubSpot-RateLimit-Daily-Remaining") == "997")
        clock.advance(10)
        let recovered = try await client.send("GET", "/crm/v3/objects/contacts", headers: auth)
        #expect(recovered.status == 200)
        #expect(recovered.header("X-HubSpot-RateLimit-Remaining") == "2")
    }

    @Test func refusesBatchesOverTheInputLimit() async throws {
        let server = try start()
        defer { server.stop() }
        let inputs = (0..<101).map { ["id": "bulk\($0)@example.com", "idProperty": "email", "properties": [:]] as [String: Any] }
        let reply = try await Client(server).send(
            "POST", "/crm/v3/objects/contacts/batch/upsert", headers: auth, json: ["inputs": inputs])
        #expect(reply.status == 400)
        #expect((reply.object["message"] as? String)?.contains("101") == true)
        #expect(server.recordCount(object: "contact") == 25)
    }

    @Test func searchesByLastModifiedDateWithPaging() async throws {
        let clock = TestClock(Date(timeIntervalSince1970: 1_735_689_600))  // 2025-01-01
        let server = try start { $0.clock = clock.now }
        defer { server.stop() }
        let client = Client(server)
        let upsert: [String: Any] = [
            "inputs": ["user4@example.com", "user9@example.com", "brand@example.com"].map {
                ["id": $0, "idProperty": "email", "properties": ["lastname": "Touched"]]
            }
        ]
        #expect(try await client.send("POST", "/crm/v3/objects/contacts/batch/upsert", headers: auth, json: upsert).status == 200)
        var body: [String: Any] = [
            "filterGroups": [["filters": [["propertyName": "lastmodifieddate", "operator": "GT", "value": "1717200000000"]]]],
            "sorts": [["propertyName": "hs_object_id", "direction": "ASCENDING"]],
            "properties": ["email", "lastname"], "limit": 2,
        ]
        let first = try await client.send("POST", "/crm/v3/objects/contacts/search", headers: auth, json: body)
        #expect(first.status == 200)
        #expect(first.object["total"] as? Int == 3)
        let after = ((first.object["paging"] as? [String: Any])?["next"] as? [String: Any])?["after"] as? String
        #expect(after == "2")
        body["after"] = after
        let second = try await client.send("POST", "/crm/v3/objects/contacts/search", headers: auth, json: body)
        let results = second.object["results"] as? [[String: Any]] ?? []
        #expect(results.count == 1)
        #expect(second.object["paging"] == nil)
        #expect((results.first?["properties"] as? [String: Any])?["email"] as? String == "brand@example.com")
        body["limit"] = 201
        #expect(try await client.send("POST", "/crm/v3/objects/contacts/search", headers: auth, json: body).status == 400)
    }

    @Test func searchRefusesCursorsItNeverHandedOut() async throws {
        // No rate limits: the search endpoint allows only a few requests a second.
        let server = try start { $0.rateLimitsDirectory = nil }
        defer { server.stop() }
        let client = Client(server)
        var body: [String: Any] = ["properties": ["email"], "limit": 2]
        // Refused, not served (nor do they bring the emulator down).
        for cursor in ["-1", "later", "9223372036854775807", "9999"] {
            body["after"] = cursor
            let reply = try await client.send("POST", "/crm/v3/objects/contacts/search", headers: auth, json: body)
            #expect(reply.status == 400, "after \(cursor)")
        }
        body["after"] = "2"
        let reply = try await client.send("POST", "/crm/v3/objects/contacts/search", headers: auth, json: body)
        #expect(reply.status == 200)
        #expect((reply.object["results"] as? [[String: Any]])?.count == 2)
    }

    @Test func searchRefusesLimitsNoIntegerHolds() async throws {
        let server = try start { $0.rateLimitsDirectory = nil }
        defer { server.stop() }
        let client = Client(server)
        var body: [String: Any] = ["properties": ["email"]]
        // Refused, not converted to Int (which would bring the emulator down).
        for limit: Any in [1e300, -1e300, 9.3e18, "inf", "-infinity", "nan", "1e30"] {
            body["limit"] = limit
            let reply = try await client.send("POST", "/crm/v3/objects/contacts/search", headers: auth, json: body)
            #expect(reply.status == 400, "limit \(limit)")
            #expect((reply.object["message"] as? String)?.hasPrefix("limit must be between 1 and 200, got ") == true)
        }
        body["limit"] = 201
        let tooMany = try await client.send("POST", "/crm/v3/objects/contacts/search", headers: auth, json: body)
        #expect(tooMany.object["message"] as? String == "limit must be between 1 and 200, got 201")
        // Fractions still truncate.
        body["limit"] = 2.9
        let reply = try await client.send("POST", "/crm/v3/objects/contacts/search", headers: auth, json: body)
        #expect(reply.status == 200)
        #expect((reply.object["results"] as? [[String: Any]])?.count == 2)
    }
}

/// A settable clock for deterministic timestamps.
final class TestClock: Sendable {
    private let current: TestBox<Date>

    init(_ start: Date) {
        current = TestBox(start)
    }

    var now: @Sendable () -> Date {
        { [current] in current.value }
    }

    func advance(_ seconds: TimeInterval) {
        current.update { $0.addingTimeInterval(seconds) }
    }
}

/// A tiny lock-protected box for test state.
final class TestBox<Value: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: Value

    init(_ value: Value) {
        stored = value
    }

    var value: Value {
        lock.lock()
        defer { lock.unlock() }
        return stored
    }

    func update(_ change: (Value) -> Value) {
        lock.lock()
        stored = change(stored)
        lock.unlock()
    }
}
