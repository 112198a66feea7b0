import Foundation
import MapDSL
import Testing

/// Paths and texts shared by the review tests: the repository's schemas and samples, and a fixed
/// copy of the contacts-to-leads mapping so goldens do not move when the sample mapping is edited.
enum Fixtures {
    /// The repository root.
    static let root: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()

    static var schemas: SchemaDirectory { SchemaDirectory(root: root + "/schemas") }

    static func text(_ relative: String) -> String {
        String(decoding: FileManager.default.contents(atPath: root + "/" + relative) ?? Data(), as: UTF8.self)
    }

    /// The HubSpot contact samples (messy on purpose).
    static var contacts: String { text("samples/hubspot/contact.jsonl") }

    static let leadsMapping = """
        # generated-by: mapc-gen 0.1
        # model: test-model
        # prompt-hash: abc123
        # HubSpot contacts become Salesforce leads, upserted on the HubSpot record id.
        mapping hubspot.contact -> salesforce.Lead
        key HubSpot_Contact_Id__c
        skip when blank(email)

        HubSpot_Contact_Id__c = hs_object_id
        Account__c            = lookup(salesforce.Account, Name == trim(company))?.Id
        Company               = null_if_blank(trim(company)) ?? "Unknown"
        Description           = "Created in HubSpot on " + to_string(to_date(createdate))
        Email                 = lower(trim(email))
        FirstName             = truncate(trim(firstname), 40)
        HasOptedOutOfEmail    = hs_email_optout ?? false
        LastName              = truncate(null_if_blank(trim(lastname)) ?? "Unknown", 80)
        LeadSource            = if blank(hs_analytics_source) then "Marketing Site" else "Web"
        Phone                 = truncate(trim(phone), 40)
        Status                = match lifecyclestage {
            "marketingqualifiedlead" => "Working - Contacted"
            _ => "Open - Not Contacted"
        }
        Title                 = truncate(trim(jobtitle), 128)

        """

    static func check(_ text: String, path: String = "contacts-to-leads.map", schemas: SchemaProvider = Fixtures.schemas)
        -> CheckResult
    {
        Checker.check(SourceText(path: path, text: text), schemas: schemas)
    }

    static func compile(_ text: String, schemas: SchemaProvider = Fixtures.schemas) throws -> CompiledMapping {
        let source = SourceText(path: "contacts-to-leads.map", text: text)
        return try Compiler.compile(Checker.check(source, schemas: schemas), text: source)
    }

    /// Salesforce accounts from the samples, served as lookups.
    static func accounts() throws -> InMemoryLookup {
        let schema = try #require(try schemas.schema(platform: "salesforce", object: "Account"))
        let records = InMemoryLookup.records(fromJSONL: text("samples/salesforce/Account.jsonl"), schema: schema).records
        return InMemoryLookup(records: ["salesforce.Account": records])
    }
}

/// Compares `actual` with `Golden/<name>`; `MAPC_RECORD_GOLDEN=1` rewrites the file and fails the
/// test so a recording run never passes by accident.
func assertGolden(_ actual: String, _ name: String, sourceLocation: Testing.SourceLocation = #_sourceLocation) {
    let path = Fixtures.root + "/Tests/MapReviewTests/Golden/" + name
    if ProcessInfo.processInfo.environment["MAPC_RECORD_GOLDEN"] == "1" {
        try? Data(actual.utf8).write(to: URL(fileURLWithPath: path))
        Issue.record("recorded \(name); run again without MAPC_RECORD_GOLDEN=1", sourceLocation: sourceLocation)
        return
    }
    guard let data = FileManager.default.contents(atPath: path) else {
        Issue.record("missing golden file \(name); record it with MAPC_RECORD_GOLDEN=1", sourceLocation: sourceLocation)
        return
    }
    let expected = String(decoding: data, as: UTF8.self)
    guard expected != actual else { return }
    let e = expected.split(separator: "\n", omittingEmptySubsequences: false)
    let a = actual.split(separator: "\n", omittingEmptySubsequences: false)
    var diff = ""
    for i in 0..<max(e.count, a.count) {
        let x = i < e.count ? String(e[i]) : nil
        let y = i < a.count ? String(a[i]) : nil
        if x != y {
            if let x { diff += "- \(i + 1): \(x)\n" }
            if let y { diff += "+ \(i + 1): \(y)\n" }
        }
    }
    Issue.record("\(name) differs from the golden file:\n\(diff)", sourceLocation: sourceLocation)
}
