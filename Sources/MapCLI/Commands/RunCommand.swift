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
        --rejects as JSON lines. A line longer than --max-line-bytes (16 MiB unless set) stops the run.
        --output and --rejects may not name the input file (nor one another). Exit status 0 when every
        record mapped or was skipped, 1 when any was rejected or the mapping has errors, 3 when the
        input cannot be read or an output cannot be written (the message names the file and the
        error; records counted as mapped were written).
        """
    static let options = [
        OptionSpec("input", short: "i", value: "FILE", help: "JSONL input ('-' for standard input)."),
        OptionSpec("output", short: "o", value: "FILE", help: "JSONL output (default: standard output)."),
        OptionSpec("rejects", value: "FILE", help: "Write rejected records with reasons here as JSONL."),
        OptionSpec("lookups", value: "DIR", help: "Serve lookup(...) from DIR/<platform>/<Object>.jsonl."),
        OptionSpec("max-line-bytes", value: "N", help: "Longest input line accepted, in bytes (default 16777216)."),
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
        let maxLine = try args.int("max-line-bytes", default: LineReader.defaultMaxLineBytes, min: 1)
        let outputPath = args.value("output")
        let rejectsPath = args.value("rejects")
        // Before anything is opened for writing: an output that is the input would be truncated
        // before it is read.
        try refuseOverwritingInput(input: input, output: outputPath, rejects: rejectsPath, ctx)
        let path = args.positional[0]
        let project = try Project.locate(args, ctx, near: path)
        let loaded = try LoadedMapping.load(path, project: project, ctx)
        let mapping = try loaded.compile(ctx)
        let lookups = try loadLookups(args.value("lookups"), mapping: mapping, loaded: loaded, project: project, ctx)
        let mapper = RecordMapper(mapping: mapping, lookups: lookups, validate: !args.flag("no-validate"))

        let reader = try LineReader(path: input == "-" ? "-" : ctx.resolve(input), display: input, maxLineBytes: maxLine)
        let stdout = ctx.io as? StandardIO
        stdout?.flush()
        let sink = try outputPath.map { try ByteSink(path: ctx.resolve($0), name: $0) }
        let rejects = try rejectsPath.map { try ByteSink(path: ctx.resolve($0), name: $0) }
        var reportedOnStderr = 0
        // Mapped records are written as bytes into one buffer, flushed in large writes: to the
        // --output file, straight to descriptor 1 from a real terminal or pipe, or through ctx.io.
        // `pending` records are in the buffer; `written` made it out.
        var out: [UInt8] = []
        out.reserveCapacity(Self.flushSize + 4096)
        var pending = 0
        var written = 0
        func flush() throws {
            guard !out.isEmpty else { return }
            let ok = out.withUnsafeBufferPointer { bytes -> Bool in
                if let sink { return sink.write(bytes) }
                if let stdout { return stdout.write(bytes) }
                ctx.io.out(String(decoding: bytes, as: UTF8.self))
                return true
            }
            out.removeAll(keepingCapacity: true)
            guard ok else {
                if let sink { throw writeFailure("'\(sink.name)'", sink.failure, written: written) }
                throw writeFailure("standard output", stdout?.outputFailure, written: written)
            }
            written += pending
            pending = 0
        }
        while let line = reader.nextLine() {
            switch mapper.map(line: line, appendingTo: &out) {
            case .mapped:
                out.append(0x0A)
                pending += 1
                if out.count >= Self.flushSize { try flush() }
            case .blank, .skipped:
                break
            case .rejected(let failure, let violations, _):
                if let rejects {
                    let text =
                        JSONWriter.compact(rejectRecord(line: reader.lines, input: Array(line), failure: failure, violations: violations))
                        + "\n"
                    guard rejects.write(text) else {
                        throw CLIError.operational("cannot write '\(rejects.name)': \(rejects.failure ?? "unknown error")")
                    }
                } else if reportedOnStderr < 1000 {
                    reportedOnStderr += 1
                    try flush()
                    ctx.io.err(rejectText(input: input, line: reader.lines, failure: failure, violations: violations, mappingPath: path))
                }
            }
        }
        switch reader.failure {
        case .lineTooLong(let line, let limit):
            try flush()
            throw CLIError.operational(
                "line \(line) of \(input == "-" ? "standard input" : "'\(input)'") is longer than \(limit) bytes; stopped there",
                help: "records are one JSON object per line; raise --max-line-bytes if yours really are this long")
        case .read(let error):
            try flush()
            throw CLIError.operational(
                "cannot read \(input == "-" ? "standard input" : "'\(input)'") after line \(reader.lines): \(error)")
        case nil:
            break
        }
        try flush()
        if let sink, !sink.close() { throw writeFailure("'\(sink.name)'", sink.failure, written: 0) }
        if let rejects, !rejects.close() {
            throw CLIError.operational("cannot write '\(rejects.name)': \(rejects.failure ?? "unknown error")")
        }
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

    /// The error for an output that could not be written: which file, the OS's reason, and how many
    /// records are certainly in it.
    static func writeFailure(_ file: String, _ error: String?, written: Int) -> CLIError {
        var reason = error ?? "unknown error"
        if reason.hasPrefix("standard output: ") { reason = String(reason.dropFirst("standard output: ".count)) }
        return CLIError.operational(
            "cannot write \(file): \(reason)",
            help: written > 0 ? "only the first \(written) mapped records were written" : "no mapped record was written completely")
    }

    /// Refuses an `--output` or `--rejects` that is the input file (or standard input, or each
    /// other), also through symbolic or hard links, and standard output when it is the input.
    static func refuseOverwritingInput(input: String, output: String?, rejects: String?, _ ctx: CommandContext) throws {
        func identity(_ path: String) -> (dev: UInt64, ino: UInt64)? {
            var info = stat()
            guard stat(ctx.resolve(path), &info) == 0 else { return nil }
            return (UInt64(info.st_dev), UInt64(info.st_ino))
        }
        func identity(descriptor fd: Int32) -> (dev: UInt64, ino: UInt64)? {
            var info = stat()
            guard fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return nil }
            return (UInt64(info.st_dev), UInt64(info.st_ino))
        }
        let inputName = input == "-" ? "standard input" : "'\(input)'"
        guard let source = input == "-" ? identity(descriptor: 0) : identity(input) else { return }
        for (option, path) in [("--output", output), ("--rejects", rejects)] {
            guard let path, let target = identity(path), target == source else { continue }
            throw CLIError.usage(
                "\(option) '\(path)' is the input file \(inputName); writing it would destroy the records before they are read",
                help: "write to another file, then move it into place")
        }
        if output == nil, let target = identity(descriptor: 1), target == source {
            throw CLIError.usage(
                "standard output is the input file \(inputName); mapc would write into the file it reads (and `>` has emptied it already)",
                help: "redirect the output to another file")
        }
        if let output, let rejects,
            ctx.resolve(output) == ctx.resolve(rejects)
                || (identity(output).map { a in identity(rejects).map { a == $0 } ?? false } ?? false)
        {
            throw CLIError.usage("--output and --rejects name the same file", help: "give each its own file")
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
