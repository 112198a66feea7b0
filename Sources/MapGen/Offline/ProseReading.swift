import MapDSL

/// What one prose sentence says about fields: which destination and source fields it names, its
/// quoted literals, and the order they come in.
struct SentenceReading {
    /// A token of the sentence: a name-like word or a quoted literal.
    enum Token: Hashable {
        case word(String)
        case quoted(String)
    }

    /// The sentence's index (0-based).
    var index: Int
    /// The sentence text.
    var text: String
    /// Tokens in order.
    var tokens: [Token]
    /// Writable destination fields named, in order (with token positions).
    var destinations: [(field: Field, position: Int)]
    /// Source fields named, in order (with token positions).
    var sources: [(field: Field, position: Int)]

    /// Lower-cased sentence, for keyword tests.
    var lowered: String { text.lowercased() }

    /// Quoted literals in order.
    var quoted: [String] {
        tokens.compactMap { if case .quoted(let q) = $0 { q } else { nil } }
    }

    init(index: Int, text: String, source: Schema, destination: Schema) {
        self.index = index
        self.text = text
        self.tokens = SentenceReading.tokenize(text)
        var dests: [(Field, Int)] = []
        var srcs: [(Field, Int)] = []
        for (i, t) in tokens.enumerated() {
            guard case .word(let w) = t else { continue }
            let d = destination.field(w).flatMap { $0.readOnly ? nil : $0 }
            let s = source.field(w)
            switch (d, s) {
            case (let d?, let s?):
                // The same spelling on both sides: the first name of a sentence is usually the target.
                if dests.isEmpty && srcs.isEmpty { dests.append((d, i)) } else { srcs.append((s, i)) }
            case (let d?, nil): dests.append((d, i))
            case (nil, let s?): srcs.append((s, i))
            case (nil, nil): break
            }
        }
        destinations = dests
        sources = srcs
    }

    /// Words (letters, digits, `_`, inner dots) and double-quoted literals, in order.
    static func tokenize(_ text: String) -> [Token] {
        var out: [Token] = []
        var current = ""
        var quote: String?
        func flush() {
            while current.hasSuffix(".") { current.removeLast() }
            if !current.isEmpty { out.append(.word(current)) }
            current = ""
        }
        for c in text {
            if var q = quote {
                if c == "\"" || c == "”" {
                    out.append(.quoted(q))
                    quote = nil
                } else {
                    q.append(c)
                    quote = q
                }
                continue
            }
            if c == "\"" || c == "“" {
                flush()
                quote = ""
            } else if c == ";" {
                flush()
                out.append(.word(";"))
            } else if c.isLetter || c.isNumber || c == "_" || (c == "." && !current.isEmpty) {
                current.append(c)
            } else {
                flush()
            }
        }
        flush()
        return out
    }

    /// Picklist translations the sentence states: `A, B and C become "V"`, `"V" when field is A`,
    /// a value for blank input (`"V" when field is empty`), and a default (`anything else becomes "V"`).
    func valueMap(sourceValues: Set<String>, destinationValues: Set<String>) -> (map: [(String, String)], blank: String?, fallback: String?)
    {
        var map: [(String, String)] = []
        var blank: String?
        var fallback: String?
        var pending: [String] = []
        var lastQuoted: String?
        var sawWhen = false
        let defaultWords: Set<String> = [
            "else", "everything", "anything", "unrecognised", "unrecognized", "recognise", "recognize", "unknown",
        ]
        var defaultPositions: [Int] = []
        var quotedPositions: [(Int, String)] = []
        for (i, t) in tokens.enumerated() {
            switch t {
            case .word(let w):
                let lw = w.lowercased()
                if defaultWords.contains(lw) { defaultPositions.append(i) }
                if lw == "when" || lw == "if" { sawWhen = true }
                if lw == ";" || lw == "otherwise" {
                    sawWhen = false
                    lastQuoted = nil
                }
                if sourceValues.contains(w) {
                    if sawWhen, let q = lastQuoted { map.append((w, q)) } else { pending.append(w) }
                } else if ["empty", "blank", "missing"].contains(lw), sawWhen, let q = lastQuoted, blank == nil {
                    blank = q
                }
            case .quoted(let q):
                guard destinationValues.contains(q) else { continue }
                quotedPositions.append((i, q))
                for p in pending { map.append((p, q)) }
                pending = []
                lastQuoted = q
                sawWhen = false
            }
        }
        if let d = defaultPositions.last {
            fallback = quotedPositions.min { abs($0.0 - d) < abs($1.0 - d) }.map(\.1)
        }
        return (map, blank, fallback)
    }
}
