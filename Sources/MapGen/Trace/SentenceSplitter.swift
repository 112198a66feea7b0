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
        // A CSV sheet, a SQL select list, YAML-like keys, aligned columns: one sentence per row (StructuredProse.swift).
        StructuredProse.segments(text).flatMap { s -> [String] in
            if case .record(let r) = s { return [r.sentence] }
            if case .prose(let p) = s { return splitProse(p) }
            return []
        }
    }

    /// The sentences of prose without a structured block.
    static func splitProse(_ text: String) -> [String] {
        var sentences: [String] = []
        for paragraph in paragraphs(text) {
            if isTableRow(paragraph) {
                sentences.append(paragraph.trimmingCharacters(in: .whitespaces))
                continue
            }
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
        // "(e.g. acme.com)": an opening bracket before the abbreviation is no part of it.
        return abbreviations.contains(String(last.drop { "([\"'“".contains($0) }))
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
        // A block of lines (between blank lines) at least half of which are terse statements is a list
        // without markers: every line is a sentence of its own.
        var block: [String] = []
        var terseBlocks: Set<Int> = []
        var blockStart = 0
        let rawLines = text.split(separator: "\n", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        for (i, line) in (rawLines + [""]).enumerated() {
            if line.isEmpty {
                let statements = block.filter { isStatementLine(isListItem($0) ? stripListMarker($0) : $0) }.count
                // Also: some statements among short lines (not wrapped text, whose lines run to a width).
                let short = block.dropLast().allSatisfy { $0.count < 60 }
                // …or a third of the lines, three at least, are statements.
                let aThird = statements >= 3 && statements * 3 >= block.count
                if block.count >= 2,
                    statements * 2 >= block.count || statements >= 1 && short || aThird,
                    !block.dropLast().contains(where: continues)
                {
                    for k in blockStart..<i { terseBlocks.insert(k) }
                }
                block = []
                blockStart = i + 1
            } else {
                block.append(line)
            }
        }
        var quoteDepth = 0
        for (i, var line) in rawLines.enumerated() {
            if line.isEmpty {
                flush()
                continue
            }
            // "> quoted reply": a change of quote depth starts a paragraph; a quoted line joined to the one before drops its markers.
            let depth = line.prefix { $0 == ">" || $0 == " " }.filter { $0 == ">" }.count
            if depth != quoteDepth { flush() } else if depth > 0, !current.isEmpty { line = String(line.drop { $0 == ">" || $0 == " " }) }
            quoteDepth = depth
            if isTableRow(line) {
                // A row of a pasted table (tab-separated, or markdown `| a | b |`) is a sentence of its own.
                flush()
                out.append(line)
                continue
            }
            if terseBlocks.contains(i) {
                flush()
                current = [isListItem(line) ? stripListMarker(line) : line]
                continue
            }
            if isListItem(line) {
                flush()
                current = [stripListMarker(line)]
                continue
            }
            // Terse lines ("email_address -> email", "status: subscribed", "tags = x") are statements of
            // their own even without a list marker; so is any line after one. A line that ends in a
            // comma, a conjunction or an operator goes on in the next.
            if let previous = current.last, !continues(previous), isStatementLine(line) || isStatementLine(previous) || opensRule(line) {
                flush()
            }
            current.append(line)
        }
        flush()
        return out
    }

    /// Whether a line opens with a short name and then an arrow, `=` or `:` (within its first four
    /// words), or a name, a dash and the rest ("status_if_new - same as status").
    static func isStatementLine(_ line: String) -> Bool {
        let words = line.split(separator: " ", omittingEmptySubsequences: true).prefix(5).map(String.init)
        for (i, w) in words.enumerated() {
            if i > 0, ["->", "→", "=>", "=", ":", "<-", "←", "⇐"].contains(w) || w.hasPrefix("->") || w.hasPrefix("→") || w.hasPrefix("←") {
                return true
            }
            if i == 1, ["-", "–", "—"].contains(w) { return true }
            if i < 4, w.count > 1, w.hasSuffix(":"), !w.hasPrefix("\"") { return true }
            if w.hasPrefix("\"") || w.hasPrefix("“") { return false }
        }
        return false
    }

    /// Whether a line opens with a capitalised rule verb ("Skip …", "Only …", "Don't …").
    static func opensRule(_ line: String) -> Bool {
        guard let first = line.split(separator: " ").first, first.first?.isUppercase == true else { return false }
        return ["Skip", "Ignore", "Drop", "Exclude", "Only", "Don't", "Don’t", "Do", "Never", "Filter"].contains(String(first))
    }

    /// Whether a line plainly continues on the next: it ends with a comma, an operator or a conjunction.
    private static func continues(_ line: String) -> Bool {
        if let last = line.last, ",;(+&-→=".contains(last) || last == ">" { return true }
        let lastWord = line.split(separator: " ").last.map { $0.lowercased() } ?? ""
        // "… keep the code as is": a whole phrase, not a sentence going on.
        if line.lowercased().hasSuffix(" as is") { return false }
        return ["and", "or", "the", "a", "an", "to", "of", "with", "is", "are", "when", "if", "then", "by"].contains(lastWord)
    }

    /// Whether a line is a row of a pasted table: cells separated by tabs, or a markdown row `| … |`.
    static func isTableRow(_ line: String) -> Bool {
        line.contains("\t") || line.hasPrefix("|") && line.dropFirst().contains("|")
    }

    /// The cells of a table row, trimmed (the outer bars of a markdown row dropped).
    public static func tableCells(_ line: String) -> [String] {
        var t = line.trimmingCharacters(in: .whitespaces)
        if t.hasPrefix("|") {
            t.removeFirst()
            if t.hasSuffix("|") { t.removeLast() }
            return t.split(separator: "|", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        }
        return t.split(separator: "\t", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
    }

    /// Bullets that open a list item when a space follows them.
    private static let bullets: [String] = ["- ", "* ", "• ", "· ", "◦ ", "‣ ", "– ", "— "]

    /// Whether a line opens with a list marker: a bullet, or a number or single letter followed by
    /// `.` or `)` (`1.`, `2)`, `a)`, `(b)`), then a space. A single letter followed by `.` is left alone
    /// ("A. Smith").
    static func isListItem(_ line: String) -> Bool { listMarkerLength(line) > 0 }

    /// The length of the list marker that opens `line` (with the spaces after it), 0 when none does.
    static func listMarkerLength(_ line: String) -> Int {
        if let b = bullets.first(where: { line.hasPrefix($0) }) {
            return b.count + line.dropFirst(b.count).prefix { $0 == " " }.count
        }
        var rest = Substring(line)
        let open = rest.hasPrefix("(")
        if open { rest = rest.dropFirst() }
        let digits = rest.prefix { $0.isASCII && $0.isNumber }
        var label = digits.count
        if digits.isEmpty, let c = rest.first, c.isASCII, c.isLetter, c.isLowercase { label = 1 }
        guard label > 0, label <= 3 else { return 0 }
        rest = rest.dropFirst(label)
        guard let close = rest.first, close == ")" || close == "." && !digits.isEmpty && !open else { return 0 }
        if open && close != ")" { return 0 }
        rest = rest.dropFirst()
        guard rest.first == " " else { return 0 }
        let spaces = rest.prefix { $0 == " " }.count
        return (open ? 1 : 0) + label + 1 + spaces
    }

    static func stripListMarker(_ line: String) -> String {
        String(line.dropFirst(listMarkerLength(line)))
    }
}
