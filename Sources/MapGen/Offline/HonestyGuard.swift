import Foundation
import MapDSL

/// Checks that keep the offline generator from reporting a rule it did not read whole (issue 18,
/// "generation that never guesses silently"). Each check looks for something in a sentence that the
/// rules read from it do not account for; what it finds is a reason to list the sentence as not
/// implemented, which also flags the sentence's rules for review. The evaluation scorer uses the same
/// vocabulary (``speaksOfLeavingOut(_:)``) and field names (``namedFields(_:destination:source:)``) to tell
/// whether a listed sentence tells a reader that a field or a skip is not handled.
enum HonestyGuard {
    // MARK: - Leaving records out

    /// Phrasings that say records are left out, which a rule-less reading must not pass over.
    /// "Strong" ones say so on their own; "weak" ones ("except …", "leave out …") say it only when no
    /// value is read from the sentence (they also describe values: "leaving out the empty parts").
    static let strongLeaveOut: [String] = [
        #"\b(skip|skips|skipped|skipping)\b"#,
        #"\b(ignore|ignores|ignored|ignoring)\b(?! (the )?case| capitali[sz]ation)"#,
        #"\b(drop|drops|dropped|dropping)\b(?!-)"#,
        #"\b(exclude|excludes|excluded|excluding)\b"#,
        #"\bfilter(ed)? (them |those |these |it )?out\b"#,
        // Passive: "is not sent", "must not be synced", "aren't pushed" (not "the app didn't send one").
        #"(\bnot|\bnever|n['’]t)( be| get| ever| ever be)? (synced|sent|pushed|imported|uploaded|forwarded)\b"#,
        // Imperative or modal: "don't sync", "never send", "must not push".
        #"\b(do not|don['’]t|never|must not|mustn['’]t|should not|shouldn['’]t|will not|won['’]t) (sync|send|push|import|upload|forward)\b"#,
        #"\b(no|never an?) (event|events|record|records|row|rows|message|messages)\b"#,
        #"\b(stay|stays|keep|keeps|kept|remain|remains) out\b"#,
        #"\bonly (send|sync|push|import|forward|upload)\b"#,
        #"\b(no|nothing)( [a-z]+)? (is|are|gets|should be|must be|will be|shall be) (written|created|sent|synced|pushed|imported|upserted|loaded)\b"#,
        #"\bnot (be )?(part of|in) the (sync|audience|list|feed)\b"#,
    ]
    static let weakLeaveOut: [String] = [
        #"\b(except|excepting)\b(?! that| when| if| for the| where)"#,
        #"\b(leave|leaves|leaving|left) (them |those |these |it )?out\b"#,
        #"\bonly\b.*\b(get|gets|go|goes|are sent|is sent|make it|come through)\b"#,
        #"\bonly\b.*\b(are|is|get|gets) (loaded|synced|imported|pushed|copied|created|written|kept)\b"#,
    ]

    /// Whether the sentence says that some records are not sent ("must not be synced", "is not sent",
    /// "don't sync", "produce no event", "all other events stay out", "except converted leads", "skip …").
    static func speaksOfLeavingOut(_ sentence: String, strongOnly: Bool = false) -> Bool {
        let lower = sentence.lowercased()
        let range = NSRange(lower.startIndex..., in: lower)
        let patterns = strongOnly ? strongLeaveOutExpressions : strongLeaveOutExpressions + weakLeaveOutExpressions
        return patterns.contains { $0.firstMatch(in: lower, range: range) != nil }
    }

    /// The patterns compiled once, not once per sentence. (Each is a literal above; a test compiles them all.)
    static let strongLeaveOutExpressions = strongLeaveOut.compactMap { try? NSRegularExpression(pattern: $0) }
    static let weakLeaveOutExpressions = weakLeaveOut.compactMap { try? NSRegularExpression(pattern: $0) }

    // MARK: - Fields named in words

