import MapDSL

/// A condition read from prose, as mapping-language text.
struct ReadCondition {
    /// `blank(email)`, `status == "cleaned"`, `blank(userId) and blank(anonymousId)`.
    var text: String
    /// The source fields it reads.
    var fields: [Field]
    /// Literals it consumed.
    var literals: [String]
}

/// Reads conditions: "X is empty", "there's no X", "X is V (or W)", "X is not V", "X is true",
/// "X contains V", "neither X nor Y", "either X or Y is missing", "X is over 100", joined by and/or.
enum ConditionReader {
    static let emptyWords: Set<String> = ["empty", "blank", "missing", "null", "unset", "absent"]
    static let presentWords: Set<String> = ["present", "filled", "given", "known"]

    /// Reads the condition in `t` (the whole slice must be the condition, filler words aside).
    static func read(_ t: [ProseToken], source: Schema) -> ReadCondition? {
        // "not set", "isn't filled in": the field is empty; "is set" at the end: it is present.
        // "lifecycle stage = customer": `=` says "is".
        var t = t.map { $0.isPunct("=") ? ProseToken(kind: .word, text: "is", lower: "is") : $0 }
        // "there is any utm source", "the company exists": presence (SentencePhrases.swift).
        t = SentencePhrases.presenceSaid(SentencePhrases.fieldInWords(SentencePhrases.negationsSpelled(t), source: source))
        if let c = SentencePhrases.between(t, source: source) { return c }
        // "no email at all": emphasis.
        if let a = t.indices.first(where: { $0 + 1 < t.count && t[$0].isWord("at") && t[$0 + 1].isWord("all") }) {
            t.removeSubrange(a...(a + 1))
        }
        var k = 0
        while k + 1 < t.count {
            if t[k].isWord("not", "isn't", "never") && t[k + 1].isWord("set", "filled", "given", "provided", "present") {
                t.replaceSubrange(k...(k + 1), with: [ProseToken(kind: .word, text: "unset", lower: "unset")])
            } else if t[k].isWord("is", "are") && t[k + 1].isWord("set") && (k + 2 == t.count || t[k + 2].isPunct(",", ";")) {
                t[k + 1] = ProseToken(kind: .word, text: "present", lower: "present")
            }
            k += 1
        }
        let named = t.enumerated().filter { $0.element.source != nil }
        // "the contact has an AccountId", "members with a PHONE": presence.
        if named.count == 1, let f = named[0].element.source, t[..<named[0].offset].contains(where: { $0.isWord("has", "have", "with") }),
            !t.contains(where: { $0.isWord("no", "not", "without", "neither", "nor", "either", "isn't", "doesn't", "don't") }),
            t[(named[0].offset + 1)...].allSatisfy({ $0.isPunct(",", ";") || $0.isWord("set", "filled", "in", "value") }),
            t[..<named[0].offset].allSatisfy({ $0.kind == .word && (fillers.contains($0.lower) || $0.isWord("has", "have", "with")) })
        {
            return ReadCondition(text: "present(\(fname(f)))", fields: [f], literals: [])
        }
        // "hs_lead_status is Attempted To Contact": a picklist value spelled in words, read before fillers go.
        if named.count == 1, let f = named[0].element.source, let allowed = f.values {
            let after = t[(named[0].offset + 1)...]
            let negated = after.first?.isWord("isn't") == true || after.dropFirst().first?.isWord("not") == true
            let spelled = after.drop { $0.isWord("is", "are", "equals", "=", "not", "isn't") }
            if spelled.count > 1, spelled.allSatisfy({ $0.kind == .word }),
                let v = allowed.first(where: { Suggest.normalise($0) == Suggest.normalise(spelled.map(\.text).joined(separator: " ")) })
            {
                let name = fname(f)
                return ReadCondition(
                    text: "\(name) \(negated ? "!=" : "==") \(Formatter.stringLiteral(v))", fields: [f], literals: [v])
            }
        }
        // Filler words stay where they are a value of a picklist named before them ("lifecyclestage is lead").
        let firstField = t.firstIndex { $0.source != nil } ?? t.count
        var words = t.enumerated().filter { i, x in
            guard x.kind == .word, fillers.contains(x.lower), x.source == nil else { return true }
            // "neither lead nor opportunity": a word between junction words is a value.
            if i > 0, t[i - 1].isWord("neither", "nor", "either", "or"),
                i + 1 == t.count || t[i + 1].isWord("nor", "or") || t[i + 1].isPunct(",")
            {
                return true
            }
            guard i > firstField else { return false }
            if t[..<i].contains(where: { f in f.source?.values?.contains { Suggest.normalise($0) == Suggest.normalise(x.text) } == true }) {
                return true
            }
            // A record noun right after "is" compared with a text field ("traits.lifecycle_stage is lead").
            let nouns: Set<String> = [
                "lead", "contact", "member", "subscriber", "account", "company", "customer", "user", "event", "person",
            ]
            return nouns.contains(x.lower) && t[i - 1].isWord("is", "are", "equals", "or") && t[firstField].source?.type.baseType == .string
                && t[firstField].source?.values == nil
        }.map(\.element)
        while let f = words.first, f.isPunct(",", ";", ":") { words.removeFirst() }
        while let l = words.last, l.isPunct(",", ";", ":") { words.removeLast() }
        guard !words.isEmpty else { return nil }
        // "neither/either X nor/or Y" reads fields alone: another word ("a status of cleaned", "a value
        // over 10") would change the condition, so then nothing is read.
        let onlyFields = words.allSatisfy {
            $0.source != nil || $0.isPunct(",")
                || $0.kind == .word
                    && (emptyWords.contains($0.lower) || presentWords.contains($0.lower)
                        || [
                            "either", "or", "neither", "nor", "no", "without", "a", "an", "the", "have", "has", "with", "that", "who",
                            "which", "any", "is", "are", "set", "value", "field", "trait", "property", "their", "its", "is", "they", "it",
                            "do", "does", "don", "t", "not", "lack", "lacks", "missing", "one",
                        ].contains($0.lower))
        }
        // neither X nor Y (have neither a userId nor an anonymousId)
        if let n = words.firstIndex(where: { $0.isWord("neither") }), let nor = words.firstIndex(where: { $0.isWord("nor") }), n < nor {
            let fields = words.compactMap(\.source)
            // One field, "X is neither V nor W", is read below as a comparison.
            if fields.count >= 2 {
                guard onlyFields else { return nil }
                return ReadCondition(text: fields.map { "blank(\(fname($0)))" }.joined(separator: " and "), fields: fields, literals: [])
            }
        }
        // either X or Y is missing / without X or Y / that have either X or Y
        if words.first?.isWord("either") == true || words.contains(where: { $0.isWord("either") }) {
            let fields = words.compactMap(\.source)
            let others = t.filter {
                $0.source == nil && !$0.isWord("either", "or", "a", "an", "the", "have", "has", "with", "that", "who", "which")
            }
            if fields.count >= 2, t.contains(where: { $0.isWord("have", "has", "with") }),
                !t.contains(where: { $0.isWord("no", "not", "without") }),
                others.allSatisfy({ $0.kind == .word && fillers.contains($0.lower) || $0.isPunct(",") })
            {
                return ReadCondition(text: fields.map { "present(\(fname($0)))" }.joined(separator: " or "), fields: fields, literals: [])
            }
            guard fields.count >= 2, onlyFields, words.contains(where: { emptyWords.contains($0.lower) || $0.isWord("no", "without") })
            else {
                // "either it has no Email or the email has bounced": two conditions, each read on its own.
                if fields.count >= 2, let parts = splitJunction(words.filter { !$0.isWord("either") }, source: source),
                    !parts.text.contains(" and ")
                {
                    return parts
                }
                return nil
            }
            return ReadCondition(text: fields.map { "blank(\(fname($0)))" }.joined(separator: " or "), fields: fields, literals: [])
        }
        // Split at and/or between complete sub-conditions.
        if let parts = splitJunction(words, source: source) { return parts }
        if let c = single(words, source: source) { return c }
        return valuesOnly(words, source: source)
    }

