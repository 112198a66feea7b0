import MapDSL

/// What one sentence of prose says, as far as the offline reader understood it.
struct SentenceOutcome {
    /// One assignment read from the sentence.
    struct Assignment {
        var field: Field
        var value: ReadValue
        var confidence: Double
        var note: String
    }

    var assignments: [Assignment] = []
    /// `skip when` conditions.
    var skips: [(condition: String, confidence: Double)] = []
    /// The key field the sentence names.
    var key: Field?
    /// A default for the previous sentence's chain ("Otherwise it is "Marketing Site".").
    var defaultForPrevious: String?
    /// Why parts of the sentence were not read; non-empty means the sentence is listed as not implemented.
    var unread: [String] = []
    /// The sentence states context only (which objects, why): nothing to implement.
    var context = false
    /// "D1 - same rule as D2": D1 gets the rule D2 has.
    var sameAs: (field: Field, as: Field)?
    /// The sentence corrects an earlier one ("Actually, …", "… instead"): its values replace earlier ones.
    var corrects = false
    /// Whether the sentence names a destination field at all (then the prose enumerates fields).
    var namesDestination = false
    /// The sentence takes back the skips of the sentence before ("No wait, just skip when …").
    var retractsSkips = false
    /// "Skip every other event": the events an earlier event-name map does not list are skipped.
    var skipsOtherEvents = false
}

/// Reads one sentence: skip rules, the key, lookups, "Otherwise …" continuations, and assignments in
/// the forms "D is VALUE", "D comes from S", "Copy S into D", "S goes to D", "D1, D2 from S1, S2", and
/// several of them joined by "and". Anything it cannot read is reported, never guessed.
struct SentenceReader {
    let source: Schema
    let destination: Schema
    let schemas: SchemaProvider
    /// Source fields earlier sentences compared, most recent first.
    var context: [Field] = []
    /// Source fields the sentence being read names (set by the caller).
    var sentenceFields: [Field] = []

    /// The note of a key's value read only from the key's name ("keyed on email"); a later sentence that
    /// states the field's value replaces it.
    static let keySameNameNote = "named in prose as the key"

    func read(_ text: String) -> SentenceOutcome {
        let tokens = SentenceTokens(text, source: source, destination: destination).tokens
        // "HasOptedOutOfEmail is always false, and so is DoNotCall": the same value for the fields after "so is".
        if let so = tokens.firstIndex(where: { $0.isWord("so") }), so > 2, so + 2 < tokens.count,
            tokens[so + 1].isWord("is", "are", "does", "do"),
            tokens[(so + 2)...].allSatisfy({ $0.destination != nil || $0.isWord("and", "the") || $0.isPunct(",") }),
            tokens[(so + 2)...].contains(where: { $0.destination != nil })
        {
            var head = Array(tokens[..<so])
            while let l = head.last, l.isPunct(",", ";") || l.isWord("and") { head.removeLast() }
            var out = read(tokens: head)
            let also = tokens[(so + 2)...].compactMap(\.destination)
            guard out.assignments.count == 1, let a = out.assignments.first, a.value.kind == .constant,
                also.allSatisfy({ $0.type == a.field.type && $0.values == a.field.values })
            else {
                out.unread.append("fields said to take the same value could not be given it")
                return out
            }
            for f in also where f.name != a.field.name {
                out.assignments.append(.init(field: f, value: a.value, confidence: a.confidence, note: a.note))
            }
            return out
        }
        // "status_if_new - same rule as status", "D2 is the same as D1": the rule of another destination field.
        if let d1 = tokens.first?.destination, let same = tokens.firstIndex(where: { $0.isWord("same") }),
            let asAt = tokens[same...].firstIndex(where: { $0.isWord("as") }), asAt + 1 < tokens.count,
            let d2 = tokens[(asAt + 1)...].first(where: { !$0.isWord("the", "for", "in") })?.destination, d2.name != d1.name,
            tokens.dropFirst().allSatisfy({
                $0.destination != nil || $0.kind == .punct
                    || $0.isWord(
                        "same", "as", "the", "rule", "value", "logic", "mapping", "is", "uses", "use", "gets", "takes", "for", "in")
            })
        {
            var out = SentenceOutcome()
            out.namesDestination = true
            out.sameAs = (d1, d2)
            return out
        }
        return read(tokens: tokens)
    }

