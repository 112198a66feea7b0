import MapDSL

/// Clauses that continue the value the clause before gave (issue 18, round 6): a default for when it
/// is empty ("…; if somehow there's no domain, Unknown", "…; where HubSpot has no name, use the domain
/// instead; where both are empty, write "V"", "…; leads without one use their Salesforce Id"), and a
/// blank guard on a prefix ("…; leave Description empty when there's no form id").
extension ComposeReader {
    /// Words that say a value is missing.
    static let emptiness: Set<String> = [
        "no", "empty", "blank", "missing", "none", "neither", "nothing", "without", "unset", "isn't", "isn", "absent", "null", "not",
        "didn", "doesn", "don", "wasn", "hasn", "haven", "never", "fails", "fail",
    ]

    /// Words of a continuation's condition that say nothing more than "it is empty".
    static let conditionFillers: Set<String> = [
        "if", "when", "where", "whenever", "in", "case", "there", "s", "there's", "is", "are", "it", "that", "this", "they", "we", "have",
        "has", "doesn't", "don't", "doesn", "don", "t", "not", "somehow", "also", "both", "a", "an", "the", "value", "any", "hubspot",
        "salesforce", "mailchimp", "segment", "app", "crm", "know", "of", "these", "those", "field", "fields", "either", "set",
        "given", "filled", "sent", "send", "one", "them", "two", "all", "known", "and", "but", "still", "at", "do", "does", "with",
        "t", "provide", "provided", "give", "gave", "given", "did", "user", "form", "source", "platform", "trait", "property", "attribute",
        "merge", "tag", "flag", "column", "checkbox", "should", "must", "will", "would", "just", "simply", "work", "works", "too",
        "either", "as", "well",
    ]

    /// Reads clause `c` as a continuation of the last assignment in `out`; false (and `out` untouched)
    /// when it is not one this reader reads whole.
    static func continueClause(_ c: [ProseToken], into out: inout SentenceOutcome, source: Schema, destination: Schema) -> Bool {
        // "if there's no X use Y, and if that's missing too "V"": continuations one after another.
        if let k = c.indices.first(where: { k in
            k > 0 && c[k].isPunct(",") && k + 2 < c.count && c[k + 1].isWord("and") && c[k + 2].isWord("if", "when", "where")
        }) {
            var copy = out
            guard continueClause(Array(c[..<k]), into: &copy, source: source, destination: destination),
                continueClause(Array(c[(k + 2)...]), into: &copy, source: source, destination: destination)
            else { return false }
            out = copy
            return true
        }
        guard let i = out.assignments.indices.last else { return false }
        var t = c
        while let f = t.first, f.isWord("and", "but", "then", "so", "also") || f.isPunct(",") { t.removeFirst() }
        while let l = t.last, l.isPunct(",", ".") { t.removeLast() }
        guard !t.isEmpty,
            !t.contains(where: { $0.destination != nil && $0.source == nil && $0.destination?.name != out.assignments[i].field.name })
        else { return false }
        let a = out.assignments[i]
        let reader = ComposeReader(source: source, destination: destination, d: a.field)
        if let v = reader.blankGuard(t, after: a.value) {
            out.assignments[i].value = v
            out.assignments[i].confidence = min(a.confidence, 0.9)
            return true
        }
        if let v = reader.statedDefault(t, after: a.value) ?? reader.emptyDefault(t, after: a.value) {
            out.assignments[i].value = v
            out.assignments[i].confidence = min(a.confidence, 0.9)
            return true
        }
        return false
    }

    /// Reads sentence `t` (clauses split at `;`) as continuations of the last assignment in `out`, one
    /// clause after another; false (and `out` untouched) unless every clause is one.
    static func continueSentence(_ t: [ProseToken], into out: inout SentenceOutcome, source: Schema, destination: Schema) -> Bool {
        var clauses: [[ProseToken]] = [[]]
        for x in t {
            if x.isPunct(";") { clauses.append([]) } else { clauses[clauses.count - 1].append(x) }
        }
        clauses = clauses.filter { !$0.isEmpty }
        guard !clauses.isEmpty else { return false }
        var copy = out
        for c in clauses {
            guard continueClause(c, into: &copy, source: source, destination: destination) else { return false }
        }
        out = copy
        return true
    }

    /// The source fields an expression reads, by name.
    func fieldsRead(_ text: String) -> [Field] {
        source.fields.filter { SentenceAccounting.mentions(text, OfflineExpr.field($0)) }
    }

