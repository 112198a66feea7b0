import MapDSL

/// Reads a value map at clause level: an optional lead-in that names the compared field ("from the
/// lead status:", "by utm source:", "depends on the Lead Status:", "Member Rating, …"), then arms
/// separated by `,`, `;`, `/` or "and"/"or" between whole arms, each in one of the forms
///
/// - `A → V`, `A: V`, `A = V`, `A is V`, `A and B are V`, `A becomes V`, `A gives V`;
/// - `V for A`, `V for A and B`;
/// - `A V` (two words: "Hot 100", "Germany DE");
/// - `V when/if COND`, `if COND then V`, `V unless COND` (a condition on any field, "it" the compared one);
///
/// where A are values of the compared field (picklist values by any spelling, several words of a free-text
/// value, numbers and number ranges "10000 and up", "1000 up to 9999.99", "below 1000"), or "no X",
/// "none", "missing", "unrated" (the null case); and defaults "anything else …", "any other X …", "all
/// other X (including no X) are V", "V for everyone else", "V otherwise", "otherwise V", "else V", "if
/// not, V". The value V is a literal of the destination's type, "leave it blank" (null), or
/// "unchanged" / "keep the code itself" (the compared field). Every word must be accounted for;
/// anything else gives nil and the sentence is left to the other readers (and listed).
struct ValuesMapReader {
    let reader: ValueReader
    /// Whether a map that names no compared field may take the one the destination's name names
    /// ("country code" → `country`); the reading is then `borrowed` (flagged).
    var guessSubject = false

    var source: Schema { reader.source }
    var d: Field { reader.d }

    /// One arm of the map.
    struct Arm {
        enum Pattern {
            /// A literal of the subject (already typed: `"x"`, `4`, `true`).
            case literal(String)
            /// The subject is null or blank.
            case none
            /// A condition text (a number range on the subject, or any condition).
            case condition(String, fields: [Field])
        }

        var patterns: [Pattern]
        /// The default arm ("anything else").
        var isDefault = false
        /// The destination value's text, or `subjectMarker` for the compared field itself.
        var value: String
    }

    static let subjectMarker = "\u{1}subject"

    /// Words that only say what the compared values are ("statuses", "stages") or link an arm.
    static let patternFillers: Set<String> = [
        "the", "a", "an", "value", "values", "code", "codes", "status", "statuses", "stage", "stages", "type", "types", "leads", "lead's",
        "contacts", "members", "records", "accounts", "companies", "events", "ones", "users", "people", "subscribers", "country",
        "countries", "source", "sources", "rating", "ratings", "tier", "level", "category", "their", "its", "with", "whose", "rated",
        "of", "in", "who", "that", "are", "is", "field", "property", "trait", "member", "contact", "record", "account", "company",
        "event", "user", "person", "lead", "name", "names", "stays", "currently", "still",
    ]

    static let defaultOpeners: Set<String> = [
        "anything", "everything", "everyone", "everybody", "anyone", "anybody", "rest", "others", "other", "else", "otherwise",
        "remaining", "unrecognised", "unrecognized", "all",
    ]

    static let nullWords: Set<String> = [
        "none", "missing", "blank", "empty", "null", "unknown", "unrated", "unset", "nothing", "absent", "unspecified", "no", "without",
        "n/a", "not", "set", "given", "provided", "at", "all", "there", "is", "isn't", "when", "if", "has", "have", "value",
    ]

    static let leadInFillers: Set<String> = [
        "from", "by", "based", "on", "depends", "depending", "the", "its", "their", "a", "an", "score", "scored", "value", "values", "of",
        "hubspot", "salesforce", "sf", "sfdc", "mailchimp", "mc", "segment", "ga4", "field", "property", "trait", "our", "own",
        "comes", "come", "is", "are", "translated", "translate", "mapped", "mapping", "taken", "derived", "follows", "follow", "it",
        "set", "using", "per", "according", "to", "the", "picked", "chosen", "decided", "lead", "contact", "member", "record", "s",
        "company", "account", "event", "user", "this", "these", "like", "as", "with", "in", "for", "text", "free-text",
    ]

