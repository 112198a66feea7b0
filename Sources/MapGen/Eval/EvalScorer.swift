import Foundation
import MapDSL

/// What a generator produced for one case, as the scorer needs it.
public struct EvalGeneration: Sendable {
    /// The accepted mapping, or nil when generation failed.
    public var mapping: String?
    /// 1-based numbers of sentences the generator said it did not implement.
    public var notImplemented: [Int]
    /// LLM calls made.
    public var calls: Int
    /// Tokens used (prompt + completion), when the endpoint reports them.
    public var tokens: Int
    /// Why generation failed, when it did.
    public var error: String?

    /// Creates a generation record.
    public init(mapping: String?, notImplemented: [Int] = [], calls: Int = 0, tokens: Int = 0, error: String? = nil) {
        self.mapping = mapping
        self.notImplemented = notImplemented
        self.calls = calls
        self.tokens = tokens
        self.error = error
    }
}

/// How one destination field (or the skip rules) of a case came out.
public struct FieldScore: Sendable, Hashable {
    /// A plain copy (one source field, at most trimmed, re-cased, cut or type-converted) or anything else.
    public enum Kind: String, Sendable, Hashable {
        case copy, transform
    }

    /// What happened to the field.
    public enum Status: String, Sendable, Hashable {
        /// Same values as the reference on every record.
        case right
        /// A rule that gives other values somewhere.
        case wrong
        /// The reference assigns it; the generated mapping does not.
        case missing
        /// The generated mapping assigns it; the reference does not (nobody asked for it).
        case extra
    }

    /// The destination field, or `(skip)` for the skip rules.
    public var field: String
    public var kind: Kind
    public var status: Status
    /// Whether the generator flagged the rule (a `REVIEW` note or confidence below 0.5) or, for a
    /// missing field, listed the sentence naming it as not implemented.
    public var flagged: Bool
    /// The confidence in the rule's comment, when it has one.
    public var confidence: Double?
    /// The first record that differs, as `reference → generated`, for the report.
    public var example: String?

    /// A wrong, missing or extra field the generator did not flag: it claimed something false.
    public var silentWrong: Bool { status != .right && !flagged }
}

/// The score of one case.
public struct CaseScore: Sendable {
    public var name: String
    public var group: String
    public var fields: [FieldScore]
    public var generation: EvalGeneration
    /// Records compared.
    public var records: Int

    func count(_ kind: FieldScore.Kind) -> (right: Int, total: Int) {
        let scored = fields.filter { $0.kind == kind && $0.status != .extra }
        return (scored.filter { $0.status == .right }.count, scored.count)
    }
}

