import Foundation
import MapDSL
import MapGen
import Testing

@Suite struct OfflineGeneratorTests {
    static let proseFiles: [String] = {
        // An unreadable or empty directory gives one case that names it and fails (reading it),
        // never zero cases that pass.
        let dir = Fixtures.root + "/samples/mappings"
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: dir) else { return ["MISSING-CASES(\(dir) is unreadable)"] }
        let files = names.filter { $0.hasSuffix(".txt") }.sorted()
        return files.isEmpty ? ["MISSING-CASES(no *.txt in \(dir))"] : files
    }()

    @Test(arguments: proseFiles) func everySampleProsePassesTheChecker(_ file: String) throws {
        let text = try String(contentsOfFile: Fixtures.root + "/samples/mappings/" + file, encoding: .utf8)
        let prose = ProseDocument.parse(text)
        let source = Fixtures.schema(try #require(prose.from))
        let destination = Fixtures.schema(try #require(prose.to))
        let result = OfflineGenerator(schemas: Fixtures.schemas).generate(prose: prose, source: source, destination: destination)
        #expect(result.diagnostics.filter { $0.severity == .error }.isEmpty)
        let check = Checker.check(SourceText(path: file, text: result.mapping), schemas: Fixtures.schemas)
        #expect(
            !check.diagnostics.hasErrors,
            "\(DiagnosticRenderer().render(check.diagnostics, in: SourceText(path: file, text: result.mapping)))")
        #expect(result.mapping.hasPrefix("# generated-by: mapc gen (offline)"))
        #expect(result.mapping.contains("confidence "))
        #expect(Formatter.format(check.file) == result.mapping)
    }

    @Test func proseBiasesMatchingAndPicksKeyAndSkip() throws {
        let text = try String(contentsOfFile: Fixtures.root + "/samples/mappings/contacts-to-leads.txt", encoding: .utf8)
        let prose = ProseDocument.parse(text)
        let m = OfflineGenerator(schemas: Fixtures.schemas).generate(
            prose: prose, source: Fixtures.schema("hubspot.contact"), destination: Fixtures.schema("salesforce.Lead")
        ).mapping
        #expect(m.contains("key HubSpot_Contact_Id__c"))
        #expect(m.contains("skip when blank(email)"))
        #expect(m.contains("Title                 = truncate(trim(jobtitle), 128)"))
        #expect(m.contains("\"ORGANIC_SEARCH\", \"PAID_SEARCH\", \"DIRECT_TRAFFIC\" => \"Web\""))
        #expect(m.contains("Account__c            = lookup(salesforce.Account, Name == trim(company))?.Id"))
    }

    @Test func withoutProseItMatchesSynonymsAndDefaultsRequiredFields() throws {
        let result = OfflineGenerator(schemas: Fixtures.schemas).generate(
            prose: ProseDocument(from: nil, to: nil, body: ""), source: Fixtures.schema("salesforce.Contact"),
            destination: Fixtures.schema("mailchimp.member"))
        #expect(!result.diagnostics.hasErrors)
        #expect(result.mapping.contains("merge_fields.FNAME"))
        #expect(result.defaulted == ["status"])
        #expect(result.mapping.contains("REVIEW: required"))
    }

    @Test func vocabularyFoldsCRMSynonyms() {
        #expect(Vocabulary.nameSimilarity("zip", "PostalCode") >= 0.85)
        #expect(Vocabulary.nameSimilarity("jobtitle", "Title") >= 0.85)
        #expect(Vocabulary.nameSimilarity("email", "email_address") >= 0.85)
        #expect(Vocabulary.nameSimilarity("firstname", "given_name") >= 0.85)
        #expect(Vocabulary.nameSimilarity("company", "organization") >= 0.85)
        #expect(Vocabulary.nameSimilarity("phone", "MobilePhone") >= 0.4)
        #expect(Vocabulary.nameSimilarity("email", "City") == 0)
        #expect(Vocabulary.words("HubSpot_Contact_Id__c") == ["hub", "spot", "contact", "id", "c"])
    }
}