    func read(_ phrase: [ProseToken]) -> ReadValue? {
        // "…, for example tier-gold": an example is no arm; the value is read without it.
        if FlagReader.withoutExample(phrase) != nil { return nil }
        var w = phrase
        while let l = w.last, l.isPunct(".", ",", ";") { w.removeLast() }
        while let f = w.first, f.isPunct(":", ",", "=") { w.removeFirst() }
        guard w.count >= 3 else { return nil }
        // Something must look like a map: a link, a "for", a condition word or a default.
        guard
            w.contains(where: {
                $0.isPunct("->", ":", "=")
                    || $0.isWord("for", "when", "if", "unless", "is", "are", "becomes", "become", "otherwise", "else", "as")
            })
        else { return nil }
        var subject: Field?
        var body = w
        // Lead-in before a colon that names the compared field.
        if let colon = w.firstIndex(where: { $0.isPunct(":") }), colon > 0 {
            // "from the member rating (1-5 stars):": an aside in the lead-in says what the values are.
            var head: [ProseToken] = []
            var depth = 0
            for x in w[..<colon] {
                if x.isPunct("(") { depth += 1 } else if x.isPunct(")") { depth = max(0, depth - 1) } else if depth == 0 { head.append(x) }
            }
            let named = Set(head.compactMap(\.source?.name))
            if named.count == 1,
                head.allSatisfy({
                    $0.source != nil || $0.kind == .word && Self.leadInFillers.contains($0.lower) || $0.isPunct("(", ")")
                })
            {
                subject = head.compactMap(\.source).first
                body = Array(w[(colon + 1)...])
            } else if named.isEmpty, head.allSatisfy({ $0.kind == .word && Self.leadInFillers.contains($0.lower) }) {
                body = Array(w[(colon + 1)...])
            }
        }
        // "Member Rating, 4 or 5 → Hot, …": the compared field alone before the first comma.
        if subject == nil, let comma = body.firstIndex(where: { $0.isPunct(",") }), comma > 0,
            Set(body[..<comma].compactMap(\.source?.name)).count == 1,
            body[..<comma].allSatisfy({ $0.source != nil || $0.kind == .word && Self.leadInFillers.contains($0.lower) })
        {
            subject = body[..<comma].compactMap(\.source).first
            body = Array(body[(comma + 1)...])
        }
        // "(lifecycle stage)" after the values: the field they are values of.
        var k = 0
        while k + 2 < body.count {
            if body[k].isPunct("("), let close = body[k...].firstIndex(where: { $0.isPunct(")") }),
                body[(k + 1)..<close].contains(where: { $0.source != nil }),
                Set(body[(k + 1)..<close].compactMap(\.source?.name)).count == 1,
                body[(k + 1)..<close].allSatisfy({ $0.source != nil || $0.isWord("the", "field", "property", "trait") }),
                subject == nil || subject?.name == body[(k + 1)..<close].compactMap(\.source).first?.name
            {
                subject = body[(k + 1)..<close].compactMap(\.source).first
                body.removeSubrange(k...close)
                continue
            }
            k += 1
        }
        // "(including no status)", "(or none)", "(double opt-in)" after a default or a value: asides about null or
        // the value say nothing a match's default does not do; other asides stop the reading.
        body = dropAsides(body)
        guard !body.isEmpty else { return nil }
        let fieldsNamed = Set(body.compactMap(\.source?.name))
        var guessed = false
        if subject == nil {
            subject = inferSubject(body)
        }
        if subject == nil, guessSubject, fieldsNamed.isEmpty, let g = subjectFromDestinationName() {
            subject = g
            guessed = true
        }
        guard let arms = parseArms(body, subject: subject), !arms.isEmpty else { return nil }
        // A map has two arms at least, or one and a default: "V when C" alone is a conditional value the
        // other readers know.
        let compared = arms.filter { !$0.isDefault }.count
        guard compared >= 2 || compared == 1 && arms.count == 2 else { return nil }
        // Every field named must be the subject or a field a condition reads.
        let condFields = Set(
            arms.flatMap { a in
                a.patterns.flatMap { p -> [String] in
                    if case .condition(_, let fs) = p { return fs.map(\.name) }
                    return []
                }
            })
        // A word of a value read as one ("Phone" in "Phone Inquiry") names no field.
        let valueWords = Set(
            arms.flatMap { $0.value.lowercased().split(whereSeparator: { !($0.isLetter || $0.isNumber || $0 == "_") }).map(String.init) })
        let inValues = Set(
            body.filter { t in t.source != nil && t.kind == .word && valueWords.contains(t.lower) }.compactMap(\.source?.name))
        guard fieldsNamed.allSatisfy({ $0 == subject?.name || condFields.contains($0) || inValues.contains($0) }) else { return nil }
        guard var v = render(arms, subject: subject) else { return nil }
        v.borrowed = guessed
        v.subjectGuessed = guessed
        return v
    }

    private func dropAsides(_ t: [ProseToken]) -> [ProseToken] {
        var out: [ProseToken] = []
        var i = 0
        while i < t.count {
            if t[i].isPunct("("), let close = t[i...].firstIndex(where: { $0.isPunct(")") }) {
                let inner = t[(i + 1)..<close]
                // "("en")" after "English": the literal the words before it describe.
                if inner.count == 1, inner.first?.kind == .quoted {
                    // Drop the describing words back to the arm's start: keep only the literal.
                    while let l = out.last, l.kind == .word, l.source == nil, !isLinkOrSeparator(l) { out.removeLast() }
                    out.append(inner.first!)
                    i = close + 1
                    continue
                }
                let innerWords = inner.filter { !$0.isPunct(",") }
                let nullAside = innerWords.allSatisfy {
                    $0.kind == .word && (Self.nullWords.contains($0.lower) || $0.isWord("including", "or", "and", "even"))
                        || $0.source != nil
                        || Self.patternFillers.contains($0.lower)
                }
                let describes = innerWords.allSatisfy {
                    $0.kind == .word && $0.source == nil && $0.destination == nil
                        && ["double", "opt-in", "opt", "in", "single", "e", "g", "i", "test", "data"].contains($0.lower)
                }
                // "everything else -> (unknown)": right after a link the parentheses hold the value.
                let afterLink = out.last.map { $0.isPunct("->", ":", "=") || $0.isWord("becomes", "become", "is", "are") } ?? false
                if (nullAside || describes) && !afterLink {
                    i = close + 1
                    continue
                }
                return t
            }
            out.append(t[i])
            i += 1
        }
        return out
    }

    private func isLinkOrSeparator(_ t: ProseToken) -> Bool {
        t.isWord("for", "is", "are", "and", "or", "becomes", "become", "otherwise", "else", "to", "as", "then") || t.kind == .punct
    }

