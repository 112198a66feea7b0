import MapDSL

/// Plain copies in list forms the sentence reader does not take apart: "First Name, Last Name, Title →
/// First Name / Last Name / Job Title", "Billing City / State / Zip → city / state / zip", "Mobile Phone →
/// Mobile Phone Number, Mailing City → City", "Employees and Annual Revenue: copy them across", "Email
/// trimmed and lower-cased", "firstName and lastName are the First Name and Last Name", "Last name, job
/// title (traits.title) and phone are copied straight over, and so are city and country from the address
/// traits". Every pair must name one field on each side (by name, label, a one-letter typo of a label or
/// name, or a label prefix shared with the item before); the words around them may only be list glue,
/// copy words and case or trim modifiers. Anything else and the sentence is not read here.
struct CopyListReader {
    let source: Schema
    let destination: Schema
    /// Set while reading a sentence that opens with a copy verb ("Put the X into D, the Y into E"): then "in"
    /// and "to" connect a source to a destination too.
    var verbFirst = false

    /// How the two lists of a statement face each other.
    private enum Direction { case sourceFirst, destinationFirst, same }

    /// One list item: the tokens that name it and, from parentheses after it, the source field it copies.
    private struct Item {
        var tokens: [ProseToken]
        var given: Field?
        /// "Email (lower-cased)": case and trim words for this item only.
        var modifiers: [ProseToken] = []
    }

    /// One read copy with what made it uncertain.
    private struct Pair {
        var d: Field
        var s: Field
        var typo: String?
        var modifiers: [ProseToken] = []
    }

    /// Words that connect a list of sources to a list of destinations ("A, B → C, D"), longest first.
    private static let sourceFirst: [[String]] = [
        ["goes", "straight", "into"], ["go", "straight", "into"], ["go", "into"], ["goes", "into"], ["go", "to"], ["goes", "to"],
        ["maps", "to"], ["map", "to"], ["mapped", "to"], ["copied", "to"], ["copied", "into"], ["lands", "in"], ["land", "in"],
        ["->"], ["into"], ["feeds"], ["fills"], ["populates"],
    ]
    /// Words that connect a list of destinations to the sources they take ("C and D are A and B").
    private static let destinationFirst: [[String]] = [
        ["come", "straight", "from"], ["comes", "straight", "from"], ["are", "copied", "from"], ["is", "copied", "from"],
        ["is", "taken", "from"], ["are", "taken", "from"], ["comes", "from"], ["come", "from"], ["should", "be"], ["will", "be"],
        ["="], [":"], ["from"], ["is"], ["are"], ["equals"], ["equal"], ["mirrors"], ["mirror"], ["carries"], ["carry"], ["being"],
        ["gets"], ["get"], ["takes"], ["take"], ["holds"], ["hold"],
    ]
    /// Words that say a value goes over as it is.
    private static let copyWords: Set<String> = [
        "straight", "across", "over", "unchanged", "as", "is", "are", "directly", "verbatim", "both", "all", "respectively",
        "untouched", "copied", "copy", "copies", "them", "it", "just", "simply", "too", "also", "through", "carried", "passed", "kept",
        "the", "way", "they", "be", "should", "can", "go", "goes", "come", "itself", "themselves", "each", "plain", "simple",
        "direct",
    ]
    /// Of those, the ones that say it on their own (not "is" or "the").
    private static let strongCopyWords: Set<String> = [
        "straight", "across", "unchanged", "verbatim", "untouched", "copied", "copy", "copies", "directly", "itself",
    ]
    /// Case and trim words, and the words that go with them.
    private static let trimWords: Set<String> = ["trim", "trimmed", "trimming", "strip", "stripped", "stripping", "whitespace"]
    private static let lowerWords: Set<String> = ["lowercase", "lowercased", "lower-cased", "lower-case", "lowercasing", "downcased"]
    private static let upperWords: Set<String> = ["uppercase", "uppercased", "upper-cased", "upper-case", "uppercasing", "capitals"]
    private static let modifierGlue: Set<String> = [
        "and", "with", "in", "case", "cased", "lower", "upper", "spaces", "space", "around", "off", "leading", "trailing", "any", "the",
        "stray", "extra", "surrounding", "removed", "both", "ends", "sides", "them", "it", "of", "on", "make", "made",
    ]
    /// Words that make a parenthesised aside more than an explanation.
    private static let conditionWords: Set<String> = [
        "if", "when", "unless", "except", "but", "not", "no", "only", "empty", "blank", "null", "default", "otherwise", "else",
        "without", "never", "instead", "or", "unknown", "missing",
    ]
    /// Words before an item that only point at it.
    private static let determiners: Set<String> = [
        "the", "its", "their", "our", "a", "an", "contact", "contacts", "member", "members", "lead", "leads", "record", "records", "user",
        "users", "company", "account", "person", "his", "her", "each",
    ]
    /// Words after an item that only say what it is.
    private static let itemTails: Set<String> = ["field", "fields", "property", "flag", "checkbox", "value", "trait", "traits", "column"]

    // MARK: Entry points

