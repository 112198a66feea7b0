/// How a platform counts the length of a text value against a field's `maxLength`.
///
/// For any text the four counts are ordered: characters ≤ code points ≤ UTF-16 code units ≤ UTF-8
/// bytes (a character is at least one code point, a code point one or two UTF-16 units, a UTF-16
/// unit at least one byte). So a text that is too long in characters is too long in every unit,
/// and a text that fits in bytes fits in every unit.
public enum LengthUnit: String, Sendable, Hashable, Codable, CaseIterable {
    /// Characters as a reader sees them: extended grapheme clusters (Swift's `Character`).
    case characters
    /// Unicode scalar values (code points).
    case scalars
    /// UTF-16 code units: a code point outside the Basic Multilingual Plane (an emoji) counts two.
    case utf16
    /// UTF-8 bytes.
    case utf8

    /// The unit's name in messages, plural: "UTF-16 code units".
    public var noun: String {
        switch self {
        case .characters: "characters"
        case .scalars: "code points"
        case .utf16: "UTF-16 code units"
        case .utf8: "bytes (UTF-8)"
        }
    }

    /// The length of `s` in this unit.
    public func count(_ s: String) -> Int {
        switch self {
        case .characters: s.count
        case .scalars: s.unicodeScalars.count
        case .utf16: s.utf16.count
        case .utf8: s.utf8.count
        }
    }

    /// The length of one character in this unit.
    @inline(__always) func count(_ c: Character) -> Int {
        switch self {
        case .characters: 1
        case .scalars: c.unicodeScalars.count
        case .utf16: c.utf16.count
        case .utf8: c.utf8.count
        }
    }

    /// The longest prefix of `s` that ends between two characters (never inside a grapheme
    /// cluster, so never inside a UTF-16 surrogate pair or a UTF-8 sequence) and is at most `max`
    /// long in this unit. Empty when `max` is 0 or less, or when the first character alone is longer.
    public func prefix(of s: String, fitting max: Int) -> Substring {
        guard max > 0 else { return s[s.startIndex..<s.startIndex] }
        // ASCII without CR: every byte is a character and a unit of each kind.
        var copy = s
        let asciiEnd: Int?? = copy.withUTF8 { b -> Int?? in
            guard let p = b.baseAddress, ByteScan.isASCII(p, count: b.count), !b.contains(0x0D) else { return .none }
            return .some(b.count <= max ? nil : max)
        }
        if let asciiEnd {
            guard let end = asciiEnd else { return s[...] }
            return s[s.startIndex..<s.utf8.index(s.startIndex, offsetBy: end)]
        }
        var used = 0
        var end = s.startIndex
        for c in s {
            let n = count(c)
            if used + n > max { break }
            used += n
            end = s.index(after: end)
        }
        return s[s.startIndex..<end]
    }
}
