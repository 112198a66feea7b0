import Foundation
import MapDSL
import Testing

@testable import MapGen

/// Issue 18, "generation that never guesses silently": the scorer counts a missing field or skip as
/// reported only when a listed sentence names it in words a reader would take for it, and the offline
/// generator's honesty guards list sentences whose rules do not account for all they say. Every
/// sentence here is written for these tests, not copied from evals/.
@Suite struct OfflineHonestyGuardTests: OfflineReaderTesting {
    // MARK: - Scorer

    func score(
        _ from: String, _ to: String, reference: String, generated: String, records: [String], listed: [Int], prose: String
    ) -> [String: FieldScore] {
        let c = EvalCase(
            name: "x", group: "tune", prose: ProseDocument(from: from, to: to, body: prose), reference: reference,
            records: records.map { try! JSONParser.parse($0) }, lookups: [:])
        let s = EvalScorer.score(c, EvalGeneration(mapping: generated, notImplemented: listed), schemas: Fixtures.schemas)
        return Dictionary(uniqueKeysWithValues: s.fields.map { ($0.field, $0) })
    }

    static let leadRecords = [
        #"{"hs_object_id": "1", "firstname": "Ann", "lastname": "Lee", "email": "a@x.com", "lifecyclestage": "lead"}"#,
        #"{"hs_object_id": "2", "firstname": "Bo", "lastname": "Ng", "email": "b@x.com", "lifecyclestage": "other"}"#,
    ]
    static let leadReference = """
        mapping hubspot.contact -> salesforce.Lead
        key HubSpot_Contact_Id__c
        skip when lifecyclestage == "other"
        HubSpot_Contact_Id__c = hs_object_id
        FirstName = firstname
        LastName = lastname ?? "?"
        Company = "Acme"
        Status = "Open - Not Contacted"
        """
    static let leadGenerated = """
        mapping hubspot.contact -> salesforce.Lead
        key HubSpot_Contact_Id__c
        HubSpot_Contact_Id__c = hs_object_id  # [S1] confidence 0.90
        LastName = lastname ?? "?"  # [S1] confidence 0.90
        Company = "Acme"  # [S1] confidence 0.95
        Status = "Open - Not Contacted"  # [S1] confidence 0.95
        """

    func leads(listing sentence: String) -> [String: FieldScore] {
        score(
            "hubspot.contact", "salesforce.Lead", reference: Self.leadReference, generated: Self.leadGenerated,
            records: Self.leadRecords, listed: [2], prose: "Leads are keyed on hs_object_id, with lastname and Company Acme. " + sentence)
    }

    @Test func aListedSentenceNamesAFieldByItsSchemaLabel() {
        #expect(leads(listing: "The given name wants proper casing, so title-case the first name.")["FirstName"]?.flagged == true)
        // A label of another field that contains the word is no mention of this one.
        #expect(leads(listing: "The surname wants proper casing, so title-case the last name.")["FirstName"]?.flagged == false)
    }