    private func read(tokens: [ProseToken]) -> SentenceOutcome {
        // "Anyone not subscribed counts as opted out, i.e. D = …": the statement after "i.e." (ValuesSentenceMap.swift).
        if let restated = Self.restatement(tokens) { return read(tokens: restated) }
        // "The event name depends on …", "Its name: …": the event-name field named in words (EventNameReader).
        var tokens = EventNameReader.rewrite(tokens, source: source, destination: destination)
        // "Also skip …", "Please don't send …", "And ignore …": a word that only links to the sentence before.
        while tokens.count > 2, tokens[0].isWord("also", "and", "then", "please", "finally", "but", "plus", "additionally"),
            tokens[1].isWord("skip", "ignore", "drop", "exclude", "discard", "don", "dont", "do", "never", "only", "leave", "filter")
        {
            tokens.removeFirst()
        }
        // "Actually, client_id should be …", "Correction: …": a sentence that corrects an earlier one.
        var correction = false
        while tokens.count > 2, tokens[0].isWord("actually", "correction", "sorry", "oops", "wait", "update", "scratch", "instead"),
            tokens[1].isPunct(",", ":") || tokens[1].isWord("that")
        {
            tokens.removeFirst(2)
            while let f = tokens.first, f.isPunct(",", ":") { tokens.removeFirst() }
            correction = true
        }
        if tokens.contains(where: { $0.isWord("actually") }) { correction = true }
        // "The lead status needs translating: …", "Rating carries over like this: …": a field, words that only
        // announce what follows, and a colon read as "D: …".
        let announce: Set<String> = [
            "needs", "need", "translating", "translated", "translation", "translates", "is", "are", "gets", "get", "mapped", "mapping",
            "converting", "converted", "as", "follows", "like", "this", "goes", "go", "works", "work", "carries", "carry", "over",
            "should", "be", "must", "comes", "come", "across", "to",
        ]
        if let d = tokens.firstIndex(where: { !$0.isWord("the") }), tokens[d].destination != nil,
            let colon = tokens[(d + 1)...].firstIndex(where: { $0.isPunct(":") }), colon > d + 1, colon - d <= 5,
            tokens[(d + 1)..<colon].allSatisfy({
                $0.kind == .word && $0.source == nil && $0.destination == nil && announce.contains($0.lower)
            }),
            tokens[(d + 1)..<colon].contains(where: {
                $0.isWord(
                    "translating", "translated", "translation", "translates", "follows", "this", "mapped", "mapping", "converted",
                    "converting")
            })
        {
            tokens.removeSubrange((d + 1)..<colon)
        }
        var out = SentenceOutcome()
        out.corrects = correction
        out.namesDestination = tokens.contains { $0.destination != nil && $0.text == $0.destination?.name }
        guard let first = tokens.first else {
            out.context = true
            return out
        }
        let lower = tokens.map(\.lower)
        // "Order Completed becomes purchase, …; all other events stay out" (EventNameReader).
        if let m = EventNameReader.eventMap(tokens, source: source, destination: destination) {
            var o = SentenceOutcome()
            o.assignments.append(m.assignment)
            o.skips = m.skips.map { ($0, 0.9) }
            return o
        }
        // Skip rules in the middle of a sentence, passive and heading forms (SkipReader).
        if let s = SkipReader(source: source, destination: destination).read(tokens) {
            var o = s.head.isEmpty ? SentenceOutcome() : read(tokens: s.head)
            if s.keyOnly { o = SentenceOutcome(key: o.key) }
            o.skips += s.skips.map { ($0, 0.9) }
            o.unread += s.unread
            o.retractsSkips = s.retracts
            o.skipsOtherEvents = s.otherEvents
            return o
        }
        // Skip rules.
        if first.isWord("skip", "ignore", "drop", "exclude", "discard") || lower.starts(with: ["leave", "out"])
            || lower.starts(with: ["filter", "out"])
            || first.isWord("only") && lower.count > 1 && Self.sendVerbs.contains(lower[1])
        {
            readSkip(tokens, lead: lower.starts(with: ["leave", "out"]) || lower.starts(with: ["filter", "out"]) ? 2 : 1, into: &out)
            return out
        }
        // "Only events that have a userId go through; drop the others." / "Only subscribed members are sent."
        if first.isWord("only"),
            let verb = lower.firstIndex(where: { ["go", "goes", "get", "gets", "pass", "passes", "are", "is", "make"].contains($0) }),
            verb + 1 < lower.count || lower[verb] == "pass",
            ["through", "over", "across", "sent", "synced", "synced", "mapped", "imported", "pushed", "it", "in", "forwarded"].contains(
                verb + 1 < lower.count ? lower[verb + 1] : "through")
        {
            var body = Array(tokens[1..<verb])
            // "…; drop the others" / ", skip the rest": the same rule said twice.
            let tail = tokens[(verb + 1)...].filter { $0.source != nil || $0.kind == .quoted }
            if !tail.isEmpty { out.unread.append("words after the rule it could not read") }
            while let l = body.last, l.isPunct(",") { body.removeLast() }
            if let c = ConditionReader.read(body, source: source) {
                out.skips.append(("not (\(c.text))", 0.9))
            } else {
                out.unread.append("a skip condition it could not read")
            }
            return out
        }
        // "Don't sync anyone who …", "Do not send …", "Never push …".
        for negation in [["do", "not"], ["don", "t"], ["never"], ["dont"]] where lower.starts(with: negation) {
            if lower.count > negation.count, Self.sendVerbs.contains(lower[negation.count]) {
                readSkip(tokens, lead: negation.count + 1, into: &out)
                return out
            }
        }
        // "Leads without an Email are skipped, and so are converted ones", "Contacts without an email
        // don't go over, and neither do contacts whose …".
        if readPassiveSkip(tokens, into: &out) { return out }
        // "Any other country: leave the code empty.": the default of the map before (ValuesSentenceMap.swift).
        if let def = otherDefault(tokens) {
            out.defaultForPrevious = def
            return out
        }
        // "Otherwise …" after a chain in the previous sentence.
        if first.isWord("otherwise", "else", "anything", "everything") || lower.starts(with: ["if", "not"])
            || lower.starts(with: ["for", "anything"]) || lower.starts(with: ["for", "everything"])
        {
            if !tokens.contains(where: { $0.destination != nil }) {
                let vals = tokens.filter {
                    $0.kind == .quoted
                        || $0.kind == .word && !ConditionReader.keywords.contains($0.lower)
                            && ![
                                "anything", "everything", "otherwise", "becomes", "become", "it", "use", "value", "values", "other", "rest",
                            ].contains($0.lower)
                }
                if vals.count == 1 {
                    out.defaultForPrevious = vals[0].text
                    return out
                }
                if tokens.contains(where: { $0.isWord("empty", "null", "blank") }) && vals.isEmpty {
                    out.defaultForPrevious = "\u{0}null"
                    return out
                }
                out.unread.append("a default with no single value to read")
                return out
            }
        }
        // "tag everyone with webinar-2025": the tag list's constant, said with a verb.
        if let a = FlagReader.tagVerb(tokens, source: source, destination: destination) {
            out.assignments.append(a)
            return out
        }
        var clauses = split(tokens, at: ";")
        // Key.
        var restOfKeyClause: [ProseToken]?
        if lower.contains(where: {
            [
                "key", "keyed", "keys", "upsert", "upserts", "upserting", "upserted", "dedupe", "deduplicate", "deduplicated", "identified",
                "matching", "match", "matched",
            ].contains($0)
        }),
            let k = tokens.first(where: { $0.destination?.canBeKey == true })?.destination
        {
            out.key = k
            // "…, which holds the contact's hs_object_id" / "filled from the HubSpot record id".
            // "keyed on D, which holds / is / = / taken from / filled from X …": the value after the key field.
            if let at = tokens.firstIndex(where: { $0.destination?.name == k.name }), let keySource = tokens[at].source,
                !tokens[(at + 1)...].contains(where: { $0.source != nil || $0.kind == .quoted })
            {
                // "keyed on email (trimmed and in lower case)": the source field of the same name, with the
                // modifiers in parentheses after it.
                var value = [ProseToken(kind: .word, text: keySource.name, lower: keySource.name.lowercased(), source: keySource)]
                if at + 1 < tokens.count, tokens[at + 1].isPunct("("),
                    let close = tokens[(at + 1)...].firstIndex(where: { $0.isPunct(")") })
                {
                    value += tokens[(at + 2)..<close]
                }
                if let v = ValueReader(source: source, destination: destination, d: k).read(value) {
                    out.assignments.append(.init(field: k, value: v, confidence: confidence(v, k), note: Self.keySameNameNote))
                }
            } else if let at = tokens.firstIndex(where: { $0.destination?.name == k.name }),
                let s = tokens[(at + 1)...].firstIndex(where: { $0.source != nil && $0.text != k.name || $0.kind == .quoted }),
                tokens[(at + 1)..<s].allSatisfy({ $0.kind != .quoted })
            {
                var end = s
                while end < tokens.count, !tokens[end].isPunct(";", "(") {
                    // ", and userId is Id": another destination in subject position ends the key's value.
                    if tokens[end].isPunct(",") || tokens[end].isWord("and"),
                        let next = tokens[(end + 1)...].first(where: { !$0.isWord("and", "the") && !$0.isPunct(",") }),
                        let nd = next.destination, nd.name != k.name, next.source == nil || next.text == nd.name
                    {
                        restOfKeyClause = Array(tokens[(end + 1)...].prefix { !$0.isPunct(";") })
                        break
                    }
                    end += 1
                }
                // "(lowercase, trimmed)" right after the value: its modifiers.
                if end < tokens.count, tokens[end].isPunct("("), let close = tokens[end...].firstIndex(where: { $0.isPunct(")") }),
                    !tokens[end..<close].contains(where: { $0.source != nil || $0.kind == .quoted })
                {
                    end = close + 1
                }
                // "keyed on email (trim + lowercase the Email)", "key: email, lowercased from traits.email":
                // case and trim words between the key and its value apply to the value.
                let modifierWords = SentenceAccounting.modifiers.reduce(into: Set<String>()) { $0.formUnion($1.words) }
                var value = tokens[(at + 1)..<s].filter { modifierWords.contains($0.lower) } + Array(tokens[s..<end])
                while let l = value.last, l.isPunct(",") || l.isPunct(")") && !value.contains(where: { $0.isPunct("(") }) {
                    value.removeLast()
                }
                let reader = ValueReader(source: source, destination: destination, d: k)
                // Trailing words after one field ("…, which holds the contact's hs_object_id so re-runs
                // update") are explanation; a value with more parts than the field is read whole or not at all.
                let parts = value.filter { $0.source != nil || $0.kind == .quoted || $0.isPunct("+") }
                if let r = ComposeReader(source: source, destination: destination, d: k).read(value) {
                    out.assignments.append(.init(field: k, value: r.value, confidence: r.confidence, note: "named in prose"))
                } else if let v = reader.read(value) ?? (parts.count == 1 && tokens[s].source != nil ? reader.read([tokens[s]]) : nil) {
                    out.assignments.append(.init(field: k, value: v, confidence: confidence(v, k), note: "named in prose"))
                } else {
                    out.unread.append("\(k.name): the key's value could not be read")
                }
            }
            // The rest of the sentence is about the key; clauses that open with another destination field are still read.
            clauses = clauses.filter { c in
                subjectPositions(c).first.map { $0.start <= 1 && $0.field.name != k.name } ?? false
            }
            if let rest = restOfKeyClause, !rest.isEmpty { clauses.insert(rest, at: 0) }
            if clauses.isEmpty { return out }
        }
        // Lookups.
        if lower.contains("whose")
            && (lower.contains("look") || lower.contains("lookup") || lower.contains("found") || lower.contains("looking"))
        {
            if let a = LookupReader(source: source, destination: destination, schemas: schemas).read(tokens) {
                out.assignments.append(a)
            } else {
                out.unread.append("a lookup whose object, condition or target could not be read")
            }
            return out
        }
        // "Members become identifies (messageId: "mc-" + id).": a statement in parentheses is read on its own.
        if subjectPositions(tokens).isEmpty, let open = tokens.firstIndex(where: { $0.isPunct("(") }),
            let close = tokens[open...].firstIndex(where: { $0.isPunct(")") }), open + 2 < close,
            let d = tokens[open + 1].destination, tokens[open + 1].source == nil || tokens[open + 1].text == d.name,
            tokens[open + 2].isPunct(":", "=") || tokens[open + 2].isWord("is")
        {
            let inner = Array(tokens[(open + 1)..<close])
            let outside = Array(tokens[..<open]) + Array(tokens[(close + 1)...])
            if !outside.contains(where: { $0.destination != nil && $0.source == nil || $0.kind == .quoted }) {
                readClause(inner, into: &out)
                return out
            }
        }
        // "Every contact is sent as a GA4 event called "crm_sync"": the event's name, said in passing.
        if let e = eventNamedInPassing(tokens) ?? EventNameReader.constant(tokens, source: source, destination: destination)
            ?? EventNameReader.perValue(tokens, source: source, destination: destination)
            ?? EventNameReader.namesForValues(tokens, source: source, destination: destination)
        {
            out.assignments.append(e)
            return out
        }
        if clauses.count > 1 || subjectPositions(tokens).isEmpty, let a = readWholeValueMap(tokens) {
            out.assignments.append(a)
            return out
        }
        for (n, clause) in clauses.enumerated() {
            // "…; skip every event other than "X"": a skip rule in a later clause.
            if n > 0, let f = clause.first, f.isWord("skip", "ignore", "drop", "exclude") {
                readSkip(clause, into: &out)
                continue
            }
            if n > 0, continueFallback(clause, into: &out) { continue }
            if n > 0, ComposeReader.continueClause(clause, into: &out, source: source, destination: destination) { continue }
            if n > 0, continueChain(clause, into: &out) { continue }
            if n > 0, conditionalDefault(clause, into: &out) { continue }
            if n > 0, isExplanation(clause, after: out) { continue }
            readClause(clause, into: &out)
        }
        if out.assignments.isEmpty && out.skips.isEmpty && out.key == nil && out.unread.isEmpty && !out.context {
            let names = tokens.contains { $0.destination != nil || $0.source != nil || $0.kind == .quoted }
            if names {
                out.unread.append("names fields or values but says nothing the reader knows how to map")
            } else {
                out.context = true
            }
        }
        return out
    }

