import Foundation
import MapDSL

/// Skip rules in the phrasings integration authors use beyond a sentence that opens with "Skip …"
/// (issue 18, round 7):
///
/// - a skip said in the middle of a sentence: "…, and obviously skip anyone with no email, also don't
///   send contacts whose …", "…, skipping deleted contacts and any contact without an email; …";
/// - passive forms: "<records> must not be synced (at all)", "<records> produce no event(s), and
///   neither do <records>", "all other events stay out";
/// - a heading that says the rows after it are not sent: "Rows we don't send: <records>, and <records>",
///   "skip: <records>";
/// - "no userId, no sync": a field whose absence stops the record;
/// - "only <records> get an event / create leads": the records kept, and "only the X event(s)" on a
///   source with an `event` field.
///
/// Every record phrase is one rule; a phrase it cannot read whole is listed, never read in part.
struct SkipReader {
    let source: Schema
    let destination: Schema

    struct Result {
        /// The words before the first skip (read by the other readers).
        var head: [ProseToken]
        var skips: [String]
        var unread: [String]
        /// The sentence takes back the skips of the sentence before ("no wait, just skip when …").
        var retracts = false
        /// "skip every other event": the events an earlier event-name map does not list are skipped.
        var otherEvents = false
        /// Only the key is taken from the head ("no email, no sync (we upsert on the email, …)").
        var keyOnly = false
    }

    /// Verbs that start a skip, in the imperative or as a gerund.
    static let skipVerbs: Set<String> = [
        "skip", "skipping", "drop", "dropping", "ignore", "ignoring", "exclude", "excluding", "discard", "discarding",
    ]
    /// Words that only link a skip to the words before it.
    static let linkWords: Set<String> = ["and", "also", "obviously", "please", "just", "then", "but", "so", "too", "of", "course"]
    /// Nouns for the records a skip talks about.
    static let recordNouns: Set<String> = [
        "contacts", "contact", "leads", "lead", "members", "member", "events", "event", "records", "record", "companies", "company",
        "accounts", "account", "subscribers", "subscriber", "users", "user", "rows", "row", "identifies", "identify", "orders",
        "order", "people", "persons", "anyone", "anybody", "everyone", "everybody", "those", "ones", "calls", "entries", "items",
        "vendors", "customers", "visitors", "profiles", "signups", "hits",
    ]

    private enum Kind { case skip, only }

    private struct Frame {
        var start: Int
        var body: Int
        var kind: Kind
    }

    /// Reads the skips of `t`; nil when the sentence holds no skip in a form read here.
    func read(_ t: [ProseToken]) -> Result? {
        // "Skip companies unless …": the sentence reader's skip, which negates what follows "unless".
        if t.first?.isWord("skip", "drop", "ignore", "exclude", "discard") == true, t.contains(where: { $0.isWord("unless") }) {
            return nil
        }
        // "skip test users: … ending in @example.test… no wait, just skip when X is "test"": what comes
        // before the retraction is taken back.
        for marker in [["no", "wait"], ["scratch", "that"], ["i", "mean"], ["or", "rather"]] {
            guard
                let m = (0..<max(0, t.count - 1)).last(where: { i in
                    marker.indices.allSatisfy { i + $0 < t.count && t[i + $0].kind == .word && t[i + $0].lower == marker[$0] }
                })
            else { continue }
            var rest = Array(t[(m + marker.count)...])
            while let f = rest.first, f.isPunct(",", ":", ";") || f.isWord("just", "actually", "only", "rather") { rest.removeFirst() }
            guard rest.contains(where: { Self.skipVerbs.contains($0.lower) }) else { return nil }
            // At the start, it takes back the sentence before.
            var r = read(rest) ?? Result(head: [], skips: [], unread: ["a corrected skip it could not read"])
            r.head = []
            r.retracts = m == 0
            return r
        }
        // "skip every other event (anything that isn't one of those four)", "everything else -> don't send".
        if source.field("event") != nil, EventNameReader.field(destination) != nil,
            isRestatement(t.filter { !$0.isPunct("(", ")", "->", ":") }),
            t.contains(where: { $0.lower.hasPrefix("event") || $0.isWord("everything", "anything", "rest") }),
            t.contains(where: { $0.isWord("other", "others", "rest", "else") }),
            !t.contains(where: { $0.isWord("neither", "nor", "with", "without", "no", "whose") })
        {
            var r = Result(head: [], skips: [], unread: [])
            r.otherEvents = true
            return r
        }
        if let r = noXNoSync(t) { return r }
        if let r = heading(t) ?? recordsThenSkip(t) { return r }
        if let r = onlyRecords(t) { return r }
        if let r = everyExcept(t) { return r }
        var frames = imperativeFrames(t)
        // A single skip that opens the sentence is the sentence reader's, unless it reads whole here.
        if frames.count == 1, frames[0].start == 0, !t.contains(where: { $0.isWord("unless") }) {
            var r = Result(head: [], skips: [], unread: [])
            var body = Array(t[frames[0].body...])
            if let semi = body.firstIndex(where: { $0.isPunct(";") }) { body = Array(body[..<semi]) }
            readPhrase(cutExplanation(stripLinks(body)), negate: false, into: &r)
            // A condition said to ignore case that cannot be read that way is listed, not read without it.
            if !Self.refuses(t), !r.unread.isEmpty || body.count + frames[0].body != t.count { return nil }
            return r
        }
        var passive: (start: Int, end: Int)?
        var common = false
        if frames.isEmpty, let p = passiveVerb(t) {
            passive = p
        } else if frames.isEmpty, let p = commonPassiveVerb(t) {
            passive = p
            common = true
        }
        if frames.isEmpty && passive == nil { return nil }
        var result = Result(head: [], skips: [], unread: [])
        if let p = passive {
            guard p.start > 0 else { return nil }
            var records = Array(t[..<p.start])
            // "…, and neither do leads that …": a second record phrase after the verb.
            var rest = Array(t[p.end...])
            while let f = rest.first, f.isPunct(",") || f.isWord("and", "at", "all", "either", "too") { rest.removeFirst() }
            let restLower = rest.map(\.lower)
            var second: [ProseToken]?
            for lead in [
                ["neither", "do"], ["nor", "do"], ["so", "do"], ["neither", "are"], ["nor", "are"], ["so", "are"], ["as", "are"],
            ]
            where restLower.starts(with: lead) {
                second = cutExplanation(Array(rest.dropFirst(2)))
            }
            if second == nil, !cutExplanation(rest).isEmpty, rest.contains(where: { $0.source != nil || $0.kind == .quoted }) {
                result.unread.append("a skip rule followed by words it could not read")
            }
            // "Name is the company name; companies with no name are skipped": the clause before is read apart.
            if let semi = records.lastIndex(where: { $0.isPunct(";") }) {
                result.head = Array(records[..<semi])
                records = Array(records[(semi + 1)...])
            }
            records = stripLinks(records)
            for phrase in [records] + (second.map { [$0] } ?? []) {
                readPhrase(phrase, negate: false, into: &result)
            }
            if common, !Self.refuses(t), !result.unread.isEmpty || result.skips.isEmpty { return nil }
            return result
        }
        // Record phrases must start every mid-sentence body: "leave out the empty parts" is no skip.
        frames = frames.filter { $0.start == 0 || startsRecords(Array(t[$0.body...])) }
        guard !frames.isEmpty else { return nil }
        var headEnd = frames[0].start
        var head = Array(t[..<headEnd])
        while let l = head.last, l.isPunct(",", ";", ":") || Self.linkWords.contains(l.lower) {
            head.removeLast()
            headEnd -= 1
        }
        result.head = head
        for (n, f) in frames.enumerated() {
            var end = n + 1 < frames.count ? frames[n + 1].start : t.count
            if let semi = t[f.body..<end].firstIndex(where: { $0.isPunct(";") }) { end = semi }
            var body = Array(t[f.body..<end])
            while let l = body.last, l.isPunct(",", ";", ":") || Self.linkWords.contains(l.lower) { body.removeLast() }
            body = cutExplanation(body)
            readPhrase(body, negate: f.kind == .only, into: &result)
            // Words after the body up to the next frame ("; the event is …") go back to the other readers.
            if n + 1 == frames.count, end < t.count, t[end].isPunct(";") {
                let tail = Array(t[(end + 1)...])
                if !tail.isEmpty { result.head += [ProseToken(kind: .punct, text: ";", lower: ";")] + tail }
            }
        }
        return result
    }

