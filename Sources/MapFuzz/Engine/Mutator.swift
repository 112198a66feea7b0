/// Makes new inputs from old ones: byte flips, interesting values, insertions, deletions, repeats
/// of a slice (long chains and deep nesting), splices with another input, and tokens taken from
/// the seeds (keywords, field names, punctuation) and from a list of values that have broken
/// parsers before (the edges of numbers and dates, bytes that are not UTF-8, line ends).
struct Mutator {
    /// The longest input made.
    let maxLength: Int
    /// Tokens of the seeds, and the built-in edge values.
    private let tokens: [[UInt8]]

    /// Edge values every target is tried with.
    static let edges: [[UInt8]] = {
        let texts = [
            "9223372036854775807", "-9223372036854775808", "9223372036854775808", "106751991167", "-1", "0", "-0",
            "1e400", "-1e400", "1e-400", "123456789012345678901234567890", "0.1", "1.7976931348623157e308", "NaN",
            "9999-12-31", "0001-01-01", "2024-02-30", "2024-03-05T10:22:11.123Z", "+99:99", "-23:59", "+14:00",
            "\"", "\\", "\\u0000", "\\ud800", "\\q", "\u{0}", "\r", "\r\n", "\n", "\t", " ", "`", "(", ")", "{", "}",
            "[", "]", ",", ":", "??", "?.", "=>", "->", "==", "not ", " and ", " or ", "-", "+", "%", "/", "*",
            "lookup(", "add_days(", "to_date(", "to_datetime(", "format_date(", "substring(", "round(", "split(",
            "matches(", "concat(", "coalesce(", "match ", "if ", " then ", " else ", "_ => ", "null", "true",
            "false", "é", "𝄞", "\u{FEFF}", "\u{200B}",
        ]
        var out = texts.map { Array($0.utf8) }
        // Bytes that are not UTF-8: a stray continuation, an overlong form, a surrogate, a cut sequence.
        out += [[0xFF], [0x80], [0xC0, 0x80], [0xED, 0xA0, 0x80], [0xE2, 0x82], [0xF4, 0x90, 0x80, 0x80]]
        return out
    }()

    /// A mutator over the tokens of `seeds`.
    init(seeds: [[UInt8]], maxLength: Int) {
        self.maxLength = maxLength
        var seen = Set<[UInt8]>()
        var found: [[UInt8]] = []
        for seed in seeds {
            var i = 0
            while i < seed.count && found.count < 1024 {
                var j = i
                if Mutator.isWord(seed[i]) {
                    while j < seed.count && Mutator.isWord(seed[j]) { j += 1 }
                } else {
                    j += 1
                }
                let token = Array(seed[i..<j])
                if seen.insert(token).inserted { found.append(token) }
                i = j
            }
        }
        tokens = found + Mutator.edges
    }

    private static func isWord(_ b: UInt8) -> Bool {
        (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == 0x5F || b >= 0x80
    }

    /// A new input from `input`, with one to eight changes; `other` is a second input to splice from.
    func mutate(_ input: [UInt8], other: [UInt8], random: inout SeededRandom) -> [UInt8] {
        var out = input
        let changes = 1 + random.below(8)
        for _ in 0..<changes {
            change(&out, other: other, random: &random)
            if out.count > maxLength { out.removeLast(out.count - maxLength) }
        }
        return out
    }

    private func change(_ out: inout [UInt8], other: [UInt8], random: inout SeededRandom) {
        let at = random.below(out.count + 1)
        switch random.below(11) {
        case 0:
            // Flip a bit.
            guard !out.isEmpty else { fallthrough }
            let i = random.below(out.count)
            out[i] ^= UInt8(1 << random.below(8))
        case 1:
            // A random byte, anywhere.
            guard !out.isEmpty else { fallthrough }
            out[random.below(out.count)] = UInt8(truncatingIfNeeded: random.next())
        case 2:
            // Insert a token.
            out.insert(contentsOf: tokens[random.below(tokens.count)], at: at)
        case 3:
            // Replace a run with a token.
            let end = min(out.count, at + random.below(16))
            out.replaceSubrange(at..<end, with: tokens[random.below(tokens.count)])
        case 4:
            // Delete a run.
            let end = min(out.count, at + 1 + random.below(32))
            if at < end { out.removeSubrange(at..<end) }
        case 5:
            // Repeat a short slice many times: long chains, deep nesting.
            guard !out.isEmpty else { fallthrough }
            let start = random.below(out.count)
            let length = 1 + random.below(min(8, out.count - start))
            let slice = Array(out[start..<(start + length)])
            let times = [2, 10, 100, 1000, 10_000, 50_000][random.below(6)]
            let room = max(0, maxLength - out.count) / length
            let n = min(times, room)
            if n > 0 { out.insert(contentsOf: [[UInt8]](repeating: slice, count: n).joined(), at: start) }
        case 6:
            // Splice: the start of this input and the end of the other.
            let cut = random.below(other.count + 1)
            out = Array(out[0..<at]) + other[cut...]
        case 7:
            // Duplicate a line (or any run) in place.
            let end = min(out.count, at + random.below(64))
            out.insert(contentsOf: out[at..<end], at: at)
        case 8:
            // Swap two bytes.
            guard out.count >= 2 else { fallthrough }
            out.swapAt(random.below(out.count), random.below(out.count))
        case 9:
            // Replace a digit run with an edge number.
            if let i = out.indices.dropFirst(at).first(where: { out[$0] >= 0x30 && out[$0] <= 0x39 }) {
                var j = i
                while j < out.count && out[j] >= 0x30 && out[j] <= 0x39 { j += 1 }
                out.replaceSubrange(i..<j, with: Mutator.edges[random.below(12)])
            } else {
                out.insert(contentsOf: Mutator.edges[random.below(Mutator.edges.count)], at: at)
            }
        default:
            // Insert an edge value.
            out.insert(contentsOf: Mutator.edges[random.below(Mutator.edges.count)], at: at)
        }
    }
}
