import Foundation
import MapDSL
import MapReview

/// `mapc approve MAPPING --by NAME`: records the approval of a mapping in mappings.lock.
enum ApproveCommand: Command {
    static let name = "approve"
    static let summary = "Approve a mapping: record its hash, schema hashes, approver and dry-run in mappings.lock"
    static let usage = "MAPPING... --by NAME [--note TEXT] [--samples FILE.jsonl] [--schemas DIR]"
    static let discussion = """
        Records in mappings.lock (at the project root, next to schemas/) the SHA-256 of the canonical
        mapping text (whitespace-only edits do not invalidate it), the SHA-256 of each schema it uses,
        who approved and when (UTC), the dry-run numbers over the sample records, the generator
        provenance comments (# generated-by:, # model:, # prompt-hash:) and the canonical text itself.
        A mapping with errors cannot be approved, nor one whose own example cases (NAME.tests.jsonl
        beside NAME.map, as 'mapc test' runs them) fail: the refusal names each failing case, field,
        expected and actual value, and nothing is written. Review first with 'mapc review'.
        """
    static let options = [
        OptionSpec("by", value: "NAME", help: "Who approves (required)."),
        OptionSpec("note", value: "TEXT", help: "A note kept with the approval."),
        OptionSpec("samples", value: "FILE", help: "JSONL sample records for the dry-run summary."),
        CommonOptions.schemas,
    ]

    static func run(_ args: Arguments, _ ctx: CommandContext) throws -> ExitCode {
        guard !args.positional.isEmpty else {
            throw CLIError.usage("give the mapping files to approve", help: "mapc approve samples/mappings/contacts-to-leads.map --by ana")
        }
        guard let by = args.value("by"), !by.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw CLIError.usage("--by NAME is required: an approval names who approved")
        }
        let project = try Project.locate(args, ctx, near: args.positional.first)
        let now = try ReviewSupport.now(ctx)
        var lock = try ReviewSupport.lock(project)
        var loadedMappings: [(path: String, loaded: LoadedMapping, mapping: CompiledMapping)] = []
        var refusals: [String] = []
        for path in args.positional {
            let loaded = try LoadedMapping.load(path, project: project, ctx)
            let mapping = try loaded.compile(ctx)
            // The mapping's own cases must pass: the same check as 'mapc test'.
            let shown = ReviewSupport.display(ctx.resolve(path), ctx)
            if let cases = MappingCases.run(
                mappingPath: ctx.resolve(path), check: loaded.result, source: loaded.source, mappingDisplay: shown),
                !cases.ok
            {
                refusals.append(shown)
                ctx.io.err("\(shown): \(ApprovalProblem.casesFail(cases).summary)\n")
                for line in MappingCases.failureLines(cases) { ctx.io.err("  \(line)\n") }
            }
            loadedMappings.append((path, loaded, mapping))
        }
        guard refusals.isEmpty else {
            throw CLIError.failure(
                "refusing to approve \(refusals.joined(separator: ", ")): \(refusals.count == 1 ? "its" : "their") own cases fail; nothing was approved",
                help: "fix the mapping (or a case that is wrong), run 'mapc test', then approve again")
        }
        for (path, loaded, mapping) in loadedMappings {
            var summary: DryRunSummary?
            if args.value("samples") != nil || ReviewSupport.defaultSamplesPath(for: mapping.source, project: project) != nil {
                let samples = try ReviewSupport.samples(args.value("samples"), for: mapping, project: project, ctx)
                var report = try ReviewSupport.dryRun(loaded, mapping, samples: samples, project: project, ctx)
                report.samplesPath = lock.key(for: samples.path)
                summary = DryRunSummary(report)
            } else {
                ctx.io.err("note: no sample records for \(mapping.source.qualifiedName); approving without a dry-run summary\n")
            }
            let entry = Approval.entry(
                for: loaded.result, text: loaded.source.text, approvedBy: by, note: args.value("note"), at: now, dryRun: summary)
            let key = lock.key(for: ctx.resolve(path))
            lock.entries[key] = entry
            var line = "approved \(key) (sha256 \(entry.sha256.prefix(12))) by \(by) at \(entry.approvedAt)"
            if let s = summary { line += "; dry-run: \(s.read) read, \(s.mapped) mapped, \(s.skipped) skipped, \(s.rejected) rejected" }
            ctx.io.out(line + "\n")
        }
        // Replaced whole and flushed to disk: a crash leaves the old lock or the new one.
        if let error = AtomicFile.write(Array(lock.rendered().utf8), to: lock.path) {
            throw CLIError.operational("cannot write '\(lock.path)': \(error)")
        }
        return .ok
    }
}
