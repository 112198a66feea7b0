import Foundation
import MapDSL

/// Reads JSON text straight into ``JSONValue``s, without the intermediate tree of mapc's `JSONParser`.
///
/// It accepts exactly what `JSONParser` accepts (RFC 8259, nesting up to 512 levels, strings repaired
/// as `String(decoding:as:)` repairs invalid UTF-8) and yields what converting that parser's result
/// gives (numbers as `Double`s, duplicate keys keeping the last value); `JSONReaderTests` checks the
/// two against each other on valid and corrupted documents. ``ColumnDecoder`` builds on it to read
/// objects as values by column.
struct JSONReader {
    /// The text is not JSON (the position is not reported: sandbox replies do not quote it).
    struct Failure: Error {}

    let bytes: UnsafeBufferPointer<UInt8>
    /// Index of the next byte to read.
    var position = 0
    private var depth = 0
    private static let maxDepth = 512

    /// A reader at the start of `bytes`.
    init(_ bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
    }

    /// The document in `bytes` (one value, whitespace around it), or `nil` when it is not JSON.
    static func parse(_ bytes: UnsafeBufferPointer<UInt8>) -> JSONValue? {
        var reader = JSONReader(bytes)
        return try? reader.document { reader throws(Failure) in try reader.value() }
    }

    /// The document in `data`, or `nil` when it is not JSON.
    static func parse(_ data: Data) -> JSONValue? {
        data.withUnsafeBytes { raw in parse(raw.bindMemory(to: UInt8.self)) }
    }

    /// Reads one whole document with `read`: leading whitespace, the value, trailing whitespace, end.
    mutating func document<Value>(_ read: (inout JSONReader) throws(Failure) -> Value) throws(Failure) -> Value {
        skipWhitespace()
        let value = try read(&self)
        skipWhitespace()
        guard position == bytes.count else { throw Failure() }
        return value
    }

    // MARK: - Structure

    /// The next byte, or `nil` at the end.
    var next: UInt8? {
        position < bytes.count ? bytes[position] : nil
    }

    mutating func skipWhitespace() {
        while position < bytes.count {
            switch bytes[position] {
            case 0x20, 0x0A, 0x0D, 0x09: position += 1
            default: return
            }
        }
    }

    /// Consumes `byte` or fails.
    mutating func expect(_ byte: UInt8) throws(Failure) {
        guard position < bytes.count, bytes[position] == byte else { throw Failure() }
        position += 1
    }

    /// Enters an object or array (`{` or `[` at the position), counting nesting depth as `JSONParser` does.
    mutating func enter() throws(Failure) {
        depth += 1
        if depth > Self.maxDepth { throw Failure() }
        position += 1
    }

    /// Leaves an object or array.
    mutating func leave() {
        depth -= 1
    }

    /// After a member or element: true when `,` follows (consumed), false when `close` does (consumed).
    mutating func more(_ close: UInt8) throws(Failure) -> Bool {
        skipWhitespace()
        guard position < bytes.count else { throw Failure() }
        let byte = bytes[position]
        position += 1
        if byte == UInt8(ascii: ",") { return true }
        if byte == close { return false }
        throw Failure()
    }

    /// Whether the container just entered is empty (`close` follows, consumed).
    mutating func isEmpty(_ close: UInt8) -> Bool {
        skipWhitespace()
        if position < bytes.count, bytes[position] == close {
            position += 1
            return true
        }
        return false
    }

    // MARK: - Values

