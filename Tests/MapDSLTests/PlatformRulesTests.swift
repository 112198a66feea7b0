import Foundation
import TestSupport
import Testing

@testable import MapDSL

/// Destination validation by the platform rules in `platforms/<platform>/fields.json` (issue 15):
/// mapc rejects only what a platform documents refusing, warns where it is unsure, and counts
/// lengths as each platform counts them.
@Suite struct PlatformRulesTests {
    static func field(_ object: String, _ name: String) throws -> Field {
        let parts = object.split(separator: ".").map(String.init)
        let schema = try #require(try Repo.schemas.schema(platform: parts[0], object: parts[1]))
        return try #require(schema.field(name))
    }

    static func violations(_ text: String, _ object: String, _ name: String) throws -> [Violation] {
        OutputValidator.validate([.string(text)], fields: [try field(object, name)])
    }

    static let emoji = "\u{1F642}"

    // MARK: Salesforce

    @Test(arguments: [
        "555-0101 ext. 12", "1-800-FLOWERS", "call after 5pm", "+1 (415) 555-0134 x204", "ask for Maria at reception", "n/a",
    ])
    func salesforcePhoneAcceptsAnyTextUpTo40(phone: String) throws {
        #expect(try Self.violations(phone, "salesforce.Lead", "Phone").isEmpty)
        #expect(try Self.violations(phone, "salesforce.Contact", "MobilePhone").isEmpty)
    }

    @Test func salesforcePhoneOver40UTF16UnitsIsRefused() throws {
        let v = try Self.violations(String(repeating: "5", count: 39) + Self.emoji, "salesforce.Lead", "Phone")
        #expect(v.map(\.code) == [.tooLong] && v.rejects)
        #expect(v.first?.message.contains("41") == true)
    }

    @Test(arguments: ["ann.lee.@example.com", "kenji..sato@example.co.jp", "a..@test.jp", "o'brien@example.ie", "first+tag@example.com"])
    func salesforceEmailAcceptsWhatSalesforceDocuments(email: String) throws {
        #expect(try Self.violations(email, "salesforce.Lead", "Email").isEmpty)
    }

    @Test(arguments: ["x@my_domain.com", ".a@test.jp", "mailto:kenji.sato@kazerobotics.jp", "a b@example.com", "maria@@gmail.com", "john@"])
    func salesforceEmailRefusesWhatSalesforceRefuses(email: String) throws {
        let v = try Self.violations(email, "salesforce.Lead", "Email")
        #expect(v.map(\.code) == [.invalidEmail] && v.rejects, "\(v)")
    }

    @Test(arguments: ["pedro@gmail", "zoë.müller@exämple.de", "\"quoted name\"@example.com", "a@b.c"])
    func salesforceEmailWarnsWhereSalesforceDoesNotSay(email: String) throws {
        let v = try Self.violations(email, "salesforce.Lead", "Email")
        #expect(v.map(\.code) == [.invalidEmail] && !v.rejects, "\(v)")
    }

    @Test func salesforceCountsUTF16CodeUnits() throws {
        let name = String(repeating: "A", count: 39) + Self.emoji
        #expect(name.count == 40 && name.utf16.count == 41)
        let v = try Self.violations(name, "salesforce.Lead", "FirstName")
        #expect(v.map(\.code) == [.tooLong] && v.rejects)
        #expect(v.first?.message == "`FirstName` allows at most 40 UTF-16 code units, but the value has 41")
        #expect(try Self.violations(String(repeating: "A", count: 38) + Self.emoji, "salesforce.Lead", "FirstName").isEmpty)
    }

    // MARK: Other platforms

    @Test func hubspotPhoneOnlyWarns() throws {
        let v = try Self.violations("call after 5pm", "hubspot.contact", "phone")
        #expect(v.map(\.code) == [.invalidPhone] && !v.rejects)
    }

    @Test func hubspotEmailRefusesOnlyWhatNoMailSystemAccepts() throws {
        #expect(try Self.violations("no-at-sign.example.com", "hubspot.contact", "email").rejects)
        #expect(try Self.violations("a@.example.com", "hubspot.contact", "email").rejects)
        let doubtful = try Self.violations("x@my_domain.com", "hubspot.contact", "email")
        #expect(!doubtful.isEmpty && !doubtful.rejects)
        #expect(try Self.violations("ann@example.com", "hubspot.contact", "email").isEmpty)
    }

