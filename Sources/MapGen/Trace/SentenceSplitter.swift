import Foundation

/// Splits prose into sentences for traceability.
///
/// A sentence ends at `.`, `!` or `?` followed by white space (or the end), outside double quotes;
/// a blank line or a list item also ends one. Dotted names (`traits.email`) and decimals never split,
/// because no white space follows their dots. Abbreviations such as `e.g.` and `i.e.` do not end one.
public enum SentenceSplitter {
    private static let abbreviations: Set<String> = ["e.g.", "i.e.", "etc.", "vs.", "approx.", "incl.", "no.", "mr.", "ms.", "dr."]

    /// The sentences of `text`, trimmed, in order.
    public static func split(_ text: String) -> [String] {
        var sentences: [String] = []
        for paragraph in paragraphs(text) {
            var current = ""
            var inQuote = false
            let chars = Array(paragraph)
            var i = 0
            while i < chars.count {
                let c = chars[i]
                current.append(c)
                if c == "\"" || c == "“" || c == "”" { inQuote.toggle() }
                if !inQuote, c == "." || c == "!" || c == "?" {
                    let next = i + 1 < chars.count ? chars[i + 1] : " "
                    if next.isWhitespace && !endsWithAbbreviation(current) {
                        flush(&current, into: &sentences)
                    }
                }
                i += 1
            }
            flush(&current, into: &sentences)
        }
        return sentences
    }

    private static func endsWithAbbreviation(_ s: String) -> Bool {
        guard let last = s.split(whereSeparator: { $0.isWhitespace }).last?.lowercased() else { return false }
        return abbreviations.contains(String(last))
    }

    private static func flush(_ current: inout String, into out: inout [String]) {
        let t = current.trimmingCharacters(in: .whitespacesAndNewlines)
        if !t.isEmpty { out.append(t) }
        current = ""
    }

    /// Paragraphs: separated by blank lines; list items (`- `, `* `, `1. `) start their own paragraph;
    /// other line breaks inside a paragraph are spaces.
    private static func paragraphs(_ text: String) -> [String] {
        var out: [String] = []
        var current: [String] = []
        func flush() {
            if !current.isEmpty { out.append(current.joined(separator: " ")) }
            current = []
        }
        for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty {
                flush()
                continue
            }
            if isListItem(line) {
                flush()
                current = [stripListMarker(line)]
                continue
            }
            current.append(line)
        }
        flush()
        return out
    }

    private static func isListItem(_ line: String) -> Bool {
        if line.hasPrefix("- ") || line.hasPrefix("* ") { return true }
        let digits = line.prefix { $0.isNumber }
        return !digits.isEmpty && line.dropFirst(digits.count).hasPrefix(". ")
    }

    private static func stripListMarker(_ line: String) -> String {
        if line.hasPrefix("- ") || line.hasPrefix("* ") { return String(line.dropFirst(2)) }
        let digits = line.prefix { $0.isNumber }
        return String(line.dropFirst(digits.count + 2))
    }
}
