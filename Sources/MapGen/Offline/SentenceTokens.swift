import MapDSL

/// One token of a prose sentence: a word (letters, digits, `_`, inner dots, `/`-joined date
/// patterns), a quoted literal, a number, or punctuation the readers care about. Words that name a
/// field carry it (exact spelling first, then any case, then a one-letter typo of a long name).
struct ProseToken {
    enum Kind: Equatable {
        case word, quoted, punct
    }

    var kind: Kind
    /// The text as written (without quotes).
    var text: String
    /// Lower-cased text, for keywords.
    var lower: String
    /// The destination field this word names, if any (writable fields only).
    var destination: Field?
    /// The source field this word names, if any.
    var source: Field?
    /// Whether the field was found only through a typo of its name.
    var typo = false
    /// Whether the words spelled a field's label (the fields are set already).
    var fromLabel = false
    /// Whether a dash between spaces stands before this word ("API - Generic").
    var afterDash = false
    /// Whether a dash with no space around it joins this word to the one before ("mid-market").
    var afterTightDash = false

    func isWord(_ words: String...) -> Bool { kind == .word && words.contains(lower) }
    func isPunct(_ p: String...) -> Bool { kind == .punct && p.contains(text) }
}

/// Tokens of one sentence with the fields they name.
struct SentenceTokens {
    var tokens: [ProseToken]

