import Foundation
import MapDSL

/// Reads tag names given as constants: "tags: newsletter-2025, for every contact", "tags = crm-import",
/// "tag everyone with webinar-2025", "add the tags "vip" and "beta" to every member". A tag list is a text
/// field named `tags` (Mailchimp models its tags as one comma-separated text); several tags become one
/// text joined by ",". Only names that cannot be anything else are read: quoted text, or a word joined to
/// others by dashes or holding a digit ("hubspot-sync", "webinar-2025"); a plain word only when the
/// sentence says it is for every record. A word that names a field, or any word left over, gives nil.
struct FlagReader {
    let source: Schema
    let d: Field

    /// Whether `f` holds a list of tag names.
    static func isTagList(_ f: Field) -> Bool {
        f.type == .string && (f.name.lowercased() == "tags" || f.name.lowercased().hasSuffix(".tags"))
    }

    /// Words that say the tag goes on every record ("for every contact", "on all members", "always").
    static let everyone: Set<String> = [
        "for", "on", "to", "every", "each", "all", "everyone", "everybody", "always", "contact", "contacts", "member", "members",
        "lead", "leads", "record", "records", "subscriber", "subscribers", "user", "users", "them", "of", "the", "account", "accounts",
        "person", "people", "company", "companies", "event", "events", "single", "one",
    ]

    /// Words before the names that say only that tags follow.
    static let leads: Set<String> = ["the", "a", "tag", "tags", "just", "always", "constant", "fixed", "literal", "value", "is", "are"]

    /// The constant of a tag list, from the value words after the field.
    func constant(_ raw: [ProseToken]) -> ReadValue? {
        guard Self.isTagList(d) else { return nil }
        var t = raw.filter { !$0.isPunct(".") }
        while let l = t.last, l.isPunct(",", ";") { t.removeLast() }
        while let f = t.first, f.isPunct(":", "=", ",") || f.kind == .word && Self.leads.contains(f.lower) { t.removeFirst() }
        // "…, for every contact", "… on all members", "… always": the tag is the same for every record.
        var saysEveryone = false
        if let f = t.lastIndex(where: { $0.isWord("for", "on", "to", "always") }), f > 0,
            t[f...].allSatisfy({ $0.kind == .word && Self.everyone.contains($0.lower) && $0.source == nil }),
            t[f...].contains(where: { $0.isWord("every", "each", "all", "everyone", "everybody", "always") })
        {
            saysEveryone = true
            t.removeSubrange(f...)
            while let l = t.last, l.isPunct(",") { t.removeLast() }
        }
        guard let names = Self.names(t, plainAllowed: saysEveryone) else { return nil }
        let text = names.joined(separator: ",")
        if let max = d.maxLength, text.count > max { return nil }
        return ReadValue(text: Formatter.stringLiteral(text), kind: .constant)
    }

    /// Tag names separated by "," or "and": each quoted, or one word whose parts dashes join or that holds a
    /// digit; a plain word only when `plainAllowed`.
    static func names(_ t: [ProseToken], plainAllowed: Bool) -> [String]? {
        var groups: [[ProseToken]] = [[]]
        for x in t {
            if x.isPunct(",") || x.isWord("and") {
                if !(groups.last?.isEmpty ?? true) { groups.append([]) }
                continue
            }
            groups[groups.count - 1].append(x)
        }
        groups = groups.filter { !$0.isEmpty }
        guard !groups.isEmpty else { return nil }
        var out: [String] = []
        for g in groups {
            if g.count == 1, g[0].kind == .quoted {
                let q = g[0].text.trimmingCharacters(in: .whitespaces)
                guard !q.isEmpty, !q.contains(",") else { return nil }
                out.append(q)
                continue
            }
            // One word as written: its parts joined by dashes with no space ("hubspot-sync").
            guard g.allSatisfy({ $0.kind == .word && $0.source == nil && $0.destination == nil }),
                g.dropFirst().allSatisfy(\.afterTightDash), !g[0].afterTightDash
            else { return nil }
            let word = ValuesMapReader.spelled(g)
            let marked = g.count > 1 || word.contains(where: { $0.isNumber || $0 == "_" })
            guard marked || plainAllowed && !ConditionReader.keywords.contains(g[0].lower) && !everyone.contains(g[0].lower)
            else { return nil }
            out.append(word)
        }
        return out
    }