    /// Lower-cased words of `text`, split at everything but letters and digits (so `lead_source`,
    /// `merge_fields.FNAME` and "lead source" give the same words), camel case split too.
    static func words(_ text: String, camel: Bool = false) -> [String] {
        var out: [String] = []
        var current = ""
        var previousLower = false
        for c in text {
            if c.isLetter || c.isNumber {
                if camel, c.isUppercase, previousLower, !current.isEmpty {
                    out.append(current)
                    current = ""
                }
                current.append(contentsOf: c.lowercased())
                previousLower = c.isLowercase || c.isNumber
            } else {
                if !current.isEmpty { out.append(current) }
                current = ""
                previousLower = false
            }
        }
        if !current.isEmpty { out.append(current) }
        return out
    }

    /// The word sequences that name `f` in prose: its name, the last segment of a dotted name (even a
    /// short one: `params.tax` is "tax"), camel case spelled as words, its label; each also with the last
    /// word singular or plural ("tag" for `tags`).
    static func phrases(_ f: Field) -> [[String]] {
        let key = f.name + "\u{0}" + (f.label ?? "")
        if let known = phraseCache.value(key) { return known }
        let out = spellPhrases(f)
        phraseCache.store(key, out)
        return out
    }

    /// The phrases of the fields seen so far: a sentence asks for every field's, and the fields are the schemas'.
    private static let phraseCache = PhraseCache()

    private final class PhraseCache: @unchecked Sendable {
        private let lock = NSLock()
        private var phrases: [String: [[String]]] = [:]

        func value(_ key: String) -> [[String]]? { lock.withLock { phrases[key] } }

        func store(_ key: String, _ value: [[String]]) {
            lock.withLock {
                // Bounded: the fields of the schemas in use, far below this, unless schemas keep changing.
                if phrases.count > 50_000 { phrases.removeAll() }
                phrases[key] = value
            }
        }
    }

    private static func spellPhrases(_ f: Field) -> [[String]] {
        let last = String(f.name.split(separator: ".").last ?? Substring(f.name))
        var base: [[String]] = [words(f.name), words(last), words(last, camel: true)]
        if let label = f.label { base.append(words(label)) }
        var out: [[String]] = []
        for p in base where !p.isEmpty {
            for variant in [p] + inflections(p) where !out.contains(variant) { out.append(variant) }
        }
        return out
    }

    /// The phrase with its last word singular or plural.
    static func inflections(_ p: [String]) -> [[String]] {
        guard let w = p.last, w.count >= 3, w.allSatisfy(\.isLetter) else { return [] }
        var forms: [String] = []
        if w.hasSuffix("ies") {
            forms.append(String(w.dropLast(3)) + "y")
        } else if w.hasSuffix("ses") || w.hasSuffix("xes") || w.hasSuffix("ches") || w.hasSuffix("shes") {
            forms.append(String(w.dropLast(2)))
        } else if w.hasSuffix("s"), !w.hasSuffix("ss") {
            forms.append(String(w.dropLast()))
        } else if w.hasSuffix("y"), let before = w.dropLast().last, !"aeiou".contains(before) {
            forms.append(String(w.dropLast()) + "ies")
        } else if w.hasSuffix("s") || w.hasSuffix("x") || w.hasSuffix("ch") || w.hasSuffix("sh") {
            forms.append(w + "es")
        } else {
            forms.append(w + "s")
        }
        return forms.map { Array(p.dropLast()) + [$0] }
    }

    /// The names of the `destination` fields the sentence names in words, as whole words: by name, last
    /// segment, label, singular or plural. A longer phrase wins over a shorter one inside it, also a
    /// phrase of a `source` field ("lead source" is no `source`); when one phrase names several
    /// destination fields, the shallowest dotted names take it.
    static func namedFields(_ sentence: String, destination: [Field], source: [Field] = [], objects: [Schema] = []) -> Set<String> {
        let text = words(sentence)
        guard !text.isEmpty else { return [] }
        struct Match {
            var start: Int
            var end: Int
            var field: String?
            var depth: Int
        }
        var matches: [Match] = []
        let present = Set(text)
        for (side, fields) in [(true, destination), (false, source)] {
            for f in fields {
                for p in phrases(f) where p.count <= text.count && p.allSatisfy(present.contains) {
                    for i in 0...(text.count - p.count) where Array(text[i..<(i + p.count)]) == p {
                        matches.append(
                            Match(start: i, end: i + p.count, field: side ? f.name : nil, depth: f.name.filter { $0 == "." }.count))
                    }
                }
            }
        }
        // The objects' own names ("Segment track events", "Audience Member") are no field's name.
        for o in objects {
            var shadows = ["event", "events", "call", "calls", "record", "records"].map { words(o.object) + [$0] }
            if let label = o.label, words(label).count > 1 { shadows += [words(label)] + inflections(words(label)) }
            for p in shadows where p.count <= text.count {
                for i in 0...(text.count - p.count) where Array(text[i..<(i + p.count)]) == p {
                    matches.append(Match(start: i, end: i + p.count, field: nil, depth: 0))
                }
            }
        }
        var named: Set<String> = []
        for m in matches {
            guard let name = m.field else { continue }
            let shadowed = matches.contains { o in
                o.start <= m.start && m.end <= o.end && (o.end - o.start) > (m.end - m.start)
            }
            if shadowed { continue }
            let deeper = matches.contains { o in o.field != nil && o.start == m.start && o.end == m.end && o.depth < m.depth }
            if deeper { continue }
            named.insert(name)
        }
        return named
    }
}

