import Foundation
import MapDSL

/// Totals over scored cases: agreement split into copies and transforms, silent-wrong rules, calls,
/// tokens, and how often rules at each confidence were right (the calibration table).
public struct EvalReport: Sendable {
    public var generator: String
    public var cases: [CaseScore]

    /// Creates a report.
    public init(generator: String, cases: [CaseScore]) {
        self.generator = generator
        self.cases = cases
    }

    /// Right / total over `cases` for one kind of field.
    public static func agreement(_ cases: [CaseScore], _ kind: FieldScore.Kind) -> (right: Int, total: Int) {
        cases.map { $0.count(kind) }.reduce((0, 0)) { ($0.0 + $1.right, $0.1 + $1.total) }
    }

    /// Rules that were wrong, missing without a report, or unasked, and not flagged.
    public static func silentWrong(_ cases: [CaseScore]) -> Int {
        cases.flatMap(\.fields).filter(\.silentWrong).count
    }

    /// Accepted mappings and calls per accepted mapping.
    public static func calls(_ cases: [CaseScore]) -> (accepted: Int, calls: Int, tokens: Int) {
        (
            cases.filter { $0.generation.mapping != nil }.count, cases.map(\.generation.calls).reduce(0, +),
            cases.map(\.generation.tokens).reduce(0, +)
        )
    }

    /// Rules with a stated confidence, bucketed by it: how many, how many right.
    public static func calibration(_ cases: [CaseScore]) -> [(confidence: Double, rules: Int, right: Int)] {
        var buckets: [Double: (Int, Int)] = [:]
        for f in cases.flatMap(\.fields) where f.status == .right || f.status == .wrong || f.status == .extra {
            guard let c = f.confidence else { continue }
            let key = (c * 100).rounded() / 100
            var b = buckets[key] ?? (0, 0)
            b.0 += 1
            if f.status == .right { b.1 += 1 }
            buckets[key] = b
        }
        return buckets.keys.sorted(by: >).map { ($0, buckets[$0]!.0, buckets[$0]!.1) }
    }

    static func percent(_ r: (right: Int, total: Int)) -> String {
        r.total == 0 ? "–" : String(format: "%d/%d (%.0f %%)", r.right, r.total, 100 * Double(r.right) / Double(r.total))
    }

    /// The per-case table and the totals (overall and per group), as text.
    public var text: String {
        var out = "evaluation of \(generator) on \(cases.count) cases\n\n"
        let nameWidth = max(4, cases.map(\.name.count).max() ?? 4)
        func pad(_ s: String, _ w: Int) -> String { s + String(repeating: " ", count: max(0, w - s.count)) }
        out += pad("case", nameWidth) + "  group     copies          transforms      silent-wrong  extra  not-impl  calls\n"
        for c in cases {
            let extra = c.fields.filter { $0.status == .extra }.count
            out +=
                pad(c.name, nameWidth) + "  " + pad(c.group, 8) + "  " + pad(Self.percent(c.count(.copy)), 14) + "  "
                + pad(Self.percent(c.count(.transform)), 14) + "  " + pad(String(Self.silentWrong([c])), 12) + "  " + pad(String(extra), 5)
                + "  " + pad(String(c.generation.notImplemented.count), 8) + "  \(c.generation.calls)"
                + (c.generation.error.map { "  error: \($0)" } ?? "") + "\n"
        }
        out += "\n"
        let groups = [("all", cases)] + Dictionary(grouping: cases, by: \.group).sorted { $0.key > $1.key }.map { ($0.key, $0.value) }
        for (name, group) in groups {
            let calls = Self.calls(group)
            out +=
                "\(name): copies \(Self.percent(Self.agreement(group, .copy))), transforms \(Self.percent(Self.agreement(group, .transform))), "
                + "silent-wrong \(Self.silentWrong(group)), accepted \(calls.accepted)/\(group.count), "
                + "calls per accepted mapping \(calls.accepted == 0 ? "–" : String(format: "%.2f", Double(calls.calls) / Double(calls.accepted))), tokens \(calls.tokens)\n"
        }
        let table = Self.calibration(cases)
        if !table.isEmpty {
            out += "\ncalibration (rules with a stated confidence):\n  confidence  rules  right\n"
            for row in table {
                out += String(
                    format: "  %10.2f  %5d  %5d (%.0f %%)\n", row.confidence, row.rules, row.right,
                    100 * Double(row.right) / Double(row.rules))
            }
        }
        let wrongs = cases.flatMap { c in c.fields.filter { $0.status != .right }.map { (c.name, $0) } }
        if !wrongs.isEmpty {
            out += "\nfields not right:\n"
            for (name, f) in wrongs {
                out +=
                    "  \(name) \(f.field): \(f.status.rawValue)\(f.flagged ? " (flagged)" : " (NOT flagged)")"
                    + (f.confidence.map { String(format: ", confidence %.2f", $0) } ?? "") + (f.example.map { ", \($0)" } ?? "") + "\n"
            }
        }
        return out
    }

    /// The same as JSON.
    public var json: JSONValue {
        func totals(_ group: [CaseScore]) -> JSONValue {
            let copy = Self.agreement(group, .copy)
            let transform = Self.agreement(group, .transform)
            let calls = Self.calls(group)
            return .object([
                ("cases", .int(group.count)), ("copiesRight", .int(copy.right)), ("copies", .int(copy.total)),
                ("transformsRight", .int(transform.right)), ("transforms", .int(transform.total)),
                ("silentWrong", .int(Self.silentWrong(group))), ("accepted", .int(calls.accepted)), ("calls", .int(calls.calls)),
                ("tokens", .int(calls.tokens)),
            ])
        }
        var groups: [(String, JSONValue)] = [("all", totals(cases))]
        for (k, v) in Dictionary(grouping: cases, by: \.group).sorted(by: { $0.key > $1.key }) { groups.append((k, totals(v))) }
        return .object([
            ("generator", .string(generator)),
            ("totals", .object(groups)),
            (
                "calibration",
                .array(
                    Self.calibration(cases).map {
                        .object([("confidence", .double($0.confidence)), ("rules", .int($0.rules)), ("right", .int($0.right))])
                    })
            ),
            (
                "cases",
                .array(
                    cases.map { c in
                        .object([
                            ("name", .string(c.name)), ("group", .string(c.group)), ("records", .int(c.records)),
                            ("accepted", .bool(c.generation.mapping != nil)), ("calls", .int(c.generation.calls)),
                            ("tokens", .int(c.generation.tokens)), ("notImplemented", .array(c.generation.notImplemented.map { .int($0) })),
                            ("error", c.generation.error.map { .string($0) } ?? .null),
                            (
                                "fields",
                                .array(
                                    c.fields.map { f in
                                        .object([
                                            ("field", .string(f.field)), ("kind", .string(f.kind.rawValue)),
                                            ("status", .string(f.status.rawValue)),
                                            ("flagged", .bool(f.flagged)), ("confidence", f.confidence.map { .double($0) } ?? .null),
                                            ("example", f.example.map { .string($0) } ?? .null),
                                        ])
                                    })
                            ),
                        ])
                    })
            ),
        ])
    }
}