    init(_ text: String, source: Schema, destination: Schema) {
        let writable = destination.fields.filter { !$0.readOnly }
        // "Country/Region", "Zip/Postal Code": a label with a slash is the one field of one side that has it
        // (the slash would otherwise split it into two names).
        var spelled = SentenceTokens.spellOutSharedNouns(SentencePhrases.spellOutShorthand(text))
        for side in [writable, source.fields] {
            for f in side {
                guard let label = f.label, label.contains("/"), side.filter({ $0.label == label }).count == 1,
                    !(side == writable ? source.fields : writable).contains(where: { $0.label == label })
                else { continue }
                spelled = spelled.replacingOccurrences(of: label, with: f.name, options: .caseInsensitive)
            }
        }
        tokens = SentenceTokens.scaleNumbers(SentenceTokens.tokenize(spelled))
        tokens = SentenceTokens.groupedNames(tokens, writable: writable)
        // "trimmed + lowercase": a plus between two case or trim words is "and", not a concatenation.
        let modifierWords = SentenceAccounting.modifiers.reduce(into: Set<String>()) { $0.formUnion($1.words) }
        for i in tokens.indices where tokens[i].isPunct("+") && i > 0 && i + 1 < tokens.count {
            if modifierWords.contains(tokens[i - 1].lower), modifierWords.contains(tokens[i + 1].lower) {
                tokens[i] = ProseToken(kind: .word, text: "and", lower: "and")
            }
        }
        // "last name", "job title", "mobile phone": two words that together spell a field's name.
        var merged: [ProseToken] = []
        var k = 0
        // "the lead status", "Original Traffic Source", "Email Opt Out": words that spell a field's label
        // (two to four words, not a field's name) name that field on each side where exactly one label fits.
        // "email address" for `email_address`: words that spell a name with its `_` are that name, unless
        // the first word alone names a field ("the email address" of a source with `email`).
        func byLabel(_ words: [ProseToken], in fields: [Field]) -> Field? {
            let l = ValueReader.loose(words.map(\.text).joined())
            let hits = fields.filter { f in f.label.map { ValueReader.loose($0) == l } ?? false }
            if hits.count == 1 { return hits[0] }
            let alone = (writable + source.fields).contains { $0.name.lowercased() == words[0].lower }
            let named = fields.filter { ValueReader.loose($0.name) == l && $0.name.contains("_") }
            return !alone && named.count == 1 ? named[0] : nil
        }
        let exactNames = Set((writable + source.fields).map { $0.name.lowercased() })
        while k < tokens.count {
            var labelled: ProseToken?
            for n in stride(from: 4, through: 2, by: -1) where k + n <= tokens.count && labelled == nil {
                let span = Array(tokens[k..<(k + n)])
                // "Ownership is Public" is no `is_public`: a span never opens or ends on a linking word.
                let links: Set<String> = [
                    "is", "are", "be", "to", "from", "of", "and", "or", "as", "in", "on", "it", "if", "when", "with", "for", "by", "into",
                    "a",
                    "an", "the", "not", "no", "then", "else", "than",
                ]
                // …unless the span opens the sentence and a `=`, `:` or arrow follows it ("Is Public = yes when …").
                let opensStatement = k == 0 && k + n < tokens.count && tokens[k + n].isPunct("=", ":", "->")
                guard span.allSatisfy({ $0.kind == .word }), !exactNames.contains(span.map(\.lower).joined()),
                    !links.contains(span[0].lower) || opensStatement, !links.contains(span[n - 1].lower)
                else {
                    continue
                }
                let d = byLabel(span, in: writable)
                let s = byLabel(span, in: source.fields)
                if d != nil || s != nil {
                    let text = span.map(\.text).joined(separator: " ")
                    var t = ProseToken(kind: .word, text: (d ?? s)!.name, lower: (d ?? s)!.name.lowercased(), destination: d, source: s)
                    if d != nil && s != nil && d?.name != s?.name { t.text = text }
                    t.fromLabel = true
                    labelled = t
                    k += n
                }
            }
            if let t = labelled {
                merged.append(t)
                continue
            }
            if k + 1 < tokens.count, tokens[k].kind == .word, tokens[k + 1].kind == .word {
                let joined = tokens[k].lower + tokens[k + 1].lower
                let hit = (writable + source.fields).contains { $0.name.lowercased() == joined }
                // "mobile phone" → mobilephone even though `phone` is a field too; "email address" is not merged
                // here (the first word names a field by itself).
                let alone = (writable + source.fields).contains { $0.name.lowercased() == tokens[k].lower }
                if hit && !alone {
                    merged.append(ProseToken(kind: .word, text: joined, lower: joined))
                    k += 2
                    continue
                }
                // "last modified date" → lastmodifieddate: three words that spell a name whole.
                if k + 2 < tokens.count, tokens[k + 2].kind == .word, !alone {
                    let three = joined + tokens[k + 2].lower
                    if (writable + source.fields).contains(where: { $0.name.lowercased() == three }) {
                        merged.append(ProseToken(kind: .word, text: three, lower: three))
                        k += 3
                        continue
                    }
                }
            }
            merged.append(tokens[k])
            k += 1
        }
        tokens = merged
        for i in tokens.indices where tokens[i].kind == .word && !tokens[i].fromLabel {
            let w = tokens[i].text
            let (d, dTypo) = SentenceTokens.resolve(w, in: writable)
            let (s, sTypo) = SentenceTokens.resolve(w, in: source.fields)
            tokens[i].destination = d
            tokens[i].source = s
            tokens[i].typo = (d == nil || dTypo) && (s == nil || sTypo) && (d != nil || s != nil)
            // "Employees → numberofemployees": a one-word label names the one field of its side that has it.
            if d == nil, s == nil, w.count >= 5, !SentenceTokens.stopWords.contains(tokens[i].lower) {
                let ds = writable.filter { $0.label?.lowercased() == tokens[i].lower }
                let ss = source.fields.filter { $0.label?.lowercased() == tokens[i].lower }
                if ds.count == 1 { tokens[i].destination = ds[0] }
                if ss.count == 1 { tokens[i].source = ss[0] }
            }
        }
        // "value -> 500", ", name is first and last name joined": a common word that no name spells whole
        // names the end of one dotted destination name (`params.value`, `traits.name`) where it opens a
        // statement: first in the sentence or its clause, right before an arrow, `=`, `:` or "is".
        for i in tokens.indices where tokens[i].kind == .word && tokens[i].destination == nil && i + 1 < tokens.count {
            let opens = i == 0 || tokens[i - 1].isPunct(",", ";") || tokens[i - 1].isWord("and") && i >= 2 && tokens[i - 2].isPunct(",")
            guard opens, tokens[i + 1].isPunct("->", "=", ":") || tokens[i + 1].isWord("is"),
                SentenceTokens.stopWords.contains(tokens[i].lower)
            else { continue }
            let tails = writable.filter { $0.name.lowercased().hasSuffix("." + tokens[i].lower) }
            let depth = { (f: Field) in f.name.split(separator: ".").count }
            if let least = tails.map(depth).min(), least == 2, tails.filter({ depth($0) == least }).count == 1 {
                tokens[i].destination = tails.first { depth($0) == least }
            }
        }
        // ", title is the Title": a word that names a destination and a source field alike is the destination
        // where it opens a clause of a run-on list before "is" or `=` (the source comes after).
        for i in tokens.indices where tokens[i].destination != nil && tokens[i].source != nil && i >= 2 && i + 1 < tokens.count {
            guard tokens[i - 1].isPunct(","), tokens[i + 1].isWord("is") || tokens[i + 1].isPunct("="),
                tokens[(i + 2)...].contains(where: { $0.source != nil })
            else { continue }
            tokens[i].source = nil
        }
        // A slash between two fields separates them like a comma; any other slash ("and/or") goes.
        tokens = tokens.indices.compactMap { i in
            guard tokens[i].isPunct("/") else { return tokens[i] }
            let named = { (t: ProseToken) in t.source != nil || t.destination != nil }
            guard i > 0, i + 1 < tokens.count, named(tokens[i - 1]), named(tokens[i + 1]) else { return nil }
            return ProseToken(kind: .punct, text: ",", lower: ",")
        }
        tokens = SentenceTokens.collapseRestatements(tokens)
        // "the COMPANY merge field", "the email address", "the phone number": the words after a field
        // name that only say what it is go.
        var kept: [ProseToken] = []
        for t in tokens {
            if let last = kept.last, last.source != nil || last.destination != nil, t.kind == .word {
                if t.source == nil && t.destination == nil {
                    // "the company merge field": a word before "merge" that names a merge field names that field
                    // only, not the source field it also spells.
                    if t.isWord("merge"), last.destination?.name.hasPrefix("merge_fields.") == true, last.source != nil {
                        kept[kept.count - 1].source = nil
                    }
                    if t.isWord("field", "property", "tag", "attribute", "trait", "column", "merge") { continue }
                }
                let concept = (last.source ?? last.destination).map { Vocabulary.concepts($0.name) } ?? []
                if concept.count == 1, Vocabulary.concepts(last.text + " " + t.text) == concept, Vocabulary.concepts(t.text) != concept {
                    continue
                }
            }
            kept.append(t)
        }
        tokens = kept
    }

