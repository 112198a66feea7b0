import Foundation
import MapDSL
import TestSupport
import Testing

/// Every diagnostic code has a fixture that produces it, and its rendering is pinned by a golden file.
@Suite struct DiagnosticGoldenTests {
    static let fixtureDir = "Tests/MapDSLTests/Fixtures/diagnostics"

    static var fixtures: [String] {
        Listing.files(in: Repo.path(fixtureDir), suffix: ".map").map { Listing.isMissing($0) ? $0 : String($0.dropLast(4)) }
    }

    @Test(arguments: DiagnosticCode.allCases)
    func everyCodeHasAFixture(code: DiagnosticCode) {
        #expect(Self.fixtures.contains(code.rawValue), "add \(Self.fixtureDir)/\(code.rawValue).map")
    }

    @Test(arguments: fixtures)
    func fixtureProducesItsCodeAndMatchesGolden(name: String) throws {
        try #require(!Listing.isMissing(name), "\(name)")
        let path = "\(Self.fixtureDir)/\(name).map"
        // As `mapc` reads a mapping: bytes (E0105's fixture is not UTF-8).
        let bytes = try #require(FileManager.default.contents(atPath: Repo.path(path)))
        let source = SourceText(path: "\(name).map", bytes: Array(bytes))
        let result = Checker.check(source, schemas: Repo.schemas)
        #expect(result.diagnostics.contains { $0.code.rawValue == name }, "\(name).map does not produce \(name)")
        var rendered = DiagnosticRenderer().render(result.diagnostics, in: source)
        rendered += "\n--- json ---\n"
        rendered += JSONWriter.pretty(.array(result.diagnostics.map { DiagnosticRenderer.json($0, in: source) }))
        Golden.check(rendered, path: "Tests/MapDSLTests/Golden/diagnostics/\(name).txt")
    }

    @Test func codesAreUniqueAndSorted() {
        let codes = DiagnosticCode.allCases.map(\.rawValue)
        #expect(Set(codes).count == codes.count)
        #expect(codes == codes.sorted())
    }

    @Test func everyCodeIsDocumented() throws {
        let doc = try Repo.read("docs/dsl.md")
        for code in DiagnosticCode.allCases {
            let mentions = doc.components(separatedBy: code.rawValue).count - 1
            #expect(mentions >= 2, "\(code.rawValue) must appear in the table and in the explanations of docs/dsl.md")
        }
    }

    @Test func severalErrorsInOneRun() throws {
        let text = """
            mapping hubspot.contact -> salesforce.Lead
            key HubSpot_Contact_Id__c
            HubSpot_Contact_Id__c = hs_object_id
            Company = compnay ?? "Unknown"
            LastName = lastname
            Status = "Opn"
            Email = lower(emial
            Title = jobtitle
            """
        let result = Fixtures.check(text)
        let codes = Set(result.diagnostics.map(\.code))
        #expect(codes.isSuperset(of: [.unknownSourceField, .optionalIntoRequired, .picklistValueNotAllowed, .unclosedDelimiter]))
    }

    @Test func suggestionsForTypos() {
        let result = Fixtures.check(
            """
            mapping hubspot.contact -> salesforce.Lead
            key HubSpot_Contact_Id__c
            HubSpot_Contact_Id__c = hs_object_id
            Company = company ?? "Unknown"
            LastName = lastnmae ?? "Unknown"
            Status = "Open - Not Contacted"
            Titel = jobtitle
            """)
        let helps = result.diagnostics.compactMap(\.help)
        #expect(helps.contains("did you mean `lastname`?"))
        #expect(helps.contains("did you mean `Title`?"))
    }
}