    /// "cleaned or transactional members", "members that are pending": values without their field, read
    /// when exactly one source picklist holds them all (a field whose name extends another's, such as
    /// `status_if_new` beside `status`, gives way to it).
    static func valuesOnly(_ w: [ProseToken], source: Schema) -> ReadCondition? {
        guard !w.contains(where: { $0.source != nil }) else { return nil }
        let negated = w.contains { $0.isWord("not", "isn't", "aren't", "neither") }
        let values = w.filter {
            $0.kind == .quoted || $0.kind == .word && !keywords.contains($0.lower) && !$0.isWord("but", "nor", "neither")
        }
        guard !values.isEmpty, w.allSatisfy({ $0.kind != .punct || $0.isPunct(",") }) else { return nil }
        var holding = source.fields.filter { f in
            f.values != nil && values.allSatisfy { v in literal(v, for: f).map { f.values!.contains($0) } ?? false }
        }
        holding = holding.filter { f in !holding.contains { $0.name != f.name && f.name.hasPrefix($0.name) } }
        guard holding.count == 1, let f = holding.first else { return nil }
        let lits = values.compactMap { literal($0, for: f) }.map { typed($0, f) }
        let name = fname(f)
        let text =
            negated ? lits.map { "\(name) != \($0)" }.joined(separator: " and ") : lits.map { "\(name) == \($0)" }.joined(separator: " or ")
        return ReadCondition(text: text, fields: [f], literals: lits)
    }

