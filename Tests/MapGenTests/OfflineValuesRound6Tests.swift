import Foundation
import MapDSL
import MapGen
import Testing

/// Round 6 of the offline reader (issue 18): value maps and conditions read at clause level. Each
/// phrasing class has a sentence written for these tests (not copied from evals/) and a near miss that
/// must not be read, or must be flagged.
@Suite struct OfflineValuesRound6Tests: OfflineReaderTesting {
    // MARK: Value maps with a lead-in and "are"/"is" links

    @Test func valuesAreLinkedByAreWithALeadInNamingTheField() {
        let r = generate(
            "hubspot.contact", "salesforce.Lead",
            "Rating, taken from the lead status: CONNECTED and OPEN_DEAL are Hot, NEW is Warm, all other statuses (including no status) are Cold."
        )
        let text = rule(r.mapping, "Rating")
        #expect(text.contains("match hs_lead_status"))
        #expect(text.contains("\"CONNECTED\", \"OPEN_DEAL\" => \"Hot\""))
        #expect(text.contains("\"NEW\"") && text.contains("=> \"Warm\""))
        #expect(text.contains("_ ") && text.contains("=> \"Cold\""))
        #expect(text.contains("confidence 0.90"))
    }

    @Test func aValueTheFieldDoesNotHoldIsNotReadAsAMap() {
        // "PURPLE" is no lead status: nothing is claimed.
        let r = generate(
            "hubspot.contact", "salesforce.Lead",
            "Rating, taken from the lead status: CONNECTED is Hot, PURPLE is Warm, all other statuses are Cold.")
        #expect(!unflagged(r, "Rating") || !rule(r.mapping, "Rating").contains("PURPLE"))
        #expect(!rule(r.mapping, "Rating").contains("\"PURPLE\" =>") || rule(r.mapping, "Rating").contains("REVIEW"))
    }

    // MARK: A default that keeps the value

    @Test func otherValuesUnchangedKeepTheComparedField() {
        let r = generate(
            "hubspot.contact", "segment.identify",
            "traits.lifecycle_stage = Lifecycle Stage, opportunity → OPP, evangelist → FAN, other stages unchanged")
        let text = rule(r.mapping, "traits.lifecycle_stage")
        #expect(text.contains("\"opportunity\" => \"OPP\""))
        #expect(text.contains("_ ") && text.contains("=> lifecyclestage"))
        #expect(!text.contains("\"unchanged\""))
    }

    @Test func otherAsAPicklistValueBeforeALinkStaysAValue() {
        // "other" is a lifecycle stage; "other → MISC" names it, it is no default.
        let r = generate(
            "hubspot.contact", "segment.identify",
            "traits.lifecycle_stage = Lifecycle Stage, lead → L, other → MISC, anything else unchanged")
        let text = rule(r.mapping, "traits.lifecycle_stage")
        #expect(text.contains("\"other\" => \"MISC\""))
        #expect(text.contains("=> lifecyclestage"))
    }

    // MARK: Side-by-side pairs and the null case

    @Test func sideBySidePairsWithAnUnratedCase() {
        let r = generate(
            "salesforce.Lead", "ga4.event", "params.value is a score from the Rating: Hot 90, Warm 40, Cold 5, unrated 1.")
        let text = rule(r.mapping, "params.value")
        #expect(text.contains("\"Hot\"") && text.contains("=> 90"))
        #expect(text.contains("\"Cold\"") && text.contains("=> 5"))
        #expect(text.contains("blank(Rating)") || text.contains("null"))
        #expect(text.contains("=> 1") || text.contains("then 1"))
    }

    @Test func aPairWithAWordTheReaderDoesNotKnowIsNotClaimed() {
        let r = generate(
            "salesforce.Lead", "ga4.event", "params.value is a score from the Rating: Hot 90, Warm roughly 40, Cold 5.")
        #expect(!unflagged(r, "params.value") || !rule(r.mapping, "params.value").contains("\"Warm\""))
    }

    // MARK: Numbers and ranges

    @Test func numberArmsOnANumberField() {
        let r = generate(
            "mailchimp.member", "salesforce.Lead",
            "Rating = Member Rating, 5 → Hot, 3 or 4 → Warm, 1 or 2 → Cold, no rating → leave blank")
        let text = rule(r.mapping, "Rating")
        #expect(text.contains("member_rating"))
        #expect(text.contains("5 => \"Hot\"") || text.contains("member_rating == 5"))
        #expect(text.contains("3, 4 => \"Warm\""))
    }

    @Test func rangesOfANumberBecomeAnIfChain() {
        let r = generate(
            "segment.track", "salesforce.Lead",
            "Rating by properties.revenue: 5000 and up Hot, 500 up to 4999.99 Warm, below 500 or missing Cold.")
        let text = rule(r.mapping, "Rating")
        #expect(text.contains("properties.revenue >= 5000"))
        #expect(text.contains("properties.revenue >= 500 and properties.revenue <= 4999.99"))
        #expect(text.contains("else \"Cold\""))
        #expect(text.contains("confidence 0.90"))
    }

    @Test func aRangeWithAnUnknownWordIsNotRead() {
        let r = generate(
            "segment.track", "salesforce.Lead", "Rating by properties.revenue: 5000 and up Hot, roughly 500 Warm, below 500 Cold.")
        #expect(!unflagged(r, "Rating") || !rule(r.mapping, "Rating").contains("500"))
    }

    // MARK: Conditions with "it", semicolons and "else"

    @Test func conditionArmsSeparatedBySemicolonsWithAnElse() {
        let r = generate(
            "mailchimp.member", "salesforce.Lead",
            "Lead Source = Source, Partner Referral if the source contains \"partner\"; Web if it is Signup Form; else Other")
        let text = rule(r.mapping, "LeadSource")
        #expect(text.contains("contains(source, \"partner\")"))
        #expect(text.contains("source == \"Signup Form\"") || text.contains("source == \"Signup\""))
        #expect(text.contains("else \"Other\""))
    }

    @Test func aSingleConditionalArmIsLeftToTheOtherReaders() {
        // "true when …" with no second arm is the boolean-from-a-comparison reading, not a map with a null default.
        let r = generate("mailchimp.member", "segment.identify", "traits.unsubscribed is true when status is cleaned.")
        let text = rule(r.mapping, "traits.unsubscribed")
        #expect(text.contains("status == \"cleaned\""))
        #expect(!text.contains("match") && !text.contains("else null"))
    }

    @Test func twoConditionArmsJoinedByAndAreTwoArms() {
        // Neither arm says what an empty checkbox gives: null, and no default is claimed.
        let r = generate(
            "hubspot.company", "salesforce.Account", "Ownership is Private when is_public is false and Public when it is true.")
        let text = rule(r.mapping, "Ownership").split(whereSeparator: \.isWhitespace).joined(separator: " ")
        #expect(text.contains("is_public == false then \"Private\""))
        #expect(text.contains("is_public == true then \"Public\""))
        #expect(!text.contains("confidence 0.9"))
    }

    @Test func aDashInsideAWordStaysInTheValue() {
        let r = generate(
            "salesforce.Lead", "ga4.event",
            "customer_tier user property from Employees: 500 or more = big-corp, under 500 = small-biz, blank = unknown")
        let text = rule(r.mapping, "user_properties.customer_tier")
        #expect(text.contains("\"big-corp\""))
        #expect(!text.contains("\"big corp\""))
    }
}
