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
        #expect(DocumentShape.plainWording("The key must be unique per lead.") == "The key must be unique per lead.")
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

    // MARK: - Honesty

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
