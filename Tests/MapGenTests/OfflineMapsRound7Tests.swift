import Foundation
import MapDSL
import MapGen
import Testing

/// Round 7 of the offline reader (issue 18): value maps and yes/no values. Each phrasing class has a
/// sentence written for these tests (not copied from evals/) and a near miss that must not be read, or
/// must be flagged.
@Suite struct OfflineMapsRound7Tests: OfflineReaderTesting {
    // MARK: Yes/no values from a map

    @Test func trueWhenValuesFalseForEveryoneElse() {
        let r = generate(
            "hubspot.contact", "mailchimp.member",
            "Email Address = the email.\nvip should be true when the lifecycle stage is opportunity or customer, false for everybody else.")
        let text = rule(r.mapping, "vip")
        #expect(text.contains("lifecyclestage == \"opportunity\" or lifecyclestage == \"customer\""))
        #expect(unflagged(r, "vip"))
    }

    @Test func aDefaultThatIsNoYesOrNoIsNotRead() {
        let r = generate(
            "hubspot.contact", "mailchimp.member",
            "Email Address = the email.\nvip should be true when the lifecycle stage is opportunity or customer, purple for everybody else."
        )
        #expect(!unflagged(r, "vip"))
        #expect(!r.trace.notImplemented.isEmpty)
    }

    @Test func valuesFollowedByTheirFieldInParentheses() {
        let r = generate(
            "hubspot.contact", "mailchimp.member",
            "Email Address = the email.\nvip: true for opportunities and customers (lifecyclestage), false for all others.")
        #expect(rule(r.mapping, "vip").contains("lifecyclestage == \"opportunity\" or lifecyclestage == \"customer\""))
        #expect(unflagged(r, "vip"))
    }

    @Test func wordsBeforeAFieldInParenthesesStillRestateIt() {
        // "the employer name (company)": no values of `company`, so the words are a restatement.
        let r = generate(
            "hubspot.contact", "mailchimp.member",
            "Email Address = the email.\nmerge_fields.COMPANY comes from the employer name (company).")
        #expect(rule(r.mapping, "merge_fields.COMPANY").contains("company"))
    }

    @Test func yesForRecordsRatedAValueNoForAllOthers() {
        let r = generate("salesforce.Lead", "mailchimp.member", "Email Address = Email.\nvip: yes for leads rated Warm, no for all others.")
        #expect(rule(r.mapping, "vip").contains("Rating == \"Warm\""))
        #expect(unflagged(r, "vip"))
    }

    @Test func yesForAValueNoPicklistHoldsIsNotRead() {
        let r = generate(
            "salesforce.Lead", "mailchimp.member", "Email Address = Email.\nvip: yes for leads rated Lukewarm, no for all others.")
        #expect(!rule(r.mapping, "vip").contains("Lukewarm") || !unflagged(r, "vip"))
    }

    @Test func trueUnlessAConditionHolds() {
        let r = generate(
            "mailchimp.member", "segment.identify", "userId = contact_id.\ntraits.unsubscribed is true unless the status is subscribed.")
        let text = rule(r.mapping, "traits.unsubscribed")
        #expect(text.contains("not status == \"subscribed\"") || text.contains("status != \"subscribed\""))
        #expect(unflagged(r, "traits.unsubscribed"))
    }

    @Test func unlessWithAValueThatIsNoYesOrNoIsNotRead() {
        let r = generate(
            "mailchimp.member", "segment.identify", "userId = contact_id.\ntraits.unsubscribed is maybe unless the status is subscribed.")
        #expect(!unflagged(r, "traits.unsubscribed"))
    }

    @Test func recordsDescribedInWordsAndRestatedInParentheses() {
        let r = generate(
            "hubspot.contact", "ga4.event",
            "client_id = Record ID.\ndebug_mode: true for internal staff (email ends with @acme.test), false for everyone else.")
        #expect(rule(r.mapping, "params.debug_mode").contains("ends_with(email, \"@acme.test\") == true"))
        #expect(unflagged(r, "params.debug_mode"))
    }