    /// Words that end a description a parenthesised field name restates.
    static let restatementStops: Set<String> = [
        "is", "are", "be", "by", "from", "to", "into", "on", "of", "as", "and", "or", "nor", "when", "if", "then", "else", "otherwise",
        "whose", "where", "that", "which", "who", "with", "without", "no", "not", "for", "than", "unless", "becomes", "become",
        "followed", "plus", "after", "before", "use", "using", "back", "called", "named", "in", "at",
    ]

    /// "the HubSpot record id (hs_object_id)", "whose email has bounced (IsEmailBounced)": a field name in
    /// parentheses stands for the words before it, back to the nearest word such as "by", "is" or
    /// "whose"; those words and the parentheses go, the field stays.
    static func collapseRestatements(_ t: [ProseToken]) -> [ProseToken] {
        var out: [ProseToken] = []
        var i = 0
        while i < t.count {
            if t[i].isPunct("(") {
                var j = i + 1
                if j < t.count, t[j].isWord("the") { j += 1 }
                // "(PHONE merge tag)", "(the hs_object_id property)": words that only say what the field is.
                var close = j + 1
                while close < t.count, t[close].isWord("field", "property", "tag", "merge", "attribute", "trait", "column") { close += 1 }
                // "First Name (firstname)": the same field twice; the spelled name stays.
                if close < t.count, t[close].isPunct(")"), let last = out.last, t[j].kind == .word,
                    let named = t[j].source ?? t[j].destination,
                    [last.source?.name, last.destination?.name].contains(named.name)
                {
                    // "the HubSpot record id (hs_object_id)": the words before the label go too.
                    out.removeLast()
                    while let w = out.last, w.kind == .word, w.source == nil, w.destination == nil, !restatementStops.contains(w.lower) {
                        out.removeLast()
                    }
                    out.append(t[j])
                    i = close + 1
                    continue
                }
                if j + 1 < t.count, t[j].source != nil || t[j].destination != nil, t[j].kind == .word, close < t.count,
                    t[close].isPunct(")"),
                    // "D (S)": a field right before the parentheses is no description; both stay.
                    !(out.last.map { $0.source != nil || $0.destination != nil } ?? true),
                    // "customers and evangelists (lifecycle stage)": values of the field name what it holds.
                    !(out.last.map { w in t[j].source.map { ValuesMapReader.isValueWord(w, of: $0) } ?? false } ?? false)
                {
                    var k = out.count
                    while k > 0, out[k - 1].kind == .word, !restatementStops.contains(out[k - 1].lower) { k -= 1 }
                    if k < out.count {
                        out.removeSubrange(k...)
                        out.append(t[j])
                        i = close + 1
                        continue
                    }
                }
            }
            out.append(t[i])
            i += 1
        }
        return out
    }

