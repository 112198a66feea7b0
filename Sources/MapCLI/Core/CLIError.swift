/// Exit codes of `mapc`.
public enum ExitCode: Int32, Sendable {
    /// Everything was clean.
    case ok = 0
    /// Diagnostics, rejected records, failed checks.
    case failure = 1
    /// The command line was wrong.
    case usage = 2
    /// The environment failed: a file could not be read, a server did not answer.
    case operational = 3
}

/// A failure that ends a command, with the message the user sees and its exit code.
public struct CLIError: Error, CustomStringConvertible {
    private enum Kind {
        case usage
        case operational
        case failure
    }

    private let kind: Kind
    /// The message, without the `error:` prefix.
    public let message: String
    /// An optional hint shown on its own line.
    public let help: String?

    /// A mistake on the command line (exit 2).
    public static func usage(_ message: String, help: String? = nil) -> CLIError {
        CLIError(kind: .usage, message: message, help: help)
    }

    /// Something outside the user's input failed (exit 3).
    public static func operational(_ message: String, help: String? = nil) -> CLIError {
        CLIError(kind: .operational, message: message, help: help)
    }

    /// The command ran and found problems it already explained (exit 1).
    public static func failure(_ message: String, help: String? = nil) -> CLIError {
        CLIError(kind: .failure, message: message, help: help)
    }

    /// The exit code for this error.
    public var exitCode: ExitCode {
        switch kind {
        case .usage: .usage
        case .operational: .operational
        case .failure: .failure
        }
    }

    public var description: String { message }
}
