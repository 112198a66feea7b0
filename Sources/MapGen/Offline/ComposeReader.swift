import Foundation
import MapDSL

/// Composed values read at clause level (issue 18, round 6): constants said in words ("the literal text
/// [Web Lead]", "USD on all events", "name: generate_lead" for a GA4 event), a part of a value ("the
/// bit of the locale after the dash", "the domain of the email address"), and clauses that continue
/// the value the clause before gave: a default when it is empty ("…; if there's no domain, Unknown",
/// "…; where both are empty, write "V"", "…; leads without one use their Id") and a blank guard on a
/// prefix ("…; leave Description empty when there's no form id"). Each reading accounts for every word
/// of its phrase or gives nothing, so a phrase it half understands is left to the other readers (and
/// listed when none reads it).
struct ComposeReader {
    let source: Schema
    let destination: Schema
    let d: Field

    /// A value with the confidence the reading earns.
    struct Reading {
        var value: ReadValue
        var confidence: Double
    }

    var values: ValueReader { ValueReader(source: source, destination: destination, d: d) }

    /// The value phrase of an assignment to `d`, when one of the readings here reads all of it.
    func read(_ t: [ProseToken]) -> Reading? {
        let w = t
        if let r = constantInWords(w) ?? numberConstant(w) { return r }
        if let r = part(w) ?? verifiedCopy(w) { return r }
        if let r = emailDomain(w) { return r }
        if let r = scaled(w) { return r }
        if let r = appendedWhenPresent(w) { return r }
        if let r = joinKeepingEmpty(w) { return r }
        if let r = datedText(w) { return r }
        if let r = headThenDefault(w) { return r }
        if let r = whenItHappened(w) { return r }
        // "Record ID, Last Modified Date, "hs-" + Record ID + …, e.g. hs-5101-…" (a table row: the source
        // column, then notes that use every field it lists): the notes alone, without their example.
        let plain = Self.withoutExample(Self.withoutSourceList(Self.withoutPlatformWords(w)))
        if plain.count != w.count {
            if let r = constantInWords(plain) ?? part(plain) ?? emailDomain(plain) ?? scaled(plain) { return r }
            if let v = values.read(plain), v.kind == .concatenation || v.kind == .fallback || v.kind == .dateFormat {
                return Reading(value: v, confidence: v.kind == .concatenation ? 0.85 : 0.9)
            }
        }
        // "without leading or trailing spaces": the trim, said in other words, read by the value reader.
        let trimmed = Self.trimSaid(w)
        if trimmed.count != w.count, let v = values.read(trimmed), v.text.contains("trim(") {
            return Reading(value: v, confidence: 0.9)
        }
        return nil
    }

    static let platformWords: Set<String> = ["hubspot", "salesforce", "sfdc", "mailchimp", "segment", "ga4", "crm"]

    /// "the HubSpot Record ID", "their Salesforce Id": a platform's name before a field only says whose it is.
    static func withoutPlatformWords(_ t: [ProseToken]) -> [ProseToken] {
        t.enumerated().filter { i, x in
            !(x.kind == .word && x.source == nil && x.destination == nil && platformWords.contains(x.lower) && i + 1 < t.count
                && t[i + 1].source != nil)
        }.map(\.1)
    }

    /// "F1, F2, <a value naming F1 and F2>": the list of fields before a value that names each of them.
    static func withoutSourceList(_ t: [ProseToken]) -> [ProseToken] {
        var i = 0
        var listed: Set<String> = []
        while i + 1 < t.count, let s = t[i].source, t[i + 1].isPunct(",") {
            listed.insert(s.name)
            i += 2
        }
        guard !listed.isEmpty, i < t.count else { return t }
        let rest = Array(t[i...])
        guard Set(rest.compactMap(\.source?.name)) == listed, rest.contains(where: { $0.kind == .quoted || $0.isPunct("+") }) else {
            return t
        }
        return rest
    }

    /// ", e.g. hs-5101-20210210013530", "(e.g. …)", "(so hs-5101 etc)", "for example …" at the end: an example
    /// that names no field and no value (checked by nothing here, so it goes).
    /// "en-GB → GB", "so en-gb becomes en, pt-br → pt": pairs of an input and what it gives; nil when the text
    /// is anything else.
    static func examples(_ inner: ArraySlice<ProseToken>) -> [(input: String, output: String)]? {
        var out: [(String, String)] = []
        var piece: [ProseToken] = []
        func flush() -> Bool {
            let p = piece.filter { !$0.isWord("so", "e", "g", "eg", "e.g", "i", "like", "for", "example", "and") }
            piece = []
            guard p.count == 3, p[0].kind == .word, p[2].kind == .word, p[0].source == nil || p[0].typo,
                p[1].isPunct("->") || p[1].isWord("gives", "becomes", "is", "means")
            else { return false }
            out.append((p[0].text, p[2].text))
            return true
        }
        for t in inner {
            if t.isPunct(",", ";") {
                guard flush() else { return nil }
            } else {
                piece.append(t)
            }
        }
        guard flush(), !out.isEmpty else { return nil }
        return out
    }

    /// "context.locale, lower-case (en-GB → en-gb)": a copy with case or trim modifiers whose examples in
    /// parentheses it gives.
    func verifiedCopy(_ w: [ProseToken]) -> Reading? {
        guard w.last?.isPunct(")") == true, let open = w.lastIndex(where: { $0.isPunct("(") }), open > 0,
            let examples = Self.examples(w[(open + 1)..<(w.count - 1)]),
            let c = values.copy(Array(w[..<open])), c.kind == .copy, let s = c.sourceField
        else { return nil }
        // Peel the calls the copy applies, outermost first.
        var text = c.text
        if text.hasPrefix("truncate("), let comma = text.lastIndex(of: ",") { text = String(text.dropFirst("truncate(".count)[..<comma]) }
        var calls: [String] = []
        while let open = text.firstIndex(of: "("), text.hasSuffix(")") {
            calls.append(String(text[..<open]))
            text = String(text[text.index(after: open)..<text.index(before: text.endIndex)])
        }
        guard text == MappingGrammar.fieldName(s), calls.allSatisfy({ ["lower", "upper", "trim"].contains($0) }), !calls.isEmpty else {
            return nil
        }
        for e in examples {
            var v = e.input
            for call in calls.reversed() {
                switch call {
                case "lower": v = v.lowercased()
                case "upper": v = v.uppercased()
                default: v = v.trimmingCharacters(in: .whitespaces)
                }
            }
            guard v == e.output else { return nil }
        }
        return Reading(value: c, confidence: 0.9)
    }