    /// "First/last name", "first and last names", "first & last name": each word with its noun, so the
    /// two fields are named one by one ("first name / last name").
    static func spellOutSharedNouns(_ text: String) -> String {
        var out = text
        let lower = text.lowercased()
        // Most sentences have neither; the replacements below cost a pass over the sentence each.
        guard lower.contains("first") || lower.contains("day") || lower.contains("month") else { return text }
        for (pattern, joiner) in [("/", " / "), (" and ", " and "), (" & ", " and "), (" / ", " / ")] {
            for (a, b) in [("first", "last"), ("First", "last"), ("First", "Last"), ("first", "Last")] {
                for noun in ["names", "name", "Names", "Name"] {
                    out = out.replacingOccurrences(of: a + pattern + b + " " + noun, with: a + " name" + joiner + b + " name")
                }
            }
        }
        // "day/month/year", "month/day": date patterns spelled in words, as pattern letters.
        for (words, pattern) in [
            ("day/month/year", "DD/MM/YYYY"), ("month/day/year", "MM/DD/YYYY"), ("year-month-day", "YYYY-MM-DD"),
            ("day.month.year", "DD.MM.YYYY"), ("day-month-year", "DD-MM-YYYY"), ("year/month/day", "YYYY/MM/DD"),
            ("month/day", "MM/DD"), ("day/month", "DD/MM"), ("month/year", "MM/YYYY"),
        ] {
            out = out.replacingOccurrences(of: words, with: pattern, options: .caseInsensitive)
        }
        return out
    }

    var count: Int { tokens.count }
    subscript(_ i: Int) -> ProseToken { tokens[i] }

    /// Common words that are never read as a field's name, whatever the schema calls its fields.
    static let stopWords: Set<String> = [
        "a", "an", "the", "is", "are", "be", "to", "from", "of", "and", "or", "as", "in", "on", "it", "its", "if", "when", "else",
        "otherwise", "with", "for", "by", "into", "set", "use", "copy", "skip", "send", "when", "not", "no", "name", "type",
        "status", "source", "value", "date", "key", "id", "true", "false", "null", "empty",
    ]

