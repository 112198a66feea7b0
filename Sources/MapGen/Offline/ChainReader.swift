import MapDSL

/// An if/else-if chain or a picklist translation read from prose: arms in order and a default.
struct ValueChain {
    /// `(condition, value)` in order; the first that holds wins.
    var arms: [(condition: String, value: String)]
    /// The value when no arm holds; nil when the prose states none.
    var fallback: String?
    /// When every arm compares one field with literals: the field, for a `match`.
    var subject: Field?
    /// The literals of each arm, when ``subject`` is set.
    var patterns: [[String]] = []

    /// The mapping-language text; `otherwise` stands for a missing default. Arms comparing one field
    /// with literals (all of them, or all after leading `if`s such as a blank test) become a `match`.
    func render(otherwise: String) -> String {
        let other = fallback ?? otherwise
        var text = other
        var firstIf = arms.count
        if let subject, patterns.count == arms.count {
            // How many trailing arms are equality tests on the subject.
            var k = arms.count
            while k > 0, !patterns[k - 1].isEmpty { k -= 1 }
            if k < arms.count {
                var body = ""
                for i in k..<arms.count { body += "    " + patterns[i].joined(separator: ", ") + " => " + arms[i].value + "\n" }
                text = "match \(MappingGrammar.fieldName(subject.name)) {\n" + body + "    _ => \(other)\n}"
                firstIf = k
            }
        }
        for arm in arms[..<firstIf].reversed() { text = "if \(arm.condition) then \(arm.value) else \(text)" }
        return text
    }
}

/// Reads translations and chains: "A becomes B", "A and C become B", "B for A", "A -> B",
/// ""V" when X is A", "if X is A then V", with defaults "otherwise V", "else V", "anything else (becomes) V",
/// "if not, V", "V for everything else", "leave it empty otherwise".
struct ChainReader {
    let source: Schema
    let destination: Schema
    let d: Field
    let reader: ValueReader
    /// Source fields earlier sentences compared, most recent first.
    var context: [Field] = []
    /// Source fields the whole sentence names.
    var sentence: [Field] = []

    /// A default that is the compared field's own value, until the chain knows which field that is.
    static let subjectMarker = "\u{1}subject"

    static let defaultWords: Set<String> = [
        "otherwise", "else", "anything", "everything", "other", "others", "unrecognised", "unrecognized", "rest", "everyone", "everybody",
        "anyone", "anybody",
    ]
    static let arrowWords: Set<String> = [
        "becomes", "become", "maps", "map", "gives", "give", "turns", "turn", "goes", "go", "means", "to",
    ]

    /// "customer stays customer", "X remains X": an arrow.
    static func arrows(_ w: [ProseToken]) -> [ProseToken] {
        let nouns: Set<String> = [
            "leads", "contacts", "members", "accounts", "companies", "events", "ones", "records", "users", "subscribers", "people",
        ]
        var out = w
        // "if X is true → "unsubscribed"; else if …": an arrow after a condition is its "then".
        var conditionOpen = false
        for i in out.indices {
            if out[i].isWord("if", "when") { conditionOpen = true }
            if out[i].isPunct(";", ",") { conditionOpen = false }
            if conditionOpen, out[i].isPunct("->") {
                out[i] = ProseToken(kind: .word, text: "then", lower: "then")
                conditionOpen = false
            }
        }
        for i in out.indices {
            let arrow = ProseToken(kind: .punct, text: "->", lower: "->")
            if out[i].isWord("stays", "stay", "remains", "remain") {
                out[i] = arrow
            } else if out[i].isWord("are"), i > 0, nouns.contains(out[i - 1].lower) {
                // "Hot leads are salesqualifiedlead": the values before the noun become the value after "are".
                out[i] = arrow
            }
        }
        return out
    }

