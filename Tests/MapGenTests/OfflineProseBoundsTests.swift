import Foundation
import MapDSL
import Testing

@testable import MapGen

/// The bounds that keep hostile prose from making the offline reader run for minutes (found by
/// `mapc-fuzz --target gen-prose`: a 4 KB run of commas took 28 s, 64 KB of one short sentence repeated took
/// 16 s). What is past a bound is listed as not implemented with the reason, never passed over in silence.
@Suite(.timeLimit(.minutes(2))) struct OfflineProseBoundsTests: OfflineReaderTesting {
    func reasons(_ r: OfflineGenerator.Result, _ sentence: Int) -> String {
        r.trace.notImplemented.first { $0.sentence == sentence }?.reasons.joined(separator: "; ") ?? ""
    }

    @Test func aRunOfCommasIsListedAsTooManyPiecesNotReadForMinutes() {
        let run = "Actually no," + String(repeating: "y no,", count: 400) + " make it 5."
        let r = generate("hubspot.contact", "salesforce.Lead", "Email is the email address. " + run + " Title is jobtitle.")
        #expect(reasons(r, 2).contains("too many pieces to read"), "\(r.trace.notImplemented)")
        #expect(reasons(r, 2).contains("split it"))
        // The sentences around it are read as before.
        #expect(line(r.mapping, "Email").contains("[S1]"), "\(r.mapping)")
        // The sentence not read may change any rule: each is flagged.
        #expect(line(r.mapping, "Email").contains("REVIEW: [S2] was too long to read"), "\(r.mapping)")
        #expect(line(r.mapping, "Title").contains("[S3]"), "\(r.mapping)")
        #expect(!r.mapping.contains("# [S2]"))
    }

    @Test func aSentenceLongerThanTheBoundIsListedWithItsLength() {
        let long = "The title is " + String(repeating: "very ", count: 700) + "long."
        let r = generate("hubspot.contact", "salesforce.Lead", long)
        #expect(reasons(r, 1).contains("too long to read"), "\(r.trace.notImplemented)")
        #expect(!r.mapping.contains("# [S1]"), "\(r.mapping)")
    }

    @Test func sentencesPastTheFiveHundredthAreListedNotRead() {
        let many = "Email is email. " + String(repeating: "Nothing here. ", count: 504) + "Title is jobtitle."
        let r = generate("hubspot.contact", "salesforce.Lead", many)
        #expect(r.trace.sentenceCount == 506)
        #expect(reasons(r, 501).contains("the offline reader reads the first 500"), "\(r.trace.notImplemented.suffix(2))")
        #expect(reasons(r, 506).contains("the offline reader reads the first 500"))
        // Listed, so not read: the rule in the last sentence is not in the mapping.
        #expect(!r.mapping.contains("# [S506]"), "\(r.mapping)")
        // What was not read may change any rule read before it: each is flagged.
        #expect(line(r.mapping, "Email").contains("REVIEW: read up to [S500] of 506"), "\(r.mapping)")
    }

    @Test func realSentencesStayWithinTheBounds() {
        // The longest sentence of the samples has about a thousand characters and twenty-two commas.
        let sentence = (1...22).map { "field \($0)" }.joined(separator: ", ") + " " + String(repeating: "x", count: 800)
        let r = generate("hubspot.contact", "salesforce.Lead", sentence + ".")
        #expect(!reasons(r, 1).contains("too long") && !reasons(r, 1).contains("too many pieces"))
    }

    @Test func theProseLimitIsSixtyFourKibibytesAndItsMessageSaysSo() {
        #expect(ProseDocument.maxBytes == 65_536)
        #expect(
            ProseDocument.tooLargeMessage(path: "big.txt", bytes: 70_000)
                == "'big.txt' is 70000 bytes; a prose description may be at most 64 KiB (65536 bytes)")
    }
}

/// The honesty checks' leave-out patterns are compiled once; every one of them must compile.
@Suite struct HonestyGuardPatternTests {
    @Test func everyLeaveOutPatternCompiles() {
        #expect(HonestyGuard.strongLeaveOutExpressions.count == HonestyGuard.strongLeaveOut.count)
        #expect(HonestyGuard.weakLeaveOutExpressions.count == HonestyGuard.weakLeaveOut.count)
        #expect(HonestyGuard.speaksOfLeavingOut("Leads from the test list must not be synced."))
        #expect(!HonestyGuard.speaksOfLeavingOut("The app didn't send one.", strongOnly: true))
    }
}
