/// A small table for reports, rendered as aligned plain text or as a Markdown table.
public struct ReportTable: Sendable {
    /// Column alignment.
    public enum Alignment: Sendable {
        case left, right
    }

    /// Column headings.
    public var headers: [String]
    /// Alignment per column.
    public var alignments: [Alignment]
    /// Rows of cells (missing cells render empty).
    public var rows: [[String]] = []

    /// Creates a table; columns are left-aligned unless `right` names them by index.
    public init(_ headers: [String], right: Set<Int> = []) {
        self.headers = headers
        self.alignments = headers.indices.map { right.contains($0) ? .right : .left }
    }

    /// Appends a row.
    public mutating func add(_ row: [String]) { rows.append(row) }

    /// Aligned text, each line indented by `indent`, cells separated by two spaces.
    public func text(indent: String = "  ") -> String {
        let all = [headers] + rows
        var widths = [Int](repeating: 0, count: headers.count)
        for row in all {
            for (i, cell) in row.enumerated() where i < widths.count { widths[i] = max(widths[i], cell.count) }
        }
        var out = ""
        for row in all {
            var cells: [String] = []
            for i in headers.indices {
                let cell = i < row.count ? row[i] : ""
                let pad = String(repeating: " ", count: widths[i] - cell.count)
                let last = i == headers.count - 1
                switch alignments[i] {
                case .left: cells.append(last ? cell : cell + pad)
                case .right: cells.append(pad + cell)
                }
            }
            out += ReportTable.trimTrailing(indent + cells.joined(separator: "  ")) + "\n"
        }
        return out
    }

    /// A GitHub-flavoured Markdown table (cells escaped).
    public func markdown() -> String {
        var out = "| " + headers.map(ReportTable.escape).joined(separator: " | ") + " |\n"
        out += "|" + alignments.map { $0 == .right ? "---:" : "---" }.joined(separator: "|") + "|\n"
        for row in rows {
            let cells = headers.indices.map { $0 < row.count ? row[$0] : "" }
            out += "| " + cells.joined(separator: " | ") + " |\n"
        }
        return out
    }

    /// `s` safe inside a Markdown table cell: pipes escaped, newlines as `<br>`.
    public static func escape(_ s: String) -> String {
        var out = ""
        for c in s {
            switch c {
            case "|": out += "\\|"
            case "\n": out += "<br>"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            default: out.append(c)
            }
        }
        return out
    }

    /// `s` as inline code in a Markdown table cell (backticks in `s` handled, pipes escaped).
    public static func code(_ s: String) -> String {
        guard !s.isEmpty else { return "" }
        let fence = s.contains("`") ? "`` " : "`"
        let close = s.contains("`") ? " ``" : "`"
        var body = ""
        for c in s {
            switch c {
            case "|": body += "\\|"
            case "\n": body += " "
            default: body.append(c)
            }
        }
        return fence + body + close
    }

    /// `s` cut to `max` characters with an ellipsis.
    public static func clip(_ s: String, _ max: Int) -> String {
        s.count <= max ? s : String(s.prefix(max - 1)) + "…"
    }

    static func trimTrailing(_ s: String) -> String {
        var t = Substring(s)
        while t.last == " " { t = t.dropLast() }
        return String(t)
    }
}