    func read(_ w: [ProseToken]) -> ReadValue? {
        let w = Self.arrows(w)
        let lower = w.map(\.lower)
        let hasArrow =
            w.contains { $0.isPunct("->") }
            || lower.contains(where: { ["becomes", "become", "maps", "gives", "give", "turns", "means"].contains($0) })
        let hasCondition = lower.contains("when") || lower.contains("if")
        let hasFor = lower.contains("for")
        guard hasArrow || hasCondition || hasFor && literals(w).count >= 1 else { return nil }
        guard let chain = parse(w) else { return nil }
        let text = chain.render(otherwise: "null")
        let borrowed =
            uniqueSources(w).isEmpty && chain.subject.map { s in self.context.contains { $0.name == s.name } } == true
            && !source.fields.contains(where: { $0.values != nil && $0.name == chain.subject?.name })
            && !sentence.contains(where: { $0.name == chain.subject?.name })
        return ReadValue(
            text: text, kind: chain.subject != nil ? .translation : .chain, sourceField: nil, chain: chain,
            chainFields: chain.subject.map { [$0] } ?? uniqueSources(w), borrowed: borrowed)
    }

    /// Whether the word at `i` ("Other", "OTHER") is a value of a picklist here, spelled as the schema
    /// spells it, and not the "other" of a default ("all other types", "other stages", "anything other").
    func isOtherValue(_ seg: [ProseToken], _ i: Int, named: [Field]) -> Bool {
        let t = seg[i]
        guard t.kind == .word, t.isWord("other", "others") else { return false }
        let spelled =
            (d.values ?? []).contains(t.text)
            || (named.isEmpty ? source.fields : named).contains { ($0.values ?? []).contains(t.text) }
        guard spelled else { return false }
        if i > 0, seg[i - 1].isWord("any", "all", "every", "each", "the", "no", "anything", "everything", "some", "of") { return false }
        if i + 1 < seg.count, seg[i + 1].kind == .word,
            !seg[i + 1].isWord("becomes", "become", "for", "when", "if", "gives", "maps", "turns", "goes", "is", "are", "and", "or", "to")
        {
            return false
        }
        return true
    }

    private func literals(_ w: [ProseToken]) -> [ProseToken] { w.filter { reader.literal($0) != nil } }

    /// The tokens of a segment that can be the destination value: quoted literals when there are any,
    /// else words that are not keywords and fit the destination.
    func valueCandidates(_ seg: [ProseToken]) -> [String] {
        let quoted = seg.filter { $0.kind == .quoted }
        if !quoted.isEmpty { return quoted.compactMap { reader.literal($0) } }
        let words = seg.indices.filter {
            seg[$0].kind == .word && seg[$0].source == nil && !ConditionReader.keywords.contains(seg[$0].lower)
                && (!Self.fillers.contains(seg[$0].lower) && !Self.defaultWords.contains(seg[$0].lower)
                    || isOtherValue(seg, $0, named: []))
        }.map { seg[$0] }
        // An unquoted picklist value of several words that holds a keyword ("Closed - Not Converted").
        let spelled = seg.filter {
            $0.kind == .word && $0.source == nil && !Self.fillers.contains($0.lower) && !$0.isWord("else", "otherwise")
        }
        if spelled.count > 1, d.type == .picklist, spelled.contains(where: { ConditionReader.keywords.contains($0.lower) }),
            let lit = reader.literal(ValueReader.joined(spelled))
        {
            return [lit]
        }
        // An unquoted picklist value of several words ("Channel Partner / Reseller").
        if words.count > 1, d.type == .picklist,
            words.count
                == seg.filter({
                    $0.kind == .word && !Self.fillers.contains($0.lower) && !ConditionReader.keywords.contains($0.lower)
                        && !Self.defaultWords.contains($0.lower)
                }).count,
            let lit = reader.literal(ValueReader.joined(words))
        {
            return [lit]
        }
        return words.compactMap { reader.literal($0) }
    }

    static let fillers: Set<String> = [
        "for", "becomes", "become", "give", "gives", "stages", "stage", "values", "value", "other", "else", "anything", "everything",
        "rest", "leads", "lead's", "contacts", "members", "records", "accounts", "companies", "events", "ones", "cases", "we", "don",
        "t", "recognise", "recognize", "unknown", "including", "use", "it", "is", "be", "set", "to", "then", "we're", "any", "all",
        "translated",
    ]

