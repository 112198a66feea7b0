import Foundation
import MapDSL

/// Reads the records ``StructuredProse`` finds: a row of a sheet becomes the statement the reader knows
/// ("D = S, note"), a YAML key the line "dest.path: value, comment", and a SQL item a rule of its own.
/// The column roles of a sheet come from its header's words (target / destination / field, source / from,
/// notes / rule / logic), or from the platforms' names.
struct StructuredReadings {
    let source: Schema
    let destination: Schema

    /// What the records of a document read as, by sentence index.
    struct Result {
        /// The text the reader reads for each sentence (the sentence itself when it is no record).
        var texts: [String]
        /// Rules read directly from a record (SQL items), in place of the reader.
        var direct: [Int: SentenceOutcome] = [:]
        /// Rows that must give a rule or be listed: a row that reads as nothing is not passed over.
        var rows: Set<Int> = []
        /// Headers, separators, parent keys: read as nothing, never listed.
        var frames: Set<Int> = []
        /// The destination field a row names in its destination cell or key.
        var rowFields: [Int: String] = [:]

        /// Why a row's outcome is listed: it gave nothing, or it gave a rule for a field other than the
        /// one its destination cell names.
        func unreadRow(_ index: Int, _ o: SentenceOutcome) -> [String] {
            guard rows.contains(index), direct[index] == nil else { return [] }
            var out: [String] = []
            if o.unread.isEmpty, o.assignments.isEmpty, o.skips.isEmpty, o.key == nil, o.sameAs == nil, o.defaultForPrevious == nil {
                out.append("a row it could not read")
            }
            if let f = rowFields[index] {
                for a in o.assignments where a.field.name != f {
                    out.append("\(a.field.name): the row names \(f), not this field")
                }
            }
            return out
        }
    }

    /// The readings of `prose`'s records; the sentences unchanged when the document has none.
    static func read(_ prose: ProseDocument, source: Schema, destination: Schema, schemas: SchemaProvider? = nil) -> Result {
        var result = Result(texts: prose.sentences)
        let segments = StructuredProse.segments(prose.body)
        let reader = StructuredReadings(source: source, destination: destination)
        // "Closed leads are excluded (WHERE Status <> 'Closed')": a SQL condition in an aside says which rows stay.
        for (i, sentence) in prose.sentences.enumerated() {
            if let o = reader.whereAside(sentence) {
                result.direct[i] = o
                result.texts[i] = ""
            }
        }
        guard segments.contains(where: { if case .record = $0 { true } else { false } }) else { return result }
        var index = 0
        var planned: [(Int, StructuredProse.Record)] = []
        for s in segments {
            switch s {
            case .prose(let p): index += SentenceSplitter.splitProse(p).count
            case .record(let r):
                planned.append((index, r))
                index += 1
            }
        }
        guard index == prose.sentences.count else { return result }
        for (i, r) in planned {
            if r.isFrame {
                // A table's header stays: the generator's own table rows read it.
                result.frames.insert(i)
                if r.layout != .table { result.texts[i] = "" }
                continue
            }
            switch r.layout {
            case .table:
                if let schemas, let o = reader.rowLookup(r, schemas: schemas) {
                    // The row stays a table row: the generator's table reader keeps its columns across it.
                    result.direct[i] = o
                    result.rows.insert(i)
                    continue
                }
                // A table the reader already reads (both sides' columns named) stays as it is.
                guard let text = reader.rowText(r) else { continue }
                result.rowFields[i] = reader.rowDestination(r)?.name
                result.texts[i] = text
                result.rows.insert(i)
            case .csv, .columns, .pipes:
                if let schemas, let o = reader.rowLookup(r, schemas: schemas) {
                    result.direct[i] = o
                    result.texts[i] = ""
                    result.rows.insert(i)
                    continue
                }
                result.texts[i] = reader.rowText(r) ?? r.sentence
                result.rowFields[i] = reader.rowDestination(r)?.name
                result.rows.insert(i)
            case .yaml:
                result.texts[i] = reader.yamlText(r)
                result.rowFields[i] = reader.destinationField(r.key)?.name
                result.rows.insert(i)
            case .sql:
                result.rows.insert(i)
                if let o = reader.sqlOutcome(r) {
                    result.direct[i] = o
                    result.texts[i] = ""
                } else {
                    result.texts[i] = r.key.isEmpty ? r.sentence : "\(r.key) = \(r.value)"
                }
            }
        }
        return result
    }

    // MARK: Rows of sheets

