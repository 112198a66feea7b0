import MapDSL

/// A value read from prose for one destination field.
struct ReadValue {
    /// What kind of reading it is, for confidence and the trace.
    enum Kind: String {
        case copy, constant, translation, chain, condition, concatenation, dateFormat, fallback, lookup
    }

    /// Mapping-language text of the value, already converted to the destination's type.
    var text: String
    var kind: Kind
    /// The source field a plain copy reads.
    var sourceField: String? = nil
    /// The chain behind a translation or if/else reading, so a later "Otherwise …" sentence can set its default.
    var chain: ValueChain? = nil
    /// The source fields the chain's conditions read, for a continuation that names none.
    var chainFields: [Field] = []
    /// A translation whose source field the phrase does not name: taken from an earlier sentence (flagged).
    var borrowed = false
    /// A translation whose source field no sentence names: the one the destination's name names (flagged).
    var subjectGuessed = false
}

/// Reads the value phrase of an assignment ("is the trimmed email", "comes from phone, falling back to
/// mobilephone", "is "sfdc-" followed by Id", "is true when status is unsubscribed", "A becomes B,
/// anything else C") for destination field `d`. Nil when the phrase says something it cannot read:
/// every field and literal the phrase names must end up in the value, or nothing is claimed.
struct ValueReader {
    let source: Schema
    let destination: Schema
    let d: Field
    /// Source fields earlier sentences compared, most recent first (for a translation that names none).
    var context: [Field] = []
    /// Source fields the whole sentence names (a translation may name its field in another clause).
    var sentence: [Field] = []

    func read(_ t: [ProseToken]) -> ReadValue? {
        // "…, for example tier-gold": an example is never an arm of a map; the value is read without it.
        let cut = FlagReader.withoutExample(t)
        if let v = readWhole(t), cut == nil || v.kind != .translation && v.kind != .chain { return v }
        if let cut { return read(cut) }
        // "… + id (the mailchimp member id)": an aside in parentheses at the end, which names no other field,
        // no value and no condition, says nothing about the value.
        var end = t.count
        while end > 0, t[end - 1].isPunct(".", ",") { end -= 1 }
        guard end > 0, t[end - 1].isPunct(")"), let open = t[..<(end - 1)].lastIndex(where: { $0.isPunct("(") }), open > 0 else {
            return nil
        }
        let head = Array(t[..<open])
        let named = Set(head.compactMap(\.source?.name))
        let stops: Set<String> = [
            "when", "if", "unless", "otherwise", "else", "not", "no", "never", "empty", "blank", "null", "true", "false", "leave", "skip",
            "default", "except", "but", "for", "only", "instead", "use", "or", "and", "lower", "lowercase", "lowercased", "upper",
            "uppercase", "uppercased", "trim", "trimmed", "plus", "followed", "then", "without", "unknown", "nothing",
        ]
        guard
            t[(open + 1)..<(end - 1)].allSatisfy({
                $0.kind == .word && !stops.contains($0.lower) && Double($0.text) == nil
                    && ($0.source == nil || named.contains($0.source!.name)) && ($0.destination == nil || $0.destination?.name == d.name)
            })
        else { return nil }
        return readWhole(head)
    }

    private func readWhole(_ t: [ProseToken]) -> ReadValue? {
        let words = t.filter { !($0.isPunct("(", ")")) }
        guard !words.isEmpty else { return nil }
        // A picklist value spelled in words, whatever else those words name ("Phone Inquiry").
        if d.type == .picklist || d.type == .multipicklist {
            let spelled = words.filter {
                !($0.kind == .word && ["always", "just", "simply", "set", "to", "be", "should", "the"].contains($0.lower))
            }
            if spelled.count > 1, spelled.allSatisfy({ $0.kind == .word }), let lit = literal(Self.joined(spelled)) {
                return ReadValue(text: lit, kind: .constant)
            }
        }
        // "industry stays as is", "email_type: unchanged": the source field of the same name, copied.
        if words.allSatisfy({
            $0.kind == .word
                && [
                    "as", "is", "stays", "stay", "remains", "unchanged", "same", "the", "copied", "carried", "over", "passed", "through",
                    "straight", "kept", "keep", "it", "just",
                ].contains($0.lower)
        }),
            words.contains(where: { $0.isWord("unchanged", "same") })
                || words.contains(where: { $0.isWord("as") }) && words.last?.isWord("is") == true,
            let same = source.fields.first(where: { $0.name.lowercased() == d.name.lowercased() }),
            let c = copy([ProseToken(kind: .word, text: same.name, lower: same.name.lowercased(), source: same)])
        {
            return c
        }
        if let v = FlagReader(source: source, d: d).constant(words) { return v }
        if let v = defaultWhenUnset(words) { return v }
        if let v = fallbackToConcatenation(words) { return v }
        if let v = modifiersOfTheSameField(words) { return v }
        if let v = unlessInWhichCase(words) { return v }
        if let v = copyExcept(words) { return v }
        if let v = ValuesMapReader(reader: self, guessSubject: true).read(t) { return v }
        if d.type == .bool, let v = booleanJunction(words) { return v }
        // "X, or "V" if there's no X": a fallback, though it reads like a condition arm too.
        if isEmptinessFallback(words), let v = fallback(words) { return v }
        if d.type == .bool, let v = booleanFromCondition(words) { return v }
        // Parentheses stay for a chain whose arm is described in words and stated in parentheses.
        if t.contains(where: { $0.isPunct("(") }), let v = chain(t) { return v }
        if let v = numericRanges(words) { return v }
        if let v = chain(words) { return v }
        if let v = conditionalCopy(words) { return v }
        if let v = concatenation(words) { return v }
        if let v = dateFormat(words) { return v }
        if let v = fallback(words) { return v }
        if let v = constant(words) { return v }
        if let v = copy(words) { return v }
        return nil
    }

    // MARK: Constants

