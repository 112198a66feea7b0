/// The result of mapping one JSONL line.
public enum LineResult: Sendable {
    /// The mapped record as one JSON line (without newline) and its values.
    case mapped(json: String, values: [Value])
    /// Skipped by skip rule `rule`.
    case skipped(rule: Int)
    /// Not mapped: a record error, or values the destination would reject.
    case rejected(failure: RecordFailure?, violations: [Violation], values: [Value]?)
}

/// Counts of what a mapping run did.
public struct RunStatistics: Sendable, Equatable {
    /// Lines read (blank lines are not records and are not counted).
    public var read = 0
    /// Records mapped and valid.
    public var mapped = 0
    /// Records skipped, per skip rule.
    public var skipped: [Int] = []
    /// Records rejected.
    public var rejected = 0
    /// Lookups made and hits.
    public var lookupCalls = 0
    public var lookupHits = 0

    /// Total skipped records.
    public var skippedTotal: Int { skipped.reduce(0, +) }
}

/// Maps JSONL lines through a compiled mapping, validating the output against the destination schema.
public final class RecordMapper {
    /// The mapping.
    public let mapping: CompiledMapping
    /// Whether outputs are validated against the destination schema.
    public let validates: Bool
    /// Running totals.
    public private(set) var statistics: RunStatistics
    private let frame: Frame

    /// Creates a mapper.
    public init(mapping: CompiledMapping, lookups: LookupProvider? = nil, validate: Bool = true) {
        self.mapping = mapping
        self.validates = validate
        self.frame = mapping.makeFrame(lookups: lookups)
        self.statistics = RunStatistics(skipped: [Int](repeating: 0, count: mapping.skipRules.count))
    }

    /// Maps one line of JSONL text; returns nil for a blank line.
    public func map(line: [UInt8]) -> LineResult? {
        var blank = true
        for b in line where !(b == 0x20 || b == 0x09 || b == 0x0D || b == 0x0A) {
            blank = false
            break
        }
        if blank { return nil }
        statistics.read += 1
        let json: JSONValue
        do {
            json = try JSONParser.parse(line)
        } catch {
            statistics.rejected += 1
            return .rejected(
                failure: RecordFailure(code: .malformedRecord, message: "not valid JSON: \(error.description)"), violations: [], values: nil
            )
        }
        return map(record: json)
    }

    /// Maps one record given as JSON.
    public func map(record json: JSONValue) -> LineResult {
        let calls = frame.lookupCalls
        let hits = frame.lookupHits
        let outcome = mapping.evaluate(json: json, frame: frame)
        statistics.lookupCalls += frame.lookupCalls - calls
        statistics.lookupHits += frame.lookupHits - hits
        switch outcome {
        case .skipped(let rule):
            statistics.skipped[rule] += 1
            return .skipped(rule: rule)
        case .failed(let f):
            statistics.rejected += 1
            return .rejected(failure: f, violations: [], values: nil)
        case .mapped(let values):
            if validates {
                let violations = OutputValidator.validate(values, fields: mapping.outputFields)
                if !violations.isEmpty {
                    statistics.rejected += 1
                    return .rejected(failure: nil, violations: violations, values: values)
                }
            }
            statistics.mapped += 1
            return .mapped(json: RecordMapper.jsonLine(values, fields: mapping.outputFields), values: values)
        }
    }

    /// A mapped record as a compact JSON object in output-field order.
    public static func jsonLine(_ values: [Value], fields: [Field]) -> String {
        var out = "{"
        for (i, (v, f)) in zip(values, fields).enumerated() {
            if i > 0 { out += "," }
            JSONWriter.appendString(f.name, into: &out)
            out += ":"
            switch v {
            case .null: out += "null"
            case .string(let s): JSONWriter.appendString(s, into: &out)
            case .int(let n): out += String(n)
            case .decimal(let d): JSONWriter.appendNumber(d, into: &out)
            case .bool(let b): out += b ? "true" : "false"
            case .date, .datetime: JSONWriter.appendString(v.text, into: &out)
            }
        }
        return out + "}"
    }
}
