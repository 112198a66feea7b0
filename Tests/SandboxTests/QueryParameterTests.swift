import Foundation
import HTTPServer
import Testing

@testable import Sandbox

/// List parameters sent repeated (`properties=a&properties=b`, as HubSpot's SDKs send them) are read
/// whole, not just their first value.
@Suite(.timeLimit(.minutes(1))) struct QueryParameterTests {
    private let auth = ["Authorization": "Bearer \(SandboxPlatform.hubspot.defaultCredential)"]

    @Test func queryListJoinsRepeatsAndCommaLists() {
        let request = Request(
            method: "GET", path: "/x",
            queryItems: [
                (name: "properties", value: "email, firstname"), (name: "limit", value: "5"),
                (name: "properties", value: "lastname"), (name: "properties", value: nil),
                (name: "properties", value: " ,"),
            ])
        #expect(request.queryList("properties") == ["email", "firstname", "lastname"])
        #expect(request.queryValues("properties") == ["email, firstname", "lastname", " ,"])
        #expect(request.queryList("associations") == nil)
        #expect(Request(method: "GET", path: "/x", queryItems: [(name: "properties", value: ",")]).queryList("properties") == nil)
    }

    @Test func hubspotListReturnsEveryRepeatedProperty() async throws {
        let server = try SandboxServer.start(platform: .hubspot, options: Fixtures.options())
        defer { server.stop() }
        let reply = try await Client(server).send(
            "GET", "/crm/v3/objects/contacts?limit=3&properties=email&properties=firstname&properties=lifecyclestage",
            headers: auth)
        #expect(reply.status == 200)
        let results = reply.object["results"] as? [[String: Any]] ?? []
        #expect(results.count == 3)
        for result in results {
            let properties = result["properties"] as? [String: Any] ?? [:]
            #expect(Set(properties.keys) == ["email", "firstname", "lifecyclestage"])
            #expect(properties["firstname"] is String)
        }
    }

    @Test func hubspotReadOneReturnsEveryRepeatedProperty() async throws {
        let server = try SandboxServer.start(platform: .hubspot, options: Fixtures.options())
        defer { server.stop() }
        let reply = try await Client(server).send(
            "GET", "/crm/v3/objects/contacts/USER2@example.com?idProperty=email&properties=firstname&properties=lastname",
            headers: auth)
        #expect(reply.status == 200)
        let properties = reply.object["properties"] as? [String: Any] ?? [:]
        #expect(properties["firstname"] as? String == "First2")
        #expect(properties["lastname"] as? String == "Last2")
    }

    @Test func hubspotPagingLinkAsksForEveryPropertyEncoded() async throws {
        let server = try SandboxServer.start(platform: .hubspot, options: Fixtures.options())
        defer { server.stop() }
        let client = Client(server)
        let first = try await client.send(
            "GET", "/crm/v3/objects/contacts?limit=2&properties=email&properties=first%20name&properties=lastname",
            headers: auth)
        let next = (first.object["paging"] as? [String: Any])?["next"] as? [String: Any]
        let link = next?["link"] as? String ?? ""
        #expect(link == "/crm/v3/objects/contacts?limit=2&after=2&properties=email,first%20name,lastname")
        let second = try await client.send("GET", link, headers: auth)
        #expect(second.status == 200)
        let properties = (second.object["results"] as? [[String: Any]])?.first?["properties"] as? [String: Any] ?? [:]
        #expect(Set(properties.keys) == ["email", "first name", "lastname"])
    }
}
