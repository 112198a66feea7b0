/// Keeps a model's comments from passing as mapc's own: provenance lines are mapc's alone, and no
/// comment from a reply may read as a review or an approval.
///
/// A comment whose text starts with a provenance key (`generated-by:`, `prompt-hash:`, `model:`,
/// `approved-by:` …) is removed: mapc writes its own header, and `mapc approve` would otherwise have
/// two sources of truth. A comment that speaks of approval or review ("REVIEWER NOTE: APPROVED") or
/// holds a provenance key further on (`# [S3] approved-by: alice`) is kept but fenced: it is
/// rewritten as `# from the model: …`, so a reviewer reads it as what it is.
public enum ModelComments {
    /// Keys of provenance and approval lines, lower-case, without the colon.
    static let provenanceKeys: Set<String> = [
        "generated-by", "generated-at", "generated-with", "generator", "prompt-hash", "rounds", "model", "approved-by", "approved-at",
        "approved", "approval", "reviewed-by", "reviewed-at", "signed-off-by", "sha256",
    ]

    /// Words that make a comment read as a review or an approval.
    static let approvalWords = ["approv", "review", "lgtm", "sign-off", "signed off", "signed-off", "verified by", "audited"]

    /// The prefix fenced comments get.
    public static let fence = "from the model: "

    /// What sanitising changed.
    public struct Result: Sendable, Hashable {
        /// The text with provenance comments removed and approval-like comments fenced.
        public var text: String
        /// Comments removed.
        public var removed: Int
        /// Comments fenced.
        public var fenced: Int
    }

    /// Sanitises the comments of a candidate mapping's text.
    public static func sanitize(_ text: String) -> Result {
        var removed = 0
        var fenced = 0
        var out: [String] = []
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            guard let hash = commentStart(line) else {
                out.append(String(line))
                continue
            }
            let code = String(line[..<hash])
            let comment = String(line[line.index(after: hash)...])
            let trimmed = comment.trimmingWhitespace
            let lower = trimmed.lowercased()
            if isProvenance(lower) {
                removed += 1
                // A whole-line comment goes with its line; a trailing one leaves the code.
                if !code.trimmingWhitespace.isEmpty { out.append(trimTrailing(code)) }
                continue
            }
            if !lower.hasPrefix(fence), approvalWords.contains(where: { lower.contains($0) }) || mentionsProvenance(lower) {
                fenced += 1
                out.append(code + "# " + fence + trimmed)
                continue
            }
            out.append(String(line))
        }
        return Result(text: out.joined(separator: "\n"), removed: removed, fenced: fenced)
    }

    /// Whether a comment's lower-cased text is a `key: value` provenance or approval line.
    static func isProvenance(_ lower: String) -> Bool {
        let keyPart = lower.prefix { $0 != ":" }
        guard keyPart.count < lower.count else { return false }
        let key = String(keyPart).trimmingWhitespace.replacingOccurrences(of: " ", with: "-").replacingOccurrences(of: "_", with: "-")
        return provenanceKeys.contains(key)
    }

    /// Whether a comment's lower-cased text has a provenance key followed by `:` anywhere.
    static func mentionsProvenance(_ lower: String) -> Bool {
        provenanceKeys.contains { lower.contains($0 + ":") }
    }

    /// The index of the `#` that starts the line's comment (outside string literals and backticks).
    static func commentStart(_ line: Substring) -> Substring.Index? {
        var quote: Character?
        var escaped = false
        var i = line.startIndex
        while i < line.endIndex {
            let c = line[i]
            if let q = quote {
                if escaped {
                    escaped = false
                } else if c == "\\" && q != "`" {
                    escaped = true
                } else if c == q {
                    quote = nil
                }
            } else if c == "\"" || c == "'" || c == "`" {
                quote = c
            } else if c == "#" {
                return i
            }
            i = line.index(after: i)
        }
        return nil
    }

    private static func trimTrailing(_ s: String) -> String {
        var t = Substring(s)
        while let l = t.last, l == " " || l == "\t" { t = t.dropLast() }
        return String(t)
    }
}

extension String {
    fileprivate func replacingOccurrences(of a: String, with b: String) -> String {
        split(separator: Character(a), omittingEmptySubsequences: false).joined(separator: b)
    }
}