    /// Improves what the sentence reader made of a sentence it left partly unread: the sentence read whole
    /// as copy lists replaces it; otherwise the pieces of a run-on that read whole as copies are added
    /// (the sentence stays listed, so they stay flagged).
    func improve(_ o: inout SentenceOutcome, tokens: [ProseToken]) {
        // "And no email, no sync either (we dedupe on the email, lower-cased and trimmed)": a key named with its
        // value in parentheses.
        if let k = o.key, !o.assignments.contains(where: { $0.field.name == k.name }),
            let open = tokens.firstIndex(where: { $0.isPunct("(") }),
            let close = tokens[open...].firstIndex(where: { $0.isPunct(")") }),
            let (d, a) = key(Array(tokens[(open + 1)..<close])), d?.name == k.name
        {
            o.assignments.append(a)
        }
        // "one contact per email_address (that's the key, email)": the key's value is the field records are
        // counted by, when that field name-matches the key field well.
        if let k = o.key, !o.assignments.contains(where: { $0.field.name == k.name }),
            let per = tokens.firstIndex(where: { $0.isWord("per") }), per > 0, tokens[per - 1].kind == .word,
            let (item, _) = item(tokens, from: per + 1), item.tokens.count == 1, let s = item.tokens[0].source,
            item.tokens[0].destination == nil, Vocabulary.score(s, k) >= 0.85,
            var a = assignment(Pair(d: k, s: s, typo: nil), modifiers: modifierTokens(item.modifiers))
        {
            a.note += " (one record per \(s.name))"
            o.assignments.append(a)
        }
        guard o.key == nil, o.sameAs == nil, o.defaultForPrevious == nil else { return }
        if !o.skips.isEmpty {
            // "…, lastName comes straight from last name, but skip contacts with no email": the skips read stay;
            // only the pieces of the run-on that read whole as copies are added (the sentence stays listed).
            guard !o.unread.isEmpty || !SentenceAccounting.unaccounted(tokens, o, source: source).isEmpty else { return }
            addPieces(&o, tokens: tokens, skipsRead: true)
            return
        }
        if !o.unread.isEmpty, o.assignments.isEmpty, let (k, a) = key(tokens) {
            var out = SentenceOutcome()
            out.key = k
            out.assignments = [a]
            out.namesDestination = true
            o = out
            return
        }
        // Unread parts, or words the rules read do not account for ("Traits: email is the Email in lower case, …").
        let leftover = o.unread.isEmpty && !o.assignments.isEmpty && SentenceAccounting.unaccounted(tokens, o, source: source).count > 0
        if o.unread.isEmpty, !leftover, !o.assignments.isEmpty, let whole = read(tokens),
            o.assignments.allSatisfy({ a in whole.contains { $0.field.name == a.field.name } })
        {
            // Both read the sentence whole: the list reading when it names more fields; a value they disagree on
            // is flagged ("Website and Annual Revenue: copy both across" is no Website = annualrevenue).
            let differ = o.assignments.filter { a in whole.contains { $0.field.name == a.field.name && $0.value.text != a.value.text } }
            guard whole.count > o.assignments.count || !differ.isEmpty else { return }
            var out = SentenceOutcome()
            out.assignments = whole
            out.namesDestination = true
            out.corrects = o.corrects
            out.unread = differ.map { "\($0.field.name): another reading gives \($0.value.text)" }
            o = out
            return
        }
        guard !o.unread.isEmpty || leftover, o.key == nil, o.skips.isEmpty, o.sameAs == nil, o.defaultForPrevious == nil else { return }
        if let whole = read(tokens), whole.count >= o.assignments.count,
            o.assignments.allSatisfy({ a in whole.contains { $0.field.name == a.field.name } })
        {
            var out = SentenceOutcome()
            out.assignments = whole
            out.namesDestination = true
            out.corrects = o.corrects
            o = out
            return
        }
        addPieces(&o, tokens: tokens)
    }

    /// Adds the pieces of a run-on that read whole as copies to what the sentence reader made of it.
    private func addPieces(_ o: inout SentenceOutcome, tokens: [ProseToken], skipsRead: Bool = false) {
        for a in pieces(tokens, skipsRead: skipsRead) {
            if let i = o.assignments.firstIndex(where: { $0.field.name == a.field.name }) {
                // A piece that reads whole gives another value than the sentence reader: it is used, and flagged.
                guard o.assignments[i].value.text != a.value.text else { continue }
                o.unread.append("\(a.field.name): another reading gives \(o.assignments[i].value.text)")
                o.assignments[i] = a
                continue
            }
            o.assignments.append(a)
            o.namesDestination = true
        }
    }

    /// The copies `tokens` state, read whole; nil when any part of it is not a copy list.
    func read(_ tokens: [ProseToken]) -> [SentenceOutcome.Assignment]? {
        var t = dropHeading(tokens)
        t = dropExplanation(t)
        guard !t.isEmpty else { return nil }
        if !verbFirst {
            let lower = t.prefix(3).map(\.lower)
            let verbs: [[String]] = [
                ["put"], ["copy"], ["map"], ["move"], ["send"], ["write"], ["store"], ["carry"], ["we", "want"], ["i", "want"],
                ["we", "need"], ["please", "put"], ["please", "copy"], ["please", "map"],
            ]
            if let v = verbs.first(where: { lower.starts(with: $0) }), v.count < t.count, t[v.count - 1].source == nil,
                t[v.count - 1].destination == nil
            {
                var r = self
                r.verbFirst = true
                return r.read(Array(t[v.count...]))
            }
        }
        if let all = copiedAsHeaded(tokens) { return all }
        var out: [SentenceOutcome.Assignment] = []
        var i = 0
        while i < t.count {
            while i < t.count, t[i].isPunct(",", ";") || t[i].isWord("and", "but", "with", "also", "then", "plus", "while") { i += 1 }
            if i >= t.count { break }
            guard let (read, next) = statement(t, from: i), next > i else { return nil }
            for a in read {
                guard !out.contains(where: { $0.field.name == a.field.name }) else { return nil }
                out.append(a)
            }
            i = next
        }
        return out.isEmpty ? nil : out
    }