    static func withoutExample(_ t: [ProseToken]) -> [ProseToken] {
        var end = t.count
        while end > 0, t[end - 1].isPunct(".", ",") { end -= 1 }
        var body = Array(t[..<end])
        if body.last?.isPunct(")") == true, let open = body.lastIndex(where: { $0.isPunct("(") }), open > 0 {
            let inner = body[(open + 1)..<(body.count - 1)]
            // "(that's the only format the birthday field takes)", "(because …)": a reason that names no
            // source field, no value and no number.
            if inner.first?.isWord("that", "that's", "because", "since", "which", "as", "otherwise") == true,
                !inner.contains(where: { $0.source != nil || $0.kind == .quoted || Double($0.text) != nil || $0.isPunct("->") })
            {
                return Array(body[..<open])
            }
            // "(e.g. 03/05)", "(Mailchimp birthday format, e.g. 03/05)": words and an example, naming no field.
            if inner.first?.isWord("e", "eg", "e.g", "i.e", "so", "like", "for") == true
                && inner.allSatisfy({ $0.kind == .word && $0.source == nil })
                || inner.contains(where: { $0.isWord("e.g", "eg") })
                    && inner.allSatisfy({ $0.kind == .word && $0.source == nil || $0.isPunct(",") })
            {
                body = Array(body[..<open])
            }
        }
        if let e = body.lastIndex(where: { $0.isWord("e", "eg", "e.g") }), e > 0, body[e - 1].isPunct(","),
            body[e...].allSatisfy({ $0.kind == .word && $0.source == nil })
        {
            body = Array(body[..<(e - 1)])
        }
        return body
    }

    /// "without leading or trailing spaces", "with the spaces around it trimmed off", "stripped of
    /// surrounding whitespace": one word "trimmed".
    static func trimSaid(_ t: [ProseToken]) -> [ProseToken] {
        let trimmed = ProseToken(kind: .word, text: "trimmed", lower: "trimmed")
        let spaces: Set<String> = ["spaces", "space", "whitespace", "blanks"]
        var out: [ProseToken] = []
        var i = 0
        while i < t.count {
            let rest = t[i...].prefix(6).map(\.lower)
            // "without (any) leading or/and trailing spaces"
            if rest.first == "without" {
                var j = 1
                if j < rest.count, rest[j] == "any" { j += 1 }
                if j + 3 < rest.count, rest[j] == "leading", ["or", "and"].contains(rest[j + 1]), rest[j + 2] == "trailing",
                    spaces.contains(rest[j + 3])
                {
                    out.append(trimmed)
                    i += j + 4
                    continue
                }
            }
            // "(with) (the) spaces around it/them trimmed (off)"
            if rest.count >= 4, spaces.contains(rest[0]), rest[1] == "around", ["it", "them"].contains(rest[2]),
                ["trimmed", "removed", "stripped"].contains(rest[3])
            {
                while let l = out.last, l.isWord("with", "the") { out.removeLast() }
                out.append(trimmed)
                i += 4
                if i < t.count, t[i].isWord("off", "away") { i += 1 }
                continue
            }
            out.append(t[i])
            i += 1
        }
        return out
    }

    // MARK: Tokens

    /// Words that say a record kind ("on all events", "for every contact").
    static let recordNouns: Set<String> = [
        "event", "events", "record", "records", "contact", "contacts", "lead", "leads", "member", "members", "account", "accounts",
        "company", "companies", "user", "users", "row", "rows", "call", "calls", "subscriber", "subscribers", "order", "orders", "one",
        "ones", "them",
    ]

    /// Words that announce a constant.
    static let constantWords: Set<String> = ["always", "fixed", "constant", "hardcoded", "literal", "literally", "static"]

    // MARK: Constants