    /// "… as an event called "X"" / "becomes a GA4 event named "X"": the destination's required event
    /// name field (`name`, `event`) gets the constant, when the sentence says nothing else.
    private func eventNamedInPassing(_ t: [ProseToken]) -> SentenceOutcome.Assignment? {
        guard let at = t.firstIndex(where: { $0.isWord("called", "named", "titled") }), at > 0, at + 1 < t.count,
            t[at + 1].kind == .quoted, t[max(0, at - 2)..<at].contains(where: { $0.isWord("event", "events") }),
            t.filter({ $0.kind == .quoted }).count == 1,
            !t.contains(where: { $0.source != nil && $0.kind == .word && !$0.isWord("event") }),
            let d = destination.fields.first(where: { ["name", "event"].contains($0.name) && $0.required && !$0.readOnly }),
            let lit = ValueReader(source: source, destination: destination, d: d).literal(t[at + 1])
        else { return nil }
        return .init(field: d, value: ReadValue(text: lit, kind: .constant), confidence: 0.9, note: "named in prose, the event's name")
    }

    /// "D: X; fall back to Y when there is no X" / "…; if X is empty use Y": the copy the clause before
    /// read gets a fallback.
    private func continueFallback(_ c: [ProseToken], into out: inout SentenceOutcome) -> Bool {
        // "…; if there's no X use Y, and if there's neither use "V"": fallbacks one after another.
        var parts: [[ProseToken]] = [[]]
        for (k, t) in c.enumerated() {
            if t.isWord("and"), k > 0, c[k - 1].isPunct(","), k + 1 < c.count, c[k + 1].isWord("if", "when"), !(parts.last?.isEmpty ?? true)
            {
                parts[parts.count - 1].removeLast()
                parts.append([])
                continue
            }
            parts[parts.count - 1].append(t)
        }
        if parts.count > 1 {
            var copy = out
            guard continueFallback(parts[0], into: &copy) else { return false }
            for p in parts.dropFirst() {
                // "if there's neither / none of them / nothing use "V"": one more default after the chain.
                guard let i = copy.assignments.indices.last, copy.assignments[i].value.kind == .fallback,
                    p.first?.isWord("if", "when") == true, p.contains(where: { $0.isWord("neither", "none", "nothing", "no") }),
                    let use = p.firstIndex(where: { $0.isWord("use", "then", "send", "put") }),
                    p[..<use].allSatisfy({ $0.kind == .word && $0.source == nil }),
                    p[(use + 1)...].count == 1, let lit = p.last,
                    let value = ValueReader(source: source, destination: destination, d: copy.assignments[i].field).literal(lit),
                    lit.kind == .quoted || copy.assignments[i].field.type.baseType != .string
                else { return false }
                var text = copy.assignments[i].value.text
                // The last field before the literal: empty text is no value either.
                if let r = text.range(of: " ?? ", options: .backwards) {
                    let lastOperand = String(text[r.upperBound...])
                    if let f = source.fields.first(where: { OfflineExpr.field($0) == lastOperand }), f.type.baseType == .string {
                        text = String(text[..<r.upperBound]) + "null_if_blank(\(lastOperand))"
                    }
                }
                copy.assignments[i].value.text = text + " ?? " + value
            }
            out = copy
            return true
        }
        // "…; if there's no description then "Account " + Id": the alternative is a concatenation.
        if c.contains(where: { $0.isPunct("+") }), subjectPositions(c).isEmpty, let i = out.assignments.indices.last,
            out.assignments[i].value.kind == .copy, let prior = out.assignments[i].value.sourceField, let f = source.field(prior),
            c.first(where: { !$0.isWord("and", "but") })?.isWord("if", "when", "or", "otherwise", "else", "fall") == true
        {
            let d = out.assignments[i].field
            let head = ProseToken(kind: .word, text: f.name, lower: f.name.lowercased(), source: f)
            if let v = ValueReader(source: source, destination: destination, d: d).fallbackToConcatenation(
                [head, ProseToken(kind: .punct, text: ",", lower: ",")] + c)
            {
                out.assignments[i].value = v
                out.assignments[i].confidence = confidence(v, d)
                return true
            }
        }
        guard let first = c.first(where: { !$0.isWord("and", "but", "then") }),
            first.isWord("fall", "falling", "fallback", "or", "otherwise", "else")
                || first.isWord("if", "when") && c.contains(where: { $0.isWord("use", "then") })
                // "…; use "Individual" when it's empty": a fallback stated after the copy.
                || first.isWord("use", "default", "defaults")
                    && c.contains(where: { $0.isWord("empty", "blank", "missing", "null", "unset") })
                    && !c.contains(where: { $0.isWord("not", "isn", "except", "unless") }),
            subjectPositions(c).isEmpty, let i = out.assignments.indices.last, out.assignments[i].value.kind == .copy,
            let prior = out.assignments[i].value.sourceField
        else { return false }
        let others = c.compactMap(\.source).filter { $0.name != prior }
        let quoted = c.filter { $0.kind == .quoted }
        // "when that's blank use the domain of the email address": words it does not know change the value.
        let known: Set<String> = [
            "fall", "falling", "fallback", "back", "to", "on", "or", "otherwise", "else", "if", "when", "use", "it", "its", "it's", "that",
            "is", "are", "blank", "empty", "missing", "null", "unset", "there", "no", "none", "not", "the", "a", "an", "instead", "then",
            "and", "but", "value", "field", "s", "has", "have", "set", "given", "filled", "isn", "t", "there's", "default", "defaults",
            "trimmed", "lower", "lowercased", "lower-cased", "one", "nothing", "in", "case", "any", "of", "tag", "merge", "property",
        ]
        // "… when there is no mobile": a word of the preferred field's name or label names it.
        let priorWords = (prior + " " + (source.field(prior)?.label ?? "")).lowercased()
        guard
            c.allSatisfy({
                $0.source != nil || $0.kind != .word || known.contains($0.lower) || $0.lower.count >= 3 && priorWords.contains($0.lower)
            })
        else { return false }
        guard others.count + quoted.count >= 1, Set(others.map(\.name)).count + quoted.count == 1 else { return false }
        let d = out.assignments[i].field
        let reader = ValueReader(source: source, destination: destination, d: d)
        let fallbackText: String
        if let f = others.first {
            guard let v = reader.copy(c.filter { $0.source?.name == f.name || $0.isWord("trimmed", "lower", "lowercased", "lower-cased") })
            else {
                return false
            }
            fallbackText = v.text
        } else {
            guard let lit = reader.literal(quoted[0]) else { return false }
            fallbackText = lit
        }
        var a = out.assignments[i]
        let preferred = a.value.text
        a.value.text = (source.field(prior)?.type.baseType == .string ? "null_if_blank(\(preferred))" : preferred) + " ?? " + fallbackText
        a.value.kind = .fallback
        a.value.sourceField = nil
        a.confidence = confidence(a.value, d)
        out.assignments[i] = a
        return true
    }

