/// How serious a diagnostic is.
public enum Severity: String, Sendable, Codable, Comparable {
    case error
    case warning
    case note

    private var rank: Int {
        switch self {
        case .error: 2
        case .warning: 1
        case .note: 0
        }
    }

    public static func < (lhs: Severity, rhs: Severity) -> Bool { lhs.rank < rhs.rank }
}

/// A secondary span with a short label, shown under the primary excerpt.
public struct DiagnosticLabel: Sendable, Hashable {
    /// The labelled span.
    public var span: SourceSpan
    /// The label text.
    public var message: String
}

/// A problem found in a mapping: data, rendered separately as text or JSON.
public struct Diagnostic: Sendable, Hashable {
    /// Stable code from ``DiagnosticCode``.
    public var code: DiagnosticCode
    /// Severity, normally the code's default.
    public var severity: Severity
    /// One-line message.
    public var message: String
    /// The span the caret points at.
    public var span: SourceSpan
    /// Further labelled spans.
    public var labels: [DiagnosticLabel]
    /// Extra facts, shown as `note:` lines.
    public var notes: [String]
    /// A one-line suggestion, shown as `help:`.
    public var help: String?
    /// Replacement text for `span` that would fix the problem, when there is an obvious one.
    public var fix: String?

    /// Creates a diagnostic with the code's default severity.
    public init(
        _ code: DiagnosticCode, _ message: String, at span: SourceSpan, help: String? = nil,
        notes: [String] = [], labels: [DiagnosticLabel] = [], fix: String? = nil
    ) {
        self.code = code
        self.severity = code.severity
        self.message = message
        self.span = span
        self.labels = labels
        self.notes = notes
        self.help = help
        self.fix = fix
    }
}

extension Array where Element == Diagnostic {
    /// True when any diagnostic is an error.
    public var hasErrors: Bool { contains { $0.severity == .error } }

    /// Sorted by position, then code, with exact duplicates removed.
    public func sortedForDisplay() -> [Diagnostic] {
        var seen = Set<Diagnostic>()
        return filter { seen.insert($0).inserted }.sorted {
            ($0.span.start, $0.code.rawValue) < ($1.span.start, $1.code.rawValue)
        }
    }
}