    // MARK: Frames

    /// "skip …", "drop …", "leave out …", "don't send …", "never sync …" at the start or after a comma,
    /// a semicolon or "and".
    private func imperativeFrames(_ t: [ProseToken]) -> [Frame] {
        var frames: [Frame] = []
        var i = 0
        while i < t.count {
            var body: Int?
            if Self.skipVerbs.contains(t[i].lower) && t[i].kind == .word {
                body = i + 1
            } else if t[i].isWord("leave", "leaving", "filter", "filtering", "keep", "keeping"), i + 1 < t.count, t[i + 1].isWord("out") {
                body = i + 2
            } else if t[i].isWord("don", "do", "never"), let v = sendVerbAfterNegation(t, i) {
                body = v + 1
            }
            if let b = body, b < t.count, i == 0 || opensClause(t, i) {
                frames.append(Frame(start: i, body: b, kind: .skip))
                i = b
                continue
            }
            i += 1
        }
        return frames
    }

    /// The send verb after "don't", "do not", "never": its index.
    private func sendVerbAfterNegation(_ t: [ProseToken], _ i: Int) -> Int? {
        var j = i + 1
        if t[i].isWord("don"), j < t.count, t[j].isWord("t") { j += 1 }
        if t[i].isWord("do"), j < t.count, t[j].isWord("not") { j += 1 }
        if t[i].isWord("do"), j == i + 1 { return nil }
        guard j < t.count, SentenceReader.sendVerbs.contains(t[j].lower) || t[j].isWord("sync", "send") else { return nil }
        return j
    }

    /// Whether position `i` opens a clause: after a comma, semicolon, colon or "and"/"but", with link
    /// words between.
    private func opensClause(_ t: [ProseToken], _ i: Int) -> Bool {
        var j = i - 1
        var linked = false
        while j >= 0, t[j].kind == .word, Self.linkWords.contains(t[j].lower) {
            if t[j].isWord("and", "but") { linked = true }
            j -= 1
        }
        if j < 0 { return true }
        return t[j].isPunct(",", ";", ":") || linked
    }

    /// Whether a body starts with a record phrase: a record noun within its first words, before any field.
    /// "ignore the company name", "drop any spaces": a noun that is part of a field's name, or no record
    /// noun at all, is no record phrase.
    private func startsRecords(_ b: [ProseToken]) -> Bool {
        if let f = b.first, f.isWord("them", "it") { return true }
        for (k, x) in b.prefix(3).enumerated() {
            if Self.recordNouns.contains(x.lower) && x.source == nil && x.destination == nil {
                let next = k + 1 < b.count ? b[k + 1] : nil
                return !(next.map { $0.isWord("name", "names", "field", "fields", "property", "id", "s", "record", "owner") } ?? false)
            }
            // "deleted contacts": a yes/no field said as an adjective goes on.
            if x.source?.type.baseType == .bool { continue }
            if x.source != nil || x.destination != nil || x.kind != .word { return false }
        }
        return false
    }

