import Foundation
import MapDSL
import MapGen
import Testing

/// The seventh round of the offline reader (issue 18, skips and event names): skip rules said in the
/// middle of a sentence, in the passive, under a heading, as "no X, no sync" or as the records kept;
/// the conditions inside them; and the event's name said in words. The sentences are written for these
/// tests, not copied from evals/; each reading has a near miss it must not read (or must list).
@Suite struct OfflineSkipsRound7Tests: OfflineReaderTesting {
    /// The skip rules the second sentence gave (the first one names the key, whose blank skip is the generator's).
    func skips(_ mapping: String) -> [String] {
        mapping.split(separator: "\n").filter { $0.hasPrefix("skip when ") && !$0.contains("# [S1]") }.map {
            String($0.dropFirst("skip when ".count).split(separator: "#").first ?? "").trimmingCharacters(in: .whitespaces)
        }
    }

    func listed(_ r: OfflineGenerator.Result, _ sentence: Int) -> Bool {
        r.trace.notImplemented.contains { $0.sentence == sentence }
    }

    // MARK: Where the skip is said

    @Test func aSkipInTheMiddleOfASentence() {
        let r = generate(
            "hubspot.contact", "mailchimp.member",
            "Email Address is the email.\nFNAME is the first name, and please drop contacts without a last name.")
        #expect(skips(r.mapping) == ["blank(lastname)"])
        #expect(line(r.mapping, "merge_fields.FNAME").contains("firstname"))
        // "leave out the empty parts" is about a value, not about records.
        let value = generate(
            "salesforce.Contact", "mailchimp.member",
            "Email Address is the Email.\nADDRESS is the mailing address on one line, and leave out the empty parts.")
        #expect(skips(value.mapping).isEmpty)
        // "ignore the company name": part of a field's name, not records.
        let name = generate(
            "hubspot.contact", "mailchimp.member", "Email Address is the email.\nFNAME is the first name, ignore the company name.")
        #expect(skips(name.mapping).isEmpty)
    }

    @Test func aSecondSkipVerbStartsASecondRule() {
        let r = generate(
            "hubspot.contact", "mailchimp.member",
            "Email Address is the email.\nDon't send contacts without a phone, and leave out anyone whose lifecycle stage is lead.")
        #expect(Set(skips(r.mapping)) == ["blank(phone)", "lifecyclestage == \"lead\""])
        #expect(!listed(r, 2))
        // The second rule unreadable: listed, the first still read, nothing read in part.
        let near = generate(
            "hubspot.contact", "mailchimp.member",
            "Email Address is the email.\nDon't send contacts without a phone, and leave out anyone who looks sleepy.")
        #expect(skips(near.mapping) == ["blank(phone)"])
        #expect(listed(near, 2))
    }

    @Test func mustNotBeSyncedIsASkip() {
        let r = generate(
            "hubspot.company", "salesforce.Account", "Name is the company name.\nPartners (type PARTNER) must not be synced at all.")
        #expect(skips(r.mapping) == ["type == \"PARTNER\""])
        let near = generate(
            "hubspot.company", "salesforce.Account", "Name is the company name.\nPartners (type PARTNER) must be synced first.")
        #expect(skips(near.mapping).isEmpty)
    }

    @Test func produceNoEventAndNeitherDo() {
        let r = generate(
            "salesforce.Lead", "segment.track", "userId = Id.\nConverted leads produce no event, and neither do leads that have no Email.")
        #expect(Set(skips(r.mapping)) == ["IsConverted == true", "blank(Email)"])
        let near = generate("salesforce.Lead", "segment.track", "userId = Id.\nConverted leads produce an event of their own.")
        #expect(skips(near.mapping).isEmpty)
    }

    @Test func stayOutIsASkip() {
        let r = generate("mailchimp.member", "hubspot.contact", "email is email_address.\nMembers who are pending stay out.")
        #expect(skips(r.mapping) == ["status == \"pending\""])
        let near = generate("mailchimp.member", "hubspot.contact", "email is email_address.\nMembers who are sleepy stay out.")
        #expect(skips(near.mapping).isEmpty)
        #expect(listed(near, 2))
    }

    @Test func aHeadingSaysTheRecordsAfterItAreNotSent() {
        let r = generate(
            "hubspot.contact", "mailchimp.member",
            "Email Address is the email.\nRecords we never send: contacts with no phone, and contacts whose lead status is UNQUALIFIED.")
        #expect(Set(skips(r.mapping)) == ["blank(phone)", "hs_lead_status == \"UNQUALIFIED\""])
        let near = generate(
            "hubspot.contact", "mailchimp.member", "Email Address is the email.\nRecords we never send: contacts in a bad mood.")
        #expect(skips(near.mapping).isEmpty)
        #expect(listed(near, 2))
    }

