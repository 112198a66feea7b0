import AdapterSpec
import Adapters
import Foundation
import MapDSL
import Sandbox
import SyncEngine
import Testing

/// A spec's generic adapter against the emulator generated from the same spec.
struct SpecHarness {
    let server: SpecSandboxServer
    let adapter: DeclarativeAdapter

    static func start(_ platform: String, options: AdapterOptions = AdapterOptions(maxRetries: 8)) throws -> SpecHarness {
        let result = try SpecChecker.check(
            path: Repository.root.appendingPathComponent("adapters/\(platform).json").path, root: Repository.root.path)
        let spec = try #require(result.spec, "\(result.rendered())")
        let server = try SpecSandboxServer.start(spec: spec, options: SandboxOptions.project(root: Repository.root))
        var options = options
        options.rateLimitsDirectory = Repository.rateLimits
        options.limiterConfiguration.defaultThrottleWait = 0.3
        let connection = Connection(
            platform: platform, baseURL: server.baseURL, credential: Secret(server.credential), parameters: server.parameters)
        do {
            return SpecHarness(server: server, adapter: try DeclarativeAdapter(spec: spec, connection: connection, options: options))
        } catch {
            server.stop()
            throw error
        }
    }

    func stop() { server.stop() }
}

extension AdaptersTestSuite {
    @Suite("Declarative platforms")
    struct DeclarativeSpecPlatformTests {
        @Test(
            "the conformance suite passes for every spec against its generated emulator", arguments: ["klaviyo", "mailchimp", "intercom"])
        func conformance(_ platform: String) throws {
            let h = try SpecHarness.start(platform)
            defer { h.stop() }
            let server = h.server
            let checks = SpecConformance(adapter: h.adapter, tag: "t", storm: { on in server.setFaults(FaultSwitches(rateLimitStorm: on)) })
                .run()
            #expect(checks.count == 7 * h.adapter.spec.objects.count)
            // Intercom's only lookup is a POST search, which specs do not express: its find check is skipped.
            let skippable: Set<String> = platform == "intercom" ? ["find serves lookups"] : []
            for check in checks {
                let allowed = skippable.contains(check.name) && check.failure?.hasPrefix("skipped") == true
                #expect(check.failure == nil || allowed, "\(check.object): \(check.name): \(check.failure ?? "")")
            }
        }

        @Test("a lookup without a match is nil, not a record made of JSON null (the nil literal is a JSONValue)")
        func lookupOfNobody() throws {
            let h = try SpecHarness.start("klaviyo")
            defer { h.stop() }
            #expect(try h.adapter.find(object: "profile", field: "email", value: "ada.lovelace0@example.com")?["first_name"] == "Ada")
            let nobody = try h.adapter.find(object: "profile", field: "email", value: "nobody-t@example.com")
            #expect(nobody == nil, "\(nobody.map(JSONWriter.compact) ?? "")")
        }

        @Test("a create-only spec (Intercom) refuses upserts, reports repeats as duplicates and reads Unix-second times")
        func createOnly() throws {
            let h = try SpecHarness.start("intercom")
            defer { h.stop() }
            let record = OutboundRecord(key: "crm-new-1", fields: [("external_id", "crm-new-1"), ("email", "new1@example.org")])
            #expect(throws: AdapterError.self) {
                try h.adapter.write(WriteRequest(object: "contact", keyField: "external_id", mode: .upsert, records: [record]))
            }
            let request = WriteRequest(object: "contact", keyField: "external_id", mode: .insertOnly, records: [record])
            #expect(try h.adapter.write(request).map(\.status) == [.created])
            #expect(try h.adapter.write(request).map(\.status) == [.duplicate])
            #expect(h.server.count(object: "contact", field: "external_id", value: "crm-new-1") == 1)
            let page = try h.adapter.fetch(FetchRequest(object: "contact", pageSize: 5))
            #expect(page.records.first?.modified?.hasPrefix("2024-03-09T") == true, "\(page.records.first?.modified ?? "nil")")
        }
    }
}