    /// The passive skip verbs read here (the sentence reader reads "are skipped", "are not sent"):
    /// "must not be synced", "should never be sent", "produce no event", "stay out".
    private func passiveVerb(_ t: [ProseToken]) -> (start: Int, end: Int)? {
        let participles: Set<String> = [
            "sent", "synced", "synchronised", "synchronized", "mapped", "imported", "pushed", "created", "copied", "included",
            "transferred", "exported", "forwarded", "processed",
        ]
        for i in t.indices {
            // must not be synced / should never be sent / mustn't be sent / may not be
            if t[i].isWord("must", "should", "shall", "may", "can", "mustn", "shouldn", "cannot", "won", "will"), i + 1 < t.count {
                var j = i + 1
                if t[j].isWord("t", "not", "never") {
                    j += 1
                } else {
                    continue
                }
                if j < t.count, t[j].isWord("ever") { j += 1 }
                if j < t.count, t[j].isWord("be", "get") { j += 1 }
                if j < t.count, participles.contains(t[j].lower) { return (i, j + 1) }
            }
            // produce no event(s), create no lead, send no event, get no event
            if t[i].isWord("produce", "produces", "generate", "generates", "create", "creates", "trigger", "triggers"), i + 2 < t.count,
                t[i + 1].isWord("no"), Self.recordNouns.contains(t[i + 2].lower)
            {
                return (i, i + 3)
            }
            // stay out, stays out
            if t[i].isWord("stay", "stays", "remain", "remains"), i + 1 < t.count, t[i + 1].isWord("out") { return (i, i + 2) }
        }
        return nil
    }

    /// The passive forms the sentence reader reads too ("are excluded", "are left out", "are not sent",
    /// "don't go over"): read here only when every record phrase reads whole.
    private func commonPassiveVerb(_ t: [ProseToken]) -> (start: Int, end: Int)? {
        let be: Set<String> = ["are", "is", "get", "gets", "be", "been"]
        let done: Set<String> = ["excluded", "skipped", "ignored", "dropped", "discarded", "filtered"]
        let participles: Set<String> = [
            "sent", "synced", "mapped", "imported", "pushed", "created", "copied", "included", "transferred", "exported",
        ]
        for i in t.indices.dropFirst() where be.contains(t[i - 1].lower) || t[i - 1].isWord("not", "never") {
            if done.contains(t[i].lower), be.contains(t[i - 1].lower) {
                return (i - 1, i + 1 < t.count && t[i + 1].isWord("out") ? i + 2 : i + 1)
            }
            if t[i].isWord("left", "kept"), be.contains(t[i - 1].lower), i + 1 < t.count, t[i + 1].isWord("out") { return (i - 1, i + 2) }
            if participles.contains(t[i].lower), t[i - 1].isWord("not", "never"), i >= 2,
                be.contains(t[i - 2].lower) || t[i - 1].isWord("never")
            {
                return (t[i - 1].isWord("never") && !be.contains(t[i - 2].lower) ? i - 1 : i - 2, i + 1)
            }
        }
        return nil
    }

    /// "no userId, no sync", "no email, no event": the record needs the field.
    private func noXNoSync(_ t: [ProseToken]) -> Result? {
        var result = Result(head: [], skips: [], unread: [])
        var found = false
        var i = 0
        var lastEnd = 0
        while i + 3 < t.count {
            if t[i].isWord("no"), t[i + 1].source != nil, t[i + 2].isPunct(","), t[i + 3].isWord("no"), i + 4 < t.count,
                t[i + 4].isWord("sync", "event", "send", "import", "record", "lead", "contact", "deal")
            {
                if !found { result.head = stripLinks(Array(t[..<i]).filter { !$0.isPunct(":") }) }
                found = true
                let f = t[i + 1].source!
                result.skips.append("blank(\(ConditionReader.fname(f)))")
                i += 5
                lastEnd = i
                continue
            }
            i += 1
        }
        guard found else { return nil }
        // The head "Only identified users": what the rule is about, said in words.
        if result.head.contains(where: { $0.source != nil || $0.kind == .quoted }) {
            result.unread.append("words before the rule it could not read")
        }
        result.head = []
        let tail = t[lastEnd...].filter { !$0.isPunct(",", ".", "(", ")") && !$0.isWord("either", "too", "as", "well") }
        // "(we upsert on the email, trimmed and lowercased)": a statement of its own, read by the sentence reader.
        if tail.contains(where: { $0.isWord("key", "keyed", "upsert", "upserts", "dedupe", "match", "matched") }) {
            // Only the key is taken from it: its value in parentheses is the copy-list reader's.
            result.head = t[lastEnd...].filter { !$0.isPunct("(", ")") }
            result.keyOnly = true
        } else if tail.contains(where: { $0.source != nil || $0.kind == .quoted }),
            !tail.contains(where: { $0.isWord("we", "because", "since") })
        {
            result.unread.append("words after the rule it could not read")
        }
        return result
    }

    /// "Rows we don't send: <records>", "skip: <records>", "Excluded: <records>".
    private func heading(_ t: [ProseToken]) -> Result? {
        guard let colon = t.firstIndex(where: { $0.isPunct(":") }), colon + 1 < t.count, colon <= 6 else { return nil }
        let before = t[..<colon]
        guard !before.contains(where: { $0.source != nil || $0.destination != nil || $0.kind == .quoted }) else { return nil }
        let lower = before.map(\.lower)
        let says =
            lower.contains { Self.skipVerbs.contains($0) || ["skipped", "excluded", "ignored", "dropped", "exclusions"].contains($0) }
            || zip(lower, lower.dropFirst()).contains {
                ($0 == "t" || $0 == "not" || $0 == "never") && SentenceReader.sendVerbs.contains($1)
            }
        guard says, before.allSatisfy({ $0.kind == .word || $0.isPunct("#") }) else { return nil }
        var result = Result(head: [], skips: [], unread: [])
        let body = cutExplanation(stripLinks(Array(t[(colon + 1)...])))
        readPhrase(body, negate: false, into: &result)
        return result
    }