    @Test func noFieldNoSync() {
        let r = generate("segment.identify", "hubspot.contact", "email is traits.email.\nNo userId, no sync.")
        #expect(skips(r.mapping) == ["blank(userId)"])
        let near = generate("segment.identify", "hubspot.contact", "email is traits.email.\nNo userId, so the anonymousId is used.")
        #expect(skips(near.mapping).isEmpty)
    }

    @Test func onlyTheseRecordsGetAnEvent() {
        let r = generate("hubspot.contact", "ga4.event", "client_id = hs_object_id.\nOnly SQLs and customers get an event.")
        #expect(skips(r.mapping) == ["not (lifecyclestage == \"salesqualifiedlead\" or lifecyclestage == \"customer\")"])
        let near = generate("hubspot.contact", "ga4.event", "client_id = hs_object_id.\nOnly SQLs and sleepers get an event.")
        #expect(skips(near.mapping).isEmpty)
        #expect(listed(near, 2))
    }

    @Test func onlyTheNamedEvent() {
        let r = generate(
            "segment.track", "salesforce.Lead", "Email = properties.email.\nOnly the Trial Started event, drop every other event.")
        #expect(skips(r.mapping) == ["not event == \"Trial Started\""])
        let quoted = generate(
            "segment.track", "salesforce.Lead",
            "Email = properties.email.\nOnly the events \"Quote Asked\" and \"Call Booked\" create leads; if the event is none of those, skip it."
        )
        #expect(skips(quoted.mapping).count == 1)
        #expect(skips(quoted.mapping).first?.contains("event == \"Quote Asked\" or event == \"Call Booked\"") == true)
        #expect(!listed(quoted, 2))
        let near = generate("segment.track", "salesforce.Lead", "Email = properties.email.\nOnly the Trial Started event has a plan.")
        #expect(skips(near.mapping).isEmpty)
    }

    // MARK: Conditions

    @Test func aYesNoFieldSaidAsAnAdjective() {
        let r = generate("salesforce.Contact", "mailchimp.member", "Email Address is the Email.\nSkip deleted contacts.")
        #expect(skips(r.mapping) == ["IsDeleted == true"])
        // In the middle of a sentence, after a gerund.
        let mid = generate(
            "salesforce.Contact", "mailchimp.member",
            "Email Address is the Email.\nWe want one member per contact, skipping deleted contacts.")
        #expect(skips(mid.mapping) == ["IsDeleted == true"])
        let near = generate("salesforce.Contact", "mailchimp.member", "Email Address is the Email.\nSkip undeleted contacts.")
        #expect(skips(near.mapping).isEmpty)
        #expect(listed(near, 2))
    }

    @Test func setToTrueIsTrue() {
        let r = generate(
            "salesforce.Contact", "mailchimp.member", "Email Address is the Email.\nAlso skip everyone who has Email Opt Out set to true.")
        #expect(skips(r.mapping) == ["HasOptedOutOfEmail == true"])
        let near = generate(
            "salesforce.Contact", "mailchimp.member", "Email Address is the Email.\nAlso skip everyone who has Email Opt Out set to maybe.")
        #expect(skips(near.mapping).isEmpty)
        #expect(listed(near, 2))
    }

    @Test func endingInWhateverTheCase() {
        let r = generate(
            "segment.identify", "hubspot.contact",
            "email is traits.email.\nSkip identifies with no traits.email, and skip our staff (any email ending in @Acme.io, whatever the case)."
        )
        #expect(skips(r.mapping) == ["ends_with(lower(trim(traits.email)), \"@acme.io\")"])
        #expect(r.mapping.contains("skip when blank(traits.email)"))
        // "whatever the case" on a condition it cannot make case-blind: listed, not read without it.
        let near = generate(
            "segment.identify", "hubspot.contact", "email is traits.email.\nSkip anyone whose traits.plan is Free, whatever the case.")
        #expect(skips(near.mapping).isEmpty)
        #expect(listed(near, 2))
    }

    @Test func taggedInAnyCapitalisation() {
        let r = generate(
            "mailchimp.member", "salesforce.Lead",
            "Email is email_address.\nPending members, and anyone tagged staff (in any capitalisation), are excluded.")
        #expect(Set(skips(r.mapping)) == ["status == \"pending\"", "contains(lower(tags), \"staff\")"])
        let near = generate(
            "mailchimp.member", "salesforce.Lead",
            "Email is email_address.\nPending members, and anyone tagged as very staff, are excluded.")
        #expect(!skips(near.mapping).contains { $0.contains("tags") })
        #expect(listed(near, 2))
    }

