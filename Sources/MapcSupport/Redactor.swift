import Foundation

/// Removes known secrets from text in every encoding a secret travels in, before the text is
/// printed, logged or stored.
///
/// A platform (or an LLM endpoint, or a hook) that echoes a credential back rarely echoes it raw:
/// JSON escapes `/` as `\/` or any character as `\u002f`, a URL percent-encodes `/+=` (`%2F` or
/// `%2f`), and an `Authorization: Basic` header carries it base64-encoded together with a user
/// name. Each character of a secret is matched in any of its forms (raw, `%XX` in either case, a
/// JSON `\uXXXX` escape in either case or a JSON short escape), mixed freely; the base64 forms of
/// the secret at each of the three alignments it can have inside a longer base64 text are matched
/// the same way, and the whole base64 run around such a match is replaced.
///
/// Used by the adapters (every platform reply is scrubbed as it arrives), the observability alerts,
/// the LLM client and everything that prints what those return.
public struct Redactor: Sendable {
    /// What replaces a secret.
    public let replacement: String
    /// Patterns to find: each a sequence of Unicode scalars, and whether a match lies inside base64.
    private let patterns: [(scalars: [Unit], base64: Bool)]
    /// Bytes that can start a match of some pattern.
    private let starts: [Bool]
    /// Per pattern: the first byte of its first character raw, where its second character starts
    /// then, and that character's first raw byte (nil when the pattern has one character).
    private let leads: [(first: UInt8, next: Int, second: UInt8?)]

    /// Secrets shorter than this are not looked for (too short to tell from ordinary text).
    public static let minimumLength = 4
    /// Secrets shorter than this are not looked for inside base64 (a fragment of a few base64
    /// characters would match ordinary text).
    public static let minimumBase64Length = 8

