import MapDSL

/// `mapc diff OLD NEW`: what changed between two versions of a mapping, in text and in behaviour.
enum DiffCommand: Command {
    static let name = "diff"
    static let summary = "Compare two versions of a mapping: changed fields, key and skip rules, and changed outputs"
    static let usage = "OLD.map NEW.map [--samples FILE.jsonl] [--format text|json|markdown] [--schemas DIR]"
    static let discussion = """
        Semantic diff: per destination field added, removed or changed expression (in canonical form, so
        formatting and order never show), key, skip-rule and header changes. Behavioural diff: both
        versions map the sample records (default: the new version's samples/<platform>/<object>.jsonl)
        and the report counts the records whose output changes, per field, with before/after values for
        the first few. --format markdown reads well as a pull-request comment. Exit status 0 when the
        versions are equivalent, 1 when they differ.
        """
    static let options = [
        OptionSpec("samples", value: "FILE", help: "JSONL sample records (default: samples/<platform>/<object>.jsonl)."),
        CommonOptions.format([.text, .json, .markdown]),
        CommonOptions.schemas,
    ]

    static func run(_ args: Arguments, _ ctx: CommandContext) throws -> ExitCode {
        let format = try OutputFormat.parse(args, allowed: [.text, .json, .markdown])
        guard args.positional.count == 2 else {
            throw CLIError.usage("give two mapping files, the old version then the new", help: "mapc diff old.map new.map")
        }
        let (oldPath, newPath) = (args.positional[0], args.positional[1])
        let project = try Project.locate(args, ctx, near: newPath)
        let old = try LoadedMapping.load(oldPath, project: project, ctx)
        let new = try LoadedMapping.load(newPath, project: project, ctx)
        for m in [old, new] where m.result.diagnostics.hasErrors { ctx.io.err(m.rendered(colour: ctx.colourErr) + "\n") }
        let diff = try ReviewSupport.diff(
            old: old, new: new, oldLabel: oldPath, newLabel: newPath, samplesOption: args.value("samples"), project: project, ctx)
        ReviewSupport.print(diff, format, ctx)
        return diff.isEmpty ? .ok : .failure
    }
}
