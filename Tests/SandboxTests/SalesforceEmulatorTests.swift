import Foundation
import Sandbox
import Testing

@Suite struct SalesforceEmulatorTests {
    private let auth = ["Authorization": "Bearer \(SandboxPlatform.salesforce.defaultCredential)"]
    private let upsertPath = "/services/data/v59.0/composite/sobjects/Lead/External_Id__c"

    private func start(_ configure: (inout SandboxOptions) throws -> Void = { _ in }) throws -> SandboxServer {
        var options = Fixtures.options()
        try configure(&options)
        return try SandboxServer.start(platform: .salesforce, options: options)
    }

    private func queryPath(_ soql: String) -> String {
        "/services/data/v59.0/query?q=" + soql.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
    }

    @Test func refusesRequestsWithoutASession() async throws {
        let server = try start()
        defer { server.stop() }
        let reply = try await Client(server).send("GET", queryPath("SELECT Id FROM Lead"))
        #expect(reply.status == 401)
        let first = reply.array.first as? [String: Any]
        #expect(first?["errorCode"] as? String == "INVALID_SESSION_ID")
        #expect(first?["message"] as? String == "Session expired or invalid")
    }

    @Test func pagesThroughEverySeededRecordWithNextRecordsUrl() async throws {
        let server = try start()
        defer { server.stop() }
        let client = Client(server)
        var headers = auth
        headers["Sforce-Query-Options"] = "batchSize=7"
        var reply = try await client.send("GET", queryPath("SELECT Id, Email, SystemModstamp FROM Lead"), headers: headers)
        var records: [[String: Any]] = []
        var pages = 0
        while true {
            #expect(reply.status == 200)
            #expect(reply.header("Sforce-Limit-Info")?.hasPrefix("api-usage=") == true)
            #expect(reply.object["totalSize"] as? Int == 30)
            records += reply.object["records"] as? [[String: Any]] ?? []
            pages += 1
            guard let next = reply.object["nextRecordsUrl"] as? String else { break }
            #expect(reply.object["done"] as? Bool == false)
            reply = try await client.send("GET", next, headers: auth)
        }
        #expect(reply.object["done"] as? Bool == true)
        #expect(pages == 5)
        #expect(records.count == 30)
        #expect(Set(records.compactMap { $0["Id"] as? String }).count == 30)
        #expect(records.allSatisfy { ($0["Id"] as? String)?.count == 18 && ($0["Id"] as? String)?.hasPrefix("00Q") == true })
        let attributes = records.first?["attributes"] as? [String: Any]
        #expect(attributes?["type"] as? String == "Lead")

        let recent = try await client.send(
            "GET", queryPath("SELECT Id FROM Lead WHERE SystemModstamp > 2024-03-20T00:00:00Z ORDER BY SystemModstamp LIMIT 8"),
            headers: auth)
        #expect(recent.object["totalSize"] as? Int == 8)
        #expect(recent.object["done"] as? Bool == true)
        let filtered = try await client.send(
            "GET", queryPath("SELECT Id FROM Lead WHERE SystemModstamp > 2024-03-20T00:00:00Z"), headers: auth)
        #expect(filtered.object["totalSize"] as? Int == 11)
    }

    @Test func reportsBadQueriesAndDescribesObjects() async throws {
        let server = try start()
        defer { server.stop() }
        let client = Client(server)
        let malformed = try await client.send("GET", queryPath("SELEKT Id FROM Lead"), headers: auth)
        #expect(malformed.status == 400)
        #expect((malformed.array.first as? [String: Any])?["errorCode"] as? String == "MALFORMED_QUERY")
        let badField = try await client.send("GET", queryPath("SELECT Nope FROM Lead"), headers: auth)
        #expect((badField.array.first as? [String: Any])?["errorCode"] as? String == "INVALID_FIELD")
        let describe = try await client.send("GET", "/services/data/v59.0/sobjects/Lead/describe", headers: auth)
        let fields = describe.object["fields"] as? [[String: Any]] ?? []
        #expect(fields.first { $0["name"] as? String == "Email" }?["type"] as? String == "email")
        #expect((fields.first { $0["name"] as? String == "Status" }?["picklistValues"] as? [Any])?.count == 3)
        #expect(fields.first { $0["name"] as? String == "External_Id__c" }?["externalId"] as? Bool == true)
    }

