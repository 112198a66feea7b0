import Crypto
import Foundation
import MapDSL

/// The generator used without an LLM: a schema matcher guided by the prose. It names fields the way
/// the prose pairs them ("Title from jobtitle"), translates picklists the prose spells out, falls back
/// to name and synonym matching, converts types, defaults required fields, picks a key, and then
/// checks and repairs its own output until the checker is satisfied.
public struct OfflineGenerator: Sendable {
    /// Schemas for checking and lookups.
    public let schemas: SchemaProvider
    /// The clock for the provenance header.
    public let clock: @Sendable () -> Date
    /// Name matches below this score are not used.
    public var threshold = 0.85

    /// Creates a generator.
    public init(schemas: SchemaProvider, clock: @escaping @Sendable () -> Date = { Date() }) {
        self.schemas = schemas
        self.clock = clock
    }

    /// What the offline generator produced.
    public struct Result: Sendable {
        /// The mapping, formatted, with its provenance header.
        public var mapping: String
        /// Diagnostics that remain (empty unless the schemas themselves make a clean mapping impossible).
        public var diagnostics: [Diagnostic]
        /// Required destination fields that only got a default value.
        public var defaulted: [String]
        /// Which sentences each rule cites, which were not implemented, which rules are flagged.
        public var trace: TraceReport
        /// Name matches for fields the prose does not name, left for a reviewer (in a comment block,
        /// not in the mapping).
        public var suggestions: [String]
    }

    /// One planned assignment.
    struct Line {
        var field: Field
        var value: String
        var confidence: Double
        var sentence: Int?
        var note: String
        var sourceField: String?

        /// Whether a reviewer is told to look: a `REVIEW` note or a confidence below one half.
        var isFlagged: Bool { note.contains("REVIEW") || confidence < 0.5 }

        var comment: String {
            var c = String(format: "confidence %.2f", confidence)
            if let s = sentence { c = "[S\(s + 1)] " + c }
            return note.isEmpty ? c : c + ", " + note
        }
    }

