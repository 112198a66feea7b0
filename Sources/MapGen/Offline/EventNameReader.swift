import Foundation
import MapDSL

/// The event's name on event destinations (GA4's `name`, Segment track's `event`) in the words
/// integration authors use (issue 18, round 7):
///
/// - the field named in words at the start of a clause: "the event name depends on …", "its name:
///   …", "the event's name is …", "the name of the event → …", "the event is …" (then the other
///   readers read the value);
/// - a constant said in passing: "send it as a sign_up event", "every contact becomes a generate_lead
///   event", "the event is called Lead Created", "call the event Trial Started".
enum EventNameReader {
    /// The destination's event-name field, if the destination is an event.
    static func field(_ destination: Schema) -> Field? {
        let name: String
        switch (destination.platform, destination.object) {
        case ("ga4", _): name = "name"
        case ("segment", "track"): name = "event"
        default: return nil
        }
        return destination.field(name).flatMap { $0.readOnly ? nil : $0 }
    }

    /// GA4's recommended event names: a plain word that is one of them is an event name, not a field.
    static let recommended: Set<String> = [
        "purchase", "refund", "login", "search", "share", "sign_up", "generate_lead", "qualify_lead", "working_lead",
        "close_convert_lead", "close_unconvert_lead", "disqualify_lead", "add_to_cart", "begin_checkout", "add_payment_info",
        "add_shipping_info", "view_item", "select_item", "add_to_wishlist", "tutorial_begin", "tutorial_complete", "earn_virtual_currency",
        "join_group", "level_up", "post_score", "unlock_achievement", "page_view", "subscribe",
    ]

    /// Replaces the words that name the event's name at the start of a clause by one token for the field.
    static func rewrite(_ t: [ProseToken], source: Schema, destination: Schema) -> [ProseToken] {
        guard let f = field(destination) else { return t }
        var out: [ProseToken] = []
        var i = 0
        while i < t.count {
            let opens = i == 0 || t[i - 1].isPunct(",", ";", ":", "-") || t[i - 1].isWord("and") && i >= 2 && t[i - 2].isPunct(",")
            if opens, let n = phrase(t, at: i, source: source), i + n < t.count,
                t[i + n].isPunct(":", "=", "->") || t[i + n].isWord("is", "depends", "should", "becomes", "will", "must", "comes")
            {
                out.append(ProseToken(kind: .word, text: f.name, lower: f.name.lowercased(), destination: f))
                i += n
                continue
            }
            out.append(t[i])
            i += 1
        }
        return out
    }

    /// The number of tokens of an event-name phrase at `i`: "(the) event name", "the event's name", "its
    /// name", "the name of the event", "the event" (when the source has no `event` field of its own).
    private static func phrase(_ t: [ProseToken], at i: Int, source: Schema) -> Int? {
        func words(_ w: [String]) -> Bool {
            i + w.count <= t.count && w.indices.allSatisfy { t[i + $0].kind == .word && t[i + $0].lower == w[$0] }
        }
        for w in [
            ["the", "event", "name"], ["event", "name"], ["the", "event's", "name"], ["the", "event", "s", "name"], ["its", "name"],
            ["its", "event", "name"], ["the", "name", "of", "the", "event"], ["their", "event", "name"],
        ] where words(w) {
            return w.count
        }
        if source.field("event") == nil, words(["the", "event"]) { return 2 }
        return nil
    }

