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

extension ValuesMapReader {
    /// Whether `w` spells a value of picklist `f` ("evangelists" for `evangelist`), so a field named in
    /// parentheses after it says whose values they are rather than restating the words.
    static func isValueWord(_ w: ProseToken, of f: Field) -> Bool {
        guard w.kind == .word, let values = f.values, let l = ConditionReader.literal(w, for: f) else { return false }
        return values.contains(l)
    }
}

// MARK: Yes/no fields in value maps

extension ValuesMapReader {
    /// The yes/no source field a word names: by its name ("VIP") or a plural of it ("VIPs").
    func flagField(_ t: ProseToken) -> Field? {
        guard t.kind == .word else { return nil }
        if let f = t.source { return f.type == .bool ? f : nil }
        guard t.lower.count > 2, t.lower.hasSuffix("s") else { return nil }
        let stem = String(t.lower.dropLast())
        let hits = source.fields.filter { $0.type == .bool && $0.name.lowercased() == stem }
        return hits.count == 1 ? hits[0] : nil
    }

    /// Words around a yes/no field's name in a condition that say only who has it: "the member is a VIP",
    /// "they're a VIP", "VIP members".
    static let flagFillers: Set<String> = [
        "the", "a", "an", "is", "are", "re", "they", "they're", "he", "she", "it", "this", "that", "member", "members", "contact",
        "contacts", "lead", "leads", "user", "users", "person", "people", "subscriber", "subscribers", "customer", "record", "one",
        "ones", "account", "accounts", "flagged", "marked", "as",
    ]

    /// "the member is a VIP" → `vip == true`, "they are not a VIP" → `vip != true`: a yes/no field named as
    /// what the record is. Nil when any other word is left.
    func flagCondition(_ t: [ProseToken]) -> Arm.Pattern? {
        var negated = false
        var field: Field?
        for x in t {
            if x.isWord("not", "isn", "aren", "t", "isn't", "aren't") {
                negated = true
                continue
            }
            if let f = flagField(x) {
                guard field == nil || field?.name == f.name else { return nil }
                field = f
                continue
            }
            guard x.kind == .word, Self.flagFillers.contains(x.lower) else { return nil }
        }
        guard let f = field else { return nil }
        let name = OfflineExpr.field(f)
        return .condition(negated ? "\(name) != true" : "\(name) == true", fields: [f])
    }

    /// "true unless the status is subscribed": for a yes/no destination, the condition gives the other
    /// value and everything else the one stated.
    func unlessArms(_ seg: [ProseToken], subject: Field?) -> [Arm]? {
        guard d.type == .bool, let u = seg.firstIndex(where: { $0.isWord("unless") }), u > 0, u + 1 < seg.count,
            let v = value(Array(seg[..<u]), subject: subject), v == "true" || v == "false",
            let c = condition(Array(seg[(u + 1)...]), subject: subject)
        else { return nil }
        return [Arm(patterns: [c], value: v == "true" ? "false" : "true"), Arm(patterns: [], isDefault: true, value: v)]
    }

    /// "our test contacts (email ends with @example.com)": words that describe records, restated by a
    /// condition in parentheses. The words outside name no field and no value.
    func restatedCondition(_ raw: [ProseToken], subject: Field?) -> Arm.Pattern? {
        guard let open = raw.firstIndex(where: { $0.isPunct("(") }), let close = raw.lastIndex(where: { $0.isPunct(")") }),
            open + 1 < close, close == raw.count - 1
        else { return nil }
        let outside = raw[..<open]
        guard !outside.isEmpty,
            outside.allSatisfy({ $0.kind == .word && $0.source == nil && $0.destination == nil && Double($0.text) == nil }),
            !outside.contains(where: { ConditionReader.keywords.contains($0.lower) && !$0.isWord("our", "the", "all", "any") })
        else { return nil }
        guard case .condition(let c, let fs)? = condition(Array(raw[(open + 1)..<close]), subject: nil) else { return nil }
        return .condition(c, fields: fs)
    }
}