    @Test func aListedSentenceNamesAFieldByTheLastPartOfItsDottedNameEvenWhenShort() {
        let reference = """
            mapping segment.track -> ga4.event
            client_id = anonymousId ?? "x"
            name = "purchase"
            params.tax = properties.tax
            """
        let generated = """
            mapping segment.track -> ga4.event
            client_id = anonymousId ?? "x"  # [S1] confidence 0.90
            name = "purchase"  # [S1] confidence 0.95
            """
        let records = [#"{"messageId": "m1", "anonymousId": "a1", "event": "Order Completed", "properties.tax": 2.5}"#]
        func taxFlagged(_ sentence: String) -> Bool? {
            score(
                "segment.track", "ga4.event", reference: reference, generated: generated, records: records, listed: [2],
                prose: "client_id is anonymousId and the name is purchase. " + sentence)["params.tax"]?.flagged
        }
        #expect(taxFlagged("Tax and discount: carry them over.") == true)
        #expect(taxFlagged("Taxes go over as they are.") == true)
        #expect(taxFlagged("The taxonomy of products stays with the shop.") == false)
    }

    @Test func aListedSentenceNamesAFieldInTheSingularOrPlural() {
        let reference = """
            mapping hubspot.contact -> mailchimp.member
            key email_address
            email_address = email ?? "x@example.com"
            status = "subscribed"
            tags = "spring-fair"
            """
        let generated = """
            mapping hubspot.contact -> mailchimp.member
            key email_address
            email_address = email ?? "x@example.com"  # [S1] confidence 0.90
            status = "subscribed"  # [S1] confidence 0.95
            """
        let records = [#"{"hs_object_id": "1", "email": "a@x.com"}"#]
        func tagsFlagged(_ sentence: String) -> Bool? {
            score(
                "hubspot.contact", "mailchimp.member", reference: reference, generated: generated, records: records, listed: [2],
                prose: "email_address is email and status is subscribed. " + sentence)["tags"]?.flagged
        }
        #expect(tagsFlagged("Give each member the tag spring-fair.") == true)
        #expect(tagsFlagged("Our tagline is printed on the flyer.") == false)
    }

    @Test func aListedSentenceThatSaysRecordsAreNotSentReportsTheSkip() {
        for sentence in [
            "Contacts at the stage other must not be synced.", "Anything at the stage other is not sent.",
            "Please don't sync contacts at the stage other.", "We never send other-stage contacts.",
            "Every contact except those at the stage other.", "Other-stage contacts produce no record.",
            "Other-stage contacts stay out of the feed.", "Leave out contacts at the stage other.",
        ] {
            #expect(leads(listing: sentence)["(skip)"]?.flagged == true, "\(sentence)")
        }
        for sentence in [
            "The first name is as the form gave it.", "Keep the first name even if the app didn't send one.",
            "Company is Acme, except that partners are Acme Partners.",
        ] {
            #expect(leads(listing: sentence)["(skip)"]?.flagged == false, "\(sentence)")
        }
    }

    // MARK: - Generator guards

    func reasons(_ r: OfflineGenerator.Result, _ sentence: Int) -> String? {
        r.trace.notImplemented.first { $0.sentence == sentence }?.reasons.joined(separator: "; ")
    }

    @Test func aSentenceThatSaysRecordsAreNotSentButGaveNoSkipIsListed() {
        let r = generate(
            "hubspot.contact", "salesforce.Lead",
            "Leads are keyed on HubSpot_Contact_Id__c from hs_object_id. LastName is lastname. Contacts from the test team must not be synced. Skip contacts without an email."
        )
        // Listed, by the guard ("left out") or by the skip reader ("a skip condition it could not read").
        #expect(reasons(r, 3) != nil)
        #expect(!r.mapping.contains("[S3]"))
        // A skip it read is not listed.
        #expect(r.mapping.contains("skip when blank(email)"))
        #expect(reasons(r, 4) == nil)
    }

    @Test func aSentenceThatNamesADestinationFieldInWordsAndGaveNothingIsListed() {
        let r = generate(
            "hubspot.contact", "mailchimp.member",
            "email_address is email. status is subscribed. The tag should say how keen they seemed at the fair. These people signed up at the spring fair."
        )
        #expect(reasons(r, 3)?.contains("names tags") == true)
        // A sentence that names no field stays context.
        #expect(reasons(r, 4) == nil)
    }

    // MARK: - Guards over a reading (each given a reading that drops part of its sentence)

    /// The guard's reasons for `sentence` read as `rules` (field → value) and `skips`.
    func review(
        _ sentence: String, _ rules: [(String, String)] = [], skips: [String] = [], from: String = "hubspot.contact",
        to: String = "salesforce.Lead"
    ) -> [String] {
        let source = Fixtures.schema(from)
        let destination = Fixtures.schema(to)
        var o = SentenceOutcome()
        o.assignments = rules.map { name, value in
            .init(field: destination.field(name)!, value: ReadValue(text: value, kind: .copy), confidence: 0.9, note: "named in prose")
        }
        o.skips = skips.map { ($0, 0.9) }
        o.namesDestination = !rules.isEmpty
        let tokens = SentenceTokens(sentence, source: source, destination: destination).tokens
        return HonestyGuard.review(sentence, tokens: tokens, outcome: o, source: source, destination: destination)
    }

    @Test func aConditionWordWhoseRuleHasNoConditionIsListed() {
        #expect(
            review("Title is jobtitle whenever the contact is a customer.", [("Title", "jobtitle")]).first?.contains("whenever") == true)
        #expect(review("Title is jobtitle, but leave it out if the contact is a partner.", [("Title", "jobtitle")]).count == 1)
        // The condition is in the rule; a moment ("the date when …") and an aside are no conditions.
        #expect(
            review(
                "Title is jobtitle whenever the contact is a customer.",
                [("Title", #"if lifecyclestage == "customer" then jobtitle else null"#)]
            ).isEmpty)
        #expect(review("Description is the date when the contact was created.", [("Description", "to_string(createdate)")]).isEmpty)
        #expect(review("Title is jobtitle (otherwise the reps complain).", [("Title", "jobtitle")]).isEmpty)
        #expect(review("DoNotCall is true if the contact has a phone.", [("DoNotCall", "present(phone)")]).isEmpty)
    }

    @Test func anUnquotedLiteralNoRuleHoldsIsListed() {
        #expect(review("Company is company, cut to 40 characters.", [("Company", "truncate(company, 255)")]).count == 1)
        #expect(
            review("Status is Working - Contacted for BAD_TIMING contacts.", [("Status", #""Working - Contacted""#)]).first?.contains(
                "BAD_TIMING") == true)
        #expect(review("Website is https://acme.example for everyone.", [("Website", "website")]).count == 1)
        #expect(review("Description is false for the contacts we import.", [("Description", "message")]).count == 1)
        // Held by the rule, or only an example in an aside.
        #expect(review("Company is company, cut to 40 characters.", [("Company", "truncate(company, 40)")]).isEmpty)
        #expect(review("DoNotCall is false for everyone.", [("DoNotCall", "false")]).isEmpty)
        #expect(review("Company is company in capitals (acme 2 becomes ACME 2).", [("Company", "upper(company)")]).isEmpty)
    }

    @Test func anInstructionWordReadAsAValueIsListed() {
        #expect(review("LeadSource stays unchanged.", [("Description", #""unchanged""#)]).first?.contains("instruction") == true)
        // Quoted, it is a value.
        #expect(review(#"Description is "unchanged" for everyone."#, [("Description", #""unchanged""#)]).isEmpty)
    }

    @Test func aConstantTheSentenceDoesNotSpellIsListed() {
        #expect(
            review("Description is the fixed text web.", [("Description", #""Website form""#)]).first?.contains("Website form") == true)
        // Spelled in another case or number, a separator, a date written in words, a picklist value.
        #expect(review("Description is the fixed text web.", [("Description", #""Web""#)]).isEmpty)
        #expect(review("Description is partners for everyone.", [("Description", #""partner""#)]).isEmpty)
        #expect(review("Description is city, a dash and the country.", [("Description", #"city + " - " + country"#)]).isEmpty)
        #expect(review("Description is 1 Jan 2023 for all.", [("Description", #""2023-01-01""#)]).isEmpty)
        #expect(review("Rating is the top grade.", [("Rating", #""Hot""#)]).isEmpty)
    }

    @Test func aSkipValueNeitherQuotedNorAPicklistValueIsListed() {
        #expect(review("Skip contacts whose company is acme test.", skips: [#"company == "acme test""#]).count == 1)
        // Quoted, or a value of the source's picklist.
        #expect(review(#"Skip contacts whose company is "acme test"."#, skips: [#"company == "acme test""#]).isEmpty)
        #expect(review("Skip contacts whose lead status is BAD_TIMING.", skips: [#"hs_lead_status == "BAD_TIMING""#]).isEmpty)
    }

    @Test func aStatementThatGaveNoRuleIsListed() {
        #expect(review("Plan tier -> whatever billing says").first?.contains("statement") == true)
        // A heading from one platform to the other states context.
        #expect(review("HubSpot contacts -> Salesforce leads").isEmpty)
        #expect(review("Web form fills -> SFDC leads").isEmpty)
    }

    @Test func aConditionOnTheRuleBeforeThatWasNotReadListsItAndFlagsThatRule() {
        let r = generate(
            "hubspot.contact", "salesforce.Lead",
            "Leads are keyed on HubSpot_Contact_Id__c from hs_object_id. Title is jobtitle. If it is empty, ask Bob from sales. FirstName is firstname. If it is empty, use Friend."
        )
        #expect(reasons(r, 3)?.contains("condition on the rule before") == true)
        #expect(line(r.mapping, "Title").contains("REVIEW: [S3] continues it"))
        // A condition that was read continues its rule and lists nothing.
        #expect(reasons(r, 5) == nil)
        #expect(line(r.mapping, "FirstName").contains(#"?? "Friend""#) && !line(r.mapping, "FirstName").contains("REVIEW"))
    }

}
