import MapDSL

/// Pulls the mapping out of a model's reply: code fences, chatter before and after, a missing header.
public enum ReplyExtractor {
    /// The mapping text in `reply`.
    ///
    /// Prefers a fenced block containing a `mapping` header (the last such block, since models
    /// often show a draft first); then any fenced block; then the lines from the `mapping` header to
    /// the last line that looks like mapping code. When the header is missing, `header` is put first.
    public static func extract(_ reply: String, header: String) -> String {
        let text = unwrapJSON(stripThinking(reply.replacingCRLF()))
        let blocks = fencedBlocks(text)
        var body: String
        if let withHeader = blocks.last(where: { containsHeader($0) }) {
            body = withHeader
        } else if let longest = blocks.max(by: { $0.count < $1.count }) {
            body = longest
        } else {
            body = unfenced(text)
        }
        if !containsHeader(body) {
            body = header + "\n" + body
        }
        return body.hasSuffix("\n") ? body : body + "\n"
    }

    /// Contents of ``` fenced blocks, in order (an unclosed last fence runs to the end).
    static func fencedBlocks(_ text: String) -> [String] {
        var blocks: [String] = []
        var current: [Substring]?
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let trimmed = line.drop { $0 == " " || $0 == "\t" }
            if trimmed.hasPrefix("```") || trimmed.hasPrefix("~~~") {
                if let c = current {
                    blocks.append(c.joined(separator: "\n"))
                    current = nil
                } else {
                    current = []
                }
                continue
            }
            current?.append(line)
        }
        if let c = current, !c.isEmpty { blocks.append(c.joined(separator: "\n")) }
        return blocks
    }

    private static func containsHeader(_ s: String) -> Bool {
        s.split(separator: "\n").contains { $0.drop { $0 == " " }.hasPrefix("mapping ") }
    }

    /// Without fences: from the `mapping` line (or the first code-looking line) to the last
    /// code-looking line, dropping prose before and after.
    private static func unfenced(_ text: String) -> String {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let start =
            lines.firstIndex { $0.hasPrefix("mapping ") } ?? lines.firstIndex { looksLikeCode($0) } ?? 0
        var end = lines.count - 1
        while end > start, !looksLikeCode(lines[end]) { end -= 1 }
        guard start <= end, start < lines.count else { return text }
        return lines[start...end].joined(separator: "\n")
    }

    /// A line that reads as mapping code rather than prose.
    static func looksLikeCode(_ line: String) -> Bool {
        let t = line.trimmingWhitespace
        if t.isEmpty { return false }
        if t.hasPrefix("mapping ") || t.hasPrefix("key ") || t.hasPrefix("skip when ") || t.hasPrefix("#") { return true }
        if t == "}" || t.hasPrefix("_ ") || t.hasPrefix("\"") && t.contains("=>") { return true }
        // `Name = ...` where Name is one (possibly dotted or backticked) word.
        if let eq = t.firstIndex(of: "=") {
            let lhs = t[..<eq].trimmingCharacters(in: " ")
            let next = t.index(after: eq)
            let isAssignment = next == t.endIndex || (t[next] != "=" && t[next] != ">")
            return isAssignment && !lhs.isEmpty && !lhs.contains(" ")
        }
        return false
    }

    /// The mapping inside a JSON-wrapped reply (`{"mapping": "..."}`, bare or in a ```json fence, as
    /// models trained for JSON modes answer), else `text` unchanged. The value taken is `mapping`'s,
    /// else the first string value that holds a `mapping` header line.
    static func unwrapJSON(_ text: String) -> String {
        let trimmed = text.trimmingWhitespace
        var candidates: [String] = []
        if trimmed.hasPrefix("{") { candidates.append(trimmed) }
        candidates += fencedBlocks(text).map(\.trimmingWhitespace).filter { $0.hasPrefix("{") }
        for candidate in candidates {
            guard let json = try? JSONParser.parse(candidate), let members = json.objectValue else { continue }
            if let m = json["mapping"]?.stringValue, containsHeader(m) || m.contains("=") { return m }
            for (_, value) in members {
                if let s = value.stringValue, containsHeader(s) { return s }
            }
        }
        return text
    }

    /// Removes `<think>...</think>` blocks some reasoning models emit.
    private static func stripThinking(_ s: String) -> String {
        guard let open = s.range(of: "<think>"), let close = s.range(of: "</think>"), open.lowerBound < close.lowerBound else {
            return s
        }
        return String(s[..<open.lowerBound]) + String(s[close.upperBound...])
    }
}

extension String {
    func replacingCRLF() -> String {
        var out = ""
        out.reserveCapacity(utf8.count)
        for ch in self {
            if ch == "\r\n" { out.append("\n") } else { out.append(ch) }
        }
        return out
    }
}

extension Substring {
    fileprivate func trimmingCharacters(in set: Character) -> String {
        var s = self
        while s.first == set { s = s.dropFirst() }
        while s.last == set { s = s.dropLast() }
        return String(s)
    }
}
