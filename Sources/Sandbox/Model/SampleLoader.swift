import Foundation

/// The seed records of one object, as ``SampleLoader`` reads them: values by column, the columns being
/// the field names in order of first use.
struct SampleRows: Sendable {
    /// Field names by column.
    let columns: [String]
    /// The records in file order, as values by column (`nil`: absent; a row may be shorter than
    /// ``columns``).
    let rows: [[JSONValue?]]
    private let index: [String: Int]

    /// Rows over `columns` (names must be distinct).
    init(columns: [String], rows: [[JSONValue?]]) {
        self.columns = columns
        self.rows = rows
        var index: [String: Int] = [:]
        for (column, name) in columns.enumerated() { index[name] = column }
        self.index = index
    }

    /// The column of `name`, or `nil` when no row has that field.
    func column(_ name: String) -> Int? {
        index[name]
    }

    /// The value of field `name` in `row`, or `nil` when absent.
    func value(_ name: String, in row: [JSONValue?]) -> JSONValue? {
        guard let column = index[name], column < row.count else { return nil }
        return row[column]
    }

    /// `row`'s present fields by name.
    func fields(_ row: [JSONValue?]) -> [String: JSONValue] {
        row.fields(named: columns)
    }
}

/// Reads seed records from `samples/<platform>/<object>.jsonl`: one flat JSON object per line.
///
/// Lines are found and trimmed over the file's UTF-8 bytes and each object is read in place by a
/// ``ColumnDecoder``, so a seed of 100,000 records loads in well under a second (splitting the text by
/// `Character` took seconds) and holds each record as one array rather than a dictionary.
enum SampleLoader {
    /// Rows per object name (the file name without `.jsonl`); a missing directory yields nothing.
    ///
    /// Lines end with LF or CR LF. Blank lines and lines starting with `//` (after leading whitespace)
    /// are skipped; a line that is not a JSON object throws, naming the file and the line number.
    static func load(platform: String, from directory: URL?) throws -> [String: SampleRows] {
        guard let directory else { return [:] }
        let folder = directory.appendingPathComponent(platform, isDirectory: true)
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder.path) else { return [:] }
        var result: [String: SampleRows] = [:]
        for name in names.sorted() where name.hasSuffix(".jsonl") {
            let url = folder.appendingPathComponent(name)
            // Reading as a String checks the encoding (and drops a byte-order mark).
            var text = try String(contentsOf: url, encoding: .utf8)
            result[String(name.dropLast(".jsonl".count))] = try text.withUTF8 { try rows(in: $0, path: url.path) }
        }
        return result
    }

    /// The rows of the JSONL text `bytes`; `path` names the file in errors.
    static func rows(in bytes: UnsafeBufferPointer<UInt8>, path: String) throws -> SampleRows {
        var decoder = ColumnDecoder()
        var rows: [[JSONValue?]] = []
        var start = 0
        var number = 0
        while start <= bytes.count {
            let end = lineEnd(bytes, from: start)
            number += 1
            defer { start = end + 1 }
            var first = start
            var last = end
            while first < last, isSpace(bytes[first]) { first += 1 }
            while last > first, isSpace(bytes[last - 1]) { last -= 1 }
            let line = UnsafeBufferPointer(rebasing: bytes[first..<last])
            if line.isEmpty || isComment(line) { continue }
            if line[0] >= 0x80 || line[line.count - 1] >= 0x80 {
                // Other Unicode whitespace may surround the object: trim by characters (rare).
                let text = String(decoding: line, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
                if text.isEmpty || text.hasPrefix("//") { continue }
                guard let fields = JSONReader.parse(Data(text.utf8))?.objectValue else {
                    throw notAnObject(path, number)
                }
                rows.append(decoder.values(of: fields))
                continue
            }
            var reader = JSONReader(line)
            do {
                rows.append(
                    try reader.document { reader throws(JSONReader.Failure) in
                        guard reader.next == UInt8(ascii: "{") else { throw JSONReader.Failure() }
                        return try decoder.object(&reader)
                    })
            } catch {
                throw notAnObject(path, number)
            }
        }
        return SampleRows(columns: decoder.columns, rows: rows)
    }

    private static func notAnObject(_ path: String, _ number: Int) -> SandboxError {
        SandboxError(description: "\(path):\(number): not a JSON object")
    }

    /// The index of the next LF at or after `start`, or the end of `bytes`.
    private static func lineEnd(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int) -> Int {
        guard start < bytes.count, let base = bytes.baseAddress else { return bytes.count }
        guard let found = memchr(base + start, 0x0A, bytes.count - start) else { return bytes.count }
        return base.distance(to: found.assumingMemoryBound(to: UInt8.self))
    }

    /// ASCII whitespace within a line: space, tab, vertical tab, form feed, CR.
    private static func isSpace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x09 || byte == 0x0B || byte == 0x0C || byte == 0x0D
    }

    private static func isComment(_ line: UnsafeBufferPointer<UInt8>) -> Bool {
        line.count >= 2 && line[0] == UInt8(ascii: "/") && line[1] == UInt8(ascii: "/")
    }
}