extension HonestyGuard {
    // MARK: - Reviewing one sentence's reading

    /// Why the rules read from `sentence` (the outcome `o`) do not account for all of it; empty when they
    /// do. Each reason lists the sentence as not implemented and flags its rules.
    static func review(_ sentence: String, tokens: [ProseToken], outcome o: SentenceOutcome, source: Schema, destination: Schema)
        -> [String]
    {
        var reasons: [String] = []
        let nothingRead =
            o.assignments.isEmpty && o.skips.isEmpty && o.key == nil && o.sameAs == nil && o.defaultForPrevious == nil
        // "D is left out / left empty": the reader read it as needing no rule.
        let leftEmpty = o.context && tokens.contains { $0.destination != nil }
        // A sentence that says records are left out but gave no skip rule: the skip is not implemented.
        if !leftEmpty, o.skips.isEmpty, o.sameAs == nil, o.defaultForPrevious == nil, !o.unread.contains(where: { $0.contains("skip") }),
            speaksOfLeavingOut(sentence, strongOnly: !o.assignments.isEmpty || o.key != nil)
        {
            reasons.append("it says records are left out, but no skip rule was read from it")
        }
        // A sentence that names a destination field in words the tokens do not resolve ("tag everyone
        // with …" for `tags`) and gave nothing: the field's rule is not implemented. (A context sentence
        // whose tokens name a destination is one the reader read as needing no rule: "D is left empty".)
        if nothingRead, o.unread.isEmpty, reasons.isEmpty, !leftEmpty {
            let writable = destination.fields.filter { !$0.readOnly }
            let named = namedFields(sentence, destination: writable, source: source.fields, objects: [source, destination]).union(
                tokens.compactMap(\.destination?.name))
            if !named.isEmpty {
                reasons.append("it names \(named.sorted().joined(separator: ", ")), but no rule was read from it")
            }
        }
        // "If it is empty, ask the owner.": a condition on the rule before that gave nothing is no context.
        if nothingRead, o.unread.isEmpty, reasons.isEmpty, !leftEmpty, let first = tokens.first(where: { $0.kind == .word }),
            conditionOpeners.contains(first.lower), !tokens.contains(where: { $0.destination != nil })
        {
            reasons.append("it puts a condition on the rule before (\"\(first.text) …\"), which was not read")
        }
        // Sentences already listed need no more reasons; the checks below look at what was read.
        guard o.unread.isEmpty, reasons.isEmpty else { return reasons }
        if nothingRead, !leftEmpty, !o.corrects, let reason = statementWithoutRule(tokens, source: source, destination: destination) {
            reasons.append(reason)
        }
        let ruleText = (o.assignments.map(\.value.text) + o.skips.map(\.condition)).joined(separator: "\n")
        if !o.assignments.isEmpty || !o.skips.isEmpty {
            if let reason = conditionNotInRule(tokens, o, ruleText: ruleText) { reasons.append(reason) }
            if let reason = restrictionNotInRule(sentence, o, ruleText: ruleText) { reasons.append(reason) }
            reasons += constantOrField(tokens, o, source: source)
            reasons += qualitiesAsValues(tokens, o, source: source)
            reasons += listItemsAsValue(tokens, o)
            reasons += literalsNotInRule(sentence, tokens, o, ruleText: ruleText)
            reasons += instructionsAsValues(tokens, o)
            reasons += constantsNotInProse(sentence, o, destination: destination)
            reasons += skipValuesNotInProse(tokens, o, source: source)
            reasons += proseWordsInMatchKeys(o)
            reasons += fieldWordsAsValues(tokens, o, source: source)
            reasons += HonestyGuard6.fieldDescriptionsAsConstants(sentence, o)
        }
        return reasons
    }

