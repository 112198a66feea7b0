/// The line is not well-formed JSON (the general parser says why).
struct Malformed: Error {}

/// A position in a JSON text, with the validating scanners the record decoder needs. Accepts and
/// rejects exactly what ``JSONParser`` does when it rejects invalid UTF-8 (as records are read).
struct JSONCursor {
    let p: UnsafePointer<UInt8>
    let end: Int
    var i = 0

    static let maxDepth = 512
    /// `null`, `true` and `fals` as little-endian words.
    static let null: UInt32 = 0x6C6C_756E
    static let `true`: UInt32 = 0x6575_7274
    static let fals: UInt32 = 0x736C_6166

    /// The content of a string token: bytes `start..<end`, whether they contain escapes, and
    /// whether they are all ASCII (as written, escapes and all).
    struct StringSpan {
        var start: Int
        var end: Int
        var escaped: Bool
        var ascii: Bool
    }

    init(_ p: UnsafePointer<UInt8>, count: Int) {
        self.p = p
        self.end = count
    }

    /// The byte at the cursor, or 0 at the end (0 is never valid where a token is expected).
    @inline(__always) func peek() -> UInt8 { i < end ? p[i] : 0 }

    @inline(__always) mutating func skipSpace() {
        guard i < end, p[i] <= 0x20 else { return }
        while i < end, ByteScan.isJSONSpace(p[i]) { i += 1 }
    }

    /// Scans the string whose opening quote is at the cursor and moves past its closing quote.
    @inline(__always) mutating func string() throws(Malformed) -> StringSpan {
        i += 1
        let start = i
        var escaped = false
        var high: UInt64 = 0
        while true {
            i = ByteScan.firstStringStop(p, from: i, end: end, high: &high)
            guard i < end else { throw Malformed() }
            let b = p[i]
            if b == UInt8(ascii: "\"") {
                i += 1
                let ascii = ByteScan.isASCII(high)
                // JSON text is UTF-8: a string with bytes that are not is malformed (escapes are
                // ASCII, so the raw bytes decide).
                if !ascii, ByteScan.firstInvalidUTF8(p + start, i - 1 - start) != nil { throw Malformed() }
                return StringSpan(start: start, end: i - 1, escaped: escaped, ascii: ascii)
            }
            guard b == UInt8(ascii: "\\") else { throw Malformed() }
            escaped = true
            try escape()
        }
    }

    /// Validates the escape whose backslash is at the cursor and moves past it.
    private mutating func escape() throws(Malformed) {
        i += 1
        guard i < end else { throw Malformed() }
        switch p[i] {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"), UInt8(ascii: "f"),
            UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
            i += 1
        case UInt8(ascii: "u"):
            let v = try hex4(at: i + 1)
            i += 5
            if v >= 0xD800 && v < 0xDC00 {
                guard i + 1 < end, p[i] == UInt8(ascii: "\\"), p[i + 1] == UInt8(ascii: "u") else { throw Malformed() }
                let low = try hex4(at: i + 2)
                guard low >= 0xDC00 && low < 0xE000 else { throw Malformed() }
                i += 6
            } else if v >= 0xDC00 && v < 0xE000 {
                throw Malformed()
            }
        default:
            throw Malformed()
        }
    }

    private func hex4(at k: Int) throws(Malformed) -> UInt32 {
        guard k + 4 <= end else { throw Malformed() }
        var v: UInt32 = 0
        for j in k..<(k + 4) {
            let b = p[j]
            let d: UInt32
            switch b {
            case 0x30...0x39: d = UInt32(b - 0x30)
            case 0x41...0x46: d = UInt32(b - 0x41 + 10)
            case 0x61...0x66: d = UInt32(b - 0x61 + 10)
            default: throw Malformed()
            }
            v = v << 4 | d
        }
        return v
    }

    /// The text of a scanned string, escapes decoded as ``JSONParser`` decodes them.
    func text(_ s: StringSpan) -> String {
        let n = s.end - s.start
        if !s.escaped { return String(decoding: UnsafeBufferPointer(start: p + s.start, count: n), as: UTF8.self) }
        return String(unsafeUninitializedCapacity: n) { unescape(s, into: $0.baseAddress!) }
    }

    /// Writes the bytes of a scanned string, escapes decoded as ``JSONParser`` decodes them, to
    /// `out` (which has room for the raw length: decoding never lengthens); returns how many.
    func unescape(_ s: StringSpan, into out: UnsafeMutablePointer<UInt8>) -> Int {
        var n = 0
        var k = s.start
        while k < s.end {
            let b = p[k]
            if b != UInt8(ascii: "\\") {
                out[n] = b
                n += 1
                k += 1
                continue
            }
            let e = p[k + 1]
            k += 2
            switch e {
            case UInt8(ascii: "b"): out[n] = 0x08
            case UInt8(ascii: "f"): out[n] = 0x0C
            case UInt8(ascii: "n"): out[n] = 0x0A
            case UInt8(ascii: "r"): out[n] = 0x0D
            case UInt8(ascii: "t"): out[n] = 0x09
            case UInt8(ascii: "u"):
                var scalar = (try? hex4(at: k)) ?? 0xFFFD
                k += 4
                if scalar >= 0xD800 && scalar < 0xDC00 {
                    let low = (try? hex4(at: k + 2)) ?? 0xDC00
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    k += 6
                }
                n += JSONCursor.writeUTF8(scalar, to: out + n)
                continue
            default: out[n] = e  // " \ /
            }
            n += 1
        }
        return n
    }

