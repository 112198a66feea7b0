import Foundation
import MapDSL

/// Sentence-level phrasings of round 8 (issue 18) that adjust what the other readers give: a join's remark
/// on a missing part, shorthand words for field names, and the honesty checks that go with them.
enum SentencePhrases {
    // MARK: A join's remark on a missing part

    /// "(just whichever one exists when one of them is missing)", "; if one of them is missing just the other
    /// one", "(only the last name if there's no first name)": a remark that says what `join` does with a
    /// blank part. It says nothing of both parts being blank, so the join stays plain (all blank gives "").
    static let joinRemarks: [String] = [
        #"\s*\(\s*(just|only) (whichever|the one)( one)?( that)? (exists|is there|is present|is set|is filled( in)?)\s*(,\s*)?(when|if) (one|either)( of (them|the two|both))? is (missing|empty|blank)\s*\)"#,
        #"\s*[;,]?\s*\(?\s*(and )?(if|when) (one|either)( of (them|the two|both))? is (missing|empty|blank)\s*,?\s*(just |only |use )?(the other( one)?|whichever (one )?(exists|is there|is present|is set))\s*\)?"#,
        #"\s*\(\s*(just|only) the [a-z]+( [a-z]+)? if there(['’]s| is) no [a-z]+( [a-z]+)?\s*\)"#,
    ]

    /// The sentence without its join remark, or nil when it has none.
    static func withoutJoinRemark(_ sentence: String) -> String? {
        for p in joinRemarks {
            if let r = sentence.range(of: p, options: [.regularExpression, .caseInsensitive]) {
                var s = sentence
                s.replaceSubrange(r, with: "")
                return s
            }
        }
        return nil
    }

    /// `null_if_blank(join(…))` as a whole value: the `join(…)` inside it.
    static func plainJoin(_ text: String) -> String? {
        let head = "null_if_blank(join("
        guard text.hasPrefix(head), text.hasSuffix("))") else { return nil }
        let inner = String(text.dropFirst("null_if_blank(".count).dropLast())
        // The inner text must be one call: its parentheses close only at its end.
        var depth = 0
        var quoted = false
        for (k, c) in inner.enumerated() {
            if c == "\"" { quoted.toggle() }
            if quoted { continue }
            if c == "(" { depth += 1 }
            if c == ")" {
                depth -= 1
                if depth == 0, k != inner.count - 1 { return nil }
            }
        }
        return depth == 0 ? inner : nil
    }

    /// Reads a sentence with a join remark: the sentence without it, whose joins become plain. Nil when the
    /// sentence has no remark, or the rest gives no join whole.
    static func readJoinRemark(_ sentence: String, reader: SentenceReader) -> SentenceOutcome? {
        guard let plain = withoutJoinRemark(sentence) else { return nil }
        var o = reader.read(plain)
        guard o.unread.isEmpty else { return nil }
        var changed = false
        for i in o.assignments.indices {
            if let j = plainJoin(o.assignments[i].value.text) {
                o.assignments[i].value.text = j
                changed = true
            }
        }
        return changed ? o : nil
    }

    // MARK: Asides that leave a value as it is

    /// "(no change)", ", unchanged", ", as is", "(copied verbatim)": a remark that the value is a plain copy.
    static let copyRemark =
        #"\s*(\(\s*(no changes?|unchanged|as[ -]is|untouched|verbatim|copied( over| as[ -]is| verbatim)?|straight (across|copy)|no cleanup)\s*\)|,\s*(no changes?|unchanged|as[ -]is|untouched|verbatim|straight (across|copy)|no cleanup)\s*(?=[.;]?\s*$))"#

    /// "for every lead", "on all of these", "for these", "in every case": a remark that a rule holds for
    /// every record, at the end of the sentence (not "for every other plan", not "for all contacts whose …").
    static let everyRecord =
        #"\s*,?\s*\b(for|on|to|across|in) (every|each|all|any|these|those|them|everyone|everybody|all cases|every case)( of)?( the| these| those| them| our)?( [a-z]+)?\s*(?=[.;]?\s*$)"#