    /// Any value.
    mutating func value() throws(Failure) -> JSONValue {
        guard position < bytes.count else { throw Failure() }
        switch bytes[position] {
        case UInt8(ascii: "{"): return try object()
        case UInt8(ascii: "["): return try array()
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"):
            try literal("true")
            return .bool(true)
        case UInt8(ascii: "f"):
            try literal("false")
            return .bool(false)
        case UInt8(ascii: "n"):
            try literal("null")
            return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try number())
        default: throw Failure()
        }
    }

    /// Reads past any value, checking it as ``value()`` does but building nothing.
    mutating func skipValue() throws(Failure) {
        guard position < bytes.count else { throw Failure() }
        switch bytes[position] {
        case UInt8(ascii: "{"):
            try enter()
            defer { leave() }
            if isEmpty(UInt8(ascii: "}")) { return }
            repeat {
                skipWhitespace()
                guard next == UInt8(ascii: "\"") else { throw Failure() }
                _ = try rawString()
                try colon()
                try skipValue()
            } while try more(UInt8(ascii: "}"))
        case UInt8(ascii: "["):
            try enter()
            defer { leave() }
            if isEmpty(UInt8(ascii: "]")) { return }
            repeat {
                skipWhitespace()
                try skipValue()
            } while try more(UInt8(ascii: "]"))
        case UInt8(ascii: "\""): _ = try rawString()
        case UInt8(ascii: "t"): try literal("true")
        case UInt8(ascii: "f"): try literal("false")
        case UInt8(ascii: "n"): try literal("null")
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): _ = try number()
        default: throw Failure()
        }
    }

    private mutating func literal(_ word: StaticString) throws(Failure) {
        let count = word.utf8CodeUnitCount
        guard position + count <= bytes.count else { throw Failure() }
        let text = word.utf8Start
        for offset in 0..<count where bytes[position + offset] != text[offset] {
            throw Failure()
        }
        position += count
    }

    private mutating func object() throws(Failure) -> JSONValue {
        try enter()
        defer { leave() }
        var fields: [String: JSONValue] = [:]
        if isEmpty(UInt8(ascii: "}")) { return .object(fields) }
        repeat {
            let (name, value) = try member()
            fields[name] = value
        } while try more(UInt8(ascii: "}"))
        return .object(fields)
    }

    /// One `"name": value` member of an object.
    mutating func member() throws(Failure) -> (String, JSONValue) {
        skipWhitespace()
        guard next == UInt8(ascii: "\"") else { throw Failure() }
        let name = try string()
        try colon()
        return (name, try value())
    }

    /// The `:` between a member's name and value, with the whitespace around it.
    mutating func colon() throws(Failure) {
        skipWhitespace()
        try expect(UInt8(ascii: ":"))
        skipWhitespace()
    }

    private mutating func array() throws(Failure) -> JSONValue {
        try enter()
        defer { leave() }
        var items: [JSONValue] = []
        if isEmpty(UInt8(ascii: "]")) { return .array(items) }
        repeat {
            skipWhitespace()
            items.append(try value())
        } while try more(UInt8(ascii: "]"))
        return .array(items)
    }

    /// A number (the position is at `-` or a digit), as `JSONParser`'s integer or double becomes a `Double`.
    mutating func number() throws(Failure) -> Double {
        let start = position
        var isInteger = true
        let negative = bytes[position] == UInt8(ascii: "-")
        if negative { position += 1 }
        guard position < bytes.count, isDigit(bytes[position]) else { throw Failure() }
        if bytes[position] == UInt8(ascii: "0") {
            position += 1
        } else {
            skipDigits()
        }
        if position < bytes.count, bytes[position] == UInt8(ascii: ".") {
            isInteger = false
            position += 1
            guard position < bytes.count, isDigit(bytes[position]) else { throw Failure() }
            skipDigits()
        }
        if position < bytes.count, bytes[position] == UInt8(ascii: "e") || bytes[position] == UInt8(ascii: "E") {
            isInteger = false
            position += 1
            if position < bytes.count, bytes[position] == UInt8(ascii: "+") || bytes[position] == UInt8(ascii: "-") {
                position += 1
            }
            guard position < bytes.count, isDigit(bytes[position]) else { throw Failure() }
            skipDigits()
        }
        let digits = position - start - (negative ? 1 : 0)
        if isInteger && digits <= 18 {
            var value = 0
            for index in (negative ? start + 1 : start)..<position {
                value = value &* 10 &+ Int(bytes[index] &- 0x30)
            }
            return Double(negative ? -value : value)
        }
        let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<position]), as: UTF8.self)
        if isInteger, let integer = Int(text) { return Double(integer) }
        guard let double = Double(text) else { throw Failure() }
        return double
    }

    private func isDigit(_ byte: UInt8) -> Bool {
        byte >= 0x30 && byte <= 0x39
    }

    private mutating func skipDigits() {
        while position < bytes.count, isDigit(bytes[position]) { position += 1 }
    }

    // MARK: - Strings

    /// A string (the position is at its opening quote).
    mutating func string() throws(Failure) -> String {
        switch try rawString() {
        case .plain(let range): String(decoding: UnsafeBufferPointer(rebasing: bytes[range]), as: UTF8.self)
        case .unescaped(let text): String(decoding: text, as: UTF8.self)
        }
    }

    /// A string's content (the position is at its opening quote).
    enum RawString {
        /// The bytes in this range of the text, which hold no escapes.
        case plain(Range<Int>)
        /// The bytes after resolving escapes.
        case unescaped([UInt8])
    }

    /// A string's content without making a `String` (keys compare as bytes this way).
    mutating func rawString() throws(Failure) -> RawString {
        position += 1
        let start = position
        if let base = bytes.baseAddress { position = ByteScan.firstStringStop(base, from: position, end: bytes.count) }
        while position < bytes.count {
            let byte = bytes[position]
            if byte == UInt8(ascii: "\"") {
                position += 1
                return .plain(start..<(position - 1))
            }
            if byte < 0x20 { throw Failure() }
            if byte == UInt8(ascii: "\\") { break }
            position += 1
        }
        var text = Array(bytes[start..<position])
        while position < bytes.count {
            let byte = bytes[position]
            if byte == UInt8(ascii: "\"") {
                position += 1
                return .unescaped(text)
            }
            if byte < 0x20 { throw Failure() }
            position += 1
            if byte != UInt8(ascii: "\\") {
                text.append(byte)
                continue
            }
            try escape(into: &text)
        }
        throw Failure()
    }

    /// Resolves the escape after a backslash, as `JSONParser` does (surrogates must pair).
    private mutating func escape(into text: inout [UInt8]) throws(Failure) {
        guard position < bytes.count else { throw Failure() }
        let byte = bytes[position]
        position += 1
        switch byte {
        case UInt8(ascii: "\""): text.append(0x22)
        case UInt8(ascii: "\\"): text.append(0x5C)
        case UInt8(ascii: "/"): text.append(0x2F)
        case UInt8(ascii: "b"): text.append(0x08)
        case UInt8(ascii: "f"): text.append(0x0C)
        case UInt8(ascii: "n"): text.append(0x0A)
        case UInt8(ascii: "r"): text.append(0x0D)
        case UInt8(ascii: "t"): text.append(0x09)
        case UInt8(ascii: "u"):
            var scalar = try hex4()
            if scalar >= 0xD800 && scalar < 0xDC00 {
                guard position + 1 < bytes.count, bytes[position] == UInt8(ascii: "\\"),
                    bytes[position + 1] == UInt8(ascii: "u")
                else { throw Failure() }
                position += 2
                let low = try hex4()
                guard low >= 0xDC00 && low < 0xE000 else { throw Failure() }
                scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
            } else if scalar >= 0xDC00 && scalar < 0xE000 {
                throw Failure()
            }
            guard let unicode = Unicode.Scalar(scalar) else { throw Failure() }
            text.append(contentsOf: UTF8.encode(unicode)!)
        default: throw Failure()
        }
    }

    private mutating func hex4() throws(Failure) -> UInt32 {
        guard position + 4 <= bytes.count else { throw Failure() }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[position]
            let digit: UInt32
            switch byte {
            case 0x30...0x39: digit = UInt32(byte - 0x30)
            case 0x41...0x46: digit = UInt32(byte - 0x41 + 10)
            case 0x61...0x66: digit = UInt32(byte - 0x61 + 10)
            default: throw Failure()
            }
            value = value * 16 + digit
            position += 1
        }
        return value
    }
}