    /// A constant name said in passing; nil when the sentence says anything else.
    static func constant(_ t: [ProseToken], source: Schema, destination: Schema) -> SentenceOutcome.Assignment? {
        guard let f = field(destination) else { return nil }
        // Nothing else named: no source field, no other destination, at most one literal.
        guard !t.contains(where: { $0.source != nil && !$0.isWord("event", "name") }),
            !t.contains(where: { $0.destination != nil && $0.destination?.name != f.name && !$0.isWord("event", "name") }),
            t.filter({ $0.kind == .quoted }).count <= 1
        else { return nil }
        var value: String?
        // "event name: purchase", "the event is sign_up": the field, then one name.
        let words = t.filter { !$0.isPunct(".") }
        if words.count == 3, words[0].destination?.name == f.name, words[1].isPunct(":", "=", "->") || words[1].isWord("is"),
            isName(words[2])
        {
            value = words[2].text
        }
        // "… as a sign_up event", "… becomes a generate_lead event", "send a purchase event".
        if let e = t.lastIndex(where: { $0.isWord("event") }), e >= 2,
            e == t.count - 1 || t[e + 1].isPunct(",", ";", "(") || t[e + 1].isWord("for", "per"),
            t[e - 2].isWord("a", "an", "the"), isName(t[e - 1]),
            e >= 3
                && t[e - 3].isWord(
                    "as", "send", "sends", "sent", "fire", "fires", "emit", "emits", "becomes", "become", "is", "trigger", "triggers")
        {
            value = t[e - 1].text
            // "subscribed members send a sign_up event": words that choose records make it no constant.
            let plain: Set<String> = [
                "send", "sends", "sent", "it", "them", "each", "every", "all", "as", "a", "an", "the", "one", "per", "we", "will", "should",
                "is", "are", "be", "becomes", "become", "fire", "fires", "emit", "emits", "trigger", "triggers", "always", "just", "please",
                "and", "to", "ga4", "segment", "track", "for", "of", "our", "event", "single", "new", "then",
            ]
            let others = t.indices.filter { $0 != e - 1 && t[$0].kind != .punct }
            guard
                others.allSatisfy({ t[$0].kind == .word && (plain.contains(t[$0].lower) || SkipReader.recordNouns.contains(t[$0].lower)) })
            else {
                return nil
            }
        }
        // "the event is called Lead Created", "call the event Trial Started", "name the event "X"".
        if value == nil, let c = t.firstIndex(where: { $0.isWord("called", "named", "call", "name") }), c + 1 < t.count {
            var at = c + 1
            let before = t[..<c].filter { !$0.isWord("the", "is", "be", "should", "will", "must", "each", "every", "it", "its", "this") }
            if t[c].isWord("call", "name") {
                guard at + 1 < t.count, t[at].isWord("the"), t[at + 1].isWord("event") else { return nil }
                at += 2
            } else {
                guard before.count == 1, before[0].isWord("event") || before[0].destination?.name == f.name else { return nil }
            }
            let rest = t[at...].prefix { !$0.isPunct(",", ";", "(") }
            if rest.count == 1, rest[rest.startIndex].kind == .quoted || isName(rest[rest.startIndex]) {
                value = rest[rest.startIndex].text
            } else if rest.count > 1, rest.allSatisfy({ $0.kind == .word && $0.text.first?.isUppercase == true && $0.source == nil }) {
                value = rest.map(\.text).joined(separator: " ")
            } else {
                return nil
            }
            // Words after the name other than an explanation: not read here.
            let after = t[(at + rest.count)...]
            if let a = after.first, !a.isPunct("(", ",") || after.contains(where: { $0.source != nil }) { return nil }
        }
        guard let v = value,
            let lit = ValueReader(source: source, destination: destination, d: f).literal(
                ProseToken(kind: .quoted, text: v, lower: v.lowercased()))
        else {
            return nil
        }
        return .init(field: f, value: ReadValue(text: lit, kind: .constant), confidence: 0.9, note: "named in prose, the event's name")
    }