    /// A redactor for `secrets` (empty and too short ones are ignored).
    public init(secrets: [String], replacement: String = "‹redacted›") {
        self.replacement = replacement
        var patterns: [(scalars: [Unit], base64: Bool)] = []
        var seen = Set<String>()
        func add(_ text: String, base64: Bool) {
            guard !text.isEmpty, seen.insert(text).inserted else { return }
            patterns.append((text.unicodeScalars.map(Unit.init), base64))
        }
        for secret in secrets where secret.count >= Self.minimumLength {
            add(secret, base64: false)
            guard secret.utf8.count >= Self.minimumBase64Length else { continue }
            for fragment in Self.base64Fragments(of: Array(secret.utf8)) {
                add(fragment, base64: true)
                add(fragment.replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_"), base64: true)
            }
        }
        // Longest first: a secret containing another is replaced whole.
        patterns.sort { $0.scalars.count > $1.scalars.count }
        self.patterns = patterns
        var starts = [Bool](repeating: false, count: 256)
        for pattern in patterns {
            guard let first = pattern.scalars.first else { continue }
            starts[Int(first.utf8[0])] = true
            if first.scalar == " " { starts[Int(UInt8(ascii: "+"))] = true }
        }
        starts[Int(UInt8(ascii: "%"))] = !patterns.isEmpty
        starts[Int(UInt8(ascii: "\\"))] = !patterns.isEmpty
        self.starts = starts
        leads = patterns.map { pattern in
            (pattern.scalars.first?.utf8[0] ?? 0, pattern.scalars.first?.utf8.count ?? 0, pattern.scalars.dropFirst().first?.utf8[0])
        }
    }

    /// Whether there is nothing to look for.
    public var isEmpty: Bool { patterns.isEmpty }

    /// The base64 text that every base64 encoding of a longer byte string containing `secret`
    /// contains, for each of the three offsets (modulo 3) the secret can start at: the characters
    /// that depend on the secret's bytes alone.
    static func base64Fragments(of secret: [UInt8]) -> [String] {
        (0..<3).compactMap { offset in
            let encoded = [Character]((Data(repeating: 0, count: offset) + Data(secret)).base64EncodedString())
            // Characters before the secret's first whole 6-bit group depend on the bytes before it;
            // those after the last whole 3-byte group on the bytes after it.
            let skip = [0, 2, 3][offset]
            let end = 4 * ((offset + secret.count) / 3)
            guard end - skip >= 6 else { return nil }
            return String(encoded[skip..<end])
        }
    }

    /// `text` with every secret, in any of its encodings, replaced.
    public func redact(_ text: String) -> String {
        guard !patterns.isEmpty else { return text }
        var utf8 = Array(text.utf8)
        guard redact(&utf8) else { return text }
        return String(decoding: utf8, as: UTF8.self)
    }

    /// `data` with every secret, in any of its encodings, replaced (the same value, uncopied, when
    /// it holds none).
    public func redact(_ data: Data) -> Data {
        guard !patterns.isEmpty else { return data }
        let found = data.withUnsafeBytes { raw in firstMatch(in: raw.bindMemory(to: UInt8.self), from: 0) != nil }
        guard found else { return data }
        var bytes = Array(data)
        redact(&bytes)
        return Data(bytes)
    }

    /// Replaces every secret in `bytes` (UTF-8 text); true when something was replaced.
    @discardableResult
    public func redact(_ bytes: inout [UInt8]) -> Bool {
        guard !patterns.isEmpty, !bytes.isEmpty else { return false }
        let marker = Array(replacement.utf8)
        let replaced: [UInt8]? = bytes.withUnsafeBufferPointer { bytes in
            var out: [UInt8] = []
            var copied = 0
            var i = 0
            while let (start, end, base64) = firstMatch(in: bytes, from: i) {
                var from = start
                var stop = end
                if base64 {
                    while from > copied, Self.isBase64(bytes[from - 1]) { from -= 1 }
                    while stop < bytes.count, Self.isBase64(bytes[stop]) { stop += 1 }
                }
                if out.isEmpty { out.reserveCapacity(bytes.count) }
                out.append(contentsOf: bytes[copied..<from])
                out.append(contentsOf: marker)
                copied = stop
                i = stop
            }
            guard copied > 0 else { return nil }
            out.append(contentsOf: bytes[copied...])
            return out
        }
        guard let replaced else { return false }
        bytes = replaced
        return true
    }

    /// The first match at or after `from`: where it starts, ends, and whether it lies in base64.
    private func firstMatch(in bytes: UnsafeBufferPointer<UInt8>, from: Int) -> (Int, Int, Bool)? {
        var i = from
        while i < bytes.count {
            let b = bytes[i]
            if starts[Int(b)] {
                // Only `%`, `\` and `+` begin an encoded form; any other byte must be the first
                // character raw, and the byte after it must begin the second character in some
                // form. Most bytes of a long reply fail these checks at once.
                let encoded = b == UInt8(ascii: "%") || b == UInt8(ascii: "\\") || b == UInt8(ascii: "+")
                for (k, pattern) in patterns.enumerated() {
                    if !encoded {
                        let lead = leads[k]
                        guard lead.first == b else { continue }
                        if let second = lead.second {
                            guard i + lead.next < bytes.count else { continue }
                            let c = bytes[i + lead.next]
                            guard c == second || c == UInt8(ascii: "%") || c == UInt8(ascii: "\\") || c == UInt8(ascii: "+") else {
                                continue
                            }
                        }
                    }
                    if let end = Self.match(pattern.scalars, in: bytes, at: i) { return (i, end, pattern.base64) }
                }
            }
            i += 1
        }
        return nil
    }

    private static func isBase64(_ b: UInt8) -> Bool {
        switch b {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
            UInt8(ascii: "+"), UInt8(ascii: "/"), UInt8(ascii: "="), UInt8(ascii: "-"), UInt8(ascii: "_"):
            return true
        default:
            return false
        }
    }

    /// Matches `scalars` at `i`, each scalar in any of its forms; returns the longest end.
    /// Simulates the alternatives as a set of positions, so a secret like `%%%%` costs no more
    /// than any other.
    static func match(_ scalars: [Unit], in bytes: UnsafeBufferPointer<UInt8>, at i: Int) -> Int? {
        var positions = [i]
        var next: [Int] = []
        for scalar in scalars {
            next.removeAll(keepingCapacity: true)
            for p in positions {
                forms(of: scalar, in: bytes, at: p) { end in
                    if !next.contains(end) { next.append(end) }
                }
            }
            guard !next.isEmpty else { return nil }
            swap(&positions, &next)
        }
        return positions.max()
    }

    /// Calls `found` with the end of each form of `scalar` present at `p`: raw UTF-8, `%XX` per
    /// byte (and `+` for a space), a JSON `\uXXXX` escape (a surrogate pair beyond the BMP) or a
    /// JSON short escape.
    private static func forms(of unit: Unit, in bytes: UnsafeBufferPointer<UInt8>, at p: Int, _ found: (Int) -> Void) {
        let scalar = unit.scalar
        let utf8 = unit.utf8
        // Raw.
        if p + utf8.count <= bytes.count, bytes[p..<(p + utf8.count)].elementsEqual(utf8) { found(p + utf8.count) }
        guard p < bytes.count else { return }
        if bytes[p] == UInt8(ascii: "%") {
            var q = p
            var ok = true
            for b in utf8 {
                guard q < bytes.count, bytes[q] == UInt8(ascii: "%"), let v = hexByte(bytes, q + 1), v == b else {
                    ok = false
                    break
                }
                q += 3
            }
            if ok { found(q) }
        }
        if scalar == " " && bytes[p] == UInt8(ascii: "+") { found(p + 1) }
        if bytes[p] == UInt8(ascii: "\\"), p + 1 < bytes.count {
            switch bytes[p + 1] {
            case UInt8(ascii: "u"):
                var q = p
                for code in unit.utf16 {
                    guard q + 6 <= bytes.count, bytes[q] == UInt8(ascii: "\\"), bytes[q + 1] == UInt8(ascii: "u"),
                        let hi = hexByte(bytes, q + 2), let lo = hexByte(bytes, q + 4), UInt16(hi) << 8 | UInt16(lo) == code
                    else { return }
                    q += 6
                }
                found(q)
            case UInt8(ascii: "/") where scalar == "/", UInt8(ascii: "\\") where scalar == "\\", UInt8(ascii: "\"") where scalar == "\"":
                found(p + 2)
            default:
                break
            }
        }
    }

    /// The byte written as two hex digits (either case) at `q`, or nil.
    private static func hexByte(_ bytes: UnsafeBufferPointer<UInt8>, _ q: Int) -> UInt8? {
        guard q + 1 < bytes.count, let hi = hexDigit(bytes[q]), let lo = hexDigit(bytes[q + 1]) else { return nil }
        return hi << 4 | lo
    }

    private static func hexDigit(_ b: UInt8) -> UInt8? {
        switch b {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return b - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return b - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return b - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}

/// One character of a pattern, with its encodings worked out once.
struct Unit: Sendable {
    let scalar: Unicode.Scalar
    let utf8: [UInt8]
    let utf16: [UInt16]

    init(_ scalar: Unicode.Scalar) {
        self.scalar = scalar
        utf8 = Array(String(scalar).utf8)
        utf16 = Array(String(scalar).utf16)
    }
}
