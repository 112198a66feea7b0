import Foundation
import MapDSL
import Testing

@testable import MapGen

/// Issue 18, second round of honesty guards: wrong readings that came out unflagged. Each guard has a
/// sentence it must list (the rule flagged) and a near miss it must leave alone. Every sentence here is
/// written for these tests, not copied from evals/.
@Suite struct OfflineHonestyGuard2Tests: OfflineReaderTesting {
    func reasons(_ r: OfflineGenerator.Result, _ sentence: Int) -> String? {
        r.trace.notImplemented.first { $0.sentence == sentence }?.reasons.joined(separator: "; ")
    }

    /// The mapping line of `field`, if any.
    func line(_ r: OfflineGenerator.Result, _ field: String) -> String? {
        r.mapping.split(separator: "\n").map(String.init).first { $0.hasPrefix(field + " ") }
    }

    // MARK: - "Label: Word", a constant or a source field

    @Test func aBareWordAfterALabelThatIsAlsoASourceFieldIsFlagged() {
        // `company` is a HubSpot field and "Company" could as well be the constant.
        let r = generate("hubspot.contact", "salesforce.Lead", "Lead source: Company.")
        #expect(reasons(r, 1)?.contains("may be the constant") == true)
        #expect(line(r, "LeadSource")?.contains("REVIEW") == true)
    }

    @Test func aBareWordThatIsAPicklistValueOrTheFieldsOwnNameIsNotFlagged() {
        // "Web" is a value of the picklist, no source field: a constant, read whole.
        let r = generate("hubspot.contact", "salesforce.Lead", "Lead source: Web.")
        #expect(reasons(r, 1) == nil)
        #expect(line(r, "LeadSource")?.contains("\"Web\"") == true)
        // The destination's own name on both sides is a copy.
        let same = generate("hubspot.contact", "salesforce.Lead", "City: City.")
        #expect(reasons(same, 1) == nil)
        // The field's name as the schema spells it, into a picklist: a copy.
        let spelled = generate("hubspot.contact", "salesforce.Lead", "Industry: industry.")
        #expect(reasons(spelled, 1) == nil)
        #expect(line(spelled, "Industry")?.contains("REVIEW") == false)
    }

    // MARK: - Conditions in an aside or a restrictive phrase

    @Test func aConditionInAnAsideOrARestrictivePhraseIsListed() {
        // Read end to end: the aside was passed over as an explanation.
        let r = generate("salesforce.Contact", "hubspot.contact", "lifecycle stage is evangelist (when the contact has an account)")
        #expect(reasons(r, 1)?.contains("aside") == true)
        #expect(line(r, "lifecyclestage")?.contains("REVIEW") == true)
        #expect(
            review("Lifecycle stage: evangelist (only if the person reports to a manager).", "lifecyclestage", #""evangelist""#).contains {
                $0.contains("aside")
            })
        #expect(
            review("Lifecycle stage: evangelist for people who have a title.", "lifecyclestage", #""evangelist""#).contains {
                $0.contains("restricts")
            })
    }

    @Test func anAsideThatOnlySaysTheValueMayBeMissingIsNotACondition() {
        let r = generate("salesforce.Contact", "hubspot.contact", "The job title is Title (when known).")
        #expect(reasons(r, 1) == nil)
        #expect(line(r, "jobtitle")?.contains("REVIEW") == false)
        #expect(review("Lifecycle stage: evangelist (if any).", "lifecyclestage", #""evangelist""#).isEmpty)
        #expect(review("Lifecycle stage: evangelist for everyone.", "lifecyclestage", #""evangelist""#).isEmpty)
    }

    // MARK: - A list of fields read as a comparison

    @Test func aQualityReadAsAValueOrAListReadAsAnAssignmentIsListed() {
        let quality = generate("intercom.contact", "hubspot.contact", "Columns copied over: City, Email if it is deliverable.")
        #expect(reasons(quality, 1)?.contains("never holds") == true)
        #expect(reasons(quality, 1)?.contains("describes the value") == true)
        let list = generate("intercom.contact", "hubspot.contact", "Columns copied over: City, Email when it is not empty.")
        #expect(reasons(list, 1)?.contains("list of fields") == true)
        #expect(line(list, "city")?.contains("REVIEW") != false)
    }

    @Test func aComparisonWithAValueTheFieldCanHoldOrANamedValueIsNotFlagged() {
        let source = Fixtures.schema("intercom.contact")
        #expect(HonestyGuard.qualitiesAsValues([], outcome(#"if email == "a@b.co" then "x" else null"#), source: source).isEmpty)
        #expect(!HonestyGuard.qualitiesAsValues([], outcome(#"if email == "checked" then "x" else null"#), source: source).isEmpty)
        // A value clause with a label ("City, from the email") is no list announced by a lead-in.
        let tokens = SentenceTokens("City comes from email, when set.", source: source, destination: Fixtures.schema("hubspot.contact"))
            .tokens
        #expect(HonestyGuard.listItemsAsValue(tokens, outcome("null_if_blank(email)")).isEmpty)
        let listed = SentenceTokens("Fields copied: City, Email.", source: source, destination: Fixtures.schema("hubspot.contact")).tokens
        #expect(!HonestyGuard.listItemsAsValue(listed, outcome("null_if_blank(email)")).isEmpty)
    }

    func outcome(_ value: String) -> SentenceOutcome {
        var o = SentenceOutcome()
        let d = Fixtures.schema("hubspot.contact").field("city")!
        o.assignments = [.init(field: d, value: ReadValue(text: value, kind: .condition), confidence: 0.9, note: "")]
        return o
    }
}