    /// First words of a sentence that puts a condition on the one before.
    static let conditionOpeners: Set<String> = ["if", "when", "whenever", "where", "otherwise", "else", "unless", "except"]

    /// Words that make a rule conditional.
    static let conditionWords: Set<String> = [
        "if", "when", "whenever", "unless", "otherwise", "else", "default", "defaults", "missing", "empty", "blank", "except",
        "fallback", "fall", "falling", "unknown", "null",
    ]

    /// Whether a rule's text has a conditional part: a branch, a fallback, a blank guard, a comparison.
    static func isConditional(_ text: String) -> Bool {
        // `join` leaves out empty parts and a `try_` conversion gives null for what does not convert.
        [
            "if ", "??", "null_if_blank", "match ", "==", "!=", " < ", " > ", "<=", ">=", "blank(", "coalesce(", "contains(",
            "starts_with(", "ends_with(", "join(", "try_", "present(",
        ]
        .contains { text.contains($0) }
    }

    /// Whether each token stands inside parentheses (an aside: an explanation or an example).
    static func inParentheses(_ tokens: [ProseToken]) -> [Bool] {
        var depth = 0
        return tokens.map { t in
            if t.isPunct("(") { depth += 1 }
            defer { if t.isPunct(")") { depth = max(0, depth - 1) } }
            return depth > 0
        }
    }

    /// "Email is the email when it is verified": a sentence with a condition word whose rules have no
    /// conditional part dropped the condition. "when" that opens the value ("= when the contact was
    /// created") names a moment, not a condition; an aside in parentheses explains ("1 always (otherwise
    /// the report hides them)").
    static func conditionNotInRule(_ tokens: [ProseToken], _ o: SentenceOutcome, ruleText: String) -> String? {
        guard o.skips.isEmpty, !isConditional(ruleText) else { return nil }
        // A yes/no field given a test ("vip is true if the contact has an account") is the condition.
        if o.assignments.contains(where: { $0.field.type == .bool && !["true", "false"].contains($0.value.text) }) { return nil }
        let aside = inParentheses(tokens)
        for (i, t) in tokens.enumerated()
        where t.kind == .word && conditionWords.contains(t.lower) && t.source == nil && t.destination == nil && !aside[i] {
            let before = i > 0 ? tokens[i - 1] : nil
            if t.lower == "when", let b = before,
                b.isPunct("=", ":", "->") || b.isWord("is", "from", "of", "at", "date", "time", "day", "moment", "timestamp")
            {
                continue
            }
            return "it says \"\(t.text)\", but its rule has no condition"
        }
        return nil
    }

    /// Words after a condition word that only say the value may be missing ("(if any)", "(when known)"):
    /// a plain copy passes a missing value on as it is.
    static let availabilityWords: Set<String> = [
        "any", "present", "set", "available", "known", "there", "exists", "exist", "given", "filled", "possible", "applicable", "it",
        "is", "they", "are", "one", "has", "have", "not", "blank", "empty", "missing", "null",
    ]

