import MapDSL
import MapGen
import Testing

/// What the prompt tells the model: the answer's form matches the grammar in use, what null does in
/// conditions, the values of long picklists the description names, and the source's data shapes.
@Suite struct PromptContentTests {
    func messages(constrained: Bool, prose: String, from: String = "hubspot.contact", to: String = "salesforce.Lead") -> [ChatMessage] {
        var builder = PromptBuilder(templates: Fixtures.templates(), manual: "manual")
        builder.constrained = constrained
        return builder.initialMessages(
            prose: ProseDocument(from: from, to: to, body: prose), source: Fixtures.schema(from), destination: Fixtures.schema(to),
            lookupObjects: [])
    }

    @Test func withTheGrammarThePromptAsksForNoCodeFence() {
        let constrained = messages(constrained: true, prose: "Email is email.")
        let text = constrained.map(\.content).joined()
        #expect(!text.contains("```mapc"))
        #expect(text.contains("no code fence"))
        #expect(!text.contains("{{"))
        var builder = PromptBuilder(templates: Fixtures.templates(), manual: "manual")
        builder.constrained = true
        let repair = builder.repairMessage(diagnostics: "E0201", errorCount: 1, source: nil, destination: nil, round: 1)
        #expect(repair.content.contains("no code fence") && !repair.content.contains("```mapc"))
        let fenced = messages(constrained: false, prose: "Email is email.").map(\.content).joined()
        #expect(fenced.contains("```mapc code fence"))
    }

    @Test func promptSaysWhatIfDoesWithANullCondition() {
        let system = messages(constrained: false, prose: "x")[0].content
        #expect(system.contains("takes the `else` branch when `c` is null"))
    }

    @Test func longPicklistsShowTheValuesTheDescriptionNames() {
        let m = messages(
            constrained: false, prose: "Industry becomes Technology for COMPUTER_SOFTWARE and for wine and spirits.",
            from: "hubspot.company", to: "salesforce.Account")[1].content
        let line = m.split(separator: "\n").first { $0.hasPrefix("- industry:") } ?? ""
        #expect(line.contains("\"COMPUTER_SOFTWARE\""))
        #expect(line.contains("\"WINE_AND_SPIRITS\""), "a value named in words, past the first 60")
        #expect(line.contains("148 in all"))
    }

    @Test func theSourcePlatformsDataShapesAreHinted() {
        let m = messages(constrained: false, prose: "x", from: "mailchimp.member", to: "hubspot.contact")[1].content
        #expect(m.contains("Mailchimp sends `\"\"` for every empty text field"))
        #expect(!m.contains("{{"))
    }
}
