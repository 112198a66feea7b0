import Foundation

/// Regular expressions for `matches` and `extract`, compiled once per pattern.
enum Regex {
    /// A compiled expression, safe to share: NSRegularExpression is immutable and thread-safe.
    struct Compiled: @unchecked Sendable {
        let re: NSRegularExpression
    }

    static func compile(_ pattern: String) -> Result<Compiled, PatternError> {
        do {
            return .success(Compiled(re: try NSRegularExpression(pattern: pattern)))
        } catch {
            return .failure(PatternError(message: "invalid regular expression \"\(pattern)\""))
        }
    }

    static func matches(_ c: Compiled, _ s: String) -> Bool {
        let ns = s as NSString
        return c.re.firstMatch(in: s, range: NSRange(location: 0, length: ns.length)) != nil
    }

    static func extract(_ c: Compiled, _ s: String) -> String? {
        let ns = s as NSString
        guard let m = c.re.firstMatch(in: s, range: NSRange(location: 0, length: ns.length)) else { return nil }
        let r = m.numberOfRanges > 1 ? m.range(at: 1) : m.range
        guard r.location != NSNotFound else { return nil }
        return ns.substring(with: r)
    }
}

/// Phone-number normalisation to E.164.
enum Phone {
    /// Calling codes for the countries marketing data most often carries.
    static let callingCodes: [String: String] = [
        "US": "1", "CA": "1", "GB": "44", "UK": "44", "DE": "49", "FR": "33", "ES": "34", "IT": "39", "NL": "31",
        "BE": "32", "CH": "41", "AT": "43", "IE": "353", "SE": "46", "NO": "47", "DK": "45", "FI": "358", "PL": "48",
        "PT": "351", "IN": "91", "BR": "55", "MX": "52", "JP": "81", "CN": "86", "AU": "61", "NZ": "64", "SG": "65",
        "ZA": "27", "IS": "354",
    ]

    /// `+<digits>` or nil. Extensions (`ext 12`, `x12`) are dropped; `00` means an international prefix;
    /// a national number with a leading 0 loses it.
    static func normalize(_ raw: String, country: String) -> String? {
        var s = raw.lowercased()
        for marker in ["ext.", "ext", " x", "#"] {
            if let r = s.range(of: marker) { s = String(s[..<r.lowerBound]) }
        }
        let trimmed = Text.trim(s)
        var digits = trimmed.filter(\.isASCII).filter(\.isNumber)
        guard !digits.isEmpty else { return nil }
        if trimmed.hasPrefix("+") {
            // already international
        } else if digits.hasPrefix("00") {
            digits.removeFirst(2)
        } else {
            guard let code = callingCodes[country.uppercased()] else { return nil }
            if code == "1" {
                if digits.count == 11 && digits.hasPrefix("1") { digits.removeFirst() }
                guard digits.count == 10 else { return nil }
            } else if digits.hasPrefix("0") {
                digits.removeFirst()
            }
            digits = code + digits
        }
        guard digits.count >= 8 && digits.count <= 15, !digits.hasPrefix("0") else { return nil }
        return "+" + digits
    }
}
