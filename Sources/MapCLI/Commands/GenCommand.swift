import Foundation
import MapDSL
import MapGen

/// `mapc gen PROSE.txt`: plain English to a checked mapping, through an LLM or the offline matcher.
enum GenCommand: Command {
    static let name = "gen"
    static let summary = "Generate a checked mapping from a plain-English description"
    static let usage =
        "PROSE.txt [--from X --to Y] [-o OUT.map] [--offline [--strict]] [--provider P --url URL --model M] [--rounds N] [--grammar]"
    static let discussion = """
        Reads the prose (header lines 'from: platform.object' and 'to: platform.object' name the
        objects unless --from/--to do), asks the LLM endpoint for a mapping, checks it, and feeds the
        diagnostics back for at most --rounds repair rounds. The result is a clean, formatted mapping
        with a provenance header, or a failure listing the remaining diagnostics (then -o is not
        written). The endpoint comes from --url/--provider/--model or MAPC_LLM_URL, MAPC_LLM_MODEL,
        MAPC_LLM_API_KEY (also OPENAI_API_KEY, OPENAI_BASE_URL, ANTHROPIC_API_KEY); keys are read only
        from the environment. Without an endpoint, or with --offline, the offline generator matches
        fields by name, synonyms and the prose. Replies are cached in .mapc/cache/ (--no-cache skips).
        The prose may be at most 64 KiB; the offline generator reads its first 500 sentences and lists
        what it did not read (a sentence past 3,000 characters or 60 comma pieces too).
        """
    static let options = [
        OptionSpec("from", value: "OBJECT", help: "Source object, e.g. hubspot.contact (default: the prose header)."),
        OptionSpec("to", value: "OBJECT", help: "Destination object, e.g. salesforce.Lead (default: the prose header)."),
        OptionSpec("output", short: "o", value: "FILE", help: "Write the mapping here (default: standard output)."),
        OptionSpec("offline", help: "Use the offline generator even when an endpoint is configured."),
        OptionSpec("no-cache", help: "Neither read nor write the reply cache."),
        OptionSpec("rounds", value: "N", help: "Repair rounds after the first answer (default 3)."),
        OptionSpec("provider", value: "NAME", help: "openai, anthropic or ollama (default: from the URL)."),
        OptionSpec("url", value: "URL", help: "Endpoint base URL (default: $MAPC_LLM_URL)."),
        OptionSpec("model", value: "NAME", help: "Model name (default: $MAPC_LLM_MODEL or the provider's default)."),
        OptionSpec("timeout", value: "SECONDS", help: "Seconds to wait for one reply (default 120)."),
        OptionSpec("fold-system", help: "Send the system prompt inside the first user message."),
        OptionSpec("grammar", help: "Constrain replies with the GBNF grammar of the two schemas (llama.cpp, vLLM)."),
        OptionSpec("prompts", value: "DIR", help: "Prompt templates (default: prompts/ in the project)."),
        OptionSpec("strict", help: "Exit 1 when a sentence was not implemented or a rule is flagged for review (offline)."),
        CommonOptions.format([.text, .json]),
        CommonOptions.schemas,
    ]

