import MapDSL

/// A mapping file read and checked against the project's schemas.
struct LoadedMapping {
    let path: String
    let source: SourceText
    let result: CheckResult

    /// Reads and checks `path`.
    static func load(_ path: String, project: Project, _ ctx: CommandContext) throws -> LoadedMapping {
        let text = try readText(path, ctx)
        let source = SourceText(path: path, text: text)
        return LoadedMapping(path: path, source: source, result: Checker.check(source, schemas: project.schemaProvider))
    }

    /// Renders the diagnostics for a terminal or a log.
    func rendered(colour: Bool) -> String {
        DiagnosticRenderer(colour: colour).render(result.diagnostics, in: source)
    }

    /// Compiles the mapping or throws a failure after printing its diagnostics.
    func compile(_ ctx: CommandContext) throws -> CompiledMapping {
        guard result.isValid else {
            ctx.io.err(rendered(colour: ctx.colourErr))
            let n = result.diagnostics.filter { $0.severity == .error }.count
            throw CLIError.failure(
                "\(path) has \(n) error\(n == 1 ? "" : "s"); fix \(n == 1 ? "it" : "them") first (see 'mapc check \(path)')")
        }
        do {
            return try Compiler.compile(result, text: source)
        } catch {
            throw CLIError.failure("\(path) cannot be compiled: \(error)")
        }
    }
}