    enum Role { case destination, source, note }

    private static func words(_ s: String) -> [String] {
        s.lowercased().split(whereSeparator: { !$0.isLetter }).map(String.init)
    }

    private func platformNames(_ p: String) -> Set<String> {
        let l = p.lowercased()
        switch l {
        case "salesforce": return [l, "sfdc", "sf"]
        case "hubspot": return [l, "hs"]
        case "mailchimp": return [l, "mc"]
        case "ga4": return [l, "ga", "analytics"]
        default: return [l]
        }
    }

    /// The role of each header cell, from its words: source words, note words, destination words, or a
    /// platform's name. Nil unless exactly one column is the destination's and at most one the source's.
    func roles(_ header: [String]) -> [Role?]? {
        let sourceWords: Set<String> = ["source", "from", "origin", "input", "comes", "sourced", "src"]
        let noteWords: Set<String> = [
            "note", "notes", "rule", "rules", "logic", "transform", "transformation", "transforms", "comment", "comments", "how",
            "what", "details", "remarks", "mapping", "treatment", "handling", "conversion", "explanation", "value", "values",
        ]
        let destWords: Set<String> = [
            "target", "destination", "to", "dest", "field", "fields", "property", "properties", "column", "attribute", "trait",
            "key",
        ]
        let samePlatform = source.platform.lowercased() == destination.platform.lowercased()
        let roles: [Role?] = header.map { cell in
            let w = Set(Self.words(cell))
            if !w.isDisjoint(with: sourceWords) { return .source }
            if !w.isDisjoint(with: noteWords) { return .note }
            if !samePlatform, !w.isDisjoint(with: platformNames(source.platform)) { return .source }
            if !w.isDisjoint(with: destWords) || !samePlatform && !w.isDisjoint(with: platformNames(destination.platform)) {
                return .destination
            }
            return nil
        }
        guard roles.filter({ $0 == .destination }).count == 1, roles.filter({ $0 == .source }).count <= 1 else { return nil }
        return roles
    }

    /// The destination field a cell names (its name or label; any case).
    func destinationField(_ cell: String) -> Field? { Self.field(cell, in: destination) }

    /// The source field a cell names (its name, label, or the last part of a dotted name; any case).
    func sourceField(_ cell: String) -> Field? {
        if let f = Self.field(cell, in: source) { return f }
        let l = cell.trimmingCharacters(in: CharacterSet(charactersIn: "`*\" ")).lowercased()
        let last = source.fields.filter { $0.name.split(separator: ".").last?.lowercased() == l }
        return last.count == 1 ? last[0] : nil
    }

    private static func field(_ cell: String, in schema: Schema) -> Field? {
        let c = cell.trimmingCharacters(in: CharacterSet(charactersIn: "`*\" "))
        if let f = schema.field(c) { return f }
        let l = c.lowercased()
        if let f = schema.fields.first(where: { $0.name.lowercased() == l }) { return f }
        let labelled = schema.fields.filter { $0.label?.lowercased() == l }
        return labelled.count == 1 ? labelled[0] : nil
    }

    static let emptyCells: Set<String> = ["", "-", "—", "–", "n/a", "na", "none", "(none)", "—", "(n/a)", "(constant)", "(fixed)"]

    /// A row of a sheet as the statement "D = S, note"; nil for a table whose columns the header does not tell.
    func rowText(_ r: StructuredProse.Record) -> String? {
        var roles: [Role?]
        if let h = r.header, let found = self.roles(h), h.count == r.cells.count {
            roles = found
        } else if r.layout != .table, r.cells.count == 2, destinationField(r.cells[0]) != nil || r.cells[0].hasPrefix("(") {
            roles = [.destination, .note]
        } else {
            return nil
        }
        // Cells no header word names are notes.
        roles = roles.map { $0 ?? .note }
        guard let dc = roles.firstIndex(of: .destination) else { return nil }
        let d = r.cells[dc]
        let sc = roles.firstIndex(of: .source)
        // A table whose header names both sides is read by the generator's own table rows.
        if r.layout == .table, sc != nil { return nil }
        let s = sc.map { r.cells[$0] }.flatMap { Self.emptyCells.contains($0.lowercased()) ? nil : $0 }
        let notes = r.cells.indices.filter { roles[$0] == .note }.map { r.cells[$0] }.filter { !$0.isEmpty }
        return statement(destination: d, source: s, notes: notes)
    }

