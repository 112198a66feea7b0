import Foundation
import MapDSL

/// A JSON object assembled from members whose values are already bytes, written the way
/// ``JSONValue/serialized()`` writes objects (compact, keys sorted), so replies can splice in parts
/// written straight to bytes (record lists) next to parts built as ``JSONValue``s.
struct JSONObjectBytes {
    private var members: [String: [UInt8]] = [:]

    /// An empty object.
    init() {}

    /// Sets member `key` to `value`, replacing any earlier value of that key.
    mutating func set(_ key: String, _ value: JSONValue) {
        var bytes: [UInt8] = []
        value.appendJSON(to: &bytes)
        members[key] = bytes
    }

    /// Sets member `key` to the JSON text `json` (not checked), replacing any earlier value of that key.
    mutating func set(_ key: String, json: [UInt8]) {
        members[key] = json
    }

    /// The serialised object.
    var bytes: [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(members.values.reduce(2) { $0 + $1.count + 4 } + members.keys.reduce(0) { $0 + $1.utf8.count })
        out.append(UInt8(ascii: "{"))
        for (index, key) in members.keys.sorted().enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            JSONWriter.appendString(key, to: &out)
            out.append(UInt8(ascii: ":"))
            out.append(contentsOf: members[key]!)
        }
        out.append(UInt8(ascii: "}"))
        return out
    }
}

/// Builds a JSON array from elements written straight to bytes, separated by commas.
struct JSONArrayBytes {
    /// The serialised array so far (always a complete array).
    private(set) var bytes: [UInt8] = [UInt8(ascii: "["), UInt8(ascii: "]")]
    /// Number of elements appended.
    private(set) var count = 0

    /// An empty array with room for about `capacity` bytes.
    init(capacity: Int = 64) {
        bytes.reserveCapacity(capacity)
    }

    /// Appends one element written by `write` (which must append exactly one JSON value).
    mutating func append(_ write: (inout [UInt8]) -> Void) {
        bytes.removeLast()
        if count > 0 { bytes.append(UInt8(ascii: ",")) }
        write(&bytes)
        bytes.append(UInt8(ascii: "]"))
        count += 1
    }

    /// Appends a ``JSONValue`` element.
    mutating func append(_ value: JSONValue) {
        append { value.appendJSON(to: &$0) }
    }
}