    static func run(_ args: Arguments, _ ctx: CommandContext) throws -> ExitCode {
        let format = try OutputFormat.parse(args)
        guard args.positional.count == 1 else {
            throw CLIError.usage("give exactly one prose file", help: "mapc gen samples/mappings/contacts-to-leads.txt")
        }
        let prosePath = args.positional[0]
        let prose = ProseDocument.parse(try readProse(prosePath, ctx))
        let project = try Project.locate(args, ctx, near: prosePath)
        let schemas = project.schemaProvider
        let source = try schema(args.value("from") ?? prose.from, role: "source", option: "from", schemas)
        let destination = try schema(args.value("to") ?? prose.to, role: "destination", option: "to", schemas)
        let rounds = try args.int("rounds", default: 3)
        let timeout = try args.int("timeout", default: 120, min: 1)

        let endpoint: EndpointConfig?
        do {
            endpoint = try EndpointConfig.resolve(
                provider: args.value("provider"), url: args.value("url"), model: args.value("model"), environment: ctx.environment,
                timeout: Double(timeout), foldSystem: args.flag("fold-system"))
        } catch {
            throw CLIError.usage(error.message)
        }
        guard let endpoint, !args.flag("offline") else {
            ctx.io.err(
                args.flag("offline")
                    ? "note: using the offline generator (--offline)\n"
                    : "note: no LLM endpoint configured (set MAPC_LLM_URL or pass --url); using the offline generator\n")
            return try offline(prose, source, destination, schemas, args, format, ctx)
        }

        let (generator, constrained) = try llm(endpoint, args, ctx, project)
        var options = GenerationOptions(rounds: rounds, useCache: !args.flag("no-cache"))
        if constrained {
            options.grammar =
                MappingGrammar.build(source: source, destination: destination, lookups: lookupSchemas(destination, schemas, source: source))
                .gbnf
        }
        ctx.io.err("generating with \(endpoint.provider.rawValue)/\(endpoint.model) at \(endpoint.displayURL)\n")
        let outcome: GenerationOutcome
        do {
            outcome = try generator.generate(prose: prose, source: source, destination: destination, options: options)
        } catch {
            throw CLIError.operational(error.message)
        }
        let callsText =
            "\(outcome.calls) LLM call\(outcome.calls == 1 ? "" : "s")"
            + (outcome.cachedReplies > 0 ? ", \(outcome.cachedReplies) cached" : "")
        if let mapping = outcome.mapping {
            try emit(
                mapping, args, ctx, format: format,
                extra: [
                    ("generator", .string("\(endpoint.provider.rawValue)/\(endpoint.model)")), ("calls", .int(outcome.calls)),
                    ("cached", .int(outcome.cachedReplies)), ("rounds", .int(outcome.rounds)),
                ], trace: outcome.trace)
            ctx.io.err("accepted after \(callsText) (\(outcome.rounds) repair round\(outcome.rounds == 1 ? "" : "s"))\n")
            if let trace = outcome.trace { ctx.io.err(trace.summary + "\n") }
            return .ok
        }
        let source_ = SourceText(path: "generated.map", text: outcome.lastCandidate)
        let errors = outcome.diagnostics.filter { $0.severity == .error }.count
        if format == .json {
            ctx.io.out(
                JSONWriter.pretty(
                    .object([
                        ("ok", false), ("calls", .int(outcome.calls)), ("rounds", .int(outcome.rounds)),
                        ("candidate", .string(outcome.lastCandidate)),
                        ("diagnostics", .array(outcome.diagnostics.map { DiagnosticRenderer.json($0, in: source_) })),
                    ])))
        } else {
            ctx.io.err(DiagnosticRenderer(colour: ctx.colourErr).render(outcome.diagnostics, in: source_) + "\n")
        }
        throw CLIError.failure(
            "no clean mapping after \(callsText) and \(outcome.rounds) repair round\(outcome.rounds == 1 ? "" : "s"): \(errors) error\(errors == 1 ? "" : "s") remain"
                + (args.value("output").map { "; '\($0)' was not written" } ?? ""),
            help: "raise --rounds, clarify the prose, or start from 'mapc gen --offline' and edit")
    }

    /// The LLM generator for `endpoint` (prompts, manual, cache), and whether replies are constrained
    /// by the grammar (`--grammar` against an OpenAI-compatible server). Shared with `mapc eval`.
    static func llm(_ endpoint: EndpointConfig, _ args: Arguments, _ ctx: CommandContext, _ project: Project) throws -> (Generator, Bool) {
        let promptsDir = ctx.resolve(args.value("prompts") ?? project.root + "/prompts")
        let templates: PromptTemplates
        do {
            templates = try PromptTemplates.load(directory: promptsDir)
        } catch {
            throw CLIError.operational(error.message, help: "pass --prompts DIR or run inside the mapc project")
        }
        let dslDoc = FileManager.default.contents(atPath: project.root + "/docs/dsl.md").map { String(decoding: $0, as: UTF8.self) }
        var builder = PromptBuilder(templates: templates, manual: Manual.build(from: dslDoc))
        var constrained = false
        if args.flag("grammar") {
            if endpoint.provider == .openai {
                constrained = true
                builder.constrained = true
            } else {
                ctx.io.err("warning: --grammar is only sent to OpenAI-compatible servers (llama.cpp, vLLM); ignored\n")
            }
        }
        let generator = Generator(
            client: LLMClient(config: endpoint), builder: builder, cache: GenerationCache(directory: project.root + "/.mapc/cache"),
            schemas: project.schemaProvider)
        return (generator, constrained)
    }