    /// Generates a mapping for `prose` from `source` to `destination`.
    public func generate(prose whole: ProseDocument, source: Schema, destination: Schema) -> Result {
        // Only the first sentences are read (SentenceBound.swift); every pass below sees those alone.
        let sentenceCount = whole.sentences.count
        var prose = whole
        prose.sentences = Array(whole.sentences.prefix(SentenceBound.maxSentences))
        var reader = SentenceReader(source: source, destination: destination, schemas: schemas)
        var lines: [String: Line] = [:]
        var chains: [String: (chain: ValueChain, sentence: Int)] = [:]
        var key: (field: Field, sentence: Int?)?
        var skips: [(condition: String, sentence: Int?)] = []
        var unread: [Int: [String]] = [:]
        var lastChainField: String?
        var assignmentSentences = 0
        var previous: SentenceOutcome?
        var tooLong: [Int] = []

        // CSV sheets, SQL select lists, YAML-like keys, aligned columns: rows as statements (StructuredReadings.swift).
        let structured = StructuredReadings.read(prose, source: source, destination: destination, schemas: schemas)
        // Greetings, speaker names, requirement ids, questions and answers, MUST wording (DocumentShape.swift).
        // A sentence too long to read is listed below as it is; no pass works on it.
        let overLong = Set(prose.sentences.indices.filter { SentenceBound.excess(prose.sentences[$0]) != nil })
        let shaped = DocumentShape.shape(
            prose.sentences.indices.map { overLong.contains($0) ? "" : prose.sentences[$0] }, body: prose.body, source: source,
            destination: destination)
        // A sentence the structured reading took is read as it says; the others with their wrapping off.
        let handled = Set(
            prose.sentences.indices.filter {
                structured.texts[$0] != prose.sentences[$0] || structured.direct[$0] != nil || structured.rows.contains($0)
                    || structured.frames.contains($0)
            })
        let readable = prose.sentences.indices.map {
            overLong.contains($0) ? prose.sentences[$0] : handled.contains($0) ? structured.texts[$0] : shaped.sentences[$0]
        }
        // "Industry (…):" and lines of arms: one value map (ValuesSentenceMap.swift).
        let (armTexts, armRows) = Self.joinArmLists(
            Self.readTableRows(readable, source: source, destination: destination), source: source, destination: destination)
        let (texts, joinedRows) = Self.joinTables(armTexts, source: source, destination: destination)
        let tableRows = joinedRows.union(armRows).union(shaped.passed.subtracting(handled))
        for (index, sentence) in texts.enumerated() {
            if tableRows.contains(index) { continue }
            if let excess = SentenceBound.excess(sentence) {
                unread[index + 1] = [excess]
                tooLong.append(index + 1)
                previous = nil
                continue
            }
            // "anything else (or no locale) → en": a match's `_` arm takes null too, so the aside says nothing more.
            let sentence = (structured.direct[index] == nil ? sentence : "").replacingOccurrences(
                of: #"\b(anything else|everything else|any other [A-Za-z]+) \(or (no [A-Za-z ]{1,30}|empty|blank|missing|none)\)"#,
                with: "$1", options: [.regularExpression, .caseInsensitive])
            let tokens = SentenceTokens(sentence, source: source, destination: destination).tokens
            var named: [Field] = []
            for f in tokens.compactMap(\.source)
            where !named.contains(where: { $0.name == f.name }) {
                named.append(f)
            }
            reader.sentenceFields = named
            var o = structured.direct[index] ?? reader.read(sentence)
            if !o.unread.isEmpty, let split = Self.readInTwo(sentence, reader: reader), split.assignments.count > o.assignments.count {
                // "Match on email (…), FNAME into First Name and …": a key or statement, then more statements.
                o = split
            }
            // "…; if one of them is missing just the other one": a join's remark on a blank part (SentencePhrases.swift).
            if let j = SentencePhrases.readJoinRemark(sentence, reader: reader) { o = j }
            // "Website = page url (no change)", "DoNotCall = true on all of these": asides that change nothing.
            if !o.unread.isEmpty, let a = SentencePhrases.readWithoutAsides(sentence, reader: reader) { o = a }
            // "Rating is Warm, but leave it blank when …", "Leave D empty when C; otherwise V".
            if !o.unread.isEmpty || o.assignments.isEmpty, let e = SentencePhrases.valueWithEmptyCase(sentence, reader: reader) { o = e }
            // "Given a call without X, then no lead is created": a skip (SentencePhrases.swift).
            if o.assignments.isEmpty, o.skips.isEmpty, let k = SentencePhrases.conditionThenNoRecord(sentence, reader: reader) { o = k }
            // "BillingCountry = country, United States when it's empty": a whole reading wins over a bare copy.
            if let e = SentencePhrases.copyWithDefault(sentence, reader: reader), SentencePhrases.widens(o, to: e) { o = e }
            // "Actually no, VIP members come in as evangelist; the rest subscriber.": the field the sentence before set.
            if o.assignments.isEmpty, let p = previous, p.assignments.count == 1,
                let c = reader.readCorrection(sentence, field: p.assignments[0].field)
            {
                o = c
            }
            // "A, B → C, D", "A and B straight across", run-ons of "D is S" pieces: copies in list forms.
            CopyListReader(source: source, destination: destination).improve(&o, tokens: tokens)
            if let last = sentence.trimmingCharacters(in: .whitespaces).last, ":—–".contains(last), !o.assignments.isEmpty {
                // "language: from the locale —" with no rows after it: what it announces was not read.
                o.unread.append("the list it announces was not read")
            }
            if o.unread.isEmpty, !o.assignments.isEmpty || !o.skips.isEmpty {
                // A rule is reported as implemented only when the sentence has nothing left over.
                let left = SentenceAccounting.unaccounted(
                    tokens, o, source: source)
                if !left.isEmpty { o.unread.append("words the rules do not account for: " + left.joined(separator: ", ")) }
            }
            if structured.direct[index] == nil {
                o.unread += HonestyGuard.review(sentence, tokens: tokens, outcome: o, source: source, destination: destination)
                o.unread += SentencePhrases.fieldsReadAsText(o, tokens: tokens, source: source)
                o.unread += SentencePhrases.exceptionInParentheses(sentence, o)
            }
            o.unread += structured.unreadRow(index, o)
            for a in o.assignments where a.value.chain != nil && Self.patternTookLeadIn(a.value.text) {
                o.unread.append("\(a.field.name): a value of the translation holds words that describe the field, not a value")
            }
            let arrows = Self.armArrows(tokens)
            let arms = o.assignments.filter { $0.value.text.hasPrefix("match ") }.map {
                $0.value.text.split(separator: "\n").filter { $0.contains("=>") }.count
            }
            if o.assignments.count == 1, let n = arms.first, n < arrows {
                // "A → x; B → y; anything else → z" gave fewer arms than it has arrows: some were not read.
                o.unread.append("\(o.assignments[0].field.name): \(arrows) pairs, \(n) read")
            }
            for a in o.assignments {
                for f in a.value.chainFields.reversed() where !a.value.borrowed {
                    reader.context.removeAll { $0.name == f.name }
                    reader.context.insert(f, at: 0)
                }
            }
            let lower = sentence.lowercased()
            let words = Set(lower.split(whereSeparator: { !$0.isLetter && $0 != "'" && $0 != "’" }).map(String.init))
            let nothingRead = o.assignments.isEmpty && o.skips.isEmpty && o.key == nil && o.sameAs == nil && o.defaultForPrevious == nil
            if nothingRead, CorrectionReader.isCorrection(sentence, tokens: tokens) {
                // "edit: sorry, the cutoff is 2 million not 1M": applied to the rule it corrects, or listed (CorrectionReader.swift).
                Self.applyCorrection(sentence, tokens: tokens, index: index, lines: &lines, unread: &unread)
                previous = nil
                continue
            }
            if nothingRead, o.unread.isEmpty,
                !words.isDisjoint(with: ["skip", "skipped", "drop", "dropped", "ignore", "ignored", "exclude", "excluded"])
            {
                // "closed/not converted leads: skip them": a skip it did not read is listed, never passed over.
                o.unread.append("a skip it could not read")
            } else if nothingRead, lower.hasPrefix("actually") || lower.hasPrefix("correction") {
                // "Actually no, … make it customer": a correction it could not read; the rules before it are doubtful.
                if o.unread.isEmpty { o.unread.append("a correction it could not read") }
                for (name, line) in lines where line.sentence == index - 1 {
                    var l = line
                    l.note = "REVIEW: [S\(index + 1)] corrects it and was not read; " + l.note
                    l.confidence = min(l.confidence, 0.4)
                    lines[name] = l
                }
            }
            // "Where HubSpot has no name, use the domain instead." after "Name: the company name.": a sentence that
            // only continues the value the sentence before gave (a default, a blank guard) changes that rule.
            if o.assignments.isEmpty, o.skips.isEmpty, o.key == nil, o.defaultForPrevious == nil, o.sameAs == nil,
                var prior = previous, prior.assignments.count == 1, let line = lines[prior.assignments[0].field.name],
                line.sentence == index - 1, line.value == prior.assignments[0].value.text,
                ComposeReader.continueSentence(tokens, into: &prior, source: source, destination: destination)
                    || SentenceReader.noValueGuard(tokens, into: &prior)
            {
                let a = prior.assignments[0]
                lines[a.field.name]?.value = a.value.text
                lines[a.field.name]?.confidence = min(line.confidence, a.confidence)
                lines[a.field.name]?.note = line.note + ", continued in [S\(index + 1)]"
                lines[a.field.name]?.sourceField = a.value.sourceField
                previous = nil
                continue
            }
            previous = o
            if !o.unread.isEmpty { unread[index + 1] = o.unread }
            let before = Set(lines.values.filter { $0.sentence == index - 1 }.map(\.field.name))
            if nothingRead, !o.unread.isEmpty,
                HonestyGuard.continuesPrevious(tokens) || SentencePhrases.continuesRuleBefore(tokens, fields: before)
            {
                // "If it is empty, …" not read: the rules of the sentence before may be missing it.
                for (name, line) in lines where line.sentence == index - 1 && !line.isFlagged {
                    lines[name]?.note = "REVIEW: [S\(index + 1)] continues it and was not read; " + line.note
                    lines[name]?.confidence = min(line.confidence, 0.4)
                }
            }
            if let (f, other) = o.sameAs {
                if let line = lines[other.name], lines[f.name] == nil, f.type == other.type, f.values == other.values {
                    lines[f.name] = Line(
                        field: f, value: line.value, confidence: line.confidence, sentence: index,
                        note: line.note + ", the rule of \(other.name)" + (line.sentence.map { " [S\($0 + 1)]" } ?? ""),
                        sourceField: line.sourceField)
                } else {
                    unread[index + 1, default: []].append("\(f.name): the rule of \(other.name) could not be taken")
                }
                assignmentSentences += 1
                continue
            }
            if let k = o.key, key == nil { key = (k, index) }
            if o.retractsSkips { skips.removeAll { $0.sentence == index - 1 } }
            if o.skipsOtherEvents {
                if let c = EventNameReader.skipOthers(&lines, destination: destination, sentence: index) {
                    skips.append((c, index))
                } else {
                    unread[index + 1, default: []].append("a skip of the other events, but no event map before it")
                }
            }
            for s in o.skips where !skips.contains(where: { $0.condition == s.condition }) { skips.append((s.condition, index)) }
            if let def = o.defaultForPrevious {
                guard let f = lastChainField, var entry = chains[f], entry.chain.fallback == nil, var line = lines[f],
                    let value = def == SentenceReader.subjectDefault
                        ? SentenceReader.subjectValue(entry.chain, to: line.field)
                        : def == "\u{0}null"
                            ? (line.field.nullable && !line.field.required ? "null" : nil)
                            : ValueReader(source: source, destination: destination, d: line.field).literal(
                                ProseToken(kind: .quoted, text: def, lower: def.lowercased()))
                else {
                    unread[index + 1, default: []].append("a default, but no rule before it to take one")
                    continue
                }
                entry.chain.fallback = value
                chains[f] = entry
                line.value = entry.chain.render(otherwise: "null")
                line.confidence = SentenceReader.chainConfidence
                line.note = "named in prose, default from [S\(index + 1)]"
                lines[f] = line
                continue
            }
            if !o.assignments.isEmpty || o.namesDestination { assignmentSentences += 1 }
            for var a in o.assignments {
                if let earlier = lines[a.field.name], o.corrects {
                    // "Actually, client_id should be …": the correction replaces the earlier value, and says so.
                    lines[a.field.name] = nil
                    a.note += earlier.sentence.map { ", replaces the value of [S\($0 + 1)]" } ?? ""
                    chains[a.field.name] = nil
                } else if let earlier = lines[a.field.name], earlier.note == SentenceReader.keySameNameNote,
                    a.note != SentenceReader.keySameNameNote
                {
                    // "keyed on email" then "email: Email in lower case": the stated value wins.
                    lines[a.field.name] = nil
                }
                if lines[a.field.name] != nil {
                    unread[index + 1, default: []].append("\(a.field.name) is given a second value; the first one is kept")
                    continue
                }
                var note = a.note
                var confidence = a.confidence
                if !o.unread.isEmpty {
                    // Part of the sentence was not read: the rule it gave may be missing what that part said.
                    note = "REVIEW: part of [S\(index + 1)] was not read; " + note
                    confidence = min(confidence, 0.4)
                }
                if a.value.chain != nil && a.value.chain?.fallback == nil {
                    note +=
                        ", no default stated (other values give \(a.field.required || !a.field.nullable ? "the first allowed value" : "null"))"
                }
                var value = a.value.text
                if let chain = a.value.chain, chain.fallback == nil, a.field.required || !a.field.nullable {
                    value = chain.render(otherwise: defaultValue(a.field))
                    confidence = min(confidence, 0.4)
                    note = "REVIEW: " + note
                }
                lines[a.field.name] = Line(
                    field: a.field, value: value, confidence: confidence, sentence: index, note: note, sourceField: a.value.sourceField)
                if let chain = a.value.chain {
                    chains[a.field.name] = (chain, index)
                    lastChainField = a.field.name
                }
            }
        }

        // Without any assignment in the prose, name and synonym matches fill the mapping (flagged by
        // their scores); with one, the prose lists the fields and matches are only suggested.
        var suggestions: [String] = []
        let used = Set(lines.values.compactMap(\.sourceField))
        // A sentence that names fields was not read: name matches are no reading of the prose (SentencePhrases.swift).
        let unreadFields = SentencePhrases.unreadNamesFields(texts, unread: unread, source: source, destination: destination)
        for d in destination.fields where !d.readOnly && lines[d.name] == nil && d.type != .picklist && d.type != .multipicklist {
            let ranked = source.fields.map { ($0, Vocabulary.score($0, d) - (used.contains($0.name) ? 0.05 : 0)) }
                .filter { $0.1 >= threshold }.sorted { $0.1 > $1.1 }
            guard let (s, score) = ranked.first, let value = valueExpression(from: s, to: d) else { continue }
            if assignmentSentences == 0 || d.required {
                lines[d.name] = Line(
                    field: d, value: value, confidence: assignmentSentences == 0 && !unreadFields ? min(score, 0.9) * 0.7 : 0.4,
                    sentence: nil,
                    note: assignmentSentences == 0
                        ? (unreadFields ? "REVIEW: name match; sentences that name fields were not read" : "name match")
                        : "REVIEW: required, not named in the prose; name match",
                    sourceField: s.name)
            } else {
                suggestions.append("\(MappingGrammar.fieldName(d.name)) = \(value)")
            }
        }

        // Key.
        let keyFields = destination.fields.filter { $0.canBeKey && !$0.readOnly }
        if key == nil, !keyFields.isEmpty {
            let matched = keyFields.compactMap { k -> (Field, Field, Double)? in
                guard let (s, score) = source.fields.map({ ($0, Vocabulary.score($0, k)) }).max(by: { $0.1 < $1.1 }), score >= threshold
                else { return nil }
                return (k, s, score)
            }.max { $0.2 < $1.2 }
            if let planned = keyFields.first(where: { lines[$0.name]?.sourceField != nil }) {
                key = (planned, lines[planned.name]?.sentence)
            } else if let (k, s, _) = matched, let value = valueExpression(from: s, to: k) {
                key = (k, nil)
                lines[k.name] = Line(
                    field: k, value: value, confidence: 0.4, sentence: nil, note: "REVIEW: key not named in the prose; name match",
                    sourceField: s.name)
                suggestions.removeAll { $0.hasPrefix(MappingGrammar.fieldName(k.name) + " = ") }
            } else if let idSource = source.fields.first(where: { $0.type == .id && ($0.unique || !$0.nullable) }) ?? source.fields.first {
                let platform = source.platform.lowercased()
                let chosen = keyFields.first { $0.name.lowercased().contains(platform) } ?? keyFields[0]
                key = (chosen, nil)
                if lines[chosen.name] == nil, let value = valueExpression(from: idSource, to: chosen) {
                    lines[chosen.name] = Line(
                        field: chosen, value: value, confidence: chosen.name.lowercased().contains(platform) ? 0.7 : 0.3, sentence: nil,
                        note: "REVIEW: key not named in the prose; the source record id", sourceField: idSource.name)
                }
            }
        }
        if let k = key, lines[k.field.name] == nil {
            // A key named but not filled: the source record id, flagged.
            if let idSource = source.fields.first(where: { $0.type == .id && ($0.unique || !$0.nullable) }),
                let value = valueExpression(from: idSource, to: k.field)
            {
                lines[k.field.name] = Line(
                    field: k.field, value: value, confidence: 0.4, sentence: k.sentence,
                    note: "REVIEW: key named, its value not; the source record id",
                    sourceField: idSource.name)
            }
        }
        if let k = key, let line = lines[k.field.name], !line.isFlagged, let src = line.sourceField, let s = source.field(src), s.nullable {
            let cond = "blank(\(name(s)))"
            if !skips.contains(where: { $0.condition == cond }) { skips.append((cond, k.sentence)) }
        }
        // A sentence not read that names a field another sentence gave a rule: that rule is flagged (DocumentShape.swift).
        Self.flagRulesNamedByUnread(
            &lines, unread: unread.filter { !tooLong.contains($0.key) }, texts: texts, source: source, destination: destination)
        for (name, line) in lines where !tooLong.isEmpty {
            // A sentence too long to read may change any rule: each is flagged.
            lines[name]?.note = "REVIEW: [S\(tooLong[0])] was too long to read; " + line.note
            lines[name]?.confidence = min(line.confidence, 0.4)
        }
        if sentenceCount > prose.sentences.count {
            // What follows the last sentence read may change any rule: each is flagged, each sentence left listed.
            let reason = SentenceBound.pastLast(of: sentenceCount)
            for i in prose.sentences.count..<sentenceCount { unread[i + 1] = [reason] }
            for (name, line) in lines {
                lines[name]?.note = "REVIEW: read up to [S\(prose.sentences.count)] of \(sentenceCount); " + line.note
                lines[name]?.confidence = min(line.confidence, 0.4)
            }
        }

        // Required fields nobody fills.
        var defaulted: [String] = []
        for d in destination.fields where d.required && !d.readOnly && lines[d.name] == nil {
            lines[d.name] = Line(
                field: d, value: defaultValue(d), confidence: 0, sentence: nil, note: "REVIEW: required, no source found; defaulted")
            defaulted.append(d.name)
        }

        // Check and repair until clean.
        var plan = lines
        var result = check(plan, key: key?.field, skips: skips, suggestions: suggestions, source: source, destination: destination)
        for _ in 0..<6 where result.diagnostics.hasErrors {
            for d in result.diagnostics where d.severity == .error {
                guard let a = result.file.assignments.first(where: { $0.span.start <= d.span.start && d.span.start <= $0.span.end }),
                    var line = plan[a.target.text]
                else { continue }
                if d.code == .optionalIntoRequired,
                    !line.value.contains(" ?? ") || line.value.hasPrefix("if ") || line.value.hasPrefix("match ")
                {
                    // Text that is empty or only spaces is as missing as null for a required field.
                    let text = [.string, .picklist, .multipicklist, .id].contains(line.field.type)
                    let wrapped = line.value.contains("\n") || line.value.contains(" ?? ") ? "(\(line.value))" : line.value
                    line.value =
                        text
                        ? "null_if_blank(\(wrapped)) ?? \(defaultValue(line.field))" : "\(wrapped) ?? \(defaultValue(line.field))"
                    line.note += line.note.isEmpty ? "REVIEW: defaulted when null" : "; REVIEW: defaulted when null"
                    line.confidence = min(line.confidence, 0.4)
                    plan[line.field.name] = line
                } else if d.code == .optionalIntoRequired, line.value.contains(" ?? ") {
                    // A fallback whose last operand may still be null: one more default, flagged.
                    line.value = "\(line.value) ?? \(defaultValue(line.field))"
                    line.note += line.note.isEmpty ? "REVIEW: defaulted when null" : "; REVIEW: defaulted when null"
                    line.confidence = min(line.confidence, 0.4)
                    plan[line.field.name] = line
                } else if line.field.required {
                    plan[line.field.name] = Line(
                        field: line.field, value: defaultValue(line.field), confidence: 0, sentence: line.sentence,
                        note: "REVIEW: required; could not convert \(line.sourceField ?? "the value the prose gives"), defaulted")
                    if !defaulted.contains(line.field.name) { defaulted.append(line.field.name) }
                } else {
                    plan[line.field.name] = nil
                    if let s = line.sentence {
                        unread[s + 1, default: []].append("\(line.field.name): the value read does not type-check (\(d.code.rawValue))")
                    }
                }
            }
            result = check(plan, key: key?.field, skips: skips, suggestions: suggestions, source: source, destination: destination)
        }

        let provenance = Provenance(
            generator: "offline", promptHash: SHA256.hex(source.qualifiedName + "\n" + destination.qualifiedName + "\n" + prose.body),
            rounds: 0,
            generatedAt: clock())
        var trace = TraceReport.build(result.file, sentenceCount: sentenceCount)
        trace.notImplemented = unread.keys.sorted().map { TraceReport.Unread(sentence: $0, reasons: unread[$0]!) }
        trace.flagged = plan.values.filter { $0.isFlagged }.map(\.field.name).sorted()
        return Result(
            mapping: MappingFinisher.finish(result.file, provenance: provenance), diagnostics: result.diagnostics,
            defaulted: defaulted.sorted(), trace: trace, suggestions: suggestions)
    }

