/// Writes a compiled mapping's output values as the compact JSON object `mapc run` prints for a
/// record, byte for byte as ``RecordMapper/jsonLine(_:fields:)`` writes it, straight into bytes,
/// and checks the values against the destination fields on the way.
///
/// The sync engine hashes, records and compares mapped records in this form. A writer keeps a
/// scratch buffer between records, so one writer serves one thread at a time.
public final class MappedJSONWriter {
    private let encoder: RecordEncoder
    private let checks: FieldChecks
    private let fields: [Field]
    private let scratch = ByteScratch()

    /// A writer for the output fields of `mapping`.
    public init(mapping: CompiledMapping) {
        encoder = mapping.encoder
        fields = mapping.outputFields
        checks = FieldChecks(fields: mapping.outputFields)
    }

    /// Appends the object of `values` (aligned with the mapping's output fields) to `out`, and
    /// returns what the destination refuses or may refuse in them, exactly as
    /// ``OutputValidator/validate(_:fields:)`` says (empty when they are valid): errors reject the
    /// record, warnings do not (see ``Violation/severity``).
    public func write(_ values: [Value], to out: inout [UInt8]) -> [Violation] {
        guard !values.isEmpty else {
            encoder.encode(values, into: &out, scratch: scratch)
            return OutputValidator.validate(values, fields: fields)
        }
        var values = values
        // The fast checks only ever claim passes the validator would give; on any doubt the
        // validator decides.
        let passed = values.withUnsafeMutableBufferPointer { v in
            encoder.encode(v.baseAddress!, count: v.count, checks: checks.tables, into: &out, scratch: scratch)
        }
        if passed { return [] }
        encoder.encode(values, into: &out, scratch: scratch)
        return OutputValidator.validate(values, fields: fields)
    }
}
