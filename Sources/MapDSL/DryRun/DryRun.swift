/// Runs a compiled mapping over sample records and collects a ``DryRunReport``. Pure: the caller
/// reads the samples file and provides lookups.
public enum DryRun {
    /// How many example records each skip rule and rejection group keeps.
    public static let examplesPerGroup = 3

    /// The report for `samples` (JSONL text) mapped through `mapping`.
    ///
    /// - Parameters:
    ///   - mapping: the compiled mapping.
    ///   - samples: JSONL text; line numbers in the report are 1-based lines of this text.
    ///   - lookups: the provider serving `lookup(...)`, if the mapping uses lookups.
    ///   - mappingPath: how to name the mapping in the report.
    ///   - samplesPath: how to name the samples in the report.
    ///   - show: how many records to keep beside their output.
    public static func run(
        _ mapping: CompiledMapping, samples: String, lookups: LookupProvider? = nil, mappingPath: String, samplesPath: String,
        show: Int = 0
    ) -> DryRunReport {
        let mapper = RecordMapper(mapping: mapping, lookups: lookups)
        let fields = mapping.outputFields
        var skipLines = [[Int]](repeating: [], count: mapping.skipRules.count)
        var groups: [GroupKey: DryRunReport.RejectionGroup] = [:]
        var groupOrder: [GroupKey] = []
        var filled = [Int](repeating: 0, count: fields.count)
        var keyLines: [String: [Int]] = [:]
        var keyOrder: [String] = []
        var shown: [DryRunReport.ShownRecord] = []
        var warningGroups: [GroupKey: DryRunReport.RejectionGroup] = [:]
        var warningOrder: [GroupKey] = []
        var warned = 0

        for (index, line) in lines(of: samples).enumerated() {
            let lineNumber = index + 1
            guard let result = mapper.map(line: line) else { continue }
            if shown.count < show {
                shown.append(showRecord(line, number: lineNumber, result: result, mapping: mapping))
            }
            switch result {
            case .mapped(_, let values):
                for (i, v) in values.enumerated() where !Text.isBlank(v) { filled[i] += 1 }
                if !mapper.lastWarnings.isEmpty { warned += 1 }
                var seen = Set<GroupKey>()
                for w in mapper.lastWarnings {
                    let key = GroupKey(code: w.code.rawValue, field: w.field)
                    guard seen.insert(key).inserted else { continue }
                    if warningGroups[key] == nil {
                        warningOrder.append(key)
                        warningGroups[key] = DryRunReport.RejectionGroup(
                            code: w.code.rawValue, title: w.code.title, field: w.field, count: 0, examples: [])
                    }
                    warningGroups[key]!.count += 1
                    if warningGroups[key]!.examples.count < examplesPerGroup {
                        warningGroups[key]!.examples.append(DryRunReport.Example(line: lineNumber, message: w.message))
                    }
                }
                if let k = mapping.keyIndex, !values[k].isNull {
                    let text = values[k].text
                    if keyLines[text] == nil { keyOrder.append(text) }
                    keyLines[text, default: []].append(lineNumber)
                }
            case .skipped(let rule):
                if skipLines[rule].count < examplesPerGroup { skipLines[rule].append(lineNumber) }
            case .rejected(let failure, let violations, _):
                var seen = Set<GroupKey>()
                for reason in reasons(failure, violations) {
                    let key = GroupKey(code: reason.code, field: reason.field)
                    guard seen.insert(key).inserted else { continue }
                    if groups[key] == nil {
                        groupOrder.append(key)
                        groups[key] = DryRunReport.RejectionGroup(
                            code: reason.code, title: reason.title, field: reason.field, count: 0, examples: [])
                    }
                    groups[key]!.count += 1
                    if groups[key]!.examples.count < examplesPerGroup {
                        groups[key]!.examples.append(DryRunReport.Example(line: lineNumber, message: reason.message))
                    }
                }
            }
        }

        let stats = mapper.statistics
        func sorted(_ keys: [GroupKey], _ groups: [GroupKey: DryRunReport.RejectionGroup]) -> [DryRunReport.RejectionGroup] {
            let order = Dictionary(uniqueKeysWithValues: keys.enumerated().map { ($1, $0) })
            return keys.compactMap { groups[$0] }.sorted { a, b in
                if a.count != b.count { return a.count > b.count }
                return order[GroupKey(code: a.code, field: a.field)]! < order[GroupKey(code: b.code, field: b.field)]!
            }
        }
        let rejections = sorted(groupOrder, groups)
        var report = DryRunReport(
            mapping: "\(mapping.source.qualifiedName) -> \(mapping.destination.qualifiedName)",
            mappingPath: mappingPath, samplesPath: samplesPath,
            read: stats.read, mapped: stats.mapped, rejected: stats.rejected,
            skips: mapping.skipRules.enumerated().map { i, rule in
                DryRunReport.SkipCount(rule: rule, count: stats.skipped[i], lines: skipLines[i])
            },
            rejections: rejections,
            fill: fields.enumerated().map { i, f in
                DryRunReport.FieldFill(field: f.name, filled: filled[i], total: stats.mapped)
            },
            lookups: mapping.usesLookups ? DryRunReport.LookupCount(calls: stats.lookupCalls, hits: stats.lookupHits) : nil,
            keyField: mapping.keyIndex.map { fields[$0].name },
            duplicateKeys: keyOrder.compactMap { k in
                guard let l = keyLines[k], l.count > 1 else { return nil }
                return DryRunReport.DuplicateKey(value: k, lines: l)
            },
            shown: shown)
        report.warned = warned
        report.warnings = sorted(warningOrder, warningGroups)
        return report
    }