    /// Rows of a pasted table (tab-separated or markdown) whose header names the destination's and the
    /// source's platform ("Mailchimp field | Salesforce field | Rule"): each row "D | S | note" is read as
    /// the statement "D = S, note". Rows of a table whose columns it cannot tell apart stay as they are
    /// (and are listed when nothing reads them).
    static func readTableRows(_ sentences: [String], source: Schema, destination: Schema) -> [String] {
        var out = sentences
        var columns: (d: Int, s: Int)?
        func names(_ platform: String) -> [String] {
            let p = platform.lowercased()
            return p == "salesforce" ? [p, "sfdc", "sf "] : p == "hubspot" ? [p, "hs "] : [p]
        }
        for (i, sentence) in sentences.enumerated() {
            guard SentenceSplitter.isTableRow(sentence) else {
                columns = nil
                continue
            }
            let cells = SentenceSplitter.tableCells(sentence)
            if cells.allSatisfy({ $0.allSatisfy { "-:| ".contains($0) } }) { continue }
            let lower = cells.map { $0.lowercased() + " " }
            var d = lower.firstIndex { c in names(destination.platform).contains { c.contains($0) } }
            var s = lower.firstIndex { c in names(source.platform).contains { c.contains($0) } }
            // "| Source field | Target field |", "| From | To | Notes |": a first row that names the sides generically.
            if columns == nil, d == nil || s == nil, let (gs, gd) = CopyListReader.genericHeader(lower) { (s, d) = (gs, gd) }
            if let d, let s, d != s {
                columns = (d, s)
                continue
            }
            guard let (dc, sc) = columns, dc < cells.count, sc < cells.count, !cells[dc].isEmpty else { continue }
            let value = cells[sc].trimmingCharacters(in: CharacterSet(charactersIn: "—–- "))
            let notes = cells.indices.filter { $0 != dc && $0 != sc }.map { cells[$0] }.filter { !$0.isEmpty }
            var text = cells[dc] + " = " + (value.isEmpty ? "" : value)
            if !notes.isEmpty { text += (value.isEmpty ? "" : ", ") + notes.joined(separator: ", ") }
            out[i] = text
        }
        return out
    }