    /// The pieces of a run-on sentence, between commas and semicolons outside parentheses, that read whole
    /// as copies: from each break the longest run of pieces that reads, when what follows it opens a
    /// statement of its own ("Phone = Phone Number, fall back to …" is no copy of Phone Number) or, when
    /// `skipsRead`, a skip clause the skip reader reads whole ("…, but leave out contacts with no email").
    func pieces(_ tokens: [ProseToken], skipsRead: Bool = false) -> [SentenceOutcome.Assignment] {
        var breaks: [Int] = []
        var depth = 0
        for (i, x) in tokens.enumerated() {
            if x.isPunct("(") { depth += 1 }
            if x.isPunct(")") { depth = max(0, depth - 1) }
            if depth == 0, x.isPunct(",", ";") { breaks.append(i) }
        }
        func trimmed(_ s: ArraySlice<ProseToken>) -> [ProseToken] {
            Array(s.drop { $0.isWord("and", "but", "with", "also", "then", "plus", "while", "so") || $0.isPunct(",", ";") })
        }
        func opensStatement(_ s: ArraySlice<ProseToken>) -> Bool {
            if skipsRead, let r = SkipReader(source: source, destination: destination).read(trimmed(s)), r.head.isEmpty,
                !r.skips.isEmpty, r.unread.isEmpty
            {
                return true
            }
            let next = dropHeading(trimmed(s))
            guard let (_, end) = list(next, from: 0, limit: nil), end < next.count else { return false }
            let w = next[end]
            return connector(next, at: end) != nil
                || w.kind == .word && w.source == nil && w.destination == nil && (Self.strongCopyWords.contains(w.lower) || isModifier(w))
                || w.isWord("goes", "go") && end + 1 < next.count && next[end + 1].isWord("in", "over", "across", "straight")
        }
        var out: [SentenceOutcome.Assignment] = []
        let starts = [0] + breaks.map { $0 + 1 }
        let ends = breaks + [tokens.count]
        // Whether the words after a break open a statement depends on the break alone: read once per break,
        // not once per piece before it (a run of commas made this cubic in their number).
        var opens: [Int: Bool] = [:]
        var k = 0
        while k < starts.count {
            let start = starts[k]
            var taken: Int?
            for e in ends.indices.reversed() where ends[e] > start {
                let end = ends[e]
                if end < tokens.count, opens[end] == nil { opens[end] = opensStatement(tokens[end...]) }
                guard end == tokens.count || opens[end] == true else { continue }
                let seg = trimmed(tokens[start..<end])
                guard !seg.isEmpty, let read = read(seg) else { continue }
                for a in read where !out.contains(where: { $0.field.name == a.field.name }) { out.append(a) }
                taken = e
                break
            }
            if let e = taken {
                k = e + 1
            } else {
                k += 1
            }
        }
        return out
    }

    /// "Match contacts on the email address (lowercase it and strip spaces)", "dedupe by the Email, trimmed":
    /// the key is the destination key field that field fills, with the case and trim words applied. The
    /// key field is the one the word names, or the one key field whose name or label matches the source
    /// field well (as the name matcher scores it), never a guess between two.
    func key(_ tokens: [ProseToken]) -> (Field?, SentenceOutcome.Assignment)? {
        var t = tokens.drop { $0.isWord("and", "also", "please", "we", "then") }
        // "Companies are matched on …": the records, then "are".
        if let be = t.prefix(4).firstIndex(where: { $0.isWord("are", "is", "get", "gets") }),
            t[t.startIndex..<be].allSatisfy({ $0.kind == .word && $0.source == nil && $0.destination == nil })
        {
            t = t[(be + 1)...]
        }
        guard let verb = t.first,
            verb.isWord("match", "matched", "key", "keyed", "dedupe", "deduplicate", "deduped", "upsert", "upserted", "identify")
        else { return nil }
        t = t.dropFirst()
        var i = t.startIndex
        while i < t.endIndex, i - t.startIndex < 3, t[i].kind == .word, t[i].source == nil, t[i].destination == nil,
            !t[i].isWord("on", "by")
        {
            i += 1
        }
        guard i < t.endIndex, t[i].isWord("on", "by") else { return nil }
        let rest = Array(t[(i + 1)...])
        guard let (item, end) = self.item(rest, from: 0), item.tokens.count == 1, item.given == nil else { return nil }
        var tail = rest[end...].filter { !$0.isPunct("(", ")", ",") }
        // "…, copied from Name": the source field the key's value comes from.
        var from: Field?
        if let at = tail.firstIndex(where: { $0.isWord("copied", "taken", "filled") }), at + 2 < tail.count, tail[at + 1].isWord("from"),
            let f = tail[at + 2].source
        {
            from = f
            tail.removeSubrange(at...(at + 2))
        }
        guard tail.allSatisfy({ isModifier($0) || Self.modifierGlue.contains($0.lower) }) else { return nil }
        let keys = destination.fields.filter { $0.canBeKey && !$0.readOnly }
        guard let s = from ?? item.tokens[0].source else { return nil }
        var d = item.tokens[0].destination.flatMap { f in keys.contains { $0.name == f.name } ? f : nil }
        // "Companies are matched on name, copied from Name" where `name` is no key field: the copy, and no key.
        if d == nil, let f = item.tokens[0].destination, !f.readOnly, from != nil {
            guard var a = assignment(Pair(d: f, s: s, typo: nil), modifiers: modifierTokens(Array(tail) + item.modifiers)) else {
                return nil
            }
            a.note += "; matched on, but no key field of the destination"
            return (nil, a)
        }
        if d == nil {
            let scored = keys.map { ($0, Vocabulary.score(s, $0)) }.filter { $0.1 >= 0.85 }.sorted { $0.1 > $1.1 }
            guard let best = scored.first, scored.dropFirst().allSatisfy({ $0.1 < best.1 }) else { return nil }
            d = best.0
        }
        guard let d, let a = assignment(Pair(d: d, s: s, typo: nil), modifiers: modifierTokens(Array(tail) + item.modifiers)) else {
            return nil
        }
        return (d, a)
    }