    /// "closed/not converted leads: skip them", "test accounts - drop those": the records, then the verb.
    private func recordsThenSkip(_ t: [ProseToken]) -> Result? {
        guard let colon = t.firstIndex(where: { $0.isPunct(":") }), colon > 0, colon + 1 < t.count else { return nil }
        let after = t[(colon + 1)...].filter { !$0.isPunct(".", ",") }
        guard let v = after.first, Self.skipVerbs.contains(v.lower),
            after.dropFirst().allSatisfy({ $0.isWord("them", "those", "these", "it", "all", "too", "as", "well") })
        else { return nil }
        var result = Result(head: [], skips: [], unread: [])
        readPhrase(Array(t[..<colon]), negate: false, into: &result)
        return result
    }

    /// "only MQLs, SQLs and customers get an event, every other stage is not sent", "only the events "A" and
    /// "B" create leads; if the event is neither of those, skip it", "only the Form Submitted event, ignore
    /// every other event".
    private func onlyRecords(_ t: [ProseToken]) -> Result? {
        guard let first = t.first, first.isWord("only") else { return nil }
        var clauseEnd = t.firstIndex(where: { $0.isPunct(";") }) ?? t.count
        // "…, every other stage is not sent" / ", ignore every other event": the same rule said again.
        var restated = false
        if let c = t[..<clauseEnd].lastIndex(where: { $0.isPunct(",") }), isRestatement(Array(t[(c + 1)..<clauseEnd])) {
            clauseEnd = c
            restated = true
        }
        var body = Array(t[1..<clauseEnd])
        // "… get an event", "… create leads", "… are sent".
        let verbs: Set<String> = ["get", "gets", "create", "creates", "produce", "produces", "trigger", "triggers", "become", "becomes"]
        if let v = body.firstIndex(where: { verbs.contains($0.lower) }), v > 0 {
            let after = body[(v + 1)...].filter { !$0.isWord("a", "an", "one", "the") }
            guard after.count <= 2, after.allSatisfy({ Self.recordNouns.contains($0.lower) || $0.isWord("sent", "synced") }) else {
                return nil
            }
            body = Array(body[..<v])
        } else if eventValues(body) == nil {
            return nil
        }
        var result = Result(head: [], skips: [], unread: [])
        if let c = eventValues(body) {
            result.skips.append("not (\(c))")
        } else {
            readPhrase(body, negate: true, into: &result)
        }
        // A clause after ";" that restates the rule ("if the event is neither of those, skip it") goes;
        // any other is read by the sentence reader.
        if clauseEnd < t.count, !restated {
            let rest = Array(t[(clauseEnd + 1)...])
            if !isRestatement(rest) { result.head = rest }
        } else if restated, let semi = t.firstIndex(where: { $0.isPunct(";") }), semi + 1 < t.count {
            result.head = Array(t[(semi + 1)...])
        }
        return result
    }

    /// "Every lead with an email address, except converted leads and leads whose status is X" (under a
    /// heading such as "Who goes in"): the records sent, then the ones left out.
    private func everyExcept(_ t: [ProseToken]) -> Result? {
        // A heading before it ("Who goes in") names nothing.
        guard let start = t.prefix(6).firstIndex(where: { $0.isWord("every", "all", "each") }),
            t[..<start].allSatisfy({ $0.kind == .word && $0.source == nil && $0.destination == nil || $0.isPunct("#", ":") })
        else { return nil }
        let t = Array(t[start...])
        guard t.count > 3,
            let noun = t.prefix(3).firstIndex(where: { Self.recordNouns.contains($0.lower) && $0.source == nil }),
            let except = t.firstIndex(where: { $0.isWord("except", "excluding") }), except > noun
        else { return nil }
        let verbs: Set<String> = [
            "is", "are", "goes", "go", "in", "sent", "synced", "included", "gets", "get", "through", "over", "imported", "mapped",
            "becomes", "become", "a", "an", "member", "members",
        ]
        var kept = Array(t[(noun + 1)..<except])
        while let l = kept.last, l.isPunct(",", ":") || verbs.contains(l.lower) { kept.removeLast() }
        var result = Result(head: [], skips: [], unread: [])
        if !kept.isEmpty {
            guard let c = Self.condition(kept, source: source) else { return nil }
            if c.text.hasPrefix("present("), !c.text.contains(" "), c.fields.count == 1 {
                result.skips.append("blank(\(ConditionReader.fname(c.fields[0])))")
            } else {
                result.skips.append("not (\(c.text))")
            }
        }
        readPhrase(cutExplanation(stripLinks(Array(t[(except + 1)...]))), negate: false, into: &result)
        return result
    }

    /// "every other stage is not sent", "ignore every other event", "if the event is neither of those, skip
    /// it", "drop the rest": the rule before said the other way round; it names nothing.
    private func isRestatement(_ c: [ProseToken]) -> Bool {
        guard !c.isEmpty, !c.contains(where: { $0.kind == .quoted }) else { return false }
        let lower = Set(c.map(\.lower))
        let other = !lower.isDisjoint(with: ["other", "others", "rest", "else", "neither", "none"])
        let skip =
            !lower.isDisjoint(with: Self.skipVerbs.union(["not", "never", "stay", "stays", "out"]))
        let fields = c.filter { $0.source != nil }.allSatisfy { $0.source?.name == "event" && $0.lower.hasPrefix("event") }
        return other && skip && fields
    }

