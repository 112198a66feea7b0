/// A JSON syntax error with its byte offset.
public struct JSONParseError: Error, Sendable, CustomStringConvertible, Equatable {
    /// What was wrong.
    public var message: String
    /// Byte offset in the input.
    public var offset: Int

    public var description: String { "\(message) at byte \(offset)" }
}

/// A strict RFC 8259 JSON parser over UTF-8 bytes.
///
/// Bytes in strings that are not UTF-8 become U+FFFD unless the caller asks for them to be
/// refused (`rejectingInvalidUTF8`): records are read that way, so that a value is never quietly
/// repaired into something else.
public struct JSONParser {
    private let bytes: UnsafeBufferPointer<UInt8>
    private let rejectsInvalidUTF8: Bool
    private var pos = 0
    private var depth = 0
    private static let maxDepth = 512

    private init(_ bytes: UnsafeBufferPointer<UInt8>, rejectingInvalidUTF8: Bool) {
        self.bytes = bytes
        self.rejectsInvalidUTF8 = rejectingInvalidUTF8
    }

    /// Parses one JSON document from `text`.
    public static func parse(_ text: String) throws(JSONParseError) -> JSONValue {
        try parse(Array(text.utf8))
    }

    /// Parses one JSON document from bytes.
    public static func parse(_ bytes: [UInt8], rejectingInvalidUTF8: Bool = false) throws(JSONParseError) -> JSONValue {
        try bytes.withUnsafeBufferPointer { (buf) throws(JSONParseError) -> JSONValue in
            try parse(buf, rejectingInvalidUTF8: rejectingInvalidUTF8)
        }
    }

    /// Parses one JSON document from a buffer; trailing whitespace is allowed, anything else is an
    /// error, and so are bytes in a string that are not UTF-8 when `rejectingInvalidUTF8`.
    public static func parse(_ buf: UnsafeBufferPointer<UInt8>, rejectingInvalidUTF8: Bool = false) throws(JSONParseError) -> JSONValue {
        var p = JSONParser(buf, rejectingInvalidUTF8: rejectingInvalidUTF8)
        p.skipWhitespace()
        let v = try p.parseValue()
        p.skipWhitespace()
        if p.pos != buf.count { throw p.error("unexpected data after the JSON value") }
        return v
    }

    private func error(_ m: String) -> JSONParseError { JSONParseError(message: m, offset: pos) }

    private mutating func skipWhitespace() {
        while pos < bytes.count {
            let b = bytes[pos]
            if b == 0x20 || b == 0x0A || b == 0x0D || b == 0x09 { pos += 1 } else { break }
        }
    }

    private mutating func parseValue() throws(JSONParseError) -> JSONValue {
        guard pos < bytes.count else { throw error("unexpected end of input") }
        switch bytes[pos] {
        case UInt8(ascii: "{"): return try parseObject()
        case UInt8(ascii: "["): return try parseArray()
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"): try literal(0x74, 0x72, 0x75, 0x65); return .bool(true)
        case UInt8(ascii: "f"):
            try literal(0x66, 0x61, 0x6C, 0x73)
            guard pos < bytes.count, bytes[pos] == UInt8(ascii: "e") else { throw error("invalid literal") }
            pos += 1
            return .bool(false)
        case UInt8(ascii: "n"): try literal(0x6E, 0x75, 0x6C, 0x6C); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try parseNumber()
        default: throw error("unexpected character '\(Character(Unicode.Scalar(bytes[pos])))'")
        }
    }

    /// Consumes the four bytes `a b c d` (`true`, `null`, the start of `false`).
    private mutating func literal(_ a: UInt8, _ b: UInt8, _ c: UInt8, _ d: UInt8) throws(JSONParseError) {
        guard pos + 4 <= bytes.count, bytes[pos] == a, bytes[pos + 1] == b, bytes[pos + 2] == c, bytes[pos + 3] == d else {
            throw error("invalid literal")
        }
        pos += 4
    }

    private mutating func parseObject() throws(JSONParseError) -> JSONValue {
        depth += 1
        if depth > Self.maxDepth { throw error("nesting too deep") }
        defer { depth -= 1 }
        pos += 1
        var pairs: [(String, JSONValue)] = []
        skipWhitespace()
        if pos < bytes.count, bytes[pos] == UInt8(ascii: "}") {
            pos += 1
            return .object(pairs)
        }
        while true {
            skipWhitespace()
            guard pos < bytes.count, bytes[pos] == UInt8(ascii: "\"") else { throw error("expected a string key") }
            let key = try parseString()
            skipWhitespace()
            guard pos < bytes.count, bytes[pos] == UInt8(ascii: ":") else { throw error("expected ':'") }
            pos += 1
            skipWhitespace()
            let value = try parseValue()
            pairs.append((key, value))
            skipWhitespace()
            guard pos < bytes.count else { throw error("unterminated object") }
            if bytes[pos] == UInt8(ascii: ",") {
                pos += 1
                continue
            }
            if bytes[pos] == UInt8(ascii: "}") {
                pos += 1
                return .object(pairs)
            }
            throw error("expected ',' or '}'")
        }
    }

    private mutating func parseArray() throws(JSONParseError) -> JSONValue {
        depth += 1
        if depth > Self.maxDepth { throw error("nesting too deep") }
        defer { depth -= 1 }
        pos += 1
        var items: [JSONValue] = []
        skipWhitespace()
        if pos < bytes.count, bytes[pos] == UInt8(ascii: "]") {
            pos += 1
            return .array(items)
        }
        while true {
            skipWhitespace()
            items.append(try parseValue())
            skipWhitespace()
            guard pos < bytes.count else { throw error("unterminated array") }
            if bytes[pos] == UInt8(ascii: ",") {
                pos += 1
                continue
            }
            if bytes[pos] == UInt8(ascii: "]") {
                pos += 1
                return .array(items)
            }
            throw error("expected ',' or ']'")
        }
    }

