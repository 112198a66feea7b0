import Foundation
import MapDSL
import Testing

@testable import MapGen

/// Issue 18, sixth round of honesty guards. Sentences written for these tests, not copied from evals/.
@Suite struct OfflineHonestyGuard6Tests: OfflineReaderTesting {

    @Test func aFieldDescriptionReadAsAConstantIsFlagged() {
        let reasons = review(
            "Phone: the work phone, else the home number if that one is blank.", "phone", #"null_if_blank(Phone) ?? "home number""#)
        #expect(reasons.contains { $0.contains("description of a field") })
    }

    @Test func aQuotedConstantOrOneWithoutAFieldNounIsNotFlagged() {
        // Quoted: the constant is spelled out.
        let quoted = review(
            "Phone: the work phone, else 'home number' if that one is blank.", "phone", #"null_if_blank(Phone) ?? "home number""#)
        #expect(!quoted.contains { $0.contains("description of a field") })
        // No word naming a field at the end: a value.
        let plain = review(
            "Phone: the work phone, else the front desk if that one is blank.", "phone", #"null_if_blank(Phone) ?? "front desk""#)
        #expect(!plain.contains { $0.contains("description of a field") })
    }
}
