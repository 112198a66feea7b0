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
        /// Which sentences each rule cites.
        public var trace: TraceReport
    }

    /// One planned assignment.
    struct Line {
        var field: Field
        var value: String
        var confidence: Double
        var sentence: Int?
        var note: String
        var sourceField: String?

        var comment: String {
            var c = String(format: "confidence %.2f", confidence)
            if let s = sentence { c = "[S\(s + 1)] " + c }
            return note.isEmpty ? c : c + ", " + note
        }
    }

    /// Generates a mapping for `prose` from `source` to `destination`.
    public func generate(prose: ProseDocument, source: Schema, destination: Schema) -> Result {
        let readings = prose.sentences.enumerated().map {
            SentenceReading(index: $0.offset, text: $0.element, source: source, destination: destination)
        }
        var lines: [String: Line] = [:]
        var key: (field: Field, sentence: Int?)?
        var skips: [(condition: String, sentence: Int?)] = []

        for r in readings {
            let lower = r.lowered
            // Key.
            if key == nil, ["key", "upsert", "matching", "match on", "dedup", "identif"].contains(where: { lower.contains($0) }),
                let k = r.destinations.first(where: { $0.field.canBeKey })
            {
                key = (k.field, r.index)
            }
            // Skip rules.
            if lower.hasPrefix("skip") || lower.hasPrefix("ignore") || lower.hasPrefix("drop") {
                for s in r.sources {
                    let cond = s.field.type == .bool ? "\(name(s.field)) == true" : "blank(\(name(s.field)))"
                    if !skips.contains(where: { $0.condition == cond }) { skips.append((cond, r.index)) }
                }
                continue
            }
            // Lookups.
            if lower.contains("look up") || lower.contains("looking up") || lower.contains("lookup"),
                let line = lookupLine(r, source: source, destination: destination)
            {
                lines[line.field.name] = line
                continue
            }
            // Constants.
            if r.sources.isEmpty, r.destinations.count == 1, let q = r.quoted.first {
                let d = r.destinations[0].field
                if lines[d.name] == nil, let lit = constant(q, for: d) {
                    lines[d.name] = Line(field: d, value: lit, confidence: 0.9, sentence: r.index, note: "constant from prose")
                }
                continue
            }
            // Pairs named in the prose.
            for (d, s) in pairs(r) where lines[d.name] == nil {
                guard let value = valueExpression(from: s, to: d, reading: r) else { continue }
                let similar = Vocabulary.nameSimilarity(s.name, d.name) >= 0.5
                lines[d.name] = Line(
                    field: d, value: value, confidence: similar ? 0.95 : 0.85, sentence: r.index, note: "named in prose",
                    sourceField: s.name)
            }
        }

        // Name and synonym matches for fields the prose did not cover.
        let used = Set(lines.values.compactMap(\.sourceField))
        for d in destination.fields where !d.readOnly && lines[d.name] == nil && d.type != .picklist && d.type != .multipicklist {
            let ranked = source.fields.map { ($0, Vocabulary.score($0, d) - (used.contains($0.name) ? 0.05 : 0)) }
                .filter { $0.1 >= threshold }.sorted { $0.1 > $1.1 }
            guard let (s, score) = ranked.first, let value = valueExpression(from: s, to: d, reading: nil) else { continue }
            lines[d.name] = Line(
                field: d, value: value, confidence: min(score, 0.95), sentence: mentionSentence(s, d, readings), note: "name match",
                sourceField: s.name)
        }

        // Key.
        let keyFields = destination.fields.filter { $0.canBeKey && !$0.readOnly }
        if key == nil, !keyFields.isEmpty {
            if let planned = keyFields.first(where: { lines[$0.name]?.sourceField != nil }) {
                key = (planned, lines[planned.name]?.sentence)
            } else if let idSource = source.fields.first(where: { $0.type == .id && ($0.unique || !$0.nullable) }) ?? source.fields.first {
                let platform = source.platform.lowercased()
                let chosen = keyFields.first { $0.name.lowercased().contains(platform) } ?? keyFields[0]
                key = (chosen, nil)
                if lines[chosen.name] == nil, let value = valueExpression(from: idSource, to: chosen, reading: nil) {
                    lines[chosen.name] = Line(
                        field: chosen, value: value, confidence: chosen.name.lowercased().contains(platform) ? 0.7 : 0.3, sentence: nil,
                        note: "key: the source record id", sourceField: idSource.name)
                }
            }
        }
        if let k = key, let src = lines[k.field.name]?.sourceField, let s = source.field(src) {
            let cond = "blank(\(name(s)))"
            if !skips.contains(where: { $0.condition == cond }) { skips.append((cond, k.sentence)) }
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
        var result = check(plan, key: key?.field, skips: skips, source: source, destination: destination)
        for _ in 0..<6 where result.diagnostics.hasErrors {
            for d in result.diagnostics where d.severity == .error {
                guard let a = result.file.assignments.first(where: { $0.span.start <= d.span.start && d.span.start <= $0.span.end }),
                    var line = plan[a.target.text]
                else { continue }
                if d.code == .optionalIntoRequired, !line.value.contains(" ?? ") {
                    // Text that is empty or only spaces is as missing as null for a required field.
                    let text = [.string, .picklist, .multipicklist, .id].contains(line.field.type)
                    line.value =
                        text
                        ? "null_if_blank(\(line.value)) ?? \(defaultValue(line.field))" : "\(line.value) ?? \(defaultValue(line.field))"
                    line.note += line.note.isEmpty ? "defaulted when null" : "; defaulted when null"
                    plan[line.field.name] = line
                } else if line.field.required {
                    plan[line.field.name] = Line(
                        field: line.field, value: defaultValue(line.field), confidence: 0, sentence: line.sentence,
                        note: "REVIEW: required; could not convert \(line.sourceField ?? "the source"), defaulted")
                    if !defaulted.contains(line.field.name) { defaulted.append(line.field.name) }
                } else {
                    plan[line.field.name] = nil
                }
            }
            result = check(plan, key: key?.field, skips: skips, source: source, destination: destination)
        }

        let provenance = Provenance(
            generator: "offline", promptHash: SHA256.hex(source.qualifiedName + "\n" + destination.qualifiedName + "\n" + prose.body),
            rounds: 0,
            generatedAt: clock())
        return Result(
            mapping: MappingFinisher.finish(result.file, provenance: provenance), diagnostics: result.diagnostics,
            defaulted: defaulted.sorted(),
            trace: TraceReport.build(result.file, sentenceCount: prose.sentences.count))
    }

    private func check(
        _ plan: [String: Line], key: Field?, skips: [(condition: String, sentence: Int?)], source: Schema, destination: Schema
    ) -> CheckResult {
        var text = "mapping \(MappingGrammar.objectName(source)) -> \(MappingGrammar.objectName(destination))\n"
        if let key, plan[key.name] != nil { text += "key \(name(key))\n" }
        for s in skips { text += "skip when \(s.condition)" + (s.sentence.map { "  # [S\($0 + 1)]" } ?? "") + "\n" }
        for line in plan.values.sorted(by: { $0.field.name < $1.field.name }) {
            text += "\(name(line.field)) = \(line.value)  # \(line.comment)\n"
        }
        return Checker.check(SourceText(path: "offline.map", text: text), schemas: schemas)
    }

    private func name(_ f: Field) -> String { MappingGrammar.fieldName(f.name) }

    /// Destination/source pairs a sentence states: in order when the counts agree, else each
    /// destination with its most similar source.
    private func pairs(_ r: SentenceReading) -> [(Field, Field)] {
        guard !r.destinations.isEmpty, !r.sources.isEmpty else { return [] }
        if r.destinations.count == r.sources.count {
            return zip(r.destinations, r.sources).map { ($0.field, $1.field) }.filter { Vocabulary.typeCompatibility($1, $0) >= 0.5 }
        }
        return r.destinations.compactMap { d in
            // A source counts when its name is alike, or when it is the next name after the destination.
            let nextDest = r.destinations.map(\.position).filter { $0 > d.position }.min() ?? Int.max
            let following = r.sources.first { $0.position > d.position && $0.position < nextDest }
            let best = r.sources.filter { Vocabulary.typeCompatibility($0.field, d.field) >= 0.5 }
                .filter { Vocabulary.nameSimilarity($0.field.name, d.field.name) >= 0.4 || $0.position == following?.position }
                .max { a, b in
                    let sa = Vocabulary.score(a.field, d.field) - Double(abs(a.position - d.position)) * 0.001
                    let sb = Vocabulary.score(b.field, d.field) - Double(abs(b.position - d.position)) * 0.001
                    return sa < sb
                }
            return best.map { (d.field, $0.field) }
        }
    }

    private func mentionSentence(_ s: Field, _ d: Field, _ readings: [SentenceReading]) -> Int? {
        readings.first { r in r.destinations.contains { $0.field.name == d.name } || r.sources.contains { $0.field.name == s.name } }?.index
    }

    /// `lookup(platform.Object, Field == source)?.Member` from "look up the Account whose Name equals company".
    private func lookupLine(_ r: SentenceReading, source: Schema, destination: Schema) -> Line? {
        let words = r.tokens.compactMap { if case .word(let w) = $0 { w } else { nil } }
        let objects =
            schemas.knownObjects().filter { $0.hasPrefix(destination.platform + ".") }
            + schemas.knownObjects().filter { $0.hasPrefix(source.platform + ".") && !$0.hasPrefix(destination.platform + ".") }
        guard let whose = words.firstIndex(where: { $0.lowercased() == "whose" }), whose + 1 < words.count else { return nil }
        var found: (name: String, schema: Schema, condition: Field)?
        for o in objects {
            let parts = o.split(separator: ".", maxSplits: 1).map(String.init)
            guard parts.count == 2, words.contains(parts[1]), parts[1] != destination.object,
                let schema = try? schemas.schema(platform: parts[0], object: parts[1]), let condition = schema.field(words[whose + 1])
            else { continue }
            found = (o, schema, condition)
            break
        }
        guard let (objectName, target, condition) = found else { return nil }
        let targetFields = words.compactMap { target.field($0) }.filter { $0.name != condition.name }
        guard let dest = r.destinations.first(where: { target.field($0.field.name) == nil || $0.field.name.contains("__") })?.field
        else { return nil }
        let member = targetFields.first { $0.name != dest.name } ?? target.field("Id")
        guard let member,
            OfflineGenerator.fits(member.type.baseType, dest.type) || (member.type.baseType == .string && dest.type.baseType == .string),
            let src = r.sources.last(where: { $0.field.name != condition.name && $0.field.name != member.name })?.field,
            ValueType.unify(condition.valueType, src.valueType) != nil
        else { return nil }
        var value = name(src)
        if src.type == .string && r.lowered.contains("trim") { value = "trim(\(value))" }
        return Line(
            field: dest,
            value:
                "lookup(\(objectName), \(MappingGrammar.fieldName(condition.name)) == \(value))?.\(MappingGrammar.fieldName(member.name))",
            confidence: 0.8, sentence: r.index, note: "lookup from prose", sourceField: src.name)
    }

    /// A literal for `q` that fits `field`, or nil.
    private func constant(_ q: String, for field: Field) -> String? {
        switch field.type {
        case .picklist: return field.values?.contains(q) == true ? Formatter.stringLiteral(q) : nil
        case .string:
            if let max = field.maxLength, q.count > max { return nil }
            return Formatter.stringLiteral(q)
        case .bool: return ["true", "false"].contains(q.lowercased()) ? q.lowercased() : nil
        default: return nil
        }
    }

    /// The expression that moves `s` into `d`, converting types; nil when they cannot meet.
    func valueExpression(from s: Field, to d: Field, reading: SentenceReading?) -> String? {
        let x = name(s)
        let sb = s.type.baseType
        if d.type == .picklist || d.type == .multipicklist {
            if sb == .bool, let values = d.values, let quoted = reading?.quoted.filter({ values.contains($0) }), quoted.count >= 2 {
                // "status is "unsubscribed" when X is true and "subscribed" otherwise"
                return "if \(x) == true then \(Formatter.stringLiteral(quoted[0])) else \(Formatter.stringLiteral(quoted[1]))"
            }
            guard sb == .string, let values = d.values else { return nil }
            return picklistExpression(x, source: s, values: values, nullable: d.nullable && !d.required, reading: reading)
        }
        switch (sb, d.type.baseType) {
        case (.string, .string):
            if d.type == .id { return s.type == .id ? x : nil }
            var v = s.type == .id ? x : "trim(\(x))"
            if d.format == .email { v = "lower(\(v))" }
            if let max = d.maxLength, max < (s.maxLength ?? Int.max), max < 65536 { v = "truncate(\(v), \(max))" }
            return v
        case (.string, .int): return "try_int(\(x))"
        case (.string, .decimal): return "try_decimal(\(x))"
        case (.string, .bool): return "try_bool(\(x))"
        case (.string, .date): return "try_date(\(x))"
        case (.string, .datetime): return "try_datetime(\(x))"
        case (.datetime, .date): return "to_date(\(x))"
        case (.decimal, .int): return "try_int(\(x))"
        case (_, .string):
            let v = "to_string(\(x))"
            if let max = d.maxLength, max < 65536 { return "truncate(\(v), \(max))" }
            return v
        default:
            return OfflineGenerator.fits(sb, d.type) ? x : nil
        }
    }

    private func picklistExpression(_ x: String, source: Field, values: [String], nullable: Bool, reading: SentenceReading?) -> String? {
        let destValues = Set(values)
        var map: [(String, String)] = []
        var blank: String?
        var fallback: String?
        if let r = reading {
            (map, blank, fallback) = r.valueMap(sourceValues: Set(source.values ?? []), destinationValues: destValues)
        }
        // Values spelled alike on both sides.
        for v in source.values ?? [] where !map.contains(where: { $0.0 == v }) {
            if let same = values.first(where: { Suggest.normalise($0) == Suggest.normalise(v) }) { map.append((v, same)) }
        }
        if map.isEmpty && blank == nil {
            // A picklist-to-picklist copy with identical values needs no translation.
            if let sv = source.values, Set(sv).isSubset(of: destValues) { return x }
            return nil
        }
        let other = fallback.map(Formatter.stringLiteral) ?? (nullable ? "null" : Formatter.stringLiteral(values[0]))
        var arms: [(String, [String])] = []
        for (from, to) in map {
            if let i = arms.firstIndex(where: { $0.0 == to }) {
                if !arms[i].1.contains(from) { arms[i].1.append(from) }
            } else {
                arms.append((to, [from]))
            }
        }
        var expr = other
        if !arms.isEmpty {
            let body = arms.map { to, froms in
                froms.map(Formatter.stringLiteral).joined(separator: ", ") + " => " + Formatter.stringLiteral(to)
            }
            expr = "match \(x) {\n" + body.map { "    " + $0 + "\n" }.joined() + "    _ => \(other)\n}"
        }
        if let blank { expr = "if blank(\(x)) then \(Formatter.stringLiteral(blank)) else \(expr)" }
        return expr
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
        case .string, .id: "\"Unknown\""
        case .int: "0"
        case .decimal: "0.0"
        case .bool: "false"
        case .date: "to_date(\"1970-01-01\")"
        case .datetime: "to_datetime(\"1970-01-01T00:00:00Z\")"
        }
    }
}