    /// "the literal text [Web Lead]", "the fixed text salesforce", "USD on all events", "EUR", "mailchimp
    /// (fixed)", and for a GA4 event's name "generate_lead": one value that names no field.
    func constantInWords(_ w: [ProseToken]) -> Reading? {
        // "on every event": a record noun after "every" / "all" / "each" is no field, whatever it spells.
        var w = w
        for i in w.indices.dropFirst() where w[i - 1].isWord("every", "all", "each") && Self.recordNouns.contains(w[i].lower) {
            w[i].source = nil
            w[i].destination = nil
        }
        guard d.type == .string || d.type == .id || d.type == .picklist, !w.contains(where: { $0.isPunct("+", "->") }),
            !w.contains(where: {
                $0.isWord(
                    "if", "when", "unless", "otherwise", "else", "except", "but", "or", "whenever", "where", "from", "of", "plus",
                    "followed", "joined", "then")
            })
        else { return nil }
        // "the literal text X", "the fixed text X", "the word X", "the string X": the token after the marker.
        if let m = w.firstIndex(where: { $0.isWord("text", "word", "string") }), m + 1 < w.count,
            m > 0, w[m - 1].isWord("literal", "fixed", "constant", "the", "plain", "static"),
            let lit = literalToken(w[m + 1], loose: true)
        {
            let before = w[..<(m - 1)]
            let after = w[(m + 2)...]
            // What comes before only explains ("we don't collect names on these forms, so"): no field, no value.
            guard !before.contains(where: { $0.kind == .quoted || $0.source != nil && !Self.recordNouns.contains($0.lower) }),
                !before.contains(where: { $0.destination != nil && $0.destination?.name != d.name && $0.source == nil }),
                after.allSatisfy({ $0.kind == .punct && !$0.isPunct("(") || tail($0) })
            else { return nil }
            return Reading(value: ReadValue(text: lit, kind: .constant), confidence: 0.9)
        }
        // "the forms don't ask for one, so just put Web Visitor": capitalised words after "so (just) put / use /
        // write" that end the phrase are the text, when what comes before names nothing.
        if let m = w.lastIndex(where: { $0.isWord("put", "write", "use", "enter") }), m > 0, m + 1 < w.count,
            w[m - 1].isWord("just", "so", "simply", "always"),
            w[..<m].contains(where: { $0.isWord("so") }),
            !w[..<m].contains(where: { $0.kind == .quoted || $0.source != nil && !Self.recordNouns.contains($0.lower) }),
            w[(m + 1)...].allSatisfy({ $0.kind == .word && $0.source == nil && $0.text.first?.isUppercase == true }),
            w.count - m - 1 <= 4,
            let lit = values.literal(ValueReader.joined(Array(w[(m + 1)...])))
        {
            return Reading(value: ReadValue(text: lit, kind: .constant), confidence: 0.85)
        }
        var rest = w.filter { !$0.isPunct(",", ".", "(", ")", ":", "=") }
        // "always", "fixed", "for everybody", "on all events": the prose says the value is one for every record.
        let said = rest.contains {
            Self.constantWords.contains($0.lower) || $0.isWord("everybody", "everyone", "anyone", "anybody", "every", "all", "each")
        }
        rest = rest.filter { !tail($0) && !$0.isWord("the", "a", "an", "set", "to", "is", "be", "should", "just", "simply") }
        guard rest.count == 1, rest[0].source == nil || rest[0].kind == .quoted else { return nil }
        let t = rest[0]
        // After the value only words that say it holds for every record ("always n/a" reads as "n" and "a":
        // no single value).
        if let at = w.lastIndex(where: { $0.text == t.text && $0.kind == t.kind }),
            !w[(at + 1)...].allSatisfy({ $0.kind == .punct || tail($0) || $0.isWord("always") })
        {
            return nil
        }
        if t.kind == .quoted {
            guard said, let lit = values.literal(t) else { return nil }
            return Reading(value: ReadValue(text: lit, kind: .constant), confidence: 0.9)
        }
        guard t.kind == .word, !ConditionReader.keywords.contains(t.lower), Double(t.text) == nil else { return nil }
        // An ISO code ("USD", "EUR", "GB"): upper-case letters only, two to four of them.
        let code = (2...4).contains(t.text.count) && t.text.allSatisfy { $0.isUppercase && $0.isLetter }
        // A GA4 event name ("generate_lead"): lower-case letters, digits and `_`, for the event's name field.
        let eventName =
            destination.platform == "ga4" && d.name == "name" && t.text.first?.isLetter == true
            && t.text.allSatisfy({ $0.isLowercase || $0.isNumber || $0 == "_" }) && t.text.contains("_")
        guard said || code || eventName, let lit = literalToken(t, loose: false) else { return nil }
        // A word that only looks like a field name ("firstName", "company.name") is no constant, unless said so.
        if !said, !eventName, t.text.contains(".") || t.text.contains("_") { return nil }
        return Reading(value: ReadValue(text: lit, kind: .constant), confidence: 0.9)
    }

    /// "1 always (otherwise GA4 realtime doesn't show them)", "always 0": a number or yes/no constant,
    /// with a reason in parentheses that names nothing.
    func numberConstant(_ w: [ProseToken]) -> Reading? {
        guard [.int, .decimal, .bool].contains(d.type.baseType) else { return nil }
        var body = w
        if let open = w.firstIndex(where: { $0.isPunct("(") }), w.last?.isPunct(")") == true {
            let inner = w[(open + 1)..<(w.count - 1)]
            guard inner.first?.isWord("otherwise", "because", "since", "so", "as") == true,
                !inner.contains(where: { $0.source != nil || $0.kind == .quoted || Double($0.text) != nil })
            else { return nil }
            body = Array(w[..<open])
        }
        guard body.contains(where: { $0.isWord("always", "constant", "fixed") }) else { return nil }
        let rest = body.filter { !tail($0) && !$0.isPunct(",") && !$0.isWord("the", "set", "to", "is", "be") }
        guard rest.count == 1, rest[0].source == nil, let lit = values.literal(rest[0]) else { return nil }
        return Reading(value: ReadValue(text: lit, kind: .constant), confidence: 0.9)
    }

    /// Words after a constant that say it holds for every record: "on all events", "for every contact",
    /// "(fixed)", "always", "in every case".
    private func tail(_ t: ProseToken) -> Bool {
        t.kind == .word && t.source == nil
            && (Self.constantWords.contains(t.lower) || Self.recordNouns.contains(t.lower)
                || [
                    "on", "for", "all", "every", "each", "in", "case", "cases", "the", "value", "text", "everybody", "everyone", "anyone",
                    "anybody",
                ].contains(t.lower))
    }

    /// A literal for `d` from one token: quoted text, or (when `loose`) one word.
    func literalToken(_ t: ProseToken, loose: Bool) -> String? {
        if t.kind == .quoted { return values.literal(t) }
        guard t.kind == .word, t.source == nil || loose && t.destination == nil else { return nil }
        return values.literal(ProseToken(kind: .quoted, text: t.text, lower: t.lower))
    }

    // MARK: Appending a part when there is one

    /// "the street address, with Street Address 2 appended after a comma and a space when there is one",
    /// "address, plus address2 after a space if it is set": X, and when Y has a value, the separator and Y.
    func appendedWhenPresent(_ w: [ProseToken]) -> Reading? {
        guard d.type.baseType == .string, d.type != .picklist,
            let app = w.firstIndex(where: { $0.isWord("appended", "added", "attached", "tacked") }),
            let k = w[app...].firstIndex(where: { $0.isWord("when", "if", "whenever") })
        else { return nil }
        // X: one field before "with"; Y: one field between "with" and the verb.
        guard let with = w[..<app].lastIndex(where: { $0.isWord("with", "plus", "and") }) else { return nil }
        let head = w[..<with].filter { !$0.isPunct(",") && !$0.isWord("the", "its", "their") }
        let tail = w[(with + 1)..<app].filter { !$0.isWord("the", "its", "their", "on", "to", "it") }
        guard head.count == 1, let x = head[0].source, tail.count == 1, let y = tail[0].source, x.name != y.name,
            x.type.baseType == .string, y.type.baseType == .string
        else { return nil }
        // The separator: "after a comma and a space", "with ", "", "after a dash".
        let sepWords = w[(app + 1)..<k].filter { !$0.isWord("after", "with", "using", "a", "an", "and", "single", "by", "plus") }
        var sep = ""
        for t in sepWords {
            if t.kind == .quoted {
                sep += t.text
            } else if let s = Self.separator(t.lower) {
                sep += s
            } else {
                return nil
            }
        }
        guard !sep.isEmpty else { return nil }
        // The condition says only that Y has a value.
        let cond = w[(k + 1)...].filter { !$0.isPunct(",", ".") }
        let presence: Set<String> = [
            "there", "is", "s", "one", "it", "has", "a", "value", "present", "set", "filled", "in", "given", "exists",
        ]
        guard !cond.isEmpty,
            cond.allSatisfy({ $0.source?.name == y.name || $0.kind == .word && $0.source == nil && presence.contains($0.lower) }),
            cond.contains(where: { $0.isWord("one", "present", "set", "filled", "value", "given", "exists") })
        else { return nil }
        let xn = OfflineExpr.field(x)
        let yn = OfflineExpr.field(y)
        var expr = "if blank(\(yn)) then \(xn) else \(xn) + \(Formatter.stringLiteral(sep)) + \(yn)"
        if let max = d.maxLength, max < 65536 { expr = "truncate(\(expr), \(max))" }
        return Reading(value: ReadValue(text: expr, kind: .concatenation, chainFields: [x, y]), confidence: 0.9)
    }

