import MapDSL

/// A JSON value of a spec file with the byte span it came from, so the checker can point at it.
///
/// MapDSL's ``JSONParser`` is the fast path for platform replies and keeps no positions; a spec is a
/// small hand-written file whose every problem must be shown at its line and column.
public struct SpecNode: Sendable {
    /// The value.
    public enum Kind: Sendable {
        case null
        case bool(Bool)
        /// A number, with its integer value when it has one.
        case number(Double, Int?)
        case string(String)
        case array([SpecNode])
        case object([SpecMember])
    }

    /// The value.
    public var kind: Kind
    /// Where it is in the file.
    public var span: SourceSpan

    /// The JSON type name used in messages (`object`, `array`, `string`, `integer`, `number`, `boolean`, `null`).
    public var typeName: String {
        switch kind {
        case .null: "null"
        case .bool: "boolean"
        case .number(_, let i): i == nil ? "number" : "integer"
        case .string: "string"
        case .array: "array"
        case .object: "object"
        }
    }

    /// The members of an object (empty otherwise).
    public var members: [SpecMember] {
        if case .object(let m) = kind { return m }
        return []
    }

    /// The member named `key` of an object.
    public subscript(key: String) -> SpecNode? {
        members.first { $0.key == key }?.value
    }

    /// The string, if this is one.
    public var string: String? {
        if case .string(let s) = kind { return s }
        return nil
    }

    /// The integer, if this is one.
    public var int: Int? {
        if case .number(_, let i) = kind { return i }
        return nil
    }

    /// The boolean, if this is one.
    public var bool: Bool? {
        if case .bool(let b) = kind { return b }
        return nil
    }

    /// The elements of an array (empty otherwise).
    public var elements: [SpecNode] {
        if case .array(let a) = kind { return a }
        return []
    }

    /// The value without positions.
    public var json: JSONValue {
        switch kind {
        case .null: return .null
        case .bool(let b): return .bool(b)
        case .number(let d, let i): return i.map(JSONValue.int) ?? .double(d)
        case .string(let s): return .string(s)
        case .array(let a): return .array(a.map(\.json))
        case .object(let m): return .object(m.map { ($0.key, $0.value.json) })
        }
    }
}

/// One `"key": value` member of an object.
public struct SpecMember: Sendable {
    /// The key.
    public var key: String
    /// Where the key (with its quotes) is.
    public var keySpan: SourceSpan
    /// The value.
    public var value: SpecNode
}

/// A JSON syntax error in a spec file.
public struct SpecSyntaxError: Error, Sendable {
    /// What is wrong.
    public var message: String
    /// Byte offset.
    public var offset: Int
}

/// A strict JSON parser (RFC 8259, UTF-8 only) that keeps spans; depth and size are limited.
public struct SpecNodeParser {
    /// Deepest nesting accepted.
    public static let maxDepth = 64
    /// Largest file accepted.
    public static let maxBytes = 1 << 20

    private let bytes: [UInt8]
    private var i = 0

    /// Parses `bytes` into one value.
    public static func parse(_ bytes: [UInt8]) throws(SpecSyntaxError) -> SpecNode {
        guard bytes.count <= maxBytes else {
            throw SpecSyntaxError(message: "spec is \(bytes.count) bytes; at most \(maxBytes) are read", offset: 0)
        }
        guard String(validating: bytes, as: UTF8.self) != nil else {
            let bad = firstInvalidUTF8(bytes)
            throw SpecSyntaxError(message: "the file is not UTF-8", offset: bad)
        }
        var parser = SpecNodeParser(bytes: bytes)
        parser.skipSpace()
        let value = try parser.value(depth: 0)
        parser.skipSpace()
        guard parser.i == bytes.count else { throw SpecSyntaxError(message: "unexpected text after the JSON value", offset: parser.i) }
        return value
    }

    private init(bytes: [UInt8]) { self.bytes = bytes }

    private static func firstInvalidUTF8(_ bytes: [UInt8]) -> Int {
        var lo = 0
        var hi = bytes.count
        // The longest valid prefix, by bisection over prefixes that end on a character boundary.
        while lo < hi {
            let mid = (lo + hi + 1) / 2
            var end = mid
            while end > 0, end < bytes.count, bytes[end] & 0xC0 == 0x80 { end -= 1 }
            if String(validating: bytes[0..<end], as: UTF8.self) != nil { lo = mid } else { hi = mid - 1 }
        }
        return lo
    }

    private mutating func skipSpace() {
        while i < bytes.count, bytes[i] == 0x20 || bytes[i] == 0x0A || bytes[i] == 0x0D || bytes[i] == 0x09 { i += 1 }
    }

    private func fail(_ message: String, at offset: Int? = nil) -> SpecSyntaxError {
        SpecSyntaxError(message: message, offset: offset ?? i)
    }