    @Test func orThatHaveNoneTakesTheFieldBefore() {
        let r = generate(
            "hubspot.contact", "ga4.event",
            "client_id = hs_object_id.\nSkip contacts whose lifecycle stage is lead or other, or that have no stage.")
        #expect(Set(skips(r.mapping)) == ["lifecyclestage == \"lead\" or lifecyclestage == \"other\"", "blank(lifecyclestage)"])
        let near = generate(
            "hubspot.contact", "ga4.event",
            "client_id = hs_object_id.\nSkip contacts whose lifecycle stage is lead or other, or that have no clue.")
        #expect(!skips(near.mapping).contains { $0.contains("blank") })
        #expect(listed(near, 2))
    }

    @Test func anExplanationAfterTheRuleIsNotPartOfIt() {
        let r = generate("mailchimp.member", "hubspot.contact", "email is email_address.\nLeave out pending members, we never mail those.")
        #expect(skips(r.mapping) == ["status == \"pending\""])
        // A reason that names a value is no explanation to drop: the rule is listed.
        let near = generate(
            "mailchimp.member", "hubspot.contact", "email is email_address.\nLeave out pending members and cleaned members who are VIPs.")
        #expect(!skips(near.mapping).contains("status == \"cleaned\""))
    }

    @Test func aDestinationsWordsNameTheSourceFieldWithItsLabel() {
        // "first name" spells Salesforce's FirstName; a skip tests the member's FNAME, whose label it is.
        let r = generate(
            "mailchimp.member", "salesforce.Lead", "Email is email_address.\nSkip members that have neither a first name nor a last name.")
        #expect(skips(r.mapping) == ["blank(merge_fields.FNAME) and blank(merge_fields.LNAME)"])
        let near = generate("mailchimp.member", "salesforce.Lead", "Email is email_address.\nSkip members that have no middle name.")
        #expect(skips(near.mapping).isEmpty)
        #expect(listed(near, 2))
    }

    @Test func aLabelInQuotesNamesTheField() {
        let r = generate(
            "hubspot.contact", "mailchimp.member", "Email Address is the email.\nAlso skip anyone who has \"Lifecycle Stage\" set to other."
        )
        #expect(skips(r.mapping) == ["lifecyclestage == \"other\""])
        let near = generate(
            "hubspot.contact", "mailchimp.member", "Email Address is the email.\nAlso skip anyone who has \"Mood Ring\" set to other.")
        #expect(skips(near.mapping).isEmpty)
        #expect(listed(near, 2))
    }

    @Test func aDateBound() {
        let r = generate(
            "hubspot.contact", "ga4.event",
            "client_id = hs_object_id.\nContacts created before 3 March 2022 are not sent (already imported).")
        #expect(skips(r.mapping) == ["createdate < to_datetime(\"2022-03-03T00:00:00Z\")"])
        let iso = generate(
            "hubspot.contact", "ga4.event", "client_id = hs_object_id.\nSkip contacts whose createdate is on or after 2025-10-01.")
        #expect(skips(iso.mapping) == ["createdate >= to_datetime(\"2025-10-01T00:00:00Z\")"])
        // "after" a day: that day or the next? Listed, and never read as an equality.
        let near = generate("hubspot.contact", "ga4.event", "client_id = hs_object_id.\nSkip contacts created after 3 March 2022.")
        #expect(skips(near.mapping).isEmpty)
        #expect(listed(near, 2))
    }

    @Test func everyRecordExceptSome() {
        let r = generate(
            "salesforce.Lead", "mailchimp.member",
            "Email Address is the Email.\nWho is sent: every lead with a phone, except deleted leads and leads whose status is \"Working - Contacted\"."
        )
        #expect(Set(skips(r.mapping)) == ["blank(Phone)", "IsDeleted == true", "Status == \"Working - Contacted\""])
        let near = generate(
            "salesforce.Lead", "mailchimp.member", "Email Address is the Email.\nEvery lead with a phone, except the grumpy ones.")
        #expect(!skips(near.mapping).contains("IsDeleted == true"))
        #expect(listed(near, 2))
    }

    // MARK: Event names