    /// Splits at `;`, `,` and "and" that start a new arm, then reads each segment.
    func parse(_ w: [ProseToken], context: [Field] = []) -> ValueChain? {
        let w = Self.arrows(w)
        let found = uniqueSources(w)
        let named = found.isEmpty ? context : found
        var segments: [[ProseToken]] = [[]]
        // A segment ends at `;`, and at `,` / "and" / "otherwise" once it holds a whole arm (so value
        // lists such as "A, B and C become X" stay together).
        func complete(_ seg: [ProseToken]) -> Bool {
            seg.contains {
                $0.isPunct("->") || $0.isWord("becomes", "become", "when", "if", "for", "gives", "give", "maps", "means", "turns")
            }
                || seg.contains { $0.kind == .word && Self.defaultWords.contains($0.lower) }
        }
        for (i, t) in w.enumerated() {
            let current = segments.last ?? []
            // "anything else", "everything else": the `else` belongs to the default it is part of.
            let isElse =
                t.isWord("otherwise", "else")
                && !(current.last?.isWord(
                    "anything", "everything", "something", "all", "any", "what", "whatever", "everyone", "everybody", "anyone", "anybody")
                    ?? false)
            // A postfix default ("…, and lead otherwise"): the value before it starts the default segment.
            if isElse, i == w.count - 1 || w[i + 1].isPunct(",", ";", ")"), !current.isEmpty, !complete(current) {
                // "…, Cold otherwise": the segment before is the default's value.
                segments[segments.count - 1] = current + [t]
                continue
            }
            if isElse, i == w.count - 1 || w[i + 1].isPunct(",", ";", ")"),
                let cut = current.lastIndex(where: { $0.isWord("and", "or") || $0.isPunct(",") }), cut + 1 < current.count
            {
                let tail = Array(current[(cut + 1)...])
                segments[segments.count - 1] = Array(current[..<cut])
                segments.append(tail + [t])
                continue
            }
            // "if C, V": the comma after a leading condition comes before its value (SentencePhrases.swift).
            if t.isPunct(","),
                SentencePhrases.conditionBeforeValue(current) || SentencePhrases.listContinues(current, Array(w[(i + 1)...]))
            {
                segments[segments.count - 1].append(t)
                continue
            }
            if t.isPunct(";") || (t.isPunct(",") || isElse) && complete(current) && !current.isEmpty
                || t.isWord("and") && complete(current)
                    && (startsArm(Array(w[(i + 1)...]))
                        || w[(i + 1)...].prefix(3).contains { $0.isWord("everything", "anything", "rest", "others") })
                || isElse && !current.isEmpty
            {
                if !(segments.last?.isEmpty ?? true) { segments.append([]) }
                if isElse { segments[segments.count - 1].append(t) }
                continue
            }
            segments[segments.count - 1].append(t)
        }
        segments = segments.filter { !$0.isEmpty }
        var chain = ValueChain(arms: [], fallback: nil, subject: nil)
        var subjects: [Field?] = []
        // "…; if it is PROSPECT then …": "it" in a continuation is the one field the chain before compared.
        var lastField: Field? = context.count == 1 ? context[0] : nil
        for seg in segments {
            var seg = seg
            // "else if …", "otherwise, if …": a condition arm, not the default.
            if seg.count > 1, seg[0].isWord("else", "otherwise"),
                seg.dropFirst().first(where: { !$0.isPunct(",") })?.isWord("if", "when") == true
            {
                seg = Array(seg.drop { $0.isWord("else", "otherwise") || $0.isPunct(",") })
            }
            // "X becomes OTHER", "PARTNER for Other": a picklist value spelled "Other" is no default.
            let sl = seg.indices.filter { seg[$0].kind == .word && !isOtherValue(seg, $0, named: named) }.map { seg[$0].lower }
            // Elaborations of the default ("including an empty or unknown stage").
            if sl.first == "including" || sl.first == "even" || sl.starts(with: ["e", "g"]) {
                if chain.fallback != nil || !chain.arms.isEmpty { continue }
                return nil
            }
            // Default arm, possibly with explicit values too ("OFFLINE or any value we don't recognise becomes "Other"").
            // "lead when not", "V if not": the default.
            let whenNot = sl.count >= 2 && sl[sl.count - 1] == "not" && ["when", "if"].contains(sl[sl.count - 2])
            if whenNot, chain.fallback == nil, let v = defaultValue(seg.filter { !$0.isWord("when", "if", "not") }) {
                chain.fallback = v
                continue
            }
            // "if not, …" opens a default; a "not" further on belongs to a condition or a value ("then Open - Not Contacted").
            if sl.contains(where: { Self.defaultWords.contains($0) }) || sl.count > 1 && sl[0] == "if" && sl[1] == "not"
                || sl.contains("recognise") || sl.contains("recognize") || sl.contains("unknown") && sl.contains("any")
            {
                guard chain.fallback == nil, let v = defaultValue(seg) else { return nil }
                chain.fallback = v
                let explicit = seg.filter { tok in
                    tok.kind == .word && tok.source == nil
                        && named.contains { f in ConditionReader.literal(tok, for: f).map { f.values?.contains($0) == true } ?? false }
                }
                if !explicit.isEmpty,
                    let arm = translationArm(
                        explicit + [
                            seg.first { $0.isPunct("->") || $0.isWord("becomes", "become", "gives") }
                                ?? ProseToken(kind: .word, text: "becomes", lower: "becomes")
                        ] + seg.filter { reader.literal($0) != nil && $0.kind == .quoted }, named: named)
                {
                    chain.arms.append((arm.condition, arm.value))
                    subjects.append(arm.subject)
                    chain.patterns.append(arm.patterns)
                }
                continue
            }
            // ""vip" for VIP members (vip is true)": the condition in parentheses is what the words describe.
            if let open = seg.firstIndex(where: { $0.isPunct("(") }), let close = seg[open...].firstIndex(where: { $0.isPunct(")") }),
                let k = seg[..<open].firstIndex(where: { $0.isWord("for", "when", "if") }), k > 0,
                ConditionReader.read(Array(seg[(open + 1)..<close]), source: source) != nil,
                let arm = conditionArm(
                    Array(seg[..<k]) + [ProseToken(kind: .word, text: "when", lower: "when")] + Array(seg[(open + 1)..<close]),
                    it: lastField)
            {
                chain.arms.append((arm.condition, arm.value))
                subjects.append(arm.subject)
                chain.patterns.append(arm.patterns)
                if let f = arm.fields.last ?? arm.subject { lastField = f }
                continue
            }
            if let arm = conditionArm(seg, it: lastField) ?? translationArm(seg, named: named) {
                chain.arms.append((arm.condition, arm.value))
                subjects.append(arm.subject)
                chain.patterns.append(arm.patterns)
                if let f = arm.fields.last ?? arm.subject { lastField = f }
                continue
            }
            return nil
        }
        guard !chain.arms.isEmpty else { return nil }
        if chain.fallback == Self.subjectMarker {
            let subject = subjects.compactMap { $0 }.first ?? (named.count == 1 ? named[0] : nil)
            guard let f = subjects.compactMap({ $0 }).allSatisfy({ $0.name == subject?.name }) ? subject : nil,
                f.type.baseType == .string, d.type == .string || d.type == .id
            else { return nil }
            chain.fallback = OfflineExpr.convert(OfflineExpr.field(f), type: f.type.baseType, from: f, to: d, plain: true)
        }
        // A match over the trailing arms that compare one field with literals.
        if let last = subjects.last, let s = last {
            var k = subjects.count
            while k > 0, subjects[k - 1]?.name == s.name, !chain.patterns[k - 1].isEmpty { k -= 1 }
            chain.subject = s
            for i in 0..<k { chain.patterns[i] = [] }
        } else {
            chain.patterns = []
        }
        return chain
    }

