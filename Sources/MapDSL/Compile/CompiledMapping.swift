/// Evaluation state for one record: the input slots and lookup statistics.
public final class Frame {
    /// Source values, one slot per source field the mapping reads. The number of slots is fixed
    /// when the frame is made; setting assigns slot by slot (missing values become null).
    public var slots: [Value] {
        get { Array(UnsafeBufferPointer(start: storage, count: slotCount)) }
        set {
            for i in 0..<slotCount { storage[i] = i < newValue.count ? newValue[i] : .null }
        }
    }
    /// The slots, read by compiled code without copies or exclusivity checks.
    let storage: UnsafeMutablePointer<Value>
    let slotCount: Int
    /// The lookup provider, if any.
    let lookups: LookupProvider?
    /// Lookups made and lookups that found a record, since the frame was created.
    public internal(set) var lookupCalls = 0
    public internal(set) var lookupHits = 0
    /// The keys of the last JSON record decoded into the frame, in order, and the slot of each
    /// (-1: not read by the mapping): records of one source mostly repeat their key order, and a
    /// key equal to the one in its place is found without hashing.
    var keyOrder: [String] = []
    var keySlots: [Int] = []

    /// Creates a frame with `slotCount` null slots.
    public init(slotCount: Int, lookups: LookupProvider?) {
        self.slotCount = slotCount
        self.storage = UnsafeMutablePointer<Value>.allocate(capacity: max(slotCount, 1))
        self.storage.initialize(repeating: .null, count: slotCount)
        self.lookups = lookups
    }

    deinit {
        storage.deinitialize(count: slotCount)
        storage.deallocate()
    }

    /// Sets every slot to null.
    func clear() {
        for i in 0..<slotCount { storage[i] = .null }
    }
}

typealias Code = @Sendable (Frame) throws -> Value

/// Why one record could not be mapped.
public struct RecordFailure: Error, Sendable, Hashable {
    /// The failure kind.
    public var code: RecordErrorCode
    /// What happened, naming the value.
    public var message: String
    /// The destination field being computed, if any.
    public var field: String?
    /// The 1-based line of the mapping where it happened, if any.
    public var line: Int?
    /// The source field whose value was at fault, if known.
    public var sourceField: String?

    /// Creates a failure.
    public init(code: RecordErrorCode, message: String, field: String? = nil, line: Int? = nil, sourceField: String? = nil) {
        self.code = code
        self.message = message
        self.field = field
        self.line = line
        self.sourceField = sourceField
    }
}

/// The result of mapping one record.
public enum RecordOutcome: Sendable {
    /// Values for ``CompiledMapping/outputFields``, in order.
    case mapped([Value])
    /// Skipped by skip rule `rule` (an index into ``CompiledMapping/skipRules``).
    case skipped(rule: Int)
    /// The record could not be mapped.
    case failed(RecordFailure)
}

/// A checked mapping compiled for fast evaluation: names resolved to slots, functions bound,
/// patterns and match tables prepared once.
public final class CompiledMapping: Sendable {
    /// The source object's schema.
    public let source: Schema
    /// The destination object's schema.
    public let destination: Schema
    /// Source fields read by the mapping, one per input slot.
    public let inputFields: [Field]
    /// Destination fields written, in the mapping's order.
    public let outputFields: [Field]
    /// Position of the key field in ``outputFields``, when the mapping declares a key.
    public let keyIndex: Int?
    /// The text of each skip rule, for reports.
    public let skipRules: [String]
    /// Whether the mapping uses lookups.
    public let usesLookups: Bool
    /// For each output, the source fields it reads (for `why` and reports).
    public let outputSources: [[String]]
    let skipCode: [Code]
    let outputCode: [Code]
    let outputLines: [Int]
    let outputTypes: [FieldType]
    /// The type of each input slot.
    let inputTypes: [FieldType]
    let slotByName: [String: Int]
    /// Reads JSONL lines straight into the input slots.
    let decoder: RecordDecoder
    /// Writes mapped records as JSON bytes.
    let encoder: RecordEncoder
    /// The skip rules and outputs as chained calls.
    let program: Program
    /// The mapping for the byte-level evaluator, when it covers the whole mapping.
    let cells: CellProgram?

    init(
        source: Schema, destination: Schema, inputFields: [Field], outputFields: [Field], keyIndex: Int?,
        skipRules: [String], usesLookups: Bool, outputSources: [[String]], skipCode: [Code], outputCode: [Code],
        outputLines: [Int], cells: CellProgram?
    ) {
        self.source = source
        self.destination = destination
        self.inputFields = inputFields
        self.outputFields = outputFields
        self.keyIndex = keyIndex
        self.skipRules = skipRules
        self.usesLookups = usesLookups
        self.outputSources = outputSources
        self.skipCode = skipCode
        self.outputCode = outputCode
        self.outputLines = outputLines
        self.outputTypes = outputFields.map(\.type)
        self.inputTypes = inputFields.map(\.type)
        var slots: [String: Int] = [:]
        for (i, f) in inputFields.enumerated() { slots[f.name] = i }
        self.slotByName = slots
        self.decoder = RecordDecoder(fields: inputFields)
        self.encoder = RecordEncoder(fields: outputFields)
        self.program = Program(skips: skipCode, outputs: outputCode, types: outputTypes)
        self.cells = cells
    }

