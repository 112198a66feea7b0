import Foundation
import MapDSL
import MapGen

/// Everything a command needs from its surroundings.
public final class CommandContext {
    /// Output streams.
    public let io: CommandIO
    /// Environment variables.
    public let environment: [String: String]
    /// The working directory commands resolve relative paths against.
    public let workingDirectory: String
    /// Reads up to the given number of bytes of standard input (fewer at its end); tests replace it.
    public let readInput: (Int) -> Data

    /// Creates a context; `readInput` defaults to the process's standard input.
    public init(
        io: CommandIO, environment: [String: String], workingDirectory: String,
        readInput: @escaping (Int) -> Data = { FileHandle.standardInput.readData(ofLength: $0) }
    ) {
        self.io = io
        self.environment = environment
        self.workingDirectory = workingDirectory
        self.readInput = readInput
    }

    /// `path` made absolute against the working directory.
    public func resolve(_ path: String) -> String {
        path.hasPrefix("/") ? path : (workingDirectory as NSString).appendingPathComponent(path)
    }

    /// Whether to colour standard output.
    public var colourOut: Bool { io.stdoutIsTerminal && environment["NO_COLOR"] == nil }
    /// Whether to colour standard error.
    public var colourErr: Bool { io.stderrIsTerminal && environment["NO_COLOR"] == nil }
}

/// A `mapc` subcommand.
public protocol Command {
    /// The subcommand name.
    static var name: String { get }
    /// One-line summary for `mapc --help`.
    static var summary: String { get }
    /// Usage line after `mapc NAME`.
    static var usage: String { get }
    /// Longer description for `mapc NAME --help`.
    static var discussion: String { get }
    /// Accepted options.
    static var options: [OptionSpec] { get }
    /// Runs the command; returns the exit code or throws a ``CLIError``.
    static func run(_ args: Arguments, _ ctx: CommandContext) throws -> ExitCode
}

extension Command {
    /// The `--help` text.
    static var helpText: String {
        var s = "mapc \(name) — \(summary)\n\nUsage: mapc \(name) \(usage)\n"
        if !discussion.isEmpty { s += "\n\(discussion)\n" }
        let all = options + [OptionSpec("help", short: "h", help: "Show this help.")]
        s += "\nOptions:\n"
        let rows = all.map { o -> (String, String) in
            var left = "  "
            if let short = o.short { left += "-\(short), " } else { left += "    " }
            left += "--\(o.name)"
            if let v = o.value { left += " \(v)" }
            return (left, o.help)
        }
        let width = min(34, rows.map(\.0.count).max() ?? 0)
        for (l, h) in rows {
            if l.count > width {
                s += l + "\n" + String(repeating: " ", count: width + 2) + h + "\n"
            } else {
                s += l + String(repeating: " ", count: width - l.count + 2) + h + "\n"
            }
        }
        return s
    }
}

/// Shared options.
enum CommonOptions {
    static let schemas = OptionSpec("schemas", value: "DIR", help: "Directory of platform schemas (default: ./schemas, or $MAPC_SCHEMAS).")
    static func format(_ formats: [OutputFormat]) -> OptionSpec {
        OptionSpec("format", value: "FORMAT", help: "Output format: \(formats.map(\.rawValue).joined(separator: ", ")) (default text).")
    }
}

/// Project-level paths: where schemas, samples and the lock file live.
struct Project {
    let root: String
    let schemasDirectory: String

