import Foundation
import MapDSL
import Testing

@testable import MapGen

/// Mapping sentences wrapped in documents (issue 18): requirement ids and MUST wording, transcripts,
/// questions and answers, greetings and sign-offs, asides that only confirm a copy. The sentences are
/// written for these tests, not copied from evals/.
@Suite struct OfflineDocumentShapeTests: OfflineReaderTesting {
    let lead = Fixtures.schema("salesforce.Lead")
    let contact = Fixtures.schema("hubspot.contact")

    func shape(_ sentences: [String]) -> DocumentShape.Shaped {
        DocumentShape.shape(sentences, source: lead, destination: contact)
    }

    // MARK: - Requirement ids and MUST wording

    @Test func numberedRequirementsInMustWordingAreReadAsPlainInstructions() {
        let r = generate(
            "salesforce.Lead", "hubspot.contact",
            """
            FR-1: The integration MUST NOT send leads that are already converted (IsConverted true).
            FR-2: jobtitle and city MUST be copied unchanged from Title and City.
            FR-3: fax MUST equal Fax.
            """)
        #expect(r.mapping.contains("skip when IsConverted"))
        #expect(unflagged(r, "jobtitle") && line(r.mapping, "jobtitle").contains("= Title"))
        #expect(unflagged(r, "city") && line(r.mapping, "city").contains("= City"))
        #expect(unflagged(r, "fax") && line(r.mapping, "fax").contains("= Fax"))
    }

