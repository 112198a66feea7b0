import Foundation

/// Text helpers used by the standard library, written for speed on ASCII and correctness on Unicode.
enum Text {
    @inline(__always) static func isSpace(_ b: UInt8) -> Bool {
        b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D || b == 0x0B || b == 0x0C
    }

    /// Removes surrounding whitespace (ASCII fast path, Unicode whitespace otherwise).
    static func trim(_ s: String) -> String {
        let u = s.utf8
        guard let first = u.first, let last = u.last else { return s }
        if !isSpace(first) && !isSpace(last) && first < 0x80 && last < 0x80 { return s }
        // Strip ASCII whitespace in place; Foundation only when an end is a scalar that Foundation
        // might count as whitespace.
        var copy = s
        let trimmed: String? = copy.withUTF8 { b in
            var lo = 0
            var hi = b.count
            while lo < hi && isSpace(b[lo]) { lo += 1 }
            while hi > lo && isSpace(b[hi - 1]) { hi -= 1 }
            if lo < hi {
                if b[lo] >= 0x80 && mayBeUnicodeSpace(scalar(b, at: lo)) { return nil }
                if b[hi - 1] >= 0x80 && mayBeUnicodeSpace(scalar(b, endingAt: hi)) { return nil }
            }
            if lo == 0 && hi == b.count { return s }
            return String(decoding: UnsafeBufferPointer(rebasing: b[lo..<hi]), as: UTF8.self)
        }
        return trimmed ?? s.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Whether a non-ASCII scalar may be whitespace or a newline to Foundation: a superset of
    /// `CharacterSet.whitespacesAndNewlines` outside ASCII (those may take the slow path; every
    /// other scalar is certainly not whitespace).
    @inline(__always) static func mayBeUnicodeSpace(_ v: UInt32) -> Bool {
        switch v {
        case 0x85, 0xA0, 0x1680, 0x180E, 0x2000...0x200B, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000, 0xFEFF: true
        default: false
        }
    }

    /// The scalar whose first byte is `b[i]` (`b` is valid UTF-8).
    @inline(__always) static func scalar(_ b: UnsafeBufferPointer<UInt8>, at i: Int) -> UInt32 {
        let lead = UInt32(b[i])
        if lead < 0x80 { return lead }
        if lead < 0xE0 { return (lead & 0x1F) << 6 | UInt32(b[i + 1] & 0x3F) }
        if lead < 0xF0 { return (lead & 0x0F) << 12 | UInt32(b[i + 1] & 0x3F) << 6 | UInt32(b[i + 2] & 0x3F) }
        return (lead & 0x07) << 18 | UInt32(b[i + 1] & 0x3F) << 12 | UInt32(b[i + 2] & 0x3F) << 6 | UInt32(b[i + 3] & 0x3F)
    }

    /// The scalar whose last byte is `b[end - 1]`.
    @inline(__always) static func scalar(_ b: UnsafeBufferPointer<UInt8>, endingAt end: Int) -> UInt32 {
        var i = end - 1
        while i > 0 && b[i] & 0xC0 == 0x80 { i -= 1 }
        return scalar(b, at: i)
    }

    /// Whether a value is null or text made only of whitespace.
    static func isBlank(_ v: Value) -> Bool {
        switch v {
        case .null: return true
        case .string(let s):
            var copy = s
            let blank: Bool? = copy.withUTF8 { b in
                var i = 0
                while i < b.count && isSpace(b[i]) { i += 1 }
                if i == b.count { return true }
                if b[i] < 0x80 || !mayBeUnicodeSpace(scalar(b, at: i)) { return false }
                return nil
            }
            return blank ?? s.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty
        default: return false
        }
    }

    /// Lower case; ASCII text without Unicode case tables.
    static func lower(_ s: String) -> String {
        mapASCII(s, from: 0x41, through: 0x5A) ?? s.lowercased()
    }

    /// Upper case; ASCII text without Unicode case tables.
    static func upper(_ s: String) -> String {
        mapASCII(s, from: 0x61, through: 0x7A) ?? s.uppercased()
    }

    /// `s` with the ASCII letters in `from...through` switched to the other case; `s` itself when
    /// there are none; nil when `s` is not ASCII.
    private static func mapASCII(_ s: String, from: UInt8, through: UInt8) -> String? {
        var copy = s
        return copy.withUTF8 { b -> String? in
            guard let p = b.baseAddress, ByteScan.isASCII(p, count: b.count) else { return nil }
            guard let first = b.firstIndex(where: { $0 >= from && $0 <= through }) else { return s }
            return String(unsafeUninitializedCapacity: b.count) { out in
                for i in 0..<first { out[i] = b[i] }
                for i in first..<b.count {
                    let c = b[i]
                    out[i] = c >= from && c <= through ? c ^ 0x20 : c
                }
                return b.count
            }
        }
    }

    /// Title case: letters after a non-letter (other than an apostrophe within a word) are upper case.
    static func titleCase(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.utf8.count)
        var startOfWord = true
        var wordLength = 0
        for ch in s {
            if ch.isLetter {
                out += startOfWord ? ch.uppercased() : ch.lowercased()
                startOfWord = false
                wordLength += 1
            } else if ch == "'" || ch == "’" {
                // O'Brien, D'Arcy: a capital after a one-letter prefix; don't stays lower case.
                out.append(ch)
                startOfWord = wordLength == 1
            } else if ch.isNumber {
                out.append(ch)
                startOfWord = false
                wordLength += 1
            } else {
                out.append(ch)
                startOfWord = true
                wordLength = 0
            }
        }
        return out
    }

