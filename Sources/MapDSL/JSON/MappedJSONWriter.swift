/// Writes a compiled mapping's output values as the compact JSON object `mapc run` prints for a
/// record, byte for byte as ``RecordMapper/jsonLine(_:fields:)`` writes it, straight into bytes.
///
/// The sync engine hashes, records and compares mapped records in this form. A writer keeps a
/// scratch buffer between records, so one writer serves one thread at a time.
public final class MappedJSONWriter {
    private let encoder: RecordEncoder
    private var scratch = ByteScratch()

    /// A writer for the output fields of `mapping`.
    public init(mapping: CompiledMapping) {
        encoder = mapping.encoder
    }

    /// Appends the object of `values` (aligned with the mapping's output fields) to `out`.
    public func write(_ values: [Value], to out: inout [UInt8]) {
        encoder.encode(values, into: &out, scratch: &scratch)
    }
}