    /// The field whose values the arms name, when no lead-in names it: the one source picklist that holds
    /// every unquoted value word, else the one field the sentence names.
    private func inferSubject(_ body: [ProseToken]) -> Field? {
        let named = Set(body.compactMap(\.source?.name))
        if named.count == 1, let f = body.compactMap(\.source).first { return f }
        guard named.isEmpty else { return nil }
        // "Working - Contacted for VIPs": a yes/no field named by a plural of its name.
        let flags = Set(body.compactMap { flagField($0)?.name })
        if flags.count == 1, let f = body.lazy.compactMap({ flagField($0) }).first { return f }
        let pickers = source.fields.filter { $0.values != nil }
        // "no for all others": a lower-case default word is no value ("Other" spelled as a value still is).
        let valueWords = body.filter {
            $0.kind == .quoted
                || $0.kind == .word && !ConditionReader.keywords.contains($0.lower)
                    && !(Self.defaultOpeners.contains($0.lower) && $0.text == $0.lower)
        }
        var best: [Field] = []
        var bestCount = 0
        for f in pickers {
            let n = valueWords.filter { ConditionReader.literal($0, for: f).map { f.values!.contains($0) } ?? false }.count
            if n > bestCount {
                best = [f]
                bestCount = n
            } else if n == bestCount, n > 0 {
                best.append(f)
            }
        }
        best = best.filter { f in !best.contains { $0.name != f.name && f.name.hasPrefix($0.name) } }
        if best.count == 1, bestCount >= 1 { return best[0] }
        if reader.sentence.count == 1 { return reader.sentence[0] }
        return nil
    }

    // MARK: Arms

    /// Arms separated by `,`, `;`, `/`, and by "and"/"or" where both sides read as whole arms.
    private func parseArms(_ body: [ProseToken], subject: Field?) -> [Arm]? {
        var segments: [[ProseToken]] = [[]]
        for t in body {
            if t.isPunct(";") || t.isPunct(",") {
                if !(segments.last?.isEmpty ?? true) { segments.append([]) }
                continue
            }
            segments[segments.count - 1].append(t)
        }
        segments = segments.filter { !$0.isEmpty }
        // "…; otherwise, if C it is V": a lone "otherwise" before a comma opens the next segment.
        var merged: [[ProseToken]] = []
        var carry: [ProseToken] = []
        for seg in segments {
            if seg.allSatisfy({ $0.isWord("otherwise", "else", "and", "but") }), seg.contains(where: { $0.isWord("otherwise", "else") }) {
                carry += seg
                continue
            }
            merged.append(carry + seg)
            carry = []
        }
        guard carry.isEmpty else { return nil }
        segments = merged
        var arms: [Arm] = []
        var pending: [ProseToken] = []
        for seg in segments {
            var seg = seg
            while let f = seg.first, f.isWord("and", "or", "then", "but") { seg.removeFirst() }
            guard !seg.isEmpty else { continue }
            let joined = pending.isEmpty ? seg : pending + [ProseToken(kind: .word, text: "and", lower: "and")] + seg
            if let a = splitArms(joined, subject: subject) {
                arms += a
                pending = []
            } else {
                // "A, B and C: V": a segment of values only, whose value comes with a later segment.
                guard hasNoLink(seg) else { return nil }
                pending = joined
            }
        }
        guard pending.isEmpty else { return nil }
        // One default at most, and it comes last (or is the only arm after the others).
        guard arms.filter(\.isDefault).count <= 1 else { return nil }
        return arms
    }

    private func hasNoLink(_ seg: [ProseToken]) -> Bool {
        !seg.contains {
            $0.isPunct("->", ":", "=")
                || $0.isWord(
                    "is", "are", "becomes", "become", "for", "when", "if", "unless", "otherwise", "else", "gives", "give", "means", "as")
        }
    }

    /// One segment as one arm, or as arms joined by "and"/"or"/"/".
    /// Two whole arms joined are read as two ("Private when X is false and Public when it is true"), before
    /// the segment is read as one arm whose condition or values hold the junction.
    private func splitArms(_ seg: [ProseToken], subject: Field?, depth: Int = 0) -> [Arm]? {
        if depth < 6 {
            for (i, t) in seg.enumerated() where (t.isWord("and", "or") || t.isPunct("/")) && i > 0 && i < seg.count - 1 {
                guard let left = arm(Array(seg[..<i]), subject: subject),
                    let right = splitArms(Array(seg[(i + 1)...]), subject: subject, depth: depth + 1)
                else { continue }
                return [left] + right
            }
        }
        if let a = arm(seg, subject: subject) { return [a] }
        if let a = unlessArms(seg, subject: subject) { return a }
        // "Germany DE / Austria AT / Switzerland CH" with the slashes gone: value pairs side by side.
        if seg.count >= 4, seg.count % 2 == 0, seg.allSatisfy({ $0.kind == .word && $0.source == nil }) {
            var out: [Arm] = []
            for i in stride(from: 0, to: seg.count, by: 2) {
                guard let a = arm([seg[i], seg[i + 1]], subject: subject) else { return nil }
                out.append(a)
            }
            return out
        }
        return nil
    }

    /// Words that open an arm's value and say nothing more ("write Female for f", "put it in as V").
    private static let valueLeads: Set<String> = [
        "write", "use", "put", "send", "set", "it", "is", "are", "be", "becomes", "become", "gets", "get", "should", "goes", "go", "in",
        "as", "to", "the", "then", "always", "come", "comes", "we", "map", "maps", "mapped", "give", "gives", "means", "just", "value",
    ]

