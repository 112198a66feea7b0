import Foundation
import MapDSL

/// A mapping file read and checked against the project's schemas.
struct LoadedMapping {
    let path: String
    let source: SourceText
    let result: CheckResult

    /// Reads and checks `path`.
    static func load(_ path: String, project: Project, _ ctx: CommandContext) throws -> LoadedMapping {
        let source = try readSource(path, ctx)
        return LoadedMapping(path: path, source: source, result: Checker.check(source, schemas: project.schemaProvider))
    }

    /// The largest mapping file read: far above any real mapping (a few kilobytes).
    static let maxBytes = 8 << 20

    /// Reads a mapping file as it is: bytes that are not UTF-8 become diagnostics with their line
    /// and column (see ``DiagnosticCode/invalidUTF8``), lines may end in `\n`, `\r\n` or `\r`.
    static func readSource(_ path: String, _ ctx: CommandContext) throws -> SourceText {
        SourceText(path: path, bytes: try readBytes(path, ctx))
    }

    /// The bytes of mapping file `path`, at most ``maxBytes`` of them.
    static func readBytes(_ path: String, _ ctx: CommandContext) throws -> [UInt8] {
        try readBoundedBytes(path, ctx, maxBytes: maxBytes) {
            CLIError.failure(
                "'\(path)' is larger than \(maxBytes >> 20) MiB; it cannot be a mapping file",
                help: "a mapping assigns each destination field once; split the work into several mappings")
        }
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