    // MARK: A value, then what to do when it is empty

    /// "Lead Source, and when lead source is empty use (none)", "the first word of name, and if there's none
    /// use "Friend"": a value, then after a comma a continuation clause that gives its default or guard.
    func headThenDefault(_ w: [ProseToken]) -> Reading? {
        // The tail: "(and) when … use V", "(or) V when there isn't one", "V if missing".
        guard
            let k = w.indices.first(where: { i in
                // "the company name but if that's empty put Independent": "but if" without a comma too.
                if i > 0, w[i].isWord("but"), i + 1 < w.count, w[i + 1].isWord("if", "when") { return true }
                guard w[i].isPunct(",") else { return false }
                var j = i + 1
                while j < w.count, w[j].isWord("and", "but", "or", "else", "otherwise") { j += 1 }
                if j < w.count, w[j].isWord("if", "when", "where", "whenever") { return true }
                // "V if missing", "the userId when there isn't one": a short value, then its condition.
                guard let c = w[j...].prefix(4).firstIndex(where: { $0.isWord("if", "when", "whenever") }), c > j else { return false }
                return !w[j..<c].contains(where: { $0.kind == .punct })
                    && w[j..<c].filter({ !$0.isWord("the", "a", "an", "their", "its") }).count == 1
            }), k > 0
        else { return nil }
        var head = Array(w[..<k])
        let tail = Array(w[(k + 1)...].drop { $0.isWord("and", "but", "or", "else", "otherwise") })
        // "utm source (context.campaign.source)": words that name no field, restated by the field in parentheses.
        if let open = head.firstIndex(where: { $0.isPunct("(") }), open > 0, open + 2 < head.count, head[open + 2].isPunct(")"),
            head[open + 1].source != nil, open + 3 == head.count,
            head[..<open].allSatisfy({ $0.kind == .word && $0.source == nil && $0.destination == nil })
        {
            head = [head[open + 1]]
        }
        guard let base = read(head)?.value ?? values.read(head), [.copy, .fallback, .concatenation].contains(base.kind),
            let v = blankGuard(tail, after: base) ?? emptyDefault(tail, after: base)
        else { return nil }
        return Reading(value: v, confidence: 0.9)
    }

    // MARK: Built from parts

    /// "The messageId has to be unique, so build it from sfdc-, the Contact ID, another dash, and the Last
    /// Modified Date written as yyyyMMddHHmmss": one destination named before the verb, then its parts in
    /// order (literals, separators said in words, fields with an optional date pattern).
    static func builtFrom(_ c: [ProseToken], source: Schema, destination: Schema) -> (Field, Reading)? {
        guard
            let v = c.firstIndex(where: {
                $0.isWord("build", "built", "make", "made", "compose", "composed", "assemble", "assembled", "construct", "constructed")
            }), v > 0
        else { return nil }
        var k = v + 1
        while k < c.count, c[k].isWord("it", "them", "up", "out") { k += 1 }
        guard k < c.count, c[k].isWord("from", "of") else { return nil }
        let before = c[..<v]
        let dests = before.compactMap(\.destination)
        guard Set(dests.map(\.name)).count == 1, let d = dests.first, d.type.baseType == .string,
            !before.contains(where: { $0.kind == .quoted || $0.source != nil && $0.destination == nil })
        else { return nil }
        let body = withoutExample(Array(c[(k + 1)...]))
        var pieces: [[ProseToken]] = [[]]
        for t in body {
            if t.isPunct(",") || t.isWord("and", "then", "plus") {
                if !(pieces.last?.isEmpty ?? true) { pieces.append([]) }
            } else {
                pieces[pieces.count - 1].append(t)
            }
        }
        pieces = pieces.filter { !$0.isEmpty }
        var parts: [String] = []
        var fields: [Field] = []
        for p in pieces {
            let w = p.filter { !$0.isWord("the", "a", "an", "another", "one", "more", "single", "its", "their") }
            if w.count == 1, w[0].kind == .quoted {
                parts.append(Formatter.stringLiteral(w[0].text))
            } else if w.count == 1, w[0].kind == .word, let sep = separator(w[0].lower) {
                parts.append(Formatter.stringLiteral(sep))
            } else if let f = w.first?.source {
                let rest = w.dropFirst().filter { !$0.isWord("written", "as", "formatted", "in", "format") }
                var v = OfflineExpr.field(f)
                switch f.type.baseType {
                case .date, .datetime:
                    guard rest.count == 1, let pattern = DatePatterns.translate(rest[0].text) else { return nil }
                    v = "format_date(\(v), \(Formatter.stringLiteral(pattern)))"
                case .string:
                    guard rest.isEmpty else { return nil }
                default:
                    guard rest.isEmpty else { return nil }
                    v = "to_string(\(v))"
                }
                parts.append(v)
                fields.append(f)
            } else {
                return nil
            }
        }
        guard parts.count >= 2, !fields.isEmpty else { return nil }
        // Two fields with nothing said between them: whether a separator goes there is a guess.
        if zip(parts, parts.dropFirst()).contains(where: { !$0.hasPrefix("\"") && !$1.hasPrefix("\"") }) { return nil }
        var text = parts.joined(separator: " + ")
        if let max = d.maxLength, max < 65536 { text = "truncate(\(text), \(max))" }
        return (d, Reading(value: ReadValue(text: text, kind: .concatenation, chainFields: fields), confidence: 0.85))
    }

