import Crypto
import Foundation
import MapDSL
import Observe

/// `mapc operators add|list|remove|token`: who may sign in to the operator console of `mapc serve`.
enum OperatorsCommand: Command {
    static let name = "operators"
    static let summary = "Manage who may sign in to the operator console: add, list, remove, token"
    static let usage = """
        add NAME [--role operator|read-only] [--password-stdin] [--token] [--no-password] [--replace]
               mapc operators list [--format text|json]
               mapc operators remove NAME
               mapc operators token NAME
        """
    static let discussion = """
        The operators file lives outside the project, never in a repository: --operators FILE, else
        $MAPC_OPERATORS, else $XDG_CONFIG_HOME/mapc/operators.json, else ~/.config/mapc/operators.json.
        It is written with mode 600 and refused when others may write it. Passwords are stored as
        PBKDF2-HMAC-SHA256 (600,000 iterations, a random salt per operator), API tokens as SHA-256;
        neither is ever printed back, and a new token is shown once.

        add asks for the password twice on the terminal without echoing it, or reads one line from
        standard input with --password-stdin (at least 10 characters). --token also creates an API
        token (for a Prometheus scraper: Authorization: Bearer TOKEN); --no-password makes a
        token-only operator. Roles: operator (fixes, retries, resumes, cancels) and read-only (sees
        everything, changes nothing). A running 'mapc serve' picks changes up at the next request;
        a removed operator's sessions end there.
        """
    static let options = [
        OptionSpec("role", value: "ROLE", help: "operator (default) or read-only."),
        OptionSpec("password-stdin", help: "Read the password from the first line of standard input."),
        OptionSpec("token", help: "Also create an API token and print it once."),
        OptionSpec("no-password", help: "Set no password (a token-only operator; needs --token)."),
        OptionSpec("replace", help: "Replace the password and role of an operator who already exists."),
        OptionSpec("operators", value: "FILE", help: "The operators file (default: see above)."),
        CommonOptions.format([.text, .json]),
    ]

    /// Shortest accepted password.
    static let minimumPassword = 10

    static func run(_ args: Arguments, _ ctx: CommandContext) throws -> ExitCode {
        guard let sub = args.positional.first else {
            throw CLIError.usage("give a subcommand: add, list, remove or token", help: "mapc operators add ada --role operator")
        }
        guard let path = args.value("operators").map(ctx.resolve) ?? OperatorFile.defaultPath(environment: ctx.environment) else {
            throw CLIError.usage("no operators file: pass --operators FILE, or set HOME or MAPC_OPERATORS")
        }
        var file = try load(path)
        let rest = Array(args.positional.dropFirst())
        switch sub {
        case "add":
            let name = try single(rest, "mapc operators add ada")
            let role = try role(args.value("role"))
            let password: PasswordHash?
            if args.flag("no-password") {
                guard args.flag("token") else { throw CLIError.usage("--no-password needs --token: the operator could not sign in at all") }
                guard !args.flag("password-stdin") else { throw CLIError.usage("--no-password and --password-stdin contradict each other") }
                password = nil
            } else {
                password = PasswordHash.make(try readPassword(args, ctx))
            }
            let token = args.flag("token") ? APIToken.make() : nil
            let record = OperatorRecord(
                name: name, role: role, password: password, tokens: token.map { [APIToken.digest($0)] } ?? [],
                added: Timestamps.format(Date()))
            do {
                try file.add(record, replace: args.flag("replace"))
            } catch {
                throw CLIError.usage(error.description, help: error.help)
            }
            try save(file)
            ctx.io.err("\(args.flag("replace") ? "updated" : "added") operator \(name) (\(role.rawValue)) in \(path)\n")
            if let token {
                ctx.io.err("API token (shown once; store it now):\n")
                ctx.io.out(token + "\n")
            }
        case "token":
            let name = try single(rest, "mapc operators token prometheus")
            guard var record = file.record(name) else { throw CLIError.usage("no operator named \(name) in \(path)") }
            guard record.tokens.count < OperatorFile.maxTokens else {
                throw CLIError.usage(
                    "operator \(name) already has \(OperatorFile.maxTokens) tokens", help: "remove the operator and add it again")
            }
            let token = APIToken.make()
            record.tokens.append(APIToken.digest(token))
            do {
                try file.add(record, replace: true)
            } catch {
                throw CLIError.usage(error.description, help: error.help)
            }
            try save(file)
            ctx.io.err("new API token for \(name) (shown once; store it now):\n")
            ctx.io.out(token + "\n")
        case "remove":
            let name = try single(rest, "mapc operators remove ada")
            guard file.remove(name) else { throw CLIError.usage("no operator named \(name) in \(path)") }
            try save(file)
            ctx.io.err("removed operator \(name) from \(path)\n")
        case "list":
            guard rest.isEmpty else { throw CLIError.usage("list takes no arguments") }
            if try OutputFormat.parse(args) == .json {
                ctx.io.out(
                    JSONWriter.pretty(
                        .array(
                            file.operators.map {
                                .object([
                                    ("name", .string($0.name)), ("role", .string($0.role.rawValue)),
                                    ("password", .bool($0.password != nil)),
                                    ("tokens", .int($0.tokens.count)), ("added", .string($0.added)),
                                ])
                            })) + "\n")
            } else if file.operators.isEmpty {
                ctx.io.out("no operators in \(path); add one with 'mapc operators add NAME'\n")
            } else {
                var table = [["NAME", "ROLE", "PASSWORD", "TOKENS", "ADDED"]]
                for o in file.operators {
                    table.append([o.name, o.role.rawValue, o.password == nil ? "no" : "yes", String(o.tokens.count), o.added])
                }
                ctx.io.out(TextTable.render(table))
            }
        default:
            let suggestion = Arguments.closestOption(sub, ["add", "list", "remove", "token"])
            throw CLIError.usage("unknown subcommand '\(sub)'", help: suggestion.map { "did you mean 'mapc operators \($0)'?" })
        }
        return .ok
    }

