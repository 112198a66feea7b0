/// The format checks of ``Formats`` on UTF-8 bytes in place, for the output checks of a run: the
/// same rules, byte for byte, without copying the text into an array or walking its scalars.
extension Formats {
    /// Per byte value, its classes below: one table lookup per byte instead of a chain of
    /// comparisons. Written once, before any use, and never again.
    private nonisolated(unsafe) static let classes: UnsafePointer<UInt8> = {
        let t = UnsafeMutablePointer<UInt8>.allocate(capacity: 256)
        for b in 0..<256 {
            var c: UInt8 = 0
            let v = UInt8(b)
            if v <= 0x20 || v == 0x7F || v == UInt8(ascii: ",") || v == UInt8(ascii: ";") || v == UInt8(ascii: "<")
                || v == UInt8(ascii: ">")
            {
                c |= notInEmail
            }
            if v == UInt8(ascii: "@") { c |= at }
            if v == UInt8(ascii: ".") { c |= dot }
            if v >= UInt8(ascii: "0") && v <= UInt8(ascii: "9") { c |= digit }
            if "+ -.()/xX".utf8.contains(v) { c |= inPhone }
            t[b] = c
        }
        return UnsafePointer(t)
    }()
    private static let notInEmail: UInt8 = 1
    private static let at: UInt8 = 2
    private static let dot: UInt8 = 4
    private static let digit: UInt8 = 8
    /// Allowed in a phone number besides digits.
    private static let inPhone: UInt8 = 16

    /// ``isEmail(_:)`` of the text whose UTF-8 bytes are `p[0..<n]`.
    static func isEmail(_ p: UnsafePointer<UInt8>, _ n: Int) -> Bool {
        guard n >= 3, n <= 254 else { return false }
        let classes = Formats.classes
        var at = -1
        var lastDot = -1
        for i in 0..<n {
            let c = classes[Int(p[i])] & (notInEmail | Formats.at | dot)
            if c == 0 { continue }
            if c == notInEmail { return false }
            if c == Formats.at {
                if at >= 0 { return false }
                at = i
            } else {
                // Two dots in a row after the `@` (the domain) are not allowed.
                if at >= 0 && i > at + 1 && p[i - 1] == UInt8(ascii: ".") { return false }
                lastDot = i
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
        let classes = Formats.classes
        var digits = 0
        for i in 0..<n {
            let c = classes[Int(p[i])]
            if c & (digit | inPhone) == 0 { return false }
            if c & digit != 0 { digits += 1 }
        }
        return digits >= 7 && digits <= 20
    }
}
