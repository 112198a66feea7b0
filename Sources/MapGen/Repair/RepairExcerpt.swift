import MapDSL

/// What a repair turn repeats of the previous answer: the whole candidate when it is small, else the
/// header and the lines around each error, with the omissions marked. A runaway reply is never sent
/// back whole, so repair requests stay small whatever the model wrote.
public enum RepairExcerpt {
    /// Characters of the previous answer a repair turn repeats at most.
    public static let maxCharacters = 8_000
    /// Characters of rendered diagnostics a repair turn carries at most.
    public static let maxDiagnosticCharacters = 8_000
    /// Diagnostics rendered into one repair turn at most (the rest are counted).
    public static let maxDiagnostics = 25

    /// The part of `candidate` a repair turn repeats.
    public static func excerpt(_ candidate: String, diagnostics: [Diagnostic], limit: Int = maxCharacters) -> String {
        if candidate.count <= limit { return candidate }
        let source = SourceText(path: "reply", text: candidate)
        let lines = candidate.split(separator: "\n", omittingEmptySubsequences: false)
        var wanted = Set<Int>()
        if let header = lines.firstIndex(where: { $0.hasPrefix("mapping ") }) { wanted.insert(header) }
        for d in diagnostics where d.severity == .error {
            let line = source.line(of: min(d.span.start, max(0, source.bytes.count - 1))) - 1
            for l in max(0, line - 1)...min(lines.count - 1, line + 1) { wanted.insert(l) }
        }
        var out = ""
        var previous = -1
        for l in wanted.sorted() {
            let text = truncated(lines[l], 300)
            var piece = ""
            if l > previous + 1 { piece += "# … \(l - previous - 1) line(s) omitted …\n" }
            piece += text + "\n"
            if out.count + piece.count > limit - 60 {
                out += "# … the rest omitted (the answer had \(lines.count) lines, \(candidate.utf8.count) bytes) …\n"
                return out
            }
            out += piece
            previous = l
        }
        if previous < lines.count - 1 { out += "# … \(lines.count - 1 - previous) line(s) omitted …\n" }
        return out
    }

    /// Rendered diagnostics, at most ``maxDiagnostics`` of them and ``maxDiagnosticCharacters`` long.
    public static func diagnostics(_ diagnostics: [Diagnostic], in candidate: String) -> String {
        let errors = diagnostics.filter { $0.severity == .error }
        let shown = Array((errors.isEmpty ? diagnostics : errors).prefix(maxDiagnostics))
        var text = DiagnosticRenderer(colour: false).render(shown, in: SourceText(path: "mapping.map", text: candidate))
        if text.count > maxDiagnosticCharacters {
            text = String(text.prefix(maxDiagnosticCharacters)) + "\n…"
        }
        let hidden = errors.count - shown.count
        if hidden > 0 { text += "\n(\(hidden) more error\(hidden == 1 ? "" : "s") not shown)" }
        return text
    }

    private static func truncated(_ line: Substring, _ max: Int) -> String {
        line.count <= max ? String(line) : String(line.prefix(max)) + " …"
    }
}