    /// "Fields to copy: First Name, Last Name, Email", "Straight copies: A, B": a heading that says the
    /// fields after it are copied as they are, then only the list.
    private func copiedAsHeaded(_ t: [ProseToken]) -> [SentenceOutcome.Assignment]? {
        guard let colon = t.prefix(5).firstIndex(where: { $0.isPunct(":") }), colon > 0, colon + 1 < t.count,
            t[..<colon].allSatisfy({ $0.kind == .word && $0.source == nil && $0.destination == nil }),
            t[..<colon].contains(where: { $0.isWord("copy", "copies", "copied", "straight", "unchanged", "verbatim", "direct") }),
            t[..<colon].allSatisfy({
                $0.isWord(
                    "copy", "copies", "copied", "straight", "unchanged", "verbatim", "direct", "fields", "field", "to", "the",
                    "these", "plain", "simple", "as", "is", "over", "across", "just")
            }),
            let (items, end) = list(t, from: colon + 1, limit: nil)
        else { return nil }
        guard t[end...].allSatisfy({ $0.kind == .word && $0.source == nil && $0.destination == nil && Self.copyWords.contains($0.lower) })
        else { return nil }
        var out: [SentenceOutcome.Assignment] = []
        for item in items {
            guard let p = samePair(item, qualifier: nil), let a = assignment(p, modifiers: modifierTokens(p.modifiers)),
                !out.contains(where: { $0.field.name == a.field.name })
            else { return nil }
            out.append(a)
        }
        return out
    }

    /// The source and destination columns of a table's first row when its cells name the sides in general
    /// words ("Source field | Target field", "From | To | Notes"); nil unless exactly one cell names each.
    static func genericHeader(_ cells: [String]) -> (source: Int, destination: Int)? {
        func words(_ c: String) -> [String] { c.split(whereSeparator: { !$0.isLetter }).map { $0.lowercased() } }
        let filler: Set<String> = ["field", "fields", "property", "column", "name", "side", "value"]
        func isSide(_ c: String, _ names: Set<String>) -> Bool {
            let w = words(c)
            return !w.isEmpty && w.contains(where: names.contains) && w.allSatisfy { names.contains($0) || filler.contains($0) }
        }
        let s = cells.indices.filter { isSide(cells[$0], ["source", "from"]) }
        let d = cells.indices.filter { isSide(cells[$0], ["target", "destination", "to"]) }
        guard s.count == 1, d.count == 1, s[0] != d[0] else { return nil }
        return (s[0], d[0])
    }

    // MARK: Statements