    /// Characters from `start`, at most `length` of them; positions are clamped.
    static func substring(_ s: String, _ start: Int, _ length: Int?) -> String {
        let begin = max(0, start)
        if let length, length <= 0 { return "" }
        // ASCII fast path: bytes are characters.
        var copy = s
        let ascii: String? = copy.withUTF8 { b in
            guard let p = b.baseAddress, ByteScan.isASCII(p, count: b.count) else { return nil }
            guard begin < b.count else { return "" }
            let end = length.map { $0 >= b.count - begin ? b.count : begin + $0 } ?? b.count
            if begin == 0 && end == b.count { return s }
            return String(decoding: UnsafeBufferPointer(start: p + begin, count: end - begin), as: UTF8.self)
        }
        if let ascii { return ascii }
        if s.isEmpty { return "" }
        let chars = Array(s)
        guard begin < chars.count else { return "" }
        let end = length.map { $0 >= chars.count - begin ? chars.count : begin + $0 } ?? chars.count
        return String(chars[begin..<end])
    }

    /// At most `max` characters, the cut marked by `suffix`.
    static func truncate(_ s: String, _ max: Int, _ suffix: String) -> String {
        guard max > 0 else { return "" }
        guard s.count > max else { return s }
        let keep = Swift.max(0, max - suffix.count)
        return substring(s, 0, keep) + (suffix.count <= max ? suffix : "")
    }
}

/// Conversions between value types, shared by the standard library and the record decoder.
enum Convert {
    /// An integer from a number, a boolean or text (`" 1,200 "`); nil when not integral text.
    static func int(_ v: Value) -> Int? {
        switch v {
        case .int(let i): return i
        case .decimal(let d): return d.isFinite && abs(d) < 9.2e18 ? Int(d) : nil
        case .bool(let b): return b ? 1 : 0
        case .string(let s): return parseInt(s)
        default: return nil
        }
    }

    static func parseInt(_ s: String) -> Int? {
        var t = Text.trim(s)
        if let i = shortInt(t) { return i }
        // Every form below (integer, grouped, decimal or hexadecimal float) needs an ASCII digit.
        if !t.utf8.contains(where: { $0 >= 0x30 && $0 <= 0x39 }) { return nil }
        if let i = Int(t) { return i }
        if t.utf8.contains(UInt8(ascii: ",")) {
            // Thousands separators only in groups of three.
            let groups = t.split(separator: ",", omittingEmptySubsequences: false)
            guard groups.dropFirst().allSatisfy({ $0.count == 3 }) else { return nil }
            t = groups.joined()
            if let i = Int(t) { return i }
        }
        if let d = Double(t), d.isFinite, d.rounded() == d, abs(d) < 9.2e18 { return Int(d) }
        return nil
    }

    /// `Int(s)` for the common case of an optional sign and at most 18 digits; nil for anything else.
    @inline(__always) static func shortInt(_ s: String) -> Int? {
        var copy = s
        return copy.withUTF8 { b -> Int? in
            var i = 0
            var negative = false
            if b.count > 0 && (b[0] == UInt8(ascii: "-") || b[0] == UInt8(ascii: "+")) {
                negative = b[0] == UInt8(ascii: "-")
                i = 1
            }
            guard b.count > i && b.count - i <= 18 else { return nil }
            var v = 0
            while i < b.count {
                let d = b[i] &- 0x30
                guard d < 10 else { return nil }
                v = v * 10 + Int(d)
                i += 1
            }
            return negative ? -v : v
        }
    }

    /// A decimal from a number or text; nil otherwise.
    static func decimal(_ v: Value) -> Double? {
        switch v {
        case .int(let i): return Double(i)
        case .decimal(let d): return d
        case .string(let s):
            var t = Text.trim(s)
            if t.contains(",") {
                let parts = t.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
                let groups = parts[0].split(separator: ",", omittingEmptySubsequences: false)
                guard groups.dropFirst().allSatisfy({ $0.count == 3 }) else { return nil }
                t = groups.joined() + (parts.count > 1 ? "." + parts[1] : "")
            }
            guard let d = Double(t), d.isFinite else { return nil }
            return d
        default: return nil
        }
    }

    /// A boolean from true/false words, 0/1 or a boolean.
    static func bool(_ v: Value) -> Bool? {
        switch v {
        case .bool(let b): return b
        case .int(let i): return i == 0 ? false : i == 1 ? true : nil
        case .string(let s):
            switch Text.trim(s).lowercased() {
            case "true", "yes", "y", "1", "on", "t": return true
            case "false", "no", "n", "0", "off", "f": return false
            default: return nil
            }
        default: return nil
        }
    }

    /// A day number from a date, a date-time or ISO text.
    static func date(_ v: Value) -> Int? {
        switch v {
        case .date(let d): return d
        case .datetime(let t): return Dates.day(ofMillis: t)
        case .string(let s): return Dates.parseISODate(Substring(Text.trim(s)))
        default: return nil
        }
    }

    /// Milliseconds since the epoch from a date, a date-time or ISO text.
    static func datetime(_ v: Value) -> Int64? {
        switch v {
        case .date(let d): return Dates.millis(ofDay: d)
        case .datetime(let t): return t
        case .string(let s): return Dates.parseISODateTime(Substring(Text.trim(s)))
        default: return nil
        }
    }

    /// The day number of a date or date-time value.
    static func dayNumber(_ v: Value) -> Int {
        switch v {
        case .date(let d): d
        case .datetime(let t): Dates.day(ofMillis: t)
        default: 0
        }
    }
}