    @Test func parenthesesThatAreNoConditionAreNotRead() {
        let r = generate(
            "hubspot.contact", "ga4.event",
            "client_id = Record ID.\ndebug_mode: true for internal staff (ask Dana), false for everyone else.")
        #expect(!unflagged(r, "params.debug_mode"))
    }

    @Test func endsWithADomainInASkipRule() {
        let r = generate("hubspot.contact", "ga4.event", "client_id = Record ID.\nSkip contacts whose email ends with @test.invalid.")
        #expect(r.mapping.contains("skip when ends_with(email, \"@test.invalid\")"))
        // Without a literal after "ends with" there is nothing to compare with.
        let n = generate("hubspot.contact", "ga4.event", "client_id = Record ID.\nSkip contacts whose email ends with the domain.")
        #expect(!n.mapping.contains("ends_with("))
    }

    // MARK: Precedence chains with yes/no fields

    @Test func precedenceChainWithAFlagNamedAsWhatTheRecordIs() {
        let r = generate(
            "mailchimp.member", "ga4.event",
            "client_id = id.\ncustomer_tier user property: gold if the member is a VIP; else silver if their member rating is 5; else bronze."
        )
        let text = rule(r.mapping, "user_properties.customer_tier")
        #expect(text.contains("if vip == true"))
        #expect(text.contains("\"gold\"") && text.contains("member_rating == 5") && text.contains("\"silver\""))
        #expect(text.contains("else \"bronze\""))
        #expect(unflagged(r, "user_properties.customer_tier"))
    }

    @Test func aFlagWithAnotherWordInItsConditionIsNotRead() {
        let r = generate(
            "mailchimp.member", "ga4.event",
            "client_id = id.\ncustomer_tier user property: gold if the member is a VIP abroad; else bronze.")
        #expect(!unflagged(r, "user_properties.customer_tier"))
    }

    @Test func otherwiseValueIfConditionIsOneMoreArm() {
        let r = generate(
            "mailchimp.member", "hubspot.contact",
            "email = email address.\nLifecycle stage: customer if they are a VIP, otherwise lead if their member rating is 3 or higher, otherwise subscriber."
        )
        let text = rule(r.mapping, "lifecyclestage")
        #expect(text.contains("if vip == true") && text.contains("\"customer\""))
        #expect(text.contains("member_rating >= 3") && text.contains("\"lead\""))
        #expect(text.contains("else \"subscriber\""))
        #expect(unflagged(r, "lifecyclestage"))
    }

    @Test func aFlagNamedInThePluralIsTheComparedField() {
        let r = generate(
            "mailchimp.member", "salesforce.Lead",
            "Email = email address.\nLead Status is Working - Contacted for VIPs and Open - Not Contacted for everyone else.")
        let text = rule(r.mapping, "Status")
        #expect(text.contains("match vip") && text.contains("true => \"Working - Contacted\""))
        #expect(text.contains("_    => \"Open - Not Contacted\""))
    }

    @Test func aPluralThatIsNoFieldIsNotRead() {
        let r = generate(
            "mailchimp.member", "salesforce.Lead",
            "Email = email address.\nLead Status is Working - Contacted for VIPers and Open - Not Contacted for everyone else.")
        #expect(!unflagged(r, "Status"))
    }

    @Test func tagsIncludeIsContains() {
        let r = generate(
            "mailchimp.member", "ga4.event", "client_id = id.\ncustomer_tier user property: paid if their tags include Paying, else free.")
        #expect(rule(r.mapping, "user_properties.customer_tier").contains("contains(tags, \"Paying\")"))
        // "include" is never read as a compared value.
        #expect(!r.mapping.contains("\"include\""))
    }

    // MARK: Lead-ins

    @Test func leadInNamingTheComparedFieldAsText() {
        let r = generate(
            "hubspot.contact", "mailchimp.member",
            "Email Address = the email.\nCountry code from the Country/Region text: Italy → IT, Spain → ES, any other country: leave it empty."
        )
        let text = rule(r.mapping, "location.country_code")
        #expect(text.contains("match country") && text.contains("\"Italy\" => \"IT\""))
        #expect(!text.contains("text Italy"))
        #expect(unflagged(r, "location.country_code"))
    }

    // MARK: Tags