    private func startsArm(_ rest: [ProseToken]) -> Bool {
        // "…, and OFFLINE becomes Other": an arm follows when an arrow word or "when" comes before the next comma.
        for t in rest {
            if t.isPunct(",", ";") { return false }
            if t.isPunct("->") || t.isWord("becomes", "become", "when", "if", "for", "gives", "give") { return true }
        }
        return false
    }

    private func uniqueSources(_ w: [ProseToken]) -> [Field] {
        var out: [Field] = []
        for f in w.compactMap(\.source) where !out.contains(where: { $0.name == f.name }) { out.append(f) }
        return out
    }

    /// The destination value of a default segment: a literal, "empty"/"null" (null), or nothing to read.
    func defaultValue(_ seg: [ProseToken]) -> String? {
        // "else Web when a campaign source is present": a value with a condition of its own is no default.
        if SentencePhrases.hasOwnCondition(seg) { return nil }
        // "anything else leave empty", "otherwise leave it blank": null, never the word "leave".
        if seg.contains(where: { $0.isWord("leave", "keep", "left") }),
            seg.contains(where: { $0.isWord("empty", "blank", "null", "unset", "nothing") }),
            !seg.contains(where: { $0.kind == .quoted || $0.source != nil })
        {
            return d.nullable && !d.required ? "null" : nil
        }
        // "anything else keep the code as is", "else leave the value like it is": the compared field itself
        // (a marker the chain resolves once it knows its subject).
        let keep: Set<String> = [
            "keep", "leave", "pass", "the", "code", "value", "values", "as", "is", "like", "it", "unchanged", "same", "through", "original",
            "untouched", "itself", "its", "anything", "everything", "else", "otherwise", "other", "rest", "just", "for", "any",
            // "other stages unchanged", "all other codes stay as they are": what the values are.
            "stages", "stage", "codes", "statuses", "types", "sources", "ones", "all", "stay", "stays", "remain", "remains", "they", "are",
        ]
        let words = seg.filter { !$0.isPunct(",", ".", "->") }
        if !words.isEmpty, words.allSatisfy({ $0.kind == .word && keep.contains($0.lower) && $0.source == nil }),
            words.contains(where: { $0.isWord("keep", "leave", "pass", "unchanged", "untouched", "stay", "stays", "remain", "remains") }),
            words.contains(where: { $0.isWord("is", "are", "unchanged", "through", "same", "untouched", "itself") })
        {
            return Self.subjectMarker
        }
        // A default that names a field and is no quoted literal is a copy of that field, with its modifiers.
        // …but not "any other status → other", whose field is on the left of the arrow and whose value is a word.
        let valueSide = seg.lastIndex(where: { $0.isPunct("->") }).map { Array(seg[($0 + 1)...]) } ?? seg
        if !seg.contains(where: { $0.kind == .quoted }), uniqueSources(seg).count == 1, let f = uniqueSources(seg).first,
            d.type == .string || d.type == .id, valueSide.contains(where: { $0.source != nil })
        {
            let rest = seg.filter {
                !($0.kind == .word
                    && (Self.defaultWords.contains($0.lower) || Self.fillers.contains($0.lower)
                        || [
                            "any", "for", "use", "just", "keep", "the", "value", "values", "event", "name", "leave", "pass", "through",
                            "as", "is",
                        ].contains($0.lower)))
                    || $0.source != nil
            }.filter { !$0.isPunct("->") }
            // "for any other event use event": the field named twice is one field.
            var once: [ProseToken] = []
            for t in rest where !(t.source != nil && once.contains { $0.source?.name == t.source?.name }) { once.append(t) }
            if let c = reader.copy(once) { return c.text }
            if rest.allSatisfy({ $0.source != nil }) {
                return OfflineExpr.convert(OfflineExpr.field(f), type: f.type.baseType, from: f, to: d, plain: true)
            }
            return nil
        }
        let vals = valueCandidates(seg)
        if vals.count == 1 { return vals[0] }
        // "other for the rest": the value is the word before "for".
        if vals.isEmpty, let f = seg.firstIndex(where: { $0.isWord("for") }), f == 1,
            seg[(f + 1)...].allSatisfy({ $0.isWord("the", "rest", "others", "everything", "anything", "everyone", "else", "all", "other") }
            ),
            let lit = reader.literal(seg[0])
        {
            return lit
        }
        // "otherwise Other": the one word left is the value, even a word like "Other".
        if vals.isEmpty {
            let left = seg.filter { !$0.isPunct(",", ".") && !$0.isWord("otherwise", "else", "and", "or", "it", "is", "then", "use") }
            if left.count == 1, let lit = reader.literal(left[0]) { return lit }
        }
        // "… all other types become Other": the value after the arrow word, even a word like "Other".
        if vals.isEmpty, let a = seg.lastIndex(where: { $0.isPunct("->") || $0.isWord("become", "becomes", "is", "gets", "get", "to") }),
            a + 1 < seg.count, seg[(a + 1)...].filter({ !$0.isPunct(",", ".") }).count == 1, let lit = reader.literal(seg[a + 1])
        {
            return lit
        }
        if vals.isEmpty, seg.contains(where: { $0.isWord("empty", "null", "blank", "unset", "nothing") }), d.nullable, !d.required {
            return "null"
        }
        if vals.isEmpty, d.type.baseType == .string, let f = seg.compactMap(\.source).first, seg.compactMap(\.source).count == 1 {
            // "for any other value use the event name lower-cased": a copy with its modifiers.
            let rest = seg.filter {
                !($0.kind == .word
                    && (Self.defaultWords.contains($0.lower) || Self.fillers.contains($0.lower)
                        || [
                            "any", "for", "use", "just", "keep", "the", "value", "values", "event", "name", "leave", "pass", "through",
                            "as", "is",
                        ].contains($0.lower)))
            }
            if rest.contains(where: { $0.kind == .word && $0.source == nil }) {
                guard d.type != .picklist, d.type != .multipicklist, let c = reader.copy(rest) else { return nil }
                return c.text
            }
            return OfflineExpr.convert(OfflineExpr.field(f), type: f.type.baseType, from: f, to: d, plain: true)
        }
        return nil
    }

