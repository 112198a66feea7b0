import Foundation

/// An sObject Collections request body, `{allOrNone, records: [...]}`, decoded once per request into
/// records held as values by column.
///
/// The columns are the field names the request uses, in order of first use. A record whose keys repeat
/// the previous record's at the same positions (what clients send) is decoded without hashing a name,
/// and the emulator resolves each column against the schema and the store once per request instead of
/// once per record. The view of every record is the one reading it into a dictionary would give:
/// duplicate keys keep the last value, and `attributes` is dropped (after the key was read, in case it
/// is the key field).
struct CollectionBody {
    /// Why a body is not a collections request.
    enum Refusal: Error, Equatable {
        /// Not JSON, or JSON but not an object.
        case notAnObject
        /// No `records` array.
        case noRecords
    }

    /// One record of the request.
    struct Record {
        /// The key field's value as text (`nil` when absent, null or the record is not an object).
        var key: String?
        /// Values by column (`nil`: absent); may be shorter than ``CollectionBody/columns``.
        var values: [JSONValue?]

        /// The value of `column`, or `nil` when absent.
        func value(_ column: Int) -> JSONValue? {
            column < values.count ? values[column] : nil
        }
    }

    /// The records in request order.
    private(set) var records: [Record] = []
    /// The `allOrNone` flag (false unless the body says `true`).
    private(set) var allOrNone = false
    private var decoder: ColumnDecoder

    /// Field names by column.
    var columns: [String] { decoder.columns }

    /// Decodes `data`, reading each record's `keyField` as its key.
    static func decode(_ data: Data, keyField: String) throws(Refusal) -> CollectionBody {
        // `attributes` is never stored; it is kept only when it is the key field.
        let keepsAttributes = keyField == "attributes"
        let decoded: CollectionBody? = data.withUnsafeBytes { raw in
            var reader = JSONReader(raw.bindMemory(to: UInt8.self))
            return try? reader.document { reader throws(JSONReader.Failure) in
                guard reader.next == UInt8(ascii: "{") else { throw JSONReader.Failure() }
                return try CollectionBody.body(&reader, dropping: keepsAttributes ? nil : "attributes")
            }
        }
        guard let decoded else { throw .notAnObject }
        guard let records = decoded.recordsFound, records else { throw .noRecords }
        var body = decoded
        let keyColumn = body.decoder.column(keyField)
        let attributes = keepsAttributes ? body.decoder.column("attributes") : nil
        for index in body.records.indices {
            body.records[index].key = keyColumn.flatMap { body.records[index].value($0)?.textValue }
            if let attributes, attributes < body.records[index].values.count {
                body.records[index].values[attributes] = nil
            }
        }
        return body
    }

    /// Whether the last `records` member was an array (`nil`: there was none).
    private var recordsFound: Bool?

    /// The top-level object (the reader is at `{`), later members winning as in a dictionary.
    private static func body(_ reader: inout JSONReader, dropping: String?) throws(JSONReader.Failure) -> CollectionBody {
        try reader.enter()
        defer { reader.leave() }
        var body = CollectionBody(decoder: ColumnDecoder(dropping: dropping))
        if reader.isEmpty(UInt8(ascii: "}")) { return body }
        repeat {
            reader.skipWhitespace()
            guard reader.next == UInt8(ascii: "\"") else { throw JSONReader.Failure() }
            let name = try reader.string()
            try reader.colon()
            switch name {
            case "records" where reader.next == UInt8(ascii: "["):
                body.records = try records(&reader, decoder: &body.decoder)
                body.recordsFound = true
            case "records":
                _ = try reader.value()
                body.records = []
                body.recordsFound = false
            case "allOrNone":
                body.allOrNone = try reader.value() == .bool(true)
            default:
                _ = try reader.value()
            }
        } while try reader.more(UInt8(ascii: "}"))
        return body
    }

    /// The `records` array (the reader is at `[`): objects by column, anything else as a record with no fields.
    private static func records(_ reader: inout JSONReader, decoder: inout ColumnDecoder) throws(JSONReader.Failure)
        -> [Record]
    {
        try reader.enter()
        defer { reader.leave() }
        var records: [Record] = []
        if reader.isEmpty(UInt8(ascii: "]")) { return records }
        repeat {
            reader.skipWhitespace()
            if reader.next == UInt8(ascii: "{") {
                records.append(Record(key: nil, values: try decoder.object(&reader)))
            } else {
                _ = try reader.value()
                records.append(Record(key: nil, values: []))
            }
        } while try reader.more(UInt8(ascii: "]"))
        return records
    }

    /// The column of `name`, or `nil` when no record uses it.
    func column(_ name: String) -> Int? {
        decoder.column(name)
    }
}
