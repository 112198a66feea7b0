/// Writes mapped records as compact JSON objects straight into bytes, byte for byte as
/// ``RecordMapper/jsonLine(_:fields:)`` and ``JSONWriter`` write them.
final class RecordEncoder: Sendable {
    /// `"Name":` of every output field, with a comma before every field but the first.
    private let keys: [UInt8]
    /// Where each field's key starts in `keys`; one more entry marks the end.
    private let keyOffsets: [Int]

    init(fields: [Field]) {
        var keys: [UInt8] = []
        var offsets: [Int] = []
        for (i, f) in fields.enumerated() {
            offsets.append(keys.count)
            var key = i == 0 ? "" : ","
            JSONWriter.appendString(f.name, into: &key)
            keys.append(contentsOf: (key + ":").utf8)
        }
        offsets.append(keys.count)
        self.keys = keys
        self.keyOffsets = offsets
    }

    /// Appends the object of `values[0..<count]` (aligned with the fields) to `out`, through
    /// `scratch`, and checks each value with `checks` on the way; false when a check could not
    /// pass a value (the object is then not appended: ask ``OutputValidator`` for the verdict).
    func encode(
        _ values: UnsafeMutablePointer<Value>, count: Int, checks: FieldChecks.Tables?, into out: inout [UInt8],
        scratch: ByteScratch
    ) -> Bool {
        let n = min(count, keyOffsets.count - 1)
        // An upper bound of the size: keys, braces, and each value escaped at worst.
        var bound = keyOffsets[n] + 2
        for i in 0..<n {
            switch values[i] {
            case .null, .bool: bound += 5
            case .int: bound += 20
            case .string(let s): bound += s.utf8.count * 6 + 2
            case .decimal, .date, .datetime: bound += 64
            }
        }
        scratch.reserve(bound)
        var w = ByteWriter(scratch.bytes)
        w.put(UInt8(ascii: "{"))
        let passed = keys.withUnsafeBufferPointer { keys in
            keyOffsets.withUnsafeBufferPointer { offsets in
                RecordEncoder.writeFields(values, n, checks, keys.baseAddress!, offsets.baseAddress!, &w)
            }
        }
        w.put(UInt8(ascii: "}"))
        if passed { out.append(contentsOf: UnsafeBufferPointer(start: scratch.bytes, count: w.count)) }
        return passed
    }

    /// Writes `"Key":value` of the first `n` fields, comma-separated, checking each value with
    /// `checks`; whether every check passed.
    @inline(__always) private static func writeFields(
        _ values: UnsafeMutablePointer<Value>, _ n: Int, _ checks: FieldChecks.Tables?, _ keys: UnsafePointer<UInt8>,
        _ offsets: UnsafePointer<Int>, _ w: inout ByteWriter
    ) -> Bool {
        var passed = true
        for i in 0..<n {
            w.put(keys + offsets[i], offsets[i + 1] - offsets[i])
            // Each value is moved out and back rather than copied: a copy would retain and release
            // every string.
            let v = (values + i).move()
            switch v {
            case .string(let s):
                let done: Bool? = s.utf8.withContiguousStorageIfAvailable { writeString($0, field: i, checks, to: &w) }
                if let done {
                    passed = done && passed
                } else {
                    var copy = s
                    passed = copy.withUTF8 { writeString($0, field: i, checks, to: &w) } && passed
                }
            case .null:
                w.putWord(0x6C6C_756E)
                if let checks, !checks.otherPasses(i, .null) { passed = false }
            default:
                write(v, to: &w)
                if let checks, !checks.otherPasses(i, v) { passed = false }
            }
            (values + i).initialize(to: v)
        }
        return passed
    }

    /// Writes the text `u` quoted and escaped, and checks it as the value of field `field`.
    @inline(never) private static func writeString(
        _ u: UnsafeBufferPointer<UInt8>, field: Int, _ checks: FieldChecks.Tables?, to w: inout ByteWriter
    ) -> Bool {
        writeString(u, to: &w)
        return checks?.textPasses(field, u) ?? true
    }