    /// "…; otherwise A becomes B, anything else C": more arms and the default of the chain the sentence
    /// began.
    private func continueChain(_ c: [ProseToken], into out: inout SentenceOutcome) -> Bool {
        let opensDefault =
            c.prefix(4).contains { $0.isWord("other", "else", "rest", "everything", "anything") } && c.first?.destination == nil
        // "…; if LeadSource is Partner Referral → CONNECTED": one more arm.
        // "…; else if X is V then W": the same, after "else"/"otherwise".
        let opening = Array(c.drop { $0.isWord("else", "otherwise") || $0.isPunct(",") })
        let elseIf = opening.count < c.count && opening.first?.isWord("if", "when") == true
        let moreArms =
            opening.first?.isWord("if", "when") == true
            && (c.contains { $0.isPunct("->") || $0.isWord("then", "becomes", "gives") } || SentencePhrases.conditionThenValue(opening))
        guard let first = c.first,
            first.isWord("otherwise", "else") || c.count > 1 && first.isWord("if") && c[1].isWord("not") || opensDefault || moreArms
                || elseIf,
            subjectPositions(c).isEmpty,
            let i = out.assignments.lastIndex(where: { $0.value.chain != nil }), let chain = out.assignments[i].value.chain
        else { return false }
        let d = out.assignments[i].field
        // "…; if it is PROSPECT then "Prospect"": the arm keeps its "if".
        let rest = moreArms ? opening : Array(c.drop { $0.isWord("otherwise", "else", "if", "not") || $0.isPunct(",") })
        let reader = ValueReader(source: source, destination: destination, d: d)
        var merged = chain
        let context = out.assignments[i].value.chainFields
        if let more = ChainReader(source: source, destination: destination, d: d, reader: reader).parse(rest, context: context) {
            merged.arms += more.arms
            let oldCount = chain.arms.count
            merged.patterns =
                (chain.patterns.count == oldCount ? chain.patterns : Array(repeating: [], count: oldCount))
                + (more.patterns.count == more.arms.count ? more.patterns : Array(repeating: [], count: more.arms.count))
            if chain.subject == nil || chain.subject?.name == more.subject?.name {
                merged.subject = more.subject ?? chain.subject
            } else {
                // The arms before compared another field: they become conditions, the match is over the new arms.
                merged.patterns =
                    Array(repeating: [], count: oldCount)
                    + (more.subject != nil && more.patterns.count == more.arms.count
                        ? more.patterns : Array(repeating: [], count: more.arms.count))
                merged.subject = more.subject
            }
            if let f = more.fallback { merged.fallback = f }
        } else if opensDefault, merged.fallback == nil,
            let v = ChainReader(source: source, destination: destination, d: d, reader: reader).defaultValue(rest)
        {
            merged.fallback = v
        } else {
            let vals = rest.compactMap { reader.literal($0) }
            // "else Web when a campaign source is present": a value with a condition it could not read is no default.
            guard vals.count == 1, merged.fallback == nil, !SentencePhrases.hasOwnCondition(rest) else { return false }
            merged.fallback = vals[0]
        }
        var a = out.assignments[i]
        a.value.chain = merged
        a.value.text = merged.render(otherwise: "null")
        a.value.kind = merged.subject != nil ? .translation : .chain
        a.confidence = confidence(a.value, d)
        out.assignments[i] = a
        return true
    }

    /// "when the trimmed last name is empty use "Unknown"", "and when company is empty use "Unknown" for
    /// Company": a default for the destination that copies that source field.
    private func conditionalDefault(_ c: [ProseToken], into out: inout SentenceOutcome) -> Bool {
        // Several in one clause: "when A is empty use "x", and when B is empty use "y" for D".
        var parts: [[ProseToken]] = [[]]
        for (i, x) in c.enumerated() {
            if x.isWord("when", "if"), i > 0, !(parts.last?.isEmpty ?? true), parts.last!.contains(where: { $0.kind == .quoted }) {
                parts.append([])
            }
            parts[parts.count - 1].append(x)
        }
        if parts.count > 1 {
            var copy = out
            for p in parts { guard conditionalDefault(p, into: &copy) else { return false } }
            out = copy
            return true
        }
        var t = c
        while let l = t.last, l.isWord("and") || l.isPunct(",") { t.removeLast() }
        while let f = t.first, f.isWord("and", "but", "then") { t.removeFirst() }
        guard let first = t.first, first.isWord("when", "if"), let use = t.firstIndex(where: { $0.isWord("use", "put", "write", "send") }),
            t[..<use].contains(where: { ConditionReader.emptyWords.contains($0.lower) })
        else { return false }
        let fields = t[..<use].compactMap(\.source)
        guard fields.count == 1, let s = fields.first else { return false }
        let after = Array(t[(use + 1)...])
        let target =
            after.first { $0.destination != nil }?.destination
            ?? out.assignments.first { $0.value.sourceField == s.name }?.field
        guard let d = target, let lit = after.first(where: { $0.kind == .quoted }),
            let value = ValueReader(source: source, destination: destination, d: d).literal(lit)
        else { return false }
        let trimmed = t[..<use].contains { $0.isWord("trimmed", "trimming") }
        if let i = out.assignments.firstIndex(where: { $0.field.name == d.name }) {
            var a = out.assignments[i]
            a.value.text = "null_if_blank(\(a.value.text)) ?? \(value)"
            a.value.kind = .fallback
            out.assignments[i] = a
        } else {
            var v = OfflineExpr.field(s)
            if trimmed { v = "trim(\(v))" }
            let text = "null_if_blank(\(OfflineExpr.convert(v, type: s.type.baseType, from: s, to: d))) ?? \(value)"
            out.assignments.append(
                .init(field: d, value: ReadValue(text: text, kind: .fallback, sourceField: s.name), confidence: 0.9, note: "named in prose")
            )
        }
        return true
    }

    /// A clause that explains what the rules before it already do: "an empty or missing value counts
    /// as false", "any text longer than the field allows is cut to fit", "both trimmed".
    private func isExplanation(_ c: [ProseToken], after out: SentenceOutcome) -> Bool {
        guard !out.assignments.isEmpty, !c.contains(where: { $0.destination != nil || $0.kind == .quoted }) else { return false }
        let l = Set(c.map(\.lower))
        if !l.isDisjoint(with: ["counts", "count", "treated", "means"]) && !l.isDisjoint(with: ["false", "null", "empty"]) { return true }
        if l.contains("cut") && l.contains("fit") || l.contains("truncated") { return true }
        return false
    }

    private func split(_ t: [ProseToken], at p: String) -> [[ProseToken]] {
        var out: [[ProseToken]] = [[]]
        for x in t {
            if x.isPunct(p) { out.append([]) } else { out[out.count - 1].append(x) }
        }
        return out.filter { !$0.isEmpty }
    }

    // MARK: Skips

    /// Verbs of sending records over, after "only", "don't" or "never".
    static let sendVerbs: Set<String> = [
        "send", "sync", "map", "keep", "process", "push", "import", "create", "copy", "forward", "pass", "include", "transfer", "upsert",
        "export", "load", "bring", "move", "share",
    ]