    static let fillers: Set<String> = [
        "a", "an", "the", "their", "its", "whose", "where", "that", "which", "who", "have", "has", "with", "field", "value", "set", "to",
        "record", "records", "contact", "contacts", "member", "members", "event", "events", "lead", "leads", "company", "companies",
        "account", "accounts", "only", "exactly", "any", "after", "trimming", "trimmed", "is", "are", "was", "equals", "equal",
        "says", "reads", "of", "anyone", "anybody", "everyone", "people", "person", "someone", "ones", "those", "users", "user",
        "subscribers", "subscriber", "rows", "row", "items", "entries", "calls", "call", "hits", "requests", "identifies", "tracks",
        "were", "been", "got", "get", "addresses", "emails", "signups", "customers", "visitors", "profiles",
    ]

    /// `A and B`, `A or B` where each side reads as a condition on its own.
    private static func splitJunction(_ w: [ProseToken], source: Schema) -> ReadCondition? {
        for (i, tok) in w.enumerated() where tok.isWord("and", "or") && i > 0 && i < w.count - 1 {
            var left = Array(w[..<i])
            var right = Array(w[(i + 1)...])
            while let l = left.last, l.isPunct(",") { left.removeLast() }
            while let f = right.first, f.isPunct(",") { right.removeFirst() }
            guard !left.isEmpty, !right.isEmpty else { continue }
            // "X is V or W" is one condition with two values, not two conditions.
            guard right.contains(where: { $0.source != nil }) else { continue }
            guard let l = single(left, source: source) ?? splitJunction(left, source: source),
                let r = single(right, source: source) ?? splitJunction(right, source: source)
            else { continue }
            let op = tok.lower
            return ReadCondition(
                text: "\(wrap(l.text, op)) \(op) \(wrap(r.text, op))", fields: l.fields + r.fields, literals: l.literals + r.literals)
        }
        return nil
    }

    private static func wrap(_ s: String, _ op: String) -> String {
        (op == "and" && s.contains(" or ")) ? "(\(s))" : s
    }

