import Foundation
import MapDSL
import MapReview

/// `mapc dry-run MAPPING`: maps the sample records and reports what the destination would get.
enum DryRunCommand: Command {
    static let name = "dry-run"
    static let summary = "Map the sample records and report skips, rejections, fill rates, lookups and duplicate keys"
    static let usage = "MAPPING [--samples FILE.jsonl] [--show N] [--format text|json|markdown] [--schemas DIR]"
    static let discussion = """
        Runs the mapping over sample records (default: samples/<platform>/<object>.jsonl of the mapping's
        source object) and validates every output against the destination schema. Lookups are served
        from samples/<platform>/<Object>.jsonl. Reports records read, mapped, skipped per rule, rejected
        grouped by reason code and field (with the first line numbers and messages), the fill rate of
        each destination field, the lookup hit rate and key values that occur more than once.
        --format markdown reads well as a pull-request comment. Exit status 0 when the run completed
        (rejections are reported, not failures), 1 when the mapping has errors.
        """
    static let options = [
        OptionSpec("samples", value: "FILE", help: "JSONL sample records (default: samples/<platform>/<object>.jsonl)."),
        OptionSpec("show", value: "N", help: "Print the first N source records beside their mapped output."),
        CommonOptions.format([.text, .json, .markdown]),
        CommonOptions.schemas,
    ]

    static func run(_ args: Arguments, _ ctx: CommandContext) throws -> ExitCode {
        let format = try OutputFormat.parse(args, allowed: [.text, .json, .markdown])
        let show = try args.int("show", default: 0)
        guard args.positional.count == 1 else {
            throw CLIError.usage("give exactly one mapping file", help: "mapc dry-run samples/mappings/contacts-to-leads.map")
        }
        let path = args.positional[0]
        let project = try Project.locate(args, ctx, near: path)
        let loaded = try LoadedMapping.load(path, project: project, ctx)
        let mapping = try loaded.compile(ctx)
        let samples = try ReviewSupport.samples(args.value("samples"), for: mapping, project: project, ctx)
        let report = try ReviewSupport.dryRun(loaded, mapping, samples: samples, project: project, show: show, ctx)
        switch format {
        case .text: ctx.io.out(report.renderText())
        case .markdown: ctx.io.out(report.renderMarkdown())
        case .json: ctx.io.out(JSONWriter.pretty(report.json))
        }
        return .ok
    }
}

/// Sample files, lookups, clocks and mapping discovery shared by the review commands.
enum ReviewSupport {
    /// A samples file: where it is and how to name it.
    struct Samples {
        let path: String
        let display: String
        let text: String
    }

    /// The samples file given with `--samples`, or the project's samples of the mapping's source object.
    static func samples(_ given: String?, for mapping: CompiledMapping, project: Project, _ ctx: CommandContext) throws -> Samples {
        if let given {
            return Samples(path: ctx.resolve(given), display: given, text: try readText(given, ctx))
        }
        guard let path = defaultSamplesPath(for: mapping.source, project: project) else {
            throw CLIError.usage(
                "no sample records for \(mapping.source.qualifiedName): '\(display(samplesPath(mapping.source, project), ctx))' does not exist",
                help: "pass --samples FILE.jsonl")
        }
        return Samples(path: path, display: display(path, ctx), text: try readText(path, ctx))
    }

    /// `<root>/samples/<platform>/<object>.jsonl`.
    static func samplesPath(_ schema: Schema, _ project: Project) -> String {
        project.root + "/samples/\(schema.platform)/\(schema.object).jsonl"
    }

    /// The project's samples file for `schema`, when it exists.
    static func defaultSamplesPath(for schema: Schema, project: Project) -> String? {
        let p = samplesPath(schema, project)
        return FileManager.default.fileExists(atPath: p) ? p : nil
    }

    /// Lookups served from the project's sample records (the same files `mapc run --lookups samples` reads).
    static func lookups(_ loaded: LoadedMapping, _ mapping: CompiledMapping, project: Project, _ ctx: CommandContext) throws
        -> LookupProvider?
    {
        try RunCommand.loadLookups(project.root + "/samples", mapping: mapping, loaded: loaded, project: project, ctx)
    }