    /// The passive skip form: "<records> are skipped / ignored / not sent / don't go over[, and so are
    /// <records>]". Each record phrase is one skip condition (a parenthesised restatement wins).
    private func readPassiveSkip(_ t: [ProseToken], into out: inout SentenceOutcome) -> Bool {
        let lower = t.map(\.lower)
        let passive: Set<String> = ["skipped", "ignored", "dropped", "excluded", "discarded", "filtered"]
        var verbAt: Int?
        var verbEnd = 0
        for i in lower.indices {
            if lower[i] == "left" || lower[i] == "kept", i > 0, i + 1 < lower.count, lower[i + 1] == "out",
                ["are", "is", "get", "be", "been", "gets"].contains(lower[i - 1])
            {
                verbAt = i - 1
                verbEnd = i + 2
                break
            }
            if passive.contains(lower[i]), i > 0, ["are", "is", "get", "be", "been", "gets"].contains(lower[i - 1]) {
                verbAt = i - 1
                verbEnd = i + 1
                break
            }
            if i > 0, lower[i - 1] == "not" || lower[i - 1] == "never",
                ["sent", "synced", "mapped", "imported", "pushed", "created", "copied", "included", "transferred", "exported"].contains(
                    lower[i]),
                i > 1, ["are", "is", "be", "get"].contains(lower[i - 2]) || lower[i - 1] == "never"
            {
                verbAt = lower[i - 1] == "never" ? i - 1 : i - 2
                verbEnd = i + 1
                break
            }
            if i + 2 < lower.count, lower[i] == "don" && lower[i + 1] == "t" || lower[i] == "do" && lower[i + 1] == "not",
                ["go", "get", "come", "make"].contains(lower[i + 2])
            {
                verbAt = i
                verbEnd = i + 3
                if verbEnd < lower.count, ["over", "through", "across", "in", "it"].contains(lower[verbEnd]) { verbEnd += 1 }
                break
            }
        }
        guard let v = verbAt, v > 0, !subjectPositions(Array(t[..<v])).contains(where: { $0.start == 0 }) else { return false }
        var pieces: [[ProseToken]] = [Array(t[..<v])]
        // "and so are X", "as are X", "and neither do X", "and so do X", "nor are X".
        var rest = Array(t[verbEnd...])
        while let f = rest.first, f.isPunct(",") || f.isWord("and") { rest.removeFirst() }
        let restLower = rest.map(\.lower)
        if restLower.starts(with: ["so", "are"]) || restLower.starts(with: ["so", "do"]) || restLower.starts(with: ["neither", "do"])
            || restLower.starts(with: ["neither", "are"]) || restLower.starts(with: ["as", "are"])
            || restLower.starts(with: ["nor", "are"])
            || restLower.starts(with: ["nor", "do"]) || restLower.starts(with: ["same", "for"])
        {
            var second = Array(rest.dropFirst(2))
            if let stop = second.firstIndex(where: { $0.isWord("since", "because", "as", "so") || $0.isPunct(";") }),
                !second[..<stop].isEmpty
            {
                second = Array(second[..<stop])
            }
            pieces.append(second)
        } else if rest.contains(where: { $0.source != nil || $0.kind == .quoted }),
            !rest.first.map({ $0.isWord("since", "because", "so", "as") })!
        {
            out.unread.append("a skip rule followed by words it could not read")
        }
        guard
            pieces[0].contains(where: { $0.source != nil }) || pieces[0].contains(where: { $0.isWord("no", "without") })
                || skipCondition(pieces[0]) != nil
        else {
            return false
        }
        for piece in pieces {
            if let c = skipCondition(piece) {
                out.skips.append((c, 0.9))
            } else {
                out.unread.append("a skip condition it could not read")
            }
        }
        return true
    }

    /// One record phrase of a skip: a parenthesised restatement when it reads, else the phrase.
    private func skipCondition(_ piece: [ProseToken]) -> String? {
        if let open = piece.firstIndex(where: { $0.isPunct("(") }), let close = piece[open...].firstIndex(where: { $0.isPunct(")") }),
            let c = ConditionReader.read(Array(piece[(open + 1)..<close]), source: source)
        {
            return c.text
        }
        return ConditionReader.read(piece.filter { !$0.isPunct("(", ")") }, source: source)?.text
    }

    private func readSkip(_ t: [ProseToken], lead: Int = 1, into out: inout SentenceOutcome) {
        let lower = t.map(\.lower)
        let only = lower.first == "only"
        let unless = lower.firstIndex(of: "unless")
        var body = Array(t.dropFirst(only ? 2 : lead))
        if let u = unless { body = Array(t[(u + 1)...]) }
        // Parenthesised restatements ("whose email has bounced (IsEmailBounced is true)") are preferred.
        var groups: [[ProseToken]] = [[]]
        var depth = 0
        var parens: [[ProseToken]] = []
        for x in body {
            if x.isPunct("(") {
                depth += 1
                parens.append([])
                continue
            }
            if x.isPunct(")") {
                depth = max(0, depth - 1)
                continue
            }
            if depth > 0 {
                parens[parens.count - 1].append(x)
                continue
            }
            // A new group: "and contacts whose …", "; skip …", ", and members that …"
            if x.isWord("and", "or") || x.isPunct(";", ","), !(groups.last?.isEmpty ?? true) {
                groups[groups.count - 1].append(x)
                continue
            }
            groups[groups.count - 1].append(x)
        }
        var conditions: [String] = []
        let parenConds = parens.compactMap { ConditionReader.read($0, source: source) }
        if !parenConds.isEmpty && parenConds.count == parens.count {
            // The whole sentence in parentheses form: read the text outside as paraphrase of the parentheses
            // only for the group that holds them; other groups are read on their own.
            let outside = groups[0]
            let pieces = skipPieces(outside)
            for (i, piece) in pieces.enumerated() {
                if i == pieces.count - 1 {
                    conditions += parenConds.map(\.text)
                } else if let c = ConditionReader.read(piece, source: source) {
                    conditions.append(c.text)
                } else {
                    out.unread.append("a skip condition it could not read")
                }
            }
        } else {
            for piece in skipPieces(groups[0]) {
                if let c = ConditionReader.read(piece, source: source) {
                    conditions.append(c.text)
                } else if !conditions.isEmpty, isSkipExplanation(piece) {
                    continue
                } else {
                    out.unread.append("a skip condition it could not read")
                }
            }
        }
        for c in conditions {
            let cond = only || unless != nil ? "not (\(c))" : c
            out.skips.append((cond, 0.9))
        }
    }

    /// "…, those already live in the CRM", "…, as they are test data": why records are skipped, after a
    /// rule. It names no field, no quoted value and no value of a source picklist.
    private func isSkipExplanation(_ p: [ProseToken]) -> Bool {
        guard let first = p.first, first.isWord("those", "they", "these", "which", "because", "since", "as", "we", "that's", "it's"),
            !(p.dropFirst().first?.isWord("that", "who", "whose", "with", "without", "where", "whose") ?? false)
        else { return false }
        let values = Set(source.fields.flatMap { $0.values ?? [] }.map { $0.lowercased() })
        return !p.contains { $0.source != nil || $0.kind == .quoted || values.contains($0.lower) }
    }

    /// "contacts that have no Email and contacts whose email has bounced": one piece per "and <noun>" /
    /// ", <noun>" restart; "X is V or W" and "neither X nor Y" stay whole.
    private func skipPieces(_ t: [ProseToken]) -> [[ProseToken]] {
        var pieces: [[ProseToken]] = [[]]
        let nouns: Set<String> = [
            "contacts", "contact", "leads", "lead", "members", "member", "events", "event", "records", "record", "companies", "company",
            "accounts", "account", "those", "ones", "any", "calls", "subscribers", "people", "users", "rows", "also",
        ]
        var i = 0
        while i < t.count {
            let x = t[i]
            if x.isWord("and", "or") || x.isPunct(","), i + 1 < t.count, nouns.contains(t[i + 1].lower) || t[i + 1].isWord("skip"),
                !(pieces.last?.isEmpty ?? true)
            {
                pieces.append([])
                i += 1
                continue
            }
            // "…, and ignore them when X is V", "…, and drop those where …": a second skip verb starts a rule of its own.
            var j = i + 1
            while j < t.count, t[j].isWord("and", "also") || t[j].isPunct(",") { j += 1 }
            if x.isWord("and") || x.isPunct(",", ";"), j < t.count, t[j].isWord("skip", "ignore", "drop", "exclude", "discard"),
                !(pieces.last?.isEmpty ?? true)
            {
                j += 1
                while j < t.count, t[j].isWord("them", "those", "it", "ones", "also", "too", "any", "all") { j += 1 }
                pieces.append([])
                i = j
                continue
            }
            pieces[pieces.count - 1].append(x)
            i += 1
        }
        return pieces.filter { !$0.isEmpty }
    }

    // MARK: Assignments

