/// One option a command accepts.
public struct OptionSpec: Sendable {
    /// Long name without dashes (`format`).
    public var name: String
    /// Optional one-letter alias (`o` for `-o`).
    public var short: Character?
    /// Placeholder for the value (`FILE`); nil for a flag.
    public var value: String?
    /// Help text.
    public var help: String
    /// Whether the option may be given several times.
    public var repeats: Bool

    /// Creates an option.
    public init(_ name: String, short: Character? = nil, value: String? = nil, repeats: Bool = false, help: String) {
        self.name = name
        self.short = short
        self.value = value
        self.help = help
        self.repeats = repeats
    }
}

/// Parsed command-line arguments of one command.
public struct Arguments {
    /// Positional arguments in order.
    public var positional: [String] = []
    private var values: [String: [String]] = [:]
    private var flags: Set<String> = []

    /// The last value of option `name`.
    public func value(_ name: String) -> String? { values[name]?.last }
    /// Every value of a repeatable option.
    public func values(_ name: String) -> [String] { values[name] ?? [] }
    /// Whether flag `name` was given.
    public func flag(_ name: String) -> Bool { flags.contains(name) }

    /// An integer option, with a usage error for non-numbers.
    public func int(_ name: String, default def: Int, min: Int = 0) throws -> Int {
        guard let v = value(name) else { return def }
        guard let i = Int(v), i >= min else {
            throw CLIError.usage("--\(name) takes a whole number of at least \(min), not '\(v)'")
        }
        return i
    }

    /// Parses `args` against `options`; `--help` is handled by the caller.
    public static func parse(_ args: [String], options: [OptionSpec], command: String) throws -> Arguments {
        var result = Arguments()
        var i = 0
        var onlyPositional = false
        while i < args.count {
            let a = args[i]
            i += 1
            if onlyPositional || a == "-" || !a.hasPrefix("-") {
                result.positional.append(a)
                continue
            }
            if a == "--" {
                onlyPositional = true
                continue
            }
            var name: String
            var inline: String?
            let spec: OptionSpec?
            if a.hasPrefix("--") {
                name = String(a.dropFirst(2))
                if let eq = name.firstIndex(of: "=") {
                    inline = String(name[name.index(after: eq)...])
                    name = String(name[..<eq])
                }
                spec = options.first { $0.name == name }
            } else {
                let letter = a.dropFirst().first
                spec = options.first { $0.short != nil && $0.short == letter }
                name = spec?.name ?? String(a.dropFirst())
                if a.count > 2 { inline = String(a.dropFirst(2)) }
            }
            guard let spec else {
                let suggestion = closestOption(name, options.map(\.name))
                throw CLIError.usage(
                    "unknown option '\(a)' for 'mapc \(command)'",
                    help: suggestion.map { "did you mean '--\($0)'? (see 'mapc \(command) --help')" } ?? "see 'mapc \(command) --help'")
            }
            if spec.value != nil {
                let v: String
                if let inline {
                    v = inline
                } else {
                    guard i < args.count else {
                        throw CLIError.usage("option '--\(spec.name)' needs a value (\(spec.value!))", help: "see 'mapc \(command) --help'")
                    }
                    v = args[i]
                    i += 1
                }
                if !spec.repeats && result.values[spec.name] != nil {
                    throw CLIError.usage("option '--\(spec.name)' is given more than once")
                }
                result.values[spec.name, default: []].append(v)
            } else {
                if inline != nil { throw CLIError.usage("option '--\(spec.name)' takes no value") }
                result.flags.insert(spec.name)
            }
        }
        return result
    }

    static func closestOption(_ name: String, _ names: [String]) -> String? {
        var best: (String, Int)?
        for n in names {
            let d = levenshtein(name, n)
            if d <= 2 && (best == nil || d < best!.1) { best = (n, d) }
        }
        return best?.0
    }

    static func levenshtein(_ a: String, _ b: String) -> Int {
        let x = Array(a)
        let y = Array(b)
        if x.isEmpty { return y.count }
        if y.isEmpty { return x.count }
        var prev = Array(0...y.count)
        for i in 1...x.count {
            var cur = [i] + [Int](repeating: 0, count: y.count)
            for j in 1...y.count {
                cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (x[i - 1] == y[j - 1] ? 0 : 1))
            }
            prev = cur
        }
        return prev[y.count]
    }
}

/// The output formats a command can produce.
public enum OutputFormat: String, CaseIterable {
    case text, json, markdown

    /// Parses `--format`, allowing only `allowed`.
    static func parse(_ args: Arguments, allowed: [OutputFormat] = [.text, .json]) throws -> OutputFormat {
        guard let v = args.value("format") else { return .text }
        guard let f = OutputFormat(rawValue: v), allowed.contains(f) else {
            throw CLIError.usage("unknown format '\(v)'; use one of: \(allowed.map(\.rawValue).joined(separator: ", "))")
        }
        return f
    }
}