    @Test func aTagNameForEveryRecord() {
        let r = generate("hubspot.contact", "mailchimp.member", "Email Address = the email.\ntags: crm-import, for every contact.")
        #expect(rule(r.mapping, "tags").contains("= \"crm-import\""))
        #expect(unflagged(r, "tags"))
    }

    @Test func aPlainWordWithoutEveryRecordIsNoTagName() {
        let r = generate("hubspot.contact", "mailchimp.member", "Email Address = the email.\ntags: newsletter")
        #expect(!unflagged(r, "tags"))
    }

    @Test func severalQuotedTagsAreOneCommaSeparatedText() {
        let r = generate("hubspot.contact", "mailchimp.member", "Email Address = the email.\ntags = \"alpha\", \"beta\"")
        #expect(rule(r.mapping, "tags").contains("= \"alpha,beta\""))
    }

    @Test func tagEveryoneWithANameAndANumber() {
        let r = generate("hubspot.contact", "mailchimp.member", "Email Address = the email.\nTag every member with spring-2026.")
        #expect(rule(r.mapping, "tags").contains("= \"spring-2026\""))
        #expect(unflagged(r, "tags"))
    }

    @Test func tagEveryoneWithAFieldIsNoConstant() {
        let r = generate("hubspot.contact", "mailchimp.member", "Email Address = the email.\nTag every member with the lead status.")
        #expect(!rule(r.mapping, "tags").contains("\"lead"))
        #expect(!unflagged(r, "tags"))
    }

    @Test func anExampleAfterTheValueOnlyIllustratesIt() {
        let r = generate(
            "segment.identify", "mailchimp.member",
            "Email Address = traits.email.\ntags: \"tier-\" followed by the plan, for example tier-gold")
        #expect(rule(r.mapping, "tags").contains("\"tier-\" + traits.plan"))
    }

    @Test func anExampleNamingAnotherFieldIsNotDropped() {
        let r = generate(
            "segment.identify", "mailchimp.member", "Email Address = traits.email.\ntags: \"tier-\" followed by the plan, e.g. traits.email"
        )
        #expect(!unflagged(r, "tags"))
    }

    // MARK: A label and lines of arms

    @Test func aLabelWithAnAsideAndLinesOfArms() {
        let r = generate(
            "hubspot.company", "salesforce.Account",
            "Name = name.\n\nIndustry (the two systems use different codes):\n- BANKING and FINANCIAL_SERVICES: Finance\n- RETAIL: Retail\n- any other code, or none: leave Industry empty."
        )
        let text = rule(r.mapping, "Industry")
        #expect(text.contains("match industry"))
        #expect(text.contains("\"BANKING\", \"FINANCIAL_SERVICES\" => \"Finance\""))
        #expect(text.contains("\"RETAIL\"") && text.contains("=> \"Retail\""))
        #expect(unflagged(r, "Industry"))
    }

    @Test func aLineNamingAnotherFieldEndsTheList() {
        // The second line is a statement of its own (it names Type), not an arm of Industry.
        let r = generate(
            "hubspot.company", "salesforce.Account",
            "Name = name.\n\nIndustry (codes differ):\n- BANKING: Banking\n- Type is Prospect for everyone.")
        #expect(!rule(r.mapping, "Industry").contains("Prospect"))
    }

    // MARK: Values that spell other things

    @Test func aPicklistValueWhoseWordNamesAField() {
        // "Phone" of "Phone Inquiry" is a word of the value, not the phone field.
        let r = generate(
            "hubspot.contact", "salesforce.Contact",
            "Email = email.\nLead Source from Original Traffic Source: OFFLINE → Phone Inquiry, DIRECT_TRAFFIC → Web, anything else → Other."
        )
        let text = rule(r.mapping, "LeadSource")
        #expect(text.contains("\"OFFLINE\"") && text.contains("=> \"Phone Inquiry\""))
        #expect(unflagged(r, "LeadSource"))
    }

    @Test func aValueNoPicklistHoldsWithAFieldWordIsNotRead() {
        let r = generate(
            "hubspot.contact", "salesforce.Contact",
            "Email = email.\nLead Source from Original Traffic Source: OFFLINE → Phone Support, anything else → Other.")
        #expect(!unflagged(r, "LeadSource"))
    }

