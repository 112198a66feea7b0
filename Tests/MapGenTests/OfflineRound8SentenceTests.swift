import Foundation
import MapDSL
import Testing

@testable import MapGen

/// Round 8 of the offline reader (issue 18): sentence-level readings. Corrections written later in the
/// prose, a join's remark on a missing part, shorthand field words, and the honesty checks that go with
/// them. Each class has a sentence written for these tests (not copied from evals/) and a near miss that
/// must not be read, or must be flagged.
@Suite struct OfflineRound8SentenceTests: OfflineReaderTesting {
    static let rating = "Name = name.\nRating by annual revenue: 20M or more Hot, 3M or more Warm, rest Cold.\n"

    // MARK: Corrections

    @Test func aCorrectionSwapsTheOldNumberForTheNewOne() {
        let r = generate("hubspot.company", "salesforce.Account", Self.rating + "Update: sorry, the Warm cutoff is 4 million, not 3M.")
        let text = rule(r.mapping, "Rating")
        #expect(text.contains("annualrevenue >= 4000000"))
        #expect(!text.contains("3000000"))
        #expect(text.contains("corrected by [S3]"))
        #expect(unflagged(r, "Rating"))
        #expect(!r.trace.notImplemented.contains { $0.sentence == 3 })
    }

    @Test func aCorrectionSaidWithInsteadOf() {
        let r = generate("hubspot.company", "salesforce.Account", Self.rating + "Oops, use 4M instead of 3M for Warm.")
        #expect(rule(r.mapping, "Rating").contains("annualrevenue >= 4000000"))
        #expect(unflagged(r, "Rating"))
    }

    @Test func aCorrectionOfAQuotedValue() {
        let r = generate(
            "hubspot.company", "salesforce.Account",
            "Name = name.\nType is \"Prospect\" for every company.\nCorrection: \"Other\", not \"Prospect\".")
        #expect(rule(r.mapping, "Type").contains("\"Other\""))
        #expect(!rule(r.mapping, "Type").contains("\"Prospect\""))
    }

    @Test func aCorrectionWhoseOldValueNoRuleHoldsIsListedAndFlagsTheRule() {
        let r = generate("hubspot.company", "salesforce.Account", Self.rating + "Edit: the Warm cutoff is 4M not 5M.")
        #expect(rule(r.mapping, "Rating").contains("3000000"))
        #expect(!unflagged(r, "Rating"))
        #expect(r.trace.notImplemented.contains { $0.sentence == 3 })
    }

    @Test func aCorrectionWithNoValuesFlagsTheRuleBefore() {
        let r = generate("hubspot.company", "salesforce.Account", Self.rating + "Sorry, Rating should really depend on the head count.")
        #expect(!unflagged(r, "Rating"))
        #expect(r.trace.notImplemented.contains { $0.sentence == 3 })
    }

    @Test func anApologyThatCorrectsNothingIsNoCorrection() {
        let r = generate("hubspot.company", "salesforce.Account", Self.rating + "Sorry for the long list.")
        #expect(rule(r.mapping, "Rating").contains("3000000"))
        #expect(unflagged(r, "Rating"))
    }

    // MARK: A join's remark on a missing part

    @Test func aJoinWhoseRemarkSaysTheOtherPartAloneStaysPlain() {
        let r = generate(
            "hubspot.contact", "segment.identify",
            "userId = hs_object_id.\ntraits.name is firstname and lastname with a space in between; when one of them is empty, just the other one."
        )
        #expect(line(r.mapping, "traits.name").contains("= join(\" \", firstname, lastname)"))
        #expect(unflagged(r, "traits.name"))
    }

    @Test func aJoinRemarkInParentheses() {
        let r = generate(
            "hubspot.contact", "segment.identify",
            "userId = hs_object_id.\ntraits.name is firstname and lastname joined by a space (only whichever one is there if either is missing)."
        )
        #expect(line(r.mapping, "traits.name").contains("= join(\" \", firstname, lastname)"))
    }

