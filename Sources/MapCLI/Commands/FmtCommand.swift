import MapDSL

/// `mapc fmt [--check] FILE...`: rewrites mappings in canonical form.
enum FmtCommand: Command {
    static let name = "fmt"
    static let summary = "Format mappings canonically (one assignment per line, aligned, stable order)"
    static let usage = "[--check] [--stdout] MAPPING..."
    static let discussion = """
        Rewrites each file in place: header, key, skip rules, then assignments with the key field first
        and the rest alphabetically, '=' aligned; comments are kept. With --check nothing is written and
        the command exits 1 when a file is not canonical. Files with syntax errors are left untouched.
        """
    static let options = [
        OptionSpec("check", help: "Only report files that are not canonical (exit 1 if any)."),
        OptionSpec("stdout", help: "Print the formatted text instead of rewriting the file."),
    ]

    static func run(_ args: Arguments, _ ctx: CommandContext) throws -> ExitCode {
        guard !args.positional.isEmpty else { throw CLIError.usage("give at least one mapping file", help: "mapc fmt mappings/*.map") }
        var failed = false
        var changed: [String] = []
        for path in args.positional {
            let raw = try LoadedMapping.readBytes(path, ctx)
            let source = SourceText(path: path, bytes: raw)
            let parsed = Parser.parse(source)
            if parsed.diagnostics.hasErrors {
                ctx.io.err(
                    DiagnosticRenderer(colour: ctx.colourErr).render(parsed.diagnostics.filter { $0.severity == .error }, in: source) + "\n"
                )
                ctx.io.err("error: \(path) has syntax errors; not formatted\n")
                failed = true
                continue
            }
            let formatted = Formatter.format(parsed.file)
            if args.flag("stdout") {
                ctx.io.out(formatted)
                continue
            }
            // Compared with the file as it is: other line endings than `\n` are not canonical.
            if !formatted.utf8.elementsEqual(raw) {
                changed.append(path)
                if args.flag("check") {
                    ctx.io.out("\(path): not canonically formatted\n")
                } else {
                    try writeText(formatted, to: path, ctx)
                    ctx.io.out("formatted \(path)\n")
                }
            }
        }
        if args.flag("check") && !changed.isEmpty {
            ctx.io.err(
                "\(changed.count) file\(changed.count == 1 ? "" : "s") would be reformatted; run 'mapc fmt' on \(changed.count == 1 ? "it" : "them")\n"
            )
            return .failure
        }
        return failed ? .failure : .ok
    }
}