    private func arm(_ raw: [ProseToken], subject: Field?) -> Arm? {
        var seg = raw
        while let f = seg.first, f.isWord("and", "or", "then", "but", "write", "use", "put") || f.isPunct("/") { seg.removeFirst() }
        guard !seg.isEmpty else { return nil }
        let lower = seg.map(\.lower)
        // "otherwise V", "else V", "if not, V", "V otherwise", "V if not", "V for everything else".
        if let f = lower.first,
            f == "otherwise" || f == "else" || lower.starts(with: ["if", "not"]) || lower.starts(with: ["when", "not"])
        {
            let rest = Array(seg.drop { $0.isWord("otherwise", "else", "if", "when", "not", "it", "is") })
            if let v = value(rest, subject: subject) { return Arm(patterns: [], isDefault: true, value: v) }
            // "otherwise V if C", "else V when C": one more arm of a precedence chain.
            let more = Array(seg.drop { $0.isWord("otherwise", "else") || $0.isPunct(",") })
            guard more.count < seg.count, more.contains(where: { $0.isWord("if", "when", "for") }) else { return nil }
            return arm(more, subject: subject)
        }
        if let l = lower.last,
            l == "otherwise" || l == "else" || lower.count >= 3 && lower.suffix(2) == ["if", "not"]
                || lower.count >= 3 && lower.suffix(2) == ["when", "not"]
        {
            var rest = seg
            rest.removeLast(l == "not" ? 2 : 1)
            // "false for everyone else": the last word closes the default's pattern, read by the forms below.
            if let v = value(rest, subject: subject) { return Arm(patterns: [], isDefault: true, value: v) }
            if !(lower.count >= 2 && Self.defaultOpeners.contains(lower[lower.count - 2])) { return nil }
        }
        // "V unless COND": the condition gives not-V... only for booleans, read by the boolean forms.
        // "V when/if COND", "if COND then V", "if COND, V".
        if let k = seg.firstIndex(where: { $0.isWord("when", "if", "whenever") }) {
            if k == 0 {
                // "if C it goes in as V", "if C they are V": the pronoun and its verb end the condition.
                let then =
                    seg.firstIndex(where: { $0.isWord("then") || $0.isPunct("->") })
                    ?? seg.indices.dropFirst(2).first(where: { i in
                        seg[i].isWord("it", "they") && i + 1 < seg.count
                            && seg[i + 1].isWord("goes", "go", "is", "are", "becomes", "become", "gets", "get")
                    })
                guard let then, then > 1,
                    let c = condition(Array(seg[1..<then]), subject: subject), let v = value(Array(seg[(then + 1)...]), subject: subject)
                else { return nil }
                return Arm(patterns: [c], value: v)
            }
            // "no lead source at all → …" has no "when"; "when the country is unknown" as a pattern of a default is below.
            if let v = value(Array(seg[..<k]), subject: subject), let c = condition(Array(seg[(k + 1)...]), subject: subject) {
                return Arm(patterns: [c], value: v)
            }
        }
        // "A → V", "A: V", "A = V", "A becomes V", "A and B are V", "A gives V".
        if let link = seg.firstIndex(where: {
            $0.isPunct("->", ":", "=") || $0.isWord("becomes", "become", "gives", "give", "means", "is", "are", "as", "stays", "stay")
        }), link > 0, link + 1 <= seg.count {
            var left = Array(seg[..<link])
            // "VIP members should come in as V", "pending members go in as V": the verb of arriving says nothing more.
            if seg[link].isWord("as") {
                while let l = left.last, left.count > 1,
                    l.isWord("should", "come", "comes", "go", "goes", "in", "get", "gets", "be", "are", "is", "added")
                {
                    left.removeLast()
                }
            }
            var right = Array(seg[(link + 1)...])
            if seg[link].isWord("stays", "stay"), right.isEmpty || right.allSatisfy({ $0.isWord("unchanged", "the", "same", "as", "is") }) {
                right = [ProseToken(kind: .word, text: "unchanged", lower: "unchanged")]
            }
            if let p = patterns(left, subject: subject), let v = value(right, subject: subject) {
                return Arm(patterns: p.patterns, isDefault: p.isDefault, value: v)
            }
        }
        // "other stages unchanged", "anything else leave it blank": a default with its value and no link.
        if let p = seg.firstIndex(where: { $0.isWord("unchanged", "leave", "keep", "left", "pass") }), p > 0,
            let pats = patterns(Array(seg[..<p]), subject: subject), pats.isDefault || !pats.patterns.isEmpty,
            let v = value(Array(seg[p...]), subject: subject)
        {
            return Arm(patterns: pats.patterns, isDefault: pats.isDefault, value: v)
        }
        // "V for A", "V for everyone else".
        if let f = seg.firstIndex(where: { $0.isWord("for") }), f > 0, f + 1 < seg.count,
            let v = value(Array(seg[..<f]), subject: subject), let p = patterns(Array(seg[(f + 1)...]), subject: subject)
        {
            return Arm(patterns: p.patterns, isDefault: p.isDefault, value: v)
        }
        // "Hot 100", "Germany DE": a value of the subject and a value of the destination, side by side.
        // "10000 and up Hot", "below 1000 or missing Cold", "United Kingdom GB": the last word is the value.
        if (2...6).contains(seg.count), let p = patterns(Array(seg.dropLast()), subject: subject), !p.isDefault,
            // "3 or 4 stars Warm": several values, then a value of the destination's picklist.
            seg.count == 2 || p.patterns.count == 1 || (d.values ?? []).contains(seg[seg.count - 1].text),
            let v = value([seg[seg.count - 1]], subject: subject)
        {
            return Arm(patterns: p.patterns, value: v)
        }
        // "the rest subscriber", "everyone else Cold": a default and its value side by side.
        if (2...4).contains(seg.count), let p = patterns(Array(seg.dropLast()), subject: subject), p.isDefault,
            let v = value([seg[seg.count - 1]], subject: subject)
        {
            return Arm(patterns: [], isDefault: true, value: v)
        }
        return nil
    }