    /// A row whose note looks a record up with the source column's value: "Id of the Salesforce Account
    /// whose Name is the company (trimmed); empty when there is no such account or more than one" beside
    /// `merge_fields.COMPANY`. The value phrase must be the source column's own name (or label) in words;
    /// "empty when none or several match" is what a lookup gives anyway. Other clauses are listed.
    func rowLookup(_ r: StructuredProse.Record, schemas: SchemaProvider) -> SentenceOutcome? {
        guard let h = r.header, h.count == r.cells.count, let roles = roles(h)?.map({ $0 ?? .note }),
            let dc = roles.firstIndex(of: .destination), let sc = roles.firstIndex(of: .source),
            let d = destinationField(r.cells[dc]),
            let s = sourceField(r.cells[sc])
        else { return nil }
        let clauses = r.cells.indices.filter { roles[$0] == .note }.flatMap { r.cells[$0].components(separatedBy: "; ") }
            .map { $0.trimmingCharacters(in: CharacterSet(charactersIn: " .")) }.filter { !$0.isEmpty }
        let pattern = try! NSRegularExpression(
            pattern: #"^(?:the )?([A-Za-z_]\w*) of the (.+?) whose (.+?) (?:is|equals|matches|=) (?:the )?(.+?)$"#,
            options: [.caseInsensitive])
        var text: String?
        var unread: [String] = []
        for c in clauses {
            let ns = c as NSString
            if text == nil, let m = pattern.firstMatch(in: c, range: NSRange(location: 0, length: ns.length)) {
                let g = (1...4).map { ns.substring(with: m.range(at: $0)) }
                let objects = Generator.lookupObjects(source: source, destination: destination, schemas: schemas)
                guard let objectWord = Self.words(g[1]).last,
                    let target = objects.first(where: {
                        $0.object.lowercased() == objectWord && $0.qualifiedName != destination.qualifiedName
                    }),
                    let member = target.field(g[0]) ?? target.fields.first(where: { $0.name.lowercased() == g[0].lowercased() }),
                    let condition = target.field(g[2])
                        ?? target.fields.first(where: {
                            $0.label?.lowercased() == g[2].lowercased() || $0.name.lowercased() == g[2].lowercased()
                        })
                else { return nil }
                var phrase = g[3]
                let trimmed = phrase.range(of: #"\btrimmed\b"#, options: [.regularExpression, .caseInsensitive]) != nil
                phrase = phrase.replacingOccurrences(of: #"\(?\btrimmed\b\)?"#, with: "", options: [.regularExpression, .caseInsensitive])
                let own = Set(Self.words(s.name) + Self.words(s.label ?? ""))
                let said = Self.words(phrase).filter { !["value", "field", "column", "of", "the", "its", "their", "source"].contains($0) }
                guard !said.isEmpty, said.allSatisfy(own.contains), OfflineExpr.convertible(member.type.baseType, d),
                    ValueType.unify(condition.valueType, s.valueType) != nil
                else { return nil }
                let value = trimmed && s.type.baseType == .string ? "trim(\(OfflineExpr.field(s)))" : OfflineExpr.field(s)
                text =
                    "lookup(\(MappingGrammar.objectName(target)), \(MappingGrammar.fieldName(condition.name)) == \(value))?.\(MappingGrammar.fieldName(member.name))"
                continue
            }
            if c.range(
                of: #"^(empty|null|blank|nothing|no value|left empty)( when| if)( there is)? (no|none)\b.*$"#,
                options: [.regularExpression, .caseInsensitive])
                != nil
            {
                continue
            }
            unread.append("a note it could not read: \(c)")
        }
        guard let text else { return nil }
        var o = SentenceOutcome()
        o.assignments = [.init(field: d, value: ReadValue(text: text, kind: .lookup), confidence: 0.85, note: "lookup from prose")]
        o.unread = unread
        o.namesDestination = true
        return o
    }

    /// The destination field a row's destination cell names, by its header's roles (or the first of two cells).
    func rowDestination(_ r: StructuredProse.Record) -> Field? {
        if let h = r.header, h.count == r.cells.count, let dc = roles(h)?.firstIndex(of: .destination) {
            return destinationField(r.cells[dc])
        }
        return r.cells.count == 2 ? destinationField(r.cells[0]) : nil
    }

    /// Whether a destination cell names no field but the rows to take ("(filter)", "(which members)", "skip").
    static func isFilterCell(_ d: String) -> Bool {
        let t = d.trimmingCharacters(in: .whitespaces).lowercased()
        if t.isEmpty || t.hasPrefix("(") && t.hasSuffix(")") { return true }
        return ["filter", "skip", "skips", "filters", "condition", "which records", "rows"].contains(t)
    }

    /// "D = S, notes" with the notes that only say "copy" or "this is the key" left out, a constant
    /// ("fixed: X", "always X") written as one, and a prefix ("P in front of …") written as `"P" + S`.
    func statement(destination d: String, source s: String?, notes: [String]) -> String {
        if Self.isFilterCell(d) {
            let text = notes.joined(separator: "; ")
            guard let s else { return text }
            return Self.words(text).contains(where: { Self.words(s).contains($0) }) ? text : "\(s): \(text)"
        }
        // "Rating <member_rating>/5": a template whose placeholders name source fields.
        if s == nil, notes.count == 1, let t = template(notes[0]) { return d + " = " + t }
        var clauses: [String] = []
        var value = s
        for note in notes {
            for clause in Self.clauses(note) {
                if Self.isCopyClause(clause) || Self.isKeyClause(clause) { continue }
                if s == nil, let c = Self.constant(clause) {
                    value = c
                    continue
                }
                if let s, let p = Self.prefix(clause) {
                    value = Formatter.stringLiteral(p) + " + " + s
                    continue
                }
                clauses.append(clause)
            }
        }
        var text = d + " = " + (value ?? "")
        if !clauses.isEmpty { text += (value == nil ? "" : ", ") + clauses.joined(separator: "; ") }
        return text
    }

    /// A note's clauses: split at "; " and with "(key)"-like asides and a trailing ", unchanged" taken out.
    static func clauses(_ note: String) -> [String] {
        var n = note
        n = n.replacingOccurrences(
            of: #"\s*\((?:the |our )?(?:upsert |dedupe? |primary |match |matching |unique )?key\)"#, with: "",
            options: [.regularExpression, .caseInsensitive])
        n = n.replacingOccurrences(
            of: #",\s*(?:unchanged|as is|as-is|no change)\s*$"#, with: "", options: [.regularExpression, .caseInsensitive])
        return n.components(separatedBy: "; ").map { $0.trimmingCharacters(in: CharacterSet(charactersIn: " .")) }.filter { !$0.isEmpty }
    }

    static func isCopyClause(_ c: String) -> Bool {
        c.range(
            of:
                #"^(no change|no changes|unchanged|as is|as-is|copy|copied|copy as is|straight copy|straight across|same|same value|direct|direct copy|1:1|one to one|pass through|passthrough|verbatim)$"#,
            options: [.regularExpression, .caseInsensitive]) != nil
    }

    static func isKeyClause(_ c: String) -> Bool {
        c.range(
            of:
                #"^(this is |it is |it's |used as |use as )?(the |our )?((upsert|dedupe?|primary|match|matching|unique|external|record) )?key( field)?$"#,
            options: [.regularExpression, .caseInsensitive]) != nil
    }

    /// "fixed: Web", "always Open - Not Contacted", "constant: false": the value written as a constant.
    static func constant(_ c: String) -> String? {
        let ns = c as NSString
        guard
            let m = try! NSRegularExpression(
                pattern: #"^(?:fixed|always|constant|static|hard-?coded|set to|literal|fixed value)\s*(?::|=)?\s+(.+)$"#,
                options: [.caseInsensitive]
            ).firstMatch(in: c, range: NSRange(location: 0, length: ns.length))
        else { return nil }
        let v = ns.substring(with: m.range(at: 1)).trimmingCharacters(in: .whitespaces)
        if v.hasPrefix("\"") && v.hasSuffix("\"") && v.count > 1 { return v }
        if ["true", "false"].contains(v.lowercased()) || Double(v) != nil { return v.lowercased() }
        // Words of a sentence ("when…", "if…") are no constant.
        if Self.words(v).contains(where: { ["if", "when", "unless", "for", "else", "otherwise"].contains($0) }) { return nil }
        return "always " + Formatter.stringLiteral(v)
    }

    /// "mc- in front of the member id", "prefix sf-", "prefixed with "hs-"": the prefix.
    static func prefix(_ c: String) -> String? {
        let patterns = [
            #"^"?([^\s"]+)"? (?:in front of|prepended to|put before|before)\b.*$"#,
            #"^(?:add |with )?(?:the )?prefix(?:ed)?(?: with| by)?:? "?([^\s"]+)"?$"#,
        ]
        for p in patterns {
            let ns = c as NSString
            if let m = try! NSRegularExpression(pattern: p, options: [.caseInsensitive]).firstMatch(
                in: c, range: NSRange(location: 0, length: ns.length))
            {
                return ns.substring(with: m.range(at: 1))
            }
        }
        return nil
    }

    /// A text with placeholders that name source fields (`<id>`, `{id}`, `{{id}}`, `${id}`) as a
    /// concatenation: `"mc-" + id`. An example in parentheses after it ("(e.g. "mc-42")") is left out.
    /// Nil unless every placeholder names a source field and some text stays around them.
    func template(_ text: String) -> String? {
        var t = text.replacingOccurrences(
            of: #"\s*\((?:e\.g\.|eg|for example|example:?)[^)]*\)\s*$"#, with: "", options: [.regularExpression, .caseInsensitive]
        ).trimmingCharacters(in: .whitespaces)
        if t.count > 1, t.hasPrefix("\""), t.hasSuffix("\""), !t.dropFirst().dropLast().contains("\"") {
            t = String(t.dropFirst().dropLast())
        }
        if t.hasPrefix("`"), t.hasSuffix("`"), t.count > 1 { t = String(t.dropFirst().dropLast()) }
        guard !t.contains("\"") else { return nil }
        let regex = try! NSRegularExpression(
            pattern: #"\$\{\s*([A-Za-z_][\w.]*)\s*\}|\{\{\s*([A-Za-z_][\w.]*)\s*\}\}|\{([A-Za-z_][\w.]*)\}|<([A-Za-z_][\w.]*)>"#)
        let ns = t as NSString
        let matches = regex.matches(in: t, range: NSRange(location: 0, length: ns.length))
        guard !matches.isEmpty else { return nil }
        var parts: [String] = []
        var at = 0
        for m in matches {
            let name = (1...4).map { m.range(at: $0) }.first { $0.location != NSNotFound }.map(ns.substring(with:)) ?? ""
            guard let f = source.field(name) ?? source.fields.first(where: { $0.name.lowercased() == name.lowercased() }) else {
                return nil
            }
            if m.range.location > at {
                parts.append(Formatter.stringLiteral(ns.substring(with: NSRange(location: at, length: m.range.location - at))))
            }
            parts.append(OfflineExpr.field(f))
            at = m.range.location + m.range.length
        }
        if at < ns.length { parts.append(Formatter.stringLiteral(ns.substring(from: at))) }
        guard parts.contains(where: { $0.hasPrefix("\"") }) else { return nil }
        return parts.joined(separator: " + ")
    }

    // MARK: YAML

    /// "dest.path: value, comment" with comments that only name the key left out.
    func yamlText(_ r: StructuredProse.Record) -> String {
        var notes: [String] = []
        for c in r.comments {
            let kept = Self.clauses(c).filter { !Self.isKeyClause($0) && !Self.isCopyClause($0) && !Self.isKeyComment($0) }
            notes += kept
        }
        var text = r.key + ": " + (template(r.value) ?? r.value)
        if !notes.isEmpty { text += ", " + notes.joined(separator: "; ") }
        return text
    }

    /// "dedup key", "dedupe key", "upsert key": a comment that only says the field is the key.
    static func isKeyComment(_ c: String) -> Bool {
        c.range(
            of: #"^(the )?(dedup|dedupe|upsert|primary|idempotency|unique|match(ing)?) key$"#,
            options: [.regularExpression, .caseInsensitive])
            != nil
    }

    // MARK: SQL

    /// A sentence that speaks of leaving records out and restates it as a SQL condition in parentheses,
    /// "(WHERE Status <> 'Closed')": the skip of the condition's negation (`WHERE` keeps the rows it
    /// matches). Nil when the condition does not read whole.
    func whereAside(_ sentence: String) -> SentenceOutcome? {
        guard let r = sentence.range(of: #"\(\s*WHERE\s+[^()]*(\([^()]*\)[^()]*)*\)"#, options: [.regularExpression, .caseInsensitive]),
            HonestyGuard.speaksOfLeavingOut(sentence)
        else { return nil }
        var cond = String(sentence[r].dropFirst().dropLast()).trimmingCharacters(in: .whitespaces)
        cond = String(cond.dropFirst(5))
        var p = SQLExpression(text: cond, source: source)
        guard let c = p.condition(), p.atEnd else { return nil }
        var o = SentenceOutcome()
        o.skips = [(SQLExpression.negate(c), 0.9)]
        return o
    }

    /// A SQL item read as a rule, a `WHERE` clause as a skip; nil when the expression or a field in it cannot be read.
    func sqlOutcome(_ r: StructuredProse.Record) -> SentenceOutcome? {
        var o = SentenceOutcome()
        if let cond = r.condition {
            var p = SQLExpression(text: cond, source: source)
            guard let c = p.condition(), p.atEnd else { return nil }
            o.skips = [(SQLExpression.negate(c), 0.9)]
            o.unread = unreadComments(r.comments, joinable: false).unread
            return o
        }
        guard !r.key.isEmpty, let d = destinationField(r.key) else { return nil }
        var p = SQLExpression(text: r.value, source: source)
        guard var e = p.expression(), p.atEnd else { return nil }
        let (unread, key, join) = unreadComments(r.comments, joinable: true)
        if join {
            guard let joined = SQLExpression.join(p.concatParts) else { return nil }
            e = .init(text: joined, atomic: true, field: nil)
        }
        var value = e.text
        if let f = e.field, let s = source.field(f) {
            value = OfflineExpr.convert(value, type: s.type.baseType, from: s, to: d)
        }
        o.assignments = [
            .init(
                field: d, value: ReadValue(text: value, kind: e.field != nil ? .copy : .chain, sourceField: e.field), confidence: 0.9,
                note: "named in prose (SQL)")
        ]
        if key { o.key = d }
        o.unread = unread
        o.namesDestination = true
        return o
    }

    /// The comments' clauses that say more than the rule: listed. A comment that names the key, one that
    /// explains ("i.e. …", "e.g. …"), or (for a concatenation) one that leaves a separator out when a
    /// part is missing is accounted for.
    func unreadComments(_ comments: [String], joinable: Bool) -> (unread: [String], key: Bool, join: Bool) {
        var unread: [String] = []
        var key = false
        var join = false
        for c in comments {
            let t = c.trimmingCharacters(in: .whitespaces).lowercased()
            if Self.isKeyComment(t) || Self.isKeyClause(t) {
                key = true
                continue
            }
            if t.hasPrefix("i.e.") || t.hasPrefix("e.g.") || t.hasPrefix("ie ") || t.hasPrefix("eg ") { continue }
            if joinable,
                t.range(
                    of:
                        #"^(skip|drop|leave out|omit|no|without)( the)? (space|separator|comma|dash|hyphen)s? (if|when) .*(no|missing|empty|blank|null)"#,
                    options: .regularExpression) != nil
            {
                join = true
                continue
            }
            unread.append("a comment it could not read: \(c)")
        }
        return (unread, key, join)
    }
}

/// A small reader of SQL expressions into the mapping language: fields, 'text', numbers, `||`,
/// LOWER/UPPER/TRIM/COALESCE/NULLIF(x, '')/CONCAT, `CASE WHEN … THEN … ELSE … END` and
/// `CASE x WHEN 'a' THEN … END`; conditions with =, <>, <, >, IS [NOT] NULL, IN, AND, OR, NOT.
struct SQLExpression {
    struct Value {
        var text: String
        /// Needs no parentheses inside a larger expression.
        var atomic: Bool
        /// The source field when the value is the field itself, perhaps re-cased or trimmed.
        var field: String?
    }

    enum Token: Equatable {
        case word(String), string(String), number(String), op(String)
    }

    let source: Schema
    private var tokens: [Token] = []
    private var at = 0
    /// The parts of the last top-level `||` chain read.
    private(set) var concatParts: [Value] = []

    init(text: String, source: Schema) {
        self.source = source
        tokens = Self.tokenize(text)
    }

    var atEnd: Bool { at == tokens.count }

    static func tokenize(_ text: String) -> [Token] {
        var out: [Token] = []
        let c = Array(text)
        var k = 0
        while k < c.count {
            let ch = c[k]
            if ch.isWhitespace {
                k += 1
            } else if ch == "'" {
                var s = ""
                k += 1
                while k < c.count {
                    if c[k] == "'" {
                        if k + 1 < c.count, c[k + 1] == "'" {
                            s.append("'")
                            k += 2
                            continue
                        }
                        break
                    }
                    s.append(c[k])
                    k += 1
                }
                k += 1
                out.append(.string(s))
            } else if ch == "\"" {
                var s = ""
                k += 1
                while k < c.count, c[k] != "\"" {
                    s.append(c[k])
                    k += 1
                }
                k += 1
                out.append(.word(s))
            } else if ch.isNumber {
                var s = ""
                while k < c.count, c[k].isNumber || c[k] == "." {
                    s.append(c[k])
                    k += 1
                }
                out.append(.number(s))
            } else if ch.isLetter || ch == "_" {
                var s = ""
                while k < c.count, c[k].isLetter || c[k].isNumber || c[k] == "_" || c[k] == "." {
                    s.append(c[k])
                    k += 1
                }
                out.append(.word(s))
            } else {
                let two = k + 1 < c.count ? String([ch, c[k + 1]]) : ""
                if ["||", "<>", "!=", "<=", ">="].contains(two) {
                    out.append(.op(two))
                    k += 2
                } else {
                    out.append(.op(String(ch)))
                    k += 1
                }
            }
        }
        return out
    }

    private func peekWord(_ w: String) -> Bool {
        if at < tokens.count, case .word(let x) = tokens[at], x.uppercased() == w { return true }
        return false
    }

    private func peekOp(_ o: String) -> Bool { at < tokens.count && tokens[at] == .op(o) }

    private mutating func word(_ w: String) -> Bool {
        guard peekWord(w) else { return false }
        at += 1
        return true
    }

    private mutating func op(_ o: String) -> Bool {
        guard peekOp(o) else { return false }
        at += 1
        return true
    }

    private static let keywords: Set<String> = [
        "CASE", "WHEN", "THEN", "ELSE", "END", "AND", "OR", "NOT", "IS", "NULL", "IN", "AS", "TRUE", "FALSE", "LIKE",
    ]

    /// An expression: parts joined by `||` (rendered with `+`).
    mutating func expression() -> Value? {
        guard let first = primary() else { return nil }
        var parts = [first]
        while op("||") {
            guard let next = primary() else { return nil }
            parts.append(next)
        }
        concatParts = parts
        if parts.count == 1 { return first }
        return Value(text: parts.map { $0.atomic ? $0.text : "(\($0.text))" }.joined(separator: " + "), atomic: false, field: nil)
    }

    /// `join(sep, a, b, …)` for parts that alternate fields and one separator literal.
    static func join(_ parts: [Value]) -> String? {
        guard parts.count >= 3, parts.count % 2 == 1 else { return nil }
        let seps = stride(from: 1, to: parts.count, by: 2).map { parts[$0].text }
        let fields = stride(from: 0, to: parts.count, by: 2).map { parts[$0] }
        guard let sep = seps.first, sep.hasPrefix("\""), seps.allSatisfy({ $0 == sep }), fields.allSatisfy({ $0.field != nil })
        else { return nil }
        return "join(\(sep), " + fields.map(\.text).joined(separator: ", ") + ")"
    }

    private func field(_ name: String) -> Field? {
        source.field(name) ?? source.fields.first { $0.name.lowercased() == name.lowercased() }
    }

    private mutating func primary() -> Value? {
        guard at < tokens.count else { return nil }
        let t = tokens[at]
        switch t {
        case .string(let s):
            at += 1
            return Value(text: Formatter.stringLiteral(s), atomic: true, field: nil)
        case .number(let n):
            at += 1
            return Value(text: n, atomic: true, field: nil)
        case .op("("):
            at += 1
            guard let v = expression(), op(")") else { return nil }
            return Value(text: v.text, atomic: v.atomic, field: v.field)
        case .op("-"):
            at += 1
            guard at < tokens.count, case .number(let n) = tokens[at] else { return nil }
            at += 1
            return Value(text: "-" + n, atomic: true, field: nil)
        case .word(let w):
            let u = w.uppercased()
            if u == "NULL" {
                at += 1
                return Value(text: "null", atomic: true, field: nil)
            }
            if u == "TRUE" || u == "FALSE" {
                at += 1
                return Value(text: u.lowercased(), atomic: true, field: nil)
            }
            if u == "CASE" {
                at += 1
                return caseExpression()
            }
            if Self.keywords.contains(u) { return nil }
            at += 1
            if op("(") { return call(u) }
            guard let f = field(w) else { return nil }
            return Value(text: OfflineExpr.field(f), atomic: true, field: f.name)
        default: return nil
        }
    }

    private mutating func arguments() -> [Value]? {
        var args: [Value] = []
        if op(")") { return args }
        repeat {
            guard let v = expression() else { return nil }
            args.append(v)
        } while op(",")
        return op(")") ? args : nil
    }

    private mutating func call(_ name: String) -> Value? {
        guard let args = arguments() else { return nil }
        switch (name, args.count) {
        case ("LOWER", 1), ("UPPER", 1), ("TRIM", 1):
            return Value(text: "\(name.lowercased())(\(args[0].text))", atomic: true, field: args[0].field)
        case ("COALESCE", 2...), ("IFNULL", 2), ("NVL", 2):
            return Value(text: args.map { $0.atomic ? $0.text : "(\($0.text))" }.joined(separator: " ?? "), atomic: false, field: nil)
        case ("NULLIF", 2) where args[1].text == "\"\"":
            return Value(text: "null_if_blank(\(args[0].text))", atomic: true, field: nil)
        case ("CONCAT", 2...):
            return Value(text: args.map { $0.atomic ? $0.text : "(\($0.text))" }.joined(separator: " + "), atomic: false, field: nil)
        case ("LEFT", 2):
            return Value(text: "left(\(args[0].text), \(args[1].text))", atomic: true, field: nil)
        default: return nil
        }
    }

    private mutating func caseExpression() -> Value? {
        if peekWord("WHEN") {
            var arms: [(String, String)] = []
            while word("WHEN") {
                guard let c = condition(), word("THEN"), let v = expression() else { return nil }
                arms.append((c, v.text))
            }
            var otherwise = "null"
            if word("ELSE") {
                guard let v = expression() else { return nil }
                otherwise = v.text
            }
            guard word("END"), !arms.isEmpty else { return nil }
            var text = otherwise
            for (c, v) in arms.reversed() { text = "if \(c) then \(v) else \(text)" }
            return Value(text: text, atomic: false, field: nil)
        }
        guard let subject = expression() else { return nil }
        var arms: [(String, String)] = []
        while word("WHEN") {
            guard let pattern = primary(), word("THEN"), let v = expression() else { return nil }
            arms.append((pattern.text, v.text))
        }
        var otherwise = "null"
        if word("ELSE") {
            guard let v = expression() else { return nil }
            otherwise = v.text
        }
        guard word("END"), !arms.isEmpty else { return nil }
        let lines = arms.map { "    \($0.0) => \($0.1)" } + ["    _ => \(otherwise)"]
        return Value(text: "match \(subject.text) {\n" + lines.joined(separator: "\n") + "\n}", atomic: false, field: nil)
    }

    /// A condition: comparisons joined by AND and OR, NOT, IS [NOT] NULL, IN (…).
    mutating func condition() -> String? {
        guard var left = conjunction() else { return nil }
        while word("OR") {
            guard let right = conjunction() else { return nil }
            left = "\(left) or \(right)"
        }
        return left
    }

    private mutating func conjunction() -> String? {
        guard var left = negation() else { return nil }
        while word("AND") {
            guard let right = negation() else { return nil }
            left = "\(left) and \(right)"
        }
        return left
    }

    private mutating func negation() -> String? {
        if word("NOT") {
            guard let c = negation() else { return nil }
            return "not (\(c))"
        }
        return comparison()
    }

    private mutating func comparison() -> String? {
        if peekOp("(") {
            let save = at
            at += 1
            if let c = condition(), op(")") { return "(\(c))" }
            at = save
        }
        guard let left = expression() else { return nil }
        let l = left.atomic ? left.text : "(\(left.text))"
        if word("IS") {
            let not = word("NOT")
            guard word("NULL") else { return nil }
            return "\(l) \(not ? "!=" : "==") null"
        }
        if word("NOT") {
            guard word("IN"), op("("), let list = arguments(), !list.isEmpty else { return nil }
            return list.map { "\(l) != \($0.text)" }.joined(separator: " and ")
        }
        if word("IN") {
            guard op("("), let list = arguments(), !list.isEmpty else { return nil }
            return "(" + list.map { "\(l) == \($0.text)" }.joined(separator: " or ") + ")"
        }
        let ops = ["=": "==", "<>": "!=", "!=": "!=", "<": "<", ">": ">", "<=": "<=", ">=": ">="]
        guard at < tokens.count, case .op(let o) = tokens[at], let dsl = ops[o] else { return nil }
        at += 1
        guard let right = expression() else { return nil }
        return "\(l) \(dsl) \(right.atomic ? right.text : "(\(right.text))")"
    }

    /// The negation of a condition, for a `WHERE` that says which rows to keep.
    static func negate(_ c: String) -> String {
        for (a, b) in [(" == ", " != "), (" != ", " == ")] where c.components(separatedBy: a).count == 2 {
            if !c.contains(" and ") && !c.contains(" or ") && !c.hasPrefix("(") && !c.hasPrefix("not ") {
                return c.replacingOccurrences(of: a, with: b)
            }
        }
        return "not (\(c))"
    }
}
