import Foundation
import MapDSL

/// A parsed JSON value; records, request bodies and replies are built from these.
enum JSONValue: Sendable, Equatable, Codable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([JSONValue].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: JSONValue].self))
        }
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let value): try container.encode(value)
        case .number(let value):
            if value == value.rounded(), abs(value) < 9e15 {
                try container.encode(Int64(value))
            } else {
                try container.encode(value)
            }
        case .string(let value): try container.encode(value)
        case .array(let value): try container.encode(value)
        case .object(let value): try container.encode(value)
        }
    }

    /// Parses `data`; `nil` when it is not valid JSON. Reads bytes straight into values with
    /// ``JSONReader``, which accepts what mapc's `JSONParser` accepts (Foundation's decoder is far too
    /// slow for emulators serving tens of thousands of records).
    static func parse(_ data: Data) -> JSONValue? {
        JSONReader.parse(data)
    }

    /// Converts from mapc's JSON model (duplicate keys: the last wins, as JSONDecoder did).
    init(_ value: MapDSL.JSONValue) {
        switch value {
        case .null: self = .null
        case .bool(let b): self = .bool(b)
        case .int(let i): self = .number(Double(i))
        case .double(let d): self = .number(d)
        case .string(let s): self = .string(s)
        case .array(let items): self = .array(items.map(JSONValue.init))
        case .object(let pairs):
            var fields: [String: JSONValue] = [:]
            fields.reserveCapacity(pairs.count)
            for (k, v) in pairs { fields[k] = JSONValue(v) }
            self = .object(fields)
        }
    }

    /// mapc's JSON model of this value, with object keys sorted.
    var mapcValue: MapDSL.JSONValue {
        switch self {
        case .null: return .null
        case .bool(let b): return .bool(b)
        case .number(let n): return n == n.rounded() && abs(n) < 9e15 ? .int(Int(n)) : .double(n)
        case .string(let s): return .string(s)
        case .array(let items): return .array(items.map(\.mapcValue))
        case .object(let fields): return .object(fields.keys.sorted().map { ($0, fields[$0]!.mapcValue) })
        }
    }

    /// Serialises compactly with sorted keys (deterministic output for tests and logs).
    func serialized() -> Data {
        var out: [UInt8] = []
        out.reserveCapacity(128)
        appendJSON(to: &out)
        return Data(out)
    }

    /// Appends the bytes of ``serialized()`` to `out`: what `JSONWriter.compact(mapcValue)` writes,
    /// without building the sorted copy first.
    func appendJSON(to out: inout [UInt8]) {
        switch self {
        case .null: JSONWriter.appendRaw("null", to: &out)
        case .bool(let flag): JSONWriter.appendRaw(flag ? "true" : "false", to: &out)
        case .number(let number): Self.appendNumber(number, to: &out)
        case .string(let text): JSONWriter.appendString(text, to: &out)
        case .array(let items):
            out.append(UInt8(ascii: "["))
            for (index, item) in items.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                item.appendJSON(to: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let fields):
            out.append(UInt8(ascii: "{"))
            for (index, key) in fields.keys.sorted().enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                JSONWriter.appendString(key, to: &out)
                out.append(UInt8(ascii: ":"))
                fields[key]!.appendJSON(to: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    /// A number as ``mapcValue`` and `JSONWriter` render it: integral values below 9e15 as integers.
    static func appendNumber(_ number: Double, to out: inout [UInt8]) {
        if number == number.rounded() && abs(number) < 9e15 {
            JSONWriter.appendInt(Int(number), to: &out)
        } else {
            JSONWriter.appendNumber(number, to: &out)
        }
    }

    subscript(key: String) -> JSONValue? {
        if case .object(let fields) = self {
            return fields[key]
        }
        return nil
    }

    var objectValue: [String: JSONValue]? {
        if case .object(let fields) = self { return fields }
        return nil
    }

    var arrayValue: [JSONValue]? {
        if case .array(let items) = self { return items }
        return nil
    }

    var stringValue: String? {
        if case .string(let text) = self { return text }
        return nil
    }

    var boolValue: Bool? {
        if case .bool(let flag) = self { return flag }
        return nil
    }

    var numberValue: Double? {
        if case .number(let number) = self { return number }
        return nil
    }

    var isNull: Bool {
        if case .null = self { return true }
        return false
    }

    /// The value as text the way platforms that store strings render it (`null` → nil).
    var textValue: String? {
        switch self {
        case .null: return nil
        case .bool(let flag): return flag ? "true" : "false"
        case .number(let number):
            if number == number.rounded(), abs(number) < 9e15 { return String(Int64(number)) }
            return String(number)
        case .string(let text): return text
        case .array, .object: return String(decoding: serialized(), as: UTF8.self)
        }
    }
}

extension JSONValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral,
    ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral, ExpressibleByNilLiteral
{
    init(stringLiteral value: String) { self = .string(value) }
    init(integerLiteral value: Int) { self = .number(Double(value)) }
    init(booleanLiteral value: Bool) { self = .bool(value) }
    init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
    init(dictionaryLiteral elements: (String, JSONValue)...) {
        self = .object(Dictionary(elements, uniquingKeysWith: { _, last in last }))
    }
    init(nilLiteral: ()) { self = .null }
}

extension JSONValue {
    /// A JSON string value, or null for `nil`.
    static func text(_ value: String?) -> JSONValue {
        value.map(JSONValue.string) ?? .null
    }

    /// A JSON number from an integer.
    static func int(_ value: Int) -> JSONValue {
        .number(Double(value))
    }
}

extension Array where Element == JSONValue? {
    /// `count` absent values (`nil`), written directly: `Array(repeating: nil, count:)` copies its
    /// repeated value into each element one call at a time.
    static func absent(_ count: Int) -> [JSONValue?] {
        [JSONValue?](unsafeUninitializedCapacity: count) { buffer, initialized in
            for index in 0..<count {
                (buffer.baseAddress! + index).initialize(to: nil)
            }
            initialized = count
        }
    }

    /// The present values (not `nil`) by name, the name of each position being `names[position]`.
    func fields(named names: [String]) -> [String: JSONValue] {
        var fields: [String: JSONValue] = [:]
        fields.reserveCapacity(count)
        for (position, value) in enumerated() {
            if let value { fields[names[position]] = value }
        }
        return fields
    }
}
