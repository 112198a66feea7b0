/// Serialises ``JSONValue``s and scalars to compact or pretty JSON text.
///
/// Output collects as UTF-8 bytes and becomes a `String` once; strings are copied in runs between
/// the bytes that need escaping, found eight bytes at a time. The byte-level `append` functions let
/// callers splice JSON into larger documents (event payloads, request bodies) without building a
/// ``JSONValue`` first.
public enum JSONWriter {
    /// Compact JSON (no spaces), keys in stored order.
    public static func compact(_ v: JSONValue) -> String {
        String(decoding: bytes(v), as: UTF8.self)
    }

    /// Pretty JSON with two-space indentation, keys in stored order, and a trailing newline.
    public static func pretty(_ v: JSONValue) -> String {
        var out = [UInt8]()
        out.reserveCapacity(256)
        write(v, into: &out, indent: Array("  ".utf8), level: 0)
        out.append(0x0A)
        return String(decoding: out, as: UTF8.self)
    }

    /// The compact JSON text of `v` as UTF-8 bytes (``compact(_:)`` without making a `String`).
    public static func bytes(_ v: JSONValue) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(256)
        write(v, into: &out, indent: nil, level: 0)
        return out
    }

    /// Appends the compact JSON text of `v` to `out`.
    public static func append(_ v: JSONValue, to out: inout [UInt8]) {
        write(v, into: &out, indent: nil, level: 0)
    }

    /// Appends `s` as a quoted, escaped JSON string.
    public static func appendString(_ s: String, to out: inout [UInt8]) {
        var s = s
        s.withUTF8 { appendString(utf8: $0, to: &out) }
    }

    /// Appends the UTF-8 text `utf8` as a quoted, escaped JSON string.
    public static func appendString(utf8: UnsafeBufferPointer<UInt8>, to out: inout [UInt8]) {
        if let base = utf8.baseAddress, utf8.count <= 128, ByteScan.firstStringStop(base, from: 0, end: utf8.count) == utf8.count {
            // Nothing to escape (the usual case): quotes and text go in with one append.
            let n = utf8.count
            withUnsafeTemporaryAllocation(of: UInt8.self, capacity: n + 2) { buffer in
                let quoted = buffer.baseAddress!
                quoted[0] = 0x22
                (quoted + 1).update(from: base, count: n)
                quoted[n + 1] = 0x22
                out.append(contentsOf: UnsafeBufferPointer(start: quoted, count: n + 2))
            }
            return
        }
        out.append(0x22)
        if let base = utf8.baseAddress {
            let n = utf8.count
            var clean = 0
            while true {
                let stop = ByteScan.firstStringStop(base, from: clean, end: n)
                out.append(contentsOf: UnsafeBufferPointer(start: base + clean, count: stop - clean))
                if stop == n { break }
                appendEscape(base[stop], to: &out)
                clean = stop + 1
            }
        }
        out.append(0x22)
    }

    private static func appendEscape(_ b: UInt8, to out: inout [UInt8]) {
        out.append(0x5C)
        switch b {
        case 0x22, 0x5C: out.append(b)
        case 0x0A: out.append(0x6E)
        case 0x0D: out.append(0x72)
        case 0x09: out.append(0x74)
        default:
            let hex: StaticString = "0123456789abcdef"
            let digits = hex.utf8Start
            out.append(contentsOf: [0x75, 0x30, 0x30, digits[Int(b >> 4)], digits[Int(b & 0x0F)]])
        }
    }

    /// Appends the decimal digits of `i`.
    public static func appendInt(_ i: Int, to out: inout [UInt8]) {
        if i >= 0 && i < 10 {
            out.append(0x30 + UInt8(i))
            return
        }
        var v = i.magnitude
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { buf in
            var p = 20
            repeat {
                p -= 1
                buf[p] = 0x30 + UInt8(v % 10)
                v /= 10
            } while v > 0
            if i < 0 { out.append(0x2D) }
            out.append(contentsOf: UnsafeBufferPointer(rebasing: buf[p..<20]))
        }
    }

    /// Appends a number the way JSON wants it: integral values without a fraction, no NaN/inf.
    public static func appendNumber(_ d: Double, to out: inout [UInt8]) {
        if !d.isFinite {
            appendRaw("null", to: &out)
        } else if d.rounded() == d && abs(d) < 1e15 {
            appendInt(Int(d), to: &out)
        } else {
            var text = String(d)
            text.withUTF8 { out.append(contentsOf: $0) }
        }
    }

    /// Appends literal text as it is (no quotes, no escaping): punctuation and keys of JSON being spliced.
    public static func appendRaw(_ literal: StaticString, to out: inout [UInt8]) {
        literal.withUTF8Buffer { out.append(contentsOf: $0) }
    }

    private static func write(_ v: JSONValue, into out: inout [UInt8], indent: [UInt8]?, level: Int) {
        switch v {
        case .null: appendRaw("null", to: &out)
        case .bool(let b): appendRaw(b ? "true" : "false", to: &out)
        case .int(let i): appendInt(i, to: &out)
        case .double(let d): appendNumber(d, to: &out)
        case .string(let s): appendString(s, to: &out)
        case .array(let items):
            if items.isEmpty {
                appendRaw("[]", to: &out)
                return
            }
            out.append(0x5B)
            for i in items.indices {
                if i > 0 { out.append(0x2C) }
                newline(&out, indent, level + 1)
                write(items[i], into: &out, indent: indent, level: level + 1)
            }
            newline(&out, indent, level)
            out.append(0x5D)
        case .object(let pairs):
            if pairs.isEmpty {
                appendRaw("{}", to: &out)
                return
            }
            out.append(0x7B)
            for i in pairs.indices {
                if i > 0 { out.append(0x2C) }
                newline(&out, indent, level + 1)
                appendString(pairs[i].0, to: &out)
                out.append(0x3A)
                if indent != nil { out.append(0x20) }
                write(pairs[i].1, into: &out, indent: indent, level: level + 1)
            }
            newline(&out, indent, level)
            out.append(0x7D)
        }
    }

    private static func newline(_ out: inout [UInt8], _ indent: [UInt8]?, _ level: Int) {
        guard let indent else { return }
        out.append(0x0A)
        for _ in 0..<level { out.append(contentsOf: indent) }
    }

    // MARK: Appending to a String

    /// Appends a number the way JSON wants it: integral values without a fraction, no NaN/inf.
    public static func appendNumber(_ d: Double, into out: inout String) {
        if !d.isFinite {
            out += "null"
        } else if d.rounded() == d && abs(d) < 1e15 {
            out += String(Int(d))
        } else {
            out += String(d)
        }
    }

    /// Appends `s` as a quoted, escaped JSON string.
    public static func appendString(_ s: String, into out: inout String) {
        out += "\""
        var needsEscape = false
        for b in s.utf8 where b < 0x20 || b == 0x22 || b == 0x5C {
            needsEscape = true
            break
        }
        if !needsEscape {
            out += s
        } else {
            for u in s.unicodeScalars {
                switch u {
                case "\"": out += "\\\""
                case "\\": out += "\\\\"
                case "\n": out += "\\n"
                case "\r": out += "\\r"
                case "\t": out += "\\t"
                case _ where u.value < 0x20:
                    let hex = String(u.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                default: out.unicodeScalars.append(u)
                }
            }
        }
        out += "\""
    }
}