    @Test func uncertainUnitRejectsOnlyWhatIsTooLongInCharacters() throws {
        // Mailchimp does not document its unit: bytes are assumed (a warning), characters decide rejection.
        let f = try Self.field("mailchimp.member", "merge_fields.FNAME")
        #expect(f.rules.length == LengthRule(unit: .utf8, documented: false, source: f.rules.length.source))
        let overInBytes = String(repeating: "é", count: 200)
        let warned = OutputValidator.validate([.string(overInBytes)], fields: [f])
        #expect(warned.map(\.code) == [.tooLong] && !warned.rejects)
        let overInCharacters = String(repeating: "é", count: 256)
        #expect(OutputValidator.validate([.string(overInCharacters)], fields: [f]).rejects)
    }

    @Test func segmentChecksNoTraitForm() throws {
        #expect(try Self.violations("not an email", "segment.identify", "traits.email").isEmpty)
        #expect(try Self.violations("n/a", "segment.identify", "traits.phone").isEmpty)
    }

    @Test func ga4EventNamesFollowTheDocumentedPattern() throws {
        #expect(try Self.violations("sign_up", "ga4.event", "name").isEmpty)
        for bad in ["sign-up", "1st_visit", "ga_custom", "firebase_x"] {
            let v = try Self.violations(bad, "ga4.event", "name")
            #expect(v.map(\.code) == [.invalidName] && v.rejects, "\(bad)")
        }
    }

    // MARK: The checker, the dry-run and the validator agree

    static func checked(_ assignment: String) -> [Diagnostic] {
        let text = """
            mapping hubspot.contact -> salesforce.Lead
            key HubSpot_Contact_Id__c
            HubSpot_Contact_Id__c = hs_object_id
            Company = "Acme"
            LastName = "Lee"
            Status = "Open - Not Contacted"
            \(assignment)
            """
        return Checker.check(SourceText(path: "t.map", text: text), schemas: Repo.schemas).diagnostics
    }

    @Test func checkerAndDryRunRefuseAndWarnAlike() throws {
        #expect(Self.checked(#"Phone = "call after 5pm""#).isEmpty)
        #expect(Self.checked(#"Email = "ann.lee.@example.com""#).isEmpty)
        #expect(Self.checked(#"Email = "x@my_domain.com""#).map(\.code) == [.invalidLiteral])
        #expect(Self.checked(#"Email = "pedro@gmail""#).map(\.code) == [.literalMayBeRefused])
        #expect(Self.checked(#"FirstName = "\#(String(repeating: "A", count: 39))\#(Self.emoji)""#).map(\.code) == [.literalTooLong])

        let text = """
            mapping hubspot.contact -> salesforce.Lead
            key HubSpot_Contact_Id__c
            HubSpot_Contact_Id__c = hs_object_id
            Company = "Acme"
            LastName = "Lee"
            Status = "Open - Not Contacted"
            Email = email
            Phone = phone
            """
        let m = try Compiler.compile(SourceText(path: "t.map", text: text), schemas: Repo.schemas)
        let samples = """
            {"hs_object_id": "1", "email": "x@my_domain.com", "phone": "1-800-FLOWERS"}
            {"hs_object_id": "2", "email": "pedro@gmail", "phone": "call after 5pm"}
            {"hs_object_id": "3", "email": "ann.lee.@example.com", "phone": "555-0101 ext. 12"}
            """
        let r = DryRun.run(m, samples: samples, mappingPath: "t.map", samplesPath: "s.jsonl")
        #expect(r.mapped == 2 && r.rejected == 1 && r.warned == 1)
        #expect(r.rejections.map(\.code) == ["V0704"] && r.rejections.first?.examples.first?.line == 1)
        #expect(r.warnings.map(\.code) == ["V0704"] && r.warnings.first?.examples.first?.line == 2)
    }

    // MARK: The rules files