    /// "FirstName, Title straight across (Title <- jobtitle)", "city, state unchanged": each destination
    /// copies the source field of its own name, or the one a pair in parentheses gives it. Nothing is read
    /// unless every destination has exactly one.
    private func straightAcross(_ dests: [Field], _ value: [ProseToken], into out: inout SentenceOutcome) -> Bool {
        let words: Set<String> = [
            "straight", "across", "over", "as", "is", "unchanged", "same", "copied", "directly", "through", "carried", "passed", "both",
            "all", "just", "copy", "1:1", "verbatim", "untouched",
        ]
        var outside: [ProseToken] = []
        var inside: [[ProseToken]] = []
        var depth = 0
        for t in value {
            if t.isPunct("(") {
                depth += 1
                inside.append([])
            } else if t.isPunct(")") {
                depth = max(0, depth - 1)
            } else if depth > 0 {
                inside[inside.count - 1].append(t)
            } else {
                outside.append(t)
            }
        }
        guard dests.count > 1 || !inside.isEmpty, !outside.isEmpty,
            outside.allSatisfy({ $0.kind == .word && words.contains($0.lower) && $0.source == nil || $0.isPunct(",") }),
            outside.contains(where: { $0.isWord("straight", "across", "unchanged", "verbatim", "untouched", "directly") })
        else { return false }
        // "(Title <- jobtitle)", "(Title from jobtitle)", "(jobtitle -> Title)": the pairs that say otherwise.
        var given: [String: ProseToken] = [:]
        for p in inside.flatMap({ split($0, at: ",") }) {
            let w = p.filter { !$0.isWord("the", "and") }
            if w.count == 3, let d = w[0].destination, w[1].isPunct("=", ":") || w[1].isWord("from", "is"), w[2].source != nil {
                given[d.name] = w[2]
            } else if w.count == 3, w[0].source != nil, w[1].isPunct("->") || w[1].isWord("to", "into"), let d = w[2].destination {
                given[d.name] = w[0]
            } else {
                return false
            }
        }
        var found: [(Field, ProseToken)] = []
        for d in dests {
            if let t = given[d.name] {
                found.append((d, t))
            } else if let same = source.fields.first(where: { $0.name.lowercased() == d.name.lowercased() }) {
                found.append((d, ProseToken(kind: .word, text: same.name, lower: same.name.lowercased(), source: same)))
            } else {
                out.unread.append("\(d.name): no source field of the same name")
                return true
            }
        }
        for (d, t) in found {
            if let v = ValueReader(source: source, destination: destination, d: d).copy([t]) {
                out.assignments.append(.init(field: d, value: v, confidence: confidence(v, d), note: "named in prose"))
            } else {
                out.unread.append("\(d.name): a value it could not read")
            }
        }
        return true
    }

    /// "params.coupon / params.tax = same-named properties", "city, state: the traits of the same name":
    /// each destination copies the one source field whose last name part is its own (within the source
    /// group the words name, such as `properties` or `traits`). Nothing is read unless every one is found.
    private func sameNamed(_ dests: [Field], _ value: [ProseToken], into out: inout SentenceOutcome) -> Bool {
        let lower = value.filter { $0.kind == .word }.map(\.lower)
        let says =
            lower.contains("same-named") || lower.contains("same") && (lower.contains("name") || lower.contains("named"))
            || lower.contains("namesake") || lower.contains("namesakes")
        let fillers: Set<String> = [
            "same-named", "same", "name", "named", "names", "the", "with", "of", "a", "from", "their", "its", "matching", "namesake",
            "namesakes", "ones", "fields", "field", "properties", "property", "traits", "trait", "in", "=", "is", "are", "come", "comes",
            "copied", "take", "use",
        ]
        guard says, value.allSatisfy({ $0.kind == .word && fillers.contains($0.lower) || $0.isPunct(",", ":", "=") }) else { return false }
        let group = lower.contains("properties") || lower.contains("property") ? "properties." : lower.contains("traits") ? "traits." : ""
        func last(_ n: String) -> String { String(n.split(separator: ".").last ?? Substring(n)).lowercased() }
        var found: [(Field, Field)] = []
        for d in dests {
            let hits = source.fields.filter { $0.name.hasPrefix(group) && last($0.name) == last(d.name) }
            guard hits.count == 1 else {
                out.unread.append("\(d.name): no single source field of the same name")
                return true
            }
            found.append((d, hits[0]))
        }
        for (d, s) in found {
            let token = ProseToken(kind: .word, text: s.name, lower: s.name.lowercased(), source: s)
            if let v = ValueReader(source: source, destination: destination, d: d).copy([token]) {
                out.assignments.append(
                    .init(field: d, value: v, confidence: confidence(v, d), note: "named in prose, the field of the same name"))
            } else {
                out.unread.append("\(d.name): a value it could not read")
            }
        }
        return true
    }

    /// "Map traits.firstName to firstname, traits.lastName to lastname and company from traits.company.name":
    /// a run-on list of pairs, each one source field and one destination field joined by a linking word
    /// ("to", "into", "->" after the source; "from", "is", "=", ":" after the destination). Read only when
    /// every piece of the clause is such a pair; anything else is left to the other forms.
    private func readPairList(_ c: [ProseToken], into out: inout SentenceOutcome) -> Bool {
        var t = c
        // "Address fields: …": a label without fields before a colon.
        if let colon = t.firstIndex(where: { $0.isPunct(":") }), colon <= 5,
            t[..<colon].allSatisfy({ $0.kind == .word && $0.source == nil && $0.destination == nil })
        {
            t = Array(t[(colon + 1)...])
        }
        let leadIn: Set<String> = ["map", "please", "also", "copy", "then", "and", "so", "just", "the", "we", "i", "mapping", "fields"]
        while let f = t.first, f.kind == .word, f.source == nil, f.destination == nil, leadIn.contains(f.lower) { t.removeFirst() }
        var pieces: [[ProseToken]] = [[]]
        for x in t {
            if x.isPunct(",", ";") || x.isWord("and") {
                if !(pieces.last?.isEmpty ?? true) { pieces.append([]) }
            } else {
                pieces[pieces.count - 1].append(x)
            }
        }
        pieces = pieces.filter { !$0.isEmpty }
        guard pieces.count >= 2 else { return false }
        let fillers: Set<String> = [
            "the", "field", "fields", "its", "value", "over", "across", "straight", "copied", "goes", "comes", "also",
        ]
        var pairs: [(d: Field, s: ProseToken)] = []
        var unreadPieces = 0
        for (n, p) in pieces.enumerated() {
            var w = p.filter { !($0.kind == .word && $0.source == nil && $0.destination == nil && fillers.contains($0.lower)) }
            // "the address goes state <- State": words that introduce the list, before its first pair.
            if n == 0, w.count > 3, let at = p.firstIndex(where: { $0.text == w[w.count - 3].text && $0.kind == w[w.count - 3].kind }),
                at > 0, p[at - 1].isWord("goes", "go", "is", "are", "follows", "like", "this"),
                !p[..<at].contains(where: { $0.source != nil && $0.destination == nil || $0.kind == .quoted })
            {
                w = Array(w.suffix(3))
            }
            if w.count == 3, w[1].isWord("to", "into") || w[1].isPunct("->"), w[0].source != nil, let d = w[2].destination {
                pairs.append((d, w[0]))
            } else if w.count == 3, w[1].isWord("from", "is") || w[1].isPunct("=", ":"), let d = w[0].destination, w[2].source != nil {
                pairs.append((d, w[2]))
            } else {
                unreadPieces += 1
            }
        }
        // A list it mostly reads: the pieces it cannot read are listed (and flag the rest), never guessed.
        guard pairs.count >= 2, pairs.count > unreadPieces, Set(pairs.map(\.d.name)).count == pairs.count else { return false }
        if unreadPieces > 0 { out.unread.append("\(unreadPieces) part(s) of a list of pairs it could not read") }
        for (d, s) in pairs {
            let reader = ValueReader(source: source, destination: destination, d: d)
            if let v = reader.copy([s]) {
                out.assignments.append(.init(field: d, value: v, confidence: confidence(v, d), note: "named in prose"))
            } else {
                out.unread.append("\(d.name): a value it could not read")
            }
        }
        return true
    }