    /// The field `word` names: exact spelling, then any case, then (for names of 6+ letters) a single
    /// typo that fits only one field.
    static func resolve(_ word: String, in fields: [Field]) -> (Field?, Bool) {
        if let f = fields.first(where: { $0.name == word }) { return (f, false) }
        let lower = word.lowercased()
        let anyCase = fields.filter { $0.name.lowercased() == lower }
        if anyCase.count == 1 { return (anyCase[0], false) }
        // A merge tag written bare ("FNAME", "COMPANY"): the last part of one dotted name, in capitals.
        if word.count >= 3, word.allSatisfy({ $0.isUppercase || $0.isNumber || $0 == "_" }), word.contains(where: \.isLetter) {
            let tags = fields.filter { $0.name.contains(".") && $0.name.split(separator: ".").last.map(String.init) == word }
            if tags.count == 1 { return (tags[0], false) }
            // "COMPNY": a bare merge tag with one typo, when only one tag is that close.
            if word.count >= 5 {
                let near = fields.filter {
                    guard $0.name.contains("."), let last = $0.name.split(separator: ".").last.map(String.init), last.count >= 5 else {
                        return false
                    }
                    return Suggest.distance(last, word, limit: 1) <= 1
                }
                if near.count == 1 { return (near[0], true) }
            }
        }
        // "firstName" for `traits.firstName`, "company.name" for `traits.company.name`: the end of exactly one
        // dotted name, whole parts only.
        if word.count >= 4, !stopWords.contains(lower) {
            let tails = fields.filter { $0.name.contains(".") && $0.name.lowercased().hasSuffix("." + lower) }
            if tails.count == 1 { return (tails[0], false) }
            // "the plan" for `traits.plan` beside `traits.company.plan`: the one shallowest name, when the others
            // are nested deeper (they are named with their group: "the company plan").
            let depth = { (f: Field) in f.name.split(separator: ".").count }
            if let least = tails.map(depth).min(), tails.filter({ depth($0) == least }).count == 1, least == 2 {
                return (tails.first { depth($0) == least }, false)
            }
        }
        guard word.count >= 6, !stopWords.contains(lower), word.contains(where: { $0.isLetter }) else { return (nil, false) }
        // One typo: a letter wrong, missing or added, or two letters swapped ("LeadSrouce").
        let near = fields.filter {
            $0.name.count >= 6 && (Suggest.distance($0.name.lowercased(), lower, limit: 1) <= 1 || swapped($0.name.lowercased(), lower))
        }
        if near.isEmpty, word.count >= 10 {
            // A long name with two letters out of place ("LeadSrouce"), when only one name is that close.
            let far = fields.filter { $0.name.count >= 10 && Suggest.distance($0.name.lowercased(), lower, limit: 2) <= 2 }
            if far.count == 1 { return (far[0], true) }
        }
        return near.count == 1 ? (near[0], true) : (nil, false)
    }

    /// Whether the dash at `j` joins the two halves of a locale code ("en-US", "pt-br"): two letters
    /// before it (the word so far) and two after it, then no letter.
    static func isLocale(_ chars: [Character], _ word: String, _ j: Int) -> Bool {
        guard word.count == 2, word.allSatisfy({ $0.isASCII && $0.isLetter }), j + 2 < chars.count,
            chars[j + 1].isASCII, chars[j + 1].isLetter, chars[j + 2].isASCII, chars[j + 2].isLetter
        else { return false }
        return j + 3 == chars.count || !chars[j + 3].isLetter
    }

    /// Whether `a` and `b` differ only by two neighbouring letters swapped.
    static func swapped(_ a: String, _ b: String) -> Bool {
        let x = Array(a)
        let y = Array(b)
        guard x.count == y.count, x != y else { return false }
        let diff = x.indices.filter { x[$0] != y[$0] }
        return diff.count == 2 && diff[1] == diff[0] + 1 && x[diff[0]] == y[diff[1]] && x[diff[1]] == y[diff[0]]
    }

    /// "10 million", "2.5 thousand", "10k", "1.5M": the number they spell ("10000000"), so comparisons
    /// read them. Only whole results are written; anything else stays as it was.
    static func scaleNumbers(_ t: [ProseToken]) -> [ProseToken] {
        let scales: [String: Double] = ["thousand": 1e3, "k": 1e3, "million": 1e6, "m": 1e6, "mm": 1e6, "billion": 1e9, "bn": 1e9]
        func whole(_ x: Double) -> String? {
            guard x.isFinite, x < 1e15, x == x.rounded() else { return nil }
            return String(Int64(x))
        }
        var out: [ProseToken] = []
        var i = 0
        while i < t.count {
            let x = t[i]
            if x.kind == .word, let n = Double(x.text), i + 1 < t.count, t[i + 1].kind == .word,
                ["thousand", "million", "billion"].contains(t[i + 1].lower), let v = whole(n * scales[t[i + 1].lower]!)
            {
                out.append(ProseToken(kind: .word, text: v, lower: v))
                i += 2
                continue
            }
            if x.kind == .word, let suffix = ["bn", "mm", "k", "m"].first(where: { x.lower.hasSuffix($0) }),
                let n = Double(x.lower.dropLast(suffix.count)), x.lower.first?.isNumber == true, let v = whole(n * scales[suffix]!)
            {
                out.append(ProseToken(kind: .word, text: v, lower: v))
                i += 1
                continue
            }
            out.append(x)
            i += 1
        }
        return out
    }