    private mutating func value(depth: Int) throws(SpecSyntaxError) -> SpecNode {
        guard depth < Self.maxDepth else { throw fail("nested more than \(Self.maxDepth) levels deep") }
        guard i < bytes.count else { throw fail("expected a value, found the end of the file") }
        let start = i
        switch bytes[i] {
        case UInt8(ascii: "{"):
            i += 1
            var members: [SpecMember] = []
            skipSpace()
            if i < bytes.count, bytes[i] == UInt8(ascii: "}") {
                i += 1
                return SpecNode(kind: .object(members), span: SourceSpan(start, i))
            }
            while true {
                skipSpace()
                guard i < bytes.count, bytes[i] == UInt8(ascii: "\"") else { throw fail("expected a quoted key") }
                let keyStart = i
                let key = try string()
                let keySpan = SourceSpan(keyStart, i)
                skipSpace()
                guard i < bytes.count, bytes[i] == UInt8(ascii: ":") else { throw fail("expected ':' after the key") }
                i += 1
                skipSpace()
                members.append(SpecMember(key: key, keySpan: keySpan, value: try value(depth: depth + 1)))
                skipSpace()
                guard i < bytes.count else { throw fail("unclosed object (opened here)", at: start) }
                if bytes[i] == UInt8(ascii: ",") {
                    i += 1
                    continue
                }
                guard bytes[i] == UInt8(ascii: "}") else { throw fail("expected ',' or '}'") }
                i += 1
                return SpecNode(kind: .object(members), span: SourceSpan(start, i))
            }
        case UInt8(ascii: "["):
            i += 1
            var elements: [SpecNode] = []
            skipSpace()
            if i < bytes.count, bytes[i] == UInt8(ascii: "]") {
                i += 1
                return SpecNode(kind: .array(elements), span: SourceSpan(start, i))
            }
            while true {
                skipSpace()
                elements.append(try value(depth: depth + 1))
                skipSpace()
                guard i < bytes.count else { throw fail("unclosed array (opened here)", at: start) }
                if bytes[i] == UInt8(ascii: ",") {
                    i += 1
                    continue
                }
                guard bytes[i] == UInt8(ascii: "]") else { throw fail("expected ',' or ']'") }
                i += 1
                return SpecNode(kind: .array(elements), span: SourceSpan(start, i))
            }
        case UInt8(ascii: "\""):
            let text = try string()
            return SpecNode(kind: .string(text), span: SourceSpan(start, i))
        case UInt8(ascii: "t"): return try literal("true", .bool(true))
        case UInt8(ascii: "f"): return try literal("false", .bool(false))
        case UInt8(ascii: "n"): return try literal("null", .null)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try number()
        default: throw fail("expected a value")
        }
    }

    private mutating func literal(_ word: String, _ kind: SpecNode.Kind) throws(SpecSyntaxError) -> SpecNode {
        let start = i
        let w = Array(word.utf8)
        guard i + w.count <= bytes.count, Array(bytes[i..<(i + w.count)]) == w else { throw fail("expected a value") }
        i += w.count
        return SpecNode(kind: kind, span: SourceSpan(start, i))
    }

    private mutating func number() throws(SpecSyntaxError) -> SpecNode {
        let start = i
        if bytes[i] == UInt8(ascii: "-") { i += 1 }
        func digits(_ i: inout Int, _ bytes: [UInt8]) -> Int {
            let s = i
            while i < bytes.count, bytes[i] >= 0x30, bytes[i] <= 0x39 { i += 1 }
            return i - s
        }
        let intStart = i
        guard digits(&i, bytes) > 0 else { throw fail("invalid number", at: start) }
        if bytes[intStart] == 0x30, i - intStart > 1 { throw fail("a number cannot start with 0", at: start) }
        var integral = true
        if i < bytes.count, bytes[i] == UInt8(ascii: ".") {
            i += 1
            integral = false
            guard digits(&i, bytes) > 0 else { throw fail("invalid number", at: start) }
        }
        if i < bytes.count, bytes[i] == UInt8(ascii: "e") || bytes[i] == UInt8(ascii: "E") {
            i += 1
            integral = false
            if i < bytes.count, bytes[i] == UInt8(ascii: "+") || bytes[i] == UInt8(ascii: "-") { i += 1 }
            guard digits(&i, bytes) > 0 else { throw fail("invalid number", at: start) }
        }
        let text = String(decoding: bytes[start..<i], as: UTF8.self)
        guard let d = Double(text), d.isFinite else { throw fail("number out of range", at: start) }
        return SpecNode(kind: .number(d, integral ? Int(text) : nil), span: SourceSpan(start, i))
    }

    private mutating func string() throws(SpecSyntaxError) -> String {
        let start = i
        i += 1
        var out: [UInt8] = []
        while true {
            guard i < bytes.count else { throw fail("unterminated string", at: start) }
            let b = bytes[i]
            switch b {
            case UInt8(ascii: "\""):
                i += 1
                return String(decoding: out, as: UTF8.self)
            case UInt8(ascii: "\\"):
                guard i + 1 < bytes.count else { throw fail("unterminated string", at: start) }
                let e = bytes[i + 1]
                i += 2
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
                    if (0xD800..<0xDC00).contains(scalar) {
                        guard i + 1 < bytes.count, bytes[i] == UInt8(ascii: "\\"), bytes[i + 1] == UInt8(ascii: "u") else {
                            throw fail("unpaired surrogate in \\u escape", at: i - 6)
                        }
                        i += 2
                        let low = try hex4()
                        guard (0xDC00..<0xE000).contains(low) else { throw fail("unpaired surrogate in \\u escape", at: i - 6) }
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    }
                    guard let u = Unicode.Scalar(scalar) else { throw fail("invalid \\u escape", at: i - 6) }
                    out.append(contentsOf: Array(String(Character(u)).utf8))
                default: throw fail("invalid escape sequence", at: i - 2)
                }
            default:
                guard b >= 0x20 else { throw fail("control character in a string (escape it)") }
                out.append(b)
                i += 1
            }
        }
    }

    private mutating func hex4() throws(SpecSyntaxError) -> UInt32 {
        guard i + 4 <= bytes.count else { throw fail("invalid \\u escape") }
        var v: UInt32 = 0
        for _ in 0..<4 {
            let b = bytes[i]
            let d: UInt32
            switch b {
            case 0x30...0x39: d = UInt32(b - 0x30)
            case 0x41...0x46: d = UInt32(b - 0x41 + 10)
            case 0x61...0x66: d = UInt32(b - 0x61 + 10)
            default: throw fail("invalid \\u escape")
            }
            v = v * 16 + d
            i += 1
        }
        return v
    }
}
