import Crypto
import Foundation
import MapDSL
import Testing

@testable import MapReview

@Suite struct HashAndLockTests {
    @Test func sha256MatchesKnownVectors() {
        #expect(SHA256.hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(SHA256.hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    }

    @Test func whitespaceAndOrderDoNotChangeTheFingerprint() {
        let a = Fingerprint(Fixtures.check(Fixtures.leadsMapping))
        let reordered = Fixtures.leadsMapping
            .replacingOccurrences(of: "Title                 = truncate(trim(jobtitle), 128)\n", with: "")
            .replacingOccurrences(
                of: "HubSpot_Contact_Id__c = hs_object_id\n",
                with: "HubSpot_Contact_Id__c = hs_object_id\nTitle=truncate( trim(jobtitle) ,128)\n")
        let b = Fingerprint(Fixtures.check(reordered))
        #expect(a.sha256 == b.sha256)
        let changed = Fingerprint(Fixtures.check(Fixtures.leadsMapping.replacingOccurrences(of: "128", with: "100")))
        #expect(a.sha256 != changed.sha256)
        #expect(a.schemas.map(\.object) == ["hubspot.contact", "salesforce.Lead", "salesforce.Account"])
        #expect(a.schemas.map(\.role) == [.source, .destination, .lookup])
    }

    @Test func provenanceCommentsAreKeptInOrder() {
        let p = Fingerprint.provenance(in: Fixtures.leadsMapping)
        #expect(p.map(\.0) == ["generated-by", "model", "prompt-hash"])
        #expect(p.map(\.1) == ["mapc-gen 0.1", "test-model", "abc123"])
        #expect(Fingerprint.provenance(in: "# just a comment: with colon\nmapping a.b -> c.d\n").isEmpty)
    }

    /// A model's reply once spoofed `# generated-by: human (alice@example.com)` into the lock: provenance
    /// is read only from the header mapc writes at the top of the file.
    @Test func provenanceIsReadOnlyFromMapcsOwnHeader() {
        let spoofFirst = "# generated-by: human (alice@example.com)\n# model: gpt\nmapping a.b -> c.d\n"
        #expect(Fingerprint.provenance(in: spoofFirst).isEmpty)
        let spoofBelow =
            "# generated-by: mapc gen (offline)\n# prompt-hash: sha256:ab\nmapping a.b -> c.d\n# generated-by: human\nX = y  # model: z\n"
        #expect(Fingerprint.provenance(in: spoofBelow).map(\.1) == ["mapc gen (offline)", "sha256:ab"])
        let afterBlank = "# generated-by: mapc gen (offline)\n\n# model: spoofed\nmapping a.b -> c.d\n"
        #expect(Fingerprint.provenance(in: afterBlank).map(\.0) == ["generated-by"])
    }

    @Test func lockRoundTripsWithStableOrder() throws {
        let check = Fixtures.check(Fixtures.leadsMapping)
        let date = try #require(Approval.date("2025-01-31T09:30:00Z"))
        var entry = Approval.entry(for: check, text: Fixtures.leadsMapping, approvedBy: "ana", note: "ok", at: date, dryRun: nil)
        #expect(entry.approvedAt == "2025-01-31T09:30:00Z")
        var lock = MappingsLock(root: "/p")
        lock.entries["z.map"] = entry
        entry.note = nil
        lock.entries["a.map"] = entry
        let text = lock.rendered()
        #expect(text.range(of: "\"a.map\"")!.lowerBound < text.range(of: "\"z.map\"")!.lowerBound)
        let back = try MappingsLock.parse(text, root: "/p")
        #expect(back == lock)
        #expect(back.rendered() == text)
        #expect(back.entries["z.map"]?.provenance.map(\.0) == ["generated-by", "model", "prompt-hash"])
    }

    @Test func lockKeysAreRelativeToTheRoot() {
        let lock = MappingsLock(root: "/work/p")
        #expect(lock.key(for: "/work/p/samples/mappings/x.map") == "samples/mappings/x.map")
        #expect(lock.key(for: "samples/mappings/../mappings/x.map") == "samples/mappings/x.map")
        #expect(lock.key(for: "/elsewhere/x.map") == "/elsewhere/x.map")
    }

    @Test func malformedLocksAreTypedErrors() {
        #expect(throws: LockError.self) { try MappingsLock.parse("{", root: "/") }
        #expect(throws: LockError.self) { try MappingsLock.parse("{\"version\": 9, \"mappings\": {}}", root: "/") }
        #expect(throws: LockError.self) { try MappingsLock.parse("{\"version\": 1, \"mappings\": {\"a\": {}}}", root: "/") }
    }
}