    /// "always "V"", ""V"", "false", an unquoted picklist value ("DoNotCall is always false",
    /// "LeadSource is Web"). Only when no source field is named.
    func constant(_ w: [ProseToken]) -> ReadValue? {
        guard !w.contains(where: { $0.source != nil }) else { return nil }
        // "the COMPNY merge field": words that describe a field, so the value names one that was not found.
        guard !w.contains(where: { $0.isWord("field", "fields", "property", "merge", "tag", "attribute", "trait", "column") }) else {
            return nil
        }
        // "email_type: text": a word spelled exactly as a value of the destination's picklist is that value.
        let candidates = w.filter {
            $0.kind == .quoted
                || $0.kind == .word && !ConditionReader.keywords.contains($0.lower) && !constantFillers.contains($0.lower)
                || $0.kind == .word && (d.values ?? []).contains($0.text)
        }
        let bools = w.filter { $0.isWord("true", "false") }
        if d.type == .bool, candidates.isEmpty, bools.count == 1 {
            return ReadValue(text: bools[0].lower, kind: .constant)
        }
        if candidates.count > 1, d.type == .picklist || d.type == .multipicklist, candidates.allSatisfy({ $0.kind == .word }),
            let lit = literal(Self.joined(candidates))
        {
            // An unquoted value of several words ("LeadSource is Marketing Site"): only a whole picklist value.
            return ReadValue(text: lit, kind: .constant)
        }
        guard candidates.count == 1, let lit = literal(candidates[0]) else { return nil }
        // An unquoted word into a text field is a constant only when the prose says so ("always html"), and
        // never when it looks like a field name ("firstName", "company.name", "first_name"): a field it
        // did not find is listed, not written as text.
        if candidates[0].kind == .word, d.type == .string || d.type == .id {
            let t = candidates[0].text
            let fieldLike =
                t.contains(".") || t.contains("_") || zip(t, t.dropFirst()).contains { $0.isLowercase && $1.isUppercase }
            let said = w.contains { $0.isWord("always", "constant", "fixed", "hardcoded", "hard", "literal", "literally", "every", "all") }
            if fieldLike || !said { return nil }
        }
        return ReadValue(text: lit, kind: .constant)
    }

    /// Letters and digits only, lower-cased: "Channel Partner / Reseller" and "channel partner reseller" meet.
    static func loose(_ s: String) -> String { String(s.lowercased().filter { $0.isLetter || $0.isNumber }) }

    /// Words read as one quoted literal ("Marketing Site").
    static func joined(_ words: [ProseToken]) -> ProseToken {
        let text = words.map(\.text).joined(separator: " ")
        return ProseToken(kind: .quoted, text: text, lower: text.lowercased())
    }

    // MARK: "HasOptedOutOfEmail or IsEmailBounced"

    /// Boolean fields joined by "or"/"and" into a boolean: either (both) true.
    func booleanJunction(_ w: [ProseToken]) -> ReadValue? {
        let fields = w.compactMap(\.source)
        guard fields.count >= 2, fields.allSatisfy({ $0.type == .bool }),
            w.allSatisfy({ $0.source != nil || $0.isWord("or", "and", "either", "both", "is", "are", "true", "the") || $0.isPunct(",") })
        else { return nil }
        let ors = w.contains { $0.isWord("or") }
        let ands = w.contains { $0.isWord("and") }
        guard ors != ands else { return nil }
        let parts = fields.map { "\(OfflineExpr.field($0)) == true" }
        return ReadValue(text: parts.joined(separator: ors ? " or " : " and "), kind: .condition)
    }

    // MARK: "X, except that A becomes B"

    /// "lifecyclestage, except that "other" becomes "unknown"": a translation whose default is the copy.
    func copyExcept(_ w: [ProseToken]) -> ReadValue? {
        guard let e = w.firstIndex(where: { $0.isWord("except", "but") }), e > 0 else { return nil }
        var head = Array(w[..<e])
        while let l = head.last, l.isPunct(",") { head.removeLast() }
        let tail = Array(w[(e + 1)...].drop { $0.isWord("that", "for", "where", "when") || $0.isPunct(",") })
        guard let base = copy(head), let s = base.sourceField, let field = source.field(s),
            var chain = ChainReader(source: source, destination: destination, d: d, reader: self, sentence: [field]).parse(
                tail, context: [field]),
            chain.fallback == nil, chain.subject?.name == s
        else { return nil }
        chain.fallback = base.text
        return ReadValue(text: chain.render(otherwise: "null"), kind: .translation, chain: chain, chainFields: [field])
    }

    // MARK: "V unless C, in which case W"

    /// ""subscribed" unless HasOptedOutOfEmail is true, in which case it is "unsubscribed"": the value
    /// after "in which case" when the condition holds, the one before "unless" otherwise.
    func unlessInWhichCase(_ w: [ProseToken]) -> ReadValue? {
        let lower = w.map(\.lower)
        guard let u = lower.firstIndex(of: "unless"),
            let which = lower.indices.first(where: {
                $0 > u && $0 + 2 < lower.count && lower[$0] == "in" && lower[$0 + 1] == "which" && lower[$0 + 2] == "case"
            })
        else { return nil }
        let ifNot = w[..<u].filter { !$0.isPunct(",") && !$0.isWord("should", "be", "is", "always", "set", "to", "normally", "usually") }
        var cond = Array(w[(u + 1)..<which])
        while let l = cond.last, l.isPunct(",") { cond.removeLast() }
        let then = w[(which + 3)...].filter { !$0.isPunct(",") && !ChainReader.linkWords.contains($0.lower) && !$0.isWord("should") }
        // "status unless it is transactional": "it" is the field before "unless".
        if !cond.contains(where: { $0.source != nil }), let f = ifNot.compactMap(\.source).first, ifNot.compactMap(\.source).count == 1,
            let i = cond.firstIndex(where: { $0.isWord("it", "that", "this") })
        {
            cond[i] = ProseToken(kind: .word, text: f.name, lower: f.name.lowercased(), source: f)
        }
        guard let c = ConditionReader.read(cond, source: source), let a = single(then), let b = single(ifNot) else { return nil }
        var chain = ValueChain(arms: [(c.text, a)], fallback: b, subject: nil)
        chain.patterns = []
        return ReadValue(text: chain.render(otherwise: "null"), kind: .chain, chain: chain, chainFields: c.fields)
    }

    /// One value: a literal (quoted, or a whole picklist value in words), or a copy of one field.
    private func single(_ t: [ProseToken]) -> String? {
        let t = t.filter { !$0.isWord("the", "a", "an") }
        if t.count == 1, t[0].source == nil, let l = literal(t[0]) { return l }
        if t.count > 1, t.allSatisfy({ $0.kind == .word && $0.source == nil }), d.type == .picklist, let l = literal(Self.joined(t)) {
            return l
        }
        if let c = copy(t) { return c.text }
        return nil
    }

    private let constantFillers: Set<String> = [
        "always", "every", "each", "record", "records", "constant", "fixed", "hard", "coded", "hardcoded", "value", "literal", "string",
        "text", "for", "all", "contact", "contacts", "lead", "leads", "member", "members", "event", "events", "accounts",
        "account", "companies", "company", "just", "simply", "send", "sent", "fill", "filled", "use", "should", "be",
    ]

