import Foundation
import MapDSL

/// The `mapc` command line: dispatches to subcommands and maps errors to messages and exit codes.
public enum MapCLI {
    /// Every subcommand, in the order `mapc --help` lists them.
    static let commands: [CommandEntry] = [
        CommandEntry(GenCommand.self), CommandEntry(GrammarCommand.self), CommandEntry(EvalCommand.self),
        CommandEntry(CheckCommand.self), CommandEntry(FmtCommand.self), CommandEntry(RunCommand.self),
        // Review and approval.
        CommandEntry(DryRunCommand.self), CommandEntry(TestCommand.self), CommandEntry(DiffCommand.self),
        CommandEntry(ReviewCommand.self), CommandEntry(ApproveCommand.self), CommandEntry(VerifyCommand.self),
        // Sync and operations
        CommandEntry(SyncCommand.self), CommandEntry(StatusCommand.self), CommandEntry(EventsCommand.self),
        CommandEntry(WhyCommand.self), CommandEntry(FailedCommand.self), CommandEntry(FixCommand.self),
        CommandEntry(RetryCommand.self), CommandEntry(ResumeCommand.self), CommandEntry(CancelCommand.self),
        // Platforms: emulators and schema pulls.
        CommandEntry(SandboxCommand.self), CommandEntry(SchemaCommand.self), CommandEntry(AdapterCommand.self),
        // Webhooks: serve, inspect and replay.
        CommandEntry(ServeCommand.self), CommandEntry(InboxCommand.self), CommandEntry(ReplayCommand.self),
        // The operator console's sign-in.
        CommandEntry(OperatorsCommand.self),
        // Two-way jobs: the identity map and parked conflicts.
        CommandEntry(IdentitiesCommand.self), CommandEntry(ConflictsCommand.self),
        // Several workers sharing one PostgreSQL store.
        CommandEntry(WorkerCommand.self),
    ]

    /// Runs `mapc` with the process's arguments and exits.
    public static func main() {
        signal(SIGPIPE, SIG_IGN)
        let io = StandardIO()
        let code = run(
            Array(CommandLine.arguments.dropFirst()), io: io, environment: ProcessInfo.processInfo.environment,
            workingDirectory: FileManager.default.currentDirectoryPath)
        io.flush()
        // Output that could not be written (a full disk, a closed pipe) is a failure, whatever the
        // command thought of its work (a command that failed for it has said so already).
        if let failure = io.outputFailure, code != ExitCode.operational.rawValue {
            io.err("error: cannot write \(failure)\n")
            exit(ExitCode.operational.rawValue)
        }
        exit(code)
    }

    /// Runs `mapc` with `arguments` (without the program name); returns the exit code. `input`
    /// replaces standard input (tests).
    public static func run(
        _ arguments: [String], io: CommandIO, environment: [String: String], workingDirectory: String, input: Data? = nil
    ) -> Int32 {
        let ctx: CommandContext
        if let input {
            ctx = CommandContext(io: io, environment: environment, workingDirectory: workingDirectory) { input.prefix($0) }
        } else {
            ctx = CommandContext(io: io, environment: environment, workingDirectory: workingDirectory)
        }
        guard let first = arguments.first else {
            io.err(overview)
            return ExitCode.usage.rawValue
        }
        if first == "--help" || first == "-h" || first == "help" {
            if arguments.count > 1, let cmd = commands.first(where: { $0.name == arguments[1] }) {
                io.out(cmd.helpText)
            } else {
                io.out(overview)
            }
            return ExitCode.ok.rawValue
        }
        if first == "--version" {
            io.out("mapc \(version)\n")
            return ExitCode.ok.rawValue
        }
        guard let cmd = commands.first(where: { $0.name == first }) else {
            let suggestion = Arguments.closestOption(first, commands.map(\.name))
            io.err("error: unknown command '\(first)'\n")
            io.err(suggestion.map { "help: did you mean 'mapc \($0)'?\n" } ?? "help: see 'mapc --help' for the commands\n")
            return ExitCode.usage.rawValue
        }
        let rest = Array(arguments.dropFirst())
        if rest.contains("--help") || rest.contains("-h") {
            io.out(cmd.helpText)
            return ExitCode.ok.rawValue
        }
        do {
            return try cmd.run(rest, ctx).rawValue
        } catch let e as CLIError {
            io.err("error: \(e.message)\n")
            if let help = e.help { io.err("help: \(help)\n") }
            return e.exitCode.rawValue
        } catch {
            io.err("error: \(error)\n")
            return ExitCode.operational.rawValue
        }
    }

    /// The version string.
    public static let version = "0.1.0"

    static var overview: String {
        var s = "mapc — prose field mappings, checked, reviewed and synced\n\nUsage: mapc COMMAND [OPTIONS] [ARGS]\n\nCommands:\n"
        let width = commands.map(\.name.count).max() ?? 0
        for c in commands {
            s += "  \(c.name)" + String(repeating: " ", count: width - c.name.count + 3) + c.summary + "\n"
        }
        s += "\nRun 'mapc COMMAND --help' for a command's options.\n"
        return s
    }
}

/// A type-erased subcommand.
struct CommandEntry: Sendable {
    let name: String
    let summary: String
    let helpText: String
    let run: @Sendable ([String], CommandContext) throws -> ExitCode

    init<C: Command>(_ type: C.Type) {
        name = C.name
        summary = C.summary
        helpText = C.helpText
        run = { raw, ctx in
            let args = try Arguments.parse(raw, options: C.options, command: C.name)
            return try C.run(args, ctx)
        }
    }
}