    @Test func theEventNameNamedInWordsTakesAValueMap() {
        let r = generate(
            "hubspot.contact", "ga4.event",
            "client_id = hs_object_id.\nThe event name depends on the lifecycle stage: lead → stage_lead, customer → stage_won, anything else → stage_other."
        )
        #expect(line(r.mapping, "name").contains("match lifecyclestage"))
        let its = generate(
            "mailchimp.member", "ga4.event",
            "client_id = id.\nIts name depends on the status: pending → list_pending, anything else → list_other.")
        #expect(line(its.mapping, "name").contains("match status"))
        // A source with an `event` of its own: "event names arrive …" is about the source, not the name.
        let near = generate("segment.track", "ga4.event", "client_id = anonymousId.\nEvent names arrive with odd spacing.")
        #expect(!line(near.mapping, "name").contains("[S2]"))
    }

    @Test func aConstantEventNameSaidInPassing() {
        let r = generate("mailchimp.member", "ga4.event", "client_id = id.\nSend each member as a list_joined event.")
        #expect(line(r.mapping, "name").contains("= \"list_joined\""))
        // A plain word may be anything: no constant.
        let near = generate("mailchimp.member", "ga4.event", "client_id = id.\nSend each member as a newsletter event.")
        #expect(!line(near.mapping, "name").contains("\"newsletter\""))
        // Words that choose records make it no constant for every record.
        let chosen = generate("mailchimp.member", "ga4.event", "client_id = id.\nCleaned members send a list_cleaned event.")
        #expect(!line(chosen.mapping, "name").contains("= \"list_cleaned\""))
    }

    @Test func theEventIsCalled() {
        let r = generate("hubspot.contact", "segment.track", "userId = hs_object_id.\nThe event is called Account Synced.")
        #expect(line(r.mapping, "event").contains("= \"Account Synced\""))
        let near = generate("hubspot.contact", "segment.track", "userId = hs_object_id.\nThe event is called after the sync.")
        #expect(!line(near.mapping, "event").contains("after"))
    }

    @Test func eventNameColonAName() {
        let r = generate("hubspot.contact", "ga4.event", "client_id = hs_object_id.\nevent name: refund")
        #expect(line(r.mapping, "name").contains("= \"refund\""))
        let near = generate("hubspot.contact", "ga4.event", "client_id = hs_object_id.\nevent name: refunded")
        #expect(!line(near.mapping, "name").contains("\"refunded\""))
        #expect(listed(near, 2))
    }

    @Test func oneEventNamePerValue() {
        let r = generate(
            "mailchimp.member", "ga4.event",
            "client_id = id.\ncleaned members send a list_cleaned event; pending members send list_pending.")
        let rule = line(r.mapping, "name")
        #expect(rule.contains("match status"))
        #expect(r.mapping.contains("\"cleaned\" => \"list_cleaned\""))
        #expect(r.mapping.contains("\"pending\" => \"list_pending\""))
        // The default is a guess: flagged.
        #expect(r.trace.flagged.contains("name"))
        let near = generate(
            "mailchimp.member", "ga4.event", "client_id = id.\ncleaned members send a list_cleaned event; sleepy members send list_sleepy.")
        #expect(!line(near.mapping, "name").contains("match status"))
    }

    @Test func sourceEventsToEventNamesPairByPair() {
        let r = generate(
            "segment.track", "ga4.event",
            "client_id = anonymousId.\nforward Cart Viewed as view_cart and Coupon Applied as \"coupon_used\"; every other event stays out."
        )
        #expect(r.mapping.contains("\"Cart Viewed\"    => \"view_cart\""))
        #expect(r.mapping.contains("\"Coupon Applied\" => \"coupon_used\""))
        #expect(skips(r.mapping) == ["not (event == \"Cart Viewed\" or event == \"Coupon Applied\")"])
        // Without a word on the other events, the default arm is a guess: flagged.
        let open = generate(
            "segment.track", "ga4.event", "client_id = anonymousId.\nCart Viewed → view_cart, Coupon Applied → coupon_used.")
        #expect(line(open.mapping, "name").contains("match event"))
        #expect(open.trace.flagged.contains("name"))
        // A name that is no event name ("Cart Viewed as cart"): not read.
        let near = generate(
            "segment.track", "ga4.event",
            "client_id = anonymousId.\nforward Cart Viewed as cart and Coupon Applied as coupon; every other event stays out.")
        #expect(!line(near.mapping, "name").contains("match event"))
        #expect(listed(near, 2))
    }