    @Test func everyPlatformHasARulesFileWhoseRulesCiteTheirSource() throws {
        let platforms = try FileManager.default.contentsOfDirectory(atPath: Repo.path("schemas")).sorted()
        #expect(platforms.count == 7)
        for p in platforms {
            let rules = try #require(try Repo.schemas.rules(platform: p), "platforms/\(p)/fields.json is missing")
            #expect(rules.platform == p)
            #expect(rules.length.source?.url.hasPrefix("https://") == true)
            for (kind, rule) in rules.kinds {
                #expect(rule.source?.url.hasPrefix("https://") == true && rule.source?.says.isEmpty == false, "\(p) \(kind)")
            }
            for (name, own) in rules.fields {
                #expect(own.value?.source != nil || own.length?.source != nil, "\(p) \(name)")
            }
        }
    }

    @Test func malformedRulesAreReportedWithTheirPlace() {
        let cases: [(String, String)] = [
            (#"{"format": "mapc-platform-fields/1", "platform": "x", "rules": {}}"#, "`rules` has no `length`"),
            (
                #"{"format": "mapc-platform-fields/1", "platform": "x", "rules": {"length": {"unit": "bytes", "documented": true, "source": {"url": "u", "says": "s"}}}}"#,
                "`rules.length.unit` must be one of"
            ),
            (
                #"{"format": "mapc-platform-fields/1", "platform": "x", "rules": {"length": {"unit": "utf8", "documented": true}}}"#,
                "needs a `source`"
            ),
            (
                #"{"format": "mapc-platform-fields/1", "platform": "x", "rules": {"length": {"unit": "utf8", "documented": true, "source": {"url": "u", "says": "s"}}, "email": {"check": "regex", "source": {"url": "u", "says": "s"}}}}"#,
                "`rules.email.check` must be one of"
            ),
            (#"{"format": "other", "platform": "x", "rules": {}}"#, "`format` must be"),
        ]
        for (text, message) in cases {
            #expect(throws: SchemaError.self) { try PlatformRulesLoader.load(text: text, path: "f.json") }
            do {
                _ = try PlatformRulesLoader.load(text: text, path: "f.json")
            } catch {
                #expect(error.message.contains(message), "\(error.message)")
            }
        }
    }

    @Test func aSchemaDirectoryWithoutRulesGetsCautiousDefaults() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("mapc-rules-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir + "/schemas/salesforce", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try FileManager.default.copyItem(atPath: Repo.path("schemas/salesforce/Lead.json"), toPath: dir + "/schemas/salesforce/Lead.json")
        let lead = try #require(try SchemaDirectory(root: dir + "/schemas").schema(platform: "salesforce", object: "Lead"))
        let phone = try #require(lead.field("Phone"))
        #expect(phone.rules.value?.severity == .warn)
        #expect(phone.rules.length.unit == .characters)
        #expect(!OutputValidator.validate([.string("call after 5pm")], fields: [phone]).rejects)
    }
}

/// `truncate` and `length` count in the destination field's unit and never cut inside a character.
@Suite struct LengthUnitTests {
    static let emoji = "\u{1F642}"

    static func compile(_ body: String, to destination: String = "salesforce.Lead") throws -> CompiledMapping {
        let text = """
            mapping hubspot.contact -> \(destination)
            key HubSpot_Contact_Id__c
            HubSpot_Contact_Id__c = hs_object_id
            Company = "Acme"
            LastName = "Lee"
            Status = "Open - Not Contacted"
            \(body)
            """
        return try Compiler.compile(SourceText(path: "t.map", text: text), schemas: Repo.schemas)
    }

    static func map(_ mapping: CompiledMapping, _ record: JSONValue) throws -> [String: Value] {
        guard case .mapped(let values) = mapping.evaluate(json: record, frame: mapping.makeFrame()) else {
            Issue.record("not mapped")
            return [:]
        }
        return Dictionary(uniqueKeysWithValues: zip(mapping.outputFields.map(\.name), values))
    }

    @Test func truncateFirstnameTo40FitsSalesforce() throws {
        let m = try Self.compile("FirstName = truncate(firstname, 40)")
        let name = String(repeating: "A", count: 39) + Self.emoji
        let out = try Self.map(m, .object([("hs_object_id", "1"), ("firstname", .string(name))]))
        #expect(out["FirstName"] == .string(String(repeating: "A", count: 39)))
        #expect(OutputValidator.validate(m.outputFields.map { out[$0.name] ?? .null }, fields: m.outputFields).isEmpty)
        // The byte-level evaluator (mapc run's fast path) cuts the same way.
        let mapper = RecordMapper(mapping: m)
        let line = Array(#"{"hs_object_id": "1", "firstname": "\#(name)"}"#.utf8)
        guard case .mapped(let json, _) = mapper.map(line: line) else {
            Issue.record("not mapped")
            return
        }
        #expect(json.contains(#""FirstName":"\#(String(repeating: "A", count: 39))""#))
    }

    @Test func lengthCountsInTheDestinationUnitUnlessTold() throws {
        let m = try Self.compile(
            """
            NumberOfEmployees = length(firstname)
            Title = to_string(length(firstname, "characters"))
            """)
        let out = try Self.map(m, .object([("hs_object_id", "1"), ("firstname", .string("Zoë" + Self.emoji))]))
        #expect(out["NumberOfEmployees"] == .int(5))
        #expect(out["Title"] == .string("4"))
    }

    @Test func skipRulesCountInThePlatformUnit() throws {
        let text = """
            mapping hubspot.contact -> salesforce.Lead
            key HubSpot_Contact_Id__c
            skip when length(firstname) > 2
            HubSpot_Contact_Id__c = hs_object_id
            Company = "Acme"
            LastName = "Lee"
            Status = "Open - Not Contacted"
            """
        let m = try Compiler.compile(SourceText(path: "t.map", text: text), schemas: Repo.schemas)
        let r = m.evaluate(json: .object([("hs_object_id", "1"), ("firstname", .string("A" + Self.emoji))]), frame: m.makeFrame())
        guard case .skipped = r else {
            Issue.record("A + emoji is 3 UTF-16 code units: skipped, got \(r)")
            return
        }
    }

    @Test func anUnknownUnitIsALiteralError() {
        let result = Checker.check(
            SourceText(
                path: "t.map",
                text: """
                    mapping hubspot.contact -> salesforce.Lead
                    key HubSpot_Contact_Id__c
                    HubSpot_Contact_Id__c = hs_object_id
                    Company = "Acme"
                    LastName = "Lee"
                    Status = "Open - Not Contacted"
                    FirstName = truncate(firstname, 40, "", "bytes")
                    """), schemas: Repo.schemas)
        #expect(result.diagnostics.contains { $0.code == .invalidLiteral && $0.message.contains("unknown unit \"bytes\"") })
    }

    /// Texts whose characters are several code points, or outside the BMP.
    static let texts = [
        "AAAA", "Zoë", "Zoe\u{308}", "e\u{301}e\u{301}e\u{301}", "\u{1F468}\u{200D}\u{1F469}\u{200D}\u{1F467}x",
        "\u{1F1E9}\u{1F1EA}\u{1F1EB}\u{1F1F7}", "\u{1F44D}\u{1F3FD}ok", "\u{20B9F}\u{20B9F}", "a\r\nb", "日本語のテキスト",
        String(repeating: "A", count: 39) + emoji,
    ]

    @Test(arguments: LengthUnit.allCases)
    func truncateCutsBetweenCharactersAndFits(unit: LengthUnit) {
        var cases = 0
        for text in Self.texts {
            for max in 0...(unit.count(text) + 1) {
                for suffix in ["", "…"] {
                    let cut = Text.truncate(text, max, suffix, unit: unit)
                    cases += 1
                    #expect(unit.count(cut) <= Swift.max(max, 0), "\(unit) \(text.debugDescription) \(max) → \(cut.debugDescription)")
                    let kept = suffix.isEmpty || !cut.hasSuffix(suffix) || cut == text ? cut : String(cut.dropLast(suffix.count))
                    // The kept part is whole characters of the text: a prefix of its character sequence.
                    #expect(Array(text).starts(with: Array(kept)), "\(unit) \(text.debugDescription) \(max) → \(cut.debugDescription)")
                    if unit.count(text) <= max { #expect(cut == text) }
                }
            }
        }
        #expect(cases > 100)
    }

    @Test func countsAreOrderedCharactersScalarsUTF16Bytes() {
        for text in Self.texts {
            let c = LengthUnit.allCases.map { $0.count(text) }
            #expect(c == c.sorted(), "\(text.debugDescription): \(c)")
        }
    }
}