    @Test func anArrowFromTheFieldToTheComparedOneBeforeAColon() {
        let l = generate(
            "hubspot.contact", "ga4.event",
            "client_id -> Record ID\nlead_source param -> Original Traffic Source: DIRECT_TRAFFIC -> direct, REFERRALS -> email, everything else -> (unknown)"
        )
        let lt = rule(l.mapping, "params.lead_source")
        #expect(lt.contains("\"DIRECT_TRAFFIC\"") && lt.contains("=> \"direct\""))
        #expect(lt.contains("\"REFERRALS\"") && lt.contains("=> \"email\""))
        #expect(lt.contains("_ ") && lt.contains("=> \"(unknown)\""))
        #expect(unflagged(l, "params.lead_source"))
    }

    @Test func aCapitalisedFieldNameAsAValueIsNotReadAsText() {
        // "Email" capitalised after the arrow may mean the field: nothing is claimed.
        let r = generate(
            "hubspot.contact", "ga4.event",
            "client_id -> Record ID\nlead_source param -> Original Traffic Source: DIRECT_TRAFFIC -> direct, REFERRALS -> Email, everything else -> other"
        )
        #expect(!rule(r.mapping, "params.lead_source").contains("\"Email\"") || !unflagged(r, "params.lead_source"))
    }

    // MARK: A default in the next sentence

    @Test func theNextSentenceKeepsTheComparedValueForOthers() {
        let r = generate(
            "mailchimp.member", "hubspot.contact",
            "email = email address. Country/Region from the country code: IT is Italy, ES is Spain. For other codes just keep the code itself."
        )
        let text = rule(r.mapping, "country")
        #expect(text.contains("\"IT\" => \"Italy\""))
        #expect(text.contains("_    => location.country_code"))
        #expect(unflagged(r, "country"))
    }

    @Test func theNextSentenceLeavesOthersEmpty() {
        let r = generate(
            "hubspot.contact", "mailchimp.member",
            "Email Address = the email.\nCountry code from the Country/Region: Italy → IT, Spain → ES.\nAny other country: leave it empty.")
        let text = rule(r.mapping, "location.country_code")
        #expect(text.contains("\"Italy\" => \"IT\"") && text.contains("_       => null"))
        #expect(text.contains("default from [S3]"))
    }

    @Test func aNextSentenceWithAFieldIsNoDefault() {
        let r = generate(
            "hubspot.contact", "mailchimp.member",
            "Email Address = the email.\nCountry code from the Country/Region: Italy → IT, Spain → ES.\nAny other country: use the city.")
        #expect(!rule(r.mapping, "location.country_code").contains("default from [S3]"))
    }

    @Test func forTheFieldColonOpensAMap() {
        let r = generate(
            "hubspot.contact", "mailchimp.member",
            "Email Address = the email. and for the country code: Italy → IT, Spain → ES, anything else leave it blank.")
        let text = rule(r.mapping, "location.country_code")
        // The compared field is never named: `country` is taken from the destination's name, and flagged.
        #expect(text.contains("match country") && text.contains("\"Spain\" => \"ES\""))
        #expect(!unflagged(r, "location.country_code"))
    }

    @Test func aMapWhoseFieldNeitherProseNorDestinationNamesIsNotRead() {
        let r = generate("hubspot.contact", "mailchimp.member", "Email Address = the email. and for the language: Italy → it, Spain → es.")
        #expect(!rule(r.mapping, "language").contains("match"))
    }

    @Test func aFieldLabelBeforeAnArrowIsAValueOfTheMap() {
        // "United States" is read as a destination field by the tokens; before an arrow it is a country the map compares.
        let r = generate(
            "hubspot.contact", "mailchimp.member",
            "Email Address = the email. and for the country code: Italy → IT, United States → US, anything else leave it blank."
        )
        #expect(rule(r.mapping, "location.country_code").contains("\"United States\" => \"US\""))
    }

    // MARK: Yes/no fields described in words

