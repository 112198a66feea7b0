import Foundation

/// Renders diagnostics as compiler-style text or as JSON.
public struct DiagnosticRenderer: Sendable {
    /// Whether to use ANSI colours (only on a terminal).
    public var colour: Bool

    /// Creates a renderer.
    public init(colour: Bool = false) {
        self.colour = colour
    }

    private func paint(_ s: String, _ code: String) -> String {
        colour ? "\u{1B}[\(code)m\(s)\u{1B}[0m" : s
    }

    /// Renders one diagnostic: `path:line:col: error[CODE]: message`, a numbered excerpt with a
    /// caret under the span, labels, then `help:` and `note:` lines.
    public func render(_ d: Diagnostic, in source: SourceText) -> String {
        let loc = source.location(of: d.span.start)
        let sev = d.severity.rawValue
        let sevColour = d.severity == .error ? "1;31" : (d.severity == .warning ? "1;33" : "1;36")
        var out = "\(source.path):\(loc.line):\(loc.column): "
        out += paint("\(sev)[\(d.code.rawValue)]", sevColour) + ": " + paint(d.message, "1") + "\n"
        let lines = [d.span.start] + d.labels.map(\.span.start)
        let gutterWidth = lines.map { String(source.line(of: $0)).count }.max() ?? 1
        out += excerpt(span: d.span, label: nil, source: source, gutterWidth: gutterWidth)
        for label in d.labels {
            out += excerpt(span: label.span, label: label.message, source: source, gutterWidth: gutterWidth)
        }
        if let help = d.help { out += "  = " + paint("help", "1;32") + ": \(help)\n" }
        for note in d.notes { out += "  = note: \(note)\n" }
        return out
    }

    private func excerpt(span: SourceSpan, label: String?, source: SourceText, gutterWidth: Int) -> String {
        let start = source.location(of: span.start)
        let endLoc = source.location(of: max(span.start, span.end))
        let lineText = source.lineText(start.line).replacingOccurrences(of: "\t", with: " ")
        let number = String(start.line)
        let gutter = String(repeating: " ", count: max(0, gutterWidth - number.count)) + number
        let pad = String(repeating: " ", count: gutter.count)
        let width: Int
        if endLoc.line == start.line {
            width = max(1, endLoc.column - start.column)
        } else {
            width = max(1, lineText.count - start.column + 1)
        }
        var out = "\(pad) |\n"
        out += "\(gutter) | \(lineText)\n"
        let caret = String(repeating: " ", count: start.column - 1) + paint(String(repeating: "^", count: width), "1;31")
        out += "\(pad) | \(caret)" + (label.map { " \($0)" } ?? "") + "\n"
        return out
    }

    /// Renders all diagnostics of one file, followed by a summary line when there are any.
    public func render(_ diagnostics: [Diagnostic], in source: SourceText) -> String {
        diagnostics.sortedForDisplay().map { render($0, in: source) }.joined(separator: "\n")
    }

    /// One diagnostic as JSON: file, line, column, end, code, severity, message, title, help, notes, fix, labels.
    public static func json(_ d: Diagnostic, in source: SourceText) -> JSONValue {
        let start = source.location(of: d.span.start)
        let end = source.location(of: d.span.end)
        var obj: [(String, JSONValue)] = [
            ("file", .string(source.path)), ("line", .int(start.line)), ("column", .int(start.column)),
            ("endLine", .int(end.line)), ("endColumn", .int(end.column)), ("code", .string(d.code.rawValue)),
            ("severity", .string(d.severity.rawValue)), ("message", .string(d.message)), ("title", .string(d.code.title)),
        ]
        if let help = d.help { obj.append(("help", .string(help))) }
        if !d.notes.isEmpty { obj.append(("notes", .array(d.notes.map { .string($0) }))) }
        if let fix = d.fix { obj.append(("fix", .string(fix))) }
        if !d.labels.isEmpty {
            obj.append(
                (
                    "labels",
                    .array(
                        d.labels.map { label in
                            let l = source.location(of: label.span.start)
                            return .object([("line", .int(l.line)), ("column", .int(l.column)), ("message", .string(label.message))])
                        })
                ))
        }
        return .object(obj)
    }
}