    /// One clause: subjects (destination fields in subject position) each with the value tokens
    /// that follow, or the "Copy S into D" form.
    private func readClause(_ c: [ProseToken], into out: inout SentenceOutcome) {
        // "FirstName, Title straight across (Title <- jobtitle)": a list of destinations, then words that copy.
        var lead = 0
        while lead < c.count, c[lead].destination != nil || c[lead].isPunct(",") || c[lead].isWord("and") { lead += 1 }
        let listed = c[..<lead].compactMap(\.destination)
        if !listed.isEmpty, lead < c.count {
            var across = out
            if straightAcross(listed, Array(c[lead...]), into: &across) {
                out = across
                return
            }
        }
        // A clause that is nothing but pairs ("Map A to B, C to D", "the address goes city <- City, state <- State").
        var strict = out
        if readPairList(c, into: &strict), strict.unread.count == out.unread.count {
            out = strict
            return
        }
        var tried = out
        readClauseForms(c, into: &tried)
        // A clause the other forms cannot read whole may be a run-on list of pairs ("Map A to B, C to D").
        if tried.unread.count > out.unread.count {
            var paired = out
            if readPairList(c, into: &paired), paired.assignments.count > tried.assignments.count {
                out = paired
                return
            }
            // "… come over from A, B and C, and the address goes city <- City, …": statements joined by ", and",
            // each read on its own, when that reads more and leaves no more unread.
            var parts: [[ProseToken]] = [[]]
            var k = 0
            while k < c.count {
                if c[k].isPunct(","), k + 1 < c.count, c[k + 1].isWord("and"), !(parts.last?.isEmpty ?? true) {
                    parts.append([])
                    k += 2
                    continue
                }
                parts[parts.count - 1].append(c[k])
                k += 1
            }
            parts = parts.filter { !$0.isEmpty }
            if parts.count > 1 {
                var split = out
                for p in parts { readClause(p, into: &split) }
                if split.assignments.count > tried.assignments.count, split.unread.count <= tried.unread.count {
                    out = split
                    return
                }
            }
        }
        out = tried
    }

    private func readClauseForms(_ c: [ProseToken], into out: inout SentenceOutcome) {
        // "Mailing address: address -> MailingStreet, city -> MailingCity": a list of arrow pairs, each read alone.
        var c = c
        var pairs = c
        if let colon = c.firstIndex(where: { $0.isPunct(":") }), colon < 5, c[..<colon].allSatisfy({ $0.kind == .word || $0.isPunct(",") }),
            c.filter({ $0.isPunct("->") }).count >= 2,
            // "Rating: customer -> Hot, …": arrows between values translate the field in the label.
            c[(colon + 1)...].contains(where: { $0.destination != nil })
        {
            pairs = Array(c[(colon + 1)...])
        }
        if pairs.filter({ $0.isPunct("->") }).count >= 2 {
            let pieces = split(pairs, at: ",")
            if pieces.count >= 2, pieces.allSatisfy({ p in p.filter { $0.isPunct("->") }.count == 1 }),
                // Each pair names a source before its arrow and a destination after it.
                pieces.allSatisfy({ p in
                    guard let a = p.firstIndex(where: { $0.isPunct("->") }) else { return false }
                    return p[..<a].contains { $0.source != nil } && p[(a + 1)...].contains { $0.destination != nil }
                })
            {
                for p in pieces {
                    let before = (out.assignments.count, out.unread.count)
                    readClause(p.first?.isWord("and") == true ? Array(p.dropFirst()) : p, into: &out)
                    if (out.assignments.count, out.unread.count) == before {
                        out.unread.append("an arrow pair it could not read")
                    }
                }
                return
            }
        }
        // "And in Message put X": the destination first, read as "put X in Message".
        if let k = c.firstIndex(where: { !$0.isWord("and", "then", "also") }), k + 2 < c.count, c[k].isWord("in", "into"),
            c[k + 1].destination != nil, c[k + 2].isWord("put", "write")
        {
            c = [c[k + 2]] + Array(c[(k + 3)...]) + [ProseToken(kind: .word, text: "in", lower: "in"), c[k + 1]]
        }
        // "We put X in D", "I'd like X copied to D": the speaker goes.
        if c.count > 2, c[0].isWord("we", "i", "please", "then"), c[1].kind == .word, c.contains(where: { $0.destination != nil }) {
            var rest = Array(c.dropFirst())
            while let f = rest.first, f.isWord("also", "just", "always", "then", "want", "to", "should", "will", "can", "d", "like") {
                rest.removeFirst()
            }
            if let f = rest.first,
                ["copy", "map", "put", "send", "write", "move", "use", "take", "store", "carry", "pass"].contains(f.lower)
            {
                c = rest
            }
        }
        let lower = c.map(\.lower)
        // "D is left empty", "D stays empty": no rule, which leaves it empty.
        if let d = c.first?.destination, c.count <= 6, c.dropFirst().allSatisfy({ $0.source == nil && $0.kind == .word }),
            c.contains(where: { $0.isWord("left", "stays", "remains", "leave") }),
            c.contains(where: { $0.isWord("empty", "blank", "unset", "null", "alone", "out") }), !d.required, d.nullable
        {
            out.context = true
            return
        }
        // "leave D empty/out when …": what null does anyway; read as an explanation.
        if lower.first == "leave" || lower.first == "keep" || lower.first == "and" && lower.dropFirst().first == "leave" {
            if c.contains(where: { $0.isWord("empty", "out", "blank", "null", "unset") }) {
                let d = c.first { $0.destination != nil }?.destination
                if d == nil || out.assignments.contains(where: { $0.field.name == d!.name }) { return }
            }
        }
        // Copy form: verb first, destinations after "into"/"to"/"as"/"in" or an arrow.
        let verbs: Set<String> = ["copy", "map", "put", "send", "write", "move", "use", "take", "store", "carry", "pass"]
        let lead = c.first?.isWord("the") == true && c.count > 1 ? c[1] : c.first
        let sourceFirst = lead.map { $0.source != nil && ($0.destination == nil || $0.text != $0.destination?.name) } ?? false
        if let v = lower.first, verbs.contains(v) || sourceFirst,
            let into = c.firstIndex(where: {
                sourceFirst && !verbs.contains(v)
                    ? $0.isWord("into", "goes", "go", "feeds", "fills", "stored", "saved", "written", "copied", "lands", "land", "kept")
                        || $0.isPunct("->")
                    : $0.isWord("into", "to", "in", "as", "onto") || $0.isPunct("->") || $0.isWord("goes", "go")
            }),
            c[(into + 1)...].contains(where: { $0.destination != nil }),
            !c[..<into].contains(where: { $0.destination != nil && $0.source == nil })
        {
            var valueTokens = Array(c[..<into])
            if let first = valueTokens.first, verbs.contains(first.lower) { valueTokens.removeFirst() }
            var destTokens = Array(c[(into + 1)...])
            // The destinations are one list ("into FirstName and LastName"); words after it (", when …")
            // belong to the value. A destination further on means the clause says more than one thing.
            if let firstDest = destTokens.firstIndex(where: { $0.destination != nil }) {
                var lastDest = firstDest
                var k = firstDest + 1
                while k < destTokens.count,
                    destTokens[k].destination != nil || destTokens[k].isWord("and", "both") || destTokens[k].isPunct(",")
                {
                    if destTokens[k].destination != nil { lastDest = k }
                    k += 1
                }
                if destTokens[(lastDest + 1)...].contains(where: { $0.destination != nil && $0.source == nil }) {
                    out.unread.append("several statements in one clause")
                    return
                }
                valueTokens += destTokens[(lastDest + 1)...]
                destTokens = Array(destTokens[...lastDest])
            }
            let dests = destTokens.compactMap(\.destination)
            assign(dests, valueTokens, into: &out)
            return
        }
        // Modifiers said once for several assignments ("…, both trimmed, and any text longer than the
        // field allows is cut to fit"): applied to each, and the truncation is what conversion does anyway.
        var shared: [ProseToken] = []
        var pieces: [[ProseToken]] = [[]]
        for x in c {
            if x.isPunct(",") { pieces.append([]) } else { pieces[pieces.count - 1].append(x) }
        }
        if pieces.count > 1 {
            var kept: [ProseToken] = []
            for (n, p) in pieces.enumerated() {
                let words = p.map(\.lower).filter { $0 != "and" }
                let modifierOnly =
                    !words.isEmpty
                    && words.allSatisfy {
                        ["both", "all", "each", "trimmed", "lower-cased", "lowercased", "lower", "cased", "upper", "uppercased"].contains(
                            $0)
                    }
                let truncation =
                    words.contains("cut") && words.contains("fit") || words.contains("truncated") && !p.contains { $0.source != nil }
                if n > 0 && (modifierOnly || truncation) {
                    if modifierOnly { shared += p.filter { !$0.isWord("both", "all", "each", "and") } }
                    continue
                }
                if n > 0 { kept.append(ProseToken(kind: .punct, text: ",", lower: ",")) }
                kept += p
            }
            c = kept
        }
        // Subject form.
        // "The messageId …, so build it from "sfdc-", the Id, a dash and the date": a value built from parts.
        if let (d, r) = ComposeReader.builtFrom(c, source: source, destination: destination)
            ?? ComposeReader.preferred(c, source: source, destination: destination)
        {
            out.assignments.append(.init(field: d, value: r.value, confidence: r.confidence, note: "named in prose"))
            return
        }
        let subjects = subjectPositions(c)
        guard !subjects.isEmpty else {
            if c.contains(where: { $0.destination != nil || $0.source != nil || $0.kind == .quoted }) {
                out.unread.append("a clause with no destination field in subject position")
            }
            return
        }
        for (n, start) in subjects.enumerated() {
            let end = n + 1 < subjects.count ? subjects[n + 1].start : c.count
            var dests: [Field] = []
            var i = start.start
            // A list of destinations: "D1, D2 and D3 from …".
            while i < end {
                if let d = c[i].destination, c[i].source == nil || dests.isEmpty || c[i].text == d.name {
                    dests.append(d)
                    i += 1
                } else if c[i].isPunct(",") || c[i].isWord("and"), i + 1 < end, c[i + 1].destination != nil,
                    c[i + 1].source == nil || c[i + 1].text == c[i + 1].destination?.name
                {
                    i += 1
                } else {
                    break
                }
            }
            var value = Array(c[i..<end])
            while let l = value.last, l.isWord("and") || l.isPunct(",") { value.removeLast() }
            value += shared
            var always: ProseToken?
            // Verbs between subject and value.
            while let f = value.first,
                f.isWord(
                    "is", "are", "=", "comes", "come", "from", "gets", "get", "takes", "take", "should", "be", "set", "to", "becomes",
                    "become", "holds", "reads", "equals", "will", "always", "copies", "copy", "filled", "with", "maps", "map", "receives",
                    "uses", "use") || f.isPunct("=", ":", "->")
            {
                // "is always "x"": "always" goes back for the constant reader's sake (it says the value is one).
                if f.isWord("always") { always = f }
                value.removeFirst()
            }
            if let a = always, !value.contains(where: { $0.source != nil }) { value.insert(a, at: 0) }
            assign(dests, value, into: &out)
        }
    }