    /// Appends the object of `cells[0..<count]` (aligned with the fields) to `out`, through
    /// `scratch`, as ``encode(_:count:checks:into:scratch:)`` writes and checks the values the
    /// cells stand for.
    func encode(
        cells: UnsafePointer<Cell>, count: Int, checks: FieldChecks.Tables?, into out: inout [UInt8], scratch: ByteScratch
    ) -> Bool {
        let n = min(count, keyOffsets.count - 1)
        var bound = keyOffsets[n] + 2
        for i in 0..<n { bound += cells[i].isText ? cells[i].payload * 6 + 2 : 64 }
        scratch.reserve(bound)
        var w = ByteWriter(scratch.bytes)
        w.put(UInt8(ascii: "{"))
        var passed = true
        keys.withUnsafeBufferPointer { keys in
            keyOffsets.withUnsafeBufferPointer { offsets in
                for i in 0..<n {
                    w.put(keys.baseAddress! + offsets[i], offsets[i + 1] - offsets[i])
                    let c = cells[i]
                    switch c.kind {
                    case .text:
                        if c.plain {
                            w.put(UInt8(ascii: "\""))
                            if let b = c.base { w.put(b, c.payload) }
                            w.put(UInt8(ascii: "\""))
                        } else {
                            RecordEncoder.writeString(c.bytes, to: &w)
                        }
                        if let checks, !checks.textPasses(i, c.bytes) { passed = false }
                    case .null:
                        w.putWord(0x6C6C_756E)
                        if let checks, !checks.otherPasses(i, .null) { passed = false }
                    case .int:
                        RecordEncoder.writeInt(c.payload, to: &w)
                        if let checks, !checks.otherPasses(i, .int(0)) { passed = false }
                    default:
                        let v = c.nonTextValue
                        RecordEncoder.write(v, to: &w)
                        if let checks, !checks.otherPasses(i, v) { passed = false }
                    }
                }
            }
        }
        w.put(UInt8(ascii: "}"))
        if passed { out.append(contentsOf: UnsafeBufferPointer(start: scratch.bytes, count: w.count)) }
        return passed
    }

    /// Appends the object of `values` (aligned with the fields) to `out`, through `scratch`.
    func encode(_ values: [Value], into out: inout [UInt8], scratch: ByteScratch) {
        var values = values
        values.withUnsafeMutableBufferPointer { v in
            _ = encode(v.baseAddress!, count: v.count, checks: nil, into: &out, scratch: scratch)
        }
    }

    /// Writes `v` as ``RecordMapper/jsonLine(_:fields:)`` writes a value.
    @inline(__always) static func write(_ v: Value, to w: inout ByteWriter) {
        switch v {
        case .null: w.putWord(0x6C6C_756E)
        case .string(let s): writeString(s, to: &w)
        case .int(let n): writeInt(n, to: &w)
        case .decimal(let d):
            var text = ""
            JSONWriter.appendNumber(d, into: &text)
            for b in text.utf8 { w.put(b) }
        case .bool(let b):
            if b {
                w.putWord(0x6575_7274)
            } else {
                w.put(UInt8(ascii: "f"))
                w.putWord(0x6573_6C61)
            }
        case .date, .datetime: writeString(v.text, to: &w)
        }
    }

    /// Writes a decimal integer (at most 20 bytes).
    static func writeInt(_ n: Int, to w: inout ByteWriter) {
        if n >= 0 && n < 10 {
            w.put(UInt8(truncatingIfNeeded: n) &+ 0x30)
            return
        }
        if n < 0 { w.put(UInt8(ascii: "-")) }
        var m = n.magnitude
        var digits = 0
        var t = m
        repeat {
            digits += 1
            t /= 10
        } while t != 0
        var k = w.count + digits
        w.count = k
        repeat {
            k -= 1
            w.bytes[k] = UInt8(truncatingIfNeeded: m % 10) &+ 0x30
            m /= 10
        } while m != 0
    }

    /// Writes `s` quoted, escaping as ``JSONWriter/appendString(_:into:)`` does: `\"`, `\\`, `\n`,
    /// `\r`, `\t`, other control characters as `\u00xx`, everything else as is (at most
    /// `6 * s.utf8.count + 2` bytes).
    static func writeString(_ s: String, to w: inout ByteWriter) {
        if let done: Void = s.utf8.withContiguousStorageIfAvailable({ writeString($0, to: &w) }) { return done }
        var s = s
        s.withUTF8 { writeString($0, to: &w) }
    }

    /// Writes the UTF-8 text `u` quoted and escaped.
    @inline(__always) static func writeString(_ u: UnsafeBufferPointer<UInt8>, to w: inout ByteWriter) {
        w.put(UInt8(ascii: "\""))
        guard let p = u.baseAddress else {
            w.put(UInt8(ascii: "\""))
            return
        }
        var start = 0
        var i = ByteScan.firstStringStop(p, from: 0, end: u.count)
        while i < u.count {
            w.put(p + start, i - start)
            let b = p[i]
            w.put(UInt8(ascii: "\\"))
            switch b {
            case 0x22: w.put(0x22)
            case 0x5C: w.put(0x5C)
            case 0x0A: w.put(UInt8(ascii: "n"))
            case 0x0D: w.put(UInt8(ascii: "r"))
            case 0x09: w.put(UInt8(ascii: "t"))
            default:
                let hex: StaticString = "0123456789abcdef"
                w.put(UInt8(ascii: "u"))
                w.put(UInt8(ascii: "0"))
                w.put(UInt8(ascii: "0"))
                w.put(hex.utf8Start[Int(b >> 4)])
                w.put(hex.utf8Start[Int(b & 0xF)])
            }
            start = i + 1
            i = ByteScan.firstStringStop(p, from: start, end: u.count)
        }
        w.put(p + start, u.count - start)
        w.put(UInt8(ascii: "\""))
    }
}
