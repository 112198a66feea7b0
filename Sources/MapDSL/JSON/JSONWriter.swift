/// Serialises ``JSONValue``s and scalars to compact or pretty JSON text.
public enum JSONWriter {
    /// Compact JSON (no spaces), keys in stored order.
    public static func compact(_ v: JSONValue) -> String {
        var out = ByteBuffer()
        write(v, into: &out, indent: nil, level: 0)
        return out.string
    }

    /// Pretty JSON with two-space indentation, keys in stored order, and a trailing newline.
    public static func pretty(_ v: JSONValue) -> String {
        var out = ByteBuffer()
        write(v, into: &out, indent: "  ", level: 0)
        out.bytes.append(0x0A)
        return out.string
    }

    /// Output collects as UTF-8 bytes and becomes a `String` once: appending piece by piece to a
    /// `String` cost more than everything else in writing an event payload.
    private struct ByteBuffer {
        var bytes: [UInt8] = []

        init() { bytes.reserveCapacity(256) }

        mutating func append(_ literal: StaticString) {
            literal.withUTF8Buffer { bytes.append(contentsOf: $0) }
        }

        mutating func append(_ s: String) {
            var s = s
            s.withUTF8 { bytes.append(contentsOf: $0) }
        }

        var string: String { String(decoding: bytes, as: UTF8.self) }
    }

    private static func write(_ v: JSONValue, into out: inout ByteBuffer, indent: String?, level: Int) {
        switch v {
        case .null: out.append("null")
        case .bool(let b): out.append(b ? "true" : "false")
        case .int(let i): out.append(String(i))
        case .double(let d):
            var text = ""
            appendNumber(d, into: &text)
            out.append(text)
        case .string(let s): appendString(s, into: &out)
        case .array(let items):
            if items.isEmpty {
                out.append("[]")
                return
            }
            out.bytes.append(0x5B)
            for (i, item) in items.enumerated() {
                if i > 0 { out.bytes.append(0x2C) }
                newline(&out, indent, level + 1)
                write(item, into: &out, indent: indent, level: level + 1)
            }
            newline(&out, indent, level)
            out.bytes.append(0x5D)
        case .object(let pairs):
            if pairs.isEmpty {
                out.append("{}")
                return
            }
            out.bytes.append(0x7B)
            for (i, (k, item)) in pairs.enumerated() {
                if i > 0 { out.bytes.append(0x2C) }
                newline(&out, indent, level + 1)
                appendString(k, into: &out)
                out.append(indent == nil ? ":" : ": ")
                write(item, into: &out, indent: indent, level: level + 1)
            }
            newline(&out, indent, level)
            out.bytes.append(0x7D)
        }
    }

    private static func newline(_ out: inout ByteBuffer, _ indent: String?, _ level: Int) {
        guard let indent else { return }
        out.bytes.append(0x0A)
        for _ in 0..<level { out.append(indent) }
    }

    private static func appendString(_ s: String, into out: inout ByteBuffer) {
        var s = s
        s.withUTF8 { utf8 in
            out.bytes.append(0x22)
            var clean = 0
            for (i, b) in utf8.enumerated() where b < 0x20 || b == 0x22 || b == 0x5C {
                out.bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[clean..<i]))
                clean = i + 1
                out.bytes.append(0x5C)
                switch b {
                case 0x22, 0x5C: out.bytes.append(b)
                case 0x0A: out.bytes.append(0x6E)
                case 0x0D: out.bytes.append(0x72)
                case 0x09: out.bytes.append(0x74)
                default:
                    let hex: [UInt8] = Array("0123456789abcdef".utf8)
                    out.bytes.append(contentsOf: [0x75, 0x30, 0x30, hex[Int(b >> 4)], hex[Int(b & 0x0F)]])
                }
            }
            out.bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[clean...]))
            out.bytes.append(0x22)
        }
    }

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
