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

/// What ``RecordMapper/map(line:appendingTo:)`` did with one line.
public enum LineStatus: Sendable {
    /// The line is blank: not a record.
    case blank
    /// The mapped record was appended to the output as one JSON object (without a newline).
    case mapped
    /// Skipped by skip rule `rule`.
    case skipped(rule: Int)
    /// Not mapped: a record error, or values the destination would reject.
    case rejected(failure: RecordFailure?, violations: [Violation], values: [Value]?)
}

/// Maps JSONL lines through a compiled mapping, validating the output against the destination schema.
///
/// Lines are decoded straight into the mapping's input slots, the outputs computed into storage
/// of the mapper's own, checked and written as bytes in one pass; a mapper reuses its frame and
/// buffers from record to record, so it is used by one thread at a time.
public final class RecordMapper {
    /// The mapping.
    public let mapping: CompiledMapping
    /// Whether outputs are validated against the destination schema.
    public let validates: Bool
    /// Running totals.
    public var statistics: RunStatistics {
        let c = counts.pointee
        return RunStatistics(
            read: c.read, mapped: c.mapped, skipped: Array(UnsafeBufferPointer(start: skips, count: skipCount)), rejected: c.rejected,
            lookupCalls: c.lookupCalls, lookupHits: c.lookupHits)
    }
    /// The totals and flags, in memory of the mapper's own: updating them per record costs no
    /// exclusivity check.
    private struct Counts {
        var read = 0
        var mapped = 0
        var rejected = 0
        var lookupCalls = 0
        var lookupHits = 0
        /// Records the byte-level evaluator mapped or skipped (the others went through ``Value``s).
        var cellRecords = 0
        /// Whether the last record's outputs are in `cells` rather than `outputs`.
        var outputsInCells = false
    }
    private let counts: UnsafeMutablePointer<Counts>
    /// Records skipped, per skip rule.
    private let skips: UnsafeMutablePointer<Int>
    private let skipCount: Int
    private let frame: Frame
    /// The output values of the last record, one per output field.
    private let outputs: UnsafeMutablePointer<Value>
    private let outputCount: Int
    private var bytes: [UInt8] = []
    private let shape = KeyShape()
    private let strings: StringCache
    private let scratch = ByteScratch()
    private let decoder: RecordDecoder
    private let encoder: RecordEncoder
    private let program: CellProgram?
    private let checks: FieldChecks?
    /// The tables of `checks`, read without a reference count.
    private let checkTables: FieldChecks.Tables?
    /// The byte-level evaluator's frame and output cells (used when the mapping has a cell program).
    private let cellFrame: CellFrame
    private let cells: UnsafeMutablePointer<Cell>
    /// Records the byte-level evaluator mapped or skipped (the others went through ``Value``s).
    var cellRecords: Int { counts.pointee.cellRecords }

    /// Creates a mapper.
    public init(mapping: CompiledMapping, lookups: LookupProvider? = nil, validate: Bool = true) {
        self.mapping = mapping
        self.validates = validate
        self.frame = mapping.makeFrame(lookups: lookups)
        self.counts = .allocate(capacity: 1)
        self.counts.initialize(to: Counts())
        self.skipCount = mapping.skipRules.count
        self.skips = .allocate(capacity: max(skipCount, 1))
        self.skips.initialize(repeating: 0, count: skipCount)
        self.decoder = mapping.decoder
        self.encoder = mapping.encoder
        self.program = mapping.cells
        self.outputCount = mapping.outputFields.count
        self.outputs = .allocate(capacity: max(outputCount, 1))
        self.outputs.initialize(repeating: .null, count: outputCount)
        self.checks = validate ? FieldChecks(fields: mapping.outputFields) : nil
        self.checkTables = checks?.tables
        self.strings = StringCache(slotCount: mapping.inputFields.count)
        self.cellFrame = CellFrame(slotCount: mapping.cells == nil ? 0 : mapping.inputFields.count, values: frame)
        self.cells = .allocate(capacity: max(outputCount, 1))
        self.cells.initialize(repeating: .null, count: outputCount)
    }

    deinit {
        counts.deinitialize(count: 1)
        counts.deallocate()
        skips.deallocate()
        outputs.deinitialize(count: outputCount)
        outputs.deallocate()
        cells.deinitialize(count: outputCount)
        cells.deallocate()
    }

    /// The output values of the last record (from its cells while its line is alive).
    private var values: [Value] {
        if counts.pointee.outputsInCells { return (0..<outputCount).map { cells[$0].value } }
        return Array(UnsafeBufferPointer(start: outputs, count: outputCount))
    }

    /// Maps one line of JSONL text; returns nil for a blank line.
    public func map(line: [UInt8]) -> LineResult? {
        bytes.removeAll(keepingCapacity: true)
        return line.withUnsafeBufferPointer { result(map(line: $0, appendingTo: &bytes)) }
    }

    /// Maps one record given as JSON.
    public func map(record json: JSONValue) -> LineResult {
        bytes.removeAll(keepingCapacity: true)
        counts.pointee.outputsInCells = false
        let calls = frame.lookupCalls
        let hits = frame.lookupHits
        return result(finish(mapping.evaluate(json: json, frame: frame), calls: calls, hits: hits, appendingTo: &bytes))!
    }

    private func result(_ status: LineStatus) -> LineResult? {
        switch status {
        case .blank: return nil
        case .mapped: return .mapped(json: String(decoding: bytes, as: UTF8.self), values: values)
        case .skipped(let rule): return .skipped(rule: rule)
        case .rejected(let failure, let violations, let values):
            return .rejected(failure: failure, violations: violations, values: values)
        }
    }

