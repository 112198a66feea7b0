import Foundation

/// A plain-English mapping description: optional `from:` / `to:` header lines, then prose.
public struct ProseDocument: Sendable, Hashable {
    /// The source object named in the header (`hubspot.contact`), if any.
    public var from: String?
    /// The destination object named in the header (`salesforce.Lead`), if any.
    public var to: String?
    /// The prose after the header lines.
    public var body: String
    /// The prose split into sentences; sentence `i` is cited as `[S<i+1>]`.
    public var sentences: [String]

    /// Creates a document from its parts.
    public init(from: String?, to: String?, body: String) {
        self.from = from
        self.to = to
        self.body = body
        self.sentences = SentenceSplitter.split(body)
    }

    /// The largest prose description read, in bytes (64 KiB): about ten thousand words, far above any real
    /// description of one mapping (a few kilobytes). Longer text is refused before it is read, with a message
    /// that says so, so that no input can make generation run for minutes.
    public static let maxBytes = 64 << 10

    /// The message for a prose description of `bytes` bytes (more than ``maxBytes``) at `path`.
    public static func tooLargeMessage(path: String, bytes: Int? = nil) -> String {
        let size = bytes.map { "\($0) bytes" } ?? "more than \(maxBytes) bytes"
        return "'\(path)' is \(size); a prose description may be at most \(maxBytes >> 10) KiB (\(maxBytes) bytes)"
    }

    /// Parses a prose file: leading `from:` and `to:` lines (any order, case-insensitive), then the body.
    public static func parse(_ text: String) -> ProseDocument {
        var from: String?
        var to: String?
        var lines = text.replacingOccurrences(of: "\r\n", with: "\n").split(separator: "\n", omittingEmptySubsequences: false)
            .map(String.init)
        while let first = lines.first {
            let trimmed = first.trimmingCharacters(in: .whitespaces)
            let lower = trimmed.lowercased()
            if trimmed.isEmpty, from != nil || to != nil {
                lines.removeFirst()
                continue
            }
            if lower.hasPrefix("from:") {
                from = String(trimmed.dropFirst(5)).trimmingCharacters(in: .whitespaces)
            } else if lower.hasPrefix("to:") {
                to = String(trimmed.dropFirst(3)).trimmingCharacters(in: .whitespaces)
            } else {
                break
            }
            lines.removeFirst()
        }
        return ProseDocument(from: from, to: to, body: lines.joined(separator: "\n").trimmingCharacters(in: .whitespacesAndNewlines))
    }

    /// The sentences as a numbered list, `S1: ...`, one per line, as the prompt shows them.
    public var numberedSentences: String {
        sentences.enumerated().map { "S\($0.offset + 1): \($0.element)" }.joined(separator: "\n")
    }
}