    // MARK: When it happened

    /// "when the contact was created in HubSpot", "the time the lead was last modified": the one date field of
    /// the source that records that.
    func whenItHappened(_ w: [ProseToken]) -> Reading? {
        guard d.type.baseType == .date || d.type.baseType == .datetime || d.type.baseType == .string,
            let verb = w.firstIndex(where: { $0.isWord("created", "modified", "updated", "changed") }),
            w.first?.isWord("when", "the") == true
        else { return nil }
        let allowed: Set<String> = [
            "when", "the", "time", "date", "moment", "was", "were", "is", "got", "first", "last", "in", "on", "at", "hubspot", "salesforce",
            "mailchimp", "segment", "crm",
        ]
        guard
            w.allSatisfy({
                $0.kind == .word && $0.source == nil && (allowed.contains($0.lower) || Self.recordNouns.contains($0.lower))
                    || $0.lower == w[verb].lower
            })
        else { return nil }
        let stem = w[verb].isWord("created") ? "creat" : "modif"
        let dated = source.fields.filter { f in
            (f.type.baseType == .date || f.type.baseType == .datetime) && f.name.lowercased().contains(stem)
                && !f.name.lowercased().hasPrefix("hs_") && !f.name.lowercased().contains("by")
        }
        guard dated.count == 1, let f = dated.first,
            let v = values.copy([ProseToken(kind: .word, text: f.name, lower: f.name.lowercased(), source: f)])
        else {
            return nil
        }
        return Reading(value: v, confidence: 0.85)
    }

    // MARK: A preference

    /// "for the phone merge field we prefer the mobile number and only use the normal phone number when
    /// there's no mobile": the preferred value, and the continuation that says when to use another.
    static func preferred(_ c: [ProseToken], source: Schema, destination: Schema) -> (Field, Reading)? {
        guard let v = c.firstIndex(where: { $0.isWord("prefer", "prefers", "preferably") }), v > 0 else { return nil }
        let before = c[..<v]
        let dests = before.compactMap(\.destination)
        guard Set(dests.map(\.name)).count == 1, let d = dests.first,
            before.allSatisfy({
                $0.destination != nil || $0.isPunct(",", ":") || $0.isWord("for", "the", "we", "i", "our", "they", "would", "d", "in")
            })
        else { return nil }
        let rest = Array(c[(v + 1)...])
        guard let cut = rest.firstIndex(where: { $0.isWord("and", "but", "otherwise") || $0.isPunct(",", ";") }), cut > 0 else {
            return nil
        }
        let reader = ComposeReader(source: source, destination: destination, d: d)
        var headTokens = Array(rest[..<cut])
        // "the mobile number": words that only the one field's name and label hold.
        if !headTokens.contains(where: { $0.source != nil }), let f = reader.fieldByWords(headTokens) {
            headTokens = [ProseToken(kind: .word, text: f.name, lower: f.name.lowercased(), source: f)]
        }
        guard let head = reader.read(headTokens)?.value ?? reader.values.read(headTokens),
            [.copy, .fallback, .concatenation].contains(head.kind)
        else { return nil }
        let tail = Array(rest[cut...].drop { $0.isWord("and", "but", "otherwise", "only", "then") || $0.isPunct(",", ";") })
        guard let value = reader.emptyDefault(tail, after: head) else { return nil }
        return (d, Reading(value: value, confidence: 0.9))
    }

    /// The one source field whose name and label hold every word of `w` but articles and "number" /
    /// "address" ("the mobile number" for `mobilephone`, "Mobile Phone Number"); nil when none or several do.
    func fieldByWords(_ w: [ProseToken]) -> Field? {
        let words = w.filter { !$0.isWord("the", "a", "an", "their", "its", "number", "address", "value") }
        guard !words.isEmpty, words.allSatisfy({ $0.kind == .word && $0.source == nil && $0.lower.count >= 3 }) else { return nil }
        let hits = source.fields.filter { f in
            let parts = Set((f.name + " " + (f.label ?? "")).lowercased().split(whereSeparator: { !$0.isLetter }).map(String.init))
            return words.allSatisfy { parts.contains($0.lower) }
        }
        return hits.count == 1 ? hits[0] : nil
    }

    // MARK: Joins

    /// "address, city and country joined with ", " (leave out the empty parts)", "… (just whichever one
    /// exists)": a join that says what happens to a missing part and nothing about all of them missing
    /// gives what `join` gives then (empty text), not null.
    func joinKeepingEmpty(_ w: [ProseToken]) -> Reading? {
        let lower = Set(w.map(\.lower))
        let saysParts =
            !lower.isDisjoint(with: ["leave", "leaving", "skip", "skipping", "omit", "omitting", "drop", "dropping", "just", "only"])
            && !lower.isDisjoint(with: ["part", "parts", "whichever", "one", "ones", "empty", "blank", "missing", "exists"])
        let saysAll = !lower.isDisjoint(with: ["neither", "none", "nothing", "both", "all"])
        guard saysParts, !saysAll else { return nil }
        // "…, and leaving out whichever parts are empty": the remark on missing parts is what `join` does.
        var body = w
        if let k = w.firstIndex(where: { $0.isWord("leave", "leaving", "skip", "skipping", "omit", "omitting", "drop", "dropping") }) {
            let remark: Set<String> = [
                "leave", "leaving", "out", "skip", "skipping", "omit", "omitting", "drop", "dropping", "whichever", "the", "empty", "blank",
                "missing", "parts", "part", "ones", "one", "is", "are", "of", "them", "any", "that", "which",
            ]
            var end = w.count
            if let close = w[k...].firstIndex(where: { $0.isPunct(")") }) { end = close + 1 }
            guard w[k..<end].allSatisfy({ $0.isPunct(")") || $0.kind == .word && $0.source == nil && remark.contains($0.lower) }) else {
                return nil
            }
            var start = k
            while start > 0, w[start - 1].isWord("and") || w[start - 1].isPunct(",", "(") { start -= 1 }
            body = Array(w[..<start]) + Array(w[end...])
        }
        guard let v = values.concatenation(body), let r = v.text.range(of: "null_if_blank(join(") else { return nil }
        // The `null_if_blank(` call goes with its closing parenthesis.
        var depth = 0
        var close: String.Index?
        var inQuote = false
        var i = text(v.text, after: r.lowerBound, count: "null_if_blank".count)
        while i < v.text.endIndex {
            let c = v.text[i]
            if c == "\"" { inQuote.toggle() }
            if !inQuote, c == "(" { depth += 1 }
            if !inQuote, c == ")" {
                depth -= 1
                if depth == 0 {
                    close = i
                    break
                }
            }
            i = v.text.index(after: i)
        }
        guard let close else { return nil }
        var out = v
        let inner = v.text[v.text.index(r.lowerBound, offsetBy: "null_if_blank(".count)..<close]
        out.text = String(v.text[..<r.lowerBound]) + inner + String(v.text[v.text.index(after: close)...])
        return Reading(value: out, confidence: 0.85)
    }

