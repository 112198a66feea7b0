import Foundation

/// The comment lines at the top of a generated mapping: which generator, prompt and rounds made it.
public struct Provenance: Sendable, Hashable {
    /// `openai/gpt-4o-mini`, or `offline`.
    public var generator: String
    /// SHA-256 of the opening prompt (system and task), or of the prose for the offline generator.
    public var promptHash: String
    /// Repair rounds used.
    public var rounds: Int
    /// When the mapping was generated.
    public var generatedAt: Date

    /// Creates a provenance record.
    public init(generator: String, promptHash: String, rounds: Int, generatedAt: Date) {
        self.generator = generator
        self.promptHash = promptHash
        self.rounds = rounds
        self.generatedAt = generatedAt
    }

    /// Prefixes of the lines this writes, so old provenance can be replaced.
    static let prefixes = ["generated-by:", "prompt-hash:", "rounds:", "generated-at:"]

    /// The comment lines, each ending in a newline.
    public var lines: String {
        "# generated-by: mapc gen (\(generator))\n# prompt-hash: sha256:\(promptHash)\n# rounds: \(rounds)\n# generated-at: \(Provenance.iso8601(generatedAt))\n"
    }

    /// `2024-03-05T10:22:11Z`.
    public static func iso8601(_ date: Date) -> String {
        var t = time_t(date.timeIntervalSince1970.rounded(.down))
        var tm = tm()
        gmtime_r(&t, &tm)
        func pad(_ v: Int32, _ w: Int) -> String {
            let s = String(v)
            return String(repeating: "0", count: max(0, w - s.count)) + s
        }
        return "\(pad(tm.tm_year + 1900, 4))-\(pad(tm.tm_mon + 1, 2))-\(pad(tm.tm_mday, 2))T"
            + "\(pad(tm.tm_hour, 2)):\(pad(tm.tm_min, 2)):\(pad(tm.tm_sec, 2))Z"
    }

    /// Whether a comment's text (after `#`) is a provenance line.
    static func isProvenance(_ commentText: String) -> Bool {
        let t = commentText.trimmingWhitespace
        return prefixes.contains { t.hasPrefix($0) }
    }
}
