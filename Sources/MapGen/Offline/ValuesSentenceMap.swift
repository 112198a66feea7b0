import MapDSL

extension SentenceReader {
    /// "D: A → V; B → W; anything else X", "Lead Source = Source, Web if …; Purchased List if …; else Other": a
    /// value map whose arms are separated by `;`, read whole before the sentence is cut into clauses at `;`.
    /// Nil unless the sentence opens with one destination field and the rest reads as a value map.
    func readWholeValueMap(_ tokens: [ProseToken]) -> SentenceOutcome.Assignment? {
        var i = 0
        while i < tokens.count, tokens[i].isWord("the", "set", "and") { i += 1 }
        guard i < tokens.count, let d = tokens[i].destination, tokens[i].source == nil || tokens[i].text == d.name else { return nil }
        // Another destination named in subject position makes it more than one statement.
        guard !tokens[(i + 1)...].contains(where: { $0.destination != nil && $0.source == nil && $0.destination?.name != d.name })
        else { return nil }
        var j = i + 1
        while j < tokens.count, tokens[j].isPunct(":", "=", ",") || tokens[j].isWord("is", "are", "should", "be", "gets", "takes", "by") {
            j += 1
        }
        guard j < tokens.count else { return nil }
        let reader = ValueReader(source: source, destination: destination, d: d, context: context, sentence: sentenceFields)
        guard let v = ValuesMapReader(reader: reader).read(Array(tokens[j...])) else { return nil }
        return .init(field: d, value: v, confidence: confidence(v, d), note: "named in prose")
    }
}