    // MARK: Patterns

    /// The values an arm compares with, or a default.
    private func patterns(_ raw: [ProseToken], subject: Field?) -> (patterns: [Arm.Pattern], isDefault: Bool)? {
        if let c = restatedCondition(raw, subject: subject) ?? describedFlag(raw) { return ([c], false) }
        var t = raw.filter { !$0.isPunct("(", ")") }
        while let f = t.first, f.isWord("and", "or", "for", "if", "when") { t.removeFirst() }
        guard !t.isEmpty else { return nil }
        let lower = t.map(\.lower)
        // Defaults: "anything else", "any other code, or none", "all other statuses", "everyone else", "the rest".
        let opensDefault =
            t.contains {
                $0.kind == .word
                    && ["anything", "everything", "everyone", "everybody", "anyone", "anybody", "rest", "others"].contains($0.lower)
            }
            || zip(lower, lower.dropFirst()).contains {
                ["any", "all", "every", "each", "the"].contains($0) && ["other", "others"].contains($1)
            }
            || lower.first == "other" && (!isValue(t[0], subject) || t.count > 1 && Self.patternFillers.contains(lower[1]))
            || lower.contains("else") && !lower.contains("if")
        if opensDefault {
            // Whatever else the words say must be about null or what the records are.
            let ok = t.allSatisfy {
                $0.kind == .word
                    && (Self.defaultOpeners.contains($0.lower) || Self.patternFillers.contains($0.lower)
                        || Self.nullWords.contains($0.lower)
                        || [
                            "any", "every", "each", "or", "and", "including", "even", "typed", "user", "we", "don", "t", "recognise",
                            "recognize", "else", "in", "who", "which", "that", "there", "one", "list", "above", "listed", "these", "those",
                            "of", "them", "was", "were", "sent", "app", "we're", "given",
                        ].contains($0.lower))
                    || $0.source != nil && $0.source?.name == subject?.name
            }
            return ok ? ([], true) : nil
        }
        // The null case: "no lead source", "none", "missing", "unrated", "no rating", "no X at all", "when X is unknown".
        if t.allSatisfy({
            $0.kind == .word && (Self.nullWords.contains($0.lower) || Self.patternFillers.contains($0.lower))
                || $0.source != nil && $0.source?.name == subject?.name
        }),
            t.contains(where: {
                ["none", "missing", "blank", "empty", "null", "unknown", "unrated", "unset", "no", "without", "nothing", "absent"].contains(
                    $0.lower)
            }),
            !t.contains(where: { $0.isWord("not") }) || t.contains(where: { $0.isWord("set", "given") })
        {
            guard subject != nil else { return nil }
            return ([.none], false)
        }
        guard let s = subject else { return nil }
        // "5 stars", "3 or 4 points": a unit after numbers of a number field says nothing more.
        if s.type.baseType == .int || s.type.baseType == .decimal {
            t.removeAll { $0.isWord("stars", "star", "points", "point") }
            guard !t.isEmpty else { return nil }
        }
        // Number ranges on a number field.
        if s.type.baseType == .int || s.type.baseType == .decimal, let r = range(t, s) { return ([r], false) }
        // Values separated by "and", "or", "/" and ","; an unquoted value may take several words.
        var groups: [[ProseToken]] = [[]]
        for x in t {
            if x.isWord("and", "or", "nor") || x.isPunct("/", ",") {
                if !(groups.last?.isEmpty ?? true) { groups.append([]) }
                continue
            }
            groups[groups.count - 1].append(x)
        }
        var out: [Arm.Pattern] = []
        for g in groups where !g.isEmpty {
            guard let p = valuePattern(g, s) else { return nil }
            out += p
        }
        return out.isEmpty ? nil : (out, false)
    }

    private func isValue(_ t: ProseToken, _ s: Field?) -> Bool {
        guard let s, let values = s.values else { return false }
        return ConditionReader.literal(t, for: s).map { values.contains($0) } ?? false
    }