    @Test func upsertingTwiceCreatesNoDuplicates() async throws {
        let server = try start()
        defer { server.stop() }
        let client = Client(server)
        let body: [String: Any] = [
            "allOrNone": false,
            "records": [
                ["attributes": ["type": "Lead"], "External_Id__c": "EXT-1", "FirstName": "Changed"],
                ["attributes": ["type": "Lead"], "External_Id__c": "new-1", "LastName": "One", "Company": "Acme"],
                ["attributes": ["type": "Lead"], "External_Id__c": "new-2", "LastName": "Two", "Company": "Acme"],
            ],
        ]
        let first = try await client.send("PATCH", upsertPath, headers: auth, json: body)
        #expect(first.status == 200)
        let firstResults = first.array.compactMap { $0 as? [String: Any] }
        #expect(firstResults.map { $0["created"] as? Bool } == [false, true, true])
        #expect(firstResults.allSatisfy { $0["success"] as? Bool == true })
        let second = try await client.send("PATCH", upsertPath, headers: auth, json: body)
        let secondResults = second.array.compactMap { $0 as? [String: Any] }
        #expect(secondResults.map { $0["created"] as? Bool } == [false, false, false])
        #expect(secondResults.map { $0["id"] as? String } == firstResults.map { $0["id"] as? String })
        let records = try await client.records("Lead", key: "External_Id__c")
        #expect(records["count"] as? Int == 32)
        #expect((records["duplicates"] as? [String: Any])?.isEmpty == true)
    }

    @Test func rejectsInvalidRecordsWithPerRecordErrors() async throws {
        let server = try start()
        defer { server.stop() }
        let client = Client(server)
        let records: [[String: Any]] = [
            ["External_Id__c": "x1", "LastName": "A", "Company": "C", "Email": "not-an-email"],
            ["External_Id__c": "x2", "LastName": "B", "Company": "C", "Status": "Maybe"],
            ["External_Id__c": "x3", "LastName": "C", "Company": "C", "FirstName": String(repeating: "y", count: 41)],
            ["External_Id__c": "x4", "Company": "C"],
            ["External_Id__c": "x5", "LastName": "Fine", "Company": "C"],
        ]
        let reply = try await client.send("PATCH", upsertPath, headers: auth, json: ["records": records])
        #expect(reply.status == 200)
        let results = reply.array.compactMap { $0 as? [String: Any] }
        let codes = results.map { (($0["errors"] as? [[String: Any]])?.first?["statusCode"] as? String) ?? "ok" }
        #expect(
            codes == [
                "INVALID_EMAIL_ADDRESS", "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST", "STRING_TOO_LONG",
                "REQUIRED_FIELD_MISSING", "ok",
            ])
        let message = (results[0]["errors"] as? [[String: Any]])?.first?["message"] as? String
        #expect(message == "Email: invalid email address: not-an-email")
        #expect(server.recordCount(object: "Lead") == 31)

        let rolledBack = try await client.send(
            "PATCH", upsertPath, headers: auth,
            json: ["allOrNone": true, "records": [records[0], ["External_Id__c": "x6", "LastName": "Z", "Company": "C"]]])
        let rollback = rolledBack.array.compactMap { $0 as? [String: Any] }
        let lastCode = (rollback[1]["errors"] as? [[String: Any]])?.first?["statusCode"] as? String
        #expect(lastCode == "ALL_OR_NONE_OPERATION_ROLLED_BACK")
        #expect(server.recordCount(object: "Lead") == 31)

        let tooMany = (0..<201).map { ["External_Id__c": "bulk-\($0)", "LastName": "L", "Company": "C"] }
        let refused = try await client.send("PATCH", upsertPath, headers: auth, json: ["records": tooMany])
        #expect(refused.status == 400)
        #expect((refused.array.first as? [String: Any])?["errorCode"] as? String == "EXCEEDED_ID_LIMIT")
    }

    @Test func answers403RequestLimitExceededOverTheAllocation() async throws {
        let limits = try Fixtures.limits(.salesforce).overriding(
            bucket: "org", requests: nil, dailyQuota: 3, maxConcurrency: nil)
        let server = try start { $0.rateLimits = limits }
        defer { server.stop() }
        let client = Client(server)
        for used in 1...3 {
            let reply = try await client.send("GET", queryPath("SELECT Id FROM Lead LIMIT 1"), headers: auth)
            #expect(reply.status == 200)
            #expect(reply.header("Sforce-Limit-Info") == "api-usage=\(used)/3")
        }
        let refused = try await client.send("GET", queryPath("SELECT Id FROM Lead LIMIT 1"), headers: auth)
        #expect(refused.status == 403)
        #expect((refused.array.first as? [String: Any])?["errorCode"] as? String == "REQUEST_LIMIT_EXCEEDED")
        #expect(refused.header("Sforce-Limit-Info") == "api-usage=3/3")
        try await client.faults(["failNext": 1, "errorStatus": 503])
        let unavailable = try await client.send("GET", "/services/data", headers: auth)
        #expect(unavailable.status == 503)
    }
}
