import MapDSL

/// JSONL record lines, as `mapc run`, `dry-run` and a sync read them: each line through a mapping
/// the byte-level evaluator runs and one the ``Value`` evaluator runs, from the bytes (the fast
/// decoders) and from a parsed JSON value (the path a sync takes); the mapped values are written
/// out as JSON again.
struct RecordLineTarget: FuzzTarget {
    let name = "jsonl-records"

    /// The two mappings, compiled once per process.
    static let mappings: [CompiledMapping] = [FuzzProject.cellMapping, FuzzProject.valueMapping].map { text in
        let source = SourceText(path: "fuzz.map", text: text)
        guard let m = try? Compiler.compile(Checker.check(source, schemas: FuzzProject.schemas), text: source) else {
            fatalError("a fuzz mapping does not compile: \(Checker.check(source, schemas: FuzzProject.schemas).diagnostics.map(\.message))")
        }
        return m
    }

    var seeds: [[UInt8]] {
        [FuzzProject.records.joined(separator: "\n")].map { Array($0.utf8) } + FuzzProject.records.map { Array($0.utf8) } + [
            Array(#"{"id": "7", "n": [[[[[[[[1]]]]]]]], "note": {"a": {"b": {}}}}"#.utf8),
            Array(#"{"id":"8","email":"\ud800","note":"\u0041\/\b"}"#.utf8),
        ]
    }

    func run(_ input: [UInt8]) {
        for mapping in Self.mappings {
            let mapper = RecordMapper(mapping: mapping, lookups: mapping.usesLookups ? FuzzProject.lookups : nil)
            for line in input.split(separator: 0x0A, omittingEmptySubsequences: false) {
                let bytes = Array(line)
                if let result = mapper.map(line: bytes), case .mapped(_, let values) = result {
                    _ = RecordMapper.jsonLine(values, fields: mapping.outputFields)
                    _ = values.map(\.json)
                }
                if let json = try? JSONParser.parse(bytes) {
                    if case .mapped(_, let values) = mapper.map(record: json) { _ = values.map(\.text) }
                    _ = JSONWriter.compact(json)
                }
            }
        }
    }
}