    struct Arm {
        var condition: String
        var value: String
        var subject: Field?
        var patterns: [String]
        /// The source fields the condition reads ("it" in a later arm stands for the last one).
        var fields: [Field] = []
    }

    /// ""V" when X is A", "V if X is A", "if X is A then V", "if X is A, V".
    private func conditionArm(_ seg: [ProseToken], it: Field? = nil) -> Arm? {
        guard let k = seg.firstIndex(where: { $0.isWord("when", "if", "whenever") }) else { return nil }
        var condTokens: [ProseToken]
        var valueTokens: [ProseToken]
        if k == 0 || seg[..<k].allSatisfy({ $0.isWord("and", "but", "is", "it", "set", "to", "be") }) {
            // if COND then V / if COND, V
            let rest = Array(seg[(k + 1)...])
            guard let then = rest.firstIndex(where: { $0.isWord("then", "use", "gives", "give", "->") || $0.isPunct("->") }) else {
                // "if COND V": the value is the last literal.
                guard let last = rest.lastIndex(where: { reader.literal($0) != nil && $0.source == nil }) else { return nil }
                condTokens = Array(rest[..<last])
                valueTokens = [rest[last]]
                return make(condTokens, valueTokens, it: it)
            }
            condTokens = Array(rest[..<then])
            valueTokens = Array(rest[(then + 1)...])
        } else {
            valueTokens = Array(seg[..<k])
            condTokens = Array(seg[(k + 1)...])
        }
        return make(condTokens, valueTokens, it: it)
    }

