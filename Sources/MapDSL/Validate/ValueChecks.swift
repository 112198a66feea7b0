/// What a form check says of a text value.
public enum Verdict: Sendable, Hashable {
    /// The platform accepts it.
    case valid
    /// The platform refuses it, for this reason.
    case invalid(String)
    /// The platform may refuse it, for this reason (mapc is unsure).
    case doubtful(String)
}

/// The form checks of ``ValueCheck``, over a text's UTF-8 bytes, so that the output validator and
/// the fast checks of a run (and the sandbox's emulators) share one implementation.
///
/// Each check returns ``Verdict/valid`` without allocating; a reason is written only for a value
/// that fails.
public enum ValueChecks {
    /// The verdict of `check` on `s`.
    public static func verdict(_ check: ValueCheck, _ s: String) -> Verdict {
        var copy = s
        return copy.withUTF8 { verdict(check, $0) }
    }

    /// The verdict of `check` on the text whose UTF-8 bytes are `u`.
    public static func verdict(_ check: ValueCheck, _ u: UnsafeBufferPointer<UInt8>) -> Verdict {
        switch check {
        case .none: return .valid
        case .emailSalesforce: return email(u, salesforce: true)
        case .email: return email(u, salesforce: false)
        case .phoneDigits:
            guard let p = u.baseAddress, Formats.isPhone(p, u.count) else { return .doubtful("does not look like a phone number") }
            return .valid
        case .url:
            return Formats.isURL(String(decoding: u, as: UTF8.self)) ? .valid : .doubtful("does not look like a URL")
        case .ga4Name: return ga4Name(u)
        }
    }

    // MARK: E-mail addresses

    /// Per ASCII byte: allowed unquoted before the `@` (RFC 5322 `atext` and the dot; Salesforce
    /// lists exactly these: letters, digits and ``!#$%&'*+-/=?^_`{|}~.``).
    private static let localBytes: [Bool] = (0..<128).map { b in
        let c = UInt8(b)
        return isAlnum(c) || "!#$%&'*+-/=?^_`{|}~.".utf8.contains(c)
    }

    @inline(__always) private static func isAlnum(_ c: UInt8) -> Bool {
        (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A)
    }

    private static func display(_ c: UInt8) -> String { "`\(Character(Unicode.Scalar(c)))`" }