    /// A literal of the destination's type for a token: picklist values by any spelling, booleans,
    /// numbers, text within the length limit.
    func literal(_ t: ProseToken) -> String? {
        switch d.type {
        case .picklist, .multipicklist:
            guard let values = d.values else { return nil }
            let n = Suggest.normalise(t.text)
            let l = Self.loose(t.text)
            guard
                let v = values.first(where: { $0 == t.text }) ?? values.first(where: { Suggest.normalise($0) == n })
                    ?? (l.count >= 4 ? values.first(where: { Self.loose($0) == l }) : nil)
            else { return nil }
            return Formatter.stringLiteral(v)
        case .bool: return ["true", "false"].contains(t.lower) ? t.lower : nil
        case .int: return Int(t.text) != nil ? t.text : nil
        case .decimal: return Double(t.text) != nil ? t.text : nil
        case .string, .id:
            // Unquoted text is a constant only when it is one word that is not a keyword.
            if let max = d.maxLength, t.text.count > max { return nil }
            if t.kind != .quoted && t.text.contains(where: { $0 == " " }) { return nil }
            return Formatter.stringLiteral(t.text)
        case .date, .datetime: return nil
        }
    }

    // MARK: Copies

    /// One source field with modifiers: trimmed, lower-/upper-/title-cased, cut to N, as a number or
    /// date. Words that are neither modifiers nor filler make the reading fail.
    func copy(_ w: [ProseToken]) -> ReadValue? {
        // "in title case": the word is a modifier here, even where a field is called Title.
        var w = w
        for i in w.indices where w[i].lower == "title" && w[i].source != nil && i + 1 < w.count && w[i + 1].isWord("case", "cased") {
            w[i].source = nil
            w[i].destination = nil
        }
        let fields = w.compactMap(\.source)
        guard fields.count == 1, let s = fields.first else { return nil }
        let lower = Set(w.filter { $0.source == nil }.map(\.lower))
        let unknown = w.filter {
            $0.source == nil && !$0.isPunct(",", ":") && !copyWords.contains($0.lower) && Int($0.text) == nil
        }
        guard unknown.isEmpty, !w.contains(where: { $0.kind == .quoted }) else { return nil }
        var v = OfflineExpr.field(s)
        var type = s.type.baseType
        let replacing = replacement(w) != nil
        if type == .string
            && !lower.isDisjoint(
                with: replacing
                    ? ["trimmed", "trim", "trimming", "stripped"] : ["trimmed", "trim", "trimming", "whitespace", "spaces", "stripped"])
        {
            v = "trim(\(v))"
        }
        if type == .string, !lower.isDisjoint(with: ["lower", "lowercase", "lowercased", "lower-cased"]) { v = "lower(\(v))" }
        if type == .string, !lower.isDisjoint(with: ["upper", "uppercase", "uppercased", "upper-cased", "capitals"]) { v = "upper(\(v))" }
        if type == .string, lower.contains("title") || lower.contains("capitalised") || lower.contains("capitalized") { v = "title(\(v))" }
        if lower.contains("number") || lower.contains("integer") || lower.contains("whole") {
            if type == .string { v = "try_int(\(v))" } else if type == .decimal { v = "try_int(\(v))" }
            type = .int
        } else if lower.contains("decimal") {
            if type == .string { v = "try_decimal(\(v))" }
            type = .decimal
        }
        if type == .string, let r = replacement(w) {
            v = "replace(\(v), \(Formatter.stringLiteral(r.find)), \(Formatter.stringLiteral(r.with)))"
        }
        var cut: Int?
        let numberWords = ["one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10]
        if let i = w.firstIndex(where: { Int($0.text) != nil || numberWords[$0.lower] != nil }),
            !lower.isDisjoint(with: ["cut", "truncated", "truncate", "first", "shortened", "characters", "chars", "letters"])
        {
            cut = Int(w[i].text) ?? numberWords[w[i].lower]
        }
        if !OfflineExpr.convertible(type, d) { return nil }
        var text = OfflineExpr.convert(v, type: type, from: s, to: d)
        if let cut, d.type == .string {
            text = (d.maxLength ?? Int.max) <= cut ? text : "truncate(\(v), \(cut))"
        }
        return ReadValue(text: text, kind: .copy, sourceField: s.name)
    }

    /// "with spaces replaced by underscores", "dashes replaced with spaces", "replacing "-" with " "".
    func replacement(_ w: [ProseToken]) -> (find: String, with: String)? {
        guard let r = w.firstIndex(where: { $0.isWord("replaced", "replacing", "swapped") }) else { return nil }
        func sep(_ t: ProseToken) -> String? {
            if t.kind == .quoted { return t.text }
            switch t.lower {
            case "spaces", "space", "blanks": return " "
            case "underscores", "underscore": return "_"
            case "dashes", "dash", "hyphens", "hyphen": return "-"
            case "dots", "dot", "periods": return "."
            case "commas", "comma": return ","
            case "slashes", "slash": return "/"
            default: return nil
            }
        }
        let before = w[..<r].last { sep($0) != nil }
        let after = w[(r + 1)...].first { sep($0) != nil }
        if w[r].isWord("replacing"), let a = after, let b = w[(r + 1)...].last(where: { sep($0) != nil }),
            a.text != b.text || a.kind != b.kind
        {
            return (sep(a)!, sep(b)!)
        }
        guard let b = before, let a = after else { return nil }
        return (sep(b)!, sep(a)!)
    }

    private let copyWords: Set<String> = [
        "the", "a", "an", "its", "their", "contact", "contacts", "lead", "leads", "member", "members", "company", "account", "event",
        "value", "field", "property", "of", "as", "is", "trimmed", "trim", "trimming", "whitespace", "spaces", "surrounding",
        "removed", "stripped", "lower", "lowercase", "lowercased", "lower-cased", "upper", "uppercase", "uppercased", "upper-cased",
        "case", "in", "title", "capitalised", "capitalized", "capitals", "and", "with", "cut", "to", "truncated", "truncate",
        "first", "characters", "chars", "at", "most", "shortened", "fit", "number", "integer", "whole", "decimal", "copied",
        "copy", "straight", "unchanged", "directly", "same", "from", "taken", "just", "plain", "raw", "original", "both", "all",
        "text", "string", "into", "goes", "go", "comes", "come", "simply", "over", "across", "verbatim", "it", "name", "address",
        "hubspot", "salesforce", "mailchimp", "segment", "ga4", "email", "cased", "any", "leading", "trailing", "removing",
        "kept", "keep", "but", "only", "there", "on", "both", "sides", "too", "also", "replaced", "replacing", "by", "with", "spaces",
        "space", "underscores", "underscore", "dashes", "dash", "hyphens", "hyphen", "blanks", "merge", "tag", "letters", "one", "two",
        "three", "four", "five", "six", "seven", "eight", "nine", "ten", "chars", "well", "lowercase,", "trimmed,",
    ]

    // MARK: Fallbacks and defaults

    /// "hs_email_optout (false when not set)", "traits.unsubscribed, false if it isn't set", "company, or
    /// Unknown when it's empty": one field, then one constant and a condition that only says the field has
    /// no value. The field's value, else the constant (text that is empty counts as no value).
    func defaultWhenUnset(_ w: [ProseToken]) -> ReadValue? {
        let t = w.filter { !$0.isPunct(",") && !$0.isWord("the", "or", "otherwise", "else", "and") }
        guard t.count >= 4, t[0].source != nil, let s = t[0].source, t[1].source == nil, t[1].destination == nil || t[1].kind == .quoted,
            let lit = literal(t[1]), lit != "null", t[2].isWord("when", "if", "whenever")
        else { return nil }
        let rest = t[3...]
        let known: Set<String> = [
            "it", "is", "isn", "isn't", "t", "not", "set", "missing", "empty", "blank", "null", "unset", "absent", "there", "no", "value",
            "known", "given", "present", "s", "has", "have", "there's", "provided", "filled", "in",
        ]
        guard rest.allSatisfy({ known.contains($0.lower) || $0.source?.name == s.name }),
            rest.contains(where: { $0.isWord("not", "isn", "isn't", "no", "missing", "empty", "blank", "null", "unset", "absent") }),
            // "when not set" / "when it is empty" (not "when it is set": that is another reading).
            !(rest.contains(where: { $0.isWord("set", "known", "given", "present", "provided", "filled") })
                && !rest.contains(where: { $0.isWord("not", "isn", "isn't", "no") })),
            let base = copy([t[0]])
        else { return nil }
        let text = s.type.baseType == .string ? "null_if_blank(\(base.text)) ?? \(lit)" : "\(base.text) ?? \(lit)"
        return ReadValue(text: text, kind: .fallback, chainFields: [s])
    }

    /// "website, or if there's no website, "https://" + domain", "Description; if it is empty then
    /// "Account " + Id": a field, and when it has no value a concatenation.
    func fallbackToConcatenation(_ w: [ProseToken]) -> ReadValue? {
        guard w.contains(where: { $0.isPunct("+") }), let first = w.first(where: { !$0.isWord("the") }), let s = first.source,
            let emptyAt = w.firstIndex(where: { $0.isWord("no", "empty", "blank", "missing", "isn't", "unset", "null", "absent") })
        else { return nil }
        let connectors: Set<String> = [
            "or", "otherwise", "else", "if", "when", "there", "is", "it", "its", "the", "fall", "back", "to", "use", "then", "instead",
            "set", "value", "field", "we", "take", "s", "and",
        ]
        let firstAt = w.firstIndex { $0.source?.name == s.name }!
        // "website, or "https://" + domain when website is blank": the condition after the concatenation.
        if let plus = w.firstIndex(where: { $0.isPunct("+") }), plus < emptyAt,
            let k = w[plus...].firstIndex(where: { $0.isWord("when", "if", "whenever") })
        {
            let emptiness: Set<String> = ["no", "empty", "blank", "missing", "isn't", "unset", "null", "absent", "not"]
            var start = firstAt + 1
            while start < k, w[start].isPunct(",") || w[start].isWord("or", "otherwise", "else", "use") { start += 1 }
            guard
                w[(k + 1)...].allSatisfy({
                    $0.source?.name == s.name || $0.isWord("it", "is", "there", "s") || emptiness.contains($0.lower)
                }),
                start < k, let c = concatenation(Array(w[start..<k])), c.kind == .concatenation, let base = copy([first])
            else { return nil }
            let text = s.type.baseType == .string ? "null_if_blank(\(base.text)) ?? \(c.text)" : "\(base.text) ?? \(c.text)"
            return ReadValue(text: text, kind: .fallback, chainFields: [s])
        }
        guard
            w[..<emptyAt].enumerated().allSatisfy({ i, t in
                i == firstAt || t.source?.name == s.name || t.isPunct(",", ";")
                    || t.kind == .word && connectors.contains(t.lower) && t.source == nil
            })
        else { return nil }
        var start = emptyAt + 1
        while start < w.count,
            w[start].source?.name == s.name || w[start].isPunct(",", ";")
                || w[start].kind == .word && w[start].source == nil && connectors.contains(w[start].lower)
        {
            start += 1
        }
        guard start < w.count else { return nil }
        let tail = Array(w[start...])
        guard tail.contains(where: { $0.isPunct("+") }), let c = concatenation(tail), c.kind == .concatenation, let base = copy([first])
        else { return nil }
        let text = s.type.baseType == .string ? "null_if_blank(\(base.text)) ?? \(c.text)" : "\(base.text) ?? \(c.text)"
        return ReadValue(text: text, kind: .fallback, chainFields: [s])
    }

    /// "employee_count: blank when we don't know it, under 5 is "1-5", else under 25 "5-25", otherwise
    /// "25+"": bands of one number field, in order, each a comparison with one number and a value; an
    /// optional arm for no value and a default. Anything else in a band and nothing is read.
    func numericRanges(_ w: [ProseToken]) -> ReadValue? {
        guard let first = w.first(where: { !$0.isWord("the") }), let s = first.source,
            s.type.baseType == .int || s.type.baseType == .decimal,
            w.filter({ $0.source != nil }).allSatisfy({ $0.source?.name == s.name })
        else { return nil }
        let start = w.firstIndex { $0.source?.name == s.name }! + 1
        var segments: [[ProseToken]] = [[]]
        for t in w[start...] {
            if t.isPunct(",", ";", ":") || t.isWord("else", "otherwise") && !(segments.last?.isEmpty ?? true) {
                if !(segments.last?.isEmpty ?? true) { segments.append([]) }
                if t.isWord("otherwise") { segments[segments.count - 1].append(t) }
                continue
            }
            segments[segments.count - 1].append(t)
        }
        segments = segments.filter { !$0.isEmpty }
        let name = OfflineExpr.field(s)
        let below: Set<String> = ["under", "below", "less", "fewer"]
        let above: Set<String> = ["over", "above", "more", "greater", "exceeds"]
        var arms: [String] = []
        var fallback: String?
        var bands = 0
        for seg in segments {
            let words = seg.filter {
                !$0.isWord("is", "are", "it", "its", "then", "gives", "becomes", "get", "gets", "than", "if", "when", "else")
            }
            .filter { !$0.isPunct("->", "=") }
            let nums = words.filter { $0.kind == .word && Double($0.text) != nil }
            let lits = words.filter { $0.kind == .quoted || nums.count > 1 && $0.text == nums.last?.text }
            if words.contains(where: { $0.isWord("blank", "empty", "null", "nothing") }),
                words.contains(where: { $0.isWord("know", "known", "missing", "unknown", "set", "empty", "blank", "null") }),
                nums.isEmpty, !words.contains(where: { $0.kind == .quoted }), arms.isEmpty, d.nullable
            {
                // "blank when we don't know it", "empty when it's missing": no value gives none.
                guard words.allSatisfy({ $0.kind == .word && $0.source == nil || $0.source?.name == s.name }) else { return nil }
                arms.append("\(name) == null then null")
                continue
            }
            if words.first?.isWord("otherwise", "anything", "everything", "rest") == true
                || words.first?.isWord("and") == true && fallback == nil
                    && words.contains(where: { $0.isWord("otherwise") })
            {
                let vals = words.filter { $0.kind == .quoted || $0.kind == .word && Double($0.text) != nil }
                guard vals.count == 1, fallback == nil, let lit = literal(vals[0]),
                    words.allSatisfy({
                        $0.kind == .quoted || Double($0.text) != nil
                            || $0.isWord("otherwise", "anything", "everything", "else", "rest", "the", "and")
                    })
                else { return nil }
                fallback = lit
                continue
            }
            guard fallback == nil, nums.count == 1 || nums.count == 2 && lits.count == 1, let bound = nums.first, lits.count == 1,
                let value = literal(lits[0])
            else { return nil }
            let cmpWords = Set(words.filter { $0.kind == .word && Double($0.text) == nil }.map(\.lower))
            guard cmpWords.isSubset(of: below.union(above).union(["at", "least", "most", "or", "up", "to", "and"])) else { return nil }
            let op: String
            if cmpWords.contains("least") || cmpWords.contains("or") && !cmpWords.isDisjoint(with: above) {
                op = ">="
            } else if cmpWords.contains("most") || cmpWords.contains("up") || cmpWords.contains("or") && !cmpWords.isDisjoint(with: below) {
                op = "<="
            } else if !cmpWords.isDisjoint(with: below) {
                op = "<"
            } else if !cmpWords.isDisjoint(with: above) {
                op = ">"
            } else {
                return nil
            }
            arms.append("\(name) \(op) \(bound.text) then \(value)")
            bands += 1
        }
        guard bands >= 2 || bands == 1 && fallback != nil, let other = fallback ?? (d.nullable && !d.required ? "null" : nil) else {
            return nil
        }
        let text = "if " + arms.joined(separator: " else if ") + " else " + other
        return ReadValue(text: text, kind: .chain, chainFields: [s])
    }

    /// "Email -> lowercase it", "email: trimmed and lower-cased": only case or trim words, for a
    /// destination with a source field of the same name: that field with the modifiers.
    func modifiersOfTheSameField(_ w: [ProseToken]) -> ReadValue? {
        // "upper-case it", "in lower case": the two-word spellings too.
        let modifierWords = SentenceAccounting.modifiers.reduce(into: Set<String>()) { $0.formUnion($1.words) }.union([
            "upper", "lower", "case", "cased", "in",
        ])
        guard w.contains(where: { modifierWords.contains($0.lower) && !$0.isWord("case", "cased", "in") }),
            w.allSatisfy({
                modifierWords.contains($0.lower) || $0.isWord("it", "and", "just", "the", "value", "please") || $0.isPunct(",", ":")
            }),
            let same = source.fields.first(where: { $0.name.lowercased() == d.name.lowercased() })
        else { return nil }
        let field = ProseToken(kind: .word, text: same.name, lower: same.name.lowercased(), source: same)
        return copy([field] + w.filter { modifierWords.contains($0.lower) })
    }

    /// "X, falling back to Y when X is empty", "X or Y if there's no X", "X, or "V" when it is empty",
    /// "fall back to Y if there's no X", "X (default "V")".
    func fallback(_ w: [ProseToken]) -> ReadValue? {
        // "default to USD when missing": one unquoted word after "default to" is the default value.
        var w = w
        if let at = w.firstIndex(where: { $0.isWord("default", "defaults", "defaulting") }), at + 2 < w.count, w[at + 1].isWord("to"),
            w[at + 2].kind == .word, w[at + 2].source == nil, w[at + 2].destination == nil,
            !ConditionReader.keywords.contains(w[at + 2].lower), Double(w[at + 2].text) == nil || d.type.baseType != .string
        {
            w[at + 2] = ProseToken(kind: .quoted, text: w[at + 2].text, lower: w[at + 2].lower)
        }
        let lower = w.map(\.lower)
        // "unless" says something else ("X unless it is V"): not a fallback; nor is an alternative that is
        // itself a concatenation ("or "https://" + domain").
        guard !w.contains(where: { $0.isWord("unless", "except", "followed", "plus", "prefixed", "joined") || $0.isPunct("+") }) else {
            return nil
        }
        let signals = ["fall", "falling", "falls", "fallback", "default", "defaulting", "otherwise", "or", "else", "instead"]
        let whenEmpty =
            (lower.contains("when") || lower.contains("if")) && lower.contains { ConditionReader.emptyWords.contains($0) || $0 == "no" }
        guard lower.contains(where: { signals.contains($0) }) || whenEmpty else { return nil }
        let fields = uniqueFields(w)
        let quoted = w.filter { $0.kind == .quoted }
        // The first field named is the preferred one, unless the sentence says "fall back to Y if there's no X".
        var order = fields
        if let fb = lower.firstIndex(where: { $0 == "fall" || $0 == "falling" || $0 == "fallback" }),
            let first = w.firstIndex(where: { $0.source != nil }), fb < first, fields.count == 2
        {
            order = [fields[1], fields[0]]
            if lower.contains("no") || lower.contains("empty") || lower.contains("missing") {
                // "fall back to Y if there's no X": X is named last.
                let xIndex = w.lastIndex { $0.source != nil }!
                if w[xIndex].source?.name != order[0].name { order.reverse() }
            }
        }
        guard !order.isEmpty, order.count <= 3, quoted.count <= 1 else { return nil }
        if quoted.count == 1, literal(quoted[0]) == nil { return nil }
        // Modifiers apply to each text part.
        let trimmed = lower.contains("trimmed") || lower.contains("trim")
        // Every word must be one the fallback accounts for (a modifier it does not apply would be lost).
        let known: Set<String> = [
            "fall", "falling", "falls", "fallback", "back", "default", "defaulting", "defaults", "otherwise", "or", "else", "instead", "to",
            "when", "if", "is", "are", "it", "its", "it's", "there", "there's", "no", "not", "isn't", "empty", "blank", "missing", "null",
            "unset", "absent", "the", "a", "an", "one", "none", "value", "use", "using", "then", "trimmed", "trim", "lower", "lowercase",
            "lowercased", "lower-cased", "cased", "case", "in", "upper", "uppercase", "uppercased", "upper-cased", "and", "with", "of",
            "field", "set", "given", "there", "s", "has", "have", "that", "this", "which", "any", "also", "just", "but", "comes",
            "from", "take", "copy", "copied", "contact", "lead", "member", "account", "company", "event", "record", "either", "first",
            "second", "available", "present", "filled", "exists", "mobile", "number", "address", "name",
        ]
        guard w.allSatisfy({ $0.source != nil || $0.destination != nil || $0.kind != .word || known.contains($0.lower) }) else {
            return nil
        }
        let upperCased = !Set(lower).isDisjoint(with: ["upper", "uppercase", "uppercased", "upper-cased", "capitals"])
        var parts: [String] = []
        var types: [BaseType] = []
        for f in order {
            var v = OfflineExpr.field(f)
            if f.type.baseType == .string {
                if trimmed { v = "trim(\(v))" }
                if lower.contains("lower-cased") || lower.contains("lowercased") || lower.contains("lower") || lower.contains("lowercase") {
                    v = "lower(\(v))"
                } else if upperCased {
                    v = "upper(\(v))"
                }
                // The last field of the chain stays as it is ("phone, else mobilephone" gives mobilephone's
                // own value, empty text included), unless a literal comes after it.
                if f.name != order.last?.name || !quoted.isEmpty { v = "null_if_blank(\(v))" }
            }
            parts.append(v)
            types.append(f.type.baseType)
        }
        guard Set(types).count == 1, let type = types.first, OfflineExpr.convertible(type, d) else { return nil }
        var text = parts.map { OfflineExpr.convert($0, type: type, from: order[0], to: d, plain: true) }.joined(separator: " ?? ")
        if let q = quoted.first, let lit = literal(q) { text += " ?? " + lit }
        guard order.count + quoted.count >= 2 else { return nil }
        if let max = d.maxLength, max < 65536, type == .string, order.contains(where: { ($0.maxLength ?? Int.max) > max }) {
            text = "truncate(\(text), \(max))"
        }
        return ReadValue(text: text, kind: .fallback, sourceField: order.count == 1 ? order[0].name : nil)
    }

    private func uniqueFields(_ w: [ProseToken]) -> [Field] {
        var out: [Field] = []
        for f in w.compactMap(\.source) where !out.contains(where: { $0.name == f.name }) { out.append(f) }
        return out
    }

    // MARK: Concatenations

    /// ""sfdc-" followed by Id, a dash and the date", "firstname and lastname joined with a space",
    /// "X + " " + Y", "prefixed with "hs-"".
    func concatenation(_ w: [ProseToken]) -> ReadValue? {
        let lower = w.map(\.lower)
        let joinWords = [
            "followed", "plus", "joined", "joining", "join", "joins", "prefixed", "prefix", "suffixed", "appended", "then", "between",
            "separated", "suffix", "front", "preceded",
        ]
        guard lower.contains(where: { joinWords.contains($0) }) || w.contains(where: { $0.isPunct("+") }) else { return nil }
        guard d.type.baseType == .string, d.type != .picklist else { return nil }
        // "joined with a space" / "with a single space between": join(sep, parts) skipping blanks.
        if let j = lower.firstIndex(where: { ["joined", "joining", "join", "joins", "between", "separated"].contains($0) }) {
            let fields = uniqueFields(w)
            guard fields.count >= 2 else { return nil }
            let sep = separator(in: Array(w[(lower[j] == "between" ? max(0, j - 4) : j)...])) ?? " "
            // Words the join does not account for ("…, or the initials") make it unreadable; a remark on a
            // missing part ("just the last name if there's no first name") is what `join` does anyway.
            let known: Set<String> = [
                "and", "with", "a", "an", "the", "in", "between", "joined", "joining", "join", "joins", "by", "separated", "single",
                "space",
                "comma", "dash", "hyphen", "underscore", "slash", "pipe", "dot", "trimmed", "just", "only", "if", "there", "there's",
                "is", "no", "empty", "missing", "blank", "leave", "out", "leaving", "skip", "skipping", "parts", "part", "ones", "one",
                "of", "them", "either", "when", "it", "s", "isn't", "both", "together", "into", "string", "text", "name", "names", "full",
                "commas", "spaces", "dashes", "hyphens", "slashes", "underscores", "pipes", "semicolon", "semicolons",
            ]
            guard w.allSatisfy({ $0.source != nil || $0.kind == .quoted || $0.kind == .punct || known.contains($0.lower) }) else {
                return nil
            }
            let trimmed = lower.contains("trimmed")
            let parts = fields.map { f -> String in
                let v = OfflineExpr.field(f)
                return f.type.baseType == .string ? (trimmed ? "trim(\(v))" : v) : "to_string(\(v))"
            }
            guard w.filter({ $0.kind == .quoted }).allSatisfy({ $0.text == sep }) else { return nil }
            return ReadValue(
                text: fit("null_if_blank(join(\(Formatter.stringLiteral(sep)), \(parts.joined(separator: ", "))))"), kind: .concatenation)
        }
        // Sequence of parts in order: quoted literals, named separators, fields (with "date part of").
        var parts: [String] = []
        var i = 0
        var datePart = false
        while i < w.count {
            let t = w[i]
            if t.kind == .quoted {
                parts.append(Formatter.stringLiteral(t.text))
            } else if let f = t.source {
                var v = OfflineExpr.field(f)
                switch f.type.baseType {
                case .string: if lower.contains("trimmed") { v = "trim(\(v))" }
                case .date, .datetime:
                    if let p = pattern(in: Array(w[(i + 1)...])) {
                        v = "format_date(\(v), \(Formatter.stringLiteral(p)))"
                    } else {
                        v = datePart || f.type == .date ? "to_string(to_date(\(v)))" : "to_string(\(v))"
                    }
                default: v = "to_string(\(v))"
                }
                parts.append(v)
            } else if let sep = separatorWord(t.lower), i > 0, w[i - 1].isWord("a", "an", "single") {
                parts.append(Formatter.stringLiteral(sep))
            } else if t.isWord("date") && i + 1 < w.count && w[i + 1].isWord("part") {
                datePart = true
            } else if t.kind == .word, !concatFillers.contains(t.lower), DatePatterns.translate(t.text) == nil,
                separatorWord(t.lower) == nil
            {
                return nil
            }
            i += 1
        }
        guard parts.count >= 2, parts.contains(where: { !$0.hasPrefix("\"") }) else { return nil }
        // "first name + last name": two fields with nothing said between them; whether a space goes there
        // is a guess, so the phrase is listed instead.
        if zip(parts, parts.dropFirst()).contains(where: { !$0.hasPrefix("\"") && !$1.hasPrefix("\"") }) { return nil }
        // "X prefixed with "P"", "X with "P" in front", "X preceded by "P"": the literal goes first.
        if parts.count == 2, !parts[0].hasPrefix("\""), parts[1].hasPrefix("\""),
            !Set(lower).isDisjoint(with: ["prefixed", "prefix", "front", "preceded", "before", "start", "starting"])
        {
            parts.swapAt(0, 1)
        } else if !Set(lower).isDisjoint(with: ["prefixed", "prefix", "front", "preceded", "before", "start", "starting"]),
            !(parts[0].hasPrefix("\"") && parts.count == 2)
        {
            return nil
        }
        return ReadValue(text: fit(parts.joined(separator: " + ")), kind: .concatenation)
    }

    private let concatFillers: Set<String> = [
        "followed", "by", "plus", "then", "and", "the", "a", "an", "its", "their", "of", "part", "date", "as", "in", "form", "format",
        "prefixed", "prefix", "with", "suffixed", "appended", "after", "it", "is", "trimmed", "single", "between", "written", "value",
        "contact", "contacts", "lead", "record", "member", "event", "account", "company", "text", "string", "so", "that", "to",
        "should", "be", "which", "will", "always", "formatted", "written", "each", "change", "own", "message", "suffix", "front",
        "preceded", "at", "end", "start", "before", "starting",
    ]

    private func separatorWord(_ w: String) -> String? {
        switch w {
        case "dash", "hyphen", "dashes", "hyphens": "-"
        case "space", "spaces": " "
        case "underscore", "underscores": "_"
        case "colon", "colons": ":"
        case "slash", "slashes": "/"
        case "comma", "commas": ","
        case "dot", "period": "."
        case "pipe": "|"
        default: nil
        }
    }

    private func separator(in w: [ProseToken]) -> String? {
        if let q = w.first(where: { $0.kind == .quoted }) { return q.text }
        for t in w { if let s = separatorWord(t.lower) { return s == "," ? ", " : s } }
        return nil
    }

    private func fit(_ text: String) -> String {
        if let max = d.maxLength, max < 65536 { return "truncate(\(text), \(max))" }
        return text
    }

    // MARK: Dates

    /// "X as DD/MM/YYYY", "X written the European way as DD/MM/YYYY", "the month and day of X as MM/DD".
    func dateFormat(_ w: [ProseToken]) -> ReadValue? {
        guard let p = pattern(in: w) else { return nil }
        let fields = uniqueFields(w)
        guard fields.count == 1, let f = fields.first, d.type.baseType == .string else { return nil }
        guard !w.contains(where: { $0.kind == .quoted && DatePatterns.translate($0.text) == nil }) else { return nil }
        // Words it does not account for ("… plus one day") make the reading fail.
        let known: Set<String> = [
            "as", "in", "the", "format", "formatted", "form", "written", "write", "way", "european", "american", "us", "uk", "iso",
            "of", "date", "part", "month", "day", "year", "and", "only", "with", "a", "an", "is", "into", "to", "like", "style", "just",
            "its", "their", "shown", "rendered", "printed", "using", "pattern", "e", "g", "i", "so", "that", "it", "reads", "looks",
            "from", "comes", "taken", "birthday", "birth", "signup", "sign", "up", "when", "created", "modified", "last", "then",
        ]
        guard w.allSatisfy({ $0.source != nil || $0.kind != .word || known.contains($0.lower) || DatePatterns.translate($0.text) != nil })
        else { return nil }
        var v = OfflineExpr.field(f)
        switch f.type.baseType {
        case .date, .datetime: break
        case .string: v = "try_date(\(v))"
        default: return nil
        }
        return ReadValue(text: "format_date(\(v), \(Formatter.stringLiteral(p)))", kind: .dateFormat)
    }

    private func pattern(in w: [ProseToken]) -> String? {
        for t in w { if let p = DatePatterns.translate(t.text) { return p } }
        return nil
    }

    // MARK: Booleans from a comparison

    /// "true when status is unsubscribed", "true only when hs_email_optout is "true"", "false when X is
    /// empty", "whether X is V". An empty or missing value then counts as false.
    func booleanFromCondition(_ w: [ProseToken]) -> ReadValue? {
        // "true for unsubscribed members and false for everyone else": values of the records it holds for.
        if let t = w.first, t.isWord("true", "false"), w.count > 2, w[1].isWord("for") {
            var end = w.count
            if let other = w.indices.first(where: {
                $0 > 1 && w[$0].isWord("and", "but", "otherwise") || w[$0].isPunct(",", ";")
            }) {
                let rest = w[other...].filter { !$0.isPunct(",", ";") }
                let allowed: Set<String> = [
                    "and", "but", "otherwise", "false", "true", "for", "everyone", "everything", "anyone", "else", "the", "rest", "others",
                    "all", "other",
                ]
                guard rest.allSatisfy({ $0.kind == .word && allowed.contains($0.lower) }) else { return nil }
                end = other
            }
            guard let c = ConditionReader.read(Array(w[2..<end]), source: source) else { return nil }
            return ReadValue(text: t.lower == "false" ? "not (\(c.text))" : c.text, kind: .condition)
        }
        guard let when = w.firstIndex(where: { $0.isWord("when", "if", "whether", "whenever") }) else { return nil }
        let head = w[..<when].filter { $0.isWord("true", "false") }
        var end = w.count
        if let o = w.lastIndex(where: { $0.isWord("otherwise", "else") }), o > when { end = o }
        // "…, false if anything else" / "…, false otherwise": the condition ends at the comma before the other value.
        if let comma = w.indices.first(where: {
            $0 > when && $0 + 1 < w.count && w[$0].isPunct(",", ";") && w[$0 + 1].isWord("false", "true", "otherwise", "else")
        }) {
            end = min(end, comma)
            let other = w[(comma + 1)...].filter { !$0.isPunct(",", ".") }
            let allowed: Set<String> = [
                "false", "true", "otherwise", "else", "if", "when", "for", "anything", "everything", "any", "other", "rest", "the", "cases",
                "values", "value", "all",
            ]
            guard other.allSatisfy({ $0.kind == .word && allowed.contains($0.lower) }) else { return nil }
        }
        var condTokens = Array(w[(when + 1)..<end])
        while let last = condTokens.last, last.isPunct(",", ";") || last.isWord("and", "false", "true") { condTokens.removeLast() }
        guard let c = ConditionReader.read(condTokens, source: source) else { return nil }
        let negate = head.first?.lower == "false"
        var text = negate ? "not (\(c.text))" : c.text
        // Comparisons, blank() and present() are never null; contains() and starts_with() are null for null text.
        if text.contains("contains(") || text.contains("starts_with(") { text = "(\(text)) == true" }
        return ReadValue(text: text, kind: .condition)
    }

    // MARK: Picklist translations and if/else chains

    /// Arms of "A becomes B", "B for A", "A -> B", ""V" when X is A", "if X is A then V", with a
    /// default from "otherwise V", "else V", "anything else becomes V", "if not, V".
    func chain(_ w: [ProseToken]) -> ReadValue? {
        ChainReader(source: source, destination: destination, d: d, reader: self, context: context, sentence: sentence).read(w)
    }

    /// "language, but only when it's filled in", "mobilephone when lifecyclestage is customer": a copy
    /// with a condition; null when the condition does not hold (for a field that may be null).
    func conditionalCopy(_ phrase: [ProseToken]) -> ReadValue? {
        // "… (leave it empty otherwise)", "…, else nothing": the null a conditional copy gives anyway.
        var w = phrase
        var dropped: [ProseToken] = []
        let emptyTail: Set<String> = [
            "leave", "it", "empty", "blank", "null", "otherwise", "else", "unset", "nothing", "keep", "stays", "stay", "is", "be", "left",
            "and",
        ]
        while let l = w.last, l.isPunct(",", ".", ";") || l.kind == .word && emptyTail.contains(l.lower) { dropped.append(w.removeLast()) }
        if !(dropped.contains { $0.isWord("otherwise", "else") }
            && dropped.contains { $0.isWord("empty", "blank", "null", "nothing", "unset") })
        {
            w = phrase
        }
        guard d.nullable, !d.required, let k = w.firstIndex(where: { $0.isWord("when", "if", "whenever") }), k > 0,
            !w.contains(where: { $0.isWord("otherwise", "else", "unless") || $0.isPunct("->") })
        else { return nil }
        var head = Array(w[..<k])
        while let l = head.last, l.isPunct(",") || l.isWord("but", "only", "and") { head.removeLast() }
        guard let base = copy(head), base.kind == .copy, let s = base.sourceField, let f = source.field(s) else { return nil }
        var tail = Array(w[(k + 1)...])
        while let l = tail.last, l.isPunct(",", ".") { tail.removeLast() }
        // "if there's no mobile then Phone", "if it's empty use X": a fallback's wording, not a condition.
        if tail.contains(where: { $0.isWord("then", "use", "instead", "take", "fall") }) { return nil }
        for i in tail.indices where tail[i].isWord("it", "that", "this") {
            tail[i] = ProseToken(kind: .word, text: f.name, lower: f.name.lowercased(), source: f)
        }
        let fname = OfflineExpr.field(f)
        // "when it's filled in", "if it is set": blank text is no value either.
        if tail.compactMap(\.source).allSatisfy({ $0.name == f.name }),
            tail.contains(where: { $0.isWord("filled", "set", "present", "given", "provided", "known") }),
            !tail.contains(where: { $0.isWord("not", "no", "isn", "empty", "blank", "missing") || $0.kind == .quoted }),
            tail.allSatisfy({
                $0.source != nil
                    || $0.isWord("is", "it", "filled", "in", "set", "present", "given", "provided", "known", "has", "a", "value")
            })
        {
            let text = f.type.baseType == .string ? base.text.replacingOccurrences(of: fname, with: "null_if_blank(\(fname))") : base.text
            return ReadValue(text: text, kind: .fallback, chainFields: [f])
        }
        guard let c = ConditionReader.read(tail, source: source) else { return nil }
        return ReadValue(text: "if \(c.text) then \(base.text) else null", kind: .condition, chainFields: c.fields)
    }

    /// A value phrase that opens with a field and whose only condition says a field is empty or missing
    /// ("company, or "Unknown" if there's no company", "lastname or "Unknown" when it is empty").
    func isEmptinessFallback(_ w: [ProseToken]) -> Bool {
        guard let first = w.first(where: { !$0.isWord("the", "a", "an") }), first.source != nil,
            let cond = w.firstIndex(where: { $0.isWord("when", "if", "whenever") })
        else { return false }
        let after = w[(cond + 1)...]
        let emptiness = after.contains { ConditionReader.emptyWords.contains($0.lower) || $0.isWord("no", "isn't", "not") }
        let other = after.contains {
            $0.isWord("then", "becomes", "is") && !after.contains(where: { ConditionReader.emptyWords.contains($0.lower) })
                || $0.isPunct("->")
        }
        return emptiness && !other && w[..<cond].contains { $0.isWord("or", "otherwise", "else", "use", "default") || $0.isPunct(",") }
            && !w.contains { $0.isPunct("->") || $0.isWord("becomes", "become") }
    }
}

/// Date patterns as people write them (`DD/MM/YYYY`, `MM/DD`, `YYYY-MM-DD`) in the language's
/// pattern letters (`dd/MM/yyyy`).
enum DatePatterns {
    static func translate(_ s: String) -> String? {
        // Without separators ("yyyyMMdd", "yyyyMMddHHmmss"): the letters as written, a year and a month at least.
        if s.count >= 6, s.allSatisfy({ "yYMdDHhms".contains($0) }), s.lowercased().contains("yy"), s.contains("MM") {
            return String(s.map { $0 == "Y" ? "y" : $0 == "D" ? "d" : $0 == "h" ? "H" : $0 })
        }
        let u = s.uppercased()
        guard u.contains("D") || u.contains("M"), u.contains("/") || u.contains("-") || u.contains("."),
            u.allSatisfy({ "DMY/-.".contains($0) })
        else { return nil }
        var out = ""
        for c in u {
            switch c {
            case "D": out.append("d")
            case "Y": out.append("y")
            default: out.append(c)
            }
        }
        return out
    }
}