    /// "subscribed members send a sign_up event; unsubscribed members send newsletter_unsubscribe": one
    /// name per value of one source picklist. The match needs a default: the last name, flagged (the
    /// other values are most often skipped by another rule).
    static func perValue(_ t: [ProseToken], source: Schema, destination: Schema) -> SentenceOutcome.Assignment? {
        guard let f = field(destination) else { return nil }
        var parts: [[ProseToken]] = [[]]
        for x in t {
            if x.isPunct(";", ",") { parts.append([]) } else { parts[parts.count - 1].append(x) }
        }
        parts = parts.map { p in Array(p.drop { $0.isWord("and", "while", "but", "whereas") }) }.filter { !$0.isEmpty }
        guard parts.count >= 2 else { return nil }
        let verbs: Set<String> = [
            "send", "sends", "become", "becomes", "get", "gets", "fire", "fires", "trigger", "triggers", "produce", "produces",
        ]
        var arms: [(values: [ProseToken], name: String)] = []
        for p in parts {
            var q = p
            while let l = q.last, l.isWord("event", "events") || l.isPunct(".") { q.removeLast() }
            guard let v = q.firstIndex(where: { verbs.contains($0.lower) }), v >= 2, SkipReader.recordNouns.contains(q[v - 1].lower),
                let last = q.last, isName(last)
            else { return nil }
            let between = q[(v + 1)..<(q.count - 1)]
            guard between.allSatisfy({ $0.isWord("a", "an", "the") }) else { return nil }
            let values = q[..<(v - 1)].filter { !$0.isWord("and", "or", "the", "all") }
            guard !values.isEmpty, values.allSatisfy({ $0.kind == .word && $0.source == nil || $0.kind == .quoted }) else { return nil }
            arms.append((Array(values), last.text))
        }
        var lists = source.fields.filter { p in
            p.values != nil && arms.allSatisfy { a in a.values.allSatisfy { ConditionReader.literal($0, for: p) != nil } }
        }
        // `status_if_new` beside `status`: the field whose name extends another's gives way.
        lists = lists.filter { p in !lists.contains { $0.name != p.name && p.name.hasPrefix($0.name) } }
        guard lists.count == 1, let p = lists.first else { return nil }
        let reader = ValueReader(source: source, destination: destination, d: f)
        var lines: [String] = []
        for a in arms {
            guard let name = reader.literal(ProseToken(kind: .quoted, text: a.name, lower: a.name.lowercased())) else { return nil }
            let pats = a.values.compactMap { ConditionReader.literal($0, for: p) }.map { ConditionReader.typed($0, p) }
            lines.append(pats.joined(separator: ", ") + " => " + name)
        }
        guard let lastName = reader.literal(ProseToken(kind: .quoted, text: arms[arms.count - 1].name, lower: "")) else { return nil }
        let text =
            "match \(ConditionReader.fname(p)) {\n" + (lines + ["_ => " + lastName]).map { "    " + $0 }.joined(separator: "\n") + "\n}"
        return .init(
            field: f, value: ReadValue(text: text, kind: .translation), confidence: 0.6,
            note: "named in prose per value; REVIEW: other values get the last name")
    }

