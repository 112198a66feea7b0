import Foundation
import MapDSL
import Testing

@testable import MapReview

@Suite struct ApprovalGateTests {
    /// Schemas held in memory so a test can change one.
    func schemas(dropping value: String? = nil) throws -> InMemorySchemas {
        let dir = Fixtures.schemas
        var out: [Schema] = []
        for name in ["hubspot.contact", "salesforce.Lead", "salesforce.Account"] {
            let parts = name.split(separator: ".").map(String.init)
            var s = try #require(try dir.schema(platform: parts[0], object: parts[1]))
            if let value, s.object == "Lead" {
                let fields = s.fields.map { f -> Field in
                    var f = f
                    f.values = f.values?.filter { $0 != value }
                    return f
                }
                s = Schema(platform: s.platform, object: s.object, label: s.label, fields: fields)
            }
            out.append(s)
        }
        return InMemorySchemas(out)
    }

    func approve(_ text: String, schemas: SchemaProvider) -> LockEntry {
        Approval.entry(
            for: Fixtures.check(text, schemas: schemas), text: text, approvedBy: "ana", note: nil, at: Date(timeIntervalSince1970: 0),
            dryRun: nil)
    }

    @Test func anApprovedUnchangedMappingPasses() throws {
        let s = try schemas()
        let entry = approve(Fixtures.leadsMapping, schemas: s)
        let v = ApprovalGate.verdict(text: Fixtures.leadsMapping, path: "m.map", key: "m.map", entry: entry, schemas: s)
        #expect(v.isApproved)
        #expect(v.problems.isEmpty)
    }

    @Test func aMissingApprovalIsUnapproved() throws {
        let v = ApprovalGate.verdict(text: Fixtures.leadsMapping, path: "m.map", key: "m.map", entry: nil, schemas: try schemas())
        #expect(v.problems == [.unapproved])
    }

    @Test func aChangedAssignmentIsModifiedNamingTheField() throws {
        let s = try schemas()
        let entry = approve(Fixtures.leadsMapping, schemas: s)
        let edited = Fixtures.leadsMapping.replacingOccurrences(of: "\"Web\"", with: "\"Other\"")
        let v = ApprovalGate.verdict(text: edited, path: "m.map", key: "m.map", entry: entry, schemas: s)
        #expect(!v.isApproved)
        guard case .modified(let diff)? = v.problems.first else {
            Issue.record("expected modified, got \(v.problems)")
            return
        }
        #expect(diff.changedFields == ["LeadSource"])
        #expect(v.problems.first?.summary.contains("LeadSource") == true)
    }

    @Test func whitespaceOnlyEditsStayApproved() throws {
        let s = try schemas()
        let entry = approve(Fixtures.leadsMapping, schemas: s)
        let edited = Fixtures.leadsMapping.replacingOccurrences(of: "Email                 =", with: "Email =")
        #expect(ApprovalGate.verdict(text: edited, path: "m.map", key: "m.map", entry: entry, schemas: s).isApproved)
    }

    @Test func aRemovedPicklistValueIsDriftAndATypeError() throws {
        let entry = approve(Fixtures.leadsMapping, schemas: try schemas())
        let drifted = try schemas(dropping: "Working - Contacted")
        let v = ApprovalGate.verdict(text: Fixtures.leadsMapping, path: "m.map", key: "m.map", entry: entry, schemas: drifted)
        #expect(v.problems.map(\.kind) == ["schema-drifted", "type-error"])
        guard case .schemaDrifted(let object, let role, _, let current?) = v.problems[0],
            case .doesNotTypeCheck(let diagnostics) = v.problems[1]
        else {
            Issue.record("unexpected problems \(v.problems)")
            return
        }
        #expect(object == "salesforce.Lead" && role == .destination && !current.isEmpty)
        #expect(diagnostics.contains { $0.message.contains("Working - Contacted") })
    }

    @Test func verifyThrowsEveryReasonForAFileOnDisk() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("gate-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir + "/mappings", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Data(Fixtures.leadsMapping.utf8).write(to: URL(fileURLWithPath: dir + "/mappings/m.map"))
        let s = try schemas()
        var lock = MappingsLock(root: dir)
        #expect(throws: ApprovalError.self) { try ApprovalGate.verify(mappingPath: "mappings/m.map", lock: lock, schemas: s) }
        lock.entries["mappings/m.map"] = approve(Fixtures.leadsMapping, schemas: s)
        let entry = try ApprovalGate.verify(mappingPath: dir + "/mappings/m.map", lock: lock, schemas: s)
        #expect(entry.approvedBy == "ana")
        do {
            _ = try ApprovalGate.verify(mappingPath: "mappings/missing.map", lock: lock, schemas: s)
            Issue.record("expected a refusal")
        } catch {
            #expect(error.problems.map(\.kind) == ["unreadable"])
        }
    }
}