@Suite struct PromptAndPruningTests {
    @Test func bigSchemasArePrunedUnderTheCap() {
        var fields: [Field] = []
        for i in 0..<800 {
            fields.append(Field(name: "Custom_Field_\(i)__c", type: i % 3 == 0 ? .decimal : .string, maxLength: 255))
        }
        fields.append(Field(name: "Email", type: .string, maxLength: 80))
        fields.append(Field(name: "LastName", type: .string, nullable: false, required: true, maxLength: 80))
        fields.append(Field(name: "Ext_Key__c", type: .string, unique: true, externalId: true))
        let big = Schema(platform: "salesforce", object: "Huge", fields: fields)
        let source = Fixtures.schema("hubspot.contact")
        let pruner = SchemaPruner(maxFields: 60, maxCharacters: 6000)
        let r = pruner.prune(source: source, destination: big, prose: "Email from email. Put it in Custom_Field_512__c as well.")
        #expect(r.destination.fields.count <= 60)
        #expect(SchemaDigest.render(r.destination, role: .destination).count <= 6000)
        let names = Set(r.destination.fields.map(\.name))
        #expect(names.isSuperset(of: ["Email", "LastName", "Ext_Key__c", "Custom_Field_512__c"]))
        #expect(r.droppedDestination == 803 - r.destination.fields.count)
        #expect(r.source.fields.contains { $0.name == "email" })
        // The pruned prompt stays small.
        let builder = PromptBuilder(templates: Fixtures.templates(), manual: "manual", pruner: pruner)
        let messages = builder.initialMessages(
            prose: ProseDocument(from: nil, to: nil, body: "Email from email."), source: source, destination: big, lookupObjects: [])
        #expect(messages[1].content.count < 30_000)
        #expect(messages[1].content.contains("more writable fields not shown"))
    }

    @Test func promptHasManualSchemasExamplesAndNumberedSentences() {
        let builder = PromptBuilder(templates: Fixtures.templates(), manual: Manual.build(from: nil))
        let m = builder.initialMessages(
            prose: Fixtures.leadsProse, source: Fixtures.schema("hubspot.contact"), destination: Fixtures.schema("salesforce.Lead"),
            lookupObjects: ["salesforce.Account"])
        #expect(m.count == 2)
        #expect(m[0].role == .system && m[0].content.contains("truncate(text: string"))
        #expect(!m[0].content.contains("{{"))
        #expect(!m[1].content.contains("{{"))
        #expect(m[1].content.contains("S2: Email is the trimmed email."))
        #expect(m[1].content.contains("- Status: picklist; REQUIRED"))
        #expect(m[1].content.contains("Example: contacts-to-sf-contacts"))
        let folded = ChatMessage.foldingSystem(m)
        #expect(folded.count == 1 && folded[0].role == .user && folded[0].content.contains("truncate(text: string"))
    }

    @Test func manualFromDocsUsesTheStdlibTable() throws {
        let doc = try String(contentsOfFile: Fixtures.root + "/docs/dsl.md", encoding: .utf8)
        let manual = Manual.build(from: doc)
        for fn in Stdlib.all { #expect(manual.contains("`\(fn.signature)`")) }
        #expect(!manual.contains("<!--"))
        #expect(!manual.contains("## Diagnostics"))
    }

    @Test func examplesPassTheCheckerAndDoNotCopySamples() throws {
        let templates = Fixtures.templates()
        #expect(templates.examples.count >= 2)
        let samples = try FileManager.default.contentsOfDirectory(atPath: Fixtures.root + "/samples/mappings").compactMap {
            try? String(contentsOfFile: Fixtures.root + "/samples/mappings/" + $0, encoding: .utf8)
        }
        for ex in templates.examples {
            let r = Checker.check(SourceText(path: ex.name, text: ex.mapping), schemas: Fixtures.schemas)
            #expect(!r.diagnostics.hasErrors, "\(ex.name)")
            #expect(!samples.contains(ex.prose) && !samples.contains(ex.mapping))
        }
    }
}