    /// "Order Completed becomes purchase, Product Added -> add_to_cart", "send Order Completed as purchase
    /// and Order Refunded as refund; all other events stay out": the source's event (free text) to the
    /// destination's event name, pair by pair. A stated skip of the other events is a skip rule and makes
    /// the default arm unreachable; without one, the default (the last name) is flagged.
    static func eventMap(_ t: [ProseToken], source: Schema, destination: Schema) -> (
        assignment: SentenceOutcome.Assignment, skips: [String]
    )? {
        guard let f = field(destination), let ev = source.field("event"), ev.type.baseType == .string, ev.values == nil else { return nil }
        var t = t
        // A lead-in: "The GA4 event name:", "event names:", "send".
        // "The GA4 event name is a translation of the Segment event:".
        let leadIn: Set<String> = [
            "the", "ga4", "event", "events", "name", "names", "map", "mapping", "is", "are", "a", "translation", "translated", "of", "from",
            "segment", "source", "s",
        ]
        if let colon = t.prefix(12).firstIndex(where: { $0.isPunct(":") }),
            t[..<colon].allSatisfy({
                $0.kind == .word && ($0.destination?.name == f.name || $0.source?.name == "event" || leadIn.contains($0.lower))
            })
        {
            t.removeSubrange(...colon)
        }
        while let x = t.first, x.isWord("send", "map", "translate", "forward") { t.removeFirst() }
        // The rest of the sentence after ";": the other events are skipped (or nothing).
        var skipOthers = false
        var otherwise: ReadValue?
        if let semi = t.firstIndex(where: { $0.isPunct(";") }) {
            let rest = Array(t[(semi + 1)...])
            // "for any other event use the event name lower-cased with spaces replaced by underscores".
            var r = rest.drop { $0.isWord("and") }
            if r.first?.isWord("for") == true { r = r.drop { $0.isWord("for", "any", "all", "every") } }
            if rest.drop(while: { $0.isWord("and") }).first?.isWord("for") == true, r.first?.isWord("other") == true,
                r.dropFirst().first.map({ $0.lower.hasPrefix("event") }) == true
            {
                r = r.dropFirst(2).drop { $0.isPunct(",", ":") || $0.isWord("use", "send", "take", "it's", "is") }
                guard let v = ValueReader(source: source, destination: destination, d: f).read(Array(r)) else { return nil }
                otherwise = v
            }
        }
        if otherwise == nil, let semi = t.firstIndex(where: { $0.isPunct(";") }) {
            let rest = Array(t[(semi + 1)...])
            let lower = Set(rest.map(\.lower))
            guard !rest.contains(where: { $0.kind == .quoted || $0.source != nil && !$0.lower.hasPrefix("event") }),
                !lower.isDisjoint(with: ["other", "others", "rest", "else"]),
                !lower.isDisjoint(with: ["stay", "stays", "skip", "drop", "ignore", "dropped", "skipped", "ignored", "not", "don"])
            else { return nil }
            skipOthers = true
            t = Array(t[..<semi])
        } else if otherwise != nil, let semi = t.firstIndex(where: { $0.isPunct(";") }) {
            t = Array(t[..<semi])
        }
        // Pairs: a name in capitals (or quoted), a connector, an event name.
        var pairs: [(key: String, name: String)] = []
        var i = 0
        while i < t.count {
            while i < t.count, t[i].isPunct(",") || t[i].isWord("and") { i += 1 }
            guard i < t.count else { break }
            var key: String
            if t[i].kind == .quoted {
                key = t[i].text
                i += 1
            } else {
                var words: [String] = []
                while i < t.count, t[i].kind == .word, t[i].source == nil || t[i].text.first?.isUppercase == true,
                    t[i].text.first?.isUppercase == true
                {
                    words.append(t[i].text)
                    i += 1
                }
                guard !words.isEmpty else { return nil }
                key = words.joined(separator: " ")
            }
            guard i + 1 < t.count, t[i].isWord("becomes", "as", "to") || t[i].isPunct("->", "=") else { return nil }
            i += 1
            guard isName(t[i]) else { return nil }
            pairs.append((key, t[i].text))
            i += 1
        }
        guard pairs.count >= 2 else { return nil }
        let reader = ValueReader(source: source, destination: destination, d: f)
        var arms: [String] = []
        for p in pairs {
            guard let lit = reader.literal(ProseToken(kind: .quoted, text: p.name, lower: p.name.lowercased())) else { return nil }
            arms.append(Formatter.stringLiteral(p.key) + " => " + lit)
        }
        guard let last = otherwise?.text ?? arms.last?.components(separatedBy: " => ").last else { return nil }
        let text = "match event {\n" + (arms + ["_ => " + last]).map { "    " + $0 }.joined(separator: "\n") + "\n}"
        let skips =
            skipOthers ? ["not (" + pairs.map { "event == \(Formatter.stringLiteral($0.key))" }.joined(separator: " or ") + ")"] : []
        let a = SentenceOutcome.Assignment(
            field: f, value: ReadValue(text: text, kind: .translation), confidence: skipOthers || otherwise != nil ? 0.9 : 0.6,
            note: skipOthers || otherwise != nil
                ? "named in prose, event by event" : "named in prose, event by event; REVIEW: other events get the last name")
        return (a, skips)
    }