    /// `event == "A" or event == "B"` for "the Form Submitted event", "the events "A" and "B"", ""A" events",
    /// on a source with a text `event` field.
    func eventValues(_ body: [ProseToken]) -> String? {
        guard let ev = source.field("event"), ev.type.baseType == .string, ev.values == nil else { return nil }
        let w = body.filter { !$0.isWord("the", "a", "an", "and", "or", "of", "called", "named") && !$0.isPunct(",") }
        guard w.contains(where: { $0.lower == "event" || $0.lower == "events" }) else { return nil }
        let rest = w.filter { !($0.lower == "event" || $0.lower == "events") }
        var values: [String] = []
        if rest.allSatisfy({ $0.kind == .quoted }) {
            values = rest.map(\.text)
        } else if rest.allSatisfy({ $0.kind == .word && $0.source == nil && $0.text.first?.isUppercase == true }),
            let at = body.firstIndex(where: { $0.lower == "event" || $0.lower == "events" }), at == body.count - 1
        {
            // "the Form Submitted event": one name in capitals right before the word.
            values = [rest.map(\.text).joined(separator: " ")]
        }
        guard !values.isEmpty else { return nil }
        return values.map { "event == \(Formatter.stringLiteral($0))" }.joined(separator: " or ")
    }

    // MARK: Record phrases

    /// Reads a record phrase: one rule per piece ("cleaned members, and anyone tagged internal").
    private func readPhrase(_ phrase: [ProseToken], negate: Bool, into result: inout Result) {
        let phrase = stripLinks(phrase)
        guard !phrase.isEmpty else {
            result.unread.append("it says records are left out, but a skip condition could not be read")
            return
        }
        let pieces = recordPieces(phrase)
        var previous: Field?
        var read: [String] = []
        for piece in pieces {
            if let e = eventValues(piece) {
                read.append(e)
                continue
            }
            guard let c = Self.condition(piece, source: source, previous: previous) else {
                result.unread.append("it says records are left out, but a skip condition could not be read")
                return
            }
            previous = c.fields.last
            read.append(c.text)
        }
        if negate {
            result.skips.append("not (" + read.map { read.count > 1 ? "(\($0))" : $0 }.joined(separator: " or ") + ")")
        } else {
            result.skips += read
        }
    }

    /// Pieces of a record phrase, split where a new record phrase starts: ", and anyone …", " and leads
    /// whose …", ", or that have …", ", and cleaned ones".
    private func recordPieces(_ t: [ProseToken]) -> [[ProseToken]] {
        var pieces: [[ProseToken]] = [[]]
        var depth = 0
        var i = 0
        while i < t.count {
            let x = t[i]
            if x.isPunct("(") { depth += 1 }
            if x.isPunct(")") { depth = max(0, depth - 1) }
            if depth == 0, x.isWord("and", "or") || x.isPunct(","), !(pieces.last?.isEmpty ?? true) {
                var j = i + 1
                var comma = x.isPunct(",")
                var orWord = x.isWord("or")
                while j < t.count, t[j].isWord("and", "or", "also") || t[j].isPunct(",") {
                    if t[j].isPunct(",") { comma = true }
                    if t[j].isWord("or") { orWord = true }
                    j += 1
                }
                if j < t.count, startsNewPiece(Array(t[j...]), current: pieces[pieces.count - 1], comma: comma, or: orWord) {
                    pieces.append([])
                    i = j
                    continue
                }
            }
            pieces[pieces.count - 1].append(x)
            i += 1
        }
        return pieces.filter { !$0.isEmpty }
    }

    private func startsNewPiece(_ r: [ProseToken], current: [ProseToken], comma: Bool, or: Bool) -> Bool {
        guard let f = r.first else { return false }
        // "lifecycle stage is subscriber, lead or other": a value of the field the piece names goes on.
        if let named = current.last(where: { $0.source != nil })?.source, named.values != nil,
            ConditionReader.literal(f, for: named) != nil
        {
            return false
        }
        // "MQLs, SQLs and customers": a value of the picklist whose values the piece lists goes on too.
        let picklists = source.fields.filter { $0.values != nil }
        if f.kind == .word, f.source == nil, !current.contains(where: { $0.source != nil }),
            picklists.contains(where: { p in
                ConditionReader.literal(Self.expand(f), for: p) != nil
                    && current.contains {
                        $0.kind == .word && !ConditionReader.keywords.contains($0.lower)
                            && ConditionReader.literal(Self.expand($0), for: p) != nil
                    }
            })
        {
            return false
        }
        if Self.recordNouns.contains(f.lower) || f.isWord("any", "every", "all", "our") { return true }
        // ", or that have no stage": the same records, another condition (with "or" only: "and that" narrows).
        if or, comma, f.isWord("that", "who", "whose", "which", "with", "without", "where") { return true }
        guard f.kind == .word, f.source == nil else { return false }
        // "and converted leads", ", and cleaned ones": a word or two before a record noun.
        if r.count >= 2, Self.recordNouns.contains(r[1].lower) { return true }
        return comma && r.count >= 3 && r[1].kind == .word && r[1].source == nil && Self.recordNouns.contains(r[2].lower)
    }

    /// Drops link words and commas at both ends.
    private func stripLinks(_ t: [ProseToken]) -> [ProseToken] {
        var t = t
        while let f = t.first, f.isPunct(",", ";", ":", "#", "-") || f.isWord("and", "also", "obviously", "please", "just", "then", "but") {
            t.removeFirst()
        }
        while let l = t.last, l.isPunct(",", ";", ":", ".") || l.isWord("and", "also", "either", "too") { t.removeLast() }
        return t
    }

