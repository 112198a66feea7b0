import Crypto
import MapDSL
import Testing

@testable import Adapters

extension AdaptersTestSuite {
    @Suite("Adapter support")
    struct SupportTests {
        @Test("MD5 matches RFC 1321 vectors and Mailchimp's subscriber hash rule")
        func md5() {
            #expect(MD5.hex("") == "d41d8cd98f00b204e9800998ecf8427e")
            #expect(MD5.hex("abc") == "900150983cd24fb0d6963f7d28e17f72")
            #expect(
                MD5.hex("12345678901234567890123456789012345678901234567890123456789012345678901234567890")
                    == "57edf4a22be3c955ac49da2e2107b67a")
            #expect(MailchimpAdapter.subscriberHash("Urist.McVankab@Example.com") == MD5.hex("urist.mcvankab@example.com"))
        }

        @Test("the splitter respects counts, bytes and unique keys, and refuses oversize items")
        func splitter() {
            let items = (0..<10).map { "k\($0 % 7)" } + [String(repeating: "x", count: 50)]
            let plan = BatchSplitter.split(
                items, maxItems: 4, maxPayload: 30, maxItem: 20, envelope: 2, size: { $0.count }, key: { $0 })
            #expect(plan.oversize.count == 1)
            for chunk in plan.chunks {
                #expect(chunk.count <= 4)
                #expect(2 + chunk.map(\.count).reduce(0, +) + chunk.count - 1 <= 30)
                #expect(Set(chunk).count == chunk.count)
            }
            #expect(plan.chunks.flatMap { $0 } == Array(items.prefix(10)))
        }

        @Test("dotted names nest and flatten back")
        func shapes() {
            let nested = JSONShapes.nest([("userId", "u"), ("traits.email", "e"), ("traits.address.city", "c"), ("traits.name", "n")])
            #expect(JSONWriter.compact(nested) == #"{"userId":"u","traits":{"email":"e","address":{"city":"c"},"name":"n"}}"#)
            #expect(JSONShapes.flatten(nested).map(\.0) == ["userId", "traits.email", "traits.address.city", "traits.name"])
        }

        @Test("GA4 rules reject what /mp/collect would drop silently")
        func ga4Rules() {
            #expect(GA4Rules.problems(["client_id": "1", "name": "purchase", "params": ["value": 3]]).isEmpty)
            #expect(GA4Rules.problems(["client_id": "1", "name": "first_visit"]).first?.code == "NAME_RESERVED")
            #expect(GA4Rules.problems(["client_id": "1", "name": "ga_thing"]).first?.code == "NAME_RESERVED")
            #expect(GA4Rules.problems(["client_id": "1", "name": "9lives"]).first?.code == "NAME_INVALID")
            #expect(GA4Rules.problems(["name": "ok"]).first?.code == "VALUE_REQUIRED")
            let long = JSONValue.string(String(repeating: "a", count: 101))
            #expect(GA4Rules.problems(["client_id": "1", "name": "ok", "params": ["p": long]]).first?.code == "VALUE_OUT_OF_BOUNDS")
        }
    }
}