    /// Writes the UTF-8 of scalar `v` to `out`; returns how many bytes (at most 4).
    static func writeUTF8(_ v: UInt32, to out: UnsafeMutablePointer<UInt8>) -> Int {
        if v < 0x80 {
            out[0] = UInt8(v)
            return 1
        } else if v < 0x800 {
            out[0] = UInt8(0xC0 | v >> 6)
            out[1] = UInt8(0x80 | v & 0x3F)
            return 2
        } else if v < 0x10000 {
            out[0] = UInt8(0xE0 | v >> 12)
            out[1] = UInt8(0x80 | v >> 6 & 0x3F)
            out[2] = UInt8(0x80 | v & 0x3F)
            return 3
        } else {
            out[0] = UInt8(0xF0 | v >> 18)
            out[1] = UInt8(0x80 | v >> 12 & 0x3F)
            out[2] = UInt8(0x80 | v >> 6 & 0x3F)
            out[3] = UInt8(0x80 | v & 0x3F)
            return 4
        }
    }

    /// Moves past the four-byte word `word` (`null`, `true`) at the cursor.
    @inline(__always) mutating func literal(_ word: UInt32) throws(Malformed) {
        guard i + 4 <= end, UnsafeRawPointer(p + i).loadUnaligned(as: UInt32.self) == UInt32(littleEndian: word) else {
            throw Malformed()
        }
        i += 4
    }

    /// Moves past `false` at the cursor.
    @inline(__always) mutating func literalFalse() throws(Malformed) {
        guard i + 5 <= end, UnsafeRawPointer(p + i).loadUnaligned(as: UInt32.self) == UInt32(littleEndian: JSONCursor.fals),
            p[i + 4] == UInt8(ascii: "e")
        else { throw Malformed() }
        i += 5
    }

    /// Moves past the number at the cursor.
    mutating func number() throws(Malformed) {
        if p[i] == UInt8(ascii: "-") { i += 1 }
        guard i < end, isDigit(p[i]) else { throw Malformed() }
        if p[i] == UInt8(ascii: "0") {
            i += 1
        } else {
            while i < end, isDigit(p[i]) { i += 1 }
        }
        if i < end, p[i] == UInt8(ascii: ".") {
            i += 1
            guard i < end, isDigit(p[i]) else { throw Malformed() }
            while i < end, isDigit(p[i]) { i += 1 }
        }
        if i < end, p[i] == UInt8(ascii: "e") || p[i] == UInt8(ascii: "E") {
            i += 1
            if i < end, p[i] == UInt8(ascii: "+") || p[i] == UInt8(ascii: "-") { i += 1 }
            guard i < end, isDigit(p[i]) else { throw Malformed() }
            while i < end, isDigit(p[i]) { i += 1 }
        }
    }

    @inline(__always) private func isDigit(_ b: UInt8) -> Bool { b >= 0x30 && b <= 0x39 }

    /// Validates and moves past the value at the cursor, which sits inside a container `depth` deep.
    mutating func skipValue(depth: Int) throws(Malformed) {
        switch peek() {
        case UInt8(ascii: "\""): _ = try string()
        case UInt8(ascii: "n"): try literal(JSONCursor.null)
        case UInt8(ascii: "t"): try literal(JSONCursor.true)
        case UInt8(ascii: "f"): try literalFalse()
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): try number()
        case UInt8(ascii: "{"): try skipObject(depth: depth + 1)
        case UInt8(ascii: "["): try skipArray(depth: depth + 1)
        default: throw Malformed()
        }
    }

    private mutating func skipObject(depth: Int) throws(Malformed) {
        guard depth <= JSONCursor.maxDepth else { throw Malformed() }
        i += 1
        skipSpace()
        if peek() == UInt8(ascii: "}") {
            i += 1
            return
        }
        while true {
            skipSpace()
            guard peek() == UInt8(ascii: "\"") else { throw Malformed() }
            _ = try string()
            skipSpace()
            guard peek() == UInt8(ascii: ":") else { throw Malformed() }
            i += 1
            skipSpace()
            try skipValue(depth: depth)
            skipSpace()
            let b = peek()
            i += 1
            if b == UInt8(ascii: ",") { continue }
            if b == UInt8(ascii: "}") { return }
            throw Malformed()
        }
    }

    private mutating func skipArray(depth: Int) throws(Malformed) {
        guard depth <= JSONCursor.maxDepth else { throw Malformed() }
        i += 1
        skipSpace()
        if peek() == UInt8(ascii: "]") {
            i += 1
            return
        }
        while true {
            skipSpace()
            try skipValue(depth: depth)
            skipSpace()
            let b = peek()
            i += 1
            if b == UInt8(ascii: ",") { continue }
            if b == UInt8(ascii: "]") { return }
            throw Malformed()
        }
    }
}
