import Foundation
import Sandbox
import Testing

/// Every emulator's error bodies carry what its platform documents (and what the official clients read).
@Suite(.timeLimit(.minutes(1))) struct ErrorShapeTests {
    private let hubspotAuth = ["Authorization": "Bearer \(SandboxPlatform.hubspot.defaultCredential)"]

    private func start(_ platform: SandboxPlatform, _ configure: (inout SandboxOptions) -> Void = { _ in })
        throws -> SandboxServer
    {
        var options = Fixtures.options()
        configure(&options)
        return try SandboxServer.start(platform: platform, options: options)
    }

    @Test func hubspotConflictCarriesCorrelationIdAndCategory() async throws {
        let server = try start(.hubspot)
        defer { server.stop() }
        let body: [String: Any] = ["inputs": [["properties": ["email": "user1@example.com", "firstname": "Twin"]]]]
        let reply = try await Client(server).send(
            "POST", "/crm/v3/objects/contacts/batch/create", headers: hubspotAuth, json: body)
        #expect(reply.status == 409)
        #expect(reply.object["status"] as? String == "error")
        #expect(reply.object["category"] as? String == "CONFLICT")
        #expect((reply.object["correlationId"] as? String)?.isEmpty == false)
        #expect((reply.object["message"] as? String)?.contains("Existing ID: 101") == true)
    }

    @Test func hubspotMultiStatusErrorsHaveEveryStandardErrorField() async throws {
        let server = try start(.hubspot)
        defer { server.stop() }
        let client = Client(server)
        let upsert: [String: Any] = [
            "inputs": [
                ["id": "fine@example.com", "idProperty": "email", "properties": ["firstname": "Fine"]],
                ["id": "bad@example.com", "idProperty": "email", "properties": ["lifecyclestage": "nope"]],
            ]
        ]
        let read: [String: Any] = ["inputs": [["id": "101"], ["id": "999999"]], "properties": ["email"]]
        for (path, body) in [("batch/upsert", upsert), ("batch/read", read)] {
            let reply = try await client.send("POST", "/crm/v3/objects/contacts/\(path)", headers: hubspotAuth, json: body)
            #expect(reply.status == 207)
            let errors = reply.object["errors"] as? [[String: Any]] ?? []
            #expect(errors.count == 1)
            for error in errors {
                #expect(Set(error.keys).isSuperset(of: ["status", "category", "message", "context", "links", "errors"]))
            }
        }
    }

    @Test func hubspotRateLimitBodyHasPolicyAndCategory() async throws {
        let server = try start(.hubspot) { $0.faults = FaultSwitches(rateLimitNext: 1) }
        defer { server.stop() }
        let reply = try await Client(server).send("GET", "/crm/v3/objects/contacts", headers: hubspotAuth)
        #expect(reply.status == 429)
        #expect(reply.object["errorType"] as? String == "RATE_LIMIT")
        #expect(reply.object["category"] as? String == "RATE_LIMITS")
        #expect(reply.object["policyName"] as? String == "TEN_SECONDLY_ROLLING")
        #expect(reply.object["correlationId"] is String)
    }

    @Test func salesforceNamesAMissingRequiredFieldOnce() async throws {
        let server = try start(.salesforce)
        defer { server.stop() }
        let body: [String: Any] = [
            "allOrNone": false,
            "records": [["attributes": ["type": "Lead"], "External_Id__c": "x-1", "LastName": NSNull(), "Company": "C"]],
        ]
        let reply = try await Client(server).send(
            "PATCH", "/services/data/v59.0/composite/sobjects/Lead/External_Id__c",
            headers: ["Authorization": "Bearer \(SandboxPlatform.salesforce.defaultCredential)"], json: body)
        let errors = (reply.array.first as? [String: Any])?["errors"] as? [[String: Any]] ?? []
        #expect(errors.first?["statusCode"] as? String == "REQUIRED_FIELD_MISSING")
        #expect(errors.first?["fields"] as? [String] == ["LastName"])
    }

    @Test func salesforceNamesTheFieldThatIsNoExternalId() async throws {
        let server = try start(.salesforce)
        defer { server.stop() }
        let body: [String: Any] = ["allOrNone": false, "records": [["attributes": ["type": "Lead"], "LastName": "L"]]]
        let reply = try await Client(server).send(
            "PATCH", "/services/data/v59.0/composite/sobjects/Lead/LastName",
            headers: ["Authorization": "Bearer \(SandboxPlatform.salesforce.defaultCredential)"], json: body)
        #expect(reply.status == 404)
        let error = reply.array.first as? [String: Any] ?? [:]
        #expect(error["errorCode"] as? String == "NOT_FOUND")
        #expect(error["fields"] as? [String] == ["LastName"])
    }

    @Test func segmentErrorsCarryCodeAndMessage() async throws {
        let server = try start(.segment)
        defer { server.stop() }
        let client = Client(server)
        let unauthorized = try await client.send("POST", "/v1/batch", json: ["batch": []])
        #expect(unauthorized.status == 401)
        #expect(unauthorized.object["code"] as? String == "unauthorized")
        let invalid = try await client.send(
            "POST", "/v1/batch", headers: ["Authorization": basic(SandboxPlatform.segment.defaultCredential, "")],
            body: Data("{\"batch\": ".utf8))
        #expect(invalid.status == 400)
        #expect(invalid.object["code"] as? String == "invalid_request")
        #expect(invalid.object["message"] is String)
    }

    @Test func mailchimpProblemsLinkTheirSchema() async throws {
        let server = try start(.mailchimp)
        defer { server.stop() }
        let reply = try await Client(server).send(
            "GET", "/3.0/lists/sandboxlist/members/nobody@example.com",
            headers: ["Authorization": basic("any", SandboxPlatform.mailchimp.defaultCredential)])
        #expect(reply.status == 404)
        #expect(Set(reply.object.keys).isSuperset(of: ["type", "title", "status", "detail", "instance"]))
        #expect(reply.header("Link")?.contains("ProblemDetailDocument.json>; rel=\"describedBy\"") == true)
        #expect(reply.header("X-Request-Id") == reply.object["instance"] as? String)
    }

    @Test func aKnownPathAskedWithAnotherMethodGetsThePlatformsError() async throws {
        let hubspot = try start(.hubspot)
        defer { hubspot.stop() }
        let hubspotReply = try await Client(hubspot).send("DELETE", "/crm/v3/objects/contacts", headers: hubspotAuth)
        #expect(hubspotReply.status == 405)
        #expect(hubspotReply.object["correlationId"] is String)
        #expect(hubspotReply.header("Allow") == "GET")

        let salesforce = try start(.salesforce)
        defer { salesforce.stop() }
        let salesforceReply = try await Client(salesforce).send(
            "POST", "/services/data/v59.0/query",
            headers: ["Authorization": "Bearer \(SandboxPlatform.salesforce.defaultCredential)"])
        #expect(salesforceReply.status == 405)
        #expect((salesforceReply.array.first as? [String: Any])?["errorCode"] as? String == "METHOD_NOT_ALLOWED")

        let mailchimp = try start(.mailchimp)
        defer { mailchimp.stop() }
        let mailchimpReply = try await Client(mailchimp).send(
            "DELETE", "/3.0/lists/sandboxlist/members",
            headers: ["Authorization": basic("any", SandboxPlatform.mailchimp.defaultCredential)])
        #expect(mailchimpReply.status == 405)
        #expect(mailchimpReply.object["title"] as? String == "Method Not Allowed")

        let segment = try start(.segment)
        defer { segment.stop() }
        let segmentReply = try await Client(segment).send(
            "GET", "/v1/batch", headers: ["Authorization": basic(SandboxPlatform.segment.defaultCredential, "")])
        #expect(segmentReply.status == 405)
        #expect(segmentReply.object["code"] as? String == "method_not_allowed")
    }
}