    @Test func aRetractedSkipIsDropped() {
        let r = generate(
            "mailchimp.member", "hubspot.contact",
            "email is email_address.\nAlso skip members whose status is pending... No wait, just skip when status is cleaned.")
        #expect(skips(r.mapping) == ["status == \"cleaned\""])
        let one = generate(
            "mailchimp.member", "hubspot.contact", "email is email_address.\nSkip pending members, no wait, skip cleaned members.")
        #expect(skips(one.mapping) == ["status == \"cleaned\""])
        // "No wait" before something it cannot read: the earlier skip goes, the sentence is listed.
        let near = generate(
            "mailchimp.member", "hubspot.contact",
            "email is email_address.\nAlso skip members whose status is pending... No wait, just skip the grumpy ones.")
        #expect(skips(near.mapping).isEmpty)
        #expect(listed(near, 3))
    }

    @Test func recordsThenTheVerbAfterAColon() {
        // The words spell one picklist value whole, slash for dash.
        let r = generate("salesforce.Lead", "mailchimp.member", "Email Address is the Email.\nworking/contacted leads: drop them")
        #expect(skips(r.mapping) == ["Status == \"Working - Contacted\""])
        let near = generate("salesforce.Lead", "mailchimp.member", "Email Address is the Email.\nworking/sleepy leads: drop them")
        #expect(skips(near.mapping).isEmpty)
        #expect(listed(near, 2))
    }

    @Test func skipEveryOtherEventAfterAnEventMap() {
        let r = generate(
            "segment.track", "ga4.event",
            "client_id = anonymousId.\nCart Viewed → view_cart, Coupon Applied → coupon_used.\nDrop all the other events.")
        #expect(skips(r.mapping) == ["not (event == \"Cart Viewed\" or event == \"Coupon Applied\")"])
        // The default arm can no longer be reached: the name is not flagged.
        #expect(!r.trace.flagged.contains("name"))
        // Without an event map before it: listed, no rule.
        let near = generate("segment.track", "ga4.event", "client_id = anonymousId.\nname = event.\nDrop all the other events.")
        #expect(skips(near.mapping).isEmpty)
        #expect(listed(near, 3))
        // "events with neither: drop them" is about other fields, not the other events.
        let fields = generate(
            "segment.track", "ga4.event",
            "client_id = anonymousId.\nCart Viewed → view_cart, Coupon Applied → coupon_used.\nEvents with neither: drop them.")
        #expect(skips(fields.mapping).isEmpty)
    }

    @Test func eventNamesForValues() {
        let r = generate(
            "hubspot.contact", "ga4.event",
            "client_id = hs_object_id.\nevent name -> stage_early for leads and opportunities, stage_late for customers, stage_other for everyone else"
        )
        #expect(line(r.mapping, "name").contains("match lifecyclestage"))
        #expect(r.mapping.contains("\"lead\", \"opportunity\" => \"stage_early\""))
        #expect(r.mapping.contains("=> \"stage_other\""))
        #expect(!r.trace.flagged.contains("name"))
        // "MQLs" is HubSpot's marketingqualifiedlead (a value the sentence does not spell, so the honesty
        // guard may flag it).
        let mql = generate(
            "hubspot.contact", "ga4.event", "client_id = hs_object_id.\nevent name -> stage_early for MQLs, stage_late for customers")
        #expect(mql.mapping.contains("\"marketingqualifiedlead\" => \"stage_early\""))
        // A value no picklist holds: not read.
        let near = generate(
            "hubspot.contact", "ga4.event",
            "client_id = hs_object_id.\nevent name -> stage_early for leads and wizards, stage_late for customers")
        #expect(!line(near.mapping, "name").contains("match lifecyclestage"))
        #expect(listed(near, 2))
    }

    @Test func anEventMapWithAComputedDefault() {
        let r = generate(
            "segment.track", "ga4.event",
            "client_id = anonymousId.\nThe GA4 event name is a translation of the Segment event: \"Cart Viewed\" becomes view_cart, \"Coupon Applied\" becomes coupon_used; for any other event use the event lower-cased."
        )
        #expect(line(r.mapping, "name").contains("match event"))
        #expect(r.mapping.contains("lower(event)"))
        #expect(!r.trace.flagged.contains("name"))
        // A default it cannot read: no map at all (never one with a guessed default).
        let near = generate(
            "segment.track", "ga4.event",
            "client_id = anonymousId.\nThe GA4 event name is a translation of the Segment event: \"Cart Viewed\" becomes view_cart, \"Coupon Applied\" becomes coupon_used; for any other event use something nice."
        )
        #expect(!line(near.mapping, "name").contains("coupon_used"))
        #expect(listed(near, 2))
    }
}