    @Test func aFlagDescribedByTheWordsOfItsLabelInAChain() {
        let r = generate(
            "salesforce.Lead", "mailchimp.member",
            "Email Address = Email.\n- Status: leads that opted out of email are \"unsubscribed\"; otherwise, if the lead status is still Working - Contacted they go in as \"pending\", and all others are \"subscribed\"."
        )
        let text = rule(r.mapping, "status")
        #expect(text.contains("if HasOptedOutOfEmail == true"))
        #expect(text.contains("Status == \"Working - Contacted\"") && text.contains("\"pending\""))
        #expect(text.contains("else \"subscribed\""))
        #expect(unflagged(r, "status"))
    }

    @Test func wordsNoFlagsLabelHoldsAreNotAFlag() {
        let r = generate(
            "salesforce.Lead", "mailchimp.member",
            "Email Address = Email.\n- Status: leads that opted out of texting are \"unsubscribed\"; otherwise \"subscribed\".")
        #expect(!rule(r.mapping, "status").contains("HasOptedOutOfEmail"))
        #expect(!unflagged(r, "status"))
    }

    @Test func aQuotedCheckboxLabelThatIsUnticked() {
        let r = generate(
            "hubspot.company", "salesforce.Account",
            "Name = name.\nOwnership: Private if the \"Is Public\" box is unticked, Public otherwise.")
        let text = rule(r.mapping, "Ownership")
        #expect(text.contains("is_public != true") && text.contains("\"Private\"") && text.contains("else \"Public\""))
        #expect(unflagged(r, "Ownership"))
    }

    @Test func aQuotedLabelNoFieldHasIsNotAFlag() {
        let r = generate(
            "hubspot.company", "salesforce.Account",
            "Name = name.\nOwnership: Public if the \"Is Listed\" checkbox is ticked, Private otherwise.")
        #expect(!unflagged(r, "Ownership"))
    }

    // MARK: Words that name a field in passing

    @Test func aWordEndingOneLabelNamesItsFieldInACondition() {
        let r = generate(
            "mailchimp.member", "ga4.event",
            "client_id = id.\ncustomer_tier user property: \"gold\" for VIP members, otherwise \"silver\" if the rating is 3 or more, otherwise \"bronze\"."
        )
        let text = rule(r.mapping, "user_properties.customer_tier")
        #expect(text.contains("if vip == true") && text.contains("member_rating >= 3") && text.contains("else \"bronze\""))
        #expect(unflagged(r, "user_properties.customer_tier"))
    }

    @Test func aWordNoLabelEndsWithIsNotAField() {
        let r = generate(
            "mailchimp.member", "ga4.event",
            "client_id = id.\ncustomer_tier user property: \"gold\" for VIP members, otherwise \"silver\" if the karma is 3 or more, otherwise \"bronze\"."
        )
        #expect(!unflagged(r, "user_properties.customer_tier"))
    }

    @Test func aStatementRestatedAfterIE() {
        let r = generate(
            "mailchimp.member", "hubspot.contact",
            "email = email address. Members who are not subscribed should count as opted out, i.e. Unsubscribed from all email = true for every status other than subscribed."
        )
        #expect(rule(r.mapping, "hs_email_optout").contains("status != \"subscribed\""))
        #expect(unflagged(r, "hs_email_optout"))
    }

    @Test func anIEThatRestatesNoFieldIsNotReadAlone() {
        // After "i.e." comes no destination field: the sentence is read (or listed) as a whole.
        let r = generate(
            "mailchimp.member", "hubspot.contact",
            "email = email address. Unsubscribed from all email is true for lapsed members, i.e. those whose status is cleaned.")
        #expect(!rule(r.mapping, "hs_email_optout").contains("cleaned") || !unflagged(r, "hs_email_optout"))
    }

    // MARK: Corrections of the sentence before

    @Test func aCorrectionWithAReasonAndAPronounSetsTheFieldBefore() {
        let r = generate(
            "salesforce.Contact", "segment.identify",
            "userId = Id.\nlifecycle_stage is always prospect. Actually no, these people already bought, so make it customer for everyone.")
        let text = rule(r.mapping, "traits.lifecycle_stage")
        #expect(text.contains("= \"customer\"") && text.contains("replaces the value of [S2]"))
    }

