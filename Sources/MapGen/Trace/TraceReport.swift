import MapDSL

/// Which prose sentences each rule of a mapping cites (`# [S3]`), and what is left uncovered.
public struct TraceReport: Sendable, Hashable {
    /// A rule of the mapping: an assignment (by destination field), the key, or a skip rule.
    public struct Rule: Sendable, Hashable {
        /// `Email`, `key`, or `skip when blank(email)`.
        public var label: String
        /// 1-based sentence numbers cited by the rule's comments.
        public var sentences: [Int]
    }

    /// Every rule with its citations, in source order.
    public var rules: [Rule]
    /// Number of sentences in the prose.
    public var sentenceCount: Int

    /// A sentence the generator could not (fully) read, with why.
    public struct Unread: Sendable, Hashable {
        /// 1-based sentence number.
        public var sentence: Int
        /// What was not read.
        public var reasons: [String]

        /// Creates an entry.
        public init(sentence: Int, reasons: [String]) {
            self.sentence = sentence
            self.reasons = reasons
        }
    }

    /// Sentences the generator says it did not implement (the offline generator fills this).
    public var notImplemented: [Unread] = []
    /// Destination fields whose rules are flagged for review (a `REVIEW` note or low confidence).
    public var flagged: [String] = []

    /// 1-based numbers of sentences no rule cites.
    public var uncitedSentences: [Int] {
        let cited = Set(rules.flatMap(\.sentences))
        return (1...max(1, sentenceCount)).filter { !cited.contains($0) && $0 <= sentenceCount }
    }

    /// Assignments and skip rules that cite no sentence.
    public var rulesWithoutCitation: [String] {
        rules.filter { $0.sentences.isEmpty && $0.label != "key" }.map(\.label)
    }

    /// Builds the report for `file` against a prose of `sentenceCount` sentences.
    public static func build(_ file: MappingFile, sentenceCount: Int) -> TraceReport {
        var rules: [Rule] = []
        if let key = file.key {
            rules.append(Rule(label: "key", sentences: citations(key.trivia)))
        }
        for skip in file.skips {
            rules.append(Rule(label: "skip when " + Formatter.expression(skip.condition), sentences: citations(skip.trivia)))
        }
        for a in file.assignments {
            var cited = citations(a.trivia)
            collectArmCitations(a.value, into: &cited)
            rules.append(Rule(label: a.target.text, sentences: Array(Set(cited)).sorted()))
        }
        let valid = rules.map { r in Rule(label: r.label, sentences: r.sentences.filter { $0 >= 1 && $0 <= sentenceCount }) }
        return TraceReport(rules: valid, sentenceCount: sentenceCount)
    }

    private static func collectArmCitations(_ e: Expr, into out: inout [Int]) {
        switch e.kind {
        case .match(_, let arms):
            for arm in arms {
                out += citations(arm.trivia)
                collectArmCitations(arm.value, into: &out)
            }
        case .ifThenElse(_, let a, let b):
            collectArmCitations(a, into: &out)
            collectArmCitations(b, into: &out)
        default:
            break
        }
    }

    /// Sentence numbers in comments: `[S3]`, `[S3, S5]`, `[S3][S4]`, `S3`.
    static func citations(_ trivia: Trivia) -> [Int] {
        let texts = trivia.leading.map(\.text) + (trivia.trailing.map { [$0.text] } ?? [])
        return texts.flatMap(numbers)
    }

    /// The numbers after each `S` that follows `[`, `,`, white space or the start and precedes a digit.
    static func numbers(in text: String) -> [Int] {
        var out: [Int] = []
        let chars = Array(text)
        var i = 0
        while i < chars.count {
            if chars[i] == "S", i + 1 < chars.count, chars[i + 1].isASCII, chars[i + 1].isNumber,
                i == 0 || chars[i - 1] == "[" || chars[i - 1] == "," || chars[i - 1] == " "
            {
                var j = i + 1
                var n = 0
                while j < chars.count, chars[j].isASCII, let d = chars[j].wholeNumberValue {
                    n = n * 10 + d
                    j += 1
                }
                out.append(n)
                i = j
            } else {
                i += 1
            }
        }
        return out
    }

    /// A short human summary: which sentences produced no rule and which rules cite no sentence.
    public var summary: String {
        var lines: [String] = []
        let uncited = uncitedSentences
        if uncited.isEmpty {
            lines.append("trace: every sentence (\(sentenceCount)) is implemented by at least one rule")
        } else {
            lines.append("trace: sentences with no rule: " + uncited.map { "S\($0)" }.joined(separator: ", "))
        }
        for u in notImplemented {
            lines.append("trace: not implemented: S\(u.sentence) (\(u.reasons.joined(separator: "; ")))")
        }
        if !flagged.isEmpty {
            lines.append("trace: rules flagged for review: " + flagged.joined(separator: ", "))
        }
        let bare = rulesWithoutCitation
        if !bare.isEmpty {
            lines.append("trace: rules citing no sentence: " + bare.joined(separator: ", "))
        }
        return lines.joined(separator: "\n")
    }
}
