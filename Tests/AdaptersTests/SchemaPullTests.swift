import Adapters
import Foundation
import HTTPServer
import MapCLI
import MapDSL
import Sandbox
import Testing

extension AdaptersTestSuite {
    /// `mapc schema pull` turns a platform's describe reply into a schema file. The replies here are
    /// written by hand in each platform's wire format (HubSpot's properties API, Salesforce's sObject
    /// describe, as documented by the platforms), served by a live server, and the pulled fields are
    /// compared with attributes written by hand — not with the shipped schema files, from which the
    /// sandbox's describe is itself built (that comparison could not fail for the adapter's reading).
    @Suite("mapc schema pull")
    struct SchemaPullTests {
        static let hubspotProperties = #"""
            {"results": [
              {"name": "hs_object_id", "label": "Record ID", "type": "number", "fieldType": "number",
               "modificationMetadata": {"readOnlyValue": true}, "hasUniqueValue": true},
              {"name": "email", "label": "Email", "type": "string", "fieldType": "text", "hasUniqueValue": true,
               "modificationMetadata": {"readOnlyValue": false}},
              {"name": "lifecyclestage", "label": "Lifecycle Stage", "type": "enumeration", "fieldType": "radio",
               "options": [{"label": "Lead", "value": "lead"}, {"label": "Customer", "value": "customer"}]},
              {"name": "hs_buying_role", "label": "Buying Role", "type": "enumeration", "fieldType": "checkbox",
               "options": [{"label": "Champion", "value": "CHAMPION"}]},
              {"name": "hs_email_optout", "label": "Opted out", "type": "bool", "fieldType": "booleancheckbox"},
              {"name": "num_associated_deals", "label": "Deals", "type": "number", "fieldType": "number",
               "modificationMetadata": {"readOnlyValue": true}},
              {"name": "date_of_birth", "label": "Birthday", "type": "date", "fieldType": "date"},
              {"name": "createdate", "label": "Created", "type": "datetime", "fieldType": "date"},
              {"name": "phone", "label": "Phone", "type": "phone_number", "fieldType": "phonenumber"},
              {"name": "website", "label": "Website", "type": "string", "fieldType": "text"}
            ]}
            """#

        static let salesforceDescribe = #"""
            {"name": "Lead", "label": "Lead", "fields": [
              {"name": "Id", "label": "Lead ID", "type": "id", "nillable": false, "createable": false, "updateable": false, "length": 18},
              {"name": "LastName", "label": "Last Name", "type": "string", "nillable": false, "createable": true, "updateable": true,
               "length": 80, "defaultedOnCreate": false},
              {"name": "Email", "label": "Email", "type": "email", "nillable": true, "createable": true, "updateable": true, "length": 80},
              {"name": "Status", "label": "Status", "type": "picklist", "nillable": false, "createable": true, "updateable": true,
               "defaultedOnCreate": true, "picklistValues": [{"value": "Open - Not Contacted", "active": true},
               {"value": "Retired", "active": false}, {"value": "Working - Contacted", "active": true}]},
              {"name": "HasOptedOutOfEmail", "label": "Email Opt Out", "type": "boolean", "nillable": false, "createable": true,
               "updateable": true},
              {"name": "NumberOfEmployees", "label": "Employees", "type": "int", "nillable": true, "createable": true, "updateable": true},
              {"name": "AnnualRevenue", "label": "Revenue", "type": "currency", "nillable": true, "createable": true, "updateable": true},
              {"name": "OwnerId", "label": "Owner", "type": "reference", "referenceTo": ["User", "Group"], "nillable": false,
               "createable": true, "updateable": true, "defaultedOnCreate": true},
              {"name": "HubSpot_Contact_Id__c", "label": "HubSpot id", "type": "string", "nillable": true, "createable": true,
               "updateable": true, "length": 40, "externalId": true, "unique": true},
              {"name": "CreatedDate", "label": "Created", "type": "datetime", "nillable": false, "createable": false, "updateable": false}
            ]}
            """#

        /// What each field must become, written by hand: type, required, read-only, external id,
        /// format, values, maximum length, reference.
        struct Expected {
            var type: FieldType
            var required = false
            var readOnly = false
            var externalId = false
            var format: FieldFormat?
            var values: [String]?
            var maxLength: Int?
            var references: String?
        }

        static let hubspotExpected: [(String, Expected)] = [
            ("hs_object_id", Expected(type: .id, readOnly: true)),
            ("email", Expected(type: .string, externalId: true, format: .email, maxLength: 65_536)),
            ("lifecyclestage", Expected(type: .picklist, values: ["lead", "customer"])),
            ("hs_buying_role", Expected(type: .multipicklist, values: ["CHAMPION"])),
            ("hs_email_optout", Expected(type: .bool)),
            ("num_associated_deals", Expected(type: .decimal, readOnly: true)),
            ("date_of_birth", Expected(type: .date)),
            ("createdate", Expected(type: .datetime)),
            ("phone", Expected(type: .string, format: .phone, maxLength: 65_536)),
            ("website", Expected(type: .string, format: .url, maxLength: 65_536)),
        ]

        static let salesforceExpected: [(String, Expected)] = [
            ("Id", Expected(type: .id, readOnly: true)),
            ("LastName", Expected(type: .string, required: true, maxLength: 80)),
            ("Email", Expected(type: .string, format: .email, maxLength: 80)),
            ("Status", Expected(type: .picklist, values: ["Open - Not Contacted", "Working - Contacted"])),
            ("HasOptedOutOfEmail", Expected(type: .bool)),
            ("NumberOfEmployees", Expected(type: .int)),
            ("AnnualRevenue", Expected(type: .decimal)),
            ("OwnerId", Expected(type: .id, references: "salesforce.User")),
            ("HubSpot_Contact_Id__c", Expected(type: .string, externalId: true, maxLength: 40)),
            ("CreatedDate", Expected(type: .datetime, readOnly: true)),
        ]

        /// Pulls `object` from a live server answering every request with `reply`.
        static func pull(_ platform: String, _ object: String, reply: String) throws -> Schema {
            var router = Router()
            router.fallback { _ in Response(status: 200, headerFields: [("Content-Type", "application/json")], body: Data(reply.utf8)) }
            let server = try HTTPServer.start(router: router)
            defer { server.stop() }
            let output = Repository.temporaryDirectory() + "/\(object).json"
            let io = CapturedIO()
            let prefix = "MAPC_\(platform.uppercased())_"
            let code = MapCLI.run(
                ["schema", "pull", platform, object, "-o", output], io: io,
                environment: [prefix + "URL": server.baseURL.absoluteString, prefix + "TOKEN": "pull-token-0123"],
                workingDirectory: Repository.root.path)
            #expect(code == 0, "\(io.stderr)")
            #expect(!io.stderr.contains("pull-token-0123") && !io.stdout.contains("pull-token-0123"))
            return try SchemaLoader.load(path: output)
        }

        static func check(_ schema: Schema, _ expected: [(String, Expected)], sourceLocation: Testing.SourceLocation = #_sourceLocation) {
            #expect(schema.fields.map(\.name) == expected.map(\.0), sourceLocation: sourceLocation)
            for (name, want) in expected {
                guard let f = schema.field(name) else {
                    Issue.record("\(name) missing", sourceLocation: sourceLocation)
                    continue
                }
                #expect(f.type == want.type, "\(name): type \(f.type)", sourceLocation: sourceLocation)
                #expect(f.required == want.required, "\(name): required", sourceLocation: sourceLocation)
                #expect(f.readOnly == want.readOnly, "\(name): readOnly", sourceLocation: sourceLocation)
                #expect(f.externalId == want.externalId, "\(name): externalId", sourceLocation: sourceLocation)
                #expect(f.format == want.format, "\(name): format \(String(describing: f.format))", sourceLocation: sourceLocation)
                #expect(f.values == want.values, "\(name): values \(String(describing: f.values))", sourceLocation: sourceLocation)
                #expect(
                    f.maxLength == want.maxLength, "\(name): maxLength \(String(describing: f.maxLength))", sourceLocation: sourceLocation)
                #expect(f.references == want.references, "\(name): references", sourceLocation: sourceLocation)
            }
        }

        @Test("a HubSpot properties reply becomes the fields written by hand")
        func hubspotPull() throws {
            let schema = try Self.pull("hubspot", "contact", reply: Self.hubspotProperties)
            #expect(schema.platform == "hubspot" && schema.object == "contact")
            Self.check(schema, Self.hubspotExpected)
        }

        @Test("a Salesforce describe reply becomes the fields written by hand")
        func salesforcePull() throws {
            let schema = try Self.pull("salesforce", "Lead", reply: Self.salesforceDescribe)
            #expect(schema.platform == "salesforce" && schema.object == "Lead")
            Self.check(schema, Self.salesforceExpected)
        }

        @Test("platforms without a describe endpoint say so")
        func noDescribe() throws {
            let server = try SandboxServer.start(platform: .segment, options: .project(root: Repository.root))
            defer { server.stop() }
            let io = CapturedIO()
            let code = MapCLI.run(
                ["schema", "pull", "segment", "track"], io: io,
                environment: ["MAPC_SEGMENT_URL": server.baseURL.absoluteString, "MAPC_SEGMENT_TOKEN": server.credential],
                workingDirectory: Repository.root.path)
            #expect(code == 3)
            #expect(io.stderr.contains("no describe endpoint"))
        }
    }
}
