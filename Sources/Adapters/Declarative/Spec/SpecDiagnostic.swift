import MapDSL

/// The catalogue of stable adapter-spec diagnostic codes, sorted; `docs/declarative-adapters.md`
/// documents each one and a test checks that they agree.
public enum SpecDiagnosticCode: String, Sendable, Hashable, CaseIterable {
    case syntax = "A0101"
    case unknownMember = "A0201"
    case missingMember = "A0202"
    case wrongType = "A0203"
    case valueNotAllowed = "A0204"
    case duplicateMember = "A0205"
    case unknownTemplateName = "A0301"
    case unknownTemplateFilter = "A0302"
    case invalidPath = "A0303"
    case schemaUnreadable = "A0304"
    case unknownSchemaField = "A0305"
    case resultsDoNotFitShape = "A0306"
    case duplicateObject = "A0307"
    case noRateLimits = "W0401"

    /// Error or warning, from the code's letter.
    public var severity: Severity { rawValue.hasPrefix("W") ? .warning : .error }

    /// A short title for documentation and JSON output.
    public var title: String {
        switch self {
        case .syntax: "not valid JSON"
        case .unknownMember: "unknown member"
        case .missingMember: "required member missing"
        case .wrongType: "value of the wrong type"
        case .valueNotAllowed: "value not allowed"
        case .duplicateMember: "member given twice"
        case .unknownTemplateName: "unknown name in a template"
        case .unknownTemplateFilter: "unknown template filter"
        case .invalidPath: "endpoint path not absolute"
        case .schemaUnreadable: "schema file missing or invalid"
        case .unknownSchemaField: "field not in the object's schema"
        case .resultsDoNotFitShape: "result style does not fit the write shape"
        case .duplicateObject: "object declared twice"
        case .noRateLimits: "no rate-limit registry entry"
        }
    }
}

/// A problem in a spec file: data, rendered separately.
public struct SpecDiagnostic: Sendable, Hashable {
    /// Stable code.
    public var code: SpecDiagnosticCode
    /// One-line message.
    public var message: String
    /// The span the caret points at.
    public var span: SourceSpan
    /// A one-line suggestion.
    public var help: String?
    /// Replacement text for `span`, when there is an obvious one (a did-you-mean).
    public var fix: String?

    /// Creates a diagnostic.
    public init(_ code: SpecDiagnosticCode, _ message: String, at span: SourceSpan, help: String? = nil, fix: String? = nil) {
        self.code = code
        self.message = message
        self.span = span
        self.help = help
        self.fix = fix
    }

    /// The code's severity.
    public var severity: Severity { code.severity }
}

/// Renders spec diagnostics like `mapc check` renders mapping diagnostics: MapDSL's renderer draws
/// the excerpt and caret; this type only carries the adapter-spec code into it.
public enum SpecDiagnosticRenderer {
    /// `path:line:col: error[A0201]: message`, the excerpt with a caret, then `help:`.
    public static func render(_ diagnostics: [SpecDiagnostic], in source: SourceText, colour: Bool = false) -> String {
        let sorted = diagnostics.sorted { ($0.span.start, $0.code.rawValue) < ($1.span.start, $1.code.rawValue) }
        let renderer = DiagnosticRenderer(colour: colour)
        return sorted.map { d in
            // MapDSL's renderer owns the excerpt; its first line names a MapDSL code, which is
            // replaced by the spec code (the rest is identical in form).
            let carrier = Diagnostic(
                d.severity == .error ? .unexpectedCharacter : .duplicatePattern, d.message, at: d.span, help: d.help)
            let text = renderer.render(carrier, in: source)
            let marker = "[\(carrier.code.rawValue)]"
            guard let range = text.range(of: marker) else { return text }
            return text.replacingCharacters(in: range, with: "[\(d.code.rawValue)]")
        }.joined(separator: "\n")
    }

    /// One diagnostic as JSON: file, line, column, endLine, endColumn, code, severity, message, title, help, fix.
    public static func json(_ d: SpecDiagnostic, in source: SourceText) -> JSONValue {
        let start = source.location(of: d.span.start)
        let end = source.location(of: d.span.end)
        var obj: [(String, JSONValue)] = [
            ("file", .string(source.path)), ("line", .int(start.line)), ("column", .int(start.column)),
            ("endLine", .int(end.line)), ("endColumn", .int(end.column)), ("code", .string(d.code.rawValue)),
            ("severity", .string(d.severity.rawValue)), ("message", .string(d.message)), ("title", .string(d.code.title)),
        ]
        if let help = d.help { obj.append(("help", .string(help))) }
        if let fix = d.fix { obj.append(("fix", .string(fix))) }
        return .object(obj)
    }
}