    /// Destination fields in subject position: at the clause start, or after `,` / `and` / `set` /
    /// `the` / `while` when a verb follows.
    private func subjectPositions(_ c: [ProseToken]) -> [(start: Int, field: Field)] {
        var out: [(Int, Field)] = []
        var i = 0
        while i < c.count {
            guard let d = c[i].destination else {
                i += 1
                continue
            }
            // A word that names both sides in value position is a source ("Email is the email": `email`).
            // "…, and the userId is …": determiners between the break and the field do not count.
            var p = i - 1
            while p >= 0, c[p].isWord("the", "a", "an", "our", "its") { p -= 1 }
            let prevWords = p >= 0 ? [c[p].lower] : []
            let atStart = c[..<i].allSatisfy { $0.isWord("set", "the", "and", "then", "also", "finally", "field", "make") }
            let afterBreak =
                p >= 0
                && (c[p].isPunct(",", ":") || ["and", "set", "while", "so", "with", "then", "also"].contains(prevWords.first ?? ""))
            // "Last name: lastname", "email = Email": a field word that opens a clause before `:` or `=`
            // is the destination when the rest of the clause names a value.
            let labelled =
                atStart && i + 1 < c.count && c[i + 1].isPunct(":", "=")
                && c[(i + 2)...].contains { $0.source != nil || $0.kind == .quoted }
            let bothSides = c[i].source != nil && c[i].text != d.name && !labelled
            if (atStart || afterBreak) && !bothSides && nextIsVerbOrList(c, i + 1) {
                out.append((i, d))
                // Skip the rest of a destination list.
                var j = i + 1
                while j < c.count,
                    c[j].destination != nil || c[j].isPunct(",") || c[j].isWord("and") && j + 1 < c.count && c[j + 1].destination != nil
                {
                    j += 1
                }
                i = j
                continue
            }
            i += 1
        }
        return out
    }

    private func nextIsVerbOrList(_ c: [ProseToken], _ i: Int) -> Bool {
        guard i < c.count else { return false }
        let t = c[i]
        if t.isPunct("=", ":", ",") || t.isPunct("->") { return true }
        if t.destination != nil { return true }
        return t.isWord(
            "is", "are", "comes", "come", "from", "gets", "get", "takes", "take", "should", "becomes", "become", "holds", "reads",
            "equals", "will", "always", "copies", "maps", "receives", "uses", "and", "to", "must", "joins", "combines", "stays", "set",
            "named", "called", "gets")
    }

    /// Assigns `value` to each destination: one value for all, or pairs when the value lists as many
    /// source fields as there are destinations ("FirstName and LastName from firstname and lastname, trimmed").
    private func assign(_ dests: [Field], _ value: [ProseToken], into out: inout SentenceOutcome) {
        guard !dests.isEmpty else { return }
        if sameNamed(dests, value, into: &out) { return }
        if straightAcross(dests, value, into: &out) { return }
        let sources = value.compactMap(\.source)
        if dests.count > 1 {
            let modifiers = value.filter { $0.source == nil && !$0.isWord("and") && !$0.isPunct(",") }
            guard sources.count == dests.count, value.filter({ $0.kind == .quoted }).isEmpty else {
                // "status and status_if_new …": the same value for both (a value naming one field at most).
                guard Set(sources.map(\.name)).count <= 1 else {
                    out.unread.append("\(dests.map(\.name).joined(separator: ", ")): as many values as fields were not found")
                    return
                }
                if let v = ValueReader(source: source, destination: destination, d: dests[0]).read(value) {
                    for d in dests {
                        if let dv = ValueReader(source: source, destination: destination, d: d).read(value) {
                            out.assignments.append(.init(field: d, value: dv, confidence: confidence(dv, d), note: "named in prose"))
                        }
                    }
                    _ = v
                } else {
                    out.unread.append("\(dests.map(\.name).joined(separator: ", ")): a value it could not read")
                }
                return
            }
            for (d, s) in zip(dests, sources) {
                let piece = [value.first { $0.source?.name == s.name }!] + modifiers
                if let v = ValueReader(source: source, destination: destination, d: d).read(piece) {
                    out.assignments.append(.init(field: d, value: v, confidence: confidence(v, d), note: "named in prose"))
                } else {
                    out.unread.append("\(d.name): a value it could not read")
                }
            }
            return
        }
        let d = dests[0]
        // "the same value" as another destination.
        if value.contains(where: { $0.isWord("same") }),
            let other = value.first(where: { $0.destination != nil })?.destination ?? out.assignments.last?.field,
            let prior = out.assignments.first(where: { $0.field.name == other.name })
        {
            out.assignments.append(.init(field: d, value: prior.value, confidence: prior.confidence, note: "named in prose"))
            return
        }
        if let r = ComposeReader(source: source, destination: destination, d: d).read(value) {
            out.assignments.append(.init(field: d, value: r.value, confidence: r.confidence, note: "named in prose"))
        } else if let v = ValueReader(source: source, destination: destination, d: d, context: context, sentence: sentenceFields).read(
            value)
        {
            if v.borrowed {
                out.assignments.append(
                    .init(
                        field: d, value: v, confidence: 0.4,
                        note:
                            "REVIEW: named in prose; the field it translates (\(v.chain?.subject?.name ?? "?")) is "
                            + (v.subjectGuessed ? "taken from \(d.name)'s name" : "named in an earlier sentence")
                    ))
            } else {
                out.assignments.append(.init(field: d, value: v, confidence: confidence(v, d), note: "named in prose"))
            }
        } else {
            out.unread.append("\(d.name): a value it could not read")
        }
    }

    /// The confidence of a chain once a later sentence gives its default.
    static let chainConfidence = 0.9

    /// The confidence of a reading, by kind (calibrated on the evaluation suite; see BENCHMARKS.md).
    func confidence(_ v: ReadValue, _ d: Field) -> Double {
        switch v.kind {
        case .copy:
            guard let s = v.sourceField else { return 0.9 }
            return Vocabulary.nameSimilarity(s, d.name) >= 0.5 ? 0.95 : 0.9
        case .constant: return 0.95
        case .translation, .chain: return v.chain?.fallback == nil ? 0.7 : 0.9
        case .condition: return 0.9
        case .concatenation: return 0.85
        case .dateFormat: return 0.9
        case .fallback: return 0.9
        case .lookup: return 0.85
        }
    }
}
