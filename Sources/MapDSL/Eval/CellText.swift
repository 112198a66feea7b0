/// The text operations of ``Text`` and ``Convert`` on cells, for the byte-level evaluator.
///
/// Each one gives exactly what its `String` counterpart gives, or nil when it cannot be sure in
/// bytes (a text whose end might be Unicode whitespace, case mapping or character counting of
/// text that is not ASCII); the caller then leaves the record to the ``Value`` evaluator.
enum CellText {
    /// ``Text/isBlank(_:)``; nil when undecided.
    @inline(__always) static func isBlank(_ c: Cell) -> Bool? {
        switch c.kind {
        case .null: return true
        case .text:
            let b = c.bytes
            var i = 0
            while i < b.count && Text.isSpace(b[i]) { i += 1 }
            if i == b.count { return true }
            if b[i] < 0x80 || !Text.mayBeUnicodeSpace(Text.scalar(b, at: i)) { return false }
            return nil
        default: return false
        }
    }

    /// ``Text/trim(_:)`` of a text cell, as a part of it; nil when undecided.
    @inline(__always) static func trim(_ c: Cell) -> Cell? {
        let b = c.bytes
        guard let first = b.first, let last = b.last else { return c }
        if !Text.isSpace(first) && !Text.isSpace(last) && first < 0x80 && last < 0x80 { return c }
        var lo = 0
        var hi = b.count
        while lo < hi && Text.isSpace(b[lo]) { lo += 1 }
        while hi > lo && Text.isSpace(b[hi - 1]) { hi -= 1 }
        if lo < hi {
            if b[lo] >= 0x80 && Text.mayBeUnicodeSpace(Text.scalar(b, at: lo)) { return nil }
            if b[hi - 1] >= 0x80 && Text.mayBeUnicodeSpace(Text.scalar(b, endingAt: hi)) { return nil }
        }
        return .text(c.base.map { $0 + lo }, hi - lo, plain: c.plain)
    }

    /// ``Text/lower(_:)`` (`upper` false) or ``Text/upper(_:)`` of a text cell; nil when the text
    /// is not ASCII.
    @inline(__always) static func changeCase(_ c: Cell, upper: Bool, in frame: CellFrame) -> Cell? {
        let b = c.bytes
        guard let p = b.baseAddress else { return c }
        guard ByteScan.isASCII(p, count: b.count) else { return nil }
        let from: UInt8 = upper ? 0x61 : 0x41
        let through: UInt8 = upper ? 0x7A : 0x5A
        var first = 0
        while first < b.count && !(b[first] >= from && b[first] <= through) { first += 1 }
        if first == b.count { return c }
        let out = frame.allocate(b.count)
        out.update(from: p, count: first)
        for i in first..<b.count {
            let ch = p[i]
            out[i] = ch >= from && ch <= through ? ch ^ 0x20 : ch
        }
        // Case mapping changes letters only.
        return .text(out, b.count, plain: c.plain)
    }

    /// ``Text/substring(_:_:_:)`` of a text cell, as a part of it; nil when the text is not ASCII.
    @inline(__always) static func substring(_ c: Cell, _ start: Int, _ length: Int?) -> Cell? {
        let begin = max(0, start)
        if let length, length <= 0 { return .empty }
        let b = c.bytes
        guard let p = b.baseAddress else { return .empty }
        guard ByteScan.isASCII(p, count: b.count) else { return nil }
        guard begin < b.count else { return .empty }
        let end = length.map { $0 >= b.count - begin ? b.count : begin + $0 } ?? b.count
        return .text(p + begin, end - begin, plain: c.plain)
    }

    /// `a + b` of two texts.
    @inline(__always) static func concat(_ a: Cell, _ b: Cell, in frame: CellFrame) -> Cell {
        if a.payload == 0 { return b }
        if b.payload == 0 { return a }
        let out = frame.allocate(a.payload + b.payload)
        out.update(from: a.base!, count: a.payload)
        (out + a.payload).update(from: b.base!, count: b.payload)
        return .text(out, a.payload + b.payload, plain: a.plain && b.plain)
    }

