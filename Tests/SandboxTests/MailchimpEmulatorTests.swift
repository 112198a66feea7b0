import Foundation
import Sandbox
import Testing

@Suite struct MailchimpEmulatorTests {
    private let auth = ["Authorization": basic("anystring", SandboxPlatform.mailchimp.defaultCredential)]
    private let list = "/3.0/lists/sandboxlist"

    private func start(_ configure: (inout SandboxOptions) throws -> Void = { _ in }) throws -> SandboxServer {
        var options = Fixtures.options()
        try configure(&options)
        return try SandboxServer.start(platform: .mailchimp, options: options)
    }

    @Test func refusesRequestsWithoutTheApiKey() async throws {
        let server = try start()
        defer { server.stop() }
        let client = Client(server)
        let refused = try await client.send("GET", "\(list)/members")
        #expect(refused.status == 401)
        #expect(refused.header("Content-Type")?.hasPrefix("application/problem+json") == true)
        #expect(refused.object["title"] as? String == "API Key Invalid")
        let bearer = try await client.send(
            "GET", "\(list)/members", headers: ["Authorization": "Bearer \(SandboxPlatform.mailchimp.defaultCredential)"])
        #expect(bearer.status == 200)
        #expect(try await client.send("GET", "/3.0/lists/other/members", headers: auth).status == 404)
    }

    @Test func pagesThroughEverySeededMemberWithCountAndOffset() async throws {
        let server = try start()
        defer { server.stop() }
        let client = Client(server)
        var emails: [String] = []
        var offset = 0
        while true {
            let reply = try await client.send("GET", "\(list)/members?count=10&offset=\(offset)", headers: auth)
            #expect(reply.status == 200)
            #expect(reply.object["total_items"] as? Int == 23)
            let members = reply.object["members"] as? [[String: Any]] ?? []
            if members.isEmpty { break }
            for member in members {
                emails.append(member["email_address"] as? String ?? "")
                #expect((member["merge_fields"] as? [String: Any])?["FNAME"] is String)
                #expect(member["id"] as? String == md5Hex((member["email_address"] as? String ?? "").lowercased()))
            }
            offset += members.count
        }
        #expect(emails.count == 23)
        #expect(Set(emails).count == 23)
        #expect(try await client.send("GET", "\(list)/members?count=1001", headers: auth).status == 400)
    }

    @Test func putTwiceAddsOrUpdatesWithoutDuplicates() async throws {
        let server = try start()
        defer { server.stop() }
        let client = Client(server)
        let email = "Fresh.Person@Example.com"
        let hash = md5Hex(email.lowercased())
        let body: [String: Any] = [
            "email_address": email, "status_if_new": "subscribed", "merge_fields": ["FNAME": "Fresh"],
        ]
        let first = try await client.send("PUT", "\(list)/members/\(hash)", headers: auth, json: body)
        #expect(first.status == 200)
        #expect(first.object["status"] as? String == "subscribed")
        var again = body
        again["merge_fields"] = ["FNAME": "Again"]
        let second = try await client.send("PUT", "\(list)/members/\(hash)", headers: auth, json: again)
        #expect(second.status == 200)
        #expect((second.object["merge_fields"] as? [String: Any])?["FNAME"] as? String == "Again")
        let existing = try await client.send(
            "PUT", "\(list)/members/\(md5Hex("member1@example.com"))", headers: auth,
            json: ["email_address": "member1@example.com", "status_if_new": "pending"])
        #expect(existing.object["status"] as? String == "subscribed")
        let records = try await client.records("member", key: "email_address")
        #expect(records["count"] as? Int == 24)
        #expect((records["duplicates"] as? [String: Any])?.isEmpty == true)
        let mismatch = try await client.send("PUT", "\(list)/members/\(hash)", headers: auth, json: ["email_address": "other@example.com"])
        #expect(mismatch.status == 400)
        let invalid = try await client.send(
            "PUT", "\(list)/members/\(md5Hex("bad@@x"))", headers: auth,
            json: ["email_address": "bad@@x", "status_if_new": "subscribed"])
        #expect(invalid.status == 400)
        #expect((invalid.object["detail"] as? String)?.contains("looks fake or invalid") == true)
    }

    @Test func batchSubscribeReportsNewUpdatedAndErrors() async throws {
        let server = try start()
        defer { server.stop() }
        let client = Client(server)
        let members: [[String: Any]] = [
            ["email_address": "member2@example.com", "status": "subscribed"],
            ["email_address": "brand.new@example.com", "status": "subscribed"],
            ["email_address": "not-an-email", "status": "subscribed"],
            ["email_address": "odd@example.com", "status": "maybe"],
            ["email_address": "long@example.com", "status": "subscribed", "merge_fields": ["FNAME": String(repeating: "z", count: 21)]],
        ]
        let reply = try await client.send("POST", list, headers: auth, json: ["members": members, "update_existing": false])
        #expect(reply.status == 200)
        #expect(reply.object["total_created"] as? Int == 1)
        #expect(reply.object["error_count"] as? Int == 4)
        let errors = reply.object["errors"] as? [[String: Any]] ?? []
        #expect(errors.first?["error_code"] as? String == "ERROR_CONTACT_EXISTS")
        #expect((errors[1]["error"] as? String)?.contains("looks fake or invalid") == true)
        #expect(errors[3]["field"] as? String == "FNAME")
        let update = try await client.send(
            "POST", list, headers: auth, json: ["members": Array(members.prefix(2)), "update_existing": true])
        #expect(update.object["total_updated"] as? Int == 2)
        #expect(update.object["total_created"] as? Int == 0)
        #expect(server.recordCount(object: "member") == 24)
        let tooMany = (0..<501).map { ["email_address": "bulk\($0)@example.com", "status": "subscribed"] }
        #expect(try await client.send("POST", list, headers: auth, json: ["members": tooMany]).status == 400)
    }

    @Test func answers429OverTheConcurrencyLimit() async throws {
        let limits = try Fixtures.limits(.mailchimp).overriding(
            bucket: "apiKey", requests: nil, dailyQuota: nil, maxConcurrency: 1)
        let server = try start {
            $0.rateLimits = limits
            $0.faults = FaultSwitches(latencyMilliseconds: 800)
        }
        defer { server.stop() }
        let client = Client(server)
        let path = "\(list)/members"
        let headers = auth
        let statuses = try await withThrowingTaskGroup(of: Reply.self) { group in
            for _ in 0..<4 {
                group.addTask { try await client.send("GET", path, headers: headers) }
            }
            var replies: [Reply] = []
            for try await reply in group { replies.append(reply) }
            return replies
        }
        #expect(statuses.contains { $0.status == 200 })
        let limited = statuses.first { $0.status == 429 }
        #expect(limited?.object["title"] as? String == "Too Many Requests")
    }
}
