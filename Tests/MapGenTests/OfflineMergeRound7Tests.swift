import Foundation
import MapDSL
import MapGen
import Testing

/// Round 7 after the merge (issue 18): a run-on sentence whose skip clause the skip reader reads still
/// gives the copies its pieces state (the copy-list reader used to stop at any sentence with a skip).
/// The sentences are written for these tests, not copied from evals/; each reading has a near miss.
@Suite struct OfflineMergeRound7Tests: OfflineReaderTesting {
    @Test func aRunOnWithASkipClauseKeepsTheSkipAndReadsItsCopies() {
        let r = generate(
            "hubspot.contact", "segment.identify",
            "Every HubSpot contact should become an identify call whose userId is hs- and then the record ID, and for the traits "
                + "the job title goes into title unchanged, firstName and lastName come straight from first name and last name, "
                + "website is the website, but leave out contacts that have no email address since Segment cannot match those.")
        #expect(r.mapping.contains("skip when blank(email)"))
        #expect(line(r.mapping, "traits.title").contains("= jobtitle"))
        #expect(line(r.mapping, "traits.firstName").contains("= firstname"))
        #expect(line(r.mapping, "traits.lastName").contains("= lastname"))
        #expect(line(r.mapping, "traits.website").contains("= website"))
        // Part of the sentence (the userId) is not read: the copies stay flagged.
        #expect(flagged(line(r.mapping, "traits.title")))
    }

    @Test func aPieceWithAConditionInARunOnWithASkipIsNoPlainCopy() {
        let r = generate(
            "hubspot.contact", "segment.identify",
            "Every HubSpot contact should become an identify call whose userId is hs- and then the record ID, and for the traits "
                + "the job title goes into title unless it is blank, lastName comes straight from last name, but leave out "
                + "contacts that have no email address since Segment cannot match those.")
        #expect(r.mapping.contains("skip when blank(email)"))
        #expect(line(r.mapping, "traits.lastName").contains("= lastname"))
        // "unless it is blank" is more than list glue: no unflagged copy of the job title.
        let title = line(r.mapping, "traits.title")
        #expect(title.isEmpty || flagged(title))
        #expect(!title.contains("= jobtitle "))
    }
}