    /// A sentence the reader could not read whole, read as two at a comma outside parentheses and quotes:
    /// the part before must read cleanly (a key or assignments); what the part after leaves unread stays
    /// listed. Nil when no comma gives that.
    static func readInTwo(_ sentence: String, reader: SentenceReader) -> SentenceOutcome? {
        let chars = Array(sentence)
        var depth = 0
        var quoted = false
        for (i, c) in chars.enumerated() {
            if c == "\"" { quoted.toggle() }
            if c == "(" { depth += 1 }
            if c == ")" { depth = max(0, depth - 1) }
            guard c == ",", depth == 0, !quoted, i + 1 < chars.count, chars[i + 1] == " " else { continue }
            let head = reader.read(String(chars[..<i]))
            guard head.unread.isEmpty, head.key != nil || !head.assignments.isEmpty, head.sameAs == nil, head.defaultForPrevious == nil,
                head.skips.isEmpty
            else { continue }
            let tail = reader.read(String(chars[(i + 2)...]))
            guard !tail.assignments.isEmpty, tail.key == nil, tail.sameAs == nil, tail.defaultForPrevious == nil else { continue }
            var o = head
            o.assignments += tail.assignments.filter { a in !head.assignments.contains { $0.field.name == a.field.name } }
            o.skips += tail.skips
            o.unread = tail.unread
            return o
        }
        return nil
    }

