import MapDSL

/// Mapping source text, as a file or an LLM reply brings it: lexed, parsed, checked, its
/// diagnostics rendered as text and JSON, formatted, and when it is valid compiled and run on
/// the sample records by both evaluators.
struct MappingSourceTarget: FuzzTarget {
    let name = "dsl-source"

    var seeds: [[UInt8]] {
        [FuzzProject.cellMapping, FuzzProject.valueMapping].map { Array($0.utf8) } + [
            Array("mapping fuzz.contact -> fuzz.Lead\nkey Key\nKey = id\nName = \"x\"\nStatus = \"Open\"\n".utf8),
            Array("mapping fuzz.contact -> fuzz.Lead\r\nkey Key\r\nKey = lookup(fuzz.Account, Name == id)?.Id ?? \"\"\r\n".utf8),
            Array("mapping fuzz.contact -> fuzz.Lead\rkey Key\r# a comment\rKey = id # trailing\r".utf8),
        ]
    }

    func run(_ input: [UInt8]) {
        let source = SourceText(path: "fuzz.map", bytes: input)
        let result = Checker.check(source, schemas: FuzzProject.schemas)
        let renderer = DiagnosticRenderer()
        _ = renderer.render(result.diagnostics, in: source)
        _ = JSONWriter.compact(.array(renderer.json(result.diagnostics, in: source).diagnostics))
        _ = Formatter.format(result.file)
        _ = ASTDump.dump(result.file)
        guard result.isValid, let mapping = try? Compiler.compile(result, text: source) else { return }
        let mapper = RecordMapper(mapping: mapping, lookups: mapping.usesLookups ? FuzzProject.lookups : nil)
        for line in FuzzProject.records {
            _ = mapper.map(line: Array(line.utf8))
            if let json = try? JSONParser.parse(line) { _ = mapper.map(record: json) }
        }
    }
}