    private static func offline(
        _ prose: ProseDocument, _ source: Schema, _ destination: Schema, _ schemas: SchemaProvider, _ args: Arguments,
        _ format: OutputFormat, _ ctx: CommandContext
    ) throws -> ExitCode {
        let result = OfflineGenerator(schemas: schemas).generate(prose: prose, source: source, destination: destination)
        if result.diagnostics.hasErrors {
            let src = SourceText(path: "generated.map", text: result.mapping)
            ctx.io.err(DiagnosticRenderer(colour: ctx.colourErr).render(result.diagnostics, in: src) + "\n")
            throw CLIError.failure("the offline generator could not produce a clean mapping")
        }
        try emit(
            result.mapping, args, ctx, format: format,
            extra: [
                ("generator", "offline"), ("calls", 0), ("defaulted", .array(result.defaulted.map { .string($0) })),
            ], trace: result.trace)
        ctx.io.err("generated offline (0 LLM calls); review the confidence comments\n")
        if !result.defaulted.isEmpty {
            ctx.io.err("warning: required fields only defaulted, review them: \(result.defaulted.joined(separator: ", "))\n")
        }
        if !result.suggestions.isEmpty {
            ctx.io.err("note: \(result.suggestions.count) field(s) the prose does not name are suggested in a comment block, not mapped\n")
        }
        ctx.io.err(result.trace.summary + "\n")
        if args.flag("strict"), !result.trace.notImplemented.isEmpty || !result.trace.flagged.isEmpty {
            throw CLIError.failure(
                "\(result.trace.notImplemented.count) sentence(s) not implemented, \(result.trace.flagged.count) rule(s) flagged for review",
                help: "rephrase the sentences listed above, or edit the mapping and review the flagged rules")
        }
        return .ok
    }

    private static func emit(
        _ mapping: String, _ args: Arguments, _ ctx: CommandContext, format: OutputFormat, extra: [(String, JSONValue)], trace: TraceReport?
    ) throws {
        if let out = args.value("output") {
            try writeText(mapping, to: out, ctx)
            ctx.io.err("wrote \(out)\n")
        }
        if format == .json {
            var obj: [(String, JSONValue)] = [("ok", true)] + extra
            if args.value("output") == nil { obj.append(("mapping", .string(mapping))) }
            if let trace {
                obj.append(
                    (
                        "notImplemented",
                        .array(
                            trace.notImplemented.map { u in
                                .object([("sentence", .int(u.sentence)), ("reasons", .array(u.reasons.map { .string($0) }))])
                            })
                    ))
                obj.append(("flagged", .array(trace.flagged.map { .string($0) })))
                obj.append(("uncitedSentences", .array(trace.uncitedSentences.map { .int($0) })))
                obj.append(("rulesWithoutCitation", .array(trace.rulesWithoutCitation.map { .string($0) })))
            }
            ctx.io.out(JSONWriter.pretty(.object(obj)))
        } else if args.value("output") == nil {
            ctx.io.out(mapping)
        }
    }

    static func schema(_ name: String?, role: String, option: String, _ schemas: SchemaDirectory) throws -> Schema {
        guard let name, !name.isEmpty else {
            throw CLIError.usage(
                "no \(role) object", help: "pass --\(option) platform.object or add a '\(option): platform.object' line to the prose")
        }
        let parts = name.split(separator: ".", maxSplits: 1).map(String.init)
        guard parts.count == 2 else { throw CLIError.usage("'\(name)' is not a platform.object name") }
        let found: Schema?
        do {
            found = try schemas.schema(platform: parts[0], object: parts[1])
        } catch {
            throw CLIError.operational(error.description)
        }
        guard let found else {
            let known = schemas.knownObjects()
            let suggestion = Suggest.closest(to: name, in: known)
            throw CLIError.usage(
                "no schema for the \(role) object '\(name)'",
                help: suggestion.map { "did you mean '\($0)'?" } ?? "known: \(known.joined(separator: ", "))")
        }
        return found
    }

    /// Objects `lookup(...)` may name: the readable ones on the destination's and the source's
    /// platforms (the sync engine serves lookups from either adapter; write-only APIs serve none).
    static func lookupSchemas(_ destination: Schema, _ schemas: SchemaDirectory, source: Schema) -> [Schema] {
        Generator.lookupObjects(source: source, destination: destination, schemas: schemas)
    }
}