    /// Finds the project for `args` (the `--schemas` option, `$MAPC_SCHEMAS`, or a `schemas/` folder in the
    /// working directory or one of its parents, or next to `near`).
    static func locate(_ args: Arguments, _ ctx: CommandContext, near path: String? = nil) throws -> Project {
        let fm = FileManager.default
        if let dir = args.value("schemas") ?? ctx.environment["MAPC_SCHEMAS"] {
            let abs = ctx.resolve(dir)
            var isDir: ObjCBool = false
            guard fm.fileExists(atPath: abs, isDirectory: &isDir), isDir.boolValue else {
                throw CLIError.usage("schema directory '\(dir)' does not exist")
            }
            return Project(root: (abs as NSString).deletingLastPathComponent, schemasDirectory: abs)
        }
        var starts = [ctx.workingDirectory]
        if let path { starts.insert((ctx.resolve(path) as NSString).deletingLastPathComponent, at: 0) }
        for start in starts {
            var dir = start
            while true {
                let candidate = (dir as NSString).appendingPathComponent("schemas")
                var isDir: ObjCBool = false
                if fm.fileExists(atPath: candidate, isDirectory: &isDir), isDir.boolValue {
                    return Project(root: dir, schemasDirectory: candidate)
                }
                let parent = (dir as NSString).deletingLastPathComponent
                if parent == dir || parent.isEmpty { break }
                dir = parent
            }
        }
        throw CLIError.usage(
            "no schemas directory found", help: "run mapc inside a project with a schemas/ folder, or pass --schemas DIR")
    }

    var schemaProvider: SchemaDirectory { SchemaDirectory(root: schemasDirectory) }
}

/// The bytes of file `path`, read until the end or until more than `maxBytes` were read, which fails with
/// `tooLarge()`: a file of any size costs at most `maxBytes` of memory.
func readBoundedBytes(_ path: String, _ ctx: CommandContext, maxBytes: Int, tooLarge: () -> CLIError) throws -> [UInt8] {
    let abs = ctx.resolve(path)
    var isDir: ObjCBool = false
    guard FileManager.default.fileExists(atPath: abs, isDirectory: &isDir) else {
        throw CLIError.operational("cannot read '\(path)': no such file")
    }
    guard !isDir.boolValue else { throw CLIError.usage("'\(path)' is a directory, not a file") }
    let fd = open(abs, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { throw CLIError.operational("cannot read '\(path)': \(Descriptor.lastError)") }
    defer { _ = Descriptor.closing(fd) }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 1 << 16)
    while true {
        let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        if n < 0 && errno == EINTR { continue }
        if n < 0 { throw CLIError.operational("cannot read '\(path)': \(Descriptor.lastError)") }
        if n == 0 { break }
        bytes.append(contentsOf: chunk[0..<n])
        if bytes.count > maxBytes { throw tooLarge() }
    }
    return bytes
}

/// Reads a prose description: UTF-8 text of at most ``ProseDocument/maxBytes``, or a clear failure.
func readProse(_ path: String, _ ctx: CommandContext) throws -> String {
    try readText(path, ctx, maxBytes: ProseDocument.maxBytes) {
        CLIError.usage(
            ProseDocument.tooLargeMessage(path: path),
            help: "describe one mapping per file; a description that long cannot be reviewed against its mapping either")
    }
}

/// The largest file read whole by `readText` (samples, test cases, lookup records, fault switches): 256 MiB.
/// Larger data goes through `mapc run`, which streams its input line by line.
let maxTextFileBytes = 256 << 20

/// Reads a text file or fails with a clear message; a file larger than `maxBytes` is refused before it is
/// read whole.
func readText(_ path: String, _ ctx: CommandContext, maxBytes: Int = maxTextFileBytes, tooLarge: (() -> CLIError)? = nil)
    throws -> String
{
    let bytes = try readBoundedBytes(path, ctx, maxBytes: maxBytes) {
        tooLarge?()
            ?? CLIError.usage(
                "'\(path)' is larger than \(maxBytes >> 20) MiB, the most mapc reads of such a file at once",
                help: "stream large record files through 'mapc run', which reads them line by line")
    }
    guard let text = String(bytes: bytes, encoding: .utf8) else { throw CLIError.usage("'\(path)' is not UTF-8 text") }
    return text
}

/// Writes a text file atomically (see ``AtomicFile``) or fails with a clear message.
func writeText(_ text: String, to path: String, _ ctx: CommandContext) throws {
    if let error = AtomicFile.write(Array(text.utf8), to: ctx.resolve(path)) {
        throw CLIError.operational("cannot write '\(path)': \(error)")
    }
}