    /// One value of the subject, in one token or several words ("Phone Inquiry", "United Kingdom"); fillers
    /// around it go ("leads rated Hot", "the BANKING code").
    private func valuePattern(_ g: [ProseToken], _ s: Field) -> [Arm.Pattern]? {
        // "VIP members": the yes/no field compared, named with words that say who, is true.
        if s.type == .bool, g.contains(where: { flagField($0)?.name == s.name }),
            g.allSatisfy({ flagField($0)?.name == s.name || $0.kind == .word && Self.flagFillers.contains($0.lower) })
        {
            return [.literal("true")]
        }
        var g = g
        // Fillers around the value, never a word that is a value itself.
        while let f = g.first, g.count > 1, f.kind == .word, Self.patternFillers.contains(f.lower) || f.source?.name == s.name,
            !isValue(f, s)
        {
            g.removeFirst()
        }
        while let l = g.last, g.count > 1, l.kind == .word, Self.patternFillers.contains(l.lower) || l.source?.name == s.name,
            !isValue(l, s)
        {
            g.removeLast()
        }
        if g.count == 1 {
            let t = g[0]
            // "for VIP members", "for VIPs": the yes/no field named is the one compared, and it is true.
            if s.type == .bool, flagField(t)?.name == s.name { return [.literal("true")] }
            if t.source != nil && t.kind == .word && !isValue(t, s) { return nil }
            if s.type == .bool {
                if t.isWord("true", "yes", "checked", "ticked", "set") { return [.literal("true")] }
                if t.isWord("false", "no", "unchecked", "unticked") { return [.literal("false")] }
                return nil
            }
            if let values = s.values {
                guard let l = ConditionReader.literal(t, for: s), values.contains(l) || t.kind == .quoted else { return nil }
                return [.literal(ConditionReader.typed(l, s))]
            }
            if t.kind == .word, ConditionReader.keywords.contains(t.lower) || Self.defaultOpeners.contains(t.lower), !Self.isCode(t) {
                return nil
            }
            guard let l = ConditionReader.literal(t, for: s) else { return nil }
            return [.literal(ConditionReader.typed(l, s))]
        }
        // Several words: one value of a picklist ("Phone Inquiry", "Open - Not Contacted"), or of a text field.
        guard g.allSatisfy({ $0.kind == .word }) else { return nil }
        if let values = s.values {
            let joined = ValueReader.loose(g.map(\.text).joined())
            guard let v = values.first(where: { ValueReader.loose($0) == joined }) else { return nil }
            return [.literal(ConditionReader.typed(v, s))]
        }
        guard s.type.baseType == .string, g.count <= 4,
            g.allSatisfy({
                ($0.source == nil || $0.typo) && !ConditionReader.keywords.contains($0.lower) && !Self.defaultOpeners.contains($0.lower)
            })
        else { return nil }
        return [.literal(Formatter.stringLiteral(Self.spelled(g)))]
    }

    /// "10000 and up", "1000 up to 9999.99", "1000 to 9999", "between 1 and 3", "below 1000", "under 5",
    /// "over 100", "at least 4", "4 or more", "2 or less", "below 1000 or missing".
    private func range(_ raw: [ProseToken], _ s: Field) -> Arm.Pattern? {
        var t = raw.filter { !$0.isWord("is", "are", "the", "than", "of", "a", "score", "value", "values", "rating", "ratings") }
        guard !t.isEmpty else { return nil }
        let name = OfflineExpr.field(s)
        var orMissing = false
        // "… or missing", "… or no rating", "… (or empty)": null too.
        if let o = t.lastIndex(where: { $0.isWord("or") }), o + 1 < t.count,
            t[(o + 1)...].allSatisfy({
                $0.kind == .word
                    && (Self.nullWords.contains($0.lower) || $0.source?.name == s.name || Self.patternFillers.contains($0.lower))
            }),
            t[(o + 1)...].contains(where: {
                ["missing", "none", "empty", "blank", "null", "no", "unknown", "unset", "unrated"].contains($0.lower)
            })
        {
            orMissing = true
            t = Array(t[..<o])
        }
        let nums = t.filter { $0.kind == .word && Double($0.text) != nil }
        let words = t.filter { !($0.kind == .word && Double($0.text) != nil) }.map(\.lower)
        guard !nums.isEmpty, t.allSatisfy({ $0.kind == .word }) else { return nil }
        let w = Set(words)
        var cond: String?
        if nums.count == 1 {
            let n = nums[0].text
            let numFirst = Double(t[0].text) != nil
            if numFirst, w.isSubset(of: ["and", "up", "above", "or", "more", "higher", "over", "+", "upwards", "greater"]), !w.isEmpty,
                !w.isDisjoint(with: ["up", "above", "more", "higher", "over", "upwards", "greater"])
            {
                cond = "\(name) >= \(n)"
            } else if numFirst, w.isSubset(of: ["or", "less", "below", "lower", "under", "fewer", "and", "down"]), !w.isEmpty,
                !w.isDisjoint(with: ["less", "below", "lower", "under", "fewer", "down"])
            {
                cond = "\(name) <= \(n)"
            } else if !numFirst, w == ["at", "least"] {
                cond = "\(name) >= \(n)"
            } else if !numFirst, w == ["at", "most"] || w == ["up", "to"] {
                cond = "\(name) <= \(n)"
            } else if !numFirst, !w.isEmpty, w.isSubset(of: ["below", "under", "less", "fewer", "lower"]) {
                cond = "\(name) < \(n)"
            } else if !numFirst, !w.isEmpty, w.isSubset(of: ["over", "above", "more", "greater", "higher", "exceeds"]) {
                cond = "\(name) > \(n)"
            } else if w.isEmpty, t.count == 1 {
                cond = "\(name) == \(n)"
            }
        } else if nums.count == 2, t.count >= 3 {
            let a = nums[0].text
            let b = nums[1].text
            let between = Double(t[0].text) == nil
            if between, w == ["between", "and"] || w == ["from", "to"] || w == ["from", "up", "to"] {
                cond = "\(name) >= \(a) and \(name) <= \(b)"
            } else if !between, w == ["up", "to"] || w == ["to"] || w == ["through"] || w == ["and"] && false {
                cond = "\(name) >= \(a) and \(name) <= \(b)"
            }
        }
        guard let c = cond else { return nil }
        return .condition(orMissing ? "\(c) or is_null(\(name))" : c, fields: [s])
    }