/// Compares a generated mapping with the reference on the case's records.
public enum EvalScorer {
    public static func score(_ c: EvalCase, _ g: EvalGeneration, schemas: SchemaProvider) -> CaseScore {
        let refCheck = Checker.check(SourceText(path: c.name + ".map", text: c.reference), schemas: schemas)
        guard !refCheck.diagnostics.hasErrors, let reference = try? Compiler.compile(refCheck) else {
            return CaseScore(
                name: c.name, group: c.group, fields: [],
                generation: EvalGeneration(mapping: g.mapping, error: "the reference mapping does not check clean"), records: 0)
        }
        let refFile = refCheck.file
        var kinds: [String: FieldScore.Kind] = [:]
        for a in refFile.assignments { kinds[a.target.text] = isCopy(a.value) ? .copy : .transform }
        var genCompiled: CompiledMapping?
        var genFile: MappingFile?
        if let text = g.mapping {
            let check = Checker.check(SourceText(path: c.name + ".generated.map", text: text), schemas: schemas)
            if !check.diagnostics.hasErrors {
                genCompiled = try? Compiler.compile(check)
                genFile = check.file
            }
        }
        let unreadSentences = Set(g.notImplemented)
        // A sentence names a field by its name as written, or as the reader resolves its words (a label
        // such as "lead status", a bare merge tag such as *|BIRTHDAY|*).
        func schema(_ qualified: String?) -> Schema? {
            let p = (qualified ?? "").split(separator: ".", maxSplits: 1).map(String.init)
            return p.count == 2 ? (try? schemas.schema(platform: p[0], object: p[1])) ?? nil : nil
        }
        let fromSchema = schema(c.prose.from)
        let toSchema = schema(c.prose.to)
        // It also names it in words a reader would take for it: its label ("first name" for
        // `merge_fields.FNAME`), the last part of a dotted name even when short ("tax" for `params.tax`),
        // singular or plural ("tag" for `tags`), as whole words (``HonestyGuard/namedFields``).
        func reported(_ field: String) -> Bool {
            c.prose.sentences.enumerated().contains { i, s in
                guard unreadSentences.contains(i + 1) else { return false }
                if s.contains(field) { return true }
                guard let from = fromSchema, let to = toSchema else { return false }
                let named = HonestyGuard.namedFields(s, destination: to.fields, source: from.fields, objects: [from, to])
                if named.contains(field) { return true }
                return SentenceTokens(s, source: from, destination: to).tokens.contains { $0.destination?.name == field }
            }
        }
        var notes: [String: (confidence: Double?, flagged: Bool)] = [:]
        for a in genFile?.assignments ?? [] {
            let text = (a.trivia.leading.map(\.text) + (a.trivia.trailing.map { [$0.text] } ?? [])).joined(separator: " ")
            let confidence = Self.confidence(in: text)
            notes[a.target.text] = (confidence, text.contains("REVIEW") || (confidence ?? 1) < 0.5)
        }
        let refMapper = RecordMapper(mapping: reference, lookups: lookupProvider(c, reference, schemas), validate: false)
        let genMapper = genCompiled.map { RecordMapper(mapping: $0, lookups: lookupProvider(c, $0, schemas), validate: false) }
        var wrong: [String: String] = [:]
        var skipWrong: String?
        for (n, record) in c.records.enumerated() {
            let r = refMapper.map(record: record)
            let gOut = genMapper?.map(record: record)
            let refSkipped = if case .skipped = r { true } else { false }
            let genSkipped = if case .skipped? = gOut { true } else { false }
            if refSkipped != genSkipped, skipWrong == nil {
                skipWrong = "record \(n + 1): \(refSkipped ? "skipped" : "mapped") → \(genSkipped ? "skipped" : "mapped")"
            }
            // Fields are compared where both mapped the record; the skip rules are scored on their own.
            if refSkipped || genSkipped { continue }
            for (i, f) in reference.outputFields.enumerated() where wrong[f.name] == nil {
                let want = value(r, i)
                let got =
                    gOut.flatMap { o in genCompiled?.outputFields.firstIndex { $0.name == f.name }.map { value(o, $0) } } ?? "(absent)"
                if want != got { wrong[f.name] = "record \(n + 1): \(want) → \(got)" }
            }
        }
        var fields: [FieldScore] = []
        let generated = Set(genFile?.assignments.map(\.target.text) ?? [])
        for f in reference.outputFields {
            let kind = kinds[f.name] ?? .transform
            if !generated.contains(f.name) {
                fields.append(
                    FieldScore(field: f.name, kind: kind, status: .missing, flagged: reported(f.name), confidence: nil, example: nil))
                continue
            }
            let note = notes[f.name]
            fields.append(
                FieldScore(
                    field: f.name, kind: kind, status: wrong[f.name] == nil ? .right : .wrong, flagged: note?.flagged ?? false,
                    confidence: note?.confidence, example: wrong[f.name]))
        }
        for f in (genFile?.assignments ?? []).map(\.target.text) where reference.outputFields.firstIndex(where: { $0.name == f }) == nil {
            let note = notes[f]
            fields.append(
                FieldScore(
                    field: f, kind: .copy, status: .extra, flagged: note?.flagged ?? false, confidence: note?.confidence, example: nil))
        }
        if !refFile.skips.isEmpty || !(genFile?.skips.isEmpty ?? true) {
            let claimed = genFile?.skips.isEmpty == false
            let status: FieldScore.Status = skipWrong == nil ? .right : (claimed ? .wrong : .missing)
            // A skip difference is reported when a sentence that speaks of leaving records out is listed as
            // not implemented ("Leads without an Email are skipped, and so are …", "Only send …; skip the rest",
            // "… must not be synced", "… produce no event", "all other events stay out", "except converted leads").
            let skipSentences = c.prose.sentences.enumerated().filter { HonestyGuard.speaksOfLeavingOut($0.element) }
                .map { $0.offset + 1 }
            let flagged = status != .right && skipSentences.contains { unreadSentences.contains($0) }
            fields.append(
                FieldScore(field: "(skip)", kind: .transform, status: status, flagged: flagged, confidence: nil, example: skipWrong))
        }
        return CaseScore(name: c.name, group: c.group, fields: fields, generation: g, records: c.records.count)
    }

    /// `confidence 0.85` in a comment.
    static func confidence(in text: String) -> Double? {
        guard let r = text.range(of: "confidence ") else { return nil }
        return Double(text[r.upperBound...].prefix { $0.isNumber || $0 == "." })
    }

    private static func value(_ r: LineResult, _ i: Int) -> String {
        switch r {
        case .mapped(_, let values): i < values.count ? JSONWriter.compact(values[i].json) : "(absent)"
        case .skipped: "(skipped)"
        case .rejected(_, _, let values): values.map { i < $0.count ? JSONWriter.compact($0[i].json) : "(absent)" } ?? "(error)"
        }
    }

    /// Whether an expression is a plain copy: one source field, wrapped only in conversions.
    static func isCopy(_ e: Expr) -> Bool {
        let wrappers: Set<String> = [
            "trim", "lower", "upper", "truncate", "to_string", "to_int", "try_int", "to_decimal", "try_decimal", "to_date", "try_date",
            "to_datetime", "try_datetime", "to_bool", "try_bool",
        ]
        switch e.kind {
        case .field: return true
        case .call(let name, let args):
            guard wrappers.contains(name.text), let first = args.first else { return false }
            return isCopy(first) && args.dropFirst().allSatisfy { if case .integer = $0.kind { true } else { false } }
        default: return false
        }
    }

    private static func lookupProvider(_ c: EvalCase, _ m: CompiledMapping, _ schemas: SchemaProvider) -> LookupProvider? {
        guard m.usesLookups else { return nil }
        var records: [String: [[String: Value]]] = [:]
        for (object, list) in c.lookups {
            let p = object.split(separator: ".", maxSplits: 1).map(String.init)
            guard p.count == 2, let schema = try? schemas.schema(platform: p[0], object: p[1]) else { continue }
            records[schema.qualifiedName] = list.map { r in
                var out: [String: Value] = [:]
                for (k, v) in r.objectValue ?? [] {
                    guard let f = schema.field(k) else { continue }
                    if case .success(let value) = SourceDecoder.decode(v, as: f) { out[k] = value }
                }
                return out
            }
        }
        return InMemoryLookup(records: records)
    }
}