    @Test func aFieldThatShallBeUsedIsTheFallback() {
        #expect(
            DocumentShape.plainWording("mobilephone MUST be MobilePhone; if it is empty, Phone SHALL be used.")
                == "mobilephone is MobilePhone; if it is empty, use Phone.")
        #expect(DocumentShape.plainWording("Contacts without an email are to be left out.") == "Contacts without an email are left out.")
    }

    @Test func lowerCaseMustAndIdsThatOpenNoRequirementAreLeftAlone() {
        // Ordinary "must be" is the readers' own wording; only the RFC capitals are rewritten.
        #expect(DocumentShape.plainWording("The key should be unique per lead.") == "The key should be unique per lead.")
        // "R2 leads" is no id: an id ends in a dot, a colon or a bracket.
        #expect(DocumentShape.stripRequirementId("R2 leads go to the partner team.") == "R2 leads go to the partner team.")
        #expect(DocumentShape.stripRequirementId("AC4) fax is Fax.") == "fax is Fax.")
        #expect(DocumentShape.stripRequirementId("[REQ-7] fax is Fax.") == "fax is Fax.")
        #expect(DocumentShape.isBareId("R12.") && !DocumentShape.isBareId("Rating."))
    }

    // MARK: - Transcripts

    @Test func speakersOfATranscriptAreDroppedButFieldLabelsStay() {
        let s = shape([
            "Dana: jobtitle comes from Title.", "Omar: and fax is Fax.", "Dana: city = City.", "Omar: agreed.",
        ])
        #expect(s.sentences == ["jobtitle comes from Title.", "and fax is Fax.", "city = City.", "agreed."])
        // "Company:" and "Fax:" name fields: a list of labelled statements is no transcript.
        let labels = shape(["Company: Company as is.", "Fax: the Fax.", "Company: trimmed.", "Fax: no change."])
        #expect(labels.sentences[0] == "Company: Company as is.")
        // One speaker only (a note signed "Dana:") is no transcript either.
        #expect(shape(["Dana: fax is Fax.", "Dana: city is City."]).sentences[0] == "Dana: fax is Fax.")
    }

    @Test func aTranscriptIsReadWithoutItsSpeakers() {
        let r = generate(
            "salesforce.Lead", "hubspot.contact",
            """
            Kim: let's go through the fields.
            Luis: jobtitle MUST be the Title.
            Kim: and website is Website.
            Luis: fine by me.
            """)
        #expect(unflagged(r, "jobtitle") && line(r.mapping, "jobtitle").contains("= Title"))
        #expect(unflagged(r, "website"))
    }

    // MARK: - Questions and answers

    @Test func anAnswerIsReadUnderTheFieldItsQuestionNames() {
        let r = generate(
            "salesforce.Lead", "hubspot.contact",
            """
            Q: What about the lead status?
            A: Always NEW.

            Q: Is there a message?
            A: Yes, message reads "Imported lead " followed by the lead Id.
            """)
        #expect(line(r.mapping, "hs_lead_status").contains("\"NEW\""))
        #expect(line(r.mapping, "message").contains("\"Imported lead \" + Id"))
        // The questions are read with their answers, not listed on their own.
        #expect(!r.trace.notImplemented.contains { $0.sentence == 1 || $0.sentence == 3 })
    }

    @Test func anAnswerThatNamesItsOwnFieldOrAQuestionOfTwoFieldsGetsNoSubject() {
        let own = shape(["Q: And the lead status?", "A: hs_lead_status is NEW."])
        #expect(own.sentences[1] == "hs_lead_status is NEW.")
        #expect(own.passed == [0])
        let two = shape(["Q: Phone or fax?", "A: Both from Phone."])
        #expect(two.sentences[1] == "Both from Phone.")
        // A question with no answer after it stays a sentence to read (and to list).
        let alone = shape(["Q: What about the lead status?", "fax is Fax."])
        #expect(alone.passed.isEmpty && alone.sentences[1] == "fax is Fax.")
    }

    // MARK: - Asides and pleasantries

    @Test func anAsideThatOnlyConfirmsACopyIsDropped() {
        #expect(DocumentShape.dropCopyAsides("fax = Fax (no change).") == "fax = Fax.")
        #expect(DocumentShape.dropCopyAsides("jobtitle, city = Title, City, no cleanup.") == "jobtitle, city = Title, City.")
        let r = generate("salesforce.Lead", "hubspot.contact", "website = Website (unchanged).\nfax = Fax, untouched.")
        #expect(unflagged(r, "website") && unflagged(r, "fax"))
    }

    @Test func anAsideThatSaysMoreThanACopyStays() {
        #expect(DocumentShape.dropCopyAsides("phone = Phone, unchanged unless blank.") == "phone = Phone, unchanged unless blank.")
        #expect(DocumentShape.dropCopyAsides("phone = Phone, otherwise unchanged.") == "phone = Phone, otherwise unchanged.")
    }

    @Test func greetingsAndSignOffsAreNotReadButOneThatNamesAFieldIs() {
        let s = shape(["Hi team,", "fax is Fax.", "Thanks!", "Kind regards, Dana"])
        #expect(s.passed == [0, 2, 3])
        let r = generate("salesforce.Lead", "hubspot.contact", "Hi all,\n\nfax is Fax.\n\nCheers, Dana")
        #expect(r.trace.notImplemented.isEmpty)
        // A thank-you that carries a rule is read (and listed when it cannot be).
        #expect(shape(["Thanks, and fax is Fax."]).passed.isEmpty)
        #expect(!DocumentShape.isPleasantry("Hello world is the default message."))
    }

    // MARK: - Nested bullets

    @Test func bulletsUnderAHeadingThatAsksWhoGoesOverAreFilters() {
        let r = generate(
            "salesforce.Lead", "hubspot.contact",
            """
            - Who gets synced
              - only leads with an Email
              - never anyone who is converted (IsConverted true)
            - Fields
              - fax: Fax
            """)
        #expect(r.mapping.contains("skip when IsConverted"))
        #expect(r.mapping.contains("Email") && r.mapping.contains("skip when"))
        #expect(!r.trace.notImplemented.contains { $0.sentence == 1 })
    }

    @Test func bulletsUnderAFieldHeadingAreOneInstructionAboutIt() {
        let body = "* Lead status\n  * Open means NEW\n  * anything else is OPEN\n* fax: Fax"
        let sentences = ProseDocument(from: nil, to: nil, body: body).sentences
        let s = DocumentShape.shape(sentences, body: body, source: lead, destination: contact)
        #expect(s.sentences[0] == "hs_lead_status: Open means NEW; anything else is OPEN.")
        #expect(s.passed == [1, 2])
    }

    @Test func nestingThatIsNeitherAFilterNorAFieldHeadingIsLeftAlone() {
        // The children name their own destination fields: each is read on its own.
        let body = "* Names\n  * firstname from FirstName\n  * lastname from LastName"
        let sentences = ProseDocument(from: nil, to: nil, body: body).sentences
        let s = DocumentShape.shape(sentences, body: body, source: lead, destination: contact)
        #expect(s.sentences == sentences && s.passed.isEmpty)
        // Bullets that are not nested are no children, even under a filter-like first line.
        let flat = "* Who gets synced\n* only leads with an Email"
        let f = DocumentShape.shape(
            ProseDocument(from: nil, to: nil, body: flat).sentences, body: flat, source: lead, destination: contact)
        #expect(f.sentences[1] == "only leads with an Email")
    }

    // MARK: - Questions about filters and keys, and what a transcript asks about

    @Test func anAnswerToAFilterOrAKeyQuestionIsAFilterOrAKey() {
        let r = generate(
            "salesforce.Lead", "hubspot.contact",
            """
            Q: Which leads go over?
            A: Everyone except leads that are converted (IsConverted).

            Q: What identifies the contact?
            A: The contact email, i.e. Email in lower case.
            """)
        #expect(r.mapping.contains("skip when IsConverted"))
        #expect(r.mapping.contains("key email"))
        #expect(line(r.mapping, "email").contains("lower(Email)"))
        // A question about something else keeps its answer as written.
        let other = shape(["Q: Which team owns this?", "A: Everyone except marketing."])
        #expect(other.sentences[1] == "Everyone except marketing.")
    }

    @Test func whatATranscriptAsksAboutIsWhatTheAnswerLeavesOut() {
        var out = ["so what about leads from a Purchased List source?", "They are noisy.", "skip those entirely."]
        var passed: Set<Int> = []
        DocumentShape.askedAbout(&out, &passed)
        #expect(out[2] == "skip leads from a Purchased List source entirely.")
        #expect(passed == [0])
        // An answer that does not leave records out is no answer to read with the question.
        var kept = ["what about leads from partners?", "we love them."]
        var none: Set<Int> = []
        DocumentShape.askedAbout(&kept, &none)
        #expect(kept[1] == "we love them." && none.isEmpty)
    }

    @Test func copiesExactlyAsTheyAreLoseTheAside() {
        #expect(
            DocumentShape.dropCopyAsides("fax and website carry Fax and Website exactly as they are in Salesforce.")
                == "fax and website carry Fax and Website.")
        #expect(DocumentShape.dropCopyAsides("fax is Fax as it comes, but trimmed.") == "fax is Fax as it comes, but trimmed.")
    }

    @Test func aReasonOrAnEveryRecordScopeAtTheEndIsTakenOff() {
        let r = generate(
            "salesforce.Lead", "hubspot.contact",
            """
            hs_lead_status is NEW on all of them (the sales team asked for that).
            message has to be "From SFDC " and then the Id, that's what the inbox filter uses.
            """)
        #expect(unflagged(r, "hs_lead_status") && line(r.mapping, "hs_lead_status").contains("\"NEW\""))
        #expect(line(r.mapping, "message").contains("\"From SFDC \" + Id"))
    }

    @Test func aReasonThatNamesAFieldOrSaysHowStays() {
        let s = shape(["fax is Fax (because Phone is often blank).", "city is City (trimmed)."])
        #expect(s.sentences == ["fax is Fax (because Phone is often blank).", "city is City (trimmed)."])
        // "for them" inside the sentence is no scope at its end.
        #expect(DocumentShape.dropReasons("use Phone for them when MobilePhone is empty.").1.isEmpty)
    }

    // MARK: - Threads and tickets

    @Test func quotedRepliesAreSentencesOfTheirOwnWithoutMarkers() {
        let body = "fax is Fax.\n\n> On Fri, Sam wrote:\n> > website from Website\n> no, leave website\n> out for now"
        let sentences = ProseDocument(from: nil, to: nil, body: body).sentences
        #expect(sentences == ["fax is Fax.", "> On Fri, Sam wrote:", "> > website from Website", "> no, leave website out for now"])
        let s = DocumentShape.shape(sentences, body: body, source: lead, destination: contact)
        #expect(s.sentences[2] == "website from Website")
        #expect(s.passed == [1])
        // A comparison inside a line is no quote marker.
        #expect(ProseDocument(from: nil, to: nil, body: "Skip leads with\nAnnualRevenue > 5").sentences.count == 1)
    }

    @Test func aCriterionThatWritesNoRecordIsASkip() {
        #expect(
            DocumentShape.givenThenNone("Given a lead without an Email, then no contact is created.") == "Skip a lead without an Email.")
        let r = generate(
            "salesforce.Lead", "hubspot.contact",
            "Acceptance criteria:\n1. Given a lead that is converted (IsConverted true), then no contact is written.\n2. fax = Fax.")
        #expect(r.mapping.contains("skip when IsConverted"))
        // A criterion whose outcome is a value, not "no record", is left to the readers.
        #expect(
            DocumentShape.givenThenNone("Given a Hot lead, then lifecyclestage is salesqualifiedlead.")
                == "Given a Hot lead, then lifecyclestage is salesqualifiedlead.")
    }

    @Test func aRuleIsFlaggedWhenTheNextSentenceNamesItAsASourceWordAndIsNotRead() {
        let r = generate(
            "segment.identify", "hubspot.contact",
            "firstname = traits.firstName.\nWhen the app sent no first name, borrow the opening chunk of traits.name somehow.")
        #expect(r.trace.flagged.contains("firstname"))
    }

    // MARK: - Honesty

    @Test func aKeyAnswerWithACaseTheKeyReaderDropsIsFlagged() {
        // "lower-cased" and "in upper case" are modifiers even when the key reader gives the field alone.
        let r = generate("salesforce.Lead", "hubspot.contact", "Q: What identifies the contact?\nA: Email in upper case.")
        #expect(r.trace.flagged.contains("email"))
        let dash = generate("salesforce.Lead", "hubspot.contact", "Keyed on Email, lower-cased.\nfax is Fax.")
        #expect(dash.trace.flagged.contains("email") || line(dash.mapping, "email").contains("lower("))
    }

    @Test func aRuleIsFlaggedWhenAnotherSentenceNamingItIsNotRead() {
        let r = generate(
            "salesforce.Lead", "hubspot.contact",
            "hs_lead_status is NEW.\nFor partner leads hs_lead_status wobbles in a way nobody wrote down.")
        #expect(r.trace.notImplemented.contains { $0.sentence == 2 })
        #expect(r.trace.flagged.contains("hs_lead_status"))
        // Not flagged when the sentence not read names another field.
        let other = generate(
            "salesforce.Lead", "hubspot.contact", "hs_lead_status is NEW.\nFor partner leads jobtitle wobbles in a way nobody wrote down.")
        #expect(!other.trace.flagged.contains("hs_lead_status"))
    }
}
