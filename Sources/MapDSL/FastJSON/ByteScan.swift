/// Word-at-a-time byte searches used by the record decoder and the output writer.
///
/// Each helper looks at eight bytes per step (SWAR: "SIMD within a register") and falls back to a
/// byte loop for the tail, never reading outside the buffer it is given.
public enum ByteScan {
    private static let ones: UInt64 = 0x0101_0101_0101_0101
    private static let highs: UInt64 = 0x8080_8080_8080_8080

    /// High bit set in each byte of `x` that is zero (exact for the lowest such byte).
    @inline(__always) private static func zeroBytes(_ x: UInt64) -> UInt64 {
        (x &- ones) & ~x & highs
    }

    /// High bit set in each byte of `word` that is `"`, `\` or below 0x20 (exact for the lowest one).
    @inline(__always) static func stringStops(_ word: UInt64) -> UInt64 {
        let quote = zeroBytes(word ^ (ones &* 0x22))
        let backslash = zeroBytes(word ^ (ones &* 0x5C))
        let control = (word &- ones &* 0x20) & ~word & highs
        return quote | backslash | control
    }

    /// Whether `b` ends a run of plain string bytes: `"`, `\` or a control character.
    @inline(__always) static func isStringStop(_ b: UInt8) -> Bool {
        b == 0x22 || b == 0x5C || b < 0x20
    }

    /// The index of the first byte in `p[from..<end]` that is `"`, `\` or below 0x20; `end` when none.
    /// (Public for the sandbox's JSON reader.)
    @inline(__always) public static func firstStringStop(_ p: UnsafePointer<UInt8>, from: Int, end: Int) -> Int {
        var i = from
        while i + 8 <= end {
            let word = UInt64(littleEndian: UnsafeRawPointer(p + i).loadUnaligned(as: UInt64.self))
            let stops = stringStops(word)
            if stops != 0 { return i + stops.trailingZeroBitCount >> 3 }
            i += 8
        }
        if i < end && end - from >= 8 {
            // The tail in one word that overlaps bytes already found plain: its lowest stop is the first.
            let word = UInt64(littleEndian: UnsafeRawPointer(p + end - 8).loadUnaligned(as: UInt64.self))
            let stops = stringStops(word)
            return stops == 0 ? end : end - 8 + stops.trailingZeroBitCount >> 3
        }
        while i < end {
            if isStringStop(p[i]) { return i }
            i += 1
        }
        return end
    }

    /// ``firstStringStop(_:from:end:)``, also setting in `high` the bits of every byte before the
    /// stop (see ``isASCII(_:)``).
    @inline(__always) static func firstStringStop(_ p: UnsafePointer<UInt8>, from: Int, end: Int, high: inout UInt64) -> Int {
        var i = from
        while i &+ 8 <= end {
            let word = UInt64(littleEndian: UnsafeRawPointer(p + i).loadUnaligned(as: UInt64.self))
            let stops = stringStops(word)
            if stops != 0 {
                let k = stops.trailingZeroBitCount >> 3
                if k > 0 { high |= word & (~0 >> UInt64(64 - 8 * k)) }
                return i &+ k
            }
            high |= word
            i &+= 8
        }
        while i < end {
            if isStringStop(p[i]) { return i }
            high |= UInt64(p[i])
            i &+= 1
        }
        return end
    }

    /// Whether the bytes whose bits were gathered into `high` are all ASCII.
    @inline(__always) static func isASCII(_ high: UInt64) -> Bool { high & highs == 0 }

    /// Whether every byte of `p[0..<count]` is ASCII.
    @inline(__always) static func isASCII(_ p: UnsafePointer<UInt8>, count: Int) -> Bool {
        var i = 0
        while i + 8 <= count {
            if UnsafeRawPointer(p + i).loadUnaligned(as: UInt64.self) & highs != 0 { return false }
            i += 8
        }
        while i < count {
            if p[i] >= 0x80 { return false }
            i += 1
        }
        return true
    }

    /// Whether `a[0..<n]` and `b[0..<n]` hold the same bytes (overlapping word loads, no byte loop
    /// for four bytes or more).
    @inline(__always) static func equal(_ a: UnsafePointer<UInt8>, _ b: UnsafePointer<UInt8>, _ n: Int) -> Bool {
        if n >= 16 {
            // Sixteen bytes per step as two words, the last step overlapping the one before.
            var i = 0
            while i &+ 16 < n {
                if (word(a + i) ^ word(b + i)) | (word(a + i + 8) ^ word(b + i + 8)) != 0 { return false }
                i &+= 16
            }
            let k = n &- 16
            return (word(a + k) ^ word(b + k)) | (word(a + k + 8) ^ word(b + k + 8)) == 0
        }
        if n >= 8 { return (word(a) ^ word(b)) | (word(a + n - 8) ^ word(b + n - 8)) == 0 }
        if n >= 4 { return (half(a) ^ half(b)) | (half(a + n - 4) ^ half(b + n - 4)) == 0 }
        var i = 0
        while i < n {
            if a[i] != b[i] { return false }
            i &+= 1
        }
        return true
    }

    @inline(__always) private static func word(_ p: UnsafePointer<UInt8>) -> UInt64 {
        UnsafeRawPointer(p).loadUnaligned(as: UInt64.self)
    }

    @inline(__always) private static func half(_ p: UnsafePointer<UInt8>) -> UInt32 {
        UnsafeRawPointer(p).loadUnaligned(as: UInt32.self)
    }

    /// The offset of the first byte of `p[0..<n]` that is not part of well-formed UTF-8 (a stray
    /// continuation byte, a truncated or overlong sequence, a surrogate, a scalar past U+10FFFF);
    /// nil when all of it is well-formed (what `String(decoding:as:)` keeps unchanged).
    public static func firstInvalidUTF8(_ p: UnsafePointer<UInt8>, _ n: Int) -> Int? {
        var i = 0
        while i < n {
            // ASCII runs eight bytes at a time.
            while i &+ 8 <= n, UnsafeRawPointer(p + i).loadUnaligned(as: UInt64.self) & highs == 0 { i &+= 8 }
            guard i < n else { return nil }
            let b = p[i]
            if b < 0x80 {
                i &+= 1
                continue
            }
            let need: Int
            var lo: UInt8 = 0x80
            var hi: UInt8 = 0xBF
            switch b {
            case 0xC2...0xDF: need = 1
            case 0xE0:
                need = 2
                lo = 0xA0
            case 0xE1...0xEC, 0xEE...0xEF: need = 2
            case 0xED:
                need = 2
                hi = 0x9F
            case 0xF0:
                need = 3
                lo = 0x90
            case 0xF1...0xF3: need = 3
            case 0xF4:
                need = 3
                hi = 0x8F
            default: return i
            }
            // The sequence's last byte is p[i + need].
            guard i &+ need < n, p[i + 1] >= lo, p[i + 1] <= hi else { return i }
            var k = 2
            while k <= need {
                guard p[i + k] & 0xC0 == 0x80 else { return i }
                k &+= 1
            }
            i &+= need &+ 1
        }
        return nil
    }

    /// JSON whitespace: space, tab, line feed, carriage return.
    @inline(__always) static func isJSONSpace(_ b: UInt8) -> Bool {
        b == 0x20 || b == 0x0A || b == 0x0D || b == 0x09
    }
}
