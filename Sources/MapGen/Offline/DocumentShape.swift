import Foundation
import MapDSL

/// Real mapping prose comes wrapped in documents: a Slack message with a greeting, a formal e-mail
/// with a salutation and a sign-off, a meeting transcript ("Ana: …"), numbered requirements in
/// MUST/SHALL wording, an FAQ of question and answer pairs, a thread with quoted replies ("> …"), a
/// ticket with numbered acceptance criteria. Before the sentences are read, this pass takes the
/// wrapping off each sentence and leaves the plain instruction in its place (the sentence keeps its
/// number, so the trace still cites the sentence as written):
///
/// - a requirement or criterion id ("R4.", "REQ-12:", "AC3)") and a quote marker ("> ") are dropped;
/// - a speaker's name ("Ana: …") is dropped when the document is a transcript (two speakers at least,
///   each on two lines at least, and no name is a field);
/// - RFC wording is plain wording: "X MUST be Y" is "X is Y", "X SHALL be used" is "use X", "the sync
///   MUST NOT send …" is "do not send …", "are to be left out" is "are left out";
/// - "Q: …" and "A: …" are one instruction: an answer that names no destination field is read after
///   the destination field its question names ("Q: Lead status? A: Always NEW." is "Lead status:
///   Always NEW."); an answer's "Yes," is dropped;
/// - an aside that only confirms a copy ("(no change)", ", unchanged", ", no cleanup") is dropped;
/// - a greeting, a salutation, a sign-off or a thank-you that names no field is not read at all.
///
/// Nothing here reads a rule: what it cannot take off stays, and the sentence readers list what they
/// cannot read as before.
enum DocumentShape {
    /// The sentences as the readers should see them.
    struct Shaped: Equatable {
        /// One text per sentence, in the document's order.
        var sentences: [String]
        /// Sentences not to read: pleasantries that name no field, and questions read with their answer.
        var passed: Set<Int>
    }

