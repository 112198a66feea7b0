import MapDSL
import MapReview

/// `mapc review MAPPING`: the diff between the approved version in mappings.lock and the file.
enum ReviewCommand: Command {
    static let name = "review"
    static let summary = "Show what changed since a mapping was approved (fields and sample outputs)"
    static let usage = "MAPPING [--samples FILE.jsonl] [--format text|json|markdown] [--schemas DIR]"
    static let discussion = """
        Compares the mapping with the canonical text approved in mappings.lock: the semantic diff (fields,
        key, skip rules, header) and the behavioural diff over the sample records, as 'mapc diff' does.
        A mapping that was never approved is shown as a dry-run instead. Exit status 0 when the mapping
        is unchanged since approval, 1 when it changed or was never approved.
        """
    static let options = [
        OptionSpec("samples", value: "FILE", help: "JSONL sample records (default: samples/<platform>/<object>.jsonl)."),
        CommonOptions.format([.text, .json, .markdown]),
        CommonOptions.schemas,
    ]

    static func run(_ args: Arguments, _ ctx: CommandContext) throws -> ExitCode {
        let format = try OutputFormat.parse(args, allowed: [.text, .json, .markdown])
        guard args.positional.count == 1 else {
            throw CLIError.usage("give exactly one mapping file", help: "mapc review samples/mappings/contacts-to-leads.map")
        }
        let path = args.positional[0]
        let project = try Project.locate(args, ctx, near: path)
        let lock = try ReviewSupport.lock(project)
        let current = try LoadedMapping.load(path, project: project, ctx)
        let key = lock.key(for: ctx.resolve(path))
        guard let entry = lock.entries[key] else {
            ctx.io.err("note: \(path) has never been approved; showing its dry-run (approve it with 'mapc approve \(path) --by NAME')\n")
            let mapping = try current.compile(ctx)
            let samples = try ReviewSupport.samples(args.value("samples"), for: mapping, project: project, ctx)
            let report = try ReviewSupport.dryRun(current, mapping, samples: samples, project: project, ctx)
            switch format {
            case .text: ctx.io.out(report.renderText())
            case .markdown: ctx.io.out(report.renderMarkdown())
            case .json: ctx.io.out(JSONWriter.pretty(report.json))
            }
            return .failure
        }
        let approved = ReviewSupport.approved(entry, key: key, project: project)
        var diff = try ReviewSupport.diff(
            old: approved, new: current, oldLabel: "approved by \(entry.approvedBy) at \(entry.approvedAt)", newLabel: path,
            samplesOption: args.value("samples"), project: project, ctx)
        if Fingerprint(current.result).sha256 == entry.sha256 {
            diff.notes.insert("\(path) is unchanged since it was approved", at: 0)
        } else if diff.semantic.isEmpty {
            diff.notes.insert("only comments changed since approval; re-approve to record them", at: 0)
        }
        ReviewSupport.print(diff, format, ctx)
        return Fingerprint(current.result).sha256 == entry.sha256 ? .ok : .failure
    }
}