    /// "event name -> qualify_lead for MQLs and SQLs, working_lead for opportunities, close_convert_lead for
    /// customers[, other_stage for everyone else]": a name for the values of one source picklist. Without a
    /// default the last name stands for the others, flagged.
    static func namesForValues(_ t: [ProseToken], source: Schema, destination: Schema) -> SentenceOutcome.Assignment? {
        guard let f = field(destination), t.count > 4, t[0].destination?.name == f.name, t[0].source == nil,
            t[1].isPunct("->", ":", "=") || t[1].isWord("is")
        else { return nil }
        var parts: [[ProseToken]] = [[]]
        for x in t.dropFirst(2) where !x.isPunct(".") {
            if x.isPunct(",", ";") { parts.append([]) } else { parts[parts.count - 1].append(x) }
        }
        parts = parts.map { p in Array(p.drop { $0.isWord("and", "or") }) }.filter { !$0.isEmpty }
        var arms: [(values: [ProseToken], name: String)] = []
        var fallback: String?
        for (k, p) in parts.enumerated() {
            guard p.count >= 3, isName(p[0]), p[1].isWord("for") else {
                // "otherwise other_stage", "else other_stage": the default, last.
                if k == parts.count - 1, p.count == 2, p[0].isWord("otherwise", "else"), isName(p[1]) {
                    fallback = p[1].text
                    continue
                }
                return nil
            }
            let values = p[2...].filter { !$0.isWord("and", "or", "the", "all") }
            if k == parts.count - 1,
                values.allSatisfy({ $0.isWord("everyone", "everybody", "everything", "else", "other", "others", "rest", "anyone") })
            {
                fallback = p[0].text
                continue
            }
            guard !values.isEmpty, values.allSatisfy({ $0.kind == .word && $0.source == nil || $0.kind == .quoted }) else { return nil }
            arms.append((Array(values), p[0].text))
        }
        guard arms.count >= 2 else { return nil }
        var lists = source.fields.filter { p in
            p.values != nil
                && arms.allSatisfy { a in a.values.allSatisfy { ConditionReader.literal(SkipReader.expand($0), for: p) != nil } }
        }
        lists = lists.filter { p in !lists.contains { $0.name != p.name && p.name.hasPrefix($0.name) } }
        guard lists.count == 1, let p = lists.first else { return nil }
        let reader = ValueReader(source: source, destination: destination, d: f)
        func lit(_ n: String) -> String? { reader.literal(ProseToken(kind: .quoted, text: n, lower: n.lowercased())) }
        var lines: [String] = []
        for a in arms {
            guard let name = lit(a.name) else { return nil }
            let pats = a.values.compactMap { ConditionReader.literal(SkipReader.expand($0), for: p) }.map { ConditionReader.typed($0, p) }
            lines.append(pats.joined(separator: ", ") + " => " + name)
        }
        guard let def = lit(fallback ?? arms[arms.count - 1].name) else { return nil }
        let text = "match \(ConditionReader.fname(p)) {\n" + (lines + ["_ => " + def]).map { "    " + $0 }.joined(separator: "\n") + "\n}"
        return .init(
            field: f, value: ReadValue(text: text, kind: .translation), confidence: fallback == nil ? 0.6 : 0.9,
            note: fallback == nil ? "named in prose per value; REVIEW: other values get the last name" : "named in prose per value")
    }

    /// "skip every other event" after a sentence that mapped events to names pair by pair: the skip of
    /// the events it does not list; its default arm can no longer be reached, so it is not flagged.
    static func skipOthers(_ lines: inout [String: OfflineGenerator.Line], destination: Schema, sentence: Int) -> String? {
        guard let f = field(destination), var line = lines[f.name], line.value.hasPrefix("match event {"),
            line.note.contains("event by event")
        else { return nil }
        let keys = line.value.split(separator: "\n").dropFirst().compactMap { arm -> String? in
            let a = arm.trimmingCharacters(in: .whitespaces)
            guard a.hasPrefix("\""), let r = a.range(of: " => ") else { return nil }
            return String(a[..<r.lowerBound])
        }
        guard !keys.isEmpty else { return nil }
        line.note = "named in prose, event by event; the other events are skipped [S\(sentence + 1)]"
        line.confidence = 0.9
        lines[f.name] = line
        return "not (" + keys.map { "event == \($0)" }.joined(separator: " or ") + ")"
    }

    /// A word that is an event's name: quoted, snake_case, or one of GA4's recommended names.
    private static func isName(_ x: ProseToken) -> Bool {
        if x.kind == .quoted { return true }
        guard x.kind == .word, x.source == nil || recommended.contains(x.lower) else { return false }
        return x.text.contains("_") && x.text == x.text.lowercased() && x.text.first?.isLetter == true || recommended.contains(x.lower)
    }
}