    /// Whether two texts are equal as `String`s are (canonical equivalence), as far as bytes tell:
    /// the same bytes are, different ASCII texts are not; nil otherwise (the `String`s decide).
    @inline(__always) static func sameText(_ a: Cell, _ b: Cell) -> Bool? {
        if a.payload == b.payload && (a.payload == 0 || ByteScan.equal(a.base!, b.base!, a.payload)) { return true }
        if a.isASCII && b.isASCII { return false }
        return nil
    }

    /// Whether two texts are equal as `String`s are.
    @inline(__always) static func equal(_ a: Cell, _ b: Cell) -> Bool {
        sameText(a, b) ?? (String(decoding: a.bytes, as: UTF8.self) == String(decoding: b.bytes, as: UTF8.self))
    }

    /// ``Convert/int(_:)`` of a cell; `.none` when undecided, `.some(nil)` for "not an integer".
    static func int(_ c: Cell) -> Int?? {
        guard c.kind == .text else { return .some(Convert.int(c.nonTextValue)) }
        // Convert.parseInt: the trimmed text, and the short form (a sign and at most 18 digits) in
        // place; anything else through the String function itself.
        guard let t = trim(c) else { return .some(Convert.parseInt(String(decoding: c.bytes, as: UTF8.self))) }
        let b = t.bytes
        var i = 0
        var negative = false
        if b.count > 0 && (b[0] == UInt8(ascii: "-") || b[0] == UInt8(ascii: "+")) {
            negative = b[0] == UInt8(ascii: "-")
            i = 1
        }
        if b.count > i && b.count - i <= 18 {
            var v = 0
            var digits = true
            while i < b.count {
                let d = b[i] &- 0x30
                if d >= 10 {
                    digits = false
                    break
                }
                v = v * 10 + Int(d)
                i += 1
            }
            if digits { return .some(negative ? -v : v) }
        }
        if let grouped = groupedInt(b) { return .some(grouped) }
        // Every form the String function still tries needs an ASCII digit.
        var hasDigit = false
        for k in 0..<b.count where b[k] >= 0x30 && b[k] <= 0x39 {
            hasDigit = true
            break
        }
        if !hasDigit { return .some(nil) }
        return .some(Convert.parseInt(String(decoding: c.bytes, as: UTF8.self)))
    }

    /// An integer with thousands separators, `[+-]?d+(,ddd)+` with at most 18 digits, as
    /// ``Convert/parseInt(_:)`` reads it (the groups joined); nil for any other text.
    @inline(__always) static func groupedInt(_ b: UnsafeBufferPointer<UInt8>) -> Int? {
        var i = 0
        var negative = false
        if b.count > 0 && (b[0] == UInt8(ascii: "-") || b[0] == UInt8(ascii: "+")) {
            negative = b[0] == UInt8(ascii: "-")
            i = 1
        }
        var v = 0
        var digits = 0
        var groups = 0
        var run = 0
        while i < b.count {
            let c = b[i]
            if c == UInt8(ascii: ",") {
                // The first group has at least one digit, every later one exactly three.
                guard run > 0, groups == 0 || run == 3 else { return nil }
                groups += 1
                run = 0
            } else {
                let d = c &- 0x30
                guard d < 10 else { return nil }
                v = v &* 10 &+ Int(d)
                digits += 1
                run += 1
                guard digits <= 18 else { return nil }
            }
            i += 1
        }
        guard groups > 0, run == 3 else { return nil }
        return negative ? -v : v
    }

    /// Whether `p[0..<n]` is well-formed UTF-8 (what `String(decoding:as:)` keeps unchanged).
    @inline(__always) static func isValidUTF8(_ p: UnsafePointer<UInt8>, _ n: Int) -> Bool {
        ByteScan.firstInvalidUTF8(p, n) == nil
    }
}
