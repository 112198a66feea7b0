import MapDSL

/// Whether the rules read from a sentence account for everything the sentence names: every source
/// field, every quoted value and every case or trim modifier it mentions must show up in a rule it
/// gave (or be a destination field it assigned or keyed on). What is left over is a part of the
/// sentence the reader did not understand, so the rules are not reported as implemented: the
/// generator flags them and lists the sentence.
enum SentenceAccounting {
    /// Words that ask for a modifier, with the call that carries it out.
    static let modifiers: [(words: Set<String>, call: String)] = [
        (["lowercase", "lowercased", "lower-cased", "lower-case", "lowercasing", "downcase", "downcased"], "lower("),
        (["uppercase", "uppercased", "upper-cased", "upper-case", "uppercasing", "upcase", "capitals"], "upper("),
        (["trim", "trimmed", "trimming"], "trim("),
    ]

    /// What in `tokens` the outcome's rules do not account for (empty when everything is).
    static func unaccounted(_ tokens: [ProseToken], _ o: SentenceOutcome, source: Schema) -> [String] {
        // Unquoted words that spell a value of a source picklist ("neither lead nor opportunity").
        var values: Set<String> = []
        for f in source.fields { for v in f.values ?? [] where !v.contains(" ") { values.insert(v.lowercased()) } }
        var ruleText = o.assignments.map(\.value.text).joined(separator: "\n")
        ruleText += "\n" + o.skips.map(\.condition).joined(separator: "\n")
        let assigned = Set(o.assignments.map(\.field.name) + (o.key.map { [$0.name] } ?? []))
        var missing: [String] = []
        for (i, t) in tokens.enumerated() {
            if let d = t.destination, assigned.contains(d.name) { continue }
            if let s = t.source {
                // A word that names the field only through a typo ("States" for `status`) may be a value the rules use.
                let asValue = t.typo && ruleText.contains(t.text) || ValuesMapReader.accountedWord(ruleText, t.text, source: source)
                if !mentions(ruleText, OfflineExpr.field(s)) && !asValue && !missing.contains(s.name) { missing.append(s.name) }
            } else if t.kind == .quoted {
                let lower = ruleText.lowercased()
                if !t.lower.isEmpty, !lower.contains(t.lower), !missing.contains("\"\(t.text)\""),
                    !ValuesMapReader.quotesFieldOf(ruleText, t.text, source: source)
                {
                    missing.append("\"\(t.text)\"")
                }
            } else if t.kind == .word, t.source == nil, t.destination == nil, o.assignments.count == 1,
                let dv = o.assignments[0].field.values, dv.contains(where: { $0.lowercased() == t.lower }),
                // "any other code": a default, not the value "Other".
                !(t.text == t.lower && i > 0 && tokens[i - 1].isWord("any", "all", "every", "each")),
                !ruleText.lowercased().contains("\"\(t.lower)\""), !missing.contains(t.text)
            {
                // "same value; lead if missing": a value of the destination's picklist the rule does not hold.
                missing.append(t.text)
            } else if t.kind == .word, t.destination == nil, values.contains(t.lower), o.assignments.isEmpty,
                !ruleText.lowercased().contains("\"\(t.lower)\""), !missing.contains(t.text)
            {
                // Only for skip rules: an assignment's values are the destination's, checked by the value reader.
                missing.append(t.text)
            } else if t.kind == .word {
                // "lower" alone is often "lower than"; it counts only after "in" ("in lower case").
                // "in upper case", "lower-cased" (two tokens): the modifier all the same.
                let cased =
                    i > 0 && tokens[i - 1].isWord("in")
                    || i + 1 < tokens.count && tokens[i + 1].afterTightDash && tokens[i + 1].isWord("case", "cased")
                let word = t.isWord("lower", "upper") && cased ? t.lower + "case" : t.lower
                for m in modifiers where m.words.contains(word) && !ruleText.contains(m.call) && !missing.contains(t.text) {
                    missing.append(t.text)
                }
            }
        }
        return missing
    }

    /// Whether `text` refers to the field spelled `name` (not only to a longer name that contains it).
    static func mentions(_ text: String, _ name: String) -> Bool {
        let chars = Array(text.unicodeScalars)
        let n = Array(name.unicodeScalars)
        guard !n.isEmpty, chars.count >= n.count else { return false }
        func ident(_ c: Unicode.Scalar) -> Bool {
            c.properties.isAlphabetic || ("0"..."9").contains(c) || c == "_" || c == "." || c == "`"
        }
        var i = 0
        while i + n.count <= chars.count {
            if Array(chars[i..<(i + n.count)]) == n, i == 0 || !ident(chars[i - 1]),
                i + n.count == chars.count || !ident(chars[i + n.count])
            {
                return true
            }
            i += 1
        }
        return false
    }
}