    /// A condition the rule does not hold, put in an aside ("customer (when the contact has an account)")
    /// or a restrictive phrase ("customer for contacts that have an account", "only for leads with …").
    /// An aside that only says the value may be missing ("(if any)") is no condition.
    static func restrictionNotInRule(_ sentence: String, _ o: SentenceOutcome, ruleText: String) -> String? {
        guard o.skips.isEmpty, !isConditional(ruleText), !o.assignments.isEmpty else { return nil }
        if o.assignments.contains(where: { $0.field.type == .bool && !["true", "false"].contains($0.value.text) }) { return nil }
        let lower = sentence.lowercased()
        var rest = lower[...]
        while let r = rest.range(of: #"\((only )?(if|when|whenever|unless|once|provided)\b[^)]*\)?"#, options: .regularExpression) {
            let inside = words(String(rest[r])).drop { ["only", "if", "when", "whenever", "unless", "once", "provided"].contains($0) }
            if !inside.allSatisfy({ availabilityWords.contains($0) }) {
                return "it puts a condition in an aside (\"\(rest[r])\"), but its rule has no condition"
            }
            rest = rest[r.upperBound...]
        }
        let restrictive =
            #"\b(only )?for (the |all |any |every |those )?([a-z]+ ){0,2}(that|who|whose|which) (have|has|had|are|is|were|was|belong|belongs|come|comes|do|does|did)\b"#
        if let r = lower.range(of: restrictive, options: .regularExpression) {
            return "it restricts the rule to some records (\"\(lower[r])\"), but its rule has no condition"
        }
        return nil
    }

    /// "Lead Source: Website": a bare word after a label names a source field (`website`) and may as well be
    /// the constant it spells. Read as a copy into a picklist from a field without one, or written in
    /// capitals where the field's name is not, it is ambiguous.
    static func constantOrField(_ tokens: [ProseToken], _ o: SentenceOutcome, source: Schema) -> [String] {
        let wordTokens = tokens.filter { $0.kind != .punct }
        guard let last = wordTokens.last, last.kind == .word, let s = last.source, !last.fromLabel,
            let lastIndex = tokens.lastIndex(where: { $0.kind != .punct })
        else { return [] }
        // Only punctuation that ends a sentence may follow the word.
        guard tokens[(lastIndex + 1)...].allSatisfy({ $0.isPunct(".", "!", ";") }), lastIndex > 0 else { return [] }
        let before = tokens[lastIndex - 1]
        let colon = before.isPunct(":", "-", "–", "—")
        guard colon || before.isWord("is", "be", "becomes", "always") else { return [] }
        var out: [String] = []
        for a in o.assignments where a.value.sourceField == s.name || a.value.text == s.name {
            // "Industry: industry", "First name: FNAME": the destination's own name, or the field's name as
            // the schema spells it, is a copy.
            let ownName = phrases(a.field).contains([last.lower])
            let spelled = last.text == s.name || last.text == s.name.split(separator: ".").last.map(String.init)
            guard !ownName, !spelled else { continue }
            let picklist = !(a.field.values ?? []).isEmpty && (s.values ?? []).isEmpty
            let capitalised = colon && last.text.first?.isUppercase == true && s.name.first?.isLowercase == true
            if picklist || capitalised {
                out.append("\(a.field.name): \"\(last.text)\" may be the constant it spells or the field \(s.name)")
            }
        }
        return out
    }

    /// Whether `text` reads the field `name` (as a whole name, not part of a longer one).
    static func reads(_ text: String, _ name: String) -> Bool {
        let escaped = NSRegularExpression.escapedPattern(for: name)
        return text.range(of: "(?<![A-Za-z0-9_.])" + escaped + "(?![A-Za-z0-9_])", options: .regularExpression) != nil
    }

    /// "Fields to copy: City, Email when …" read as `city = … email …`: a word that names a destination
    /// field and a source field of its own, then a comma and another source field, is an item of a list of
    /// fields; a rule that gives it the next item's value read the comma as "is".
    static func listItemsAsValue(_ tokens: [ProseToken], _ o: SentenceOutcome) -> [String] {
        var out: [String] = []
        // "Fields to copy:", "These are copied straight:": a lead-in naming no field announces a list of fields.
        let listWords: Set<String> = [
            "field", "fields", "copy", "copied", "copies", "column", "columns", "property", "properties", "attribute", "attributes",
            "these", "following", "straight", "as-is",
        ]
        var announced = -1
        if let colon = tokens.firstIndex(where: { $0.isPunct(":") }),
            !tokens[..<colon].contains(where: { $0.destination != nil || $0.source != nil }),
            tokens[..<colon].contains(where: { listWords.contains($0.lower) })
        {
            announced = colon
        }
        for a in o.assignments {
            for (i, t) in tokens.enumerated() where i + 2 < tokens.count && t.destination?.name == a.field.name {
                guard tokens[i + 1].isPunct(","), let next = tokens[i + 2].source, reads(a.value.text, next.name) else { continue }
                if let own = t.source {
                    guard own.name != next.name, !reads(a.value.text, own.name) else { continue }
                } else if announced < 0 || i < announced {
                    continue
                }
                out.append(
                    "\(a.field.name): \"\(t.text), \(tokens[i + 2].text)\" looks like a list of fields, not \(a.field.name) from \(next.name)"
                )
                break
            }
        }
        return out
    }