    /// Words between a condition and its value ("if type is PARTNER it is "X"", "…, then it becomes X").
    static let linkWords: Set<String> = [
        "it", "is", "it's", "its", "they", "are", "becomes", "become", "be", "use", "set", "to", "then", "we",
    ]

    private func make(_ condTokens: [ProseToken], _ valueTokens: [ProseToken], it: Field? = nil) -> Arm? {
        // A value phrase that names a field or joins parts ("website, or "http://" + domain") is more than
        // a literal: not an arm this reader can build.
        if valueTokens.contains(where: { $0.source != nil && $0.kind == .word || $0.isPunct("+") }) { return nil }
        var condTokens = condTokens
        while let l = condTokens.last, l.isPunct(",") { condTokens.removeLast() }
        // Link words before the value ("… it is"), unless the condition reads with them ("AccountId is set").
        if ConditionReader.read(condTokens, source: source) == nil {
            while let l = condTokens.last, l.kind == .word && Self.linkWords.contains(l.lower) || l.isPunct(",") { condTokens.removeLast() }
        }
        // "… when it is false": "it" is the field the arm before compared.
        if !condTokens.contains(where: { $0.source != nil }), let f = it,
            let i = condTokens.firstIndex(where: { $0.isWord("it", "they", "that") })
        {
            condTokens[i] = ProseToken(kind: .word, text: f.name, lower: f.name.lowercased(), destination: nil, source: f)
        }
        let cands = valueCandidates(valueTokens)
        // "Warm, but leave it blank when …": a value and an empty one in the same words is no one value.
        if !cands.isEmpty, valueTokens.contains(where: { $0.isWord("leave", "keep", "left", "stays", "stay", "remain", "remains") }) {
            return nil
        }
        let value: String
        if cands.count == 1 {
            value = cands[0]
        } else if cands.isEmpty, valueTokens.contains(where: { $0.isWord("empty", "null", "blank") }), d.nullable {
            value = "null"
        } else {
            return nil
        }
        guard let c = ConditionReader.read(condTokens, source: source) else { return nil }
        // For a match: one field compared with literals by `==` joined with `or`.
        var subject: Field?
        var patterns: [String] = []
        if c.fields.count == 1, let f = c.fields.first {
            let parts = c.text.components(separatedBy: " or ")
            let prefix = MappingGrammar.fieldName(f.name) + " == "
            if parts.allSatisfy({ $0.hasPrefix(prefix) }) {
                subject = f
                patterns = parts.map { String($0.dropFirst(prefix.count)) }
            }
        }
        return Arm(condition: c.text, value: value, subject: subject, patterns: patterns, fields: c.fields)
    }

