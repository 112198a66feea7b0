import Foundation
import MapDSL
import SyncEngine

/// CSV as Bulk API 2.0 reads and writes it (RFC 4180 with the platform's rules, "Valid CSV Record
/// Rows"): comma-delimited, a header row of field API names, a value holding the delimiter, a quote,
/// CR or LF wrapped in double quotes with quotes doubled; values never trimmed; an empty value leaves
/// a field alone on update and `#N/A` sets it to null; lines end as the job's `lineEnding` says.
enum BulkCSV {
    /// The job's `lineEnding`.
    enum LineEnding: String, Sendable {
        case lf = "LF"
        case crlf = "CRLF"

        var bytes: [UInt8] { self == .lf ? [0x0A] : [0x0D, 0x0A] }
    }

    /// The value Bulk API 2.0 reads as null.
    static let null = "#N/A"

    /// A JSON value as the text of one CSV cell: strings as they are, numbers and booleans as
    /// written, null as `#N/A`, multi-select values joined with `;`, anything else as JSON.
    static func text(_ value: JSONValue) -> String {
        switch value {
        case .null: null
        // An empty string clears the field, as it does through REST (an empty cell would leave it alone).
        case .string(let s): s.isEmpty ? null : s
        case .bool(let b): b ? "true" : "false"
        case .array(let items): items.map { $0.stringValue ?? JSONWriter.compact($0) }.joined(separator: ";")
        default: JSONWriter.compact(value)
        }
    }

    /// Appends one cell, quoted when it holds a delimiter, a quote, CR or LF.
    static func appendCell(_ text: String, to out: inout [UInt8]) {
        let bytes = Array(text.utf8)
        let needsQuotes = bytes.contains { $0 == 0x2C || $0 == 0x22 || $0 == 0x0A || $0 == 0x0D }
        guard needsQuotes else {
            out.append(contentsOf: bytes)
            return
        }
        out.append(0x22)
        for b in bytes {
            if b == 0x22 { out.append(0x22) }
            out.append(b)
        }
        out.append(0x22)
    }

    /// Appends one row of cells and the line ending.
    static func appendRow(_ cells: [String], ending: LineEnding, to out: inout [UInt8]) {
        for (i, cell) in cells.enumerated() {
            if i > 0 { out.append(0x2C) }
            appendCell(cell, to: &out)
        }
        out.append(contentsOf: ending.bytes)
    }

    /// Why a CSV reply could not be read.
    struct Malformed: Error, CustomStringConvertible {
        var description: String
    }

    /// Parses CSV (LF or CRLF line ends, quoted cells with doubled quotes, blank lines skipped) into a
    /// header and rows; a row shorter than the header reads its missing cells as empty. At most
    /// `maxRows` rows.
    static func parse(_ data: Data, maxRows: Int = 10_000_000) throws(Malformed) -> (header: [String], rows: [[String]]) {
        var rows: [[String]] = []
        var row: [String] = []
        var cell: [UInt8] = []
        var inQuotes = false
        var quotedCell = false
        var bytes = [UInt8](data)
        // A UTF-8 byte order mark is not part of the first field name.
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes.removeFirst(3) }
        var i = 0
        func endCell() {
            row.append(String(decoding: cell, as: UTF8.self))
            cell.removeAll(keepingCapacity: true)
            quotedCell = false
        }
        func endRow() throws(Malformed) {
            endCell()
            if !(row.count == 1 && row[0].isEmpty) {
                guard rows.count < maxRows else { throw Malformed(description: "more than \(maxRows) rows") }
                rows.append(row)
            }
            row.removeAll(keepingCapacity: true)
        }
        while i < bytes.count {
            let b = bytes[i]
            if inQuotes {
                if b == 0x22 {
                    if i + 1 < bytes.count, bytes[i + 1] == 0x22 {
                        cell.append(0x22)
                        i += 2
                        continue
                    }
                    inQuotes = false
                } else {
                    cell.append(b)
                }
                i += 1
                continue
            }
            switch b {
            case 0x22:
                guard cell.isEmpty, !quotedCell else {
                    throw Malformed(description: "a quote inside an unquoted value on row \(rows.count + 1)")
                }
                inQuotes = true
                quotedCell = true
            case 0x2C: endCell()
            case 0x0D where i + 1 < bytes.count && bytes[i + 1] == 0x0A:
                i += 1
                try endRow()
            case 0x0A: try endRow()
            default:
                guard !quotedCell else { throw Malformed(description: "text after a closing quote on row \(rows.count + 1)") }
                cell.append(b)
            }
            i += 1
        }
        guard !inQuotes else { throw Malformed(description: "a quoted value never closed") }
        if !cell.isEmpty || !row.isEmpty || quotedCell { try endRow() }
        guard let header = rows.first else { return ([], []) }
        return (header, Array(rows.dropFirst()))
    }
}

/// One `sf__Error` of a failed-results row: `CODE:message:Field1,Field2 --`.
struct BulkError: Equatable {
    var code: String?
    var message: String
    var fields: [String]

    /// Reads the platform's error text; text not in that shape is the message as a whole.
    init(_ text: String) {
        var rest = Substring(text.trimmingCharacters(in: .whitespaces))
        if rest.hasSuffix("--") { rest = rest.dropLast(2) }
        rest = Substring(rest.trimmingCharacters(in: .whitespaces))
        code = nil
        fields = []
        if let colon = rest.firstIndex(of: ":"), !rest[..<colon].isEmpty,
            rest[..<colon].allSatisfy({ $0.isUppercase || $0 == "_" || $0.isNumber })
        {
            code = String(rest[..<colon])
            rest = rest[rest.index(after: colon)...]
            if let last = rest.lastIndex(of: ":") {
                let tail = rest[rest.index(after: last)...]
                if !tail.contains(" ") {
                    fields = tail.split(separator: ",").map(String.init)
                    rest = rest[..<last]
                }
            }
        }
        message = String(rest)
    }
}