    /// Takes the document wrapping off `sentences`.
    static func shape(_ sentences: [String], body: String = "", source: Schema, destination: Schema) -> Shaped {
        var out = sentences.map { stripChatMarks(stripQuoteMarkers(stripRequirementId($0))) }
        var passed: Set<Int> = []
        nestBullets(&out, &passed, indents: bulletIndents(sentences, body: body), source: source, destination: destination)
        let speakers = transcriptSpeakers(out, source: source, destination: destination)
        for i in out.indices {
            if !speakers.isEmpty, let (name, rest) = speakerLabel(out[i]), speakers.contains(name) { out[i] = rest }
        }
        // Questions and answers.
        var i = 0
        while i < out.count {
            guard let question = questionText(out[i]) else {
                i += 1
                continue
            }
            out[i] = question
            guard i + 1 < out.count, let answer = answerText(out[i + 1]) else {
                i += 1
                continue
            }
            passed.insert(i)
            let subject = questionSubject(question, source: source, destination: destination)
            out[i + 1] = answer
            let asked = question.trimmingCharacters(in: CharacterSet(charactersIn: " ?"))
            if isFilterHeading(asked) {
                // "Q: Which members come across? A: Everyone except cleaned ones." — a filter.
                out[i + 1] = filterBullet(answer)
            } else if isKeyQuestion(asked), !answer.lowercased().contains("key") {
                // "Q: What identifies the contact? A: The email, in lower case." — the key.
                out[i + 1] = "Keyed on " + answer.replacingOccurrences(of: #"^(?:By |On )"#, with: "", options: .regularExpression)
            }
            var j = i + 2
            while j < out.count, questionText(out[j]) == nil, answerText(out[j]) == nil, !isPleasantry(out[j]) { j += 1 }
            // An answer about the question's field that names no destination field itself: its sentences are one
            // instruction about that field ("Q: And the lifecycle stage? A: VIP members are evangelist. …").
            var parts = Array(out[(i + 1)..<j])
            if let subject, let from = translatedFrom(parts[0], source: source) {
                // "Q: Country? A: We translate the two-letter location.country_code: DE → Germany, …. Codes not in that
                // list leave country blank.": the answer's sentences are one translation into the question's field.
                parts[0] = subject + " from " + from
                let joined = parts.map { $0.trimmingCharacters(in: CharacterSet(charactersIn: " .")) }.joined(separator: "; ")
                out[i + 1] = joined + "."
                for k in (i + 2)..<j { passed.insert(k) }
            } else if let subject, !parts.contains(where: { namesDestination($0, source: source, destination: destination) }) {
                let joined = parts.map { $0.trimmingCharacters(in: CharacterSet(charactersIn: " .")) }.joined(separator: "; ")
                out[i + 1] = subject + ": " + joined + "."
                for k in (i + 2)..<j { passed.insert(k) }
            }
            i = j
        }
        askedAbout(&out, &passed)
        useAliases(&out, source: source, destination: destination)
        for i in out.indices {
            out[i] = plainWording(dropCopyAsides(givenThenNone(out[i])))
            let (plain, reasons) = dropReasons(out[i])
            if !reasons.isEmpty, !reasons.contains(where: { namesField($0, source: source, destination: destination) || $0.contains("\"") })
            {
                out[i] = plain
            }
            if isPleasantry(out[i]) || isBareId(out[i]), !namesField(out[i], source: source, destination: destination) {
                passed.insert(i)
            }
        }
        return Shaped(sentences: out, passed: passed)
    }

    // MARK: - Nested bullets

    /// The indentation of each sentence that opens a bullet line of `body` (nil for any other sentence).
    static func bulletIndents(_ sentences: [String], body: String) -> [Int?] {
        let lines = body.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        var out: [Int?] = Array(repeating: nil, count: sentences.count)
        var cursor = 0
        for (i, sentence) in sentences.enumerated() {
            let head = String(sentence.prefix(24))
            guard !head.isEmpty else { continue }
            for k in cursor..<lines.count {
                let indent = lines[k].prefix { $0 == " " || $0 == "\t" }.count
                let trimmed = lines[k].trimmingCharacters(in: .whitespaces)
                let item = SentenceSplitter.isListItem(trimmed)
                let text = item ? SentenceSplitter.stripListMarker(trimmed) : trimmed
                guard text.hasPrefix(head) || head.hasPrefix(text) && !text.isEmpty else { continue }
                if item { out[i] = indent }
                cursor = k + 1
                break
            }
        }
        return out
    }

    /// Bullets nested under a bullet: a heading that asks which records go over ("Who goes over") makes its
    /// children filters ("only contacts with a phone" → "Only contacts with a phone go over."; "never anyone
    /// who bounced" → "Never send anyone who bounced."); a heading that names one destination field makes its
    /// children, when they name no destination field, one instruction about it ("PHONE: MobilePhone first;
    /// no mobile → Phone."). Other nesting is left as it is.
    static func nestBullets(_ out: inout [String], _ passed: inout Set<Int>, indents: [Int?], source: Schema, destination: Schema) {
        var i = 0
        while i < out.count {
            guard let parentIndent = indents[i], i + 1 < out.count, let first = indents[i + 1], first > parentIndent else {
                i += 1
                continue
            }
            var j = i + 1
            while j < out.count, let d = indents[j], d > parentIndent { j += 1 }
            let children = Array((i + 1)..<j)
            // Only direct children of one level (a deeper level is left as it is).
            guard children.allSatisfy({ indents[$0] == first }) else {
                i += 1
                continue
            }
            let parent = out[i].trimmingCharacters(in: CharacterSet(charactersIn: " :.—–-"))
            if isFilterHeading(parent), !namesField(parent, source: source, destination: destination) {
                for c in children {
                    out[c] = filterBullet(out[c])
                }
                passed.insert(i)
            } else if let head = fieldHeading(parent, source: source, destination: destination),
                !children.contains(where: { namesDestination(out[$0], source: source, destination: destination, typos: false) })
            {
                let parts = children.map { out[$0].trimmingCharacters(in: CharacterSet(charactersIn: " .;")) }
                out[i] = head + ": " + parts.joined(separator: "; ") + "."
                for c in children { passed.insert(c) }
            }
            i = j
        }
    }

    /// A bullet heading about one destination field: the field's name when the heading names nothing else ("Lead
    /// status" → `hs_lead_status`), the heading itself when it also names the source ("Country code from
    /// MailingCountry"; read alone, it would be a copy that leaves its bullets out). Nil otherwise.
    static func fieldHeading(_ parent: String, source: Schema, destination: Schema) -> String? {
        if let subject = questionSubject(parent, source: source, destination: destination) { return subject }
        let tokens = SentenceTokens(parent, source: source, destination: destination).tokens
        let dests = Set(tokens.compactMap { $0.destination?.name })
        return dests.count == 1 && !parent.contains(":") ? parent : nil
    }

    /// "Who goes over", "Which contacts are synced", "Filters", "Exclusions": a heading whose bullets say which
    /// records are sent.
    static func isFilterHeading(_ s: String) -> Bool {
        let patterns = [
            #"^(?:who|which [a-z]+)\b.{0,30}\b(?:go|goes|come|comes|are|is|get|gets)\b.{0,12}\b(?:over|across|sent|synced|included|in|through)$"#,
            #"^(?:filters?|exclusions?|scope|eligibility|who is in|who's in)$"#,
        ]
        return patterns.contains { s.range(of: $0, options: [.regularExpression, .caseInsensitive]) != nil }
    }

    /// A filter bullet as a sentence the skip reader knows: "only X" → "Only X go over.", "never X" → "Never send X.".
    static func filterBullet(_ s: String) -> String {
        let t = s.trimmingCharacters(in: CharacterSet(charactersIn: " ."))
        let lower = t.lowercased()
        if lower.hasPrefix("only ") { return "Only " + t.dropFirst(5) + " go over." }
        if lower.hasPrefix("never ") { return "Never send " + t.dropFirst(6) + "." }
        // "Everyone except cleaned addresses (status cleaned) — those are dead": skip what is excepted.
        if let m = t.range(
            of: #"^(?:everyone|everybody|all|all of them|all [a-z]+s)\s+(?:except|but|apart from|other than)\s+"#,
            options: [.regularExpression, .caseInsensitive])
        {
            let rest = t[m.upperBound...].replacingOccurrences(of: #"\s+[—–-]\s+.*$"#, with: "", options: .regularExpression)
            return "Skip " + rest + "."
        }
        return s
    }

    // MARK: - Ids and quote markers

    /// "R4. …", "REQ-12: …", "[FR-3] …", "AC2) …": a requirement's id before its text, dropped.
    static func stripRequirementId(_ s: String) -> String {
        s.replacingOccurrences(
            of: #"^(?:\[\#(id)\]|\#(id)[.:)])\s+(?=\S)"#, with: "",
            options: .regularExpression)
    }

    /// "R1." on its own (the sentence splitter ends a sentence at its dot): an id with no text.
    static func isBareId(_ s: String) -> Bool {
        s.range(of: #"^(?:\[\#(id)\]|\#(id)[.:)]?)$"#, options: .regularExpression) != nil
    }

    /// A requirement's or an acceptance criterion's id: "R4", "REQ-12", "FR-3.1", "AC2".
    static let id = #"(?:R|REQ|FR|NFR|BR|AC|US)[-_]?\d{1,4}(?:\.\d{1,3})*"#

    /// "> > text": the quote markers of a reply, dropped.
    static func stripQuoteMarkers(_ s: String) -> String {
        s.replacingOccurrences(of: #"^(?:>\s*)+"#, with: "", options: .regularExpression)
    }

    // MARK: - Transcripts

    /// "Ana: …", "Raj Patel: …": a speaker's name (one or two capitalised words) and what they said.
    /// A time stamp before it ("[10:02] Ana: …", "10:02 Ana: …"), bold ("**Ana:** …") and a role ("Ana (PM): …") are
    /// part of the label.
    static func speakerLabel(_ s: String) -> (name: String, rest: String)? {
        let pattern =
            #"^(?:\[?\d{1,2}:\d{2}(?::\d{2})?\]?\s+)?(?:\*\*)?([A-Z][a-zà-ÿ'’]+(?: [A-Z][a-zà-ÿ'’]+)?)(?:\s+\([^()]{1,20}\))?(?::\*\*|\*\*:|:)\s+(?=\S)"#
        guard let re = try? NSRegularExpression(pattern: pattern),
            let m = re.firstMatch(in: s, range: NSRange(s.startIndex..., in: s)), let all = Range(m.range, in: s),
            let name = Range(m.range(at: 1), in: s)
        else { return nil }
        return (String(s[name]), String(s[all.upperBound...]))
    }

    /// "@dana fax is Fax :thumbsup:": mentions before the text and Slack's emoji codes are no words of it.
    static func stripChatMarks(_ s: String) -> String {
        s.replacingOccurrences(of: #"^(?:@[\w.-]+[,:]?\s+)+"#, with: "", options: .regularExpression)
            .replacingOccurrences(of: #"(?:^|\s):[a-z0-9_+-]{2,30}:(?=\s|$|[.,!?])"#, with: "", options: .regularExpression)
    }

    /// The speakers of a transcript: names that open two lines at least, two names at least, none of them a field's
    /// name or label. Empty when the document is no transcript.
    static func transcriptSpeakers(_ sentences: [String], source: Schema, destination: Schema) -> Set<String> {
        var counts: [String: Int] = [:]
        for s in sentences { if let (name, _) = speakerLabel(s) { counts[name, default: 0] += 1 } }
        // Words that label a line rather than name a person ("Default: …", "Example: …").
        let labels: Set<String> = [
            "note", "notes", "default", "defaults", "example", "examples", "action", "actions", "update", "edit", "correction",
            "question", "answer", "background", "summary", "context", "subject", "todo", "status", "rule", "rules", "mapping",
            "source", "target", "from", "to", "decision", "decisions", "open", "fallback", "otherwise", "else", "filter", "key",
        ]
        let names = counts.filter { $0.value >= 2 }.keys.filter {
            !namesField($0, source: source, destination: destination) && !labels.contains($0.lowercased())
        }
        return names.count >= 2 ? Set(names) : []
    }

    // MARK: - Questions and answers

    /// "Q: Which members come across?" → "Which members come across?"; nil when the sentence is no labelled question.
    static func questionText(_ s: String) -> String? {
        guard let m = s.range(of: #"^(?:Q|Question)\s*\d{0,3}\s*[:.)]\s+(?=\S)"#, options: .regularExpression) else { return nil }
        return String(s[m.upperBound...])
    }

    /// "A: Yes, message says …" → "message says …"; nil when the sentence is no labelled answer.
    static func answerText(_ s: String) -> String? {
        guard let m = s.range(of: #"^(?:A|Answer)\s*\d{0,3}\s*[:.)]\s+(?=\S)"#, options: .regularExpression) else { return nil }
        let rest = String(s[m.upperBound...])
        return rest.replacingOccurrences(of: #"^(?:Yes|Yep|Yeah|Sure)\s*[,—–-]\s*"#, with: "", options: .regularExpression)
    }

    /// The destination field a question asks about, as the question spells it ("And the lifecycle stage?" →
    /// "lifecycle stage"): nil unless the question names exactly one destination field and no source field.
    static func questionSubject(_ question: String, source: Schema, destination: Schema) -> String? {
        let tokens = SentenceTokens(question, source: source, destination: destination).tokens
        let dests = tokens.filter { $0.destination != nil }
        guard dests.count == 1, let d = dests[0].destination, !tokens.contains(where: { $0.source != nil && $0.destination == nil })
        else { return nil }
        return d.name
    }

    /// "We translate the two-letter location.country_code: DE → Germany, …" → "location.country_code: DE → Germany, …": an
    /// answer that opens by saying which source field it translates (up to two words of description before the
    /// field), with the rows after a colon. Nil otherwise.
    static func translatedFrom(_ s: String, source: Schema) -> String? {
        let pattern =
            #"^(?:we|they|you|it)\s+(?:translate|map|convert)\s+(?:the\s+|their\s+)?(?:[A-Za-z-]+\s+){0,2}?([A-Za-z_][A-Za-z0-9_.]*)\s*:\s+(?=\S)"#
        guard let re = try? NSRegularExpression(pattern: pattern, options: .caseInsensitive),
            let m = re.firstMatch(in: s, range: NSRange(s.startIndex..., in: s)), let all = Range(m.range, in: s),
            let f = Range(m.range(at: 1), in: s), source.field(String(s[f])) != nil
        else { return nil }
        return String(s[f]) + ": " + s[all.upperBound...]
    }

    /// "What identifies the contact", "What is the upsert key", "What do we match on": a question about the key.
    static func isKeyQuestion(_ s: String) -> Bool {
        s.range(
            of:
                #"^(?:and )?(?:what|which field|which property)\b.{0,20}\b(?:identif(?:y|ies)|key|match(?:es)? on|upsert(?:s|ed)? on|dedupe)\b"#,
            options: [.regularExpression, .caseInsensitive]) != nil
    }

    /// "what about contacts whose source is OFFLINE?" then "don't send them at all.": the answer's pronoun is the
    /// records the question asked about, and the question is read with it. The answer is one of the next two
    /// sentences (the asker may add a word of their own first) and must say to leave records out.
    static func askedAbout(_ out: inout [String], _ passed: inout Set<Int>) {
        for i in out.indices where !passed.contains(i) {
            guard
                let m = out[i].range(
                    of: #"^(?:and |so |but )?(?:what|how) about (.{3,120})\?$"#, options: [.regularExpression, .caseInsensitive])
            else { continue }
            let asked = String(out[i][m]).replacingOccurrences(
                of: #"^(?:and |so |but )?(?:what|how) about "#, with: "", options: [.regularExpression, .caseInsensitive]
            ).dropLast()
            for j in (i + 1)..<min(i + 3, out.count) {
                let answer = out[j]
                guard
                    answer.range(
                        of: #"\b(?:send|sync|skip|drop|exclude|ignore|leave)\b.{0,12}\b(?:them|those)\b"#,
                        options: [.regularExpression, .caseInsensitive]) != nil,
                    let pronoun = answer.range(of: #"\b(?:them|those)\b"#, options: [.regularExpression, .caseInsensitive])
                else { continue }
                out[j] = answer.replacingCharacters(in: pronoun, with: asked)
                passed.insert(i)
                break
            }
        }
    }

    // MARK: - Names defined in passing

    /// "contacts whose original source (hs_analytics_source) is OFFLINE" defines "original source" as the field;
    /// a later "lead_source = the original source in lower case" means that field. A name of two or three words
    /// just before a source field in brackets is such a definition; it is used in the other sentences (never in
    /// its own), where it is not already followed by a bracket, when it names no field by itself.
    /// The most names defined in brackets that a description may have for them to be used.
    static let maxAliases = 20

    static func useAliases(_ out: inout [String], source: Schema, destination: Schema) {
        let stop: Set<String> = [
            "the", "a", "an", "of", "whose", "with", "and", "or", "is", "are", "has", "have", "their", "its", "his", "her", "for",
            "in", "on", "by", "from", "to", "that", "which", "who", "when", "if", "not", "no", "any", "all", "every", "each",
        ]
        var aliases: [(alias: String, field: String, sentence: Int)] = []
        // Words of at most 40 letters, from a word's start: a 60 KB "word" made the match quadratic.
        let pattern = #"(?<![A-Za-z'’-])((?:[A-Za-z][A-Za-z'’-]{0,40} ){1,6})\(([A-Za-z_][A-Za-z0-9_.]*)\)"#
        guard let re = try? NSRegularExpression(pattern: pattern) else { return }
        for (i, text) in out.enumerated() {
            let ns = text as NSString
            for m in re.matches(in: text, range: NSRange(location: 0, length: ns.length)) {
                let name = ns.substring(with: m.range(at: 2))
                guard source.field(name) != nil else { continue }
                let words = ns.substring(with: m.range(at: 1)).split(separator: " ").map(String.init)
                let tail = Array(words.reversed().prefix { !stop.contains($0.lowercased()) }.reversed())
                guard tail.count >= 2, tail.count <= 3 else { continue }
                let alias = tail.joined(separator: " ")
                // Each name once (the first definition); a real description defines a few, so past
                // `maxAliases` none is used at all: each one costs a pass over every sentence.
                guard !aliases.contains(where: { $0.alias.lowercased() == alias.lowercased() && $0.field == name }),
                    !namesField(alias, source: source, destination: destination)
                else { continue }
                aliases.append((alias, name, i))
                if aliases.count > maxAliases { return }
            }
        }
        for (alias, field, sentence) in aliases {
            // A name defined twice, for two fields, means neither.
            guard !aliases.contains(where: { $0.alias.lowercased() == alias.lowercased() && $0.field != field }) else { continue }
            let escaped = NSRegularExpression.escapedPattern(for: alias)
            for i in out.indices where i != sentence {
                out[i] = out[i].replacingOccurrences(
                    of: #"\b(?:the |their |its )?"# + escaped + #"\b(?!\s*\()"#, with: field,
                    options: [.regularExpression, .caseInsensitive])
            }
        }
    }

    // MARK: - Wording

    /// "Given a call without properties.email, then no lead is written.": an acceptance criterion that leaves
    /// records out, as the skip it is ("Skip a call without properties.email.").
    static func givenThenNone(_ s: String) -> String {
        s.replacingOccurrences(
            of:
                #"^(?:Given|When)\s+(.+?),?\s+then\s+no\s+[A-Za-z ]{1,30}?\s+(?:is|are|gets?|will be)\s+(?:written|created|sent|synced|made|upserted|pushed)\s*\.?$"#,
            with: "Skip $1.", options: .regularExpression)
    }

    /// RFC wording as plain wording: "MUST be" is "is", "SHALL be used" is "use", "MUST NOT send" is "do not send".
    static func plainWording(_ s: String) -> String {
        var t = s
        let rules: [(String, String)] = [
            // "The sync MUST NOT create …": an instruction not to.
            (
                #"^(?:The |This )?(?:sync|system|integration|job|pipeline|connector|import|export|process|mapping|feed|load)\s+(?:MUST|SHALL|SHOULD|must|shall|should)\s+(?:NOT|not)\s+"#,
                "Do not "
            ),
            // "MobilePhone SHALL be used": use it.
            (#"\b([A-Za-z_][A-Za-z0-9_.]*)\s+(?:MUST|SHALL|SHOULD)\s+be\s+used\b"#, "use $1"),
            (#"\b(?:MUST|SHALL|SHOULD)\s+NOT\s+be\b"#, "is not"),
            (#"\b(?:MUST|SHALL|SHOULD)\s+be\b"#, "is"),
            // "client_id has to be …", "needs to be": plain "is" (lower-case "should be" is the readers' own wording).
            (#"\b(?:has|have|needs|need)\s+to\s+be\b"#, "is"),
            (
                #"\b(?:MUST|SHALL|SHOULD)\s+(equal|read|stay|leave|hold|contain|carry|match|say|receive|get|take|use|become|remain)\b"#,
                "$1s"
            ),
            // "btw …", "Note that …", "Please make sure that …": a lead-in before the instruction.
            (#"(?i)^(?:btw|fyi|nb|n\.b\.|ps|p\.s\.)\b[,:]?\s+(?=\S)"#, ""),
            (#"(?i)^(?:please\s+)?(?:make sure|ensure|remember|note|keep in mind|be aware)(?:\s+that)?\s+(?=\S)"#, ""),
            (#"\b[Pp]lease\s+(?=(?:use|take|set|send|skip|drop|map|copy|put|fill|leave|keep)\b)"#, ""),
            // "are to be left out", "is to carry": plain present.
            (#"\b(are|is)\s+to\s+be\b"#, "$1"),
            (#"\bare\s+to\s+(carry|hold|receive|get|take|contain|use)\b"#, "$1"),
            (#"\bis\s+to\s+(carry|hold|receive|get|take|contain|use)\b"#, "$1s"),
        ]
        for (pattern, template) in rules {
            t = t.replacingOccurrences(of: pattern, with: template, options: .regularExpression)
        }
        return t
    }

    /// "DoNotCall = true on all of these (self-serve users asked not to be called).", "client_id is … , that's what the
    /// web tag uses.": a reason given for the rule, and a scope that means every record, taken off the end. Returns the
    /// sentence without them and what was taken off (the caller keeps the sentence when that names a field).
    static func dropReasons(_ s: String) -> (String, [String]) {
        var t = s
        var removed: [String] = []
        let patterns = [
            #"\s*\([^()]*\b(?:asked|wants?|requested|because|since|see above|see below|that's why)\b[^()]*\)"#,
            #",\s*(?:that's|that is|this is|which is)\s+(?:what|why|how)\b[^,;()]*"#,
            #"\s+(?:for|on|to)\s+(?:all\s+(?:of\s+)?)?(?:these|them|those)\b"#,
            // "for every lead", "for all contacts", "on each record" (never "for all other leads": that is a default).
            #"\s+(?:for|on|to)\s+(?:every|each|all(?:\s+of)?(?:\s+the)?)\s+(?!others?\b|else\b|remaining\b|rest\b)[a-z]+\b"#,
        ]
        for p in patterns {
            guard let r = t.range(of: p + #"(?=\s*[.;!]?\s*$)"#, options: [.regularExpression, .caseInsensitive]) else { continue }
            removed.append(String(t[r]))
            t.removeSubrange(r)
        }
        return (t, removed)
    }

    /// "Website = context.page.url (no change).", "… traits.website, no cleanup.": an aside at the end that only
    /// confirms the copy, dropped.
    static func dropCopyAsides(_ s: String) -> String {
        let aside =
            #"(?:no changes?|unchanged|as is|as-is|untouched|no cleanup|no clean-up|no transformation|verbatim|without (?:any )?changes?)"#
        // "… firstname, lastname and company exactly as they are in HubSpot."
        let asTheyAre = #"\s+(?:exactly |just )?as (?:they|it) (?:are|is|come|comes)(?: in [A-Z][A-Za-z]*)?"#
        return s.replacingOccurrences(
            of: #"(?:\s*\(\s*"# + aside + #"\s*\)|,\s*"# + aside + "|" + asTheyAre + #")(?=\s*[.;!]?\s*$)"#, with: "",
            options: [.regularExpression, .caseInsensitive])
    }

    // MARK: - Pleasantries

    /// A greeting, a salutation, a sign-off or a thank-you: text around the mapping, not part of it.
    static func isPleasantry(_ s: String) -> Bool {
        let t = s.trimmingCharacters(in: .whitespaces)
        let patterns = [
            #"^(?:hi|hey|hello|dear|good (?:morning|afternoon|evening)|greetings)\b(?:\s+[@A-Za-z][\w@.'’-]*){0,4}\s*[,!:.]?\s*$"#,
            #"^(?:thanks|thank you|thx|ty|cheers|many thanks|thanks again|much appreciated)\b[^.?]{0,40}$"#,
            #"^(?:kind|best|warm)? ?(?:regards|wishes)\b[^.?]{0,60}$"#, #"^(?:best|cheers|sincerely|yours)\s*,[^.?]{0,60}$"#,
            #"^(?:please find|see) (?:below|attached)\b"#, #"^let me know if\b"#, #"^(?:hope (?:this|that) helps)\b"#,
            #"^(?:subject|re|fwd?)\s*:"#, #"^on [^.?]{3,80} wrote:?$"#, #"^-{2,}\s*(?:original|forwarded) message\s*-{2,}$"#,
        ]
        return patterns.contains { t.range(of: $0, options: [.regularExpression, .caseInsensitive]) != nil }
    }

    // MARK: - Fields

    static func namesField(_ s: String, source: Schema, destination: Schema) -> Bool {
        SentenceTokens(s, source: source, destination: destination).tokens.contains { $0.source != nil || $0.destination != nil }
    }

    /// Whether `s` names a destination field (without `typos`, a word that is only a typo of a name does not count:
    /// "United States" is no `status`).
    static func namesDestination(_ s: String, source: Schema, destination: Schema, typos: Bool = true) -> Bool {
        SentenceTokens(s, source: source, destination: destination).tokens.contains { $0.destination != nil && (typos || !$0.typo) }
    }
}

extension OfflineGenerator {
    /// "hs_analytics_source is set from LeadSource as follows: …. A lead without a LeadSource leaves
    /// hs_analytics_source empty.": a sentence that was not read names, by a name only the destination
    /// has, a field whose rule another sentence gave. What it says about that field is missing from the
    /// rule, so the rule is flagged for review (its value stays). A word that names a source field as well
    /// counts only in the sentence right after the rule's.
    static func flagRulesNamedByUnread(
        _ lines: inout [String: Line], unread: [Int: [String]], texts: [String], source: Schema, destination: Schema
    ) {
        for (number, _) in unread.sorted(by: { $0.key < $1.key }) where number - 1 < texts.count {
            let index = number - 1
            let tokens = SentenceTokens(texts[index], source: source, destination: destination).tokens
            for t in tokens {
                // A word that also names a source field counts only right after the sentence that gave the rule
                // ("firstname = traits.firstName." then "When the app sends no first name, …").
                guard let d = t.destination, let line = lines[d.name], let s = line.sentence, s != index, !line.isFlagged,
                    t.source == nil || s == index - 1
                else { continue }
                lines[d.name]?.note = "REVIEW: [S\(number)] also names it and was not read; " + line.note
                lines[d.name]?.confidence = min(line.confidence, 0.4)
            }
        }
    }
}