    /// Words, quoted literals and punctuation, in order. Curly quotes count as quotes; `'s` is dropped;
    /// `->`, `→` and `=>` become one `->` token; `+`, `=`, `,`, `;`, `:`, `(`, `)` are kept.
    static func tokenize(_ text: String) -> [ProseToken] {
        var out: [ProseToken] = []
        let chars = Array(text)
        var i = 0
        var pendingDash = false
        var pendingTightDash = false
        func word(_ s: String) {
            var w = s
            while w.hasSuffix(".") { w.removeLast() }
            if !w.isEmpty {
                out.append(ProseToken(kind: .word, text: w, lower: w.lowercased()))
                out[out.count - 1].afterDash = pendingDash
                out[out.count - 1].afterTightDash = pendingTightDash
            }
            pendingDash = false
            pendingTightDash = false
        }
        func punct(_ s: String) { out.append(ProseToken(kind: .punct, text: s, lower: s)) }
        while i < chars.count {
            let c = chars[i]
            if c == "\"" || c == "“" || c == "”" || c == "«" {
                var j = i + 1
                var q = ""
                while j < chars.count, chars[j] != "\"", chars[j] != "”", chars[j] != "“", chars[j] != "»" {
                    q.append(chars[j])
                    j += 1
                }
                out.append(ProseToken(kind: .quoted, text: q, lower: q.lowercased()))
                i = j + 1
                continue
            }
            // "use https:// followed by the domain": a bare URL scheme is a literal, as if it were quoted.
            if c == "h", let scheme = ["https://", "http://"].first(where: { chars[i...].starts(with: Array($0)) }),
                i == 0 || chars[i - 1].isWhitespace, i + scheme.count == chars.count || chars[i + scheme.count].isWhitespace
            {
                out.append(ProseToken(kind: .quoted, text: scheme, lower: scheme))
                i += scheme.count
                continue
            }
            // "prefixed with `hs-co-`": a prefix in backticks is a literal; a template in backticks
            // (`hs-<record id>-<modified date as yyyyMMdd>`) is its parts joined by `+`.
            if c == "`", let close = chars[(i + 1)...].firstIndex(of: "`"), close > i + 1,
                let parts = SentenceTokens.backticked(String(chars[(i + 1)..<close]))
            {
                out += parts
                i = close + 1
                continue
            }
            // "the literal text [Web Lead]": text in square brackets is one literal, brackets included.
            if c == "[", let close = chars[(i + 1)...].prefix(41).firstIndex(of: "]"), close - i > 2,
                chars[(i + 1)..<close].contains(where: \.isLetter), !chars[(i + 1)..<close].contains("[")
            {
                let q = String(chars[i...close])
                out.append(ProseToken(kind: .quoted, text: q, lower: q.lowercased()))
                i = close + 1
                continue
            }
            if c == "-" && i + 1 < chars.count && chars[i + 1] == ">" || c == "=" && i + 1 < chars.count && chars[i + 1] == ">" {
                punct("->")
                i += 2
                continue
            }
            if c == "→" || c == "⇒" {
                punct("->")
                i += 1
                continue
            }
            // "D ← S", "D <- S": the destination is given its value.
            if c == "←" || c == "⇐" || c == "<" && i + 1 < chars.count && chars[i + 1] == "-" {
                punct("=")
                i += c == "<" ? 2 : 1
                continue
            }
            if c == "'" || c == "’" {
                // Possessive `'s` goes; a single-quoted literal is read like a double-quoted one.
                if i + 1 < chars.count, chars[i + 1] == "s" || chars[i + 1] == "S", i + 2 >= chars.count || !chars[i + 2].isLetter {
                    // "if it's PROSPECT": "it's" is "it is".
                    if out.last?.isWord("it") == true { out.append(ProseToken(kind: .word, text: "is", lower: "is")) }
                    i += 2
                    continue
                }
                if i == 0 || !chars[i - 1].isLetter, let close = chars[(i + 1)...].firstIndex(of: c) {
                    let q = String(chars[(i + 1)..<close])
                    out.append(ProseToken(kind: .quoted, text: q, lower: q.lowercased()))
                    i = close + 1
                    continue
                }
                i += 1
                continue
            }
            // "ends with @example.com": a domain written after an at sign is a literal, at sign included.
            if c == "@", i == 0 || chars[i - 1].isWhitespace || chars[i - 1] == "(", i + 1 < chars.count, chars[i + 1].isLetter {
                var j = i + 1
                while j < chars.count,
                    chars[j].isLetter || chars[j].isNumber || "-_".contains(chars[j])
                        || chars[j] == "." && j + 1 < chars.count && chars[j + 1].isLetter
                {
                    j += 1
                }
                out.append(ProseToken(kind: .quoted, text: String(chars[i..<j]), lower: String(chars[i..<j]).lowercased()))
                i = j
                continue
            }
            if c.isLetter || c.isNumber || c == "_", i == 0 || chars[i - 1].isWhitespace || chars[i - 1] == "(",
                let end = SentenceTokens.dashPrefixEnd(chars, from: i)
            {
                // "hs- followed by the record id", "seg- + messageId": an unquoted prefix that ends in a
                // dash is a literal, as if it were quoted.
                let q = String(chars[i..<end])
                out.append(ProseToken(kind: .quoted, text: q, lower: q.lowercased()))
                i = end
                continue
            }
            if c.isLetter || c.isNumber || c == "_" {
                var j = i
                var w = ""
                // Inner dots (`traits.email`), slashes and dashes between letters of date patterns
                // (`DD/MM/YYYY`, `YYYY-MM-DD`) and between digits (`1.5`) stay in the word.
                while j < chars.count {
                    let d = chars[j]
                    if d.isLetter || d.isNumber || d == "_" {
                        w.append(d)
                    } else if d == ".", j + 1 < chars.count, chars[j + 1].isLetter || chars[j + 1].isNumber || chars[j + 1] == "_" {
                        w.append(d)
                    } else if d == "/" || d == "-", j + 1 < chars.count, chars[j + 1].isLetter || chars[j + 1].isNumber,
                        SentenceTokens.isPatternish(w + String(d) + String(chars[j + 1]))
                            || d == "-" && SentenceTokens.isLocale(chars, w, j)
                            // "03/21/2022", "day/month/year": a date and its order in words stay one word.
                            || d == "/" && chars[j + 1].isNumber && !w.isEmpty && w.allSatisfy({ $0.isNumber || $0 == "/" })
                            || SentenceTokens.isDateOrder(w, d, chars, j)
                            // "n/a", "N/A": two short letter groups around a slash are one word.
                            || d == "/" && (1...2).contains(w.count) && w.allSatisfy(\.isLetter)
                                && chars[(j + 1)...].prefix(while: \.isLetter).count <= 2
                    {
                        w.append(d)
                    } else {
                        break
                    }
                    j += 1
                }
                word(w)
                i = j
                continue
            }
            if "+=,;:()".contains(c) { punct(String(c)) }
            // "firstname/lastname/jobtitle", "city / state / zip": kept for now, a list separator between two
            // fields once fields are known.
            if c == "/" { punct("/") }
            // "params.transaction_id - properties.order_id": a dash between spaces after the first name.
            // "hs_analytics_source translated -- A -> B": a double dash between spaces introduces what follows.
            if c == "-", i + 2 < chars.count, chars[i + 1] == "-", chars[i + 2] == " ", i > 0, chars[i - 1] == " " {
                punct(":")
                i += 2
                continue
            }
            if c == "-" || c == "–" || c == "—", out.count == 1, i > 0, chars[i - 1] == " ", i + 1 < chars.count, chars[i + 1] == " " {
                punct(":")
            } else if c == "-" || c == "–", i > 0, chars[i - 1] == " ", i + 2 < chars.count, chars[i + 1] == " ", chars[i + 2].isLetter {
                pendingDash = true
            } else if c == "-", i > 0, chars[i - 1].isLetter || chars[i - 1].isNumber, i + 1 < chars.count,
                chars[i + 1].isLetter || chars[i - 1].isLetter && chars[i + 1].isNumber  // "webinar-2025"
            {
                pendingTightDash = true
            }
            i += 1
        }
        return out
    }