    /// Maps one line of JSONL text, appending the mapped record (without a newline) to `out`.
    ///
    /// The fast path: the line is decoded straight into the mapping's input slots and the record
    /// written as bytes, with no per-record `JSONValue` or `String` for the output. When the
    /// mapping has a cell program, the byte-level evaluator maps the record without any `String`;
    /// a record it cannot decide goes through the ``Value`` evaluator.
    public func map(line: UnsafeBufferPointer<UInt8>, appendingTo out: inout [UInt8]) -> LineStatus {
        var blank = true
        for b in line where !(b == 0x20 || b == 0x09 || b == 0x0D || b == 0x0A) {
            blank = false
            break
        }
        if blank { return .blank }
        counts.pointee.read += 1
        counts.pointee.outputsInCells = false
        if let program {
            switch decoder.decode(line, into: cellFrame, shape: shape) {
            case .decoded:
                switch program.run(cellFrame, into: cells) {
                case .mapped: return finishCells(appendingTo: &out)
                case .skipped(let rule):
                    counts.pointee.cellRecords += 1
                    skips[rule] += 1
                    return .skipped(rule: rule)
                case .undecided: break
                }
            case .fallBack: break
            case .notHandled: return general(line, calls: frame.lookupCalls, hits: frame.lookupHits, appendingTo: &out)
            }
        }
        let calls = frame.lookupCalls
        let hits = frame.lookupHits
        switch mapping.decode(line: line, into: frame, shape: shape, strings: strings) {
        case .decoded:
            return finish(mapping.run(frame, into: outputs), calls: calls, hits: hits, appendingTo: &out)
        case .failed(let f):
            return finish(CompiledMapping.Status.failed(f), calls: calls, hits: hits, appendingTo: &out)
        case .notHandled:
            return general(line, calls: calls, hits: hits, appendingTo: &out)
        }
    }

    /// The general path for a line the fast decoders do not take: ``JSONParser`` says what is
    /// wrong with it, or the record is evaluated from its JSON.
    private func general(_ line: UnsafeBufferPointer<UInt8>, calls: Int, hits: Int, appendingTo out: inout [UInt8]) -> LineStatus {
        let json: JSONValue
        do {
            json = try JSONParser.parse(line, rejectingInvalidUTF8: true)
        } catch {
            counts.pointee.rejected += 1
            return .rejected(
                failure: RecordFailure(code: .malformedRecord, message: "not valid JSON: \(error.description)"), violations: [],
                values: nil)
        }
        return finish(mapping.evaluate(json: json, frame: frame), calls: calls, hits: hits, appendingTo: &out)
    }

    /// Validates and writes a record the byte-level evaluator mapped into `cells`.
    private func finishCells(appendingTo out: inout [UInt8]) -> LineStatus {
        counts.pointee.outputsInCells = true
        counts.pointee.cellRecords += 1
        if !encoder.encode(cells: cells, count: outputCount, checks: checkTables, into: &out, scratch: scratch) {
            if let rejected = validatorRejects() { return rejected }
            _ = encoder.encode(cells: cells, count: outputCount, checks: nil, into: &out, scratch: scratch)
        }
        counts.pointee.mapped += 1
        return .mapped
    }

    /// Counts, validates and writes the outcome of a record evaluated from JSON.
    private func finish(_ outcome: RecordOutcome, calls: Int, hits: Int, appendingTo out: inout [UInt8]) -> LineStatus {
        switch outcome {
        case .mapped(let v):
            for i in 0..<min(v.count, outputCount) { outputs[i] = v[i] }
            return finish(CompiledMapping.Status.mapped, calls: calls, hits: hits, appendingTo: &out)
        case .skipped(let rule): return finish(CompiledMapping.Status.skipped(rule: rule), calls: calls, hits: hits, appendingTo: &out)
        case .failed(let f): return finish(CompiledMapping.Status.failed(f), calls: calls, hits: hits, appendingTo: &out)
        }
    }

    /// Counts, validates and writes the outcome of one record whose outputs are in `outputs`.
    private func finish(_ status: CompiledMapping.Status, calls: Int, hits: Int, appendingTo out: inout [UInt8]) -> LineStatus {
        if mapping.usesLookups {
            counts.pointee.lookupCalls += frame.lookupCalls - calls
            counts.pointee.lookupHits += frame.lookupHits - hits
        }
        switch status {
        case .skipped(let rule):
            skips[rule] += 1
            return .skipped(rule: rule)
        case .failed(let f):
            counts.pointee.rejected += 1
            return .rejected(failure: f, violations: [], values: nil)
        case .mapped:
            if !encoder.encode(outputs, count: outputCount, checks: checkTables, into: &out, scratch: scratch) {
                if let rejected = validatorRejects() { return rejected }
                _ = encoder.encode(outputs, count: outputCount, checks: nil, into: &out, scratch: scratch)
            }
            counts.pointee.mapped += 1
            return .mapped
        }
    }

    /// The verdict on the last record when the fast checks could not pass one of its values: the
    /// validator decides, and says why; nil when it finds nothing (the record is then written
    /// without checks).
    private func validatorRejects() -> LineStatus? {
        let values = self.values
        let violations = OutputValidator.validate(values, fields: mapping.outputFields)
        if violations.isEmpty { return nil }
        counts.pointee.rejected += 1
        return .rejected(failure: nil, violations: violations, values: values)
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
