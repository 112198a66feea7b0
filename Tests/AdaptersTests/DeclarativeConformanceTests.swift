import AdapterSpec
import Adapters
import Foundation
import MapDSL
import Sandbox
import SyncEngine
import Testing

/// Conformance cases run through the generic adapter over a spec in `adapters/`.
enum DeclarativeCases {
    /// Mailchimp members through `adapters/mailchimp.json`, against the Mailchimp emulator, with
    /// the built-in adapter's expectations unchanged.
    static let mailchimp: ConformanceCase = {
        var c = ConformanceCase.mailchimp
        c.adapter = "spec:mailchimp"
        return c
    }()

    static let all: [ConformanceCase] = [mailchimp]
}

extension AdaptersTestSuite {
    @Suite("Declarative adapter")
    struct DeclarativeAdapterTests {
        @Test("a job's platform with a spec gets the generic adapter; spec: picks it over a built-in one")
        func factoryHook() throws {
            let h = try Harness.start(.mailchimp, adapter: "spec:mailchimp")
            defer { h.stop() }
            let adapter = try #require(h.adapter as? DeclarativeAdapter)
            #expect(adapter.spec.platform == "mailchimp")
            let builtIn = try Harness.start(.mailchimp)
            defer { builtIn.stop() }
            #expect(builtIn.adapter is MailchimpAdapter)
        }

        @Test("the spec adapter reads what the built-in adapter reads, record for record")
        func sameRecordsAsBuiltIn() throws {
            let spec = try Harness.start(.mailchimp, adapter: "spec:mailchimp")
            defer { spec.stop() }
            let builtIn = try Harness.start(.mailchimp)
            defer { builtIn.stop() }
            func all(_ adapter: any PlatformAdapter) throws -> [String: JSONValue] {
                var out: [String: JSONValue] = [:]
                var cursor: String?
                repeat {
                    let page = try adapter.fetch(FetchRequest(object: "member", cursor: cursor, pageSize: 37))
                    for r in page.records { out[r.id] = r.fields }
                    cursor = page.nextCursor
                } while cursor != nil
                return out
            }
            let a = try all(spec.adapter)
            let b = try all(builtIn.adapter)
            #expect(a.count == b.count && !a.isEmpty)
            #expect(a == b)
        }

        @Test("a Link header's next URL is read; other relations are not")
        func linkHeader() {
            #expect(
                DeclarativeAdapter.nextLink("<https://x.test/a?page=2>; rel=\"next\", <https://x.test/a?page=9>; rel=\"last\"")
                    == "https://x.test/a?page=2")
            #expect(DeclarativeAdapter.nextLink("<https://x.test/a?page=1>; rel=\"prev\"") == nil)
            #expect(DeclarativeAdapter.nextLink("garbage") == nil)
        }
    }
}
