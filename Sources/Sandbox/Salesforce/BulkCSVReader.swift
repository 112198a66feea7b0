import Foundation

/// The sandbox's own reading and writing of Bulk API 2.0 CSV ("Valid CSV Record Rows"), kept apart
/// from the adapter's so a quoting mistake in one is caught by the other: comma-delimited, values
/// holding a comma, quote, CR or LF in double quotes with quotes doubled, values never trimmed, a
/// space before or after a quoted value makes the row invalid, lines end as the job's `lineEnding`.
enum BulkCSVReader {
    /// Why an upload cannot be read.
    struct Malformed: Error {
        var message: String
    }

    /// Rows of cells (the header first); `crlf` says lines end in CR LF rather than LF. Blank lines
    /// are skipped. A bare CR inside an unquoted value of an LF file is part of the value.
    static func rows(_ data: Data, crlf: Bool, maxRows: Int) throws(Malformed) -> [[String]] {
        var rows: [[String]] = []
        var row: [String] = []
        var cell: [UInt8] = []
        var quoted = false
        var closed = false
        let bytes = [UInt8](data)
        var i = 0
        func endCell() {
            row.append(String(decoding: cell, as: UTF8.self))
            cell.removeAll(keepingCapacity: true)
            closed = false
        }
        func endRow() throws(Malformed) {
            endCell()
            if !(row.count == 1 && row[0].isEmpty) {
                guard rows.count <= maxRows else { throw Malformed(message: "more than \(maxRows) records in one upload") }
                rows.append(row)
            }
            row.removeAll(keepingCapacity: true)
        }
        while i < bytes.count {
            let b = bytes[i]
            if quoted {
                if b == 0x22 {
                    if i + 1 < bytes.count && bytes[i + 1] == 0x22 {
                        cell.append(0x22)
                        i += 1
                    } else {
                        quoted = false
                        closed = true
                    }
                } else {
                    cell.append(b)
                }
                i += 1
                continue
            }
            if b == 0x2C {
                endCell()
            } else if b == 0x0A && !crlf {
                try endRow()
            } else if b == 0x0D && crlf && i + 1 < bytes.count && bytes[i + 1] == 0x0A {
                i += 1
                try endRow()
            } else if b == 0x0A && crlf {
                throw Malformed(message: "a line ends in LF in a job whose lineEnding is CRLF (row \(rows.count + 1))")
            } else if b == 0x22 {
                guard cell.isEmpty && !closed else {
                    throw Malformed(message: "a quote inside an unquoted value, or a space before a quote (row \(rows.count + 1))")
                }
                quoted = true
            } else {
                guard !closed else { throw Malformed(message: "text after a closing quote (row \(rows.count + 1))") }
                cell.append(b)
            }
            i += 1
        }
        guard !quoted else { throw Malformed(message: "a quoted value is never closed") }
        if !cell.isEmpty || !row.isEmpty || closed { try endRow() }
        return rows
    }

    /// A CSV file with every cell quoted (as Salesforce writes results), lines ending in LF.
    static func write(_ rows: [[String]]) -> Data {
        var out: [UInt8] = []
        for row in rows {
            for (i, cell) in row.enumerated() {
                if i > 0 { out.append(0x2C) }
                out.append(0x22)
                for b in cell.utf8 {
                    if b == 0x22 { out.append(0x22) }
                    out.append(b)
                }
                out.append(0x22)
            }
            out.append(0x0A)
        }
        return Data(out)
    }
}
