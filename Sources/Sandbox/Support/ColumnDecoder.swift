import Foundation

/// Reads JSON objects whose keys mostly repeat from one object to the next (the records of a batch, the
/// lines of a seed file) as values by column, the columns being the keys in order of first use.
///
/// A key whose bytes equal the previous object's key at the same position takes that key's column
/// without making a `String` or hashing; any other key is looked up by name. Each object reads as it
/// would into a dictionary: duplicate keys keep the last value, and keys equal as strings share a column.
/// The previous object's keys are remembered as pointers into its text, so the text of every object read
/// must stay in place until the next object has been read (as one request body or one file does).
struct ColumnDecoder {
    /// Field names by column.
    private(set) var columns: [String] = []
    /// Column by field name.
    private(set) var index: [String: Int] = [:]
    /// The previous object's keys (their bytes in its text; `nil` for keys with escapes) and columns.
    private var previousKeys: [UnsafeBufferPointer<UInt8>?] = []
    private var previousColumns: [Int] = []
    private var keys: [UnsafeBufferPointer<UInt8>?] = []
    private var keyColumns: [Int] = []

    /// The key whose values are checked but not kept (its column stays absent).
    private let dropped: String?
    private var droppedColumn: Int?

    /// A decoder with no columns yet; values of the key `dropped` are read past and not kept.
    init(dropping dropped: String? = nil) {
        self.dropped = dropped
    }

    /// The column of `name`, or `nil` when no object had that key.
    func column(_ name: String) -> Int? {
        index[name]
    }

    /// Reads the object at the reader's position (at `{`) and returns its values by column (`nil`:
    /// absent; the array may be shorter than ``columns`` when later objects add keys).
    mutating func object(_ reader: inout JSONReader) throws(JSONReader.Failure) -> [JSONValue?] {
        try reader.enter()
        defer { reader.leave() }
        var values = [JSONValue?].absent(columns.count)
        keys.removeAll(keepingCapacity: true)
        keyColumns.removeAll(keepingCapacity: true)
        defer {
            swap(&previousKeys, &keys)
            swap(&previousColumns, &keyColumns)
        }
        if reader.isEmpty(UInt8(ascii: "}")) { return values }
        repeat {
            reader.skipWhitespace()
            guard reader.next == UInt8(ascii: "\"") else { throw JSONReader.Failure() }
            let key: UnsafeBufferPointer<UInt8>?
            let column: Int
            switch try reader.rawString() {
            case .plain(let range):
                let bytes = UnsafeBufferPointer(rebasing: reader.bytes[range])
                key = bytes
                column = self.column(of: bytes, at: keys.count)
            case .unescaped(let text):
                key = nil
                column = self.column(named: String(decoding: text, as: UTF8.self))
            }
            keys.append(key)
            keyColumns.append(column)
            try reader.colon()
            if column == droppedColumn {
                try reader.skipValue()
                continue
            }
            let value = try reader.value()
            if column >= values.count {
                values.append(contentsOf: repeatElement(nil, count: column + 1 - values.count))
            }
            values[column] = value
        } while try reader.more(UInt8(ascii: "}"))
        return values
    }

    /// The column of the unescaped key `bytes`, read at `position` among its object's keys.
    private mutating func column(of bytes: UnsafeBufferPointer<UInt8>, at position: Int) -> Int {
        if position < previousKeys.count, let previous = previousKeys[position], previous.count == bytes.count,
            bytes.isEmpty || memcmp(previous.baseAddress!, bytes.baseAddress!, bytes.count) == 0
        {
            return previousColumns[position]
        }
        return column(named: String(decoding: bytes, as: UTF8.self))
    }

    /// The column of `name`, added when new.
    private mutating func column(named name: String) -> Int {
        if let column = index[name] { return column }
        index[name] = columns.count
        if name == dropped { droppedColumn = columns.count }
        columns.append(name)
        return columns.count - 1
    }

    /// The values by column of an object already read into `fields`; the next object's keys are then
    /// looked up by name.
    mutating func values(of fields: [String: JSONValue]) -> [JSONValue?] {
        var values = [JSONValue?].absent(columns.count)
        for (name, value) in fields {
            let column = column(named: name)
            if column >= values.count {
                values.append(contentsOf: repeatElement(nil, count: column + 1 - values.count))
            }
            values[column] = value
        }
        previousKeys.removeAll(keepingCapacity: true)
        previousColumns.removeAll(keepingCapacity: true)
        return values
    }
}
