import Foundation
import MapDSL
import Testing

@Suite struct MappingDiffTests {
    static let edited = Fixtures.leadsMapping
        .replacingOccurrences(
            of: "\"marketingqualifiedlead\" => \"Working - Contacted\"",
            with: "\"marketingqualifiedlead\", \"salesqualifiedlead\" => \"Working - Contacted\""
        )
        .replacingOccurrences(
            of: "key HubSpot_Contact_Id__c\nskip when blank(email)\n",
            with: "key HubSpot_Contact_Id__c\nskip when blank(email) or blank(lastname)\n"
        )
        .replacingOccurrences(of: "Title                 = truncate(trim(jobtitle), 128)\n", with: "")

    func parse(_ text: String) -> MappingFile { Parser.parse(SourceText(path: "m", text: text)).file }

    @Test func semanticDiffListsFieldKeyAndSkipChanges() {
        let d = SemanticDiff.compare(parse(Fixtures.leadsMapping), parse(Self.edited))
        #expect(d.header == nil && d.key == nil)
        #expect(d.skipsRemoved == ["blank(email)"])
        #expect(d.skipsAdded == ["blank(email) or blank(lastname)"])
        #expect(d.fields.map(\.field) == ["Status", "Title"])
        #expect(d.fields.map(\.kind) == [.changed, .removed])
        #expect(d.fields[0].new?.contains("\"salesqualifiedlead\"") == true)
    }

    @Test func reorderingAndReformattingIsNoChange() {
        let reformatted = Formatter.format(parse(Fixtures.leadsMapping))
        #expect(SemanticDiff.compare(parse(Fixtures.leadsMapping), parse(reformatted)).isEmpty)
    }

    @Test func headerAndKeyChangesAreReported() {
        let other = Fixtures.leadsMapping.replacingOccurrences(of: "salesforce.Lead", with: "salesforce.Contact")
            .replacingOccurrences(of: "key HubSpot_Contact_Id__c", with: "key Email")
        let d = SemanticDiff.compare(parse(Fixtures.leadsMapping), parse(other))
        #expect(d.header?.new == "hubspot.contact -> salesforce.Contact")
        #expect(d.key?.old == "HubSpot_Contact_Id__c" && d.key?.new == "Email")
    }

    @Test func behaviouralDiffCountsChangedRecordsPerField() throws {
        let b = BehaviouralDiff.compute(
            old: try Fixtures.compile(Fixtures.leadsMapping), new: try Fixtures.compile(Self.edited), samples: Fixtures.contacts,
            oldLookups: try Fixtures.accounts(), newLookups: try Fixtures.accounts(), samplesPath: "samples/hubspot/contact.jsonl")
        #expect(b.read == 232)
        let status = try #require(b.fields.first { $0.field == "Status" })
        #expect(status.count > 0)
        #expect(status.examples.allSatisfy { $0.before == "\"Open - Not Contacted\"" && $0.after == "\"Working - Contacted\"" })
        let title = try #require(b.fields.first { $0.field == "Title" })
        #expect(title.examples.allSatisfy { $0.after == BehaviouralDiff.absent })
        #expect(b.changed >= status.count)
        let same = BehaviouralDiff.compute(
            old: try Fixtures.compile(Fixtures.leadsMapping), new: try Fixtures.compile(Fixtures.leadsMapping), samples: Fixtures.contacts,
            oldLookups: try Fixtures.accounts(), newLookups: try Fixtures.accounts(), samplesPath: "s")
        #expect(same.isEmpty)
    }

    @Test func diffRenderingsMatchTheGoldens() throws {
        let b = BehaviouralDiff.compute(
            old: try Fixtures.compile(Fixtures.leadsMapping), new: try Fixtures.compile(Self.edited), samples: Fixtures.contacts,
            oldLookups: try Fixtures.accounts(), newLookups: try Fixtures.accounts(), samplesPath: "samples/hubspot/contact.jsonl")
        let d = MappingDiff(
            oldLabel: "old.map", newLabel: "new.map", semantic: SemanticDiff.compare(parse(Fixtures.leadsMapping), parse(Self.edited)),
            behaviour: b)
        let md = d.renderMarkdown()
        #expect(md.contains("| field changed | `Status` |"))
        assertGolden(md, "diff-contacts-to-leads.md")
        assertGolden(d.renderText(), "diff-contacts-to-leads.txt")
        assertGolden(JSONWriter.pretty(d.json), "diff-contacts-to-leads.json")
    }
}