    /// A condition of a "when/if" arm; "it"/"they" stand for the compared field.
    func condition(_ raw: [ProseToken], subject: Field?) -> Arm.Pattern? {
        var t = raw
        while let l = t.last, l.isPunct(",") { t.removeLast() }
        if let s = subject {
            for i in t.indices where t[i].isWord("it", "they", "its", "their") {
                // "if it is Import": the compared field; "its lead status": a filler before a field name.
                if i + 1 < t.count, t[i + 1].source != nil {
                    t[i] = ProseToken(kind: .word, text: "the", lower: "the")
                } else {
                    t[i] = ProseToken(kind: .word, text: s.name, lower: s.name.lowercased(), source: s)
                }
            }
        }
        if let f = flagCondition(t) ?? describedFlag(t) { return f }
        // "its lead status is still Open": words of time say nothing of the value.
        t.removeAll { $0.isWord("still", "currently", "already") }
        if let c = ConditionReader.read(t, source: source) { return .condition(c.text, fields: c.fields) }
        // "if the rating is 4 or 5": a word that ends one field's label ("Member Rating") names it.
        guard !t.contains(where: { $0.source != nil }), let k = t.firstIndex(where: { labelTail($0) != nil }),
            let f = labelTail(t[k]),
            // "a campaign source": a word after it that says more than the condition is another field's name.
            k + 1 == t.count || t[k + 1].kind != .word || ConditionReader.keywords.contains(t[k + 1].lower)
                || ConditionReader.emptyWords.contains(t[k + 1].lower)
        else { return nil }
        t[k] = ProseToken(kind: .word, text: f.name, lower: f.name.lowercased(), source: f)
        guard let c = ConditionReader.read(t, source: source) else { return nil }
        return .condition(c.text, fields: c.fields)
    }

    // MARK: Values

    /// The destination value of an arm: a literal of its type, null ("leave it blank"), or the compared
    /// field itself ("unchanged").
    func value(_ raw: [ProseToken], subject: Field?) -> String? {
        // "(other)": a value written in parentheses keeps them.
        if raw.count == 3, raw[0].isPunct("("), raw[2].isPunct(")"), raw[1].kind == .word, raw[1].source == nil, d.values == nil,
            d.type == .string
        {
            return reader.literal(ProseToken(kind: .quoted, text: "(\(raw[1].text))", lower: "(\(raw[1].lower))"))
        }
        var t = raw.filter { !$0.isPunct("(", ")") }
        while let f = t.first, f.kind == .word, Self.valueLeads.contains(f.lower), t.count > 1 { t.removeFirst() }
        while let l = t.last, l.isPunct(",", ".") { t.removeLast() }
        guard !t.isEmpty else { return nil }
        let lower = Set(t.map(\.lower))
        // "leave it blank", "leave Industry empty", "nothing", "empty", "blank".
        if t.allSatisfy({
            $0.kind == .word
                && ($0.destination?.name == d.name
                    || ["leave", "it", "blank", "empty", "null", "nothing", "unset", "left", "keep", "no", "value", "out", "as", "is"]
                        .contains($0.lower))
        }),
            !lower.isDisjoint(with: ["blank", "empty", "null", "nothing", "unset"])
        {
            return d.nullable && !d.required ? "null" : nil
        }
        // "unchanged", "as is", "keep the code itself", "the code itself", "stays the same".
        let keepWords: Set<String> = [
            "unchanged", "as", "is", "keep", "the", "code", "itself", "same", "value", "its", "own", "leave", "it", "untouched", "just",
            "original", "stay", "stays", "pass", "through", "through", "passed",
        ]
        if t.allSatisfy({ $0.kind == .word && keepWords.contains($0.lower) && $0.source == nil }),
            !lower.isDisjoint(with: ["unchanged", "itself", "same", "untouched", "original", "through"])
                || lower.contains("as") && t.last?.isWord("is") == true
        {
            guard let s = subject, s.type.baseType == .string, d.type == .string || d.type == .id else { return nil }
            return Self.subjectMarker
        }
        if d.type == .bool {
            guard t.count == 1 else { return nil }
            if t[0].isWord("true", "yes", "checked", "ticked") { return "true" }
            if t[0].isWord("false", "no", "unchecked", "unticked") { return "false" }
            return nil
        }
        // "vip if the member is a VIP": a yes/no field's name as a text value is that text, never a copy.
        // "EMAIL_MARKETING -> email": in a map of a compared field's values, a lower-case word is a text value
        // even where it spells a field's name.
        if t.count == 1, t[0].kind == .word, let f = t[0].source, d.type == .string, d.values == nil,
            f.type == .bool || subject != nil && t[0].text == t[0].lower && raw.count == 1,
            !ConditionReader.keywords.contains(t[0].lower)
        {
            return reader.literal(ProseToken(kind: .quoted, text: t[0].text, lower: t[0].lower))
        }
        if t.count == 1, t[0].source == nil || t[0].kind == .quoted || t[0].typo || reader.literal(t[0]) != nil && d.type == .picklist {
            // "AT", "IN": a code in capitals is a value, though it spells a keyword.
            if t[0].kind == .word, ConditionReader.keywords.contains(t[0].lower) || Self.defaultOpeners.contains(t[0].lower),
                !Self.isCode(t[0])
            {
                // "Other" spelled as a picklist value is a value.
                guard (d.values ?? []).contains(t[0].text) else { return nil }
            }
            return reader.literal(t[0])
        }
        // "Phone Inquiry": words that spell a value of the destination's picklist, whatever fields they name.
        if let values = d.values, t.count > 1, t.allSatisfy({ $0.kind == .word }),
            let v = values.first(where: { ValueReader.loose($0) == ValueReader.loose(t.map(\.text).joined()) })
        {
            return reader.literal(ProseToken(kind: .quoted, text: v, lower: v.lowercased()))
        }
        guard t.allSatisfy({ $0.kind == .word && ($0.source == nil || $0.typo) && $0.destination == nil }) else { return nil }
        if d.type == .picklist || d.type == .multipicklist {
            return reader.literal(ValueReader.joined(t))
        }
        guard d.type == .string, t.count <= 4,
            t.allSatisfy({ !ConditionReader.keywords.contains($0.lower) && !Self.defaultOpeners.contains($0.lower) })
        else {
            return nil
        }
        let text = Self.spelled(t)
        return reader.literal(ProseToken(kind: .quoted, text: text, lower: text.lowercased()))
    }

