import Foundation
import MapDSL
import Testing

@testable import MapGen

/// Issue 18, third round of honesty guards: a `match` key that kept the sentence's joining word, and a
/// constant that is only a word of a field's name. Each guard has a reading it must flag and a near miss
/// it must leave alone. Every sentence here is written for these tests, not copied from evals/.
@Suite struct OfflineHonestyGuard3Tests: OfflineReaderTesting {
    func reasons(_ r: OfflineGenerator.Result, _ sentence: Int) -> String? {
        r.trace.notImplemented.first { $0.sentence == sentence }?.reasons.joined(separator: "; ")
    }

    func outcome(_ field: String, _ text: String) throws -> SentenceOutcome {
        let destination = Fixtures.schema("mailchimp.member")
        let f = try #require(destination.fields.first { $0.name == field })
        var o = SentenceOutcome()
        o.assignments = [.init(field: f, value: ReadValue(text: text, kind: .translation), confidence: 0.9, note: "")]
        return o
    }

    // MARK: - Match keys with the sentence's wording

    @Test func aMatchKeyThatStartsWithAJoiningWordIsFlagged() throws {
        // "it for people from Rome or Milan" read with the "from" left on the first key.
        let o = try outcome("language", "match city {\n    \"from Rome\", \"Milan\" => \"it\"\n    _ => \"en\"\n}")
        let found = HonestyGuard.proseWordsInMatchKeys(o)
        #expect(found.count == 1)
        #expect(found.first?.contains("\"from Rome\"") == true)
    }

    @Test func matchKeysThatAreValuesAreNotFlagged() throws {
        // Keys of several words are fine when no joining word opens them ("New York", "Los Angeles").
        let o = try outcome("language", "match city {\n    \"New York\", \"Los Angeles\" => \"en\"\n    \"Oporto\" => \"pt\"\n}")
        #expect(HonestyGuard.proseWordsInMatchKeys(o).isEmpty)
        // A constant that is no match at all is not looked at.
        let plain = try outcome("language", "\"in house\"")
        #expect(HonestyGuard.proseWordsInMatchKeys(plain).isEmpty)
    }

    // MARK: - A field word read as a value

    @Test func aConstantThatIsAWordOfTheFieldsNameIsFlagged() throws {
        // "language" is a word of the rule's own field: the sentence named the field, it gave no value.
        let o = try outcome("language", "if blank(hs_language) then \"language\" else hs_language")
        let found = HonestyGuard.fieldWordsAsValues([], o, source: Fixtures.schema("hubspot.contact"))
        #expect(found.count == 1)
        #expect(found.first?.contains("word of a field's name") == true)
    }

    @Test func aQuotedOrOrdinaryConstantIsNotFlagged() throws {
        let source = Fixtures.schema("hubspot.contact")
        // A value that is no word of a field name is a value.
        let o = try outcome("language", "if blank(hs_language) then \"en\" else hs_language")
        #expect(HonestyGuard.fieldWordsAsValues([], o, source: source).isEmpty)
        // A value that spells a source field the rule does not read ("phone" as a channel) is a value.
        let channel = try outcome("language", "match hs_language {\n    \"fr\" => \"phone\"\n    _ => \"en\"\n}")
        #expect(HonestyGuard.fieldWordsAsValues([], channel, source: source).isEmpty)
        // End to end: a sentence that spells a real constant keeps its rule unflagged by this guard.
        let r = generate("hubspot.contact", "mailchimp.member", "Language: hs_language, or \"en\" when it is blank.")
        #expect(reasons(r, 1)?.contains("word of a field's name") != true)
    }
}