    /// Reads a sentence that was not read whole once more without asides that only say the value is a plain
    /// copy or holds for every record, and without a parenthesis that names no field and holds no value
    /// ("(self-serve users asked not to be called)"). Nil unless the rest reads whole as copies (after a copy
    /// remark) or copies and constants.
    static func readWithoutAsides(_ sentence: String, reader: SentenceReader) -> SentenceOutcome? {
        var text = sentence
        var explained = false
        if let open = text.lastIndex(of: "("), let close = text[open...].firstIndex(of: ")") {
            let inner = String(text[text.index(after: open)..<close])
            let t = SentenceTokens(inner, source: reader.source, destination: reader.destination).tokens
            let rest = text[text.index(after: close)...].trimmingCharacters(in: CharacterSet(charactersIn: " .;"))
            let remark = "(\(inner))".range(of: copyRemark, options: [.regularExpression, .caseInsensitive]) != nil
            // "(except for VIPs)", "(unless it is a test)": words that change the rule, not explain it.
            let changes =
                inner.range(
                    of: #"\b(except|unless|but|if|when|whenever|excluding|besides|apart|without)\b|\b(not|never|no) (for|if|when|on|in)\b"#,
                    options: [.regularExpression, .caseInsensitive]) != nil
            if rest.isEmpty, !t.isEmpty, !remark, !changes,
                !t.contains(where: { $0.source != nil || $0.destination != nil || $0.kind == .quoted || $0.text.first?.isNumber == true })
            {
                text.replaceSubrange(open...close, with: "")
                explained = true
            }
        }
        var copySaid = false
        if let r = text.range(of: copyRemark, options: [.regularExpression, .caseInsensitive]) {
            text.replaceSubrange(r, with: "")
            copySaid = true
        }
        var scoped = false
        if let r = text.range(of: everyRecord, options: [.regularExpression, .caseInsensitive]) {
            let said = text[r].lowercased()
            if !["other", "else", "whose", "with", "who", "that", "where", "except", "but"].contains(where: { said.contains($0) }) {
                text.replaceSubrange(r, with: "")
                scoped = true
            }
        }
        guard copySaid || scoped || explained, text != sentence else { return nil }
        let o = reader.read(text)
        // "…, and so are calls that have no userId (anonymous visitors only)": skips with an explaining parenthesis.
        if explained, !copySaid, !scoped, o.unread.isEmpty, o.assignments.isEmpty, !o.skips.isEmpty { return o }
        let kinds: Set<ReadValue.Kind> = copySaid ? [.copy] : [.copy, .constant]
        guard o.unread.isEmpty, !o.assignments.isEmpty, o.skips.isEmpty, o.assignments.allSatisfy({ kinds.contains($0.value.kind) })
        else { return nil }
        return o
    }

    // MARK: Presence said in other words

    /// "there is any utm source", "there's a company", "the company exists", "a phone is there": the field
    /// is present, said as "FIELD is present"; other conditions stay as they are.
    /// "a campaign source" for `context.campaign.source` (label "UTM Source"): in a condition that names no
    /// field, two or three words in a row that all are words of one source field's name or label, and of no
    /// other's, name that field.
    static func fieldInWords(_ t: [ProseToken], source: Schema) -> [ProseToken] {
        guard !t.contains(where: { $0.source != nil }) else { return t }
        func parts(_ f: Field) -> Set<String> {
            Set((f.name + " " + (f.label ?? "")).lowercased().split(whereSeparator: { !$0.isLetter }).map(String.init))
        }
        for n in [3, 2] {
            var i = 0
            while i + n <= t.count {
                let span = t[i..<(i + n)]
                if span.allSatisfy({
                    $0.kind == .word && $0.destination == nil && $0.lower.count >= 3 && !ConditionReader.keywords.contains($0.lower)
                        && !ConditionReader.fillers.contains($0.lower)
                }) {
                    let hits = source.fields.filter { f in span.allSatisfy { parts(f).contains($0.lower) } }
                    if hits.count == 1 {
                        let f = hits[0]
                        let token = ProseToken(kind: .word, text: f.name, lower: f.name.lowercased(), source: f)
                        return Array(t[..<i]) + [token] + Array(t[(i + n)...])
                    }
                }
                i += 1
            }
        }
        return t
    }