    /// Whether token `t` names field `f`: the field itself, or a word of its name or label ("form" and "id"
    /// for `properties.form_id`, "name" for `name`).
    func names(_ t: ProseToken, _ f: Field) -> Bool {
        if let s = t.source { return s.name == f.name }
        // "if there's no last name" for LastName: the value the rule gives, named by its destination.
        if t.destination?.name == d.name { return true }
        guard t.kind == .word, t.lower.count >= 2 else { return false }
        let parts = (f.name + " " + (f.label ?? "")).lowercased().split(whereSeparator: { !$0.isLetter && !$0.isNumber }).map(String.init)
        return parts.contains(t.lower) && !["the", "of", "a", "an", "and", "or"].contains(t.lower)
    }

    /// "leave Description empty when there's no form id", "empty if there is no X": the concatenation before
    /// gives null when X is blank (its prefix alone is not written).
    func blankGuard(_ t: [ProseToken], after prior: ReadValue) -> ReadValue? {
        guard prior.kind == .concatenation, prior.text.contains("+"), prior.text.contains("\""),
            let k = t.firstIndex(where: { $0.isWord("when", "if", "whenever", "where") }), k > 0,
            t[..<k].contains(where: { $0.isWord("empty", "blank", "null", "unset", "nothing") }),
            t[..<k].allSatisfy({
                $0.isWord(
                    "leave", "keep", "it", "empty", "blank", "null", "unset", "nothing", "is", "should", "be", "stays", "left", "the",
                    "field")
                    || $0.destination?.name == d.name
            })
        else { return nil }
        let cond = Array(t[(k + 1)...])
        guard cond.contains(where: { Self.emptiness.contains($0.lower) }) else { return nil }
        let read = fieldsRead(prior.text).filter { $0.type.baseType == .string }
        let named = read.filter { f in cond.contains { names($0, f) } }
        guard named.count == 1, let f = named.first,
            cond.allSatisfy({ names($0, f) || Self.emptiness.contains($0.lower) || Self.conditionFillers.contains($0.lower) })
        else { return nil }
        let name = OfflineExpr.field(f)
        guard !prior.text.contains("null_if_blank(\(name))") else { return nil }
        var v = prior
        v.text = Self.replacingField(prior.text, name, with: "null_if_blank(\(name))")
        v.kind = .concatenation
        return v
    }

    /// `text` with each whole occurrence of field name `name` replaced.
    static func replacingField(_ text: String, _ name: String, with replacement: String) -> String {
        let chars = Array(text)
        let n = Array(name)
        func ident(_ c: Character) -> Bool { c.isLetter || c.isNumber || c == "_" || c == "." || c == "`" }
        var out = ""
        var i = 0
        var inQuote = false
        while i < chars.count {
            if chars[i] == "\"" && (i == 0 || chars[i - 1] != "\\") { inQuote.toggle() }
            if !inQuote, i + n.count <= chars.count, Array(chars[i..<(i + n.count)]) == n, i == 0 || !ident(chars[i - 1]),
                i + n.count == chars.count || !ident(chars[i + n.count])
            {
                out += replacement
                i += n.count
                continue
            }
            out.append(chars[i])
            i += 1
        }
        return out
    }

    /// "default EUR", "default to EUR", "defaults to "n/a"", "EUR by default": one value for when the value
    /// before is empty.
    func statedDefault(_ t: [ProseToken], after prior: ReadValue) -> ReadValue? {
        var w = t.filter { !$0.isPunct(":", "=") }
        if w.first?.isWord("default", "defaults", "defaulting") == true {
            w.removeFirst()
            if w.first?.isWord("to", "is") == true { w.removeFirst() }
        } else if w.count == 3, w[1].isWord("by"), w[2].isWord("default") {
            w.removeLast(2)
        } else {
            return nil
        }
        guard w.count == 1 else { return nil }
        var ifEmpty = w
        // The form "if empty, V" reads it, with what the value before holds.
        ifEmpty =
            [
                ProseToken(kind: .word, text: "if", lower: "if"), ProseToken(kind: .word, text: "empty", lower: "empty"),
                ProseToken(kind: .punct, text: ",", lower: ","),
            ] + ifEmpty
        return emptyDefault(ifEmpty, after: prior)
    }