    /// "lead_source param", "the method parameter", "user property country", "country user property": a name
    /// and the word for its group spell the dotted destination (`params.lead_source`,
    /// `user_properties.country`) when the destination has it.
    static func groupedNames(_ t: [ProseToken], writable: [Field]) -> [ProseToken] {
        let names = Set(writable.map { $0.name.lowercased() })
        func group(_ at: Int) -> (prefix: String, count: Int)? {
            guard at < t.count, t[at].kind == .word else { return nil }
            if t[at].isWord("param", "parameter", "params", "parameters") { return ("params.", 1) }
            if t[at].isWord("user"), at + 1 < t.count, t[at + 1].isWord("property", "properties") { return ("user_properties.", 2) }
            return nil
        }
        var out: [ProseToken] = []
        var i = 0
        while i < t.count {
            // "lead_source param", "customer_tier user property"
            if t[i].kind == .word, let g = group(i + 1), names.contains(g.prefix + t[i].lower),
                let f = writable.first(where: { $0.name.lowercased() == g.prefix + t[i].lower })
            {
                out.append(ProseToken(kind: .word, text: f.name, lower: f.name.lowercased()))
                i += 1 + g.count
                continue
            }
            // "user property country", "param method"
            if let g = group(i), i + g.count < t.count, t[i + g.count].kind == .word,
                let f = writable.first(where: { $0.name.lowercased() == g.prefix + t[i + g.count].lower })
            {
                out.append(ProseToken(kind: .word, text: f.name, lower: f.name.lowercased()))
                i += g.count + 1
                continue
            }
            out.append(t[i])
            i += 1
        }
        return out
    }

