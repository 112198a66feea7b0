import Foundation
import MapDSL
import MapGen
import Testing

/// What the offline reader's test suites share: generate a mapping from a few sentences between two
/// fixture schemas, and read one rule of it back.
protocol OfflineReaderTesting {}

extension OfflineReaderTesting {
    func generate(_ from: String, _ to: String, _ prose: String) -> OfflineGenerator.Result {
        OfflineGenerator(schemas: Fixtures.schemas, clock: { Date(timeIntervalSince1970: 0) }).generate(
            prose: ProseDocument.parse("from: \(from)\nto: \(to)\n\n" + prose), source: Fixtures.schema(from),
            destination: Fixtures.schema(to))
    }

    func line(_ mapping: String, _ field: String) -> String {
        mapping.split(separator: "\n").first { $0.hasPrefix(field + " ") }.map(String.init) ?? ""
    }

    /// The rule of `field` with its continuation lines (a match or a chain spans several).
    func rule(_ mapping: String, _ field: String) -> String {
        let lines = mapping.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        guard let i = lines.firstIndex(where: { $0.hasPrefix(field + " ") }) else { return "" }
        var out = [lines[i]]
        var j = i + 1
        while j < lines.count, lines[j].hasPrefix("    ") || lines[j].hasPrefix("}") {
            out.append(lines[j])
            j += 1
        }
        return out.joined(separator: "\n")
    }

    /// Whether the rule is flagged: a REVIEW note, or a confidence below 0.5.
    func flagged(_ rule: String) -> Bool {
        if rule.contains("REVIEW") { return true }
        guard let r = rule.range(of: "confidence ") else { return true }
        return Double(rule[r.upperBound...].prefix(4)) ?? 0 < 0.5
    }

    func unflagged(_ r: OfflineGenerator.Result, _ field: String) -> Bool {
        let text = rule(r.mapping, field)
        return !text.isEmpty && !text.contains("REVIEW") && !r.trace.flagged.contains(field)
    }
}
