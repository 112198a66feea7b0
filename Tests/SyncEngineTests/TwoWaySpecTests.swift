import Foundation
import MapDSL
import Testing

@testable import SyncEngine

@Suite struct TwoWaySpecTests {
    static let good = """
        {
          "kind": "two-way",
          "name": "people",
          "left": { "platform": "salesforce", "object": "Contact" },
          "right": { "platform": "mailchimp", "object": "member", "stableId": "contact_id" },
          "mappings": { "leftToRight": "a.map", "rightToLeft": "b.map" },
          "identity": [
            { "left": "Email", "right": "email_address", "match": "email" },
            { "left": "Phone", "right": "merge_fields.PHONE", "match": "digits" }
          ],
          "conflicts": {
            "default": "last-writer-wins",
            "clockSkewSeconds": 90,
            "fields": { "Email": "salesforce wins", "merge_fields.PHONE": "review", "LastName": "mailchimp wins" }
          }
        }
        """

    @Test func readsEverySetting() throws {
        let spec = try TwoWaySpec.parse(Self.good, name: "x", path: "people.json")
        #expect(spec.name == "people")
        #expect(spec.left.qualifiedName == "salesforce.Contact" && spec.right.qualifiedName == "mailchimp.member")
        #expect(spec.rightStableId == "contact_id")
        #expect(spec.identity.map(\.name) == ["Email=email_address", "Phone=merge_fields.PHONE"])
        #expect(spec.identity[1].match == .digits)
        #expect(spec.defaultPolicy == .lastWriterWins && spec.clockSkewSeconds == 90)
        #expect(spec.fieldPolicies["Email"] == .wins(.left))
        #expect(spec.fieldPolicies["LastName"] == .wins(.right))
        #expect(spec.policy(for: ["merge_fields.PHONE", "Phone"]) == .review)
        #expect(spec.policy(for: ["merge_fields.FNAME"]) == .lastWriterWins)
    }

    @Test func reportsEveryProblemWithItsLine() {
        let text = """
            {
              "kind": "two-way",
              "left": { "platform": "salesforce", "object": "Contact" },
              "right": { "platform": "mailchimp" },
              "mappigns": { "leftToRight": "a.map" },
              "identity": [ { "left": "Email", "right": "email_address", "match": "emial" } ],
              "conflicts": {
                "default": "last-writer-wins",
                "fields": { "Email": "salesforce win" }
              }
            }
            """
        #expect {
            try TwoWaySpec.parse(text, name: "bad", path: "bad.json")
        } throws: { error in
            let text = (error as? TwoWaySpecError)?.description ?? ""
            return text.contains("bad.json:4:12: error: `right.object` must be an object name")
                && text.contains("bad.json:5:15: error: unknown setting `mappigns`")
                && text.contains("help: did you mean `mappings`?")
                && text.contains("bad.json:6:71: error: `match` must be one of email, digits, text, exact")
                && text.contains("help: did you mean `email`?")
                && text.contains("bad.json:9:26: error: unknown conflict policy \"salesforce win\"")
                && text.contains("bad.json:7:16: error: last-writer-wins needs `conflicts.clockSkewSeconds`")
                && text.contains("bad.json:1:1: error: missing object `mappings`")
                && text.hasPrefix("bad.json:1:1")
        }
    }

    @Test func invalidJSONNamesItsLine() {
        #expect {
            try TwoWaySpec.parse("{\n  \"kind\": \"two-way\",\n  oops\n}", name: "bad", path: "bad.json")
        } throws: { error in
            ((error as? TwoWaySpecError)?.description ?? "").hasPrefix("bad.json:3:3: error: not valid JSON")
        }
    }

    @Test func checksFieldNamesAgainstTheSchemas() {
        let schemas: (String, String) -> Schema? = { platform, object in
            platform == "salesforce"
                ? Schema(
                    platform: platform, object: object, fields: [Field(name: "Email", type: .string), Field(name: "Phone", type: .string)])
                : Schema(
                    platform: platform, object: object,
                    fields: [Field(name: "email_address", type: .string), Field(name: "contact_id", type: .string)])
        }
        let text = Self.good.replacingOccurrences(of: "\"left\": \"Phone\"", with: "\"left\": \"Phnoe\"")
        #expect {
            try TwoWaySpec.parse(text, name: "x", path: "p.json", schemas: schemas)
        } throws: { error in
            let text = (error as? TwoWaySpecError)?.description ?? ""
            return text.contains("salesforce.Contact has no field `Phnoe`") && text.contains("did you mean `Phone`?")
                && text.contains("mailchimp.member has no field `merge_fields.PHONE`")
                && text.contains("neither salesforce.Contact nor mailchimp.member has a field `LastName`")
        }
    }

    @Test func identityValuesNormalise() {
        #expect(IdentityMatch.email.normalize(" Ann@X.COM ") == "ann@x.com")
        #expect(IdentityMatch.email.normalize("not an address") == nil)
        #expect(IdentityMatch.digits.normalize("+1 (212) 555-0100") == "2125550100")
        #expect(IdentityMatch.digits.normalize("12-34") == nil)
        #expect(IdentityMatch.text.normalize("  Ann   LEE ") == "ann lee")
        #expect(IdentityMatch.exact.normalize(.null) == nil)
    }
}