    /// One statement from `i`: lists and a connector, or a list and copy words, with modifiers and the tails
    /// "but if there's no X put "V"" and "and so are A, B from the G traits". Returns the copies and where
    /// the statement ends.
    private func statement(_ t: [ProseToken], from i: Int) -> ([SentenceOutcome.Assignment], Int)? {
        guard let (left, afterLeft) = list(t, from: i, limit: nil), !left.isEmpty else { return nil }
        var pairs: [Pair] = []
        var j = afterLeft
        var modifiers: [ProseToken] = []
        if let (dir, afterConn) = connector(t, at: j), afterConn < t.count,
            let (right, afterRight) = list(t, from: afterConn, limit: left.count), right.count == left.count,
            dir != .same
        {
            // "A and B should hold C, D and E respectively": the list goes on past the pairs (an item that
            // opens no statement of its own follows): lists of different lengths are never paired.
            if let (all, end) = list(t, from: afterConn, limit: nil), all.count > right.count, connector(t, at: end) == nil {
                return nil
            }
            for (a, b) in zip(left, right) {
                let (sItem, dItem) = dir == .sourceFirst ? (a, b) : (b, a)
                guard let p = pair(source: sItem, destination: dItem, first: pairs.first) else { return nil }
                pairs.append(p)
            }
            j = afterRight
        } else {
            // "A, B and C straight across", "Email trimmed and lower-cased", "A and B: copy them across".
            var k = j
            var sawCopy = false
            while k < t.count,
                t[k].isPunct(":")
                    || t[k].kind == .word && t[k].source == nil && t[k].destination == nil
                        && (Self.copyWords.contains(t[k].lower) || isModifier(t[k]) || Self.modifierGlue.contains(t[k].lower)
                            || t[k].isWord("from", "to", "into") && k + 1 < t.count && isPlatform(t[k + 1]))
            {
                // "…, and so are …": a tail, not glue.
                if t[k].isWord("and"), k + 1 < t.count, t[k + 1].isWord("so", "if", "when") { break }
                // "come across from Salesforce": the platform the records come from or go to.
                if t[k].isWord("from", "to", "into", "in"), k + 1 < t.count, isPlatform(t[k + 1]) {
                    k += 2
                    continue
                }
                if Self.strongCopyWords.contains(t[k].lower) || isModifier(t[k]) { sawCopy = true }
                k += 1
            }
            // "the email goes in lower case": case words said in two.
            if !modifierTokens(Array(t[j..<k])).isEmpty { sawCopy = true }
            guard sawCopy else { return nil }
            for item in left {
                guard let p = samePair(item, qualifier: nil) else { return nil }
                pairs.append(p)
            }
            modifiers += t[j..<k]
            j = k
        }
        // Modifiers and copy words after the lists (", unchanged", "in lower case", "with the spaces trimmed off").
        while j < t.count {
            if t[j].isPunct(","), j + 1 < t.count, t[j + 1].kind == .word, t[j + 1].source == nil, t[j + 1].destination == nil,
                Self.copyWords.contains(t[j + 1].lower) || isModifier(t[j + 1]) || t[j + 1].isWord("with"),
                !t[j + 1].isWord("and", "but", "so")
            {
                j += 1
                continue
            }
            guard t[j].kind == .word, t[j].source == nil, t[j].destination == nil,
                Self.copyWords.contains(t[j].lower) || isModifier(t[j]) || Self.modifierGlue.contains(t[j].lower)
            else { break }
            // "…, and so are …": a tail, not glue.
            if t[j].isWord("and"), j + 1 < t.count, t[j + 1].isWord("so", "if", "when") { break }
            modifiers.append(t[j])
            j += 1
        }
        // A parenthesised aside after the lists: modifiers, or an explanation that names nothing.
        if j < t.count, t[j].isPunct("("), let close = t[j...].firstIndex(where: { $0.isPunct(")") }) {
            let inner = t[(j + 1)..<close]
            if inner.contains(where: { $0.source != nil || $0.destination != nil || $0.kind == .quoted }) { return nil }
            if inner.allSatisfy({ isModifier($0) || Self.modifierGlue.contains($0.lower) || Self.copyWords.contains($0.lower) }) {
                modifiers += inner
            } else if inner.contains(where: { Self.conditionWords.contains($0.lower) || isModifier($0) }) {
                return nil
            }
            j = close + 1
        }
        guard modifiers.allSatisfy({ !$0.isWord("with") }) || modifiers.contains(where: isModifier) else { return nil }
        var out: [SentenceOutcome.Assignment] = []
        let synthetic = modifierTokens(modifiers)
        for p in pairs {
            guard let a = assignment(p, modifiers: modifierTokens(modifiers + p.modifiers)) else { return nil }
            out.append(a)
        }
        // ", and so are city, postal code and country from the address traits".
        if let (more, next) = soAre(t, from: j, modifiers: synthetic) {
            out += more
            j = next
        }
        // ", but if there's no last name put "(unknown)"": a default for one of the copies.
        if let next = defaultTail(t, from: j, into: &out) { j = next }
        return (out, j)
    }

    /// The list of items from `i`: items joined by commas, "and" and slashes; at most `limit` of them.
    private func list(_ t: [ProseToken], from i: Int, limit: Int?) -> ([Item], Int)? {
        var items: [Item] = []
        var j = i
        while j < t.count {
            if let limit, items.count == limit { break }
            if !items.isEmpty {
                var k = j
                var sep = false
                while k < t.count, t[k].isPunct(",") || t[k].isWord("and", "&") || t[k].isPunct("/") {
                    sep = true
                    k += 1
                }
                guard sep, k < t.count, let (item, next) = self.item(t, from: k) else { break }
                items.append(item)
                j = next
                continue
            }
            guard let (item, next) = self.item(t, from: j) else { return nil }
            items.append(item)
            j = next
        }
        return items.isEmpty ? nil : (items, j)
    }