    /// One field and what is said of it.
    static func single(_ w: [ProseToken], source: Schema) -> ReadCondition? {
        let fieldTokens = w.enumerated().filter { $0.element.source != nil }
        guard fieldTokens.count == 1, let f = fieldTokens[0].element.source else { return nil }
        let at = fieldTokens[0].offset
        let name = fname(f)
        let before = w[..<at]
        // "no anon id and no user id" with one side named: the other side is a condition it could not read.
        guard !before.contains(where: { $0.isWord("and", "or", "nor") }) else { return nil }
        let after = Array(w[(at + 1)...])
        let lowerAfter = after.map(\.lower)
        let negated =
            lowerAfter.contains("not") || before.contains { $0.isWord("not", "isn't") } || lowerAfter.contains("isn't")
            || lowerAfter.contains("neither")
        // "there's no X", "no X", "without X", "X is empty / missing / not set"
        if before.contains(where: { $0.isWord("no", "without", "lacks", "lack", "missing") })
            || (after.contains { emptyWords.contains($0.lower) } && !negated)
            || (lowerAfter.contains("not") && lowerAfter.contains(where: { presentWords.contains($0) }))
        {
            guard after.allSatisfy({ $0.kind == .word && !isValueWord($0) || emptyWords.contains($0.lower) }) else { return nil }
            return ReadCondition(text: "blank(\(name))", fields: [f], literals: [])
        }
        if after.contains(where: { presentWords.contains($0.lower) }) || (negated && after.contains { emptyWords.contains($0.lower) })
            || before.contains(where: { $0.isWord("has", "have", "with") }) && after.isEmpty
        {
            return ReadCondition(text: "present(\(name))", fields: [f], literals: [])
        }
        // Booleans: "X is true", "X", "not X", "X is false"
        if f.type == .bool {
            let vals = after.filter { $0.isWord("true", "false", "yes", "no", "set", "checked", "ticked") || $0.kind == .quoted }
            if vals.isEmpty && after.allSatisfy({ $0.kind == .word && !isValueWord($0) }) {
                return ReadCondition(text: negated ? "not \(name)" : "\(name) == true", fields: [f], literals: [])
            }
            guard vals.count == 1 else { return nil }
            let truth = ["true", "yes", "set", "checked", "ticked"].contains(vals[0].lower)
            return ReadCondition(text: "\(name) == \(truth != negated)", fields: [f], literals: [vals[0].text])
        }
        // Comparisons of numbers: over / more than / at least / under / less than N
        if f.type.baseType == .int || f.type.baseType == .decimal,
            let n = after.firstIndex(where: { Double($0.text) != nil && $0.kind == .word })
        {
            let words = Set(lowerAfter)
            let nums = after.filter { Double($0.text) != nil && $0.kind == .word }
            // Every word must be a comparison word, a number or filler.
            let comparison: Set<String> = [
                "least", "most", "over", "above", "more", "greater", "exceeds", "under", "below", "less", "fewer", "than", "or", "and",
                "not", "isn't", "higher", "lower", "up", "at", "is", "equal", "to", "one", "of", "either", ",", "=",
            ]
            guard after.allSatisfy({ Double($0.text) != nil || comparison.contains($0.lower) }) else { return nil }
            // "4 or more", "2 or less": the number is included.
            if nums.count == 1, let i = lowerAfter.firstIndex(of: "or"), i + 1 < lowerAfter.count {
                let next = lowerAfter[i + 1]
                if ["more", "above", "higher", "over", "greater", "up"].contains(next) {
                    return ReadCondition(text: "\(name) >= \(nums[0].text)", fields: [f], literals: [nums[0].text])
                }
                if ["less", "fewer", "below", "lower", "under"].contains(next) {
                    return ReadCondition(text: "\(name) <= \(nums[0].text)", fields: [f], literals: [nums[0].text])
                }
            }
            // "2 or 3", "1, 2 or 5": one of the numbers.
            if nums.count > 1 {
                guard words.isDisjoint(with: ["least", "most", "over", "above", "more", "greater", "under", "below", "less", "fewer"])
                else {
                    return nil
                }
                let text = nums.map { "\(name) \(negated ? "!=" : "==") \($0.text)" }.joined(separator: negated ? " and " : " or ")
                return ReadCondition(text: text, fields: [f], literals: nums.map(\.text))
            }
            let op: String
            if words.contains("least") {
                op = ">="
            } else if words.contains("most") {
                op = "<="
            } else if !words.isDisjoint(with: ["over", "above", "more", "greater", "exceeds"]) {
                op = ">"
            } else if !words.isDisjoint(with: ["under", "below", "less", "fewer"]) {
                op = "<"
            } else {
                op = negated ? "!=" : "=="
            }
            return ReadCondition(text: "\(name) \(op) \(after[n].text)", fields: [f], literals: [after[n].text])
        }
        // contains / starts with / ends with
        if let c = after.firstIndex(where: { $0.isWord("contains", "contain", "mentions", "includes", "include") }), c + 1 < after.count,
            let lit = literal(after[c + 1], for: f)
        {
            let t = "contains(\(name), \(Formatter.stringLiteral(lit)))"
            return ReadCondition(text: negated ? "not " + t : t, fields: [f], literals: [after[c + 1].text])
        }
        if let c = after.firstIndex(where: { $0.isWord("starts", "begins") }), c + 2 < after.count, after[c + 1].isWord("with"),
            let lit = literal(after[c + 2], for: f)
        {
            return ReadCondition(text: "starts_with(\(name), \(Formatter.stringLiteral(lit)))", fields: [f], literals: [after[c + 2].text])
        }
        // "ends with V" ("with" may have gone as a filler).
        if let c = after.firstIndex(where: { $0.isWord("ends") }),
            case let v = c + 1 < after.count && after[c + 1].isWord("with") ? c + 2 : c + 1, v == after.count - 1,
            after[v].kind == .quoted, let lit = literal(after[v], for: f)
        {
            return ReadCondition(text: "ends_with(\(name), \(Formatter.stringLiteral(lit)))", fields: [f], literals: [after[v].text])
        }
        // "X other than V", "X except V": not V.
        if let o = after.firstIndex(where: { $0.isWord("other", "except", "besides") }),
            after[o].isWord("except", "besides") || o + 1 < after.count && after[o + 1].isWord("than")
        {
            let vals = after[(o + 1)...].filter { isValueWord($0) && !$0.isWord("than") }
            let lits = vals.compactMap { literal($0, for: f) }
            guard !lits.isEmpty, lits.count == vals.count else { return nil }
            return ReadCondition(
                text: lits.map { "\(name) != \(typed($0, f))" }.joined(separator: " and "), fields: [f], literals: vals.map(\.text))
        }
        // Equality with one or more values: "X is V", "X is V or W", "X is one of V, W and Z", "X = V"
        var values = after.filter { isValueWord($0) && !$0.isWord("neither", "nor") }
        guard !values.isEmpty else { return nil }
        // An unquoted value of several words ("LeadSource is Partner Referral", "… is Attempted To
        // Contact"): one picklist value, spelled by all the words after the verb.
        let spelled = after.drop { $0.isWord("is", "are", "equals", "=", "not", "isn't") }
        var spelledWhole = false
        if values.count > 1 || spelled.count > 1, spelled.allSatisfy({ $0.kind == .word }), let allowed = f.values {
            let text = spelled.map(\.text).joined(separator: " ")
            let n = Suggest.normalise(text)
            if allowed.contains(where: { Suggest.normalise($0) == n }) {
                values = [ProseToken(kind: .quoted, text: text, lower: text.lowercased())]
                spelledWhole = true
            }
        }
        var lits: [String] = []
        for v in values {
            guard let l = literal(v, for: f) else { return nil }
            lits.append(l)
        }
        // Every other word must be filler.
        let others = after.filter { !isValueWord($0) && !$0.isPunct(",") || $0.isWord("neither", "nor") }
        guard
            spelledWhole
                || others.allSatisfy({
                    $0.isWord("not", "isn't", "one", "either", "or", "and", "any", "in", "=", "==", "exactly", "set", "neither", "nor")
                })
        else {
            return nil
        }
        let quoted = lits.map { typed($0, f) }
        let text: String
        if negated {
            text = quoted.map { "\(name) != \($0)" }.joined(separator: " and ")
        } else {
            text = quoted.map { "\(name) == \($0)" }.joined(separator: " or ")
        }
        return ReadCondition(text: text, fields: [f], literals: values.map(\.text))
    }