    /// Tokens for text in backticks when it is a literal prefix (`hs-co-`) or a template of literals
    /// and `<field phrase>`s; nil for anything else (a field name in backticks stays a name).
    static func backticked(_ text: String) -> [ProseToken]? {
        if !text.contains(" "), !text.contains("<"), let last = text.last, "-_.:/".contains(last), text.count >= 2 {
            return [ProseToken(kind: .quoted, text: text, lower: text.lowercased())]
        }
        guard text.contains("<"), text.contains(">") else { return nil }
        var pieces: [String] = []
        var literal = ""
        var rest = Substring(text)
        while let open = rest.firstIndex(of: "<") {
            literal += rest[..<open]
            guard let close = rest[open...].firstIndex(of: ">") else { return nil }
            let phrase = rest[rest.index(after: open)..<close]
            guard !phrase.isEmpty, !phrase.contains("\""), !phrase.contains("<") else { return nil }
            if !literal.isEmpty { pieces.append(Formatter.stringLiteral(literal)) }
            literal = ""
            pieces.append(String(phrase))
            rest = rest[rest.index(after: close)...]
        }
        literal += rest
        if !literal.isEmpty { pieces.append(Formatter.stringLiteral(literal)) }
        guard pieces.count >= 2 else { return nil }
        return tokenize(pieces.joined(separator: " + "))
    }

    /// The end of an unquoted prefix that starts at `i` and ends in a dash followed by a space, a
    /// comma or `+` ("hs- ", "hubspot-contact- ", "sfdc-,"), nil when the word there is not one.
    static func dashPrefixEnd(_ chars: [Character], from i: Int) -> Int? {
        var j = i
        while j < chars.count, chars[j].isLetter || chars[j].isNumber || chars[j] == "_" || chars[j] == "-" || chars[j] == "." {
            j += 1
        }
        guard j - i >= 2, chars[j - 1] == "-", chars[j - 2] != "-" else { return nil }
        guard j == chars.count || chars[j].isWhitespace || chars[j] == "," || chars[j] == "+" else { return nil }
        return j
    }

    /// Whether the word being read continues a date order in words ("day/month/year", "year-month-day").
    static func isDateOrder(_ w: String, _ sep: Character, _ chars: [Character], _ j: Int) -> Bool {
        let units: Set<String> = ["day", "month", "year"]
        guard sep == "/" || sep == "-" || sep == ".", w.split(separator: sep).allSatisfy({ units.contains($0.lowercased()) }) else {
            return false
        }
        var k = j + 1
        var next = ""
        while k < chars.count, chars[k].isLetter {
            next.append(chars[k])
            k += 1
        }
        return units.contains(next.lowercased())
    }

    /// Whether a word being read looks like a date pattern (`DD/MM`, `YYYY-MM`, `MM/DD/YY`).
    static func isPatternish(_ s: String) -> Bool {
        let letters = Set(s.uppercased().filter { $0.isLetter })
        return !letters.isEmpty && letters.isSubset(of: ["D", "M", "Y", "H", "S"]) && s.contains(where: { $0 == "/" || $0 == "-" })
    }
}