    /// Salesforce (`salesforce: true`): the characters Salesforce lists before and after the `@`,
    /// dots anywhere but first before the `@` (so `a..b@x.io` and `a.@x.io` pass), domain labels of
    /// letters, digits and dashes. Doubtful: quoted parts and comments, non-ASCII (accepted only with
    /// Email Address Internationalization), a domain without a dot or with a dubious top-level part.
    ///
    /// Elsewhere (`salesforce: false`): refused only when no mail system would take it (no `@` or
    /// more than one, an empty side, a space or control character, an empty domain label); anything
    /// but a plain `name@domain.tld` is doubtful.
    private static func email(_ u: UnsafeBufferPointer<UInt8>, salesforce: Bool) -> Verdict {
        // One pass: the local part up to the first `@`, then the domain label by label.
        let n = u.count
        var special = false  // a quote or parenthesis: a quoted part or a comment
        var control = false  // a space or a control character
        var nonASCII = false
        var badLocalByte: UInt8?
        var oddDots = false  // two dots in a row before the `@`, or a dot just before it
        var i = 0
        while i < n {
            let b = u[i]
            if b == UInt8(ascii: "@") { break }
            if b < 0x80 {
                if !localBytes[Int(b)] {
                    if b <= 0x20 || b == 0x7F { control = true }
                    if b == UInt8(ascii: "\"") || b == UInt8(ascii: "(") || b == UInt8(ascii: ")") { special = true }
                    if badLocalByte == nil { badLocalByte = b }
                } else if b == UInt8(ascii: "."), i + 1 < n, u[i + 1] == UInt8(ascii: ".") || u[i + 1] == UInt8(ascii: "@") {
                    oddDots = true
                }
            } else {
                nonASCII = true
            }
            i += 1
        }
        let at = i < n ? i : -1
        var ats = at < 0 ? 0 : 1
        var labels = 0
        var emptyLabel = false
        var badDash = false
        var lastLabelLength = 0
        var lastLabelDigitsOnly = true
        var badDomainByte: UInt8?
        if at >= 0 {
            var labelStart = at + 1
            var digitsOnly = true
            var j = at + 1
            while j <= n {
                if j == n || u[j] == UInt8(ascii: ".") {
                    let length = j - labelStart
                    if length == 0 {
                        emptyLabel = true
                    } else if u[labelStart] == UInt8(ascii: "-") || u[j - 1] == UInt8(ascii: "-") {
                        badDash = true
                    }
                    labels += 1
                    lastLabelLength = length
                    lastLabelDigitsOnly = digitsOnly
                    labelStart = j + 1
                    digitsOnly = true
                    j += 1
                    continue
                }
                let b = u[j]
                if b >= 0x80 {
                    nonASCII = true
                    digitsOnly = false
                } else if !(b >= 0x30 && b <= 0x39) {
                    digitsOnly = false
                    if !isAlnum(b) && b != UInt8(ascii: "-") {
                        if b <= 0x20 || b == 0x7F { control = true }
                        if b == UInt8(ascii: "\"") || b == UInt8(ascii: "(") || b == UInt8(ascii: ")") { special = true }
                        if b == UInt8(ascii: "@") { ats += 1 }
                        if badDomainByte == nil { badDomainByte = b }
                    }
                }
                j += 1
            }
        }
        // Quoted parts and comments may hold spaces and `@`s (RFC 5322): mapc does not parse them.
        if special { return .doubtful("has a quoted part or a comment, which mapc does not check") }
        if control { return .invalid("contains a space or a control character") }
        if ats == 0 { return .invalid("has no `@`") }
        if ats > 1 { return .invalid("has more than one `@`") }
        if at == 0 { return .invalid("has nothing before the `@`") }
        if at == n - 1 { return .invalid("has nothing after the `@`") }
        if emptyLabel { return .invalid("has an empty part in the domain (a dot at its start or end, or two dots in a row)") }
        if salesforce {
            if let b = badLocalByte { return .invalid("has \(display(b)) before the `@`, where it is not allowed") }
            if u[0] == UInt8(ascii: ".") { return .invalid("starts with a dot") }
            if let b = badDomainByte {
                return .invalid("has \(display(b)) in the domain, which allows only letters, digits, dashes and dots")
            }
        } else {
            if let b = badLocalByte { return .doubtful("has \(display(b)) before the `@`") }
            if u[0] == UInt8(ascii: ".") || oddDots { return .doubtful("has a dot at the start or end of the name, or two in a row") }
            if let b = badDomainByte { return .doubtful("has \(display(b)) in the domain") }
        }
        if nonASCII { return .doubtful("has non-ASCII characters, accepted only where internationalised addresses are") }
        if labels < 2 { return .doubtful("has no dot in the domain") }
        if badDash { return .doubtful("has a domain part that starts or ends with a dash") }
        if lastLabelLength < 2 || lastLabelDigitsOnly { return .doubtful("has an unusual top-level domain") }
        if at > 64 { return .doubtful("has more than 64 characters before the `@`") }
        return .valid
    }

    // MARK: GA4 names

    /// GA4: names start with a letter and have only letters, digits and underscores; the prefixes
    /// `_`, `firebase_`, `ga_`, `google_` and `gtag.` are reserved.
    private static func ga4Name(_ u: UnsafeBufferPointer<UInt8>) -> Verdict {
        guard let first = u.first else { return .invalid("is empty") }
        let isLetter = (first >= 0x41 && first <= 0x5A) || (first >= 0x61 && first <= 0x7A)
        guard isLetter else { return .invalid("does not start with a letter") }
        for b in u where !isAlnum(b) && b != UInt8(ascii: "_") {
            return .invalid(b < 0x80 ? "has \(display(b)), which is not allowed in a name" : "has a non-ASCII character")
        }
        let lower = String(decoding: u, as: UTF8.self).lowercased()
        for prefix in ["firebase_", "ga_", "google_"] where lower.hasPrefix(prefix) {
            return .invalid("starts with the reserved prefix `\(prefix)`")
        }
        return .valid
    }
}