    /// Words of an unquoted value as written: "API - Generic", "mid-market", "United Kingdom".
    static func spelled(_ words: [ProseToken]) -> String {
        var out = ""
        for (i, w) in words.enumerated() {
            if i > 0 { out += w.afterTightDash ? "-" : w.afterDash ? " - " : " " }
            out += w.text
        }
        return out
    }

    // MARK: Rendering

    private func render(_ arms: [Arm], subject: Field?) -> ReadValue? {
        let fallbackArm = arms.first(where: \.isDefault)
        let ordered = arms.filter { !$0.isDefault }
        func resolve(_ v: String) -> String? {
            guard v == Self.subjectMarker else { return v }
            guard let s = subject else { return nil }
            return OfflineExpr.convert(OfflineExpr.field(s), type: s.type.baseType, from: s, to: d, plain: true)
        }
        guard var fallback = fallbackArm.map({ resolve($0.value) }) ?? .some(nil) else { return nil }
        var chainArms: [(condition: String, value: String)] = []
        var patterns: [[String]] = []
        var fields: [Field] = subject.map { [$0] } ?? []
        var allLiteral = subject != nil
        for a in ordered {
            guard let v = resolve(a.value) else { return nil }
            var conds: [String] = []
            var lits: [String] = []
            for p in a.patterns {
                switch p {
                case .literal(let l):
                    guard let s = subject else { return nil }
                    conds.append("\(OfflineExpr.field(s)) == \(l)")
                    lits.append(l)
                case .none:
                    guard let s = subject else { return nil }
                    conds.append(s.type.baseType == .string ? "blank(\(OfflineExpr.field(s)))" : "is_null(\(OfflineExpr.field(s)))")
                    allLiteral = false
                case .condition(let c, let fs):
                    conds.append(conds.isEmpty && a.patterns.count == 1 ? c : "(\(c))")
                    for f in fs where !fields.contains(where: { $0.name == f.name }) { fields.append(f) }
                    allLiteral = false
                }
            }
            guard !conds.isEmpty else { return nil }
            let isNullArm = a.patterns.count == 1 && { if case .none = a.patterns[0] { return true } else { return false } }()
            let condText = conds.count == 1 ? conds[0] : conds.joined(separator: " or ")
            // The null case first: it can never equal a value, and a match then covers the rest.
            if isNullArm {
                chainArms.insert((condText, v), at: 0)
                patterns.insert([], at: 0)
            } else {
                chainArms.append((condText, v))
                patterns.append(lits.count == a.patterns.count ? lits : [])
            }
        }
        guard !chainArms.isEmpty else { return nil }
        _ = allLiteral
        // Ranges that cover every number, the last of them "below N (or missing)": the last is the default.
        if fallback == nil, let lastCond = chainArms.last?.condition, lastCond.contains(" or is_null("), lastCond.contains(" < "),
            chainArms.count > 1
        {
            fallback = chainArms.removeLast().value
            patterns.removeLast()
        }
        // A boolean destination with one true arm and a false default: the condition itself.
        if d.type == .bool, chainArms.count == 1, chainArms[0].value == "true", fallback == "false" {
            return ReadValue(text: boolText(chainArms[0].condition), kind: .condition, chainFields: fields)
        }
        if d.type == .bool, chainArms.count == 1, chainArms[0].value == "false", fallback == "true" {
            return ReadValue(text: "not (\(chainArms[0].condition))", kind: .condition, chainFields: fields)
        }
        var chain = ValueChain(arms: chainArms, fallback: fallback, subject: nil)
        // A match over the trailing arms that compare the subject with literals.
        if let s = subject, patterns.contains(where: { !$0.isEmpty }) {
            var k = patterns.count
            while k > 0, !patterns[k - 1].isEmpty { k -= 1 }
            if k < patterns.count {
                chain.subject = s
                chain.patterns = patterns.enumerated().map { $0.offset < k ? [] : $0.element }
            }
        }
        return ReadValue(
            text: chain.render(otherwise: "null"), kind: chain.subject != nil ? .translation : .chain, chain: chain, chainFields: fields)
    }

    /// A condition as a boolean that is never null (`contains` of null text is null).
    private func boolText(_ c: String) -> String {
        c.contains("contains(") || c.contains("starts_with(") || c.contains("ends_with(") ? "(\(c)) == true" : c
    }
}