    /// "A, B and C become "V"", "A -> V", "V for A", "A maps to V", with A values of the source field
    /// the sentence names (or the only source picklist holding them).
    private func translationArm(_ seg: [ProseToken], named: [Field]) -> Arm? {
        let arrow = seg.firstIndex {
            $0.isPunct("->") || $0.isWord("becomes", "become", "maps", "map", "gives", "give", "turns", "turn", "means")
        }
        let forAt = seg.firstIndex { $0.isWord("for") }
        var fromTokens: [ProseToken]
        var toTokens: [ProseToken]
        if let a = arrow {
            fromTokens = Array(seg[..<a])
            toTokens = Array(seg[(a + 1)...]).filter { !$0.isWord("to", "into", "in") }
        } else if let f = forAt {
            toTokens = Array(seg[..<f])
            fromTokens = Array(seg[(f + 1)...])
        } else {
            return nil
        }
        var toCands = valueCandidates(toTokens)
        // "US → United States": a value of several words for a text field, when the words are all that follows
        // (a word that names a field only through a typo, "States" for `status`, is a word here).
        let toWords = toTokens.filter { !$0.isPunct(",", ".") }
        if d.type == .string, (2...4).contains(toWords.count),
            toWords.allSatisfy({
                $0.kind == .word && ($0.source == nil || $0.typo) && $0.destination == nil && !ConditionReader.keywords.contains($0.lower)
            }),
            let lit = reader.literal(ProseToken(kind: .quoted, text: toWords.map(\.text).joined(separator: " "), lower: ""))
        {
            toCands = [lit]
        }
        let value: String
        if toCands.count == 1 {
            value = toCands[0]
        } else if toCands.isEmpty, toTokens.contains(where: { $0.isWord("empty", "null") }), d.nullable {
            value = "null"
        } else {
            return nil
        }
        let fromVals = fromTokens.filter {
            !$0.isWord(
                "and", "or", "is", "the", "value", "values", "a", "an", "both", "each", "of", "any", "when", "if", "it", "status", "where")
                && !($0.kind == .word && Self.fillers.contains($0.lower)) && !$0.isPunct(",", ":", "(", ")") && $0.source == nil
        }
        // "… for contacts with an AccountId": prose about a field, not values of it (the old reading compared
        // AccountId with "with").
        if fromTokens.contains(where: { $0.source != nil }),
            fromVals.contains(where: { $0.kind == .word && ConditionReader.keywords.contains($0.lower) })
        {
            return nil
        }
        // ""vip" for VIP members", "Hot for opted-out contacts (hs_email_optout)": a yes/no field named as a
        // kind of record is true for them.
        let described = fromTokens.filter {
            !($0.kind == .word && $0.source == nil && (Self.fillers.contains($0.lower) || ConditionReader.fillers.contains($0.lower)))
        }
        if fromVals.isEmpty || fromVals.allSatisfy({ ConditionReader.fillers.contains($0.lower) }), described.count == 1,
            let f = described[0].source, f.type == .bool
        {
            return Arm(condition: "\(MappingGrammar.fieldName(f.name)) == true", value: value, subject: nil, patterns: [])
        }
        guard !fromVals.isEmpty else { return nil }
        // Which source field holds these values.
        let subject: Field?
        let candidates = named.isEmpty ? source.fields.filter { $0.values != nil } : named
        // "for Working - Contacted leads": the words spell one value of one picklist.
        if fromVals.count > 1, fromVals.allSatisfy({ $0.kind == .word }) {
            let joined = ValueReader.loose(fromVals.map(\.text).joined())
            let spelled = candidates.compactMap { f in f.values?.first { ValueReader.loose($0) == joined }.map { (f, $0) } }
            let writable = spelled.filter { !$0.0.readOnly }
            if let (f, v) = (spelled.count == 1 ? spelled.first : writable.count == 1 ? writable.first : nil) {
                let name = MappingGrammar.fieldName(f.name)
                let lit = ConditionReader.typed(v, f)
                return Arm(condition: "\(name) == \(lit)", value: value, subject: f, patterns: [lit])
            }
        }
        // "Order Completed -> purchase": words with nothing between them are one value, never a list of
        // values; of a free-text field named in the sentence, or not read.
        let separated = fromTokens.contains { $0.isWord("and", "or") || $0.isPunct(",") }
        if fromVals.count > 1, fromVals.allSatisfy({ $0.kind == .word }), !separated {
            guard named.count == 1, let f = named.first, f.values == nil, f.type.baseType == .string else { return nil }
            let lit = Formatter.stringLiteral(fromVals.map { $0.afterDash ? "- " + $0.text : $0.text }.joined(separator: " "))
            return Arm(condition: "\(MappingGrammar.fieldName(f.name)) == \(lit)", value: value, subject: f, patterns: [lit])
        }
        var holding = candidates.filter { f in
            fromVals.allSatisfy { v in ConditionReader.literal(v, for: f).map { f.values == nil || f.values!.contains($0) } ?? false }
        }
        // A field whose name extends another's (`status_if_new` beside `status`) gives way to it.
        holding = holding.filter { f in !holding.contains { $0.name != f.name && f.name.hasPrefix($0.name) } }
        // Several picklists hold the values (hs_analytics_source and hs_latest_source): the writable one
        // whose name is most like the destination's.
        if holding.count > 1, named.isEmpty {
            let writable = holding.filter { !$0.readOnly }
            if !writable.isEmpty { holding = writable }
            let scored = holding.map { ($0, Vocabulary.nameSimilarity($0.name, d.name)) }.sorted { $0.1 > $1.1 }
            if scored.count > 1, scored[0].1 > scored[1].1 { holding = [scored[0].0] }
        }
        if holding.count == 1 {
            subject = holding[0]
        } else if named.count == 1, named[0].type.baseType == .string {
            subject = named[0]
        } else if named.isEmpty, holding.isEmpty, sentence.count == 1, sentence[0].type.baseType == .string, sentence[0].values == nil {
            // The field is named in another clause of the sentence ("…; for any other event use event").
            subject = sentence[0]
        } else if named.isEmpty, holding.isEmpty, let recent = context.first(where: { $0.type.baseType == .string && $0.values == nil }) {
            // The phrase names no field and no picklist holds the values: the text field an earlier
            // sentence compared (flagged for review by the caller).
            subject = recent
        } else {
            return nil
        }
        guard let s = subject else { return nil }
        var pats: [String] = []
        if s.values == nil, s.type.baseType == .string, separated, fromVals.allSatisfy({ $0.kind == .word }) {
            // "United States or USA -> US": values of a free-text field are the words between the separators.
            var groups: [[String]] = [[]]
            for t in fromTokens {
                if t.isWord("and", "or") || t.isPunct(",") {
                    if !(groups.last?.isEmpty ?? true) { groups.append([]) }
                } else if fromVals.contains(where: { $0.text == t.text && $0.kind == t.kind }) {
                    // "API - Generic": a dash between the words of one value stays in it.
                    if t.afterDash, !(groups.last?.isEmpty ?? true) { groups[groups.count - 1].append("-") }
                    groups[groups.count - 1].append(t.text)
                }
            }
            pats = groups.filter { !$0.isEmpty }.map { Formatter.stringLiteral($0.joined(separator: " ")) }
        } else {
            for v in fromVals {
                guard let l = ConditionReader.literal(v, for: s) else { pats = []; break }
                pats.append(ConditionReader.typed(l, s))
            }
        }
        // "for Working - Contacted leads": one value spelled in several words.
        if pats.isEmpty
            || s.values != nil && !fromVals.allSatisfy({ v in ConditionReader.literal(v, for: s).map { s.values!.contains($0) } ?? false })
        {
            guard fromVals.count > 1, fromVals.allSatisfy({ $0.kind == .word }), let values = s.values,
                let v = values.first(where: { ValueReader.loose($0) == ValueReader.loose(fromVals.map(\.text).joined()) })
            else { return nil }
            pats = [ConditionReader.typed(v, s)]
        }
        let name = MappingGrammar.fieldName(s.name)
        return Arm(condition: pats.map { "\(name) == \($0)" }.joined(separator: " or "), value: value, subject: s, patterns: pats)
    }
}