    private func text(_ s: String, after i: String.Index, count: Int) -> String.Index { s.index(i, offsetBy: count) }

    // MARK: Dates written by example

    /// "\"Signed up \" and the signup date written like 5 Jul 2024", "\"Created on \" and then the create date as
    /// day.month.year, like 07.01.2021": literals and one date field, in order, the date in the pattern its
    /// example (or its words) shows.
    func datedText(_ w: [ProseToken]) -> Reading? {
        guard d.type.baseType == .string, d.type != .picklist else { return nil }
        var w = w
        // "the signup date" for `timestamp_signup`: words before "date" that name one date field of the source.
        if !w.contains(where: { $0.source != nil }),
            let dateAt = w.firstIndex(where: { $0.isWord("date", "timestamp", "time") && $0.kind == .word }), dateAt > 0
        {
            var k = dateAt
            while k > 0, w[k - 1].kind == .word, !w[k - 1].isWord("the", "and", "then", "plus", "by", "followed", "a", "its", "their") {
                k -= 1
            }
            let words = w[k..<dateAt].map(\.lower)
            let dated = source.fields.filter { f in
                guard f.type.baseType == .date || f.type.baseType == .datetime, !words.isEmpty else { return false }
                let parts = Set((f.name + " " + (f.label ?? "")).lowercased().split(whereSeparator: { !$0.isLetter }).map(String.init))
                return words.allSatisfy { parts.contains($0) || parts.contains($0.replacingOccurrences(of: "-", with: "")) }
            }
            if dated.count == 1 {
                let f = dated[0]
                w.replaceSubrange(k...dateAt, with: [ProseToken(kind: .word, text: f.name, lower: f.name.lowercased(), source: f)])
            }
        }
        guard let fAt = w.firstIndex(where: { $0.source.map { $0.type.baseType == .date || $0.type.baseType == .datetime } ?? false }),
            let f = w[fAt].source, w.filter({ $0.source != nil }).count == 1
        else { return nil }
        // Before the field: quoted literals and joining words.
        let joiners: Set<String> = ["and", "then", "followed", "by", "plus", "the", "a", "its", "their", "after", "that", "with"]
        var parts: [String] = []
        for t in w[..<fAt] {
            if t.kind == .quoted {
                parts.append(Formatter.stringLiteral(t.text))
            } else if !(t.isPunct("+", ",") || t.kind == .word && joiners.contains(t.lower)) {
                return nil
            }
        }
        guard !parts.isEmpty else { return nil }
        // After it: how it is written. Words that name the order ("day.month.year") and an example.
        let spec = w[(fAt + 1)...].filter {
            !$0.isPunct(",", ":", "(", ")")
                && !$0.isWord(
                    "as", "written", "formatted", "like", "in", "the", "form", "format", "e.g", "e", "g", "so", "european", "american",
                    "us",
                    "uk", "iso", "way", "style")
        }
        guard !spec.isEmpty else { return nil }
        var named: String?
        var example: [ProseToken] = []
        for t in spec {
            if let p = Self.patternFromWords(t.lower) ?? DatePatterns.translate(t.text) {
                guard named == nil else { return nil }
                named = p
            } else {
                example.append(t)
            }
        }
        var pattern = named
        if !example.isEmpty {
            guard let p = Self.patternFromExample(example.map(\.text), order: named) else { return nil }
            if let named, named != p { return nil }
            pattern = p
        }
        guard let pattern else { return nil }
        let v = f.type.baseType == .date || f.type.baseType == .datetime ? OfflineExpr.field(f) : "try_date(\(OfflineExpr.field(f)))"
        parts.append("format_date(\(v), \(Formatter.stringLiteral(pattern)))")
        var text = parts.joined(separator: " + ")
        if let max = d.maxLength, max < 65536 { text = "truncate(\(text), \(max))" }
        return Reading(value: ReadValue(text: text, kind: .concatenation, chainFields: [f]), confidence: 0.85)
    }

    /// "day.month.year" → `dd.MM.yyyy`, "month/day/year" → `MM/dd/yyyy`, "year-month-day" → `yyyy-MM-dd`.
    static func patternFromWords(_ w: String) -> String? {
        let names = ["day": "dd", "month": "MM", "year": "yyyy"]
        for sep in [".", "/", "-"] {
            let parts = w.components(separatedBy: sep)
            if parts.count == 3, Set(parts) == Set(names.keys) { return parts.map { names[$0]! }.joined(separator: sep) }
        }
        return nil
    }

