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
        return s.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Whether a value is null or text made only of whitespace.
    static func isBlank(_ v: Value) -> Bool {
        switch v {
        case .null: return true
        case .string(let s):
            for b in s.utf8 where !isSpace(b) {
                if b < 0x80 { return false }
                return s.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty
            }
            return true
        default: return false
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
        // ASCII fast path.
        if s.utf8.allSatisfy({ $0 < 0x80 }) {
            let u = s.utf8
            guard begin < u.count else { return "" }
            let end = length.map { min(u.count, begin + $0) } ?? u.count
            let lo = u.index(u.startIndex, offsetBy: begin)
            let hi = u.index(u.startIndex, offsetBy: end)
            return String(s[lo..<hi])
        }
        let chars = Array(s)
        guard begin < chars.count else { return "" }
        let end = length.map { min(chars.count, begin + $0) } ?? chars.count
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
        if let i = Int(t) { return i }
        if t.contains(",") {
            // Thousands separators only in groups of three.
            let groups = t.split(separator: ",", omittingEmptySubsequences: false)
            guard groups.dropFirst().allSatisfy({ $0.count == 3 }) else { return nil }
            t = groups.joined()
            if let i = Int(t) { return i }
        }
        if let d = Double(t), d.isFinite, d.rounded() == d, abs(d) < 9.2e18 { return Int(d) }
        return nil
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
        case .datetime(let t): return Int(Dates.floorDivMod(t, 86_400_000).0)
        case .string(let s): return Dates.parseISODate(Substring(Text.trim(s)))
        default: return nil
        }
    }

    /// Milliseconds since the epoch from a date, a date-time or ISO text.
    static func datetime(_ v: Value) -> Int64? {
        switch v {
        case .date(let d): return Int64(d) * 86_400_000
        case .datetime(let t): return t
        case .string(let s): return Dates.parseISODateTime(Substring(Text.trim(s)))
        default: return nil
        }
    }

    /// The day number of a date or date-time value.
    static func dayNumber(_ v: Value) -> Int {
        switch v {
        case .date(let d): d
        case .datetime(let t): Int(Dates.floorDivMod(t, 86_400_000).0)
        default: 0
        }
    }
}
