import Foundation
import MapDSL
import TestSupport
import Testing

@Suite struct SchemaLoaderTests {
    static let shipped: [String] = {
        let root = Repo.path("schemas")
        let platforms = Listing.files(in: root, suffix: "")
        return platforms.flatMap { p in
            Listing.isMissing(p)
                ? [p]
                : Listing.files(in: "\(root)/\(p)", suffix: ".json").map { Listing.isMissing($0) ? $0 : "\(p)/\(String($0.dropLast(5)))" }
        }
    }()

    @Test func shipsTheRequiredObjects() {
        for name in [
            "hubspot/contact", "hubspot/company", "salesforce/Lead", "salesforce/Contact", "salesforce/Account",
            "mailchimp/member", "segment/identify", "segment/track", "ga4/event",
        ] {
            #expect(Self.shipped.contains(name), "missing schemas/\(name).json")
        }
    }

    @Test(arguments: shipped)
    func shippedSchemaLoadsAndIsConsistent(name: String) throws {
        let schema = try SchemaLoader.load(path: Repo.path("schemas/\(name).json"))
        #expect("\(schema.platform)/\(schema.object)" == name)
        for f in schema.fields {
            if f.required { #expect(!f.nullable, "\(name).\(f.name) is required but nullable") }
            if let r = f.references {
                let parts = r.split(separator: ".").map(String.init)
                #expect(try Repo.schemas.schema(platform: parts[0], object: parts[1]) != nil, "\(name).\(f.name) references unknown \(r)")
            }
        }
        // The schema file round-trips through the model.
        let again = try SchemaLoader.load(json: schema.json, path: name)
        #expect(again == schema)
    }

    @Test func salesforceLeadHasTheRealConstraints() throws {
        let lead = try #require(try Repo.schemas.schema(platform: "salesforce", object: "Lead"))
        #expect(lead.field("LastName")?.required == true)
        #expect(lead.field("Company")?.required == true)
        #expect(lead.field("Email")?.maxLength == 80)
        #expect(lead.field("Email")?.format == .email)
        #expect(lead.field("LeadSource")?.type == .picklist)
        #expect(lead.field("Status")?.type == .picklist)
    }

    static let malformed: [(String, String)] = [
        ("not json", "not valid JSON"),
        ("[]", "top level must be an object"),
        (#"{"object": "X", "fields": []}"#, "`platform`"),
        (#"{"platform": "p", "object": "X"}"#, "missing array `fields`"),
        (#"{"platform": "p", "object": "X", "fields": [{"type": "string"}]}"#, "fields[0] has no string `name`"),
        (#"{"platform": "p", "object": "X", "fields": [{"name": "a", "type": "text"}]}"#, "unknown type `text`"),
        (#"{"platform": "p", "object": "X", "fields": [{"name": "a", "type": "picklist"}]}"#, "lists no `values`"),
        (#"{"platform": "p", "object": "X", "fields": [{"name": "a", "type": "string", "maxLength": -3}]}"#, "positive integer"),
        (#"{"platform": "p", "object": "X", "fields": [{"name": "a", "type": "string", "required": "yes"}]}"#, "true or false"),
        (
            #"{"platform": "p", "object": "X", "fields": [{"name": "a", "type": "string", "required": true, "nullable": true}]}"#,
            "declared nullable"
        ),
        (#"{"platform": "p", "object": "X", "fields": [{"name": "a", "type": "string"}, {"name": "a", "type": "int"}]}"#, "declared twice"),
        (#"{"platform": "p", "object": "X", "fields": [{"name": "a", "type": "string", "format": "postcode"}]}"#, "unknown `format`"),
        (#"{"platform": "p", "object": "X", "fields": [{"name": "a", "type": "int", "values": ["1"]}]}"#, "not a picklist"),
    ]

    @Test(arguments: malformed)
    func malformedSchemasGiveClearErrors(text: String, expected: String) {
        do {
            _ = try SchemaLoader.load(text: text, path: "bad.json")
            Issue.record("expected an error for \(text)")
        } catch {
            #expect(error.description.contains(expected), "\(error.description)")
            #expect(error.description.hasPrefix("bad.json: "))
        }
    }
}