    /// The pattern an example date shows: "07.01.2021" (with the order named, or a day over 12), "5 Jul 2024".
    static func patternFromExample(_ words: [String], order: String?) -> String? {
        let months = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
        var pieces: [String] = []
        var sep = " "
        if words.count == 1 {
            let w = words[0]
            guard let s = [".", "/", "-"].first(where: { w.contains($0) }) else { return nil }
            sep = s
            pieces = w.components(separatedBy: s)
        } else {
            pieces = words
        }
        guard pieces.count == 3 else { return nil }
        var out: [String] = []
        var numbered: [(Int, String)] = []
        for (i, p) in pieces.enumerated() {
            if p.count == 4, Int(p) != nil {
                out.append("yyyy")
            } else if months.contains(p.lowercased()) {
                out.append("MMM")
            } else if let n = Int(p), (1...31).contains(n), p.count <= 2 {
                out.append("?")
                numbered.append((i, p))
            } else {
                return nil
            }
        }
        guard out.filter({ $0 == "yyyy" }).count == 1 else { return nil }
        let orderParts = order?.components(separatedBy: CharacterSet(charactersIn: "./-")) ?? []
        for (i, p) in numbered {
            let isDay: Bool
            if out.contains("MMM") {
                isDay = true
            } else if orderParts.count == 3 {
                isDay = orderParts[i] == "dd"
            } else if let n = Int(p), n > 12 {
                isDay = true
            } else if let (j, q) = numbered.first(where: { $0.0 != i }), let m = Int(q), m > 12, j != i {
                isDay = false
            } else {
                return nil
            }
            // A month over 12 is no month: the example does not show this order.
            if !isDay, let n = Int(p), n > 12 { return nil }
            let twoDigits = p.count == 2
            out[i] = isDay ? (twoDigits ? "dd" : "d") : (twoDigits ? "MM" : "M")
        }
        guard out.filter({ $0.hasPrefix("d") }).count == 1, out.filter({ $0.hasPrefix("M") }).count == 1 else { return nil }
        return out.joined(separator: sep)
    }

    // MARK: Parts of a value

    /// Separator words and the text they stand for.
    static func separator(_ w: String) -> String? {
        switch w {
        case "dash", "hyphen", "dashes", "hyphens", "minus": "-"
        case "underscore", "underscores": "_"
        case "space", "spaces": " "
        case "slash", "slashes": "/"
        case "comma", "commas": ","
        case "dot", "period", "dots": "."
        case "colon": ":"
        case "pipe": "|"
        default: nil
        }
    }

    /// "the bit of the locale after the dash (en-GB → GB)", "the language part of the locale, before the
    /// dash, lowercased", "the first word of traits.name", "the first two letters of the language": one part
    /// of a text field. An example in parentheses must agree with the reading, or nothing is read.
    func part(_ w: [ProseToken]) -> Reading? {
        guard d.type == .string else { return nil }
        // The example: "(en-GB → GB)", "(en-US gives en)", "(so en-GB becomes en)", "e.g. …".
        var body = w
        var examples: [(input: String, output: String)] = []
        if let open = w.firstIndex(where: { $0.isPunct("(") }), let close = w[open...].firstIndex(where: { $0.isPunct(")") }) {
            guard let found = Self.examples(w[(open + 1)..<close]) else { return nil }
            examples = found
            body = Array(w[..<open]) + Array(w[(close + 1)...])
        }
        let fields = body.compactMap(\.source)
        guard fields.count == 1 || Set(fields.map(\.name)).count == 1, let f = fields.first, f.type.baseType == .string else { return nil }
        let lower = body.filter { $0.source == nil }.map(\.lower)
        let known: Set<String> = [
            "the", "a", "an", "bit", "part", "piece", "portion", "segment", "section", "of", "after", "before", "first", "last", "word",
            "letters", "letter", "characters", "chars", "character", "two", "three", "four", "five", "language", "country", "region",
            "code", "its", "their", "lowercased", "lower", "lowercase", "lower-cased", "uppercased", "upper", "uppercase", "upper-cased",
            "in", "case", "trimmed", "only", "just", "take", "taken", "and", "then", "value", "field", "up", "to", "is", "it",
            "contact's", "member's", "lead's", "user's", "name", "contact", "member", "lead", "user", "account", "company", "record",
        ]
        guard
            body.allSatisfy({
                $0.source != nil || $0.isPunct(",", ":")
                    || $0.kind == .word && (known.contains($0.lower) || Self.separator($0.lower) != nil)
                    || Int($0.text) != nil
            })
        else { return nil }
        let name = OfflineExpr.field(f)
        var expr: String
        var compute: (String) -> String?
        let numbers = ["one": 1, "two": 2, "three": 3, "four": 4, "five": 5]
        if let at = lower.firstIndex(where: { $0 == "after" || $0 == "before" }), at + 1 < lower.count,
            let sepAt = lower[(at + 1)...].firstIndex(where: { Self.separator($0) != nil }),
            lower[(at + 1)..<sepAt].allSatisfy({ ["the", "first", "last"].contains($0) }),
            !lower.contains(where: { $0 == "letters" || $0 == "characters" || $0 == "word" })
        {
            let sep = Self.separator(lower[sepAt])!
            let last = lower[(at + 1)..<sepAt].contains("last")
            let index = lower[at] == "before" ? (last ? -2 : 0) : (last ? -1 : 1)
            // "before the last dash" is everything before it, which a split does not give when there are several.
            guard !(lower[at] == "before" && last) else { return nil }
            expr = "split(\(name), \(Formatter.stringLiteral(sep)), \(index))"
            compute = { s in
                let parts = s.components(separatedBy: sep)
                let i = index < 0 ? parts.count + index : index
                return i >= 0 && i < parts.count && parts.count > 1 ? parts[i] : nil
            }
        } else if let wAt = lower.firstIndex(of: "word"), wAt > 0, lower[wAt - 1] == "first" || lower[wAt - 1] == "last" {
            let index = lower[wAt - 1] == "first" ? 0 : -1
            // The first word of "  Ida Smith" is "Ida": spaces around the text are no word boundary.
            expr = "split(trim(\(name)), \" \", \(index))"
            compute = { s in
                let parts = s.trimmingCharacters(in: .whitespaces).components(separatedBy: " ")
                return index == 0 ? parts.first : parts.last
            }
        } else if let lAt = lower.firstIndex(where: { ["letters", "characters", "chars"].contains($0) }), lAt > 1,
            let n = Int(lower[lAt - 1]) ?? numbers[lower[lAt - 1]], lower[lAt - 2] == "first" || lower[lAt - 2] == "last"
        {
            let first = lower[lAt - 2] == "first"
            expr = first ? "left(\(name), \(n))" : "right(\(name), \(n))"
            compute = { s in first ? String(s.prefix(n)) : String(s.suffix(n)) }
        } else {
            return nil
        }
        let lowered =
            lower.contains { ["lowercased", "lowercase", "lower-cased"].contains($0) } || lower.contains("lower") && lower.contains("case")
        let uppered =
            lower.contains { ["uppercased", "uppercase", "upper-cased"].contains($0) } || lower.contains("upper") && lower.contains("case")
        guard !(lowered && uppered) else { return nil }
        if lower.contains("trimmed") { expr = expr.replacingOccurrences(of: "(\(name),", with: "(trim(\(name)),") }
        if lowered { expr = "lower(\(expr))" }
        if uppered { expr = "upper(\(expr))" }
        for example in examples {
            guard var got = compute(example.input) else { return nil }
            if lowered { got = got.lowercased() }
            if uppered { got = got.uppercased() }
            guard got == example.output else { return nil }
        }
        if let max = d.maxLength, max < 65536, max < (f.maxLength ?? Int.max) { expr = "truncate(\(expr), \(max))" }
        return Reading(value: ReadValue(text: expr, kind: .concatenation, chainFields: [f]), confidence: 0.9)
    }