    static func single(_ rest: [String], _ example: String) throws -> String {
        guard rest.count == 1 else { throw CLIError.usage("give exactly one operator name", help: example) }
        return rest[0]
    }

    static func role(_ text: String?) throws -> OperatorRole {
        guard let text else { return .operator }
        guard let role = OperatorRole(rawValue: text) else {
            throw CLIError.usage("--role is operator or read-only, not '\(text)'")
        }
        return role
    }

    static func load(_ path: String) throws -> OperatorFile {
        do {
            return try OperatorFile.load(path: path)
        } catch {
            throw CLIError.operational(error.description, help: error.help)
        }
    }

    static func save(_ file: OperatorFile) throws {
        do {
            try file.save()
        } catch {
            throw CLIError.operational(error.description, help: error.help)
        }
    }

    /// The new password: one line of standard input with --password-stdin, else typed twice on the
    /// terminal without echo.
    static func readPassword(_ args: Arguments, _ ctx: CommandContext) throws -> String {
        let password: String
        if args.flag("password-stdin") {
            let data = ctx.readInput(4097)
            guard data.count <= 4096 else { throw CLIError.usage("the password on standard input is longer than 4096 bytes") }
            guard let text = String(data: data, encoding: .utf8) else { throw CLIError.usage("the password is not UTF-8 text") }
            password = String(text.split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: false).first ?? "")
                .trimmingCharacters(in: CharacterSet(charactersIn: "\r"))
        } else {
            guard isatty(0) != 0 else {
                throw CLIError.usage(
                    "standard input is not a terminal, so the password cannot be typed", help: "pipe it in with --password-stdin")
            }
            let first = try TerminalPassword.read(prompt: "Password: ", ctx)
            let second = try TerminalPassword.read(prompt: "Password again: ", ctx)
            guard ConstantTimeCompare.equals(first, second) else { throw CLIError.usage("the two passwords differ") }
            password = first
        }
        guard password.count >= minimumPassword else {
            throw CLIError.usage("the password is shorter than \(minimumPassword) characters")
        }
        guard password.utf8.count <= 1024 else { throw CLIError.usage("the password is longer than 1024 bytes") }
        return password
    }
}

/// Reads a line from the terminal with echo off (restored afterwards, also on error).
enum TerminalPassword {
    static func read(prompt: String, _ ctx: CommandContext) throws -> String {
        ctx.io.err(prompt)
        var saved = termios()
        guard tcgetattr(0, &saved) == 0 else { throw CLIError.operational("cannot read the terminal's settings") }
        var quiet = saved
        quiet.c_lflag &= ~tcflag_t(ECHO)
        guard tcsetattr(0, TCSAFLUSH, &quiet) == 0 else { throw CLIError.operational("cannot turn the terminal's echo off") }
        defer {
            var restore = saved
            tcsetattr(0, TCSAFLUSH, &restore)
            ctx.io.err("\n")
        }
        var bytes: [UInt8] = []
        var byte: UInt8 = 0
        while bytes.count <= 4096, Foundation.read(0, &byte, 1) == 1, byte != 10 {
            if byte != 13 { bytes.append(byte) }
        }
        guard let text = String(bytes: bytes, encoding: .utf8) else { throw CLIError.usage("the password is not UTF-8 text") }
        return text
    }
}