    /// Words that describe a value's quality ("when it is valid"), not a value the data holds.
    static let qualityWords: Set<String> = [
        "valid", "invalid", "verified", "unverified", "correct", "incorrect", "proper", "real", "wellformed", "usable",
        "deliverable", "undeliverable", "reachable", "confirmed", "unconfirmed", "genuine", "fake", "bogus", "good", "bad",
    ]

    /// A rule that compares a field with a quality word the sentence did not quote (`email == "valid"` from
    /// "email when it is valid"), or a field of a format with a value that cannot have it (an email
    /// address without "@"): the test of the quality was not read.
    static func qualitiesAsValues(_ tokens: [ProseToken], _ o: SentenceOutcome, source: Schema) -> [String] {
        let quoted = Set(tokens.filter { $0.kind == .quoted }.map(\.lower))
        var out: [String] = []
        let comparison = #"([A-Za-z_][A-Za-z0-9_.]*)\)? *(==|!=) *"([^"]*)""#
        for a in o.assignments {
            let text = a.value.text
            var rest = text[...]
            while let r = rest.range(of: comparison, options: .regularExpression) {
                let match = String(rest[r])
                rest = rest[r.upperBound...]
                let name = String(match.prefix { $0.isLetter || $0.isNumber || $0 == "_" || $0 == "." })
                guard let f = source.fields.first(where: { $0.name == name }), let format = f.format,
                    let literal = stringLiterals(match).first, !literal.isEmpty
                else { continue }
                let fits: Bool
                switch format {
                case .email: fits = literal.contains("@")
                case .url: fits = literal.contains(".") || literal.contains("/")
                case .phone: fits = literal.contains(where: \.isNumber)
                }
                if !fits {
                    out.append("\(a.field.name): \(f.name) (\(format.rawValue)) is compared with \"\(literal)\", which it never holds")
                }
            }
            for literal in stringLiterals(a.value.text)
            where qualityWords.contains(literal.lowercased()) && !quoted.contains(literal.lowercased())
                && !(a.field.values ?? []).contains(where: { $0.lowercased() == literal.lowercased() })
            {
                out.append("\(a.field.name): \"\(literal)\" describes the value, it is no value the data holds")
            }
        }
        return out
    }

