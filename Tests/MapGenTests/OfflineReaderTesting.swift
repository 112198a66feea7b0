import Foundation
import MapDSL
import Testing

@testable import MapGen

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

    /// Maps `records` with `mapping`: each record's outcome as `skipped` or `rejected`, or the named field's
    /// value as JSON text.
    func run(_ mapping: String, _ records: [String], field: String) throws -> [String] {
        let compiled = try Compiler.compile(SourceText(path: "m", text: mapping), schemas: Fixtures.schemas)
        let mapper = RecordMapper(mapping: compiled, validate: false)
        let i = compiled.outputFields.firstIndex { $0.name == field }
        return try records.map { r in
            switch mapper.map(record: try JSONParser.parse(r)) {
            case .mapped(_, let values): return i.map { JSONWriter.compact(values[$0].json) } ?? "(absent)"
            case .skipped: return "skipped"
            case .rejected: return "rejected"
            }
        }
    }

    /// The honesty guard's reasons for `sentence` read as `field = value` (HubSpot contacts from Salesforce
    /// contacts).
    func review(_ sentence: String, _ field: String, _ value: String) -> [String] {
        let source = Fixtures.schema("salesforce.Contact")
        let destination = Fixtures.schema("hubspot.contact")
        var o = SentenceOutcome()
        o.assignments = [.init(field: destination.field(field)!, value: ReadValue(text: value, kind: .constant), confidence: 0.9, note: "")]
        o.namesDestination = true
        let tokens = SentenceTokens(sentence, source: source, destination: destination).tokens
        return HonestyGuard.review(sentence, tokens: tokens, outcome: o, source: source, destination: destination)
    }
}
