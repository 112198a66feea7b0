import Foundation
import MapDSL

/// `mapc run MAPPING --input F.jsonl`: maps JSONL records, streaming.
enum RunCommand: Command {
    static let name = "run"
    static let summary = "Map JSONL records through a mapping (streaming, constant memory)"
    static let usage = "MAPPING --input FILE.jsonl [--output FILE.jsonl] [--rejects FILE.jsonl] [--lookups DIR]"
    static let discussion = """
        Reads one JSON object per line (use '-' for standard input), writes one mapped object per line
        (standard output by default). Records that fail to map or that the destination schema would
        reject (required, picklist, length, format) are reported on standard error, or written to
        --rejects as JSON lines. Exit status 0 when every record mapped or was skipped, 1 when any
        was rejected or the mapping has errors.
        """
    static let options = [
        OptionSpec("input", short: "i", value: "FILE", help: "JSONL input ('-' for standard input)."),
        OptionSpec("output", short: "o", value: "FILE", help: "JSONL output (default: standard output)."),
        OptionSpec("rejects", value: "FILE", help: "Write rejected records with reasons here as JSONL."),
        OptionSpec("lookups", value: "DIR", help: "Serve lookup(...) from DIR/<platform>/<Object>.jsonl."),
        OptionSpec("no-validate", help: "Do not validate mapped records against the destination schema."),
        OptionSpec("quiet", short: "q", help: "No summary line."),
        CommonOptions.schemas,
    ]

    static func run(_ args: Arguments, _ ctx: CommandContext) throws -> ExitCode {
        guard args.positional.count == 1 else {
            throw CLIError.usage("give exactly one mapping file", help: "mapc run mappings/contacts-to-leads.map --input contacts.jsonl")
        }
        guard let input = args.value("input") else {
            throw CLIError.usage("--input is required", help: "use '--input -' to read standard input")
        }
        let path = args.positional[0]
        let project = try Project.locate(args, ctx, near: path)
        let loaded = try LoadedMapping.load(path, project: project, ctx)
        let mapping = try loaded.compile(ctx)
        let lookups = try loadLookups(args.value("lookups"), mapping: mapping, loaded: loaded, project: project, ctx)
        let mapper = RecordMapper(mapping: mapping, lookups: lookups, validate: !args.flag("no-validate"))

        let reader = try LineReader(path: input == "-" ? "-" : ctx.resolve(input))
        let sink = try args.value("output").map { try FileSink(path: ctx.resolve($0)) }
        let rejects = try args.value("rejects").map { try FileSink(path: ctx.resolve($0)) }
        var lineNumber = 0
        var reportedOnStderr = 0
        // Mapped records are written as bytes into one buffer, flushed in large writes: to the
        // --output file, straight to descriptor 1 from a real terminal or pipe, or through ctx.io.
        var out: [UInt8] = []
        out.reserveCapacity(Self.flushSize + 4096)
        let stdout = sink == nil ? ctx.io as? StandardIO : nil
        stdout?.flush()
        func flush() {
            guard !out.isEmpty else { return }
            out.withUnsafeBufferPointer { bytes in
                if let sink {
                    sink.write(bytes)
                } else if stdout != nil {
                    Self.writeAll(bytes, to: 1)
                } else {
                    ctx.io.out(String(decoding: bytes, as: UTF8.self))
                }
            }
            out.removeAll(keepingCapacity: true)
        }
        while let line = reader.nextLine() {
            lineNumber += 1
            switch mapper.map(line: line, appendingTo: &out) {
            case .mapped:
                out.append(0x0A)
                if out.count >= Self.flushSize { flush() }
            case .blank, .skipped:
                break
            case .rejected(let failure, let violations, _):
                if let rejects {
                    rejects.write(
                        JSONWriter.compact(rejectRecord(line: lineNumber, input: Array(line), failure: failure, violations: violations))
                            + "\n")
                } else if reportedOnStderr < 1000 {
                    reportedOnStderr += 1
                    flush()
                    ctx.io.err(rejectText(input: input, line: lineNumber, failure: failure, violations: violations, mappingPath: path))
                }
            }
        }
        flush()
        sink?.close()
        rejects?.close()
        let s = mapper.statistics
        if reportedOnStderr >= 1000 && rejects == nil {
            ctx.io.err("… further rejections not shown; use --rejects FILE to keep them all\n")
        }
        if !args.flag("quiet") {
            var summary = "read \(s.read), mapped \(s.mapped), skipped \(s.skippedTotal), rejected \(s.rejected)"
            if mapping.usesLookups { summary += ", lookups \(s.lookupHits)/\(s.lookupCalls) hit" }
            ctx.io.err(summary + "\n")
        }
        return s.rejected > 0 ? .failure : .ok
    }

    /// Bytes of mapped records gathered before a write.
    static let flushSize = 1 << 16

    /// Writes all of `bytes` to descriptor `fd`, stopping at an error (a closed pipe).
    static func writeAll(_ bytes: UnsafeBufferPointer<UInt8>, to fd: Int32) {
        guard let base = bytes.baseAddress else { return }
        var off = 0
        while off < bytes.count {
            let n = write(fd, base + off, bytes.count - off)
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            off += n
        }
    }

    static func rejectRecord(line: Int, input: [UInt8], failure: RecordFailure?, violations: [Violation]) -> JSONValue {
        var reasons: [JSONValue] = []
        if let f = failure {
            var o: [(String, JSONValue)] = [("code", .string(f.code.rawValue)), ("message", .string(f.message))]
            if let field = f.field { o.append(("field", .string(field))) }
            if let sf = f.sourceField { o.append(("sourceField", .string(sf))) }
            if let l = f.line { o.append(("mappingLine", .int(l))) }
            reasons.append(.object(o))
        }
        for v in violations {
            reasons.append(.object([("code", .string(v.code.rawValue)), ("field", .string(v.field)), ("message", .string(v.message))]))
        }
        let record = (try? JSONParser.parse(input)) ?? .string(String(decoding: input, as: UTF8.self))
        return .object([("line", .int(line)), ("reasons", .array(reasons)), ("record", record)])
    }

    static func rejectText(input: String, line: Int, failure: RecordFailure?, violations: [Violation], mappingPath: String) -> String {
        var s = ""
        if let f = failure {
            var where_ = ""
            if let field = f.field { where_ = " in `\(field)`" + (f.line.map { " (\(mappingPath):\($0))" } ?? "") }
            s += "\(input):\(line): rejected[\(f.code.rawValue)]\(where_): \(f.message)\n"
        }
        for v in violations {
            s += "\(input):\(line): rejected[\(v.code.rawValue)] `\(v.field)`: \(v.message)\n"
        }
        return s
    }

    static func loadLookups(
        _ dir: String?, mapping: CompiledMapping, loaded: LoadedMapping, project: Project, _ ctx: CommandContext
    ) throws -> LookupProvider? {
        guard mapping.usesLookups, let dir else { return nil }
        var records: [String: [[String: Value]]] = [:]
        for (name, schema) in loaded.result.lookupSchemas {
            let file = ctx.resolve(dir) + "/\(schema.platform)/\(schema.object).jsonl"
            guard FileManager.default.fileExists(atPath: file) else {
                throw CLIError.usage("no lookup records for \(name): '\(file)' does not exist")
            }
            records[name] = InMemoryLookup.records(fromJSONL: try readText(file, ctx), schema: schema).records
        }
        return InMemoryLookup(records: records)
    }
}
