import Foundation
import Sandbox
import Testing

@Suite struct SandboxStartupTests {
    @Test func everyRateLimitFileParsesAndEndsWithACatchAll() throws {
        for platform in SandboxPlatform.allCases {
            let table = try Fixtures.limits(platform)
            #expect(table.format == "mapc-ratelimits/1")
            #expect(table.platform == platform.rawValue)
            #expect(table.endpoints.last?.path == "/*")
            #expect(table.endpoint(method: "GET", path: "/anything/at/all") != nil)
            var buckets: [String: EndpointLimit] = [:]
            for endpoint in table.endpoints {
                if let first = buckets[endpoint.bucketName] {
                    #expect(first.requests == endpoint.requests, "\(platform) bucket \(endpoint.bucketName)")
                    #expect(first.dailyQuota == endpoint.dailyQuota, "\(platform) bucket \(endpoint.bucketName)")
                    #expect(first.maxConcurrency == endpoint.maxConcurrency, "\(platform) bucket \(endpoint.bucketName)")
                } else {
                    buckets[endpoint.bucketName] = endpoint
                }
            }
        }
        let hubspot = try Fixtures.limits(.hubspot)
        #expect(hubspot.endpoint(method: "POST", path: "/crm/v3/objects/contacts/batch/upsert")?.batchSize == 100)
        #expect(hubspot.endpoint(method: "POST", path: "/crm/v3/objects/contacts/search")?.bucketName == "search")
        let salesforce = try Fixtures.limits(.salesforce)
        #expect(
            salesforce.endpoint(method: "PATCH", path: "/services/data/v59.0/composite/sobjects/Lead/Ext__c")?.batchSize
                == 200)
    }

    @Test func startsAllEmulatorsWithTheProjectSchemas() async throws {
        var options = Fixtures.options()
        options.schemasDirectory = Fixtures.repositoryRoot.appendingPathComponent("schemas")
        let servers = try Sandbox.startAll(options: options)
        defer { servers.values.forEach { $0.stop() } }
        #expect(servers.count == SandboxPlatform.allCases.count)
        #expect(Set(servers.values.map(\.baseURL)).count == servers.count)
        for (platform, server) in servers {
            let health = try await Client(server).send("GET", "/_sandbox/health")
            #expect(health.object["platform"] as? String == platform.rawValue)
        }
        let hubspot = Client(servers[.hubspot]!)
        let describe = try await hubspot.send(
            "GET", "/crm/v3/properties/contacts",
            headers: ["Authorization": "Bearer \(SandboxPlatform.hubspot.defaultCredential)"])
        #expect(describe.status == 200)
        #expect(((describe.object["results"] as? [Any])?.count ?? 0) > 5)
    }

    @Test func reportsUnreadableFilesAsErrors() throws {
        var options = SandboxOptions()
        options.rateLimitsDirectory = URL(fileURLWithPath: "/nonexistent")
        #expect(throws: SandboxError.self) { try SandboxServer.start(platform: .hubspot, options: options) }
    }
}
