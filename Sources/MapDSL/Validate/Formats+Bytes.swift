/// The format checks of ``Formats`` on UTF-8 bytes in place, for the output checks of a run: the
/// same rules, byte for byte, without copying the text into an array or walking its scalars.
extension Formats {
    /// ``isEmail(_:)`` of the text whose UTF-8 bytes are `p[0..<n]`.
    static func isEmail(_ p: UnsafePointer<UInt8>, _ n: Int) -> Bool {
        guard n >= 3, n <= 254 else { return false }
        var at = -1
        var lastDot = -1
        for i in 0..<n {
            let b = p[i]
            if b == UInt8(ascii: "@") {
                if at >= 0 { return false }
                at = i
            } else if b == UInt8(ascii: ".") {
                // Two dots in a row after the `@` (the domain) are not allowed.
                if at >= 0 && i > at + 1 && p[i - 1] == UInt8(ascii: ".") { return false }
                lastDot = i
            } else if b <= 0x20 || b == UInt8(ascii: ",") || b == UInt8(ascii: ";") || b == UInt8(ascii: "<")
                || b == UInt8(ascii: ">") || b == 0x7F
            {
                return false
            }
        }
        // A non-empty local part and domain, a dot in the domain that neither starts nor ends it.
        guard at > 0, at < n - 1, lastDot > at + 1, lastDot < n - 1 else { return false }
        if p[at + 1] == UInt8(ascii: ".") || p[at - 1] == UInt8(ascii: ".") || p[0] == UInt8(ascii: ".") { return false }
        return n - lastDot - 1 >= 2
    }

    /// ``isPhone(_:)`` of the text whose UTF-8 bytes are `p[0..<n]`: every scalar it allows is
    /// ASCII, so a byte from 0x80 up (part of any other scalar) fails as that scalar would.
    static func isPhone(_ p: UnsafePointer<UInt8>, _ n: Int) -> Bool {
        var digits = 0
        for i in 0..<n {
            switch p[i] {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digits += 1
            case UInt8(ascii: "+"), UInt8(ascii: " "), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "("),
                UInt8(ascii: ")"), UInt8(ascii: "/"), UInt8(ascii: "x"), UInt8(ascii: "X"):
                continue
            default: return false
            }
        }
        return digits >= 7 && digits <= 20
    }
}