    /// "the domain of the email address (the part after the @)", "the email's domain", "the domain from
    /// Email": the domain of one e-mail field.
    func emailDomain(_ w: [ProseToken]) -> Reading? {
        guard d.type == .string, let at = w.firstIndex(where: { $0.isWord("domain") && $0.source == nil }) else { return nil }
        var body = w
        // "(the part after the @)", "(everything after the @)": what a domain is, said again.
        if let open = w.firstIndex(where: { $0.isPunct("(") }), let close = w[open...].firstIndex(where: { $0.isPunct(")") }) {
            guard
                w[(open + 1)..<close].allSatisfy({
                    $0.isWord("the", "part", "bit", "everything", "after", "at", "sign", "i", "e", "ie", "so", "whatever", "comes")
                })
            else { return nil }
            body = Array(w[..<open]) + Array(w[(close + 1)...])
        }
        let fields = body.compactMap(\.source)
        guard Set(fields.map(\.name)).count == 1, let f = fields.first, f.type.baseType == .string,
            f.name.lowercased().contains("email") || f.format == .email
        else { return nil }
        guard
            body.allSatisfy({
                $0.source != nil || $0.isPunct(",")
                    || $0.isWord(
                        "the", "a", "of", "from", "in", "their", "its", "domain", "address", "contact's", "lead's", "member's", "user's",
                        "email's", "part", "name", "lower", "lowercase", "lowercased", "lower-cased", "case")
            }), at >= 0
        else { return nil }
        var expr = "email_domain(\(OfflineExpr.field(f)))"
        if let max = d.maxLength, max < 255 { expr = "truncate(\(expr), \(max))" }
        return Reading(value: ReadValue(text: expr, kind: .concatenation, chainFields: [f]), confidence: 0.9)
    }

    /// "the average open rate as a percentage, rounded to one decimal", "amount in cents", "revenue divided
    /// by 100": one number field scaled, optionally rounded.
    func scaled(_ w: [ProseToken]) -> Reading? {
        guard d.type.baseType == .decimal || d.type.baseType == .int else { return nil }
        var body = w
        var example: (input: Double, output: Double)?
        if let open = w.firstIndex(where: { $0.isPunct("(") }), let close = w[open...].firstIndex(where: { $0.isPunct(")") }) {
            let inner = w[(open + 1)..<close].filter { !$0.isWord("so", "e", "g", "eg", "like", "for", "example") }
            guard inner.count == 3, let a = Double(inner[0].text), let b = Double(inner[2].text),
                inner[1].isPunct("->") || inner[1].isWord("gives", "becomes", "is")
            else { return nil }
            example = (a, b)
            body = Array(w[..<open]) + Array(w[(close + 1)...])
        }
        let fields = body.compactMap(\.source)
        guard Set(fields.map(\.name)).count == 1, let f = fields.first, f.type.baseType == .decimal || f.type.baseType == .int else {
            return nil
        }
        let lower = body.filter { $0.source == nil && $0.kind == .word }.map(\.lower)
        let numbers = ["zero": 0, "one": 1, "two": 2, "three": 3, "four": 4]
        var factor: Double?
        var divide = false
        var digits: Int?
        var i = 0
        var used: Set<Int> = []
        while i < lower.count {
            let x = lower[i]
            if x == "percentage" || x == "percent" {
                factor = 100
                used.insert(i)
            } else if x == "cents" {
                factor = 100
                used.insert(i)
            } else if ["times", "multiplied", "divided"].contains(x) {
                var j = i + 1
                if j < lower.count, lower[j] == "by" { j += 1 }
                guard j < lower.count, let n = Double(lower[j]) else { return nil }
                factor = n
                divide = x == "divided"
                used.formUnion(i...j)
                i = j
            } else if x == "rounded" || x == "round" {
                var j = i + 1
                while j < lower.count, ["to", "a", "an"].contains(lower[j]) { j += 1 }
                if j < lower.count, let n = Int(lower[j]) ?? numbers[lower[j]] {
                    digits = n
                    used.formUnion(i...j)
                    i = j
                } else if j < lower.count, ["whole", "nearest", "integer"].contains(lower[j]) {
                    digits = 0
                    used.formUnion(i...j)
                    i = j
                } else {
                    digits = 0
                    used.insert(i)
                }
            }
            i += 1
        }
        guard let factor, factor != 0 else { return nil }
        let fillers: Set<String> = [
            "the", "a", "an", "as", "in", "its", "their", "and", "then", "decimal", "decimals", "place", "places", "digit", "digits",
            "number", "value", "average", "member's", "contact's", "lead's", "whole", "nearest", "by", "to",
        ]
        for (k, x) in lower.enumerated() where !used.contains(k) && !fillers.contains(x) { return nil }
        let name = OfflineExpr.field(f)
        let num = factor == factor.rounded() ? String(Int(factor)) : String(factor)
        var expr = divide ? "\(name) / \(num)" : "\(name) * \(num)"
        if let digits { expr = digits == 0 ? "round(\(expr))" : "round(\(expr), \(digits))" }
        if let example {
            var got = divide ? example.input / factor : example.input * factor
            if let digits {
                let p = (0..<digits).reduce(1.0) { r, _ in r * 10 }
                got = (got * p).rounded() / p
            }
            guard abs(got - example.output) < 1e-9 else { return nil }
        }
        if d.type.baseType == .int {
            // An integer destination takes the scaled value only when it is rounded to a whole number.
            guard digits == 0 || !divide && f.type.baseType == .int else { return nil }
            if digits == 0 { expr = "to_int(\(expr))" }
        }
        return Reading(value: ReadValue(text: expr, kind: .concatenation, chainFields: [f]), confidence: 0.9)
    }
}
