/// Serialises ``JSONValue``s and scalars to compact or pretty JSON text.
public enum JSONWriter {
    /// Compact JSON (no spaces), keys in stored order.
    public static func compact(_ v: JSONValue) -> String {
        var out = ""
        write(v, into: &out, indent: nil, level: 0)
        return out
    }

    /// Pretty JSON with two-space indentation, keys in stored order, and a trailing newline.
    public static func pretty(_ v: JSONValue) -> String {
        var out = ""
        write(v, into: &out, indent: "  ", level: 0)
        out += "\n"
        return out
    }

    private static func write(_ v: JSONValue, into out: inout String, indent: String?, level: Int) {
        switch v {
        case .null: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .int(let i): out += String(i)
        case .double(let d): appendNumber(d, into: &out)
        case .string(let s): appendString(s, into: &out)
        case .array(let items):
            if items.isEmpty {
                out += "[]"
                return
            }
            out += "["
            for (i, item) in items.enumerated() {
                if i > 0 { out += "," }
                newline(&out, indent, level + 1)
                write(item, into: &out, indent: indent, level: level + 1)
            }
            newline(&out, indent, level)
            out += "]"
        case .object(let pairs):
            if pairs.isEmpty {
                out += "{}"
                return
            }
            out += "{"
            for (i, (k, item)) in pairs.enumerated() {
                if i > 0 { out += "," }
                newline(&out, indent, level + 1)
                appendString(k, into: &out)
                out += indent == nil ? ":" : ": "
                write(item, into: &out, indent: indent, level: level + 1)
            }
            newline(&out, indent, level)
            out += "}"
        }
    }

    private static func newline(_ out: inout String, _ indent: String?, _ level: Int) {
        guard let indent else { return }
        out += "\n"
        for _ in 0..<level { out += indent }
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
