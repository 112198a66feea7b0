import Foundation

/// How much of a file's diagnostics a rendering shows: the rest are counted on a `… N more` line.
public struct DiagnosticLimits: Sendable, Hashable {
    /// Diagnostics shown per file.
    public var perFile: Int
    /// Diagnostics shown per source line.
    public var perLine: Int
    /// Diagnostics listed per file in JSON.
    public var perFileJSON: Int
    /// Characters of a source line shown around the caret.
    public var excerptWidth: Int
    /// Characters of a message, help or note shown.
    public var messageWidth: Int

    /// Creates limits.
    public init(perFile: Int = 50, perLine: Int = 3, perFileJSON: Int = 200, excerptWidth: Int = 240, messageWidth: Int = 400) {
        self.perFile = perFile
        self.perLine = perLine
        self.perFileJSON = perFileJSON
        self.excerptWidth = excerptWidth
        self.messageWidth = messageWidth
    }
}

/// Renders diagnostics as compiler-style text or as JSON.
public struct DiagnosticRenderer: Sendable {
    /// Whether to use ANSI colours (only on a terminal).
    public var colour: Bool
    /// How much is shown.
    public var limits: DiagnosticLimits

    /// Creates a renderer.
    public init(colour: Bool = false, limits: DiagnosticLimits = DiagnosticLimits()) {
        self.colour = colour
        self.limits = limits
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
        out += paint("\(sev)[\(d.code.rawValue)]", sevColour) + ": " + paint(clip(d.message), "1") + "\n"
        let lines = [d.span.start] + d.labels.map(\.span.start)
        let gutterWidth = lines.map { String(source.line(of: $0)).count }.max() ?? 1
        out += excerpt(span: d.span, label: nil, source: source, gutterWidth: gutterWidth)
        for label in d.labels {
            out += excerpt(span: label.span, label: label.message, source: source, gutterWidth: gutterWidth)
        }
        if let help = d.help { out += "  = " + paint("help", "1;32") + ": \(clip(help))\n" }
        for note in d.notes { out += "  = note: \(clip(note))\n" }
        return out
    }

    /// `text`, cut to ``DiagnosticLimits/messageWidth`` characters.
    private func clip(_ text: String) -> String {
        guard text.utf8.count > limits.messageWidth else { return text }
        let shown = text.prefix(limits.messageWidth)
        return shown.count < text.count ? shown + "…" : text
    }

    /// The line of `span` with a caret under it: a window of ``DiagnosticLimits/excerptWidth``
    /// characters around the caret when the line is longer, control characters shown as `�`.
    private func excerpt(span: SourceSpan, label: String?, source: SourceText, gutterWidth: Int) -> String {
        let start = source.location(of: span.start)
        let endLoc = source.location(of: max(span.start, span.end))
        let chars = Array(source.lineText(start.line))
        let number = String(start.line)
        let gutter = String(repeating: " ", count: max(0, gutterWidth - number.count)) + number
        let pad = String(repeating: " ", count: gutter.count)
        let caretStart = start.column - 1
        var width: Int
        if endLoc.line == start.line {
            width = max(1, endLoc.column - start.column)
        } else {
            width = max(1, chars.count - caretStart)
        }
        var lo = 0
        var hi = chars.count
        let window = max(20, limits.excerptWidth)
        if chars.count > window {
            lo = max(0, min(caretStart - window / 3, chars.count - window))
            hi = min(chars.count, lo + window)
        }
        width = max(1, min(width, hi - caretStart))
        var lineText = lo > 0 ? "…" : ""
        for ch in chars[lo..<hi] {
            if ch == "\t" {
                lineText += " "
            } else if let u = ch.unicodeScalars.first, u.value < 0x20 || u.value == 0x7F {
                lineText += "\u{FFFD}"
            } else {
                lineText.append(ch)
            }
        }
        if hi < chars.count { lineText += "…" }
        var out = "\(pad) |\n"
        out += "\(gutter) | \(lineText)\n"
        let indent = caretStart - lo + (lo > 0 ? 1 : 0)
        let caret = String(repeating: " ", count: max(0, indent)) + paint(String(repeating: "^", count: width), "1;31")
        out += "\(pad) | \(caret)" + (label.map { " \(clip($0))" } ?? "") + "\n"
        return out
    }

    /// Renders the diagnostics of one file in order, at most ``DiagnosticLimits/perLine`` for a
    /// source line and ``DiagnosticLimits/perFile`` in all, each cut off with a `… N more` line.
    public func render(_ diagnostics: [Diagnostic], in source: SourceText) -> String {
        let sorted = diagnostics.sortedForDisplay()
        var parts: [String] = []
        var shown = 0
        var i = 0
        while i < sorted.count && shown < limits.perFile {
            let line = source.line(of: sorted[i].span.start)
            var j = i + 1
            while j < sorted.count && source.line(of: sorted[j].span.start) == line { j += 1 }
            let take = min(j - i, max(1, limits.perLine), limits.perFile - shown)
            for d in sorted[i..<(i + take)] { parts.append(render(d, in: source)) }
            shown += take
            if j - i > take {
                let n = j - i - take
                parts.append("… \(n) more diagnostic\(n == 1 ? "" : "s") on line \(line) of \(source.path) not shown\n")
            }
            i = j
        }
        if i < sorted.count {
            let n = sorted.count - i
            parts.append("… \(n) more diagnostic\(n == 1 ? "" : "s") in \(source.path) not shown (fix the first ones)\n")
        }
        return parts.joined(separator: "\n")
    }

    /// The diagnostics of one file as JSON objects, in order, at most
    /// ``DiagnosticLimits/perFileJSON`` of them, and how many were left out.
    public func json(_ diagnostics: [Diagnostic], in source: SourceText) -> (diagnostics: [JSONValue], omitted: Int) {
        let sorted = diagnostics.sortedForDisplay()
        let shown = sorted.prefix(max(0, limits.perFileJSON)).map { DiagnosticRenderer.json($0, in: source) }
        return (shown, sorted.count - shown.count)
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