    /// One item from `i`: determiners, then a field word, a quoted label or up to three plain words; then
    /// words that only say what it is, and a field in parentheses that it copies.
    private func item(_ t: [ProseToken], from i: Int) -> (Item, Int)? {
        var j = i
        while j < t.count, t[j].kind == .word, t[j].source == nil, t[j].destination == nil, Self.determiners.contains(t[j].lower) {
            j += 1
        }
        guard j < t.count else { return nil }
        var tokens: [ProseToken]
        if t[j].kind == .quoted || t[j].source != nil || t[j].destination != nil {
            tokens = [t[j]]
            j += 1
        } else {
            // Plain words that may spell a label with a typo ("Mailng City").
            var k = j
            // "Frist Name": a noun such as "name" may end the run, never open it.
            while k < t.count, k - j < 3, t[k].kind == .word,
                !isStop(t[k]) || k > j && t[k].isWord("name", "type", "status", "source", "date", "id")
            {
                k += 1
            }
            guard k > j else { return nil }
            tokens = Array(t[j..<k])
            j = k
        }
        while j < t.count, t[j].kind == .word, t[j].source == nil, t[j].destination == nil, Self.itemTails.contains(t[j].lower) {
            j += 1
        }
        var item = Item(tokens: tokens)
        if j + 2 < t.count, t[j].isPunct("("), t[j + 2].isPunct(")"), let s = t[j + 1].source {
            item.given = s
            j += 3
        } else if j + 3 < t.count, t[j].isPunct("("), t[j + 1].isWord("from"), t[j + 3].isPunct(")"), let s = t[j + 2].source {
            // "Title (from jobtitle)".
            item.given = s
            j += 4
        } else if j < t.count, t[j].isPunct("("), let close = t[j...].firstIndex(where: { $0.isPunct(")") }), close > j + 1,
            t[(j + 1)..<close].allSatisfy({ $0.isWord("user", "property", "properties", "param", "parameter", "trait", "field", "custom") })
        {
            // "plan (user property)": words that only say what kind of field it is.
            j = close + 1
        } else if j < t.count, t[j].isPunct("("), let close = t[j...].firstIndex(where: { $0.isPunct(")") }), close > j + 1,
            t[(j + 1)..<close].allSatisfy({ isModifier($0) || Self.modifierGlue.contains($0.lower) }),
            !modifierTokens(Array(t[(j + 1)..<close])).isEmpty
        {
            item.modifiers = Array(t[(j + 1)..<close])
            j = close + 1
        }
        return (item, j)
    }

    /// Whether a plain word ends a run of words that may spell a label.
    private func isStop(_ t: ProseToken) -> Bool {
        SentenceTokens.stopWords.contains(t.lower) || Self.copyWords.contains(t.lower) || isModifier(t)
            || Self.modifierGlue.contains(t.lower) || Self.conditionWords.contains(t.lower)
            || Self.sourceFirst.contains { $0[0] == t.lower } || Self.destinationFirst.contains { $0[0] == t.lower }
            || ["so", "since", "because", "put", "use", "there"].contains(t.lower)
    }

    /// The connector at `i` and where the next list starts.
    private func connector(_ t: [ProseToken], at i: Int) -> (Direction, Int)? {
        guard i < t.count else { return nil }
        // "should hold", "must come from": an auxiliary before the connector.
        if t[i].isWord("should", "must", "will", "shall", "can"), i + 1 < t.count, !t[i + 1].isWord("be"),
            let (dir, next) = connector(t, at: i + 1)
        {
            return (dir, next)
        }
        let words = t[i...].prefix(3).map { $0.kind == .punct ? $0.text : ($0.kind == .word ? $0.lower : "\u{0}") }
        let sourceFirst = verbFirst ? Self.sourceFirst + [["in"], ["to"], ["onto"]] : Self.sourceFirst
        for (dir, options) in [(Direction.sourceFirst, sourceFirst), (.destinationFirst, Self.destinationFirst)] {
            for o in options.sorted(by: { $0.count > $1.count }) where words.starts(with: o) {
                // A connector word that names a field is a field.
                if t[i].source != nil || t[i].destination != nil { continue }
                return (dir, i + o.count)
            }
        }
        return nil
    }

    /// The pair a source item and a destination item name; `first` is the pair of the list's first items
    /// (its label's first words may be shared: "Billing City / State" names "Billing State").
    private func pair(source a: Item, destination b: Item, first: Pair?) -> Pair? {
        guard b.given == nil else { return nil }
        let writable = destination.fields.filter { !$0.readOnly }
        let sr = resolve(a, side: source.fields, sourceSide: true) ?? first.flatMap { prefixed(a, like: $0.s, in: source.fields) }
        let dr = resolve(b, side: writable, sourceSide: false) ?? first.flatMap { prefixed(b, like: $0.d, in: writable) }
        guard let s = a.given ?? sr?.0, let d = dr?.0 else { return nil }
        return Pair(d: d, s: s, typo: sr?.1 ?? dr?.1, modifiers: a.modifiers + b.modifiers)
    }

    /// "State" after "Billing City": the one field whose label starts with the first item's label words
    /// but its last, then the item's words.
    private func prefixed(_ item: Item, like f: Field, in fields: [Field]) -> (Field, String?)? {
        guard let label = f.label else { return nil }
        let words = label.split(separator: " ")
        guard words.count >= 2 else { return nil }
        let head = ValueReader.loose(words.dropLast().joined())
        let text = head + ValueReader.loose(item.tokens.map(\.text).joined())
        guard item.tokens.allSatisfy({ $0.kind == .word }), text.count > head.count else { return nil }
        let hits = fields.filter { $0.label.map { ValueReader.loose($0).hasPrefix(text) } ?? false }
        return hits.count == 1 ? (hits[0], nil) : nil
    }

    /// The pair one item names on both sides ("First Name" for firstname and FirstName, "job title
    /// (traits.title)" for jobtitle and traits.title).
    private func samePair(_ item: Item, qualifier: String?) -> Pair? {
        guard item.tokens.count == 1, let t = item.tokens.first, t.kind == .word else { return nil }
        let writable = destination.fields.filter { !$0.readOnly }
        // "tax, shipping: copy": a word no name spells whole may still spell the end of a dotted name or a label.
        let d =
            t.destination ?? t.source.flatMap { counterpart($0, in: writable) }
            ?? (t.source == nil ? resolve(item, side: writable, sourceSide: false).flatMap { $0.1 == nil ? $0.0 : nil } : nil)
        guard let d else { return nil }
        var s = item.given ?? t.source
        if let q = qualifier, let cur = s, !cur.name.lowercased().contains("." + q + ".") { s = nil }
        if s == nil {
            let fields = qualifier.map { q in source.fields.filter { $0.name.lowercased().contains("." + q + ".") } } ?? source.fields
            s = counterpart(d, in: fields)
        }
        guard let s else { return nil }
        return Pair(d: d, s: s, typo: t.typo ? t.text : nil, modifiers: item.modifiers)
    }