    /// The lines of JSONL `text` as bytes, without newlines (a final newline adds no line).
    public static func lines(of text: String) -> [[UInt8]] {
        var out = text.utf8.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).map { line -> [UInt8] in
            var l = Array(line)
            if l.last == UInt8(ascii: "\r") { l.removeLast() }
            return l
        }
        if out.last?.isEmpty == true { out.removeLast() }
        return out
    }

    /// One reason a record was rejected.
    public struct Reason: Sendable, Hashable {
        /// Stable code.
        public var code: String
        /// The code's title.
        public var title: String
        /// The field at fault, if any.
        public var field: String?
        /// The message.
        public var message: String
    }

    /// The reasons of a rejection, record failure first.
    public static func reasons(_ failure: RecordFailure?, _ violations: [Violation]) -> [Reason] {
        var out: [Reason] = []
        if let f = failure {
            out.append(Reason(code: f.code.rawValue, title: f.code.title, field: f.field ?? f.sourceField, message: f.message))
        }
        for v in violations {
            out.append(Reason(code: v.code.rawValue, title: v.code.title, field: v.field, message: v.message))
        }
        return out
    }

    private struct GroupKey: Hashable {
        var code: String
        var field: String?
    }

    private static func showRecord(_ line: [UInt8], number: Int, result: LineResult, mapping: CompiledMapping)
        -> DryRunReport.ShownRecord
    {
        var source: [DryRunReport.Pair] = []
        if let pairs = (try? JSONParser.parse(line))?.objectValue {
            // Only the fields the mapping reads; the rest would drown the output.
            let read = pairs.filter { mapping.slot(of: $0.0) != nil }
            source = read.map { DryRunReport.Pair(field: $0.0, value: JSONWriter.compact($0.1)) }
            if read.count < pairs.count {
                let n = pairs.count - read.count
                source.append(DryRunReport.Pair(field: "…", value: "\(n) more field\(n == 1 ? "" : "s") not read"))
            }
        } else {
            source = [DryRunReport.Pair(field: "(line)", value: String(decoding: line, as: UTF8.self))]
        }
        let outcome: DryRunReport.Outcome
        switch result {
        case .mapped(_, let values):
            outcome = .mapped(zip(mapping.outputFields, values).map { DryRunReport.Pair(field: $0.name, value: $1.display) })
        case .skipped(let rule):
            outcome = .skipped(mapping.skipRules[rule])
        case .rejected(let failure, let violations, _):
            outcome = .rejected(reasons(failure, violations).map { "\($0.code) \($0.field ?? "-"): \($0.message)" })
        }
        return DryRunReport.ShownRecord(line: number, source: source, outcome: outcome)
    }
}
