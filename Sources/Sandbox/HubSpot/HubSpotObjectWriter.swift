import Foundation
import MapDSL

/// Writes records as HubSpot objects, `{archived, createdAt, id, [new,] properties, updatedAt}`, straight
/// to bytes.
///
/// The requested properties are resolved once per reply (sorted, de-duplicated, their keys escaped, each
/// bound to a slot of the object's ``FieldLayout`` or to the id and timestamps HubSpot synthesises), so
/// writing a record indexes its values and never hashes a property name. The output is what serialising
/// the equivalent ``JSONValue`` gives (keys sorted, values as strings, absent properties `null`).
struct HubSpotObjectWriter {
    /// Where one property's value comes from.
    private enum Source {
        case id
        case createdAt
        case updatedAt
        case slot(Int)
        case absent
    }

    /// `"name":` of every property in key order, each but the first preceded by a comma, back to back
    /// (one buffer, so writing a record retains nothing per property).
    private let keys: [UInt8]
    /// Where each property's bytes in ``keys`` end.
    private let keyEnds: [Int]
    /// Each property's source, in key order.
    private let sources: [Source]

    /// A writer for the properties `names` (repeats ignored) of records laid out by `layout`, which
    /// must be their object's newest layout or the records' own.
    init(properties names: [String], layout: FieldLayout) {
        var keys: [UInt8] = []
        var keyEnds: [Int] = []
        var sources: [Source] = []
        for name in Set(names).sorted() {
            if !keyEnds.isEmpty { keys.append(UInt8(ascii: ",")) }
            JSONWriter.appendString(name, to: &keys)
            keys.append(UInt8(ascii: ":"))
            keyEnds.append(keys.count)
            switch name {
            case "hs_object_id": sources.append(.id)
            case "createdate": sources.append(.createdAt)
            case "lastmodifieddate", "hs_lastmodifieddate": sources.append(.updatedAt)
            default: sources.append(layout.slot(name).map(Source.slot) ?? .absent)
            }
        }
        self.keys = keys
        self.keyEnds = keyEnds
        self.sources = sources
    }

    /// Appends `record` as a HubSpot object; `new` adds the upsert flag.
    func append(_ record: StoredRecord, new: Bool? = nil, to out: inout [UInt8]) {
        // Each timestamp is formatted once, quoted, and copied wherever it appears.
        let width = Timestamps.isoLength + 2
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 2 * width) { buffer in
            let base = buffer.baseAddress!
            let created = Self.quotedTimestamp(record.createdAt, at: base)
            let updated = Self.quotedTimestamp(record.updatedAt, at: base + width)
            JSONWriter.appendRaw("{\"archived\":false,\"createdAt\":", to: &out)
            created.append(to: &out)
            JSONWriter.appendRaw(",\"id\":", to: &out)
            Self.appendString(record.id, to: &out)
            if let new {
                JSONWriter.appendRaw(new ? ",\"new\":true" : ",\"new\":false", to: &out)
            }
            JSONWriter.appendRaw(",\"properties\":{", to: &out)
            keys.withUnsafeBufferPointer { keys in
                record.values.withUnsafeBufferPointer { values in
                    var keyStart = 0
                    for (index, source) in sources.enumerated() {
                        let keyEnd = keyEnds[index]
                        out.append(contentsOf: UnsafeBufferPointer(rebasing: keys[keyStart..<keyEnd]))
                        keyStart = keyEnd
                        switch source {
                        case .id: Self.appendString(record.id, to: &out)
                        case .createdAt: created.append(to: &out)
                        case .updatedAt: updated.append(to: &out)
                        case .slot(let slot) where slot < values.count: Self.appendText(values[slot], to: &out)
                        case .slot, .absent: JSONWriter.appendRaw("null", to: &out)
                        }
                    }
                }
            }
            JSONWriter.appendRaw("},\"updatedAt\":", to: &out)
            updated.append(to: &out)
            out.append(UInt8(ascii: "}"))
        }
    }

    /// A JSON array of `records`.
    func array(_ records: [StoredRecord]) -> [UInt8] {
        var list = JSONArrayBytes(capacity: 64 + records.count * (keys.count + 256))
        records.withUnsafeBufferPointer { records in
            for index in records.indices {
                list.append { append(records[index], to: &$0) }
            }
        }
        return list.bytes
    }

    /// `text` as a JSON string, read in place (no copy of the string, hence no retain).
    private static func appendString(_ text: String, to out: inout [UInt8]) {
        let written: Void? = text.utf8.withContiguousStorageIfAvailable { JSONWriter.appendString(utf8: $0, to: &out) }
        if written == nil { JSONWriter.appendString(text, to: &out) }
    }

    /// A property value as HubSpot sends it: a string (numbers, booleans and nested JSON as their text),
    /// or `null`.
    private static func appendText(_ value: JSONValue?, to out: inout [UInt8]) {
        switch value {
        case .string(let text): appendString(text, to: &out)
        case nil, .null: JSONWriter.appendRaw("null", to: &out)
        case let value?: JSONWriter.appendString(value.textValue ?? "", to: &out)
        }
    }

    /// A timestamp as a JSON string, formatted into `buffer` (room for ``Timestamps/isoLength`` + 2 bytes).
    private static func quotedTimestamp(_ date: Date, at buffer: UnsafeMutablePointer<UInt8>) -> QuotedTimestamp {
        buffer[0] = UInt8(ascii: "\"")
        guard Timestamps.write(date, to: buffer + 1) else {
            var text: [UInt8] = []
            JSONWriter.appendString(Timestamps.iso(date), to: &text)
            return .text(text)
        }
        buffer[Timestamps.isoLength + 1] = UInt8(ascii: "\"")
        return .bytes(UnsafeBufferPointer(start: buffer, count: Timestamps.isoLength + 2))
    }
}

/// A formatted, quoted timestamp: in a scratch buffer, or (years outside 0–9999) an array of its own.
private enum QuotedTimestamp {
    case bytes(UnsafeBufferPointer<UInt8>)
    case text([UInt8])

    func append(to out: inout [UInt8]) {
        switch self {
        case .bytes(let bytes): out.append(contentsOf: bytes)
        case .text(let text): out.append(contentsOf: text)
        }
    }
}