    /// The field an item names on one side, and the words when only a typo makes them fit.
    private func resolve(_ item: Item, side: [Field], sourceSide: Bool) -> (Field, String?)? {
        if item.tokens.count == 1, let t = item.tokens.first {
            if t.kind == .quoted {
                let hits = side.filter { $0.label.map { ValueReader.loose($0) == ValueReader.loose(t.text) } ?? false }
                return hits.count == 1 ? (hits[0], nil) : nil
            }
            if let f = sourceSide ? t.source : t.destination { return (f, t.typo ? t.text : nil) }
            // A label that names only the other side names nothing here.
            if t.fromLabel { return nil }
        }
        // Words that spell a label or a name with one letter wrong, or a label "City (location)" as "location city".
        let words = item.tokens.map(\.text)
        guard words.allSatisfy({ !$0.isEmpty }) else { return nil }
        let text = ValueReader.loose(words.joined())
        guard text.count >= 3 else { return nil }
        func spellings(_ f: Field) -> [String] {
            var out = [ValueReader.loose(f.name)]
            if let l = f.label {
                out.append(ValueReader.loose(l))
                if let open = l.firstIndex(of: "("), let close = l.firstIndex(of: ")"), open < close {
                    let inner = l[l.index(after: open)..<close]
                    out.append(ValueReader.loose(String(inner) + String(l[..<open])))
                }
            }
            if let last = f.name.split(separator: ".").last, f.name.contains(".") { out.append(ValueReader.loose(String(last))) }
            return out
        }
        let exact = side.filter { spellings($0).contains(text) }
        if exact.count == 1 { return (exact[0], nil) }
        // A short word ("tax") names a field only when spelt exactly.
        guard exact.isEmpty, text.count >= 5 else { return nil }
        let near = side.filter { f in spellings(f).contains { $0.count >= 5 && Suggest.distance($0, text, limit: 1) <= 1 } }
        return near.count == 1 ? (near[0], words.joined(separator: " ")) : nil
    }

    /// The one field among `fields` with the name, the label or the last part of the name of `f`.
    private func counterpart(_ f: Field, in fields: [Field]) -> Field? {
        let name = ValueReader.loose(f.name)
        let byName = fields.filter { ValueReader.loose($0.name) == name }
        if byName.count == 1 { return byName[0] }
        if let l = f.label.map(ValueReader.loose) {
            let byLabel = fields.filter { $0.label.map(ValueReader.loose) == l }
            if byLabel.count == 1 { return byLabel[0] }
        }
        let last = ValueReader.loose(String(f.name.split(separator: ".").last ?? ""))
        let byLast = fields.filter { ValueReader.loose(String($0.name.split(separator: ".").last ?? "")) == last }
        return byLast.count == 1 ? byLast[0] : nil
    }

    // MARK: Tails

    /// ", and so are A, B and C [from the G traits]": more copies of the same kind.
    private func soAre(_ t: [ProseToken], from i: Int, modifiers: [ProseToken]) -> ([SentenceOutcome.Assignment], Int)? {
        var j = i
        while j < t.count, t[j].isPunct(",") || t[j].isWord("and") { j += 1 }
        guard j + 1 < t.count, t[j].isWord("so", "as"), t[j + 1].isWord("are", "is", "do") else { return nil }
        guard let (items, next) = list(t, from: j + 2, limit: nil) else { return nil }
        var k = next
        var qualifier: String?
        if k < t.count, t[k].isWord("from", "in") {
            var q = k + 1
            while q < t.count, t[q].isWord("the", "its", "their") { q += 1 }
            guard q < t.count, t[q].kind == .word else { return nil }
            qualifier = t[q].lower
            k = q + 1
            // "from the address traits" ("traits" may have gone with the field word before it).
            if k < t.count, t[k].isWord("traits", "fields", "properties", "object", "group") {
                k += 1
            } else if k < t.count {
                return nil
            }
        }
        var out: [SentenceOutcome.Assignment] = []
        for item in items {
            guard let p = samePair(item, qualifier: qualifier), let a = assignment(p, modifiers: modifiers) else { return nil }
            out.append(a)
        }
        return (out, k)
    }