    @Test func aCorrectionThatNamesAnotherFieldIsNotTakenForTheOneBefore() {
        let r = generate(
            "salesforce.Contact", "segment.identify",
            "userId = Id.\nlifecycle_stage is always prospect. Actually no, make traits.title customer for everyone.")
        #expect(!rule(r.mapping, "traits.lifecycle_stage").contains("\"customer\""))
    }

    @Test func armsWithComeInAsAndADefaultSideBySide() {
        let r = generate(
            "mailchimp.member", "hubspot.contact",
            "email = email address.\nLifecycle stage: VIP members should come in as customer; the rest lead.")
        let text = rule(r.mapping, "lifecyclestage")
        #expect(text.contains("match vip") && text.contains("true => \"customer\"") && text.contains("_    => \"lead\""))
        #expect(unflagged(r, "lifecyclestage"))
    }

    @Test func aDefaultSideBySideWithNoValueIsNotRead() {
        let r = generate(
            "mailchimp.member", "hubspot.contact",
            "email = email address.\nLifecycle stage: VIP members should come in as customer; the rest purple.")
        #expect(!unflagged(r, "lifecyclestage"))
    }

    // MARK: Numbers with a unit

    @Test func numbersWithAUnitAndAnAsideInTheLeadIn() {
        let r = generate(
            "mailchimp.member", "salesforce.Lead",
            "Email = email address. Rating from the member rating (one to five stars): 4 or 5 stars Hot, 3 stars is Warm, 1 or 2 stars Cold."
        )
        let text = rule(r.mapping, "Rating")
        #expect(text.contains("member_rating"))
        #expect(text.contains("4, 5 => \"Hot\"") || text.contains("member_rating == 4 or member_rating == 5\n    then \"Hot\""))
        #expect(text.contains("1, 2 => \"Cold\""))
        #expect(text.contains("\"Warm\""))
    }

    @Test func severalValuesBeforeAWordNoPicklistHoldsAreNotAnArm() {
        let r = generate(
            "mailchimp.member", "salesforce.Lead",
            "Email = email address. Rating from the member rating: 4 or 5 stars Scorching, 1 or 2 stars Cold.")
        #expect(!rule(r.mapping, "Rating").contains("Scorching") || !unflagged(r, "Rating"))
    }

    // MARK: Pairs and codes

    @Test func pairsSeparatedBySlashesWithCodesThatSpellKeywords() {
        let r = generate(
            "hubspot.contact", "ga4.event",
            "client_id -> Record ID\nuser_location.country_id -> Italy IT / India IN / Norway NO, otherwise nothing")
        let text = rule(r.mapping, "user_location.country_id")
        #expect(text.contains("match country"))
        #expect(text.contains("\"India\"") && text.contains("=> \"IN\""))
        #expect(text.contains("\"Norway\"") && text.contains("=> \"NO\""))
        // The compared field is named nowhere: it is taken from the destination's name, and flagged.
        #expect(text.contains("REVIEW") && text.contains("taken from user_location.country_id's name"))
    }

    @Test func aLowerCaseKeywordIsNoCode() {
        let r = generate(
            "hubspot.contact", "ga4.event",
            "client_id -> Record ID\nuser_location.country_id -> Italy IT / India in / Norway no, otherwise nothing")
        #expect(!rule(r.mapping, "user_location.country_id").contains("\"in\""))
    }

    // MARK: No value without the field

    @Test func recordsWithoutTheFieldGetNoValue() {
        let r = generate(
            "salesforce.Lead", "mailchimp.member",
            "Email Address = Email.\nTags: the industry in lower case.\nLeads without an industry get no tag.")
        let text = rule(r.mapping, "tags")
        #expect(text.contains("lower(null_if_blank(Industry))"))
        #expect(text.contains("continued in [S3]"))
    }

    @Test func recordsWithoutAnotherFieldChangeNothing() {
        // The rule reads Industry; a sentence about the rating says nothing about it.
        let r = generate(
            "salesforce.Lead", "mailchimp.member",
            "Email Address = Email.\nTags: the industry in lower case.\nLeads without a rating get no tag.")
        #expect(!rule(r.mapping, "tags").contains("null_if_blank"))
    }
}