    /// The body before an explanation: "because …", "since …", ", we don't want those …", "(those are
    /// test orders)", ", as they …".
    func cutExplanation(_ t: [ProseToken]) -> [ProseToken] {
        for (i, x) in t.enumerated() {
            if x.isWord("because", "since", "so") && i > 0 { return stripLinks(Array(t[..<i])) }
            if x.isPunct(",", "-", "—", "("), i + 1 < t.count,
                t[i + 1].isWord("we", "they", "those", "these", "as", "which", "that's", "it's", "since", "because", "otherwise"),
                i + 2 < t.count, !t[i + 2].isWord("that", "who", "whose", "with", "without", "where")
            {
                // A parenthesised restatement of the condition stays.
                if x.isPunct("("), let close = t[i...].firstIndex(where: { $0.isPunct(")") }),
                    t[i..<close].contains(where: { $0.source != nil || $0.kind == .quoted })
                {
                    continue
                }
                return stripLinks(Array(t[..<i]))
            }
        }
        return t
    }

    // MARK: Conditions

    /// One record phrase as a condition: the condition reader, after the words it does not know are put
    /// in its terms: "still", "set to" (is), a yes/no field said as an adjective ("deleted leads"), a field
    /// restated in parentheses alone ("(Is Email Bounced)"), "ending in X", "tagged X", "whatever the case",
    /// and a word of the field the piece before named ("…, or that have no stage at all").
    static func condition(_ piece: [ProseToken], source: Schema, previous: Field? = nil) -> ReadCondition? {
        condition(piece, source: source, previous: previous, anyCase: false)
    }

    private static func condition(_ piece: [ProseToken], source: Schema, previous: Field?, anyCase: Bool) -> ReadCondition? {
        var t = piece
        // Case-insensitive comparisons: "whatever the case", "in any capitalisation", "ignoring case".
        var anyCase = anyCase
        for pattern in casePatterns {
            if let at = find(pattern, in: t) {
                t.removeSubrange(at..<(at + pattern.count))
                anyCase = true
            }
        }
        t = t.filter { !$0.isWord("still", "currently", "already", "ever") }
        // "no first name" read as the destination's FirstName: a skip tests source fields, so the one source
        // field with the same label is meant.
        t = t.map { x in
            guard x.kind == .word, x.source == nil, let d = x.destination else { return x }
            var hits = source.fields.filter { d.label != nil && ($0.label ?? "").lowercased() == d.label?.lowercased() }
            // "an email address" (`email_address`): the one source field of the same concept.
            let concepts = Vocabulary.concepts(d.name)
            if hits.isEmpty, !concepts.isEmpty { hits = source.fields.filter { Vocabulary.concepts($0.name) == concepts } }
            guard hits.count == 1, let f = hits.first else { return x }
            var y = x
            y.source = f
            return y
        }
        // ""Unsubscribed from all email" set to true": a field's label in quotes names the field.
        t = t.map { x in
            guard x.kind == .quoted else { return x }
            let hits = source.fields.filter { ($0.label ?? "").lowercased() == x.lower }
            guard hits.count == 1, let f = hits.first else { return x }
            return ProseToken(kind: .word, text: f.name, lower: f.name.lowercased(), source: f)
        }
        // Parentheses around nothing left ("(, )") go.
        t = dropEmptyParens(t)
        while let f = t.first, f.isPunct(",") || f.isWord("and", "also", "any", "every", "all", "our") { t.removeFirst() }
        while let l = t.last, l.isPunct(",") || l.isWord("either", "too", "ones", "one") { t.removeLast() }
        // "them when X is V", "those where …": the records said again, then the condition.
        if t.count > 2, t[0].isWord("them", "those", "it", "ones", "the"),
            let w = t.prefix(3).firstIndex(where: { $0.isWord("when", "if", "where") })
        {
            t.removeSubrange(0...w)
        }
        // A field restated in parentheses: "(type VENDOR)", "(Is Email Bounced)"; parentheses that name no
        // field ("(junk / test records)") only explain.
        if let open = t.firstIndex(where: { $0.isPunct("(") }), let close = t[open...].firstIndex(where: { $0.isPunct(")") }) {
            let inner = Array(t[(open + 1)..<close])
            if inner.count == 1, let f = inner[0].source, f.type == .bool {
                return ReadCondition(text: "\(ConditionReader.fname(f)) == true", fields: [f], literals: [])
            }
            if inner.contains(where: { $0.source != nil || $0.kind == .quoted }) {
                return condition(inner, source: source, previous: previous, anyCase: anyCase)
            }
            t.removeSubrange(open...close)
        }
        // "set to true": "is true".
        if let at = find(["set", "to"], in: t) { t.replaceSubrange(at..<(at + 2), with: [word("is")]) }
        // "deleted leads", "converted leads": a yes/no field by its label or its name after "Is".
        if let c = adjective(t, source: source) { return c }
        // "any email ending in @example.com", "tagged internal".
        if let c = endsWith(t, anyCase: anyCase) { return c }
        if let c = tagged(t, source: source, anyCase: anyCase) { return c }
        if let c = dateBound(t, source: source) { return c }
        if anyCase { return nil }
        // "MQLs, SQLs": HubSpot's lifecycle stages by their usual abbreviations.
        t = t.map { x in
            let e = expand(x)
            guard e.text != x.text, source.fields.contains(where: { $0.values?.contains(e.text) == true }) else { return x }
            return e
        }
        // "MQLs, SQLs and customers": with no field named, record nouns that are values of the one picklist
        // holding the other values are values too (the condition reader would drop them as fillers).
        if !t.contains(where: { $0.source != nil }) {
            let valueWords = t.filter {
                $0.kind == .quoted
                    || $0.kind == .word && !ConditionReader.keywords.contains($0.lower) && !ConditionReader.fillers.contains($0.lower)
            }
            let holders = source.fields.filter { f in
                f.values != nil && !valueWords.isEmpty && valueWords.allSatisfy { ConditionReader.literal($0, for: f) != nil }
            }
            if holders.count == 1, let f = holders.first {
                t = t.map { x in
                    guard x.kind == .word, ConditionReader.fillers.contains(x.lower), recordNouns.contains(x.lower),
                        let v = ConditionReader.literal(x, for: f)
                    else { return x }
                    return ProseToken(kind: .quoted, text: v, lower: v.lowercased())
                }
            }
        }
        // "closed/not converted leads": the words spell one picklist value whole ("Closed - Not Converted").
        if !t.contains(where: { $0.kind == .quoted || $0.source != nil && $0.source?.type.baseType != .bool }) {
            let spelled = t.filter { !recordNouns.contains($0.lower) && !$0.isPunct(",", "/", "-") && !$0.isWord("the", "all", "any") }
            let n = Suggest.normalise(spelled.map(\.text).joined(separator: " "))
            if spelled.count > 1, spelled.allSatisfy({ $0.kind == .word }) {
                let hits = source.fields.filter { f in f.values?.contains { Suggest.normalise($0) == n } == true }
                    .filter { f in !source.fields.contains { $0.name != f.name && f.name.hasPrefix($0.name) && $0.values != nil } }
                if hits.count == 1, let f = hits.first, let v = f.values?.first(where: { Suggest.normalise($0) == n }) {
                    return ReadCondition(text: "\(ConditionReader.fname(f)) == \(Formatter.stringLiteral(v))", fields: [f], literals: [v])
                }
            }
        }
        // "…, or that have no stage at all": a word of the field the piece before named.
        if !t.contains(where: { $0.source != nil }), let p = previous, let last = (p.label ?? p.name).split(separator: " ").last {
            let w = last.lowercased()
            if let at = t.firstIndex(where: { $0.kind == .word && $0.lower == w }) {
                t[at] = ProseToken(kind: .word, text: p.name, lower: p.name.lowercased(), source: p)
            }
        }
        return ConditionReader.read(t, source: source)
    }

