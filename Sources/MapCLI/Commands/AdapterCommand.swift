import AdapterSpec
import Foundation
import MapDSL

/// `mapc adapter check|test|schema`: declarative adapter specs (`adapters/<platform>.json`).
enum AdapterCommand: Command {
    static let name = "adapter"
    static let summary = "Check and test declarative adapter specs (adapters/*.json)"
    static let usage = "check [--format text|json] SPEC... | test SPEC [--url URL] | schema [-o FILE]"
    static let discussion = """
        check   Validates specs against the mapc-adapter/1 format and their meaning (template names,
                endpoint paths, bundled schemas and the fields they name, result styles, rate-limit
                entries): file:line:column, a caret, a stable code (docs/declarative-adapters.md) and
                a did-you-mean. Exit status 0 when clean (warnings allowed), 1 on errors.
        test    Runs the adapter conformance suite through the generic adapter: against an emulator
                generated from the spec (default), or against --url with the credential from
                MAPC_<PLATFORM>_TOKEN (a live or recorded endpoint; writes test records).
        schema  Prints the JSON Schema of the spec format (adapters/mapc-adapter.schema.json).
        """
    static let options = [
        CommonOptions.format([.text, .json]),
        OptionSpec("url", value: "URL", help: "test: run against this endpoint instead of a generated emulator."),
        OptionSpec("output", short: "o", value: "FILE", help: "schema: write here instead of standard output."),
        CommonOptions.schemas,
    ]

    static func run(_ args: Arguments, _ ctx: CommandContext) throws -> ExitCode {
        switch args.positional.first {
        case "check": return try check(args, ctx)
        case "test": return try AdapterTestCommand.run(args, ctx)
        case "schema":
            let text = SpecJSONSchema.text()
            if let output = args.value("output") { try writeText(text, to: output, ctx) } else { ctx.io.out(text) }
            return .ok
        default:
            throw CLIError.usage("unknown or missing subcommand (check, test or schema)", help: "mapc adapter check adapters/klaviyo.json")
        }
    }

    /// Checks a spec file; the project root is the folder holding `schemas/` near the spec.
    static func load(_ path: String, _ args: Arguments, _ ctx: CommandContext) throws -> SpecCheckResult {
        let root = (try? Project.locate(args, ctx, near: path))?.root
        do {
            return try SpecChecker.check(path: ctx.resolve(path), display: path, root: root)
        } catch {
            throw CLIError.operational(error.message)
        }
    }

    static func check(_ args: Arguments, _ ctx: CommandContext) throws -> ExitCode {
        let format = try OutputFormat.parse(args)
        // `adapters/*.json` also matches the format's own JSON Schema, which is not a spec.
        let paths = args.positional.dropFirst().filter { !$0.hasSuffix(".schema.json") }
        guard !paths.isEmpty else {
            throw CLIError.usage("give at least one spec file (*.schema.json is skipped)", help: "mapc adapter check adapters/klaviyo.json")
        }
        var errors = 0
        var warnings = 0
        var files: [JSONValue] = []
        for path in paths {
            let result = try load(path, args, ctx)
            errors += result.diagnostics.filter { $0.severity == .error }.count
            warnings += result.diagnostics.filter { $0.severity == .warning }.count
            switch format {
            case .json:
                files.append(
                    .object([
                        ("file", .string(path)), ("ok", .bool(!result.hasErrors)),
                        ("platform", result.spec.map { .string($0.platform) } ?? .null),
                        ("diagnostics", .array(result.diagnostics.map { SpecDiagnosticRenderer.json($0, in: result.source) })),
                    ]))
            default:
                if !result.diagnostics.isEmpty { ctx.io.out(result.rendered(colour: ctx.colourOut) + "\n") }
            }
        }
        if format == .json {
            ctx.io.out(JSONWriter.pretty(.object([("files", .array(files)), ("errors", .int(errors)), ("warnings", .int(warnings))])))
        } else {
            let n = paths.count
            let summary =
                "\(n) spec\(n == 1 ? "" : "s") checked: \(errors) error\(errors == 1 ? "" : "s"), \(warnings) warning\(warnings == 1 ? "" : "s")\n"
            ctx.io.out(errors == 0 && warnings == 0 ? "ok: " + summary : summary)
        }
        return errors > 0 ? .failure : .ok
    }
}