    private mutating func parseNumber() throws(JSONParseError) -> JSONValue {
        let start = pos
        var isInt = true
        if bytes[pos] == UInt8(ascii: "-") { pos += 1 }
        guard pos < bytes.count, isDigit(bytes[pos]) else { throw error("invalid number") }
        if bytes[pos] == UInt8(ascii: "0") {
            pos += 1
        } else {
            while pos < bytes.count, isDigit(bytes[pos]) { pos += 1 }
        }
        if pos < bytes.count, bytes[pos] == UInt8(ascii: ".") {
            isInt = false
            pos += 1
            guard pos < bytes.count, isDigit(bytes[pos]) else { throw error("invalid number") }
            while pos < bytes.count, isDigit(bytes[pos]) { pos += 1 }
        }
        if pos < bytes.count, bytes[pos] == UInt8(ascii: "e") || bytes[pos] == UInt8(ascii: "E") {
            isInt = false
            pos += 1
            if pos < bytes.count, bytes[pos] == UInt8(ascii: "+") || bytes[pos] == UInt8(ascii: "-") { pos += 1 }
            guard pos < bytes.count, isDigit(bytes[pos]) else { throw error("invalid number") }
            while pos < bytes.count, isDigit(bytes[pos]) { pos += 1 }
        }
        // Integers of up to 18 digits cannot overflow: read them without making text.
        let digits = pos - start - (bytes[start] == UInt8(ascii: "-") ? 1 : 0)
        if isInt && digits <= 18 {
            var i = bytes[start] == UInt8(ascii: "-") ? start + 1 : start
            var value = 0
            while i < pos {
                value = value &* 10 &+ Int(bytes[i] &- 0x30)
                i += 1
            }
            return .int(bytes[start] == UInt8(ascii: "-") ? -value : value)
        }
        let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<pos]), as: UTF8.self)
        if isInt, let i = Int(text) { return .int(i) }
        guard let d = Double(text) else { throw error("invalid number") }
        return .double(d)
    }

    private func isDigit(_ b: UInt8) -> Bool { b >= 0x30 && b <= 0x39 }

    private mutating func parseString() throws(JSONParseError) -> String {
        pos += 1
        let start = pos
        // Fast path: no escapes; plain bytes are skipped eight at a time.
        if let base = bytes.baseAddress {
            var high: UInt64 = 0
            pos = ByteScan.firstStringStop(base, from: pos, end: bytes.count, high: &high)
            if pos < bytes.count {
                let b = bytes[pos]
                if b == UInt8(ascii: "\"") {
                    if rejectsInvalidUTF8, !ByteScan.isASCII(high), let bad = ByteScan.firstInvalidUTF8(base + start, pos - start) {
                        throw JSONParseError(message: "invalid UTF-8 in a string", offset: start + bad)
                    }
                    let s = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<pos]), as: UTF8.self)
                    pos += 1
                    return s
                }
                if b < 0x20 { throw error("control character in string") }
            }
        }
        var out = Array(bytes[start..<pos])
        while pos < bytes.count {
            let b = bytes[pos]
            if b == UInt8(ascii: "\"") {
                // Escapes decode to well-formed UTF-8: a bad byte is one of the raw ones.
                if rejectsInvalidUTF8, let bad = bytes.baseAddress.flatMap({ ByteScan.firstInvalidUTF8($0 + start, pos - start) }) {
                    throw JSONParseError(message: "invalid UTF-8 in a string", offset: start + bad)
                }
                pos += 1
                return String(decoding: out, as: UTF8.self)
            }
            if b < 0x20 { throw error("control character in string") }
            if b != UInt8(ascii: "\\") {
                out.append(b)
                pos += 1
                continue
            }
            pos += 1
            guard pos < bytes.count else { break }
            let e = bytes[pos]
            pos += 1
            switch e {
            case UInt8(ascii: "\""): out.append(0x22)
            case UInt8(ascii: "\\"): out.append(0x5C)
            case UInt8(ascii: "/"): out.append(0x2F)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"):
                var scalar = try hex4()
                if scalar >= 0xD800 && scalar < 0xDC00 {
                    guard pos + 1 < bytes.count, bytes[pos] == UInt8(ascii: "\\"), bytes[pos + 1] == UInt8(ascii: "u")
                    else { throw error("unpaired surrogate") }
                    pos += 2
                    let low = try hex4()
                    guard low >= 0xDC00 && low < 0xE000 else { throw error("unpaired surrogate") }
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                } else if scalar >= 0xDC00 && scalar < 0xE000 {
                    throw error("unpaired surrogate")
                }
                guard let u = Unicode.Scalar(scalar) else { throw error("invalid unicode escape") }
                out.append(contentsOf: Array(String(Character(u)).utf8))
            default: throw error("invalid escape")
            }
        }
        throw error("unterminated string")
    }

    private mutating func hex4() throws(JSONParseError) -> UInt32 {
        guard pos + 4 <= bytes.count else { throw error("invalid unicode escape") }
        var v: UInt32 = 0
        for _ in 0..<4 {
            let b = bytes[pos]
            let d: UInt32
            switch b {
            case 0x30...0x39: d = UInt32(b - 0x30)
            case 0x41...0x46: d = UInt32(b - 0x41 + 10)
            case 0x61...0x66: d = UInt32(b - 0x61 + 10)
            default: throw error("invalid unicode escape")
            }
            v = v * 16 + d
            pos += 1
        }
        return v
    }
}
