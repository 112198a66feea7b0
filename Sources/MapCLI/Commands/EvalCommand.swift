import Foundation
import MapDSL
import MapGen

/// `mapc eval`: runs a generator over the evaluation suite in `evals/` and scores it against the
/// reference mappings.
enum EvalCommand: Command {
    static let name = "eval"
    static let summary = "Score the offline generator or an LLM endpoint on the evaluation suite (evals/)"
    static let usage =
        "[DIR] [--offline | --url URL [--provider P --model M --grammar]] [--group tune|held-out|fresh|fresh2|fresh3|fresh4|fresh5|fresh6|all] [--case NAME] [--format json]"
    static let discussion = """
        Each case in DIR (default evals/ in the project) is a prose description (NAME.txt), the mapping a
        person wrote for it (NAME.map) and records (NAME.jsonl, plus the first 40 sample records of the
        source object). The generator writes a mapping from the prose; both mappings map every record and
        each destination field counts as right when its values agree everywhere. Fields are split into
        copies (one source field, at most trimmed, re-cased, cut or converted) and transforms (anything
        else, skip rules included). A field that is wrong, missing or unasked-for is silent-wrong when the
        generator did not flag it (a REVIEW note or confidence below 0.5 on its rule, or the sentence
        naming it listed as not implemented). The calibration table shows how often rules at each stated
        confidence were right. Without an endpoint (or with --offline) the offline generator runs.
        The groups fresh2, fresh3, fresh4, fresh5 and fresh6 (cases kept unseen while the reader is tuned,
        to be scored once) are run only when asked for by name: all leaves them out.
        """
    static let options = [
        OptionSpec("offline", help: "Score the offline generator even when an endpoint is configured."),
        OptionSpec(
            "group", value: "GROUP",
            help:
                "tune, held-out, fresh, fresh2, fresh3, fresh4, fresh5, fresh6 or all (default all: every one of tune, held-out and fresh that DIR has)."
        ),
        OptionSpec("case", value: "NAME", help: "Only the case called NAME."),
        OptionSpec("provider", value: "NAME", help: "openai, anthropic or ollama (default: from the URL)."),
        OptionSpec("url", value: "URL", help: "Endpoint base URL (default: $MAPC_LLM_URL)."),
        OptionSpec("model", value: "NAME", help: "Model name (default: $MAPC_LLM_MODEL or the provider's default)."),
        OptionSpec("rounds", value: "N", help: "Repair rounds after the first answer (default 3)."),
        OptionSpec("timeout", value: "SECONDS", help: "Seconds to wait for one reply (default 120)."),
        OptionSpec("grammar", help: "Constrain replies with the GBNF grammar (llama.cpp, vLLM)."),
        OptionSpec("no-cache", help: "Neither read nor write the reply cache."),
        OptionSpec("prompts", value: "DIR", help: "Prompt templates (default: prompts/ in the project)."),
        CommonOptions.format([.text, .json]),
        CommonOptions.schemas,
    ]

    static func run(_ args: Arguments, _ ctx: CommandContext) throws -> ExitCode {
        let format = try OutputFormat.parse(args)
        guard args.positional.count <= 1 else { throw CLIError.usage("give at most one evaluation folder", help: "mapc eval evals") }
        let project = try Project.locate(args, ctx)
        let directory = ctx.resolve(args.positional.first ?? project.root + "/evals")
        let groups: [String]
        switch args.value("group") ?? "all" {
        case "all":
            let all = ["tune", "held-out", "fresh"]
            let present = all.filter { FileManager.default.fileExists(atPath: directory + "/" + $0) }
            groups = present.isEmpty ? all : present
        case "tune": groups = ["tune"]
        case "held-out": groups = ["held-out"]
        case "fresh": groups = ["fresh"]
        case "fresh2": groups = ["fresh2"]
        case "fresh3": groups = ["fresh3"]
        case "fresh4": groups = ["fresh4"]
        case "fresh5": groups = ["fresh5"]
        case "fresh6": groups = ["fresh6"]
        case let other:
            throw CLIError.usage("unknown group '\(other)'; use tune, held-out, fresh, fresh2, fresh3, fresh4, fresh5, fresh6 or all")
        }
        var cases: [EvalCase]
        do {
            cases = try EvalSuite.load(directory: directory, groups: groups, samples: project.root + "/samples")
        } catch {
            throw CLIError.operational(error.message, help: "run inside the mapc project or pass the evaluation folder")
        }
        if let only = args.value("case") {
            cases = cases.filter { $0.name == only }
            guard !cases.isEmpty else { throw CLIError.usage("no case called '\(only)'") }
        }
        let schemas = project.schemaProvider
        let endpoint: EndpointConfig?
        let timeout = try args.int("timeout", default: 120, min: 1)
        do {
            endpoint = try EndpointConfig.resolve(
                provider: args.value("provider"), url: args.value("url"), model: args.value("model"), environment: ctx.environment,
                timeout: Double(timeout))
        } catch {
            throw CLIError.usage(error.message)
        }
        let rounds = try args.int("rounds", default: 3)
        var scores: [CaseScore] = []
        let label: String
        if let endpoint, !args.flag("offline") {
            let (generator, constrained) = try GenCommand.llm(endpoint, args, ctx, project)
            label = "\(endpoint.provider.rawValue)/\(endpoint.model)" + (constrained ? " with --grammar" : "")
            for c in cases {
                ctx.io.err("\(c.name)…\n")
                let (source, destination) = try objects(c, schemas)
                var options = GenerationOptions(rounds: rounds, useCache: !args.flag("no-cache"))
                if constrained {
                    options.grammar =
                        MappingGrammar.build(
                            source: source, destination: destination,
                            lookups: GenCommand.lookupSchemas(destination, schemas, source: source)
                        ).gbnf
                }
                let tokensBefore = generator.client.tokens
                let g: EvalGeneration
                do {
                    let o = try generator.generate(prose: c.prose, source: source, destination: destination, options: options)
                    g = EvalGeneration(
                        mapping: o.mapping, calls: o.calls, tokens: generator.client.tokens - tokensBefore,
                        error: o.accepted ? nil : "no clean mapping after \(o.calls) call(s)")
                } catch {
                    g = EvalGeneration(mapping: nil, calls: 0, error: error.message)
                }
                scores.append(EvalScorer.score(c, g, schemas: schemas))
            }
        } else {
            label = "the offline generator"
            let generator = OfflineGenerator(schemas: schemas)
            for c in cases {
                let (source, destination) = try objects(c, schemas)
                let r = generator.generate(prose: c.prose, source: source, destination: destination)
                let g = EvalGeneration(
                    mapping: r.diagnostics.hasErrors ? nil : r.mapping, notImplemented: r.trace.notImplemented.map(\.sentence),
                    error: r.diagnostics.hasErrors ? "no clean mapping" : nil)
                scores.append(EvalScorer.score(c, g, schemas: schemas))
            }
        }
        let report = EvalReport(generator: label, cases: scores)
        ctx.io.out(format == .json ? JSONWriter.pretty(report.json) : report.text)
        return .ok
    }

    private static func objects(_ c: EvalCase, _ schemas: SchemaDirectory) throws -> (Schema, Schema) {
        (
            try GenCommand.schema(c.prose.from, role: "source", option: "from", schemas),
            try GenCommand.schema(c.prose.to, role: "destination", option: "to", schemas)
        )
    }
}