    /// Unquoted literals the sentence spells that no rule holds: true/false, numbers, codes in capitals
    /// with an underscore (`BAD_TIMING`), web addresses. Examples ("e.g. …", "like …") are not values.
    static func literalsNotInRule(_ sentence: String, _ tokens: [ProseToken], _ o: SentenceOutcome, ruleText: String) -> [String] {
        var missing: [String] = []
        let booleanRule = o.assignments.contains { $0.field.type == .bool }
        var example = false
        let aside = inParentheses(tokens)
        for (i, t) in tokens.enumerated() {
            if t.isWord("e.g", "eg", "e.g.", "example", "like", "such") { example = true }
            if t.isPunct(",", ";", ")", ":") { example = false }
            guard t.kind == .word, t.source == nil, t.destination == nil, !example, !aside[i] else { continue }
            let text = t.text
            var literal = false
            if t.lower == "true" || t.lower == "false" {
                literal = !booleanRule && !ruleText.contains(t.lower)
            } else if text.allSatisfy({ $0.isNumber || $0 == "." }), text.contains(where: \.isNumber) {
                // "cut to 40", "over 100": the number must be in a rule ("1 Jan 2023" is in "2023-01-01").
                literal = !ruleText.contains(text.trimmingCharacters(in: CharacterSet(charactersIn: ".")))
                // A list marker or a step number at the start is not a value.
                if i == 0 { literal = false }
            } else if text.contains("_"), text.count >= 4, text == text.uppercased(), text.contains(where: \.isLetter) {
                literal = !ruleText.contains(text)
            }
            if literal, !missing.contains(where: { $0.hasSuffix(" " + text) }) {
                missing.append("an unquoted value no rule holds: " + text)
            }
        }
        // Web addresses, from the text (the tokens split them at the colon).
        let unquoted = sentence.replacingOccurrences(of: #""[^"]*""#, with: " ", options: .regularExpression)
        var rest = unquoted[...]
        while let r = rest.range(of: #"\b(https?://|www\.)[^\s)\]"',;]+"#, options: .regularExpression) {
            var url = String(rest[r])
            while let last = url.last, ".:!?".contains(last) { url.removeLast() }
            if !ruleText.contains(url) { missing.append("an unquoted value no rule holds: " + url) }
            rest = rest[r.upperBound...]
        }
        return missing
    }

    /// Words that tell what to do with a value, read as the value itself (`"unchanged"`, `"as is"`).
    static let instructionWords: Set<String> = [
        "unchanged", "as is", "as-is", "nothing", "same", "copy", "keep", "leave", "untouched", "empty", "blank", "asis",
    ]

    /// A rule whose constant is an instruction word the sentence did not quote.
    static func instructionsAsValues(_ tokens: [ProseToken], _ o: SentenceOutcome) -> [String] {
        let quoted = Set(tokens.filter { $0.kind == .quoted }.map(\.lower))
        var out: [String] = []
        for a in o.assignments {
            for literal in stringLiterals(a.value.text)
            where instructionWords.contains(literal.lowercased()) && !quoted.contains(literal.lowercased()) {
                out.append("\(a.field.name): the instruction \"\(literal)\" was read as a value")
            }
        }
        return out
    }

    /// A constant or pattern of a rule that the sentence does not spell (any case, spaces and punctuation
    /// aside, singular or plural): the reader made it up. Separators, date patterns and values of the
    /// destination's picklist (which the value reader checks) are not spelled out in prose.
    static func constantsNotInProse(_ sentence: String, _ o: SentenceOutcome, destination: Schema) -> [String] {
        func squeeze(_ t: String) -> String { String(t.lowercased().filter { $0.isLetter || $0.isNumber }) }
        let prose = squeeze(sentence)
        let proseWords = Set(words(sentence))
        var out: [String] = []
        for a in o.assignments {
            let allowed = Set((a.field.values ?? []).map { $0.lowercased() })
            for literal in stringLiterals(a.value.text) {
                let key = squeeze(literal)
                if key.isEmpty || prose.contains(key) || allowed.contains(literal.lowercased()) { continue }
                if ["yyyy", "mm", "dd", "hh"].contains(where: { literal.lowercased().contains($0) }) { continue }
                // A date the sentence wrote in words ("1 Jan 2023").
                if literal.range(of: #"^\d{4}-\d{2}-\d{2}"#, options: .regularExpression) != nil { continue }
                let w = words(literal)
                if w.count == 1, inflections(w).contains(where: { proseWords.contains($0[0]) }) { continue }
                out.append("\(a.field.name): the value \"\(literal)\" is not in the sentence")
            }
        }
        return out
    }

    /// Words that join a value to the sentence around it ("in Germany", "for France"); a value a `match`
    /// arm tests never starts with one.
    static let joiningWords: Set<String> = [
        "in", "for", "from", "at", "with", "when", "if", "to", "of", "on", "by", "is", "are", "and", "or", "the",
    ]

    /// A `match` arm whose key starts with a joining word (`"in Germany" => …`): the reader took the
    /// sentence's wording for the value the data holds, so the arm never matches.
    static func proseWordsInMatchKeys(_ o: SentenceOutcome) -> [String] {
        var out: [String] = []
        for a in o.assignments where a.value.text.contains("match ") {
            for line in a.value.text.split(separator: "\n") {
                guard let arrow = line.range(of: "=>") else { continue }
                for key in stringLiterals(String(line[..<arrow.lowerBound])) {
                    guard let first = words(key).first, words(key).count > 1, joiningWords.contains(first) else { continue }
                    out.append("\(a.field.name): the match key \"\(key)\" holds the sentence's wording, not a value")
                }
            }
        }
        return out
    }

    /// A constant that is a word of the rule's own field name or of a source field's name ("stage" for
    /// `lifecycle_stage`) and that the sentence does not quote: a field word read as the value.
    static func fieldWordsAsValues(_ tokens: [ProseToken], _ o: SentenceOutcome, source: Schema) -> [String] {
        let quoted = Set(tokens.filter { $0.kind == .quoted }.map(\.lower))
        var out: [String] = []
        for a in o.assignments {
            let allowed = Set((a.field.values ?? []).map { $0.lowercased() })
            var fieldWords = Set(words(a.field.name, camel: true))
            if let label = a.field.label { fieldWords.formUnion(words(label)) }
            // The fields the rule reads, outside its string literals (`"email"` is a value, not the field).
            let code = a.value.text.replacingOccurrences(of: #""[^"]*""#, with: "\"\"", options: .regularExpression)
            for f in source.fields where reads(code, f.name) { fieldWords.formUnion(words(f.name, camel: true)) }
            for literal in stringLiterals(a.value.text) {
                let lower = literal.lowercased()
                guard words(literal).count == 1, fieldWords.contains(lower), !quoted.contains(lower), !allowed.contains(lower) else {
                    continue
                }
                out.append("\(a.field.name): \"\(literal)\" is a word of a field's name, read as a value")
            }
        }
        return out
    }

    /// A skip that compares a field with a value neither quoted in the sentence nor a value of a source
    /// picklist: the value is a guess at how the data spells it.
    static func skipValuesNotInProse(_ tokens: [ProseToken], _ o: SentenceOutcome, source: Schema) -> [String] {
        let quoted = Set(tokens.filter { $0.kind == .quoted }.map(\.lower))
        var picklist: Set<String> = []
        for f in source.fields { for v in f.values ?? [] { picklist.insert(v.lowercased()) } }
        var out: [String] = []
        for s in o.skips {
            for v in stringLiterals(s.condition) where !quoted.contains(v.lowercased()) && !picklist.contains(v.lowercased()) {
                out.append("a skip compares with \"\(v)\", which the sentence does not quote and no picklist holds")
            }
        }
        return out
    }

    /// "A -> B" or "D = …" that gave no rule: a statement the reader did not read. A heading that names
    /// the two platforms ("HubSpot contacts → Mailchimp") states context.
    static func statementWithoutRule(_ tokens: [ProseToken], source: Schema, destination: Schema) -> String? {
        guard tokens.contains(where: { $0.isPunct("->", "=") }) else { return nil }
        var names: Set<String> = ["sfdc", "sf", "hs", "mc", "ga", "crm"]
        for schema in [source, destination] {
            names.insert(schema.platform.lowercased())
            for w in [schema.object.lowercased()] + (schema.label.map { [$0.lowercased()] } ?? []) {
                names.insert(w)
                names.formUnion(inflections([w]).map { $0.joined() })
            }
        }
        if tokens.contains(where: { names.contains($0.lower) }) { return nil }
        return "a statement (an arrow or `=`) that gave no rule"
    }

    /// The string literals of a rule's text, unescaped enough to compare.
    static func stringLiterals(_ text: String) -> [String] {
        var out: [String] = []
        var current: String?
        var escaped = false
        for c in text {
            if var lit = current {
                if escaped {
                    lit.append(c)
                    escaped = false
                    current = lit
                } else if c == "\\" {
                    escaped = true
                } else if c == "\"" {
                    out.append(lit)
                    current = nil
                } else {
                    lit.append(c)
                    current = lit
                }
            } else if c == "\"" {
                current = ""
            }
        }
        return out
    }

    /// A sentence that opens as a continuation of the one before ("If …", "Otherwise …", "But …",
    /// "That …", "It …") and names no destination field: when it is not read, the rules of the sentence
    /// before may be missing what it says.
    static func continuesPrevious(_ tokens: [ProseToken]) -> Bool {
        guard let first = tokens.first(where: { $0.kind == .word }), !tokens.contains(where: { $0.destination != nil }) else {
            return false
        }
        return ["if", "when", "where", "otherwise", "else", "unless", "but", "that", "it", "this", "they", "those", "except"].contains(
            first.lower)
    }
}