    /// Whether a pattern of a `match` (a quoted string before `=>`) holds words that describe a field
    /// rather than spell a value ("first two letters contact en gb", "Region text United States"): the
    /// lead-in of the sentence was taken for a value.
    static func patternTookLeadIn(_ value: String) -> Bool {
        let describing: Set<String> = [
            "first", "last", "letters", "letter", "characters", "character", "digits", "text", "word", "words", "part", "code",
            "contact", "member", "record", "their", "the", "of", "from", "region", "field", "property", "value", "case", "lower",
            "upper",
        ]
        for line in value.split(separator: "\n") where line.contains("=>") {
            let pattern = line.split(separator: "=>", maxSplits: 1)[0]
            guard pattern.contains("\"") else { continue }
            let words = pattern.split(whereSeparator: { !$0.isLetter }).map { $0.lowercased() }
            if words.count > 1, words.contains(where: describing.contains) { return true }
        }
        return false
    }

    /// "type translation:" (or "Status values:") followed by lines "Customer - Direct -> CUSTOMER": the
    /// rows are read as one sentence with the line that names the field, "type: A -> B, C -> D". Returns
    /// the sentences with each table's text in its label's place, and the indices of the rows it took.
    static func joinTables(_ sentences: [String], source: Schema, destination: Schema) -> ([String], Set<Int>) {
        var out = sentences
        var rows: Set<Int> = []
        var i = 0
        while i < sentences.count {
            var label = sentences[i].trimmingCharacters(in: .whitespaces)
            // "language: from the locale —" announces its rows with a dash as well as with a colon.
            if let last = label.last, "—–-".contains(last), label.dropLast().hasSuffix(" ") {
                label = label.dropLast().trimmingCharacters(in: .whitespaces) + ":"
            }
            guard label.hasSuffix(":") else {
                i += 1
                continue
            }
            let tokens = SentenceTokens(String(label.dropLast()), source: source, destination: destination).tokens.filter {
                !$0.isPunct(":")
            }
            let dests = tokens.filter { $0.destination != nil }
            let fillers: Set<String> = [
                "translation", "translations", "mapping", "mappings", "values", "value", "map", "as", "follows", "like", "this", "the",
                "table", "picklist", "is", "goes", "translated", "mapped", "from", "to",
            ]
            guard dests.count >= 1, dests.count <= 2,
                tokens.allSatisfy({ $0.destination != nil || $0.source != nil || fillers.contains($0.lower) || $0.isPunct("->") })
            else {
                i += 1
                continue
            }
            var j = i + 1
            var parts: [String] = []
            while j < sentences.count {
                let row = SentenceTokens(sentences[j], source: source, destination: destination).tokens
                guard let arrow = row.firstIndex(where: { $0.isPunct("->") }), arrow > 0, arrow + 1 < row.count,
                    !row.contains(where: { $0.destination != nil && $0.text == $0.destination?.name && $0.kind == .word })
                else { break }
                var text = sentences[j].trimmingCharacters(in: .whitespaces)
                while text.hasSuffix(",") || text.hasSuffix(";") || text.hasSuffix(".") { text.removeLast() }
                parts.append(text)
                j += 1
            }
            guard !parts.isEmpty else {
                i += 1
                continue
            }
            // The label without its filler words ("Rating mapping:" → "Rating:").
            var head = tokens.filter { !fillers.contains($0.lower) || $0.destination != nil || $0.source != nil }.map(\.text)
            // "language: from the locale —": the destination, then the field it comes from.
            if head.count == 2, let d = tokens.first(where: { $0.destination != nil }), d.source == nil,
                let s = tokens.last(where: { $0.source != nil && $0.destination == nil }), head == [d.text, s.text]
            {
                head = [d.text, "from", s.text]
            }
            out[i] = head.joined(separator: " ") + ": " + parts.joined(separator: ", ") + "."
            for r in (i + 1)..<j { rows.insert(r) }
            i = j
        }
        return (out, rows)
    }