    /// The input slot of source field `name`, when the mapping reads it.
    public func slot(of name: String) -> Int? { slotByName[name] }

    /// A new frame for evaluating records one after another.
    public func makeFrame(lookups: LookupProvider? = nil) -> Frame {
        Frame(slotCount: inputFields.count, lookups: lookups)
    }

    /// Maps the record whose source values are in `frame.slots`.
    public func evaluate(_ frame: Frame) -> RecordOutcome {
        var out = [Value](repeating: .null, count: outputCode.count)
        switch run(frame, into: &out) {
        case .mapped: return .mapped(out)
        case .skipped(let rule): return .skipped(rule: rule)
        case .failed(let f): return .failed(f)
        }
    }

    /// What ``run(_:into:)`` did with a record.
    enum Status {
        /// The values are in the output array.
        case mapped
        case skipped(rule: Int)
        case failed(RecordFailure)
    }

    /// Maps the record in `frame`'s slots, replacing the contents of `out` with the output values
    /// (its storage is reused from record to record).
    func run(_ frame: Frame, into out: inout [Value]) -> Status {
        if out.count != outputCode.count { out = [Value](repeating: .null, count: outputCode.count) }
        return out.withUnsafeMutableBufferPointer { run(frame, into: $0.baseAddress!) }
    }

    /// Maps the record in `frame`'s slots, writing the output values into `out` (one initialized
    /// value per output field).
    func run(_ frame: Frame, into out: UnsafeMutablePointer<Value>) -> Status {
        do {
            let r = try program.run(frame, into: out)
            return r == 0 ? .mapped : .skipped(rule: r - 1)
        } catch let e as Program.StepFailure {
            guard let i = e.output else { return .failed(failure(e.error, field: nil, line: nil)) }
            return .failed(failure(e.error, field: outputFields[i].name, line: outputLines[i]))
        } catch {
            return .failed(failure(error, field: nil, line: nil))
        }
    }

    /// Decodes one JSONL line into `frame`'s slots; `.notHandled` when the line is not a
    /// well-formed JSON object (parse it with ``JSONParser`` and use ``evaluate(json:frame:)``).
    func decode(line: UnsafeBufferPointer<UInt8>, into frame: Frame, shape: KeyShape, strings: StringCache) -> LineDecoding {
        precondition(frame.slotCount == inputFields.count, "the frame was not made by this mapping")
        return decoder.decode(line, into: frame.storage, shape: shape, strings: strings)
    }

    private func failure(_ error: Error, field: String?, line: Int?) -> RecordFailure {
        if let e = error as? EvalError {
            return RecordFailure(code: e.code, message: e.message, field: field, line: line)
        }
        return RecordFailure(code: .lookupFailed, message: "\(error)", field: field, line: line)
    }

    /// Converts a computed value to the representation its destination field type expects.
    @inline(__always) static func coerce(_ v: Value, to type: FieldType) -> Value {
        switch (v, type) {
        case (.int(let i), .decimal): .decimal(Double(i))
        case (.date(let d), .datetime): .datetime(Dates.millis(ofDay: d))
        default: v
        }
    }

    /// Maps one record given as a JSON object, decoding only the fields the mapping reads.
    public func evaluate(json record: JSONValue, frame: Frame) -> RecordOutcome {
        guard let pairs = record.objectValue else {
            return .failed(RecordFailure(code: .malformedRecord, message: "the record is a JSON \(record.kindName), not an object"))
        }
        frame.clear()
        if frame.keyOrder.count != pairs.count {
            frame.keyOrder = Array(repeating: "", count: pairs.count)
            frame.keySlots = Array(repeating: -2, count: pairs.count)
        }
        for i in pairs.indices {
            let key = pairs[i].0
            var slot = frame.keySlots[i]
            if slot == -2 || frame.keyOrder[i] != key {
                slot = slotByName[key] ?? -1
                frame.keyOrder[i] = key
                frame.keySlots[i] = slot
            }
            guard slot >= 0, slot < frame.slotCount else { continue }
            switch SourceDecoder.decode(pairs[i].1, type: inputTypes[slot], name: inputFields[slot].name) {
            case .success(let v): frame.storage[slot] = v
            case .failure(let f): return .failed(f)
            }
        }
        return evaluate(frame)
    }
}
