import Foundation
import Sandbox
import Testing

/// Mailchimp's `fields` / `exclude_fields` and `/ping`, as the official client calls them.
@Suite(.timeLimit(.minutes(1))) struct MailchimpFieldsTests {
    private let auth = ["Authorization": basic("any", SandboxPlatform.mailchimp.defaultCredential)]

    private func start() throws -> SandboxServer {
        try SandboxServer.start(platform: .mailchimp, options: Fixtures.options())
    }

    @Test func pingAnswersHealthStatus() async throws {
        let server = try start()
        defer { server.stop() }
        let reply = try await Client(server).send("GET", "/3.0/ping", headers: auth)
        #expect(reply.status == 200)
        #expect(reply.object["health_status"] as? String == "Everything's Chimpy!")
    }

    @Test func fieldsKeepOnlyTheNamedPathsThroughArrays() async throws {
        let server = try start()
        defer { server.stop() }
        let reply = try await Client(server).send(
            "GET", "/3.0/lists/sandboxlist/members?count=2&fields=members.email_address,members.merge_fields.FNAME&fields=total_items",
            headers: auth)
        #expect(reply.status == 200)
        #expect(Set(reply.object.keys) == ["members", "total_items"])
        let members = reply.object["members"] as? [[String: Any]] ?? []
        #expect(members.count == 2)
        for member in members {
            #expect(Set(member.keys) == ["email_address", "merge_fields"])
            #expect(Set((member["merge_fields"] as? [String: Any] ?? [:]).keys).isSubset(of: ["FNAME"]))
        }
    }

    @Test func excludeFieldsDropsTheNamedPaths() async throws {
        let server = try start()
        defer { server.stop() }
        let client = Client(server)
        let list = try await client.send(
            "GET", "/3.0/lists/sandboxlist/members?count=2&exclude_fields=_links,members.list_id", headers: auth)
        #expect(list.object["_links"] == nil)
        #expect(list.object["total_items"] is Int)
        let members = list.object["members"] as? [[String: Any]] ?? []
        #expect(!members.isEmpty && members.allSatisfy { $0["list_id"] == nil && $0["email_address"] is String })
        let email = members.first?["email_address"] as? String ?? ""
        let one = try await client.send(
            "GET", "/3.0/lists/sandboxlist/members/\(email)?fields=id,status&exclude_fields=status", headers: auth)
        #expect(Set(one.object.keys) == ["id"])
    }

    @Test func errorsAreNeverTrimmed() async throws {
        let server = try start()
        defer { server.stop() }
        let reply = try await Client(server).send(
            "GET", "/3.0/lists/sandboxlist/members/nobody@example.com?fields=id", headers: auth)
        #expect(reply.status == 404)
        #expect(reply.object["title"] as? String == "Resource Not Found")
    }
}
