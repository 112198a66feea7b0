import Foundation
import MapDSL

/// `mapc test [MAPPING...]`: runs the example cases kept next to mappings.
enum TestCommand: Command {
    static let name = "test"
    static let summary = "Run the example cases kept next to mappings (<name>.tests.jsonl)"
    static let usage = "[MAPPING...] [--format text|json] [--schemas DIR]"
    static let discussion = """
        Each mapping NAME.map may have NAME.tests.jsonl beside it: one case per line, an input record and
        either the expected output fields ("expect"), an expected skip ("skip") or an expected rejection
        with its reason code and/or field ("reject"); see docs/review.md. Without arguments, runs every
        mapping in mappings/ and samples/mappings/ that has cases. Reports each failing case with the
        field, the expected and the actual value. Exit status 0 when every case passes, 1 otherwise.
        """
    static let options = [CommonOptions.format([.text, .json]), CommonOptions.schemas]

    static func run(_ args: Arguments, _ ctx: CommandContext) throws -> ExitCode {
        let format = try OutputFormat.parse(args)
        let project = try Project.locate(args, ctx, near: args.positional.first)
        let fm = FileManager.default
        let paths: [String]
        if args.positional.isEmpty {
            paths = ReviewSupport.projectMappings(project).filter { fm.fileExists(atPath: MappingTestSuite.casesPath(forMapping: $0)) }
            guard !paths.isEmpty else {
                throw CLIError.usage(
                    "no mapping in mappings/ or samples/mappings/ has a cases file", help: "write NAME.tests.jsonl next to NAME.map")
            }
        } else {
            paths = args.positional
        }
        var entries: [MappingTestReport.Entry] = []
        for path in paths {
            let shown = ReviewSupport.display(ctx.resolve(path), ctx)
            let casesPath = MappingTestSuite.casesPath(forMapping: ctx.resolve(path))
            let casesShown = ReviewSupport.display(casesPath, ctx)
            guard fm.fileExists(atPath: casesPath) else {
                entries.append(.init(mapping: shown, casesFile: casesShown, results: [], error: "no cases file '\(casesShown)'"))
                continue
            }
            let loaded = try LoadedMapping.load(path, project: project, ctx)
            guard loaded.result.isValid, let mapping = try? Compiler.compile(loaded.result, text: loaded.source) else {
                ctx.io.err(loaded.rendered(colour: ctx.colourErr) + "\n")
                entries.append(
                    .init(mapping: shown, casesFile: casesShown, results: [], error: "the mapping has errors (see 'mapc check')"))
                continue
            }
            let suite = MappingTestSuite.parse(try readText(casesPath, ctx))
            let results = MappingTestRunner.run(suite, mapping: mapping, lookupSchemas: loaded.result.lookupSchemas)
            entries.append(.init(mapping: shown, casesFile: casesShown, results: results, problems: suite.problems))
        }
        let report = MappingTestReport(entries: entries)
        switch format {
        case .json: ctx.io.out(JSONWriter.pretty(report.json))
        default: ctx.io.out(report.renderText())
        }
        return report.ok ? .ok : .failure
    }
}