    @Test func aJoinWithoutARemarkOrWithAnotherFallbackIsNotMadePlain() {
        let bare = generate(
            "hubspot.contact", "segment.identify", "userId = hs_object_id.\ntraits.name is firstname and lastname joined with a space.")
        #expect(line(bare.mapping, "traits.name").contains("null_if_blank(join("))
        let other = generate(
            "hubspot.contact", "segment.identify",
            "userId = hs_object_id.\ntraits.name is firstname and lastname joined with a space; when one of them is empty, use jobtitle.")
        #expect(!line(other.mapping, "traits.name").contains("= join("))
    }

    // MARK: A fallback said in the next sentence

    @Test func aFallbackInTheNextSentenceWithInstead() {
        let r = generate(
            "segment.identify", "hubspot.contact",
            "email = traits.email.\nfirstname = traits.firstName. If the app sent no first name, take the last word of traits.name instead."
        )
        // The last word, of the name as it is or trimmed first (a structured reading trims before it splits).
        let rule = line(r.mapping, "firstname")
        #expect(
            rule.contains("null_if_blank(traits.firstName) ?? split(traits.name, \" \", -1)")
                || rule.contains("null_if_blank(traits.firstName) ?? split(trim(traits.name), \" \", -1)"), "\(rule)")
    }

    @Test func aNextSentenceNamingTheSameFieldThatIsNotReadFlagsIt() {
        let r = generate(
            "segment.identify", "hubspot.contact",
            "email = traits.email.\nfirstname = traits.firstName. When the app left the first name out, guess it from the avatar picture.")
        #expect(!unflagged(r, "firstname"))
    }

    // MARK: Name matches beside unread sentences

    @Test func nameMatchesAreFlaggedWhenASentenceNamingFieldsWasNotRead() {
        let r = generate("mailchimp.member", "salesforce.Lead", "We care about \"Email\" and \"FirstName\", handled the usual blorp way.")
        #expect(!unflagged(r, "Email"))
        #expect(!unflagged(r, "FirstName"))
    }

    @Test func nameMatchesStayWhenNoSentenceNamesFields() {
        let r = generate("mailchimp.member", "salesforce.Lead", "Map everything across by name.")
        #expect(unflagged(r, "Email"))
    }

    // MARK: Shorthand

    @Test func shorthandWordsNameFields() {
        let r = generate("segment.track", "ga4.event", "client_id = anonymousId.\nname is always purchase.\ntxn id = order_id.")
        #expect(line(r.mapping, "params.transaction_id").contains("properties.order_id"))
        let s = generate(
            "segment.track", "ga4.event",
            "client_id = anonymousId.\nname is always purchase.\nLeave out calls with no anon id and no user id.")
        #expect(s.mapping.contains("skip when blank(anonymousId) and blank(userId)"))
    }

    @Test func aConditionWithAnUnreadSideIsNotReadAsTheOtherSide() {
        let r = generate(
            "segment.track", "ga4.event",
            "client_id = anonymousId.\nname is always purchase.\nLeave out calls with no frobnitz and no user id.")
        #expect(!r.mapping.contains("skip when blank(userId)"))
        #expect(r.trace.notImplemented.contains { $0.sentence == 3 })
    }

    // MARK: Conditions

    @Test func aLabelsLastWordNamesTheFieldOnlyWhenNothingFollowsIt() {
        let named = generate(
            "segment.track", "salesforce.Lead",
            "Email = properties.email.\nLeadSource is Web when the campaign is present, else Marketing Site.")
        #expect(line(named.mapping, "LeadSource").contains("present(context.campaign.name)"))
        let more = generate(
            "segment.track", "salesforce.Lead",
            "Email = properties.email.\nLeadSource is Web when a campaign foo is present, else Marketing Site.")
        #expect(!line(more.mapping, "LeadSource").contains("present(context.campaign.name)") || !unflagged(more, "LeadSource"))
    }

    @Test func aValueWithItsOwnConditionIsNoDefault() {
        let r = generate(
            "segment.track", "salesforce.Lead",
            "Email = properties.email.\nLeadSource: Partner Referral when context.campaign.medium is partner; else Web when a campaign foo is present; else Marketing Site."
        )
        #expect(!rule(r.mapping, "LeadSource").contains("_ => \"Web\"") || !unflagged(r, "LeadSource"))
        #expect(!unflagged(r, "LeadSource"))
    }

    @Test func aDefaultThatAlsoTakesTheEmptyValueIsStillADefault() {
        let r = generate(
            "hubspot.contact", "salesforce.Lead",
            "Email = email.\nLeadSource: Partner Referral when hs_analytics_source is REFERRALS; otherwise, or if it is empty, Other.")
        #expect(rule(r.mapping, "LeadSource").contains("=> \"Other\""))
    }

    // MARK: Asides that change nothing

    @Test func aCopyRemarkInParenthesesOrAfterACommaIsACopy() {
        let r = generate(
            "segment.track", "salesforce.Lead",
            "Email = properties.email.\nWebsite = context.page.url (no change).\nAnnualRevenue = properties.revenue, as is.")
        #expect(line(r.mapping, "Website").contains("context.page.url"))
        #expect(line(r.mapping, "AnnualRevenue").contains("properties.revenue"))
        #expect(unflagged(r, "Website"))
    }

    @Test func aRuleForEveryRecordWithAnExplainingParenthesis() {
        let r = generate(
            "segment.track", "salesforce.Lead",
            "Email = properties.email.\nDoNotCall = true on all of these (nobody wants to be rung).\nStatus is Open - Not Contacted for every lead."
        )
        #expect(line(r.mapping, "DoNotCall").contains("= true"))
        #expect(line(r.mapping, "Status").contains("\"Open - Not Contacted\""))
        #expect(unflagged(r, "Status"))
    }

    @Test func aRemarkOnSomeRecordsOnlyIsNotDropped() {
        let r = generate(
            "segment.track", "salesforce.Lead",
            "Email = properties.email.\nDoNotCall = true for every lead whose plan is free.\nWebsite = the domain of context.page.url (no change)."
        )
        #expect(!unflagged(r, "DoNotCall") || !line(r.mapping, "DoNotCall").hasSuffix("= true"))
        #expect(!line(r.mapping, "Website").contains("= truncate(context.page.url") || !unflagged(r, "Website"))
    }

    // MARK: Presence in other words

    @Test func thereIsAnyFieldIsPresence() {
        let r = generate(
            "segment.track", "salesforce.Lead",
            "Email = properties.email.\nLeadSource is Web if there is any utm source, otherwise Marketing Site.\nWebsite = context.page.url."
        )
        #expect(rule(r.mapping, "LeadSource").contains("present(context.campaign.source)"))
        let exists = generate(
            "segment.track", "salesforce.Lead",
            "Email = properties.email.\nLeadSource is Web if the utm source exists, otherwise Marketing Site.")
        #expect(rule(exists.mapping, "LeadSource").contains("present(context.campaign.source)"))
    }

    @Test func thereIsSomethingThatIsNoFieldIsNotRead() {
        let r = generate(
            "segment.track", "salesforce.Lead",
            "Email = properties.email.\nLeadSource is Web if there is a foo bar, otherwise Marketing Site.")
        #expect(!unflagged(r, "LeadSource"))
    }

    // MARK: A value with an empty case

    @Test func aValueButLeaveItBlankWhen() {
        let r = generate(
            "hubspot.contact", "salesforce.Lead", "Email = email.\nRating is Warm, but leave it blank when lifecyclestage is subscriber.")
        #expect(line(r.mapping, "Rating").contains("if lifecyclestage == \"subscriber\" then null else \"Warm\""))
        let other = generate(
            "hubspot.contact", "salesforce.Lead",
            "Email = email.\nLeave Rating empty when the lifecycle stage is subscriber; otherwise Warm.")
        #expect(line(other.mapping, "Rating").contains("if lifecyclestage == \"subscriber\" then null else \"Warm\""))
    }

    @Test func aValueWithAnEmptyCaseItCannotReadIsNeverTheValueForThatCase() {
        let r = generate("hubspot.contact", "salesforce.Lead", "Email = email.\nRating is Warm, but leave it blank when the moon is full.")
        #expect(!unflagged(r, "Rating"))
        let inverted = generate(
            "hubspot.contact", "salesforce.Lead", "Email = email.\nRating is Warm, but leave it blank when lifecyclestage is subscriber.")
        #expect(!rule(inverted.mapping, "Rating").contains("\"subscriber\" => \"Warm\""))
    }

    // MARK: Skips with "unless"

    @Test func skipUnlessNegatesTheCondition() {
        let r = generate("hubspot.company", "salesforce.Account", "Name = name.\nSkip companies unless their type is PROSPECT.")
        #expect(r.mapping.contains("skip when not type == \"PROSPECT\""))
        #expect(!r.mapping.contains("skip when type == \"PROSPECT\""))
    }

    // MARK: Comparisons

    static func rating(_ words: String) -> String {
        "Name = name.\nRating: Hot if annualrevenue \(words), Cold otherwise."
    }

    @Test func comparisonSignsAreComparisons() {
        for (words, want) in [
            ("> 250", "annualrevenue > 250"), (">= 250", "annualrevenue >= 250"), ("≥ 3M", "annualrevenue >= 3000000"),
            ("<= 250", "annualrevenue <= 250"), ("< 250", "annualrevenue < 250"),
        ] {
            let r = generate("hubspot.company", "salesforce.Account", Self.rating(words))
            #expect(line(r.mapping, "Rating").contains(want), "\(words)")
            #expect(!line(r.mapping, "Rating").contains("== 250"), "\(words)")
        }
    }

    @Test func longComparisonsInWords() {
        for (words, want) in [
            ("is greater than or equal to 250", "annualrevenue >= 250"), ("is less than or equal to 250", "annualrevenue <= 250"),
            ("is no more than 250", "annualrevenue <= 250"), ("is between 100 and 250", "annualrevenue >= 100 and annualrevenue <= 250"),
        ] {
            let r = generate("hubspot.company", "salesforce.Account", Self.rating(words))
            #expect(line(r.mapping, "Rating").contains(want), "\(words)")
        }
        let long = generate(
            "hubspot.company", "salesforce.Account", "Name = name.\nRating is Hot as long as annualrevenue is over 250, otherwise Cold.")
        #expect(line(long.mapping, "Rating").contains("if annualrevenue > 250 then \"Hot\" else \"Cold\""))
    }

    @Test func aRangeTheWrongWayRoundOrATemplateIsNoComparison() {
        let r = generate("hubspot.company", "salesforce.Account", Self.rating("is between 900 and 100"))
        #expect(!unflagged(r, "Rating"))
        #expect(SentencePhrases.comparisonsSpelled("`hs-<record id>-<date>`") == "`hs-<record id>-<date>`")
        #expect(SentencePhrases.comparisonsSpelled("A -> 5, B => 7") == "A -> 5, B => 7")
    }

    @Test func shortNegationsAreNegations() {
        let r = generate("hubspot.company", "salesforce.Account", "Name = name.\nRating is Hot if type isn't PROSPECT, otherwise Cold.")
        #expect(line(r.mapping, "Rating").contains("if type != \"PROSPECT\" then \"Hot\" else \"Cold\""))
        let skip = generate("hubspot.company", "salesforce.Account", "Name = name.\nSkip companies whose type isn't PROSPECT.")
        #expect(skip.mapping.contains("skip when type != \"PROSPECT\""))
    }

    // MARK: Arms said as "if C, V" and conditions on lists

    @Test func armsWithTheConditionFirstAndACommaBeforeTheValue() {
        let r = generate(
            "hubspot.company", "salesforce.Account",
            "Name = name.\nRating: if type is VENDOR, Warm; if it is RESELLER, Hot; otherwise Cold.")
        let text = rule(r.mapping, "Rating")
        #expect(text.contains("\"VENDOR\"") && text.contains("=> \"Warm\""))
        #expect(text.contains("\"RESELLER\"") && text.contains("=> \"Hot\""))
        #expect(text.contains("_") && text.contains("=> \"Cold\""))
        #expect(unflagged(r, "Rating"))
    }

    @Test func aConditionOnAListOfValuesKeepsItsCommas() {
        let r = generate(
            "hubspot.company", "salesforce.Account", "Name = name.\nRating is Warm if type is not one of VENDOR, RESELLER, otherwise Hot.")
        #expect(line(r.mapping, "Rating").contains("if type != \"VENDOR\" and type != \"RESELLER\" then \"Warm\" else \"Hot\""))
        let next = generate(
            "hubspot.company", "salesforce.Account",
            "Name = name.\nRating is Warm if type is one of VENDOR, RESELLER, Hot if type is PARTNER, otherwise Cold.")
        let text = rule(next.mapping, "Rating")
        #expect(text.contains("\"VENDOR\", \"RESELLER\""))
        #expect(text.contains("\"PARTNER\""))
        #expect(!text.contains("\"Hot\", ") && !text.contains("== \"Hot\""))
    }

    // MARK: A copy with a default

    @Test func aCopyWithAnUnquotedDefaultForWhenItIsEmpty() {
        for sentence in [
            "BillingCity = city, Springfield when it's empty.", "BillingCity = city; use Springfield if it is blank.",
            "BillingCity = city, and when it's missing put Springfield.", "BillingCity is city, defaulting to Springfield.",
        ] {
            let r = generate("hubspot.company", "salesforce.Account", "Name = name.\n" + sentence)
            let text = line(r.mapping, "BillingCity")
            #expect(text.contains("null_if_blank(") && text.contains("city") && text.contains("?? \"Springfield\""), "\(sentence)")
            #expect(unflagged(r, "BillingCity"), "\(sentence)")
        }
    }

    @Test func aDefaultForAnotherConditionIsNoDefault() {
        for sentence in ["BillingCity = city, Springfield when it's Shelbyville.", "BillingCity = city, Springfield when phone is empty."] {
            let r = generate("hubspot.company", "salesforce.Account", "Name = name.\n" + sentence)
            #expect(!line(r.mapping, "BillingCity").contains("?? \"Springfield\"") || !unflagged(r, "BillingCity"), "\(sentence)")
        }
    }

    // MARK: A field named by words of its name and label

    @Test func wordsOfOneFieldsNameAndLabelNameItInACondition() {
        let r = generate(
            "segment.track", "salesforce.Lead",
            "Email = properties.email.\nLeadSource is Web when a campaign medium is present, otherwise Marketing Site.")
        #expect(line(r.mapping, "LeadSource").contains("present(context.campaign.medium)"))
    }

    @Test func wordsThatFitSeveralFieldsOrNoneNameNothing() {
        let r = generate(
            "segment.track", "salesforce.Lead",
            "Email = properties.email.\nLeadSource is Web when a campaign thing is present, otherwise Marketing Site.")
        #expect(!unflagged(r, "LeadSource"))
    }

    @Test func aFieldReadAsTextIsListed() {
        let r = generate(
            "segment.track", "mailchimp.member",
            "email_address = properties.email.\ntags = alpha, beta and context.campaign.name when context.campaign.name is present.")
        #expect(!unflagged(r, "tags"))
    }

    // MARK: Skips with an explaining parenthesis

    @Test func aSkipWithAnExplainingParenthesis() {
        let r = generate(
            "segment.identify", "hubspot.contact",
            "email = traits.email.\nCalls without traits.email are dropped, and so are calls that have no userId (bots, mostly).")
        #expect(r.mapping.contains("skip when blank(traits.email)"))
        #expect(r.mapping.contains("skip when blank(userId)"))
    }

    @Test func aParenthesisThatChangesTheSkipIsNotDropped() {
        let r = generate(
            "segment.identify", "hubspot.contact", "email = traits.email.\nCalls without traits.email are dropped (except for partners).")
        #expect(r.trace.notImplemented.contains { $0.sentence == 2 })
    }

    // MARK: "whichever is filled", "exactly when"

    @Test func whicheverIsFilledIsTheFirstThenTheSecond() {
        for sentence in ["Phone: mobilephone or phone, whichever is filled.", "Phone is whichever of mobilephone and phone is set."] {
            let r = generate("hubspot.contact", "salesforce.Lead", "Email = email.\n" + sentence)
            #expect(line(r.mapping, "Phone").contains("null_if_blank(truncate(mobilephone, 40)) ?? truncate(phone, 40)"), "\(sentence)")
        }
    }

    @Test func whicheverIsLongerIsNotAFallback() {
        let r = generate("hubspot.contact", "salesforce.Lead", "Email = email.\nPhone: mobilephone or phone, whichever is longer.")
        #expect(!line(r.mapping, "Phone").contains("??") || !unflagged(r, "Phone"))
    }

    @Test func exactlyWhenIsWhen() {
        let r = generate(
            "hubspot.contact", "salesforce.Lead", "Email = email.\nRating is Hot exactly when lifecyclestage is customer; Cold otherwise.")
        #expect(line(r.mapping, "Rating").contains("if lifecyclestage == \"customer\" then \"Hot\" else \"Cold\""))
    }

    // MARK: A condition, then "no record is written"

    @Test func aConditionThenNoRecordIsASkip() {
        for sentence in [
            "Given a call without properties.email, then no lead is created.", "For calls without properties.email, nothing is sent.",
            "When properties.email is empty, no lead should be written.",
        ] {
            let r = generate("segment.track", "salesforce.Lead", "Email = properties.email.\n" + sentence)
            #expect(r.mapping.contains("skip when blank(properties.email)"), "\(sentence)")
        }
    }

    @Test func aConditionItCannotReadOrAFieldLeftOutIsNoSkip() {
        let r = generate(
            "segment.track", "salesforce.Lead", "Email = properties.email.\nGiven a call without a frobnitz, then no lead is created.")
        #expect(!r.mapping.contains("skip when"))
        #expect(r.trace.notImplemented.contains { $0.sentence == 2 })
        let field = generate(
            "segment.track", "salesforce.Lead", "Email = properties.email.\nWhen context.campaign.source is empty, no Website is written.")
        #expect(!field.mapping.contains("skip when blank(context.campaign.source)"))
    }

    // MARK: Shorthand fallbacks

    @Test func shorthandFallbacksOneClauseEach() {
        let r = generate(
            "segment.track", "ga4.event", "name is always purchase.\nvalue: revenue; no revenue → total; no total either → price")
        #expect(line(r.mapping, "params.value").contains("properties.revenue ?? properties.total ?? properties.price"))
        let id = generate(
            "segment.track", "ga4.event", "name is always purchase.\nclient_id: anonymousId; no anon → userId; neither → \"n/a\"")
        #expect(line(id.mapping, "client_id").contains("null_if_blank(anonymousId) ?? null_if_blank(userId) ?? \"n/a\""))
    }

    @Test func aShorthandFallbackOnAWordThatNamesNothingIsNotRead() {
        let r = generate("segment.track", "ga4.event", "name is always purchase.\nclient_id: anonymousId; no frobnitz → userId")
        #expect(!line(r.mapping, "client_id").contains("userId") || !unflagged(r, "client_id"))
    }
}