    private func check(
        _ plan: [String: Line], key: Field?, skips: [(condition: String, sentence: Int?)], suggestions: [String], source: Schema,
        destination: Schema
    ) -> CheckResult {
        var text = "mapping \(MappingGrammar.objectName(source)) -> \(MappingGrammar.objectName(destination))\n"
        if let key, plan[key.name] != nil { text += "key \(name(key))\n" }
        for s in skips { text += "skip when \(s.condition)" + (s.sentence.map { "  # [S\($0 + 1)]" } ?? "") + "\n" }
        for line in plan.values.sorted(by: { $0.field.name < $1.field.name }) {
            text += "\(name(line.field)) = \(line.value)  # \(line.comment)\n"
        }
        if !suggestions.isEmpty {
            text += "\n# Not mapped: the prose does not name these fields. Name matches, for a reviewer to consider:\n"
            for s in suggestions { text += "#   \(s)\n" }
        }
        return Checker.check(SourceText(path: "offline.map", text: text), schemas: schemas)
    }

    private func name(_ f: Field) -> String { MappingGrammar.fieldName(f.name) }

    /// The expression that moves `s` into `d` for a name match: a copy with the type converted;
    /// nil when they cannot meet (picklists are never matched by name: their values need a translation).
    func valueExpression(from s: Field, to d: Field) -> String? {
        let sb = s.type.baseType
        if d.type == .picklist || d.type == .multipicklist {
            guard let sv = s.values, let dv = d.values, Set(sv).isSubset(of: Set(dv)) else { return nil }
            return name(s)
        }
        if d.type == .id && s.type != .id { return nil }
        guard OfflineExpr.convertible(sb, d) else { return nil }
        return OfflineExpr.convert(name(s), type: sb, from: s, to: d)
    }

    /// Whether a value of base type `b` can be stored in a field of type `t` without conversion.
    static func fits(_ b: BaseType, _ t: FieldType) -> Bool {
        switch (b, t) {
        case (.string, .string), (.string, .picklist), (.string, .multipicklist), (.string, .id): true
        case (.int, .int), (.int, .decimal), (.decimal, .decimal), (.bool, .bool), (.date, .date), (.date, .datetime),
            (.datetime, .datetime):
            true
        default: false
        }
    }

    /// A placeholder value of the field's type.
    func defaultValue(_ f: Field) -> String {
        switch f.type {
        case .picklist, .multipicklist: f.values.flatMap(\.first).map(Formatter.stringLiteral) ?? "\"Unknown\""
        case .string, .id: f.format == .email ? "\"unknown@example.com\"" : "\"Unknown\""
        case .int: "0"
        case .decimal: "0.0"
        case .bool: "false"
        case .date: "to_date(\"1970-01-01\")"
        case .datetime: "to_datetime(\"1970-01-01T00:00:00Z\")"
        }
    }
}
