/// How two versions of a mapping treat the same sample records differently: which records change
/// outcome (mapped, skipped, rejected) and, per destination field, how many values change, with
/// before/after examples.
public struct BehaviouralDiff: Sendable, Hashable {
    /// The samples file as named by the caller.
    public var samplesPath: String
    /// Records compared.
    public var read: Int
    /// Records whose outcome or any output value differs.
    public var changed: Int
    /// Outcome transitions (`mapped` → `rejected V0702 Status`), most frequent first.
    public var outcomes: [OutcomeChange]
    /// Fields whose value changed on at least one record, by destination field name.
    public var fields: [FieldDelta]

    /// Records that went from one outcome to another.
    public struct OutcomeChange: Sendable, Hashable {
        /// Old outcome (`mapped`, `skipped: blank(email)`, `rejected: V0704 Email`).
        public var from: String
        /// New outcome.
        public var to: String
        /// Records.
        public var count: Int
        /// The first few lines.
        public var lines: [Int]
    }

    /// Value changes of one destination field.
    public struct FieldDelta: Sendable, Hashable {
        /// Destination field.
        public var field: String
        /// Records whose value differs.
        public var count: Int
        /// The first few: line, before and after.
        public var examples: [Example]
    }

    /// One record's before and after value.
    public struct Example: Sendable, Hashable {
        /// 1-based line of the samples file.
        public var line: Int
        /// The old value (`"text"`, `null`, or `(absent)` when the old version has no such field).
        public var before: String
        /// The new value.
        public var after: String
    }

    /// How many examples each field and transition keeps.
    public static let examplesPerField = 3

    /// The rendering of a field a version does not write.
    public static let absent = "(absent)"

    /// Maps `samples` with both versions and compares the results record by record.
    public static func compute(
        old: CompiledMapping, new: CompiledMapping, samples: String, oldLookups: LookupProvider? = nil,
        newLookups: LookupProvider? = nil, samplesPath: String
    ) -> BehaviouralDiff {
        let before = RecordMapper(mapping: old, lookups: oldLookups)
        let after = RecordMapper(mapping: new, lookups: newLookups)
        var names: [String] = new.outputFields.map(\.name)
        for f in old.outputFields where !names.contains(f.name) { names.append(f.name) }
        names.sort { a, b in a.lowercased() != b.lowercased() ? a.lowercased() < b.lowercased() : a < b }
        let oldIndex = Dictionary(old.outputFields.enumerated().map { ($1.name, $0) }, uniquingKeysWith: { a, _ in a })
        let newIndex = Dictionary(new.outputFields.enumerated().map { ($1.name, $0) }, uniquingKeysWith: { a, _ in a })
        var deltas: [String: FieldDelta] = [:]
        var transitions: [String: OutcomeChange] = [:]
        var transitionOrder: [String] = []
        var read = 0
        var changed = 0

        for (i, line) in DryRun.lines(of: samples).enumerated() {
            guard let a = before.map(line: line), let b = after.map(line: line) else { continue }
            read += 1
            let lineNumber = i + 1
            let oa = outcome(a, old)
            let ob = outcome(b, new)
            var differs = false
            // Skipped by a reworded rule is still skipped: nothing is sent either way.
            let bothSkipped = oa.hasPrefix("skipped") && ob.hasPrefix("skipped")
            if oa != ob && !bothSkipped {
                differs = true
                let key = oa + "\u{0}" + ob
                if transitions[key] == nil {
                    transitionOrder.append(key)
                    transitions[key] = OutcomeChange(from: oa, to: ob, count: 0, lines: [])
                }
                transitions[key]!.count += 1
                if transitions[key]!.lines.count < examplesPerField { transitions[key]!.lines.append(lineNumber) }
            }
            if let va = values(a), let vb = values(b) {
                for name in names {
                    let x = oldIndex[name].map { va[$0] }
                    let y = newIndex[name].map { vb[$0] }
                    guard x != y else { continue }
                    differs = true
                    var d = deltas[name] ?? FieldDelta(field: name, count: 0, examples: [])
                    d.count += 1
                    if d.examples.count < examplesPerField {
                        d.examples.append(Example(line: lineNumber, before: x?.display ?? absent, after: y?.display ?? absent))
                    }
                    deltas[name] = d
                }
            }
            if differs { changed += 1 }
        }
        let order = Dictionary(uniqueKeysWithValues: transitionOrder.enumerated().map { ($1, $0) })
        let outcomes = transitionOrder.compactMap { transitions[$0] }.sorted { x, y in
            x.count != y.count ? x.count > y.count : order[x.from + "\u{0}" + x.to]! < order[y.from + "\u{0}" + y.to]!
        }
        return BehaviouralDiff(
            samplesPath: samplesPath, read: read, changed: changed, outcomes: outcomes, fields: names.compactMap { deltas[$0] })
    }

    /// Whether both versions produce the same results on every sample.
    public var isEmpty: Bool { changed == 0 }

    private static func outcome(_ r: LineResult, _ m: CompiledMapping) -> String {
        switch r {
        case .mapped: return "mapped"
        case .skipped(let rule): return "skipped: " + m.skipRules[rule]
        case .rejected(let f, let v, _):
            let reasons = DryRun.reasons(f, v).map { $0.code + ($0.field.map { " " + $0 } ?? "") }
            return "rejected: " + reasons.joined(separator: ", ")
        }
    }

    private static func values(_ r: LineResult) -> [Value]? {
        switch r {
        case .mapped(_, let v): v
        case .rejected(_, _, let v): v
        case .skipped: nil
        }
    }
}
