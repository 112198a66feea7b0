import MapDSL

/// `mapc check FILE...`: type-checks mappings against the schemas.
enum CheckCommand: Command {
    static let name = "check"
    static let summary = "Type-check mappings against the platform schemas"
    static let usage = "[--format text|json] [--schemas DIR] MAPPING..."
    static let discussion = """
        Reports the problems of every file: file:line:column, the line with a caret under the span,
        a stable code (documented in docs/dsl.md) and a hint; at most 3 per line and 50 per file are
        shown, then a '… N more' line (JSON lists up to 200 per file and counts the rest in "omitted").
        Exit status 0 when clean (warnings allowed), 1 when any file has errors, 2 for a usage error.
        """
    static let options = [CommonOptions.format([.text, .json]), CommonOptions.schemas]

    static func run(_ args: Arguments, _ ctx: CommandContext) throws -> ExitCode {
        let format = try OutputFormat.parse(args)
        guard !args.positional.isEmpty else {
            throw CLIError.usage("give at least one mapping file", help: "mapc check mappings/contacts-to-leads.map")
        }
        let project = try Project.locate(args, ctx, near: args.positional.first)
        var errors = 0
        var warnings = 0
        var files: [JSONValue] = []
        for path in args.positional {
            let m = try LoadedMapping.load(path, project: project, ctx)
            errors += m.result.diagnostics.filter { $0.severity == .error }.count
            warnings += m.result.diagnostics.filter { $0.severity == .warning }.count
            switch format {
            case .json:
                let (listed, omitted) = DiagnosticRenderer().json(m.result.diagnostics, in: m.source)
                var file: [(String, JSONValue)] = [
                    ("file", .string(path)), ("ok", .bool(!m.result.diagnostics.hasErrors)), ("diagnostics", .array(listed)),
                ]
                if omitted > 0 { file.append(("omitted", .int(omitted))) }
                files.append(.object(file))
            default:
                if !m.result.diagnostics.isEmpty { ctx.io.out(m.rendered(colour: ctx.colourOut) + "\n") }
            }
        }
        if format == .json {
            ctx.io.out(
                JSONWriter.pretty(
                    .object([
                        ("files", .array(files)), ("errors", .int(errors)), ("warnings", .int(warnings)),
                    ])))
        } else {
            let n = args.positional.count
            let summary =
                "\(n) file\(n == 1 ? "" : "s") checked: \(errors) error\(errors == 1 ? "" : "s"), \(warnings) warning\(warnings == 1 ? "" : "s")\n"
            if errors == 0 && warnings == 0 { ctx.io.out("ok: " + summary) } else { ctx.io.out(summary) }
        }
        return errors > 0 ? .failure : .ok
    }
}
