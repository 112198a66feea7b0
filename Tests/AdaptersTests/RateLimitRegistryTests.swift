import Foundation
import SyncEngine
import Testing

extension AdaptersTestSuite {
    @Suite("Rate-limit registry")
    struct RateLimitRegistryTests {
        @Test("every shipped file loads", arguments: ["hubspot", "salesforce", "mailchimp", "segment", "ga4"])
        func shipped(_ platform: String) throws {
            let registry = try RateLimitRegistry.load(platform: platform, directory: Repository.rateLimits)
            #expect(registry.platform == platform)
            #expect(registry.rule(method: "GET", path: "/anything/at/all") != nil)
        }

        @Test("rules match like the emulators' routes")
        func matching() throws {
            let registry = try RateLimitRegistry.load(platform: "hubspot", directory: Repository.rateLimits)
            #expect(registry.rule(method: "POST", path: "/crm/v3/objects/contacts/batch/upsert")?.name == "crm.objects.batch")
            #expect(registry.rule(method: "POST", path: "/crm/v3/objects/contacts/search")?.bucket == "search")
            #expect(registry.rule(method: "GET", path: "/crm/v3/objects/contacts")?.batchSize == 100)
            #expect(registry.rule(method: "GET", path: "/crm/v3/properties/contacts")?.name == "crm.properties")
            let salesforce = try RateLimitRegistry.load(platform: "salesforce", directory: Repository.rateLimits)
            #expect(salesforce.dailyReset == .rolling)
            #expect(salesforce.rule(method: "GET", path: "/services/data/v59.0/query")?.name == "query")
            #expect(salesforce.rule(method: "GET", path: "/services/data")?.bucket == "uncounted")
        }

        @Test(
            "broken files give clear errors",
            arguments: [
                ("{", "not valid JSON"),
                (#"{"format": "v2", "platform": "x", "endpoints": []}"#, "unsupported format 'v2'"),
                (#"{"format": "mapc-ratelimits/1", "platform": "x", "endpoints": []}"#, "missing or empty array `endpoints`"),
                (
                    #"{"format": "mapc-ratelimits/1", "platform": "x", "endpoints": [{"name": "a", "method": "GET", "path": "/a", "requests": {"count": 0, "windowSeconds": 1}}]}"#,
                    "endpoint 'a': `requests` must be"
                ),
                (
                    #"{"format": "mapc-ratelimits/1", "platform": "x", "dailyReset": "weekly", "endpoints": [{"name": "a", "method": "GET", "path": "/a"}]}"#,
                    "unknown `dailyReset` 'weekly'"
                ),
                (
                    #"{"format": "mapc-ratelimits/1", "platform": "x", "endpoints": [{"name": "a", "method": "GET", "path": "/a", "bucket": "b", "dailyQuota": 5}, {"name": "c", "method": "*", "path": "/*", "bucket": "b"}]}"#,
                    "shares bucket 'b'"
                ),
            ])
        func errors(_ text: String, _ expected: String) {
            #expect {
                _ = try RateLimitRegistry.parse(text: text, path: "x.json")
            } throws: { error in
                "\(error)".hasPrefix("x.json: invalid rate-limit registry: ") && "\(error)".contains(expected)
            }
        }

        @Test("a missing file names the path and platform")
        func missing() {
            #expect {
                _ = try RateLimitRegistry.load(platform: "nowhere", directory: "/nonexistent")
            } throws: { error in
                "\(error)".contains("/nonexistent/nowhere.json") && "\(error)".contains("no rate limits for 'nowhere'")
            }
        }
    }
}
