/// How much of one sentence the offline reader reads. The clause readers try a sentence's comma pieces in
/// many groupings, so their work grows faster than the sentence; a sentence past these bounds is not read at
/// all but listed as not implemented, with the reason, so that no prose can make generation run for minutes
/// (a 4 KB run of commas took 28 s before the bound). The bounds sit far above real sentences: the longest
/// in the evaluation suite and the samples has about 1,000 characters and 22 commas.
enum SentenceBound {
    /// The longest sentence read, in characters.
    static let maxCharacters = 3_000
    /// The most comma, semicolon and line pieces a sentence read may have.
    static let maxPieces = 60

    /// The most sentences read from one description; the rest are listed as not read. (The longest description in the
    /// samples and the evaluation suite has 35 sentences and lines.)
    static let maxSentences = 500

    /// Why the sentences past the first ``maxSentences`` of a description of `count` are not read.
    static func pastLast(of count: Int) -> String {
        "the description has \(count) sentences; the offline reader reads the first \(maxSentences): split it"
    }

    /// Why `sentence` is too long to read, or nil when it is read.
    static func excess(_ sentence: String) -> String? {
        let characters = sentence.count
        if characters > maxCharacters {
            return "the sentence is too long to read (\(characters) characters; the offline reader reads up to \(maxCharacters)): split it"
        }
        let pieces = 1 + sentence.reduce(0) { $0 + ($1 == "," || $1 == ";" || $1 == "\n" ? 1 : 0) }
        if pieces > maxPieces {
            return
                "the sentence has too many pieces to read (\(pieces) between commas, semicolons and line breaks; the offline reader reads up to \(maxPieces)): split it"
        }
        return nil
    }
}