    /// "if somehow there's no domain, Unknown", "where HubSpot has no name, use the domain instead",
    /// "where both are empty, write "V"", "leads without one use their Salesforce Id": the value before,
    /// or this one when it is empty.
    func emptyDefault(_ t: [ProseToken], after prior: ReadValue) -> ReadValue? {
        guard [.copy, .fallback, .concatenation].contains(prior.kind) else { return nil }
        // Where the condition ends: an action word, else the last comma.
        let actions: Set<String> = [
            "use", "write", "put", "take", "send", "default", "fall", "falls", "then", "becomes", "gets", "get", "say", "says", "read",
            "reads",
        ]
        var t = t
        // "the opt-in IP if the signup IP is empty": the value first, then the condition.
        // "fall back to the Contact ID if there's no External ID": the same, the action word first.
        if let k = t.firstIndex(where: { $0.isWord("if", "when", "whenever") }), k > 0,
            !t[1..<k].contains(where: { $0.kind == .word && actions.contains($0.lower) || $0.isPunct(",") }),
            !(t[0].kind == .word && actions.contains(t[0].lower)) || t[0].isWord("use", "take", "fall", "write", "put")
        {
            t = Array(t[k...]) + [ProseToken(kind: .punct, text: ",", lower: ",")] + Array(t[..<k])
        }
        // An action word right after a comma wins ("if the app didn't send one, take …").
        let afterComma = t.indices.first { $0 > 0 && t[$0 - 1].isPunct(",") && t[$0].kind == .word && actions.contains(t[$0].lower) }
        // "if that's missing too "Unknown"": a quoted value that ends the clause, after its condition.
        if afterComma == nil, !t.contains(where: { $0.kind == .word && actions.contains($0.lower) || $0.isPunct(",") }),
            t.count > 2, t.last?.kind == .quoted
        {
            t.insert(ProseToken(kind: .punct, text: ",", lower: ","), at: t.count - 1)
        }
        let act =
            afterComma ?? t.firstIndex(where: { $0.kind == .word && actions.contains($0.lower) }) ?? t.lastIndex(where: { $0.isPunct(",") })
        guard let act, act > 0 else { return nil }
        var cond = Array(t[..<act])
        // "… but we know the domain", "… and there is a domain": the alternative needs that field; it is
        // guarded where it is used (a blank one gives null, as no alternative).
        var needed: [Field] = []
        if let b = cond.firstIndex(where: { $0.isWord("but", "and") }), b > 0 {
            let extra = cond[(b + 1)...].filter { !$0.isPunct(",") }
            let fs = extra.compactMap(\.source)
            if fs.count == 1,
                extra.allSatisfy({
                    $0.source != nil
                        || $0.isWord("we", "know", "have", "has", "the", "a", "an", "there", "is", "s", "it", "set", "known", "given")
                }),
                extra.contains(where: { $0.isWord("know", "have", "has", "there", "set", "known", "given") })
            {
                needed = fs
                cond = Array(cond[..<b])
            }
        }
        let opens =
            cond[0].isWord("if", "when", "where", "whenever") || cond[0].isWord("in") && cond.count > 1 && cond[1].isWord("case")
            || cond.prefix(3).contains(where: { $0.isWord("without", "no") })
                && (Self.recordNouns.contains(cond[0].lower) || cond[0].isWord("no"))
        guard opens, cond.contains(where: { Self.emptiness.contains($0.lower) }) else { return nil }
        let read = fieldsRead(prior.text)
        // "no domain" after `email_domain(…)`: a word of the function the value applies names what it gives.
        let calls = Set(
            prior.text.split(whereSeparator: { !$0.isLetter && $0 != "_" }).filter { prior.text.contains($0 + "(") }
                .flatMap { $0.split(separator: "_").map { $0.lowercased() } }
        ).subtracting(["null", "if", "blank", "to", "try", "trim", "lower", "upper", "truncate"])
        guard !read.isEmpty,
            cond.allSatisfy({ x in
                x.isPunct(",") || Self.emptiness.contains(x.lower) || Self.conditionFillers.contains(x.lower)
                    || Self.recordNouns.contains(x.lower) && x.source == nil || read.contains { names(x, $0) }
                    || x.source == nil && calls.contains(x.lower)
            })
        else { return nil }
        // The value: one literal, one field, or a concatenation.
        var value = Array(t[(act + 1)...])
        // "use (none)": one word in parentheses, parentheses included, is the text.
        if let open = value.firstIndex(where: { $0.isPunct("(") }), open + 2 < value.count, value[open + 1].kind == .word,
            value[open + 1].source == nil, value[open + 2].isPunct(")"), d.type.baseType == .string
        {
            let text = "(" + value[open + 1].text + ")"
            value.replaceSubrange(open...(open + 2), with: [ProseToken(kind: .quoted, text: text, lower: text.lowercased())])
        }
        let valueFillers: Set<String> = [
            "the", "a", "an", "instead", "then", "their", "its", "to", "back", "on", "use", "write", "just", "simply", "value", "it", "is",
            "be", "that", "them", "put", "in", "hubspot", "salesforce", "mailchimp", "segment", "word", "text", "literal", "regular",
            "normal", "usual", "ordinary", "plain",
        ]
        value = value.filter { !($0.kind == .word && $0.source == nil && valueFillers.contains($0.lower)) && !$0.isPunct("(", ")", ",") }
        // "the company domain", "the contact's mobile": a record noun before a field only says whose it is.
        value = value.enumerated().filter { k, x in
            !(x.source == nil && Self.recordNouns.contains(x.lower) && k + 1 < value.count && value[k + 1].source != nil)
        }.map(\.1)
        guard !value.isEmpty else { return nil }
        let reader = ValueReader(source: source, destination: destination, d: d)
        var alternative: String
        if value.count == 1, value[0].source == nil, let lit = literalToken(value[0], loose: value[0].kind == .word) {
            // An unquoted word as text: only one that is no keyword, no number and names nothing.
            if value[0].kind == .word, d.type.baseType == .string {
                guard !ConditionReader.keywords.contains(value[0].lower), value[0].destination == nil || d.type != .string else {
                    return nil
                }
                // Nothing but an article before it and "instead" after it ("n/a" is read as "n" and "a": not one word).
                let raw = Array(t[(act + 1)...]).filter { !$0.isPunct(",", ".") }
                guard let at = raw.firstIndex(where: { $0.text == value[0].text && $0.kind == .word }),
                    raw[..<at].allSatisfy({
                        $0.kind == .word
                            && ["use", "put", "write", "take", "the", "a", "an", "just", "simply", "then", "to", "back", "fall"].contains(
                                $0.lower)
                    }),
                    raw[(at + 1)...].allSatisfy({ $0.isWord("instead") })
                else { return nil }
            }
            alternative = lit
        } else if value.count == 1, value[0].source != nil, let c = reader.copy(value) {
            alternative = c.text
        } else if value.contains(where: { $0.isPunct("+") || $0.isWord("followed", "joined", "plus") }),
            let c = reader.concatenation(value),
            c.kind == .concatenation
        {
            alternative = c.text
        } else if let r = self.read(
            Array(
                t[(act + 1)...].drop { $0.isWord("use", "take", "write", "put", "then") || $0.isPunct(",") }.reversed()
                    .drop { $0.isWord("instead") }.reversed())),
            r.value.kind == .concatenation
        {
            // "take the first word of traits.name", "use the domain of the email": a part of another value.
            alternative = r.value.text
        } else {
            return nil
        }
        for f in needed {
            let name = OfflineExpr.field(f)
            guard f.type.baseType == .string, SentenceAccounting.mentions(alternative, name) else { return nil }
            alternative = Self.replacingField(alternative, name, with: "null_if_blank(\(name))")
        }
        var text = prior.text
        if prior.kind == .copy, let s = prior.sourceField.flatMap({ source.field($0) }), s.type.baseType == .string {
            text = "null_if_blank(\(text))"
        } else if prior.kind == .fallback, let r = text.range(of: " ?? ", options: .backwards) {
            // The last operand (a field, or one cut to length) is empty text as well as null when missing.
            let last = String(text[r.upperBound...])
            let read = fieldsRead(last)
            if read.count == 1, read[0].type.baseType == .string, !last.hasPrefix("null_if_blank("),
                last == OfflineExpr.field(read[0]) || last.hasPrefix("truncate(\(OfflineExpr.field(read[0])),")
            {
                text = String(text[..<r.upperBound]) + "null_if_blank(\(last))"
            }
        }
        guard !text.hasSuffix(" ?? " + alternative) else { return nil }
        var v = prior
        v.text = text + " ?? " + alternative
        v.kind = .fallback
        v.sourceField = nil
        return v
    }
}
