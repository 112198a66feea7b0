/// The phone check of ``Formats`` on UTF-8 bytes in place: the same rule, byte for byte, without
/// walking the text's scalars.
extension Formats {
    /// Per byte value, its classes below: one table lookup per byte instead of a chain of
    /// comparisons. Written once, before any use, and never again.
    private nonisolated(unsafe) static let classes: UnsafePointer<UInt8> = {
        let t = UnsafeMutablePointer<UInt8>.allocate(capacity: 256)
        for b in 0..<256 {
            var c: UInt8 = 0
            let v = UInt8(b)
            if v >= UInt8(ascii: "0") && v <= UInt8(ascii: "9") { c |= digit }
            if "+ -.()/xX".utf8.contains(v) { c |= inPhone }
            t[b] = c
        }
        return UnsafePointer(t)
    }()
    private static let digit: UInt8 = 8
    /// Allowed in a phone number besides digits.
    private static let inPhone: UInt8 = 16

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