    /// "MQL(s)", "SQL(s)": the lifecycle stage values they abbreviate.
    static func expand(_ x: ProseToken) -> ProseToken {
        guard x.kind == .word, x.source == nil else { return x }
        let abbreviations = [
            "mql": "marketingqualifiedlead", "mqls": "marketingqualifiedlead", "sql": "salesqualifiedlead", "sqls": "salesqualifiedlead",
        ]
        guard let v = abbreviations[x.lower] else { return x }
        return ProseToken(kind: .word, text: v, lower: v)
    }

    /// Conditions the condition reader would read wrongly (a case-blind comparison, a date bound): when
    /// they are not read here, the sentence is listed rather than passed on.
    static func refuses(_ t: [ProseToken]) -> Bool {
        casePatterns.contains { find($0, in: t) != nil }
            || t.contains { $0.isWord("before", "after", "since", "until", "prior") }
                && t.contains { $0.kind == .word && Int($0.text) != nil }
    }

    /// Words that say a comparison ignores case.
    static let casePatterns = [
        ["whatever", "the", "case"], ["in", "any", "capitalisation"], ["in", "any", "capitalization"], ["in", "any", "case"],
        ["ignoring", "case"], ["regardless", "of", "case"], ["any", "capitalisation"], ["any", "capitalization"],
    ]

    private static func word(_ s: String) -> ProseToken { ProseToken(kind: .word, text: s, lower: s) }

    private static func find(_ pattern: [String], in t: [ProseToken]) -> Int? {
        guard t.count >= pattern.count else { return nil }
        return (0...(t.count - pattern.count)).first { i in
            pattern.indices.allSatisfy { t[i + $0].kind == .word && t[i + $0].lower == pattern[$0] }
        }
    }

    private static func dropEmptyParens(_ t: [ProseToken]) -> [ProseToken] {
        var out: [ProseToken] = []
        for x in t {
            if x.isPunct(")"), let open = out.lastIndex(where: { $0.isPunct("(") }),
                out[(open + 1)...].allSatisfy({ $0.isPunct(",") })
            {
                out.removeSubrange(open...)
                continue
            }
            out.append(x)
        }
        return out
    }

    /// "deleted leads", "converted ones": one word that is a yes/no field's label ("Deleted") or its name
    /// after "Is" (`IsConverted`), the rest record nouns and fillers.
    private static func adjective(_ t: [ProseToken], source: Schema) -> ReadCondition? {
        let bools = source.fields.filter { $0.type.baseType == .bool }
        var hit: Field?
        for x in t where x.kind == .word {
            if recordNouns.contains(x.lower) || ConditionReader.fillers.contains(x.lower) { continue }
            let n = Suggest.normalise(x.text)
            let fits = bools.filter { f in
                Suggest.normalise(f.label ?? "") == n || Suggest.normalise(f.name) == "is" + n || x.source?.name == f.name
            }
            guard fits.count == 1, hit == nil else { return nil }
            hit = fits[0]
        }
        guard let f = hit else { return nil }
        return ReadCondition(text: "\(ConditionReader.fname(f)) == true", fields: [f], literals: [])
    }