    /// Runs the dry-run of `mapping` over `samples`.
    static func dryRun(
        _ loaded: LoadedMapping, _ mapping: CompiledMapping, samples: Samples, project: Project, show: Int = 0, _ ctx: CommandContext
    ) throws -> DryRunReport {
        DryRun.run(
            mapping, samples: samples.text, lookups: try lookups(loaded, mapping, project: project, ctx), mappingPath: loaded.path,
            samplesPath: samples.display, show: show)
    }

    /// `path` relative to the working directory when inside it.
    static func display(_ path: String, _ ctx: CommandContext) -> String {
        let abs = (path as NSString).standardizingPath
        let cwd = (ctx.workingDirectory as NSString).standardizingPath
        let prefix = cwd.hasSuffix("/") ? cwd : cwd + "/"
        return abs.hasPrefix(prefix) ? String(abs.dropFirst(prefix.count)) : abs
    }

    /// The current time, or `$MAPC_NOW` (ISO 8601) so tests and demos are reproducible.
    static func now(_ ctx: CommandContext) throws -> Date {
        guard let fixed = ctx.environment["MAPC_NOW"] else { return Date() }
        guard let d = Approval.date(fixed) else {
            throw CLIError.usage("MAPC_NOW must be an ISO 8601 time such as 2025-01-31T09:30:00Z, not '\(fixed)'")
        }
        return d
    }

    /// Every mapping of the project: `mappings/*.map` and `samples/mappings/*.map`, sorted.
    static func projectMappings(_ project: Project) -> [String] {
        var out: [String] = []
        for dir in ["mappings", "samples/mappings"] {
            let abs = project.root + "/" + dir
            guard let files = try? FileManager.default.contentsOfDirectory(atPath: abs) else { continue }
            out += files.filter { $0.hasSuffix(".map") }.sorted().map { abs + "/" + $0 }
        }
        return out
    }

    /// Loads the lock of `project`.
    static func lock(_ project: Project) throws -> MappingsLock {
        do {
            return try MappingsLock.load(root: project.root)
        } catch {
            throw CLIError.operational("cannot read the lock: \(error)")
        }
    }

    /// The approved version of a mapping, checked against today's schemas.
    static func approved(_ entry: LockEntry, key: String, project: Project) -> LoadedMapping {
        let source = SourceText(path: "\(key) (approved)", text: entry.canonicalText)
        return LoadedMapping(path: source.path, source: source, result: Checker.check(source, schemas: project.schemaProvider))
    }

    /// The semantic and behavioural diff of two loaded mappings; behaviour is compared over the new
    /// version's samples when both compile.
    static func diff(
        old: LoadedMapping, new: LoadedMapping, oldLabel: String, newLabel: String, samplesOption: String?, project: Project,
        _ ctx: CommandContext
    ) throws -> MappingDiff {
        let semantic = SemanticDiff.compare(old.result.file, new.result.file)
        var notes: [String] = []
        var behaviour: BehaviouralDiff?
        let oldCompiled = old.result.isValid ? try? Compiler.compile(old.result, text: old.source) : nil
        let newCompiled = new.result.isValid ? try? Compiler.compile(new.result, text: new.source) : nil
        if let oldCompiled, let newCompiled {
            let available =
                samplesOption != nil || defaultSamplesPath(for: newCompiled.source, project: project) != nil
            if available {
                let samples = try samples(samplesOption, for: newCompiled, project: project, ctx)
                behaviour = BehaviouralDiff.compute(
                    old: oldCompiled, new: newCompiled, samples: samples.text,
                    oldLookups: try lookups(old, oldCompiled, project: project, ctx),
                    newLookups: try lookups(new, newCompiled, project: project, ctx), samplesPath: samples.display)
            } else {
                notes.append("no sample records for \(newCompiled.source.qualifiedName); behaviour not compared")
            }
        } else {
            if oldCompiled == nil { notes.append("\(oldLabel) does not type-check against today's schemas; behaviour not compared") }
            if newCompiled == nil { notes.append("\(newLabel) does not type-check; behaviour not compared (see 'mapc check')") }
        }
        return MappingDiff(oldLabel: oldLabel, newLabel: newLabel, semantic: semantic, behaviour: behaviour, notes: notes)
    }

    /// Prints a diff in `format`.
    static func print(_ diff: MappingDiff, _ format: OutputFormat, _ ctx: CommandContext) {
        switch format {
        case .text: ctx.io.out(diff.renderText())
        case .markdown: ctx.io.out(diff.renderMarkdown())
        case .json: ctx.io.out(JSONWriter.pretty(diff.json))
        }
    }
}