    /// ", but if there's no X put "V"": the copy of X gets the default V. Returns where the tail ends.
    private func defaultTail(_ t: [ProseToken], from i: Int, into out: inout [SentenceOutcome.Assignment]) -> Int? {
        var j = i
        while j < t.count, t[j].isPunct(",") || t[j].isWord("but", "and") { j += 1 }
        guard j < t.count, t[j].isWord("if", "when"),
            let verb = t[j...].firstIndex(where: { $0.isWord("put", "use", "write", "send", "fill") }), verb + 1 < t.count,
            t[verb + 1].kind == .quoted
        else { return nil }
        let cond = t[(j + 1)..<verb]
        let named = cond.compactMap { $0.source ?? $0.destination }
        guard named.count == 1, cond.contains(where: { $0.isWord("no", "empty", "blank", "missing", "none") }),
            cond.allSatisfy({
                $0.source != nil || $0.destination != nil
                    || [
                        "there", "is", "s", "no", "empty", "blank", "missing", "none",
                        "the", "a", "an", "it", "isn", "t", "has", "have", "value", "given",
                    ].contains($0.lower)
            }),
            let at = out.firstIndex(where: { $0.field.name == named[0].name || $0.value.sourceField == named[0].name }),
            out[at].value.kind == .copy,
            let lit = ValueReader(source: source, destination: destination, d: out[at].field).literal(t[verb + 1])
        else { return nil }
        var a = out[at]
        let string = source.field(a.value.sourceField ?? "")?.type.baseType == .string
        a.value.text = (string ? "null_if_blank(\(a.value.text))" : a.value.text) + " ?? " + lit
        a.value.kind = .fallback
        a.value.sourceField = nil
        out[at] = a
        return verb + 2
    }

    // MARK: Values

    /// "Salesforce", "SFDC", "HubSpot": the name of the source's or the destination's platform.
    private func isPlatform(_ t: ProseToken) -> Bool {
        guard t.kind == .word, t.source == nil, t.destination == nil else { return false }
        let names = [source.platform, destination.platform].map { $0.lowercased() }
        let short: [String: String] = ["sf": "salesforce", "sfdc": "salesforce", "hs": "hubspot", "mc": "mailchimp"]
        return names.contains(t.lower) || short[t.lower].map(names.contains) == true
    }

    private func isModifier(_ t: ProseToken) -> Bool {
        t.kind == .word && (Self.trimWords.contains(t.lower) || Self.lowerWords.contains(t.lower) || Self.upperWords.contains(t.lower))
    }

    /// The case and trim modifiers the words ask for, as the words the value reader knows.
    private func modifierTokens(_ m: [ProseToken]) -> [ProseToken] {
        let l = m.map(\.lower)
        var out: [ProseToken] = []
        func word(_ s: String) -> ProseToken { ProseToken(kind: .word, text: s, lower: s) }
        if l.contains(where: { Self.trimWords.contains($0) }) || l.contains("spaces") && !l.contains("stray") {
            out.append(word("trimmed"))
        }
        let lowerAt = l.indices.contains { i in
            Self.lowerWords.contains(l[i]) || l[i] == "lower" && i + 1 < l.count && ["case", "cased"].contains(l[i + 1])
        }
        if lowerAt { out.append(word("lowercase")) }
        let upperAt = l.indices.contains { i in
            Self.upperWords.contains(l[i]) || l[i] == "upper" && i + 1 < l.count && ["case", "cased"].contains(l[i + 1])
        }
        if upperAt { out.append(word("uppercase")) }
        return out
    }

    private func assignment(_ p: Pair, modifiers: [ProseToken]) -> SentenceOutcome.Assignment? {
        let token = ProseToken(kind: .word, text: p.s.name, lower: p.s.name.lowercased(), source: p.s)
        guard let v = ValueReader(source: source, destination: destination, d: p.d).copy([token] + modifiers) else { return nil }
        let note = p.typo.map { "named in prose; \"\($0)\" taken for a misspelt field name" } ?? "named in prose"
        let confidence = p.typo == nil ? (Vocabulary.nameSimilarity(p.s.name, p.d.name) >= 0.5 ? 0.95 : 0.9) : 0.85
        return .init(field: p.d, value: v, confidence: confidence, note: note)
    }

    // MARK: Around the statements

    /// "Names: …", "Traits: …": a short heading before a colon that names no field; "for the traits the
    /// email …": a phrase that only says where the fields after it are.
    private func dropHeading(_ t: [ProseToken]) -> [ProseToken] {
        if t.count > 4, t[0].isWord("for", "in"), t[1].isWord("the"), t[2].kind == .word, t[2].source == nil,
            t[2].destination == nil, t[3].source != nil || t[3].destination != nil || t[3].isWord("the") || t[3].isPunct(",")
        {
            return dropHeading(Array(t[(t[3].isPunct(",") ? 4 : 3)...]))
        }
        guard let colon = t.prefix(4).firstIndex(where: { $0.isPunct(":") }), colon > 0, colon + 1 < t.count,
            t[..<colon].allSatisfy({ $0.kind == .word && $0.source == nil && $0.destination == nil && !isModifier($0) })
        else { return t }
        return Array(t[(colon + 1)...])
    }

    /// "… because that's what the dashboard reads", "… since SF won't take it empty": a reason at the end
    /// that names no field and no value.
    private func dropExplanation(_ t: [ProseToken]) -> [ProseToken] {
        var depth = 0
        for (i, x) in t.enumerated() {
            if x.isPunct("(") { depth += 1 }
            if x.isPunct(")") { depth = max(0, depth - 1) }
            guard depth == 0, i > 0, x.isWord("because", "since") else { continue }
            let rest = t[(i + 1)...]
            if !rest.contains(where: { $0.source != nil || $0.destination != nil || $0.kind == .quoted }) {
                var head = Array(t[..<i])
                while let l = head.last, l.isPunct(",") { head.removeLast() }
                return head
            }
            return t
        }
        return t
    }
}