    static func presenceSaid(_ t: [ProseToken]) -> [ProseToken] {
        let present = [
            ProseToken(kind: .word, text: "is", lower: "is"), ProseToken(kind: .word, text: "present", lower: "present"),
        ]
        let fields = t.indices.filter { t[$0].source != nil }
        guard fields.count == 1, let at = fields.first else { return t }
        let before = t[..<at].map(\.lower)
        let after = t[(at + 1)...].filter { !$0.isPunct(",") }.map(\.lower)
        let articles: Set<String> = ["a", "an", "any", "some", "the"]
        // "there is (any) X", "there's a X", "there are X".
        if let k = before.firstIndex(of: "there"), k + 1 < before.count, ["is", "are", "s", "'s"].contains(before[k + 1]),
            before[(k + 2)...].allSatisfy(articles.contains), after.isEmpty
        {
            return Array(t[..<k]) + [t[at]] + present
        }
        // "X exists", "X is there", "X is available".
        if after == ["exists"] || after == ["exist"] || after == ["is", "there"] || after == ["is", "available"],
            before.allSatisfy(articles.contains)
        {
            return Array(t[...at]) + present
        }
        return t
    }

    // MARK: A value with an empty case

    /// "Rating is Warm, but leave it blank when the stage is subscriber", "Leave Rating empty when the stage is
    /// subscriber; otherwise Warm", "Description stays empty if X is missing, else Y": the value, and null
    /// when the condition holds (`if C then null else V`). Nil for anything else, or a field that must be filled.
    static func valueWithEmptyCase(_ sentence: String, reader: SentenceReader) -> SentenceOutcome? {
        let t = SentenceTokens(sentence, source: reader.source, destination: reader.destination).tokens.filter { !$0.isPunct(".") }
        let dests = t.indices.filter { t[$0].destination != nil && (t[$0].source == nil || t[$0].text == t[$0].destination?.name) }
        guard let dAt = dests.first, let d = t[dAt].destination, d.nullable, !d.required,
            Set(dests.map { t[$0].destination!.name }).count == 1
        else { return nil }
        let emptyWords: Set<String> = ["empty", "blank", "null", "unset", "out"]
        guard let leave = t.firstIndex(where: { $0.isWord("leave", "keep", "stays", "stay", "remains", "remain", "left") }),
            let when = t[leave...].firstIndex(where: { $0.isWord("when", "if", "whenever") }),
            t[leave..<when].contains(where: { emptyWords.contains($0.lower) }),
            t[(leave + 1)..<when].allSatisfy({
                emptyWords.contains($0.lower) || $0.isWord("it", "the", "field", "value", "is", "be") || $0.destination?.name == d.name
            })
        else { return nil }
        // The value: before "leave" ("D is V, but leave …") or after "otherwise/else" ("leave D empty when C; otherwise V").
        var valueTokens: [ProseToken]
        var condEnd = t.count
        if let other = t[when...].firstIndex(where: { $0.isWord("otherwise", "else") }) {
            guard
                t[..<leave].allSatisfy({
                    $0.isWord("the", "and", "but", "please", "just") || $0.isPunct(",", ";", ":") || $0.destination?.name == d.name
                })
            else { return nil }
            valueTokens = Array(t[(other + 1)...])
            condEnd = other
        } else {
            guard dAt < leave else { return nil }
            valueTokens = Array(t[(dAt + 1)..<leave])
        }
        valueTokens = valueTokens.filter {
            !($0.isPunct(",", ";", ":", "=")
                || $0.isWord("is", "it", "are", "be", "should", "always", "use", "but", "and", "just", "set", "to"))
        }
        var cond = Array(t[(when + 1)..<condEnd])
        while let l = cond.last, l.isPunct(",", ";") { cond.removeLast() }
        guard !valueTokens.isEmpty, !cond.isEmpty, let c = ConditionReader.read(cond, source: reader.source) else { return nil }
        let values = ValueReader(source: reader.source, destination: reader.destination, d: d)
        let v: String
        if valueTokens.count == 1, valueTokens[0].source == nil, let lit = values.literal(valueTokens[0]) {
            v = lit
        } else if let r = values.read(valueTokens), r.kind == .copy {
            v = r.text
        } else if valueTokens.allSatisfy({ $0.kind == .word && $0.source == nil }),
            let lit = values.literal(ValueReader.joined(valueTokens))
        {
            v = lit
        } else {
            return nil
        }
        var o = SentenceOutcome()
        o.namesDestination = true
        let text = "if \(c.text) then null else \(v.contains(" ") && !v.hasPrefix("\"") ? "(\(v))" : v)"
        o.assignments.append(
            .init(field: d, value: ReadValue(text: text, kind: .condition, chainFields: c.fields), confidence: 0.9, note: "named in prose"))
        return o
    }

    /// Negations written short ("isn't", "aren't", "doesn't equal") as "is not", so conditions read them.
    static func negationsSpelled(_ t: [ProseToken]) -> [ProseToken] {
        var out: [ProseToken] = []
        var i = 0
        let isTok = ProseToken(kind: .word, text: "is", lower: "is")
        let notTok = ProseToken(kind: .word, text: "not", lower: "not")
        while i < t.count {
            let x = t[i]
            if x.kind == .word, x.source == nil, ["isn't", "isn’t", "aren't", "aren’t"].contains(x.lower) {
                out += [isTok, notTok]
                i += 1
                continue
            }
            if x.kind == .word, x.source == nil, ["isn", "aren"].contains(x.lower), i + 1 < t.count, t[i + 1].isWord("t") {
                out += [isTok, notTok]
                i += 2
                continue
            }
            out.append(x)
            i += 1
        }
        return out
    }

    /// "revenue is between 100 and 500", "the head count is not between 10 and 50": a range of a number field.
    static func between(_ t: [ProseToken], source: Schema) -> ReadCondition? {
        let fields = t.filter { $0.source != nil }
        guard fields.count == 1, let f = fields[0].source, f.type.baseType == .int || f.type.baseType == .decimal,
            let b = t.firstIndex(where: { $0.isWord("between") }), b + 3 < t.count + 0, t[b + 2].isWord("and"),
            let lo = Double(t[b + 1].text), let hi = Double(t[b + 3].text), lo <= hi, b + 4 == t.count
        else { return nil }
        let at = t.firstIndex { $0.source != nil }!
        guard at < b else { return nil }
        let middle = t[(at + 1)..<b].map(\.lower)
        guard middle.allSatisfy({ ["is", "are", "not", "falls", "lies", "of"].contains($0) }),
            t[..<at].allSatisfy({ $0.kind == .word && ConditionReader.fillers.contains($0.lower) })
        else { return nil }
        let name = ConditionReader.fname(f)
        let a = t[b + 1].text
        let z = t[b + 3].text
        let text = middle.contains("not") ? "\(name) < \(a) or \(name) > \(z)" : "\(name) >= \(a) and \(name) <= \(z)"
        return ReadCondition(text: text, fields: [f], literals: [])
    }

    // MARK: Shorthand

    /// Shorthand words for the words of field names ("txn id", "anon id", "qty").
    static let shorthand: [String: String] = [
        "txn": "transaction", "trx": "transaction", "anon": "anonymous", "qty": "quantity", "addr": "address", "acct": "account",
        "msg": "message",
    ]

    /// The text with each shorthand word spelled out ("txn id" → "transaction id"); "w/" and "w/o" become
    /// "with" and "without".
    static func spellOutShorthand(_ text: String) -> String {
        let text = comparisonsSpelled(text)
        guard
            text.range(of: #"\b(txn|trx|anon|qty|addr|acct|msg|w/o?)(?=[\s,.;:)]|$)"#, options: [.regularExpression, .caseInsensitive])
                != nil
        else { return text }
        var out = text
        out = out.replacingOccurrences(of: #"\b[wW]/[oO](?=\s)"#, with: "without", options: .regularExpression)
        out = out.replacingOccurrences(of: #"\b[wW]/(?=\s)"#, with: "with", options: .regularExpression)
        for (short, long) in shorthand {
            out = out.replacingOccurrences(
                of: #"\b"# + short + #"\b(?![.\-_/])"#, with: long, options: [.regularExpression, .caseInsensitive])
        }
        return out
    }

    /// Comparison signs and long comparisons in words ("> 500", "≥ 10M", "greater than or equal to 5", "as long
    /// as") spelled as the words conditions read ("over 500", "at least 10M", "at least 5", "when"); a sign
    /// the tokens would drop otherwise reads as "is".
    static func comparisonsSpelled(_ text: String) -> String {
        guard
            text.range(
                of:
                    #"[<>≥≤]|than or equal|\b(as|so) long as\b|\bno (more|less|fewer) than\b|\bprovided that\b|whichever|(exactly|precisely) (when|if)|;\s*(no|neither|none|nothing)\b"#,
                options: [.regularExpression, .caseInsensitive]) != nil
        else { return text }
        var out = text
        let rules: [(String, String)] = [
            (#"(?<![^\s(])(?:>=|≥)\s*(?=\$?-?\d)"#, " at least "),
            (#"(?<![^\s(])(?:<=|≤)\s*(?=\$?-?\d)"#, " at most "),
            (#"(?<![^\s(])>\s*(?=\$?-?\d)"#, " over "),
            (#"(?<![^\s(])<\s*(?=\$?-?\d)"#, " under "),
            (#"\b(greater|more|higher|bigger|larger) than or equal to\b"#, "at least"),
            (#"\b(less|lower|smaller|fewer) than or equal to\b"#, "at most"),
            (#"\bno (more|greater|higher) than\b"#, "at most"),
            (#"\bno (less|fewer|lower) than\b"#, "at least"),
            (#"\b(as|so) long as\b"#, "when"),
            (#"\bprovided that\b"#, "when"),
            (#"\b(exactly|precisely) (when|if)\b"#, "$2"),
            // "anonymousId; no anon → userId; neither → "unknown"": fallbacks in shorthand, one clause each.
            (#";\s*no ([\w.]+(?: [\w.]+)?)(?: either| too)?\s*(?:→|->)\s*"#, "; if there's no $1 use "),
            (#";\s*(?:neither|none|nothing)(?: either| of them)?\s*(?:→|->)\s*"#, "; if neither, "),
            // "mobilephone or phone, whichever is filled": the first, or the second when the first is empty.
            (
                #"\b([\w.]+) (?:or|and) ([\w.]+),? whichever (?:one )?(?:is (?:filled( in)?|set|present|there|not empty|available|given)|exists|has a value)"#,
                "$1, or $2 if that is empty"
            ),
            (
                #"\bwhichever of ([\w.]+) (?:or|and) ([\w.]+) (?:is (?:filled( in)?|set|present|there|not empty|available|given)|exists|has a value)"#,
                "$1, or $2 if that is empty"
            ),
        ]
        for (pattern, words) in rules {
            out = out.replacingOccurrences(of: pattern, with: words, options: [.regularExpression, .caseInsensitive])
        }
        return out
    }

    // MARK: A copy with a default for when it is empty

    /// "BillingCountry = country, United States when it's empty", "D is S; use Other if it is blank", "D = S,
    /// and when that's missing put N/A", "D is S, defaulting to Unknown": the copy, else the text (empty text
    /// counts as missing). The default may be unquoted words. Nil for anything else.
    static func copyWithDefault(_ sentence: String, reader: SentenceReader) -> SentenceOutcome? {
        var t = SentenceTokens(sentence, source: reader.source, destination: reader.destination).tokens
        while let l = t.last, l.isPunct(".", ",", ";") { t.removeLast() }
        guard let first = t.first(where: { !$0.isWord("the") }), let d = first.destination,
            first.source == nil || first.text == d.name, d.type == .string || d.type == .picklist,
            let dAt = t.firstIndex(where: { $0.destination?.name == d.name })
        else { return nil }
        // The copy: up to the first comma or semicolon.
        guard let cut = t.indices.first(where: { $0 > dAt && t[$0].isPunct(",", ";") }) else { return nil }
        var head = Array(t[(dAt + 1)..<cut])
        while let f = head.first, f.isPunct("=", ":") || f.isWord("is", "comes", "from", "gets", "takes", "should", "be", "copies", "copy")
        {
            head.removeFirst()
        }
        let values = ValueReader(source: reader.source, destination: reader.destination, d: d)
        guard head.filter({ $0.source != nil }).count == 1, let copy = values.copy(head), copy.kind == .copy,
            let s = copy.sourceField.flatMap({ reader.source.field($0) }), s.type.baseType == .string
        else { return nil }
        // The default clause.
        var rest = Array(t[(cut + 1)...].filter { !$0.isPunct(",") })
        while let f = rest.first, f.isWord("and", "but", "or", "otherwise", "else", "then", "so", "just") { rest.removeFirst() }
        let actions: Set<String> = ["use", "put", "write", "send", "set", "fill", "fall", "defaulting", "defaults", "default", "take"]
        let linking: Set<String> = ["to", "in", "back", "on", "it", "with", "the", "text", "value"]
        let emptiness: Set<String> = ["empty", "blank", "missing", "null", "unset", "absent", "nothing", "none"]
        let condFillers: Set<String> = [
            "it", "it's", "is", "that", "that's", "s", "there", "there's", "no", "not", "isn't", "isn", "t", "set", "value", "the", "field",
            "given", "filled", "in", "one",
        ]
        var valueWords: [ProseToken] = []
        var condition: [ProseToken] = []
        if let w = rest.firstIndex(where: { $0.isWord("when", "if", "whenever") }) {
            condition = Array(rest[(w + 1)...])
            var before = Array(rest[..<w])
            // "… when it's empty put V": the value after the condition.
            if before.isEmpty, let act = condition.firstIndex(where: { actions.contains($0.lower) }) {
                before = Array(condition[act...])
                condition = Array(condition[..<act])
            }
            while let f = before.first, f.kind == .word, actions.contains(f.lower) || linking.contains(f.lower) { before.removeFirst() }
            valueWords = before
        } else if let f = rest.first, f.isWord("defaulting", "defaults", "default") {
            valueWords = Array(rest.dropFirst().drop { linking.contains($0.lower) })
            condition = [ProseToken(kind: .word, text: "empty", lower: "empty")]
        } else {
            return nil
        }
        guard !valueWords.isEmpty, valueWords.count <= 4, condition.contains(where: { emptiness.contains($0.lower) }),
            condition.allSatisfy({
                emptiness.contains($0.lower) || condFillers.contains($0.lower) || $0.source?.name == s.name
                    || $0.destination?.name == d.name
            }),
            valueWords.allSatisfy({
                $0.source == nil && ($0.kind == .quoted || $0.kind == .word && !ConditionReader.keywords.contains($0.lower))
            })
        else { return nil }
        let token = valueWords.count == 1 ? valueWords[0] : ValueReader.joined(valueWords)
        guard let lit = values.literal(token) ?? (valueWords.count > 1 ? nil : values.literal(ValueReader.joined(valueWords))) else {
            return nil
        }
        var o = SentenceOutcome()
        o.namesDestination = true
        let value = ReadValue(text: "null_if_blank(\(copy.text)) ?? \(lit)", kind: .fallback, chainFields: [s])
        o.assignments.append(.init(field: d, value: value, confidence: 0.9, note: "named in prose"))
        return o
    }

    /// Whether reading `e` says more than `o` of the same sentence: `o` read nothing, left words unread, or
    /// gave only a plain copy of the field `e` fills.
    static func widens(_ o: SentenceOutcome, to e: SentenceOutcome) -> Bool {
        guard o.skips.isEmpty, o.key == nil, o.sameAs == nil, o.defaultForPrevious == nil else { return false }
        if o.assignments.isEmpty || !o.unread.isEmpty { return true }
        return o.assignments.count == 1 && o.assignments[0].field.name == e.assignments.first?.field.name
            && o.assignments[0].value.kind == .copy
    }

    /// Rules that hold a source field's name as text ("context.campaign.name" in quotes) where the sentence
    /// names that field: the field was read as a value. One reason per rule.
    static func fieldsReadAsText(_ o: SentenceOutcome, tokens: [ProseToken], source: Schema) -> [String] {
        let named = Set(tokens.compactMap(\.source).map(\.name))
        var out: [String] = []
        for a in o.assignments {
            // Only names no word spells ("context.campaign.name", "hs_object_id", "firstName"); "email" may be a value.
            let identifiers = named.sorted().filter { n in
                n.contains(".") || n.contains("_") || n.dropFirst().contains(where: \.isUppercase)
            }
            if let f = identifiers.first(where: { a.value.text.contains(Formatter.stringLiteral($0)) }) {
                out.append("\(a.field.name): the field \(f) is read as text")
            }
        }
        return out
    }

    /// A parenthesis that makes an exception ("(except for partners)", "(unless they opted in)") beside rules
    /// read from the rest of the sentence: the exception was not read.
    static func exceptionInParentheses(_ sentence: String, _ o: SentenceOutcome) -> [String] {
        guard !o.assignments.isEmpty || !o.skips.isEmpty,
            sentence.range(
                of: #"\([^)]*\b(except|unless|excluding|besides|apart from|other than|but not)\b[^)]*\)"#,
                options: [.regularExpression, .caseInsensitive]) != nil
        else { return [] }
        return ["an exception in parentheses it could not read"]
    }

    // MARK: A condition, then "no record is written"

    /// "Given a call without properties.email, then no lead is created", "When the source is empty, no lead
    /// should be created", "For calls without an email, nothing is sent": a skip when the condition holds.
    /// Nil unless the condition reads whole.
    static func conditionThenNoRecord(_ sentence: String, reader: SentenceReader) -> SentenceOutcome? {
        let pattern =
            #"^\s*(?:given|if|when|whenever|for|in case)\s+(.+?),\s*(?:then\s+)?(?:no|nothing)(?:\s+([a-z]+))?\s+(?:is|are|gets|get|should be|must be|will be|shall be|may be|can be)\s+(?:written|created|sent|synced|made|pushed|produced|imported|upserted|generated|forwarded|loaded)\s*[.!]?\s*$"#
        guard let re = try? NSRegularExpression(pattern: pattern, options: [.caseInsensitive]),
            let m = re.firstMatch(in: sentence, range: NSRange(sentence.startIndex..., in: sentence)),
            let r = Range(m.range(at: 1), in: sentence)
        else { return nil }
        // "no Website is written" leaves a field out, not the record.
        if let n = Range(m.range(at: 2), in: sentence),
            SentenceTokens(String(sentence[n]), source: reader.source, destination: reader.destination).tokens.contains(where: {
                $0.destination != nil || $0.source != nil
            })
        {
            return nil
        }
        let tokens = SentenceTokens(String(sentence[r]), source: reader.source, destination: reader.destination).tokens
        var o = SentenceOutcome()
        guard !tokens.contains(where: { $0.destination != nil && $0.source == nil }),
            let c = ConditionReader.read(tokens, source: reader.source)
        else {
            o.unread = ["a skip condition it could not read"]
            return o
        }
        o.skips = [(c.text, 0.9)]
        return o
    }

    // MARK: "if C, V"

    /// Whether a segment so far is a leading condition with no value yet ("if the type is PARTNER", "else if
    /// it is OTHER"): the comma that follows separates it from its value, not from the next arm.
    static func conditionBeforeValue(_ seg: [ProseToken]) -> Bool {
        let body = seg.drop { $0.isWord("else", "otherwise", "and", "but") || $0.isPunct(",") }
        guard let first = body.first, first.isWord("if", "when", "whenever"), body.count > 2 else { return false }
        return !body.contains { $0.isPunct(",", "->") || $0.isWord("then", "use", "gives", "give", "becomes", "become") }
    }

    /// "if the type is PARTNER, Warm": a condition, a comma, and one value word (or a quoted value) after it.
    static func conditionThenValue(_ c: [ProseToken]) -> Bool {
        guard c.first?.isWord("if", "when", "whenever") == true, let comma = c.firstIndex(where: { $0.isPunct(",") }), comma > 2
        else { return false }
        let value = c[(comma + 1)...].filter { !$0.isPunct(".") }
        return value.count == 1 && (value[value.startIndex].kind == .quoted || value[value.startIndex].kind == .word)
    }

    /// Whether a comma goes on with a list of values a condition opened ("… is not one of PROSPECT, PARTNER,
    /// otherwise …"): the segment has "one of" / "none of" after its condition word, and one value comes next,
    /// then a comma, "or", "and", a semicolon or the end (not a value with its own condition).
    static func listContinues(_ current: [ProseToken], _ rest: [ProseToken]) -> Bool {
        guard let cond = current.lastIndex(where: { $0.isWord("if", "when", "whenever", "unless") }) else { return false }
        let after = Array(current[(cond + 1)...])
        guard after.indices.contains(where: { $0 + 1 < after.count && after[$0].isWord("one", "none") && after[$0 + 1].isWord("of") }),
            let next = rest.first, next.kind == .word || next.kind == .quoted, next.source == nil, next.destination == nil,
            !ConditionReader.keywords.contains(next.lower), !next.isWord("otherwise", "else", "anything", "everything")
        else { return false }
        guard rest.count > 1 else { return true }
        return rest[1].isPunct(",", ";", ".") || rest[1].isWord("or", "and", "nor")
    }

    // MARK: Honesty

    /// Whether a phrase holds a condition of its own ("Web when a campaign source is present", "X if the plan
    /// is pro"), not only one that the value is missing ("otherwise, or if it is empty, Other").
    static func hasOwnCondition(_ seg: [ProseToken]) -> Bool {
        let empty: Set<String> = [
            "it", "is", "it's", "s", "there", "there's", "no", "value", "nothing", "none", "set", "not", "isn't", "isn", "t", "the",
            "field", "empty", "blank", "missing", "null", "unset", "absent", "any", "one", "given", "known", "filled",
        ]
        for (k, t) in seg.enumerated() where t.isWord("when", "if", "whenever", "unless", "where") {
            let clause = seg[(k + 1)...].prefix { !$0.isPunct(",", ";", ")") }
            if clause.isEmpty || clause.contains(where: { $0.kind != .word || !empty.contains($0.lower) }) { return true }
        }
        return false
    }

    /// A sentence that continues the rule of the sentence before (it opens with "if", "when", "otherwise" …)
    /// and names no destination field but those that rule fills ("When the app didn't send a first name, …"
    /// after "firstname = …").
    static func continuesRuleBefore(_ tokens: [ProseToken], fields: Set<String>) -> Bool {
        guard !fields.isEmpty, let first = tokens.first(where: { $0.kind == .word }),
            ["if", "when", "whenever", "where", "otherwise", "else", "unless", "but", "in"].contains(first.lower)
        else { return false }
        let named = tokens.compactMap(\.destination).map(\.name)
        return !named.isEmpty && named.allSatisfy(fields.contains)
    }

    /// Whether a sentence listed as not implemented names a destination field: the prose then states its
    /// fields, and a name match for a field it does not name is no reading of it.
    static func unreadNamesFields(_ texts: [String], unread: [Int: [String]], source: Schema, destination: Schema) -> Bool {
        unread.keys.contains { n in
            n >= 1 && n <= texts.count
                && SentenceTokens(texts[n - 1], source: source, destination: destination).tokens.contains {
                    $0.destination != nil || $0.kind == .quoted && destination.field($0.text) != nil
                }
        }
    }
}
