import MapDSL

extension SentenceReader {
    /// "D: A → V; B → W; anything else X", "Lead Source = Source, Web if …; Purchased List if …; else Other": a
    /// value map whose arms are separated by `;`, read whole before the sentence is cut into clauses at `;`.
    /// Nil unless the sentence opens with one destination field and the rest reads as a value map.
    func readWholeValueMap(_ tokens: [ProseToken]) -> SentenceOutcome.Assignment? {
        var i = 0
        while i < tokens.count, tokens[i].isWord("the", "set", "and", "for") { i += 1 }
        // "Status: …" names the destination even where a source field has the same word ("Status" of a lead).
        guard i < tokens.count, let d = tokens[i].destination,
            tokens[i].source == nil || tokens[i].text == d.name || i + 1 < tokens.count && tokens[i + 1].isPunct(":")
        else { return nil }
        // Another destination named in subject position makes it more than one statement.
        // A field's label right before an arrow ("United States → US") is a value of the map, no subject.
        guard
            !tokens.indices.dropFirst(i + 1).contains(where: { k in
                let t = tokens[k]
                guard let td = t.destination, t.source == nil, td.name != d.name else { return false }
                return t.text == td.name || !(k + 1 < tokens.count && tokens[k + 1].isPunct("->"))
            })
        else { return nil }
        var j = i + 1
        while j < tokens.count, tokens[j].isPunct(":", "=", ",") || tokens[j].isWord("is", "are", "should", "be", "gets", "takes", "by") {
            j += 1
        }
        guard j < tokens.count else { return nil }
        let reader = ValueReader(source: source, destination: destination, d: d, context: context, sentence: sentenceFields)
        guard let v = ValuesMapReader(reader: reader, guessSubject: true).read(Array(tokens[j...])) else { return nil }
        if v.borrowed {
            let s = v.chain?.subject?.name ?? "?"
            return .init(
                field: d, value: v, confidence: 0.4,
                note: "REVIEW: named in prose; the field it translates (\(s)) is taken from \(d.name)'s name")
        }
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

    /// "a lead that opted out of email" (`HasOptedOutOfEmail`, label "Email Opt Out"), "the "Is Public"
    /// checkbox is ticked", ""Unsubscribed from all email" is true": a yes/no field described by the words of
    /// its label or name, or its label quoted. Every other word must only say who or that it is set.
    func describedFlag(_ raw: [ProseToken]) -> Arm.Pattern? {
        let t = raw.filter { !$0.isPunct("(", ")", ",") }
        guard !t.isEmpty else { return nil }
        let flags = source.fields.filter { $0.type == .bool }
        guard !flags.isEmpty else { return nil }
        let setWords: Set<String> = ["ticked", "checked", "true", "set", "yes", "on", "enabled", "selected"]
        let unsetWords: Set<String> = ["unticked", "unchecked", "false", "no", "off", "not", "isn", "isn't", "t", "disabled"]
        let who: Set<String> = [
            "a", "an", "the", "lead", "leads", "contact", "contacts", "member", "members", "account", "accounts", "company", "record",
            "records", "user", "users", "person", "people", "anyone", "everyone", "who", "that", "which", "whose", "has", "have", "had",
            "is", "are", "was", "been", "checkbox", "box", "flag", "field", "property", "they", "it", "its", "their",
        ]
        var negated = false
        // A quoted label: ""Unsubscribed from all email" is true", "the "Is Public" checkbox is ticked".
        if let q = t.first(where: { $0.kind == .quoted }) {
            let hits = flags.filter { f in
                ValueReader.loose(q.text) == ValueReader.loose(f.name)
                    || f.label.map { ValueReader.loose($0) == ValueReader.loose(q.text) } ?? false
            }
            guard hits.count == 1, t.filter({ $0.kind == .quoted }).count == 1 else { return nil }
            for x in t where x.kind != .quoted {
                guard x.kind == .word, who.contains(x.lower) || setWords.contains(x.lower) || unsetWords.contains(x.lower) else {
                    return nil
                }
                if unsetWords.contains(x.lower) { negated.toggle() }
            }
            let name = OfflineExpr.field(hits[0])
            return .condition(negated ? "\(name) != true" : "\(name) == true", fields: [hits[0]])
        }
        // Words of a label: "opted out of email" for "Email Opt Out".
        func stem(_ w: String) -> String {
            var w = w.lowercased()
            for suffix in ["ed", "s"] where w.count > 4 && w.hasSuffix(suffix) { w.removeLast(suffix.count) }
            return w
        }
        let linking: Set<String> = ["of", "from", "to", "in", "out", "all", "for"]
        func content(_ words: [String]) -> Set<String> {
            Set(words.map { $0.lowercased() }.filter { !linking.contains($0) || $0 == "out" }.filter { !who.contains($0) }.map(stem))
        }
        var phrase: [String] = []
        for x in t {
            guard x.kind == .word else { return nil }
            if unsetWords.contains(x.lower) {
                negated.toggle()
                continue
            }
            if who.contains(x.lower) || linking.contains(x.lower) && x.lower != "out" { continue }
            phrase.append(x.text)
        }
        let said = content(phrase)
        guard said.count >= 2 else { return nil }
        let hits = flags.filter { f in
            let labelWords = f.label.map { content($0.split(separator: " ").map(String.init)) }
            let nameWords = content(Self.camelWords(f.name))
            return labelWords == said || nameWords == said
        }
        guard hits.count == 1 else { return nil }
        let name = OfflineExpr.field(hits[0])
        // The fields the words name ("email") are words of the label: they count as read.
        return .condition(negated ? "\(name) != true" : "\(name) == true", fields: [hits[0]] + t.compactMap(\.source))
    }

    /// "HasOptedOutOfEmail" → ["Has", "Opted", "Out", "Of", "Email"]; "hs_email_optout" → ["hs", "email", "optout"].
    static func camelWords(_ name: String) -> [String] {
        var out: [String] = []
        var cur = ""
        for c in name {
            if c == "_" || c == "." {
                if !cur.isEmpty { out.append(cur) }
                cur = ""
            } else if c.isUppercase, !cur.isEmpty, !(cur.last?.isUppercase ?? false) {
                out.append(cur)
                cur = String(c)
            } else {
                cur.append(c)
            }
        }
        if !cur.isEmpty { out.append(cur) }
        return out
    }

    /// Whether a word of the prose is accounted for by `rules` though it names a field: a word of a literal of
    /// several words ("Phone" of "Phone Inquiry"), or of the label or name of a yes/no field the rules read
    /// ("email" of `HasOptedOutOfEmail`, "Email Opt Out").
    static func accountedWord(_ rules: String, _ word: String, source: Schema) -> Bool {
        if inLiteral(rules, word) { return true }
        let w = word.lowercased()
        return source.fields.contains { f in
            f.type == .bool && SentenceAccounting.mentions(rules, OfflineExpr.field(f))
                && (camelWords(f.name).map { $0.lowercased() }.contains(w)
                    || (f.label ?? "").lowercased().split(separator: " ").contains(Substring(w)))
        }
    }

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

// MARK: A label and a list of arms

extension OfflineGenerator {
    /// "Industry (their codes differ from ours):" or "Type:" followed by lines "A, B and C: Technology",
    /// "Prospect becomes PROSPECT", "any other code, or none: leave Industry empty": the lines are arms of one
    /// value map, read as one sentence "Industry: A, B and C: Technology; Prospect becomes …" in the label's
    /// place. Returns the sentences and the indices of the lines taken. Lists that `joinTables` reads (arrows
    /// only, no aside in the label) are left to it.
    static func joinArmLists(_ sentences: [String], source: Schema, destination: Schema) -> ([String], Set<Int>) {
        var out = sentences
        var rows: Set<Int> = []
        var i = 0
        let fillers: Set<String> = [
            "translation", "translations", "mapping", "mappings", "values", "value", "map", "as", "follows", "like", "this", "the", "table",
            "picklist", "is", "goes", "translated", "mapped", "from", "to",
        ]
        while i < sentences.count {
            var label = sentences[i].trimmingCharacters(in: .whitespaces)
            guard label.hasSuffix(":") else {
                i += 1
                continue
            }
            label.removeLast()
            // "Industry (HubSpot's codes do not match ours)": an aside that explains why the map exists.
            var aside = false
            if label.hasSuffix(")"), let open = label.lastIndex(of: "("), open > label.startIndex {
                label = String(label[..<open]).trimmingCharacters(in: .whitespaces)
                aside = true
            }
            let tokens = SentenceTokens(label, source: source, destination: destination).tokens
            let dests = Set(tokens.compactMap(\.destination?.name))
            guard dests.count == 1, let d = tokens.first(where: { $0.destination != nil })?.destination,
                tokens.allSatisfy({ $0.destination != nil || $0.source != nil || fillers.contains($0.lower) })
            else {
                i += 1
                continue
            }
            var j = i + 1
            var parts: [String] = []
            var arrowsOnly = true
            while j < sentences.count {
                let text = sentences[j].trimmingCharacters(in: .whitespaces)
                let row = SentenceTokens(text, source: source, destination: destination).tokens
                // One link between the values and the value.
                guard let link = row.firstIndex(where: { $0.isPunct("->", ":") || $0.isWord("becomes", "become", "is", "are") }), link > 0,
                    link + 1 < row.count,
                    // No other destination is named; the label's may be named in the value ("leave Industry empty").
                    !row[..<link].contains(where: {
                        $0.destination != nil && ($0.text == $0.destination?.name || $0.destination?.name != d.name)
                    }),
                    !row[(link + 1)...].contains(where: { $0.destination != nil && $0.destination?.name != d.name && $0.source == nil }),
                    !row.contains(where: { $0.isWord("skip", "ignore", "drop", "exclude") })
                else { break }
                if !row[link].isPunct("->") || text.contains(",") { arrowsOnly = false }
                var t = text
                while t.hasSuffix(",") || t.hasSuffix(";") || t.hasSuffix(".") { t.removeLast() }
                parts.append(t)
                j += 1
            }
            guard parts.count >= 2, aside || !arrowsOnly else {
                i += 1
                continue
            }
            let head = tokens.filter { !fillers.contains($0.lower) || $0.destination != nil || $0.source != nil }.map(\.text)
            out[i] = head.joined(separator: " ") + ": " + parts.joined(separator: "; ") + "."
            for r in (i + 1)..<j { rows.insert(r) }
            i = j
        }
        return (out, rows)
    }
}

extension ValuesMapReader {
    /// Whether `word` is one word of a literal of several words in `rules` ("Phone" of "Phone Inquiry"): a
    /// word of a value, not the field it also names.
    static func inLiteral(_ rules: String, _ word: String) -> Bool {
        let parts = rules.split(separator: "\"", omittingEmptySubsequences: false)
        // Odd parts are inside quotes.
        for (i, p) in parts.enumerated() where i % 2 == 1 {
            let words = p.split(whereSeparator: { $0 == " " || $0 == "-" }).map { $0.lowercased() }
            if words.count > 1, words.contains(word.lowercased()) { return true }
        }
        return false
    }
}

// MARK: A default in the next sentence

extension SentenceReader {
    /// The default a sentence gives the map of the sentence before: "Any other country: leave the code
    /// empty." (null), "For other codes just keep the code itself." (the compared field, `subjectDefault`),
    /// "All other values: Other." (the literal). Nil unless the sentence opens with "any/all other …" or
    /// "for (any) other …" and says nothing else.
    static let subjectDefault = "\u{0}subject"

    func otherDefault(_ tokens: [ProseToken]) -> String? {
        var t = tokens.filter { !$0.isPunct(".") }
        if t.first?.isWord("for") == true { t.removeFirst() }
        guard let f = t.first, f.isWord("any", "all", "every", "other", "others") else { return nil }
        guard t.contains(where: { $0.isWord("other", "others") }) else { return nil }
        // The opener: "any other country", "all other codes", "other values", then a separator or the value.
        var k = 0
        // The compared field may be named ("any other country").
        while k < t.count, t[k].kind == .word, t[k].destination == nil || t[k].source != nil,
            ValuesMapReader.defaultOpeners.contains(t[k].lower) || ValuesMapReader.patternFillers.contains(t[k].lower)
                || t[k].source != nil && k > 0 && t[k - 1].isWord("other")
                || t[k].isWord("any", "every", "code", "codes", "value", "values", "option", "options")
        {
            k += 1
        }
        guard k > 1 else { return nil }
        var rest = Array(t[k...])
        while let x = rest.first, x.isPunct(":", ",", "->", "=") || x.isWord("just", "we", "should", "simply", "then") {
            rest.removeFirst()
        }
        guard !rest.isEmpty, !rest.contains(where: { $0.source != nil || $0.destination != nil && $0.kind == .word }) else {
            return nil
        }
        let words = Set(rest.map(\.lower))
        let nullWords: Set<String> = [
            "leave", "it", "the", "code", "value", "field", "blank", "empty", "unset", "null", "nothing", "out", "is", "are", "left",
            "stays", "stay",
        ]
        if rest.allSatisfy({ $0.kind == .word && nullWords.contains($0.lower) }),
            !words.isDisjoint(with: ["blank", "empty", "unset", "null", "nothing"])
        {
            return "\u{0}null"
        }
        let keepWords: Set<String> = [
            "keep", "the", "code", "itself", "value", "as", "is", "it", "unchanged", "pass", "through", "stay", "stays", "same", "leave",
            "original", "just", "are", "kept",
        ]
        if rest.allSatisfy({ $0.kind == .word && keepWords.contains($0.lower) }),
            !words.isDisjoint(with: ["itself", "unchanged", "through", "same", "original"])
                || words.contains("as") && rest.last?.isWord("is") == true
        {
            return Self.subjectDefault
        }
        let values = rest.filter { !$0.isWord("becomes", "become", "is", "are", "get", "gets", "use", "map", "to", "go", "goes") }
        if values.count == 1, values[0].kind == .quoted || values[0].kind == .word && !ConditionReader.keywords.contains(values[0].lower) {
            return values[0].text
        }
        return nil
    }
}

extension SentenceReader {
    /// The compared field of `chain` as a value of `d` (a default "keep the code itself"); nil unless both are text.
    static func subjectValue(_ chain: ValueChain, to d: Field) -> String? {
        guard let s = chain.subject, s.type.baseType == .string, d.type == .string || d.type == .id else { return nil }
        return OfflineExpr.convert(OfflineExpr.field(s), type: s.type.baseType, from: s, to: d, plain: true)
    }
}

extension OfflineGenerator {
    /// The arrows of a sentence that stand between arms: "lead_source param -> Original Traffic Source: A -> x"
    /// has one arm; the arrow from the destination to the compared field before a colon is no arm.
    static func armArrows(_ tokens: [ProseToken]) -> Int {
        let all = tokens.filter { $0.isPunct("->") }.count
        guard let first = tokens.firstIndex(where: { $0.isPunct("->") }), let colon = tokens.firstIndex(where: { $0.isPunct(":") }),
            first < colon, tokens[..<first].contains(where: { $0.destination != nil }),
            !tokens[..<first].contains(where: { $0.kind == .quoted || $0.source != nil && $0.destination == nil }),
            tokens[(first + 1)..<colon].contains(where: { $0.source != nil }),
            tokens[(first + 1)..<colon].allSatisfy({ $0.kind == .word })
        else { return all }
        return all - 1
    }
}

extension ValuesMapReader {
    /// The one text source field whose whole name is a word of the destination's name (`country` for
    /// `location.country_code`), other than words every object has.
    func subjectFromDestinationName() -> Field? {
        let generic: Set<String> = ["code", "id", "name", "type", "status", "value", "date", "source", "properties", "traits", "params"]
        let words = Set(d.name.lowercased().split(whereSeparator: { $0 == "." || $0 == "_" }).map(String.init)).subtracting(generic)
        let hits = source.fields.filter { words.contains($0.name.lowercased()) && $0.type.baseType == .string }
        return hits.count == 1 ? hits[0] : nil
    }
}

extension ValuesMapReader {
    /// Whether `quoted` spells the label or name of a source field the rules read (""Is Public" checkbox").
    static func quotesFieldOf(_ rules: String, _ quoted: String, source: Schema) -> Bool {
        let q = ValueReader.loose(quoted)
        return source.fields.contains { f in
            (ValueReader.loose(f.name) == q || f.label.map { ValueReader.loose($0) == q } ?? false)
                && SentenceAccounting.mentions(rules, OfflineExpr.field(f))
        }
    }
}

extension ValuesMapReader {
    /// The one source field whose label ends with the word ("rating" for "Member Rating"), for a condition
    /// that names its field by that word alone.
    func labelTail(_ t: ProseToken) -> Field? {
        guard t.kind == .word, t.lower.count > 3, !ConditionReader.keywords.contains(t.lower), Double(t.text) == nil else { return nil }
        let hits = source.fields.filter { f in
            guard let label = f.label, label.contains(" ") else { return false }
            return label.split(separator: " ").last.map { $0.lowercased() == t.lower } ?? false
        }
        return hits.count == 1 ? hits[0] : nil
    }
}

extension SentenceReader {
    /// "Anyone who isn't subscribed counts as opted out, i.e. D = true for …": an explanation restated as a
    /// statement after "i.e."; the statement is read. Nil unless the words after "i.e." open with a destination
    /// field and the words before name no destination and no quoted value.
    static func restatement(_ t: [ProseToken]) -> [ProseToken]? {
        guard let ie = t.firstIndex(where: { $0.isWord("i.e", "ie", "i.e.,") }), ie > 0, ie + 2 < t.count else { return nil }
        var rest = Array(t[(ie + 1)...])
        while let f = rest.first, f.isPunct(",", ":") { rest.removeFirst() }
        guard let d = rest.first?.destination,
            rest.first?.source == nil || rest.first?.text == d.name || rest.count > 1 && rest[1].isPunct("=", ":"),
            !t[..<ie].contains(where: { $0.destination != nil && $0.source == nil || $0.kind == .quoted })
        else { return nil }
        return rest
    }
}

// MARK: A correction of the sentence before

extension SentenceReader {
    /// "Actually no, these are contacts, so make it customer for everyone.", "Actually no, VIP members should
    /// come in as evangelist; the rest subscriber.": a correction that names no field corrects the field the
    /// sentence before set. The words after "Actually (no)," (after ", so" when it gives a reason first) are read
    /// as that field's value, with "make it" / "set it to" and a closing "for everyone" dropped. Nil unless
    /// they give that field exactly one value and nothing is left unread.
    func readCorrection(_ text: String, field d: Field) -> SentenceOutcome? {
        var s = text.trimmingCharacters(in: .whitespaces)
        let lower = s.lowercased()
        guard
            let opener = ["actually no,", "actually, no,", "actually no ", "correction:", "actually,"].first(where: { lower.hasPrefix($0) })
        else { return nil }
        s = String(s.dropFirst(opener.count)).trimmingCharacters(in: .whitespaces)
        guard
            !SentenceTokens(s, source: source, destination: destination).tokens.contains(where: {
                $0.destination != nil && $0.source == nil && $0.kind == .word
            })
        else { return nil }
        if let so = s.range(of: ", so ") { s = String(s[so.upperBound...]) }
        while s.hasSuffix(".") { s.removeLast() }
        for lead in ["make it ", "set it to ", "it should be ", "it's ", "it is ", "use "] where s.lowercased().hasPrefix(lead) {
            s = String(s.dropFirst(lead.count))
        }
        for tail in [" for everyone", " for everybody", " for all of them", " for all"] where s.lowercased().hasSuffix(tail) {
            s = String(s.dropLast(tail.count))
        }
        // One word for every record is a constant: "make it customer for everyone".
        let oneWord = !s.contains(" ") && !s.contains(",") && !s.isEmpty
        var o = read(oneWord ? "\(d.name) is always \(s)" : "\(d.name): \(s)")
        guard o.unread.isEmpty, o.assignments.count == 1, o.assignments[0].field.name == d.name, o.skips.isEmpty else { return nil }
        o.corrects = true
        return o
    }
}

extension ValuesMapReader {
    /// A short code written in capitals ("AT", "IN", "NO"): a value even where its letters spell a keyword.
    static func isCode(_ t: ProseToken) -> Bool {
        t.kind == .word && (2...3).contains(t.text.count) && t.text.allSatisfy { $0.isUppercase }
    }
}

extension SentenceReader {
    /// "Leads without a lead source get no tag." after a rule built from that field: an empty field gives no
    /// value, so the field is read through `null_if_blank` (the rule then gives null, not text built from
    /// nothing). True when the sentence says only that and the rule before reads the field once.
    static func noValueGuard(_ t: [ProseToken], into prior: inout SentenceOutcome) -> Bool {
        guard prior.assignments.count == 1, let d = Optional(prior.assignments[0].field), d.nullable, !d.required else { return false }
        let fields = Set(t.compactMap(\.source?.name))
        guard fields.count == 1, let f = t.first(where: { $0.source != nil })?.source, f.type.baseType == .string,
            let at = t.firstIndex(where: { $0.source?.name == f.name }), at > 0, t[at - 1].isWord("without", "no", "a", "an"),
            t[..<at].contains(where: { $0.isWord("without", "no") }),
            let verb = t[(at + 1)...].firstIndex(where: { $0.isWord("get", "gets", "have", "has", "receive", "receives") }),
            verb + 2 <= t.count, t[verb + 1].isWord("no", "nothing"),
            t.allSatisfy({ $0.kind == .word || $0.isPunct(".") }),
            t[(verb + 2)...].allSatisfy({
                $0.destination?.name == d.name || $0.kind == .word && ["tag", "tags", "value", "at", "all"].contains($0.lower)
            })
        else { return false }
        let name = OfflineExpr.field(f)
        var text = prior.assignments[0].value.text
        guard !text.contains("null_if_blank(\(name))"), let r = text.range(of: name),
            text.components(separatedBy: name).count == 2,
            SentenceAccounting.mentions(text, name)
        else { return false }
        text.replaceSubrange(r, with: "null_if_blank(\(name))")
        prior.assignments[0].value.text = text
        return true
    }
}