    /// "tag everyone with webinar-2025", "tag every member as beta-tester", "add the tag "vip" to every
    /// contact": a sentence that names no field but the tags, read as the tag list's constant.
    static func tagVerb(_ tokens: [ProseToken], source: Schema, destination: Schema) -> SentenceOutcome.Assignment? {
        guard let d = destination.fields.first(where: { isTagList($0) && !$0.readOnly }) else { return nil }
        var t = tokens.filter { !$0.isPunct(".") }
        while let f = t.first, f.isWord("and", "also", "please", "then", "finally", "just") { t.removeFirst() }
        guard t.count >= 3, !t.contains(where: { $0.source != nil && $0.kind == .word && !$0.isWord("tags", "tag") }) else { return nil }
        var names: [ProseToken] = []
        if t[0].isWord("tag") {
            // "tag <who> with/as <names>".
            guard let w = t.firstIndex(where: { $0.isWord("with", "as") }), w > 1,
                t[1..<w].allSatisfy({ $0.kind == .word && everyone.contains($0.lower) }),
                t[1..<w].contains(where: { $0.isWord("every", "each", "all", "everyone", "everybody", "them") })
            else { return nil }
            names = Array(t[(w + 1)...])
            while let f = names.first, f.kind == .word, leads.contains(f.lower) { names.removeFirst() }
        } else if t[0].isWord("add", "apply", "attach"), t.count > 3, t[1].isWord("the", "a"), t[2].isWord("tag", "tags") {
            // "add the tag <names> to every <who>".
            guard let to = t.lastIndex(where: { $0.isWord("to", "on") }), to > 3,
                t[to...].allSatisfy({ $0.kind == .word && everyone.contains($0.lower) }),
                t[to...].contains(where: { $0.isWord("every", "each", "all", "everyone", "everybody") })
            else { return nil }
            names = Array(t[3..<to])
        } else {
            return nil
        }
        guard let list = Self.names(names, plainAllowed: true) else { return nil }
        let text = list.joined(separator: ",")
        if let max = d.maxLength, text.count > max { return nil }
        return .init(
            field: d, value: ReadValue(text: Formatter.stringLiteral(text), kind: .constant), confidence: 0.9, note: "named in prose")
    }
}

extension FlagReader {
    /// "…, e.g. plan-pro", "… (for example plan-pro)": an example after a value only shows what the rule gives.
    /// The value without it, when the example names no field; nil when there is none.
    static func withoutExample(_ t: [ProseToken]) -> [ProseToken]? {
        guard
            let e = t.indices.first(where: { i in
                t[i].isWord("e.g", "eg", "e.g.,") || t[i].isWord("for") && i + 1 < t.count && t[i + 1].isWord("example", "instance")
            }), e > 0
        else { return nil }
        var head = Array(t[..<e])
        var tail = Array(t[e...])
        if let open = head.last, open.isPunct("(") {
            head.removeLast()
            guard let close = tail.lastIndex(where: { $0.isPunct(")") }), close == tail.count - 1 else { return nil }
            tail.removeLast()
        }
        while let l = head.last, l.isPunct(",", ";", ":") { head.removeLast() }
        // A field the example names must be one the value names ("the plan, e.g. plan-pro").
        let named = Set(head.compactMap(\.source?.name))
        guard !head.isEmpty,
            !tail.contains(where: { $0.source.map { !named.contains($0.name) } ?? ($0.destination != nil) || $0.isPunct("(", ")", ";") })
        else {
            return nil
        }
        return head
    }
}
