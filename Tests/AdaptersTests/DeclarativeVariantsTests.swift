import AdapterSpec
import Adapters
import Foundation
import MapDSL
import Sandbox
import SyncEngine
import Testing

extension AdaptersTestSuite {
    /// The auth, pagination, write-shape and result styles no shipped spec uses, each through the
    /// conformance suite against the emulator generated from a spec of a made-up platform.
    @Suite("Declarative variants")
    struct DeclarativeVariantsTests {
        struct Variant: Sendable, CustomStringConvertible {
            let name: String
            let auth: String
            let pagination: String
            let write: String
            var description: String { name }
        }

        static let variants = [
            Variant(
                name: "oauth2 + Link header + bare array, results in order",
                auth: #"{"type": "oauth2", "tokenPath": "/oauth/token", "clientId": "{client}", "scope": "people"}"#,
                pagination: #"{"type": "linkHeader"}"#,
                write:
                    #"{"method": "POST", "path": "/v1/people/batch", "shape": "array", "results": {"type": "inOrder", "at": "results", "id": "id", "error": "error", "errorCode": "error.code", "errorMessage": "error.message", "errorField": "error.field", "created": "created"}}"#
            ),
            Variant(
                name: "API key in the query + page numbers + wrapped batch, results in order",
                auth: #"{"type": "query", "parameter": "api_key"}"#,
                pagination: #"{"type": "page", "parameter": "page", "first": 1}"#,
                write:
                    #"{"method": "PUT", "path": "/v1/people/batch", "shape": "wrapped", "records": "input.people", "constants": {"input.mode": "upsert"}, "item": {"fieldsAt": "fields", "constants": {"kind": "person"}}, "results": {"type": "inOrder", "at": "output", "id": "id", "error": "problem", "errorCode": "problem.code", "errorMessage": "problem.text", "created": "new"}}"#
            ),
            Variant(
                name: "API key header + offset without a total + one record per request",
                auth: #"{"type": "header", "header": "X-API-Key", "prefix": ""}"#,
                pagination: #"{"type": "offset", "parameter": "skip"}"#,
                write:
                    #"{"method": "PUT", "path": "/v1/people/{key}", "shape": "single", "records": "person", "results": {"type": "status", "created": [201], "updated": [200], "id": "person.id"}}"#
            ),
        ]

        /// A project with a `demo` platform: schema, samples, limits and the spec of `variant`.
        static func project(_ variant: Variant) throws -> String {
            let root = Repository.temporaryDirectory()
            let fm = FileManager.default
            for folder in ["schemas/demo", "samples/demo", "ratelimits", "adapters"] {
                try fm.createDirectory(atPath: "\(root)/\(folder)", withIntermediateDirectories: true)
            }
            try """
            {"platform": "demo", "object": "person", "fields": [
              {"name": "id", "type": "id", "readOnly": true},
              {"name": "email", "type": "string", "format": "email", "maxLength": 120, "unique": true, "externalId": true},
              {"name": "full_name", "type": "string", "maxLength": 80, "required": true},
              {"name": "tier", "type": "picklist", "values": ["free", "pro"]},
              {"name": "changed", "type": "datetime", "readOnly": true}
            ]}
            """.write(toFile: "\(root)/schemas/demo/person.json", atomically: true, encoding: .utf8)
            let rows = (0..<37).map { i in
                #"{"id": "p\#(i)", "email": "person\#(i)@example.com", "full_name": "Person \#(i)", "tier": "free", "changed": "2024-02-\#(String(format: "%02d", 1 + i % 28))T10:00:00Z"}"#
            }
            try (rows.joined(separator: "\n") + "\n").write(toFile: "\(root)/samples/demo/person.jsonl", atomically: true, encoding: .utf8)
            try """
            {"format": "mapc-ratelimits/1", "platform": "demo", "tier": "test", "dailyReset": "none",
             "signal": {"status": 429, "headers": ["Retry-After"]},
             "endpoints": [
              {"name": "batch", "method": "*", "path": "/v1/people/batch", "bucket": "demo", "requests": null, "dailyQuota": null,
               "maxConcurrency": null, "batchSize": 25, "recordBytes": null, "payloadBytes": null},
              {"name": "default", "method": "*", "path": "/*", "bucket": "demo", "requests": null, "dailyQuota": null,
               "maxConcurrency": null, "batchSize": null, "recordBytes": null, "payloadBytes": null}]}
            """.write(toFile: "\(root)/ratelimits/demo.json", atomically: true, encoding: .utf8)
            try """
            {"format": "mapc-adapter/1", "platform": "demo", "parameters": ["client"],
             "auth": \(variant.auth),
             "errors": {"message": "message", "code": "code"},
             "objects": [{"name": "person", "schema": "schemas/demo/person.json", "id": "id", "modifiedField": "changed",
               "list": {"path": "/v1/people", "records": "items", "pageSize": {"parameter": "limit", "max": 50},
                        "pagination": \(variant.pagination), "modifiedSince": {"parameter": "changed_since"}},
               "write": \(variant.write),
               "find": {"path": "/v1/people", "query": {"where": "{field}={value}"}, "records": "items", "fields": ["email"]}}]}
            """.write(toFile: "\(root)/adapters/demo.json", atomically: true, encoding: .utf8)
            return root
        }

        @Test("each variant passes the conformance suite against its generated emulator", arguments: variants)
        func conformance(_ variant: Variant) throws {
            let root = try Self.project(variant)
            defer { try? FileManager.default.removeItem(atPath: root) }
            let checked = try SpecChecker.check(path: root + "/adapters/demo.json", root: root)
            let spec = try #require(checked.spec, "\(checked.rendered())")
            #expect(checked.diagnostics.isEmpty, "\(checked.rendered())")
            let server = try SpecSandboxServer.start(spec: spec, options: SandboxOptions.project(root: URL(fileURLWithPath: root)))
            defer { server.stop() }
            var options = AdapterOptions(rateLimitsDirectory: root + "/ratelimits", maxRetries: 8)
            options.limiterConfiguration.defaultThrottleWait = 0.3
            let connection = Connection(
                platform: "demo", baseURL: server.baseURL, credential: Secret(server.credential), parameters: server.parameters)
            let adapter = try DeclarativeAdapter(spec: spec, connection: connection, options: options)
            let checks = SpecConformance(adapter: adapter, tag: "v", storm: { on in server.setFaults(FaultSwitches(rateLimitStorm: on)) })
                .run()
            #expect(checks.count == 7)
            for check in checks {
                #expect(check.failure == nil, "\(check.name): \(check.failure ?? "")")
            }
            if case .oauth2 = spec.auth {
                // An expired token is answered with 401: the adapter fetches a new one once and goes on.
                server.expireTokens()
                let before = server.requestLog.count
                #expect(try adapter.fetch(FetchRequest(object: "person", pageSize: 5)).records.count == 5)
                let after = server.requestLog.dropFirst(before).map { "\($0.method) \($0.path) \($0.status)" }
                #expect(after == ["GET /v1/people 401", "POST /oauth/token 200", "GET /v1/people 200"], "\(after)")
            }
            // The credential never travels where it should not, and never shows in a failure.
            #expect(
                server.requestLog.allSatisfy { entry in !entry.query.contains { $0.contains(server.credential) } } == !spec.auth.isQuery)
        }
    }
}

extension AdapterSpec.Auth {
    fileprivate var isQuery: Bool {
        if case .query = self { return true }
        return false
    }
}