    /// Whether a token can be a compared value: quoted, a number, or a word that is not a keyword.
    static func isValueWord(_ t: ProseToken) -> Bool {
        if t.kind == .quoted { return true }
        guard t.kind == .word, t.source == nil else { return false }
        return !keywords.contains(t.lower)
    }

    static let keywords: Set<String> = [
        "is", "are", "not", "isn't", "one", "either", "or", "and", "any", "in", "exactly", "set", "the", "a", "an", "to", "of", "when",
        "if", "then", "else", "otherwise", "has", "have", "with", "value", "field", "empty", "blank", "missing", "null", "true",
        "false", "equals", "equal", "contains", "starts", "ends", "over", "under", "more", "less", "than", "at", "least", "most",
        "present", "filled", "given", "known", "no", "without", "unset", "absent", "whose", "where", "that", "which", "only",
        "was", "says", "reads", "their", "its", "yes",
    ]

    /// The literal value a token stands for when compared with field `f`: picklist values by any
    /// spelling (`salesqualifiedlead`, "Sales Qualified Lead"), else the text as written.
    static func literal(_ t: ProseToken, for f: Field) -> String? {
        if let values = f.values {
            let n = Suggest.normalise(t.text)
            if let v = values.first(where: { $0 == t.text }) ?? values.first(where: { Suggest.normalise($0) == n }) { return v }
            // A plural of a value ("customers", "opportunities") when the prose talks of records.
            if t.kind == .word, n.count > 3, n.hasSuffix("s") {
                let singular = n.hasSuffix("ies") ? String(n.dropLast(3)) + "y" : String(n.dropLast())
                if let v = values.first(where: { Suggest.normalise($0) == singular }) { return v }
            }
            // An unknown value of a picklist is still a value the prose names (a typo is caught by review).
            return t.kind == .quoted ? t.text : nil
        }
        switch f.type.baseType {
        case .int, .decimal: return Double(t.text) != nil ? t.text : nil
        case .bool: return ["true", "false"].contains(t.lower) ? t.lower : nil
        default: return t.text
        }
    }

    /// A literal in the field's type (numbers and booleans bare, text quoted).
    static func typed(_ lit: String, _ f: Field) -> String {
        switch f.type.baseType {
        case .int, .decimal, .bool: lit
        default: Formatter.stringLiteral(lit)
        }
    }

    static func fname(_ f: Field) -> String { MappingGrammar.fieldName(f.name) }
}