    /// "any email ending in @example.com", "whose email ends with .test".
    private static func endsWith(_ t: [ProseToken], anyCase: Bool) -> ReadCondition? {
        guard let at = t.firstIndex(where: { $0.isWord("ending", "ends", "end") }), at + 2 < t.count, t[at + 1].isWord("in", "with"),
            at + 3 == t.count
        else { return nil }
        let fields = t[..<at].compactMap(\.source)
        guard fields.count == 1, let f = fields.first, f.type.baseType == .string,
            t[..<at].allSatisfy({
                $0.source != nil || $0.kind == .word && (ConditionReader.fillers.contains($0.lower) || recordNouns.contains($0.lower))
            })
        else { return nil }
        let v = t[at + 2]
        guard v.kind == .quoted || v.kind == .word && v.source == nil else { return nil }
        let name = ConditionReader.fname(f)
        let text =
            anyCase
            ? "ends_with(lower(trim(\(name))), \(Formatter.stringLiteral(v.text.lowercased())))"
            : "ends_with(\(name), \(Formatter.stringLiteral(v.text)))"
        return ReadCondition(text: text, fields: [f], literals: [v.text])
    }

    /// "contacts created before 1 Jan 2023", "whose create date is on or after 2024-03-01": a date or
    /// date-time field against a day (UTC midnight). "after" alone (that day or the next?) is not read.
    private static func dateBound(_ t: [ProseToken], source: Schema) -> ReadCondition? {
        guard let at = t.firstIndex(where: { $0.isWord("before", "since", "from") || $0.isWord("after") }) else { return nil }
        var op: String
        var dateStart = at + 1
        if t[at].isWord("before") {
            op = "<"
        } else if t[at].isWord("since", "from") {
            op = ">="
        } else {
            guard at >= 2, t[at - 1].isWord("or"), t[at - 2].isWord("on") else { return nil }
            op = ">="
        }
        if t[at].isWord("before"), at >= 2, t[at - 1].isWord("or"), t[at - 2].isWord("on") { op = "<=" }
        if dateStart < t.count, t[dateStart].isWord("the") { dateStart += 1 }
        guard let day = date(Array(t[dateStart...])) else { return nil }
        // The field: one date field named, or "created" / "modified" for the one field of that concept.
        var head = Array(t[..<at])
        while let l = head.last, l.isWord("on", "or", "is", "was", "were") { head.removeLast() }
        var fields = head.compactMap(\.source).filter { [.date, .datetime].contains($0.type.baseType) }
        if fields.isEmpty, let w = head.last(where: { $0.isWord("created", "modified", "updated") }) {
            let concept = w.isWord("created") ? "created" : "modified"
            fields = source.fields.filter {
                [.date, .datetime].contains($0.type.baseType) && Vocabulary.concepts($0.name).contains(concept)
            }
        }
        guard fields.count == 1, let f = fields.first,
            head.allSatisfy({
                $0.source != nil
                    || $0.kind == .word
                        && (recordNouns.contains($0.lower) || ConditionReader.fillers.contains($0.lower)
                            || $0.isWord("created", "modified", "updated", "date"))
            })
        else { return nil }
        let name = ConditionReader.fname(f)
        let lit = f.type.baseType == .date ? "to_date(\"\(day)\")" : "to_datetime(\"\(day)T00:00:00Z\")"
        return ReadCondition(text: "\(name) \(op) \(lit)", fields: [f], literals: [day])
    }

    /// "1 Jan 2023", "January 1, 2023", "2023-01-01": the day as YYYY-MM-DD, when the words are only a date.
    static func date(_ t: [ProseToken]) -> String? {
        let words = t.filter { !$0.isPunct(",") }
        let months = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
        func month(_ w: String) -> Int? {
            guard w.count >= 3, let i = months.firstIndex(of: String(w.prefix(3))) else { return nil }
            let full = [
                "january", "february", "march", "april", "may", "june", "july", "august", "september", "october", "november", "december",
            ]
            return w.count == 3 || w == full[i] || w == String(full[i].prefix(4)) ? i + 1 : nil
        }
        func fmt(_ y: Int, _ m: Int, _ d: Int) -> String? {
            guard (1...12).contains(m), (1...31).contains(d), (1000...9999).contains(y) else { return nil }
            return String(format: "%04d-%02d-%02d", y, m, d)
        }
        if words.count == 1 {
            let p = words[0].text.split(separator: "-").compactMap { Int($0) }
            return p.count == 3 && words[0].text.count == 10 ? fmt(p[0], p[1], p[2]) : nil
        }
        guard words.count == 3 else { return nil }
        // "2024-03-05" comes as three numbers.
        if words[0].text.count == 4, let y = Int(words[0].text), let m = Int(words[1].text), let d = Int(words[2].text),
            words[1].text.count <= 2, words[2].text.count <= 2
        {
            return fmt(y, m, d)
        }
        if let d = Int(words[0].text), let m = month(words[1].lower), let y = Int(words[2].text) { return fmt(y, m, d) }
        if let m = month(words[0].lower), let d = Int(words[1].text), let y = Int(words[2].text) { return fmt(y, m, d) }
        return nil
    }

    /// "anyone tagged internal": the tag list holds the word.
    private static func tagged(_ t: [ProseToken], source: Schema, anyCase: Bool) -> ReadCondition? {
        guard let at = t.firstIndex(where: { $0.isWord("tagged") }), at + 2 == t.count,
            let f = source.fields.first(where: { $0.name == "tags" }), f.type.baseType == .string,
            t[..<at].allSatisfy({ $0.kind == .word && (recordNouns.contains($0.lower) || ConditionReader.fillers.contains($0.lower)) })
        else { return nil }
        let v = t[at + 1]
        guard v.kind == .quoted || v.kind == .word && v.source == nil else { return nil }
        let name = ConditionReader.fname(f)
        let text =
            anyCase
            ? "contains(lower(\(name)), \(Formatter.stringLiteral(v.text.lowercased())))"
            : "contains(\(name), \(Formatter.stringLiteral(v.text)))"
        return ReadCondition(text: text, fields: [f], literals: [v.text])
    }
}
