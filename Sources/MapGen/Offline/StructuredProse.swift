import Foundation

/// Mapping prose written in a structured layout rather than in sentences: a CSV sheet with a header, a
/// markdown or tab-separated table, two aligned plain-text columns, a YAML-like list of `dest: source  # note`
/// lines (nested keys prefix their parent's name), or a SQL `SELECT source AS dest -- note` list.
///
/// ``segments(_:)`` finds these layouts in a text and cuts each into records, one record per row (a SQL
/// item or a YAML key with its folded lines is one record): ``SentenceSplitter`` cites each record as a
/// sentence of its own. ``StructuredReadings`` turns the records into the sentences the offline reader
/// understands, or into rules directly where the layout is formal enough (SQL).
enum StructuredProse {
    /// The layout a record comes from.
    enum Layout: Equatable {
        case csv, columns, table, yaml, sql, pipes
    }

    /// One row (or item) of a structured block.
    struct Record: Equatable {
        /// The text cited as the record's sentence: its lines, trimmed, joined by a space.
        var sentence: String
        var layout: Layout
        /// The cells of a row (CSV, columns, tables).
        var cells: [String] = []
        /// The header cells of the block the row belongs to (nil for the header itself, or a block without one).
        var header: [String]? = nil
        /// A header, a separator, a parent key, `SELECT` or `FROM`: nothing to read.
        var isFrame = false
        /// YAML: the dotted key with its parents; SQL: the alias.
        var key = ""
        /// YAML: the value; SQL: the expression.
        var value = ""
        /// Trailing comments (`# …`, `-- …`).
        var comments: [String] = []
        /// SQL: the condition of a `WHERE` clause.
        var condition: String? = nil
    }

    /// A stretch of ordinary prose, or a record of a structured block.
    enum Segment: Equatable {
        case prose(String)
        case record(Record)
    }

    /// The text cut into prose and records, in order. Text without a structured block is one prose segment.
    static func segments(_ text: String) -> [Segment] {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        var out: [Segment] = []
        var prose: [String] = []
        func flushProse() {
            let t = prose.joined(separator: "\n")
            if !t.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { out.append(.prose(t)) }
            prose = []
        }
        var i = 0
        while i < lines.count {
            let blockStart = i == 0 || lines[i - 1].trimmingCharacters(in: .whitespaces).isEmpty
            if let (records, end) = sql(lines, at: i) ?? csv(lines, at: i) ?? table(lines, at: i) ?? pipes(lines, at: i) ?? json(
                lines, at: i)
                ?? (blockStart ? columns(lines, at: i) ?? yaml(lines, at: i) : nil)
            {
                flushProse()
                for r in records {
                    switch r {
                    case .prose(let p):
                        // A comment line inside a block is prose of its own.
                        out.append(.prose(p))
                    case .record: out.append(r)
                    }
                }
                i = end
                continue
            }
            prose.append(lines[i])
            i += 1
        }
        flushProse()
        if out.isEmpty { return [.prose(text)] }
        if out.count == 1, case .prose = out[0] { return [.prose(text)] }
        return out
    }

    // MARK: Tables (markdown `| a | b |` or tab-separated)

    /// A run of table rows: each row is a record; the first row is the header when a separator row
    /// follows it or the block has more than one row.
    private static func table(_ lines: [String], at i: Int) -> ([Segment], Int)? {
        let first = lines[i].trimmingCharacters(in: .whitespaces)
        guard SentenceSplitter.isTableRow(first) else { return nil }
        var j = i
        var out: [Segment] = []
        var header: [String]?
        while j < lines.count {
            let t = lines[j].trimmingCharacters(in: .whitespaces)
            guard SentenceSplitter.isTableRow(t) else { break }
            let cells = SentenceSplitter.tableCells(t)
            let separator = cells.allSatisfy { $0.allSatisfy { "-:| ".contains($0) } }
            if j == i {
                out.append(.record(Record(sentence: t, layout: .table, cells: cells, isFrame: true)))
                header = cells
            } else {
                out.append(.record(Record(sentence: t, layout: .table, cells: cells, header: header, isFrame: separator)))
            }
            j += 1
        }
        // A lone row has no header: it is a row of its own.
        if out.count == 1, case .record(var r) = out[0] {
            r.isFrame = false
            r.header = nil
            out[0] = .record(r)
        }
        return (out, j)
    }

    // MARK: Cells between bars without outer bars

    /// "Email | email | as is": three or more lines with as many cells (two at least) separated by ` | `,
    /// the first a header when a line of dashes follows it or its cells name roles (read later).
    private static func pipes(_ lines: [String], at i: Int) -> ([Segment], Int)? {
        func cells(_ l: String) -> [String]? {
            let t = l.trimmingCharacters(in: .whitespaces)
            guard !t.hasPrefix("|"), t.contains(" | ") || t.allSatisfy({ "-:| ".contains($0) }) && t.contains("|") else { return nil }
            return t.split(separator: "|", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        }
        guard let head = cells(lines[i]), head.count >= 2, !head.contains(where: \.isEmpty) else { return nil }
        var out: [Segment] = [
            .record(Record(sentence: lines[i].trimmingCharacters(in: .whitespaces), layout: .pipes, cells: head, isFrame: true))
        ]
        var j = i + 1
        var rows = 0
        while j < lines.count, let c = cells(lines[j]), c.count == head.count {
            let t = lines[j].trimmingCharacters(in: .whitespaces)
            let separator = c.allSatisfy { $0.allSatisfy { "-: ".contains($0) } }
            out.append(.record(Record(sentence: t, layout: .pipes, cells: c, header: head, isFrame: separator)))
            if !separator { rows += 1 }
            j += 1
        }
        return rows >= 2 ? (out, j) : nil
    }

    // MARK: CSV

    /// The cells of a CSV line: comma-separated, a cell in double quotes may hold commas and `""` for a quote.
    /// Nil when a quote is left open.
    static func csvCells(_ line: String) -> (cells: [String], quoted: Int)? {
        var cells: [String] = []
        var cur = ""
        var quoted = 0
        var inQuote = false
        var wasQuoted = false
        let chars = Array(line)
        var k = 0
        while k < chars.count {
            let c = chars[k]
            if inQuote {
                if c == "\"" {
                    if k + 1 < chars.count, chars[k + 1] == "\"" {
                        cur.append("\"")
                        k += 2
                        continue
                    }
                    inQuote = false
                } else {
                    cur.append(c)
                }
            } else if c == "\"", cur.trimmingCharacters(in: .whitespaces).isEmpty {
                inQuote = true
                wasQuoted = true
                cur = ""
            } else if c == "," {
                cells.append(cur.trimmingCharacters(in: .whitespaces))
                if wasQuoted { quoted += 1 }
                cur = ""
                wasQuoted = false
            } else {
                cur.append(c)
            }
            k += 1
        }
        if inQuote { return nil }
        cells.append(cur.trimmingCharacters(in: .whitespaces))
        if wasQuoted { quoted += 1 }
        return (cells, quoted)
    }

    /// A CSV sheet: a header of short cells and at least two more lines with as many cells. The cells are
    /// quoted, or the header separates them by a bare comma (prose puts a space after its commas).
    private static func csv(_ lines: [String], at i: Int) -> ([Segment], Int)? {
        let head = lines[i].trimmingCharacters(in: .whitespaces)
        guard let (cells, quoted) = csvCells(head), cells.count >= 2,
            cells.allSatisfy({ !$0.isEmpty && $0.split(separator: " ").count <= 5 && !$0.hasSuffix(".") }),
            quoted == cells.count || !head.contains(", ")
        else { return nil }
        var j = i + 1
        var out: [Segment] = [.record(Record(sentence: head, layout: .csv, cells: cells, isFrame: true))]
        while j < lines.count {
            let t = lines[j].trimmingCharacters(in: .whitespaces)
            guard !t.isEmpty, let (row, q) = csvCells(t), row.count == cells.count, q > 0 || !t.contains(", ") else { break }
            out.append(.record(Record(sentence: t, layout: .csv, cells: row, header: cells)))
            j += 1
        }
        return out.count >= 3 ? (out, j) : nil
    }

    // MARK: Two aligned columns

    /// Where the second column of a line starts: after the first run of two or more spaces; nil when none.
    private static func secondColumn(_ line: String) -> Int? {
        let chars = Array(line)
        var k = 0
        while k + 2 < chars.count {
            if chars[k] != " ", chars[k + 1] == " ", chars[k + 2] == " " {
                var m = k + 1
                while m < chars.count, chars[m] == " " { m += 1 }
                return m < chars.count ? m : nil
            }
            k += 1
        }
        return nil
    }

    /// A block of lines in two columns aligned at one position (most lines start their second column
    /// there), at least three rows, the first cells single names or `(…)`; a line of dashes is a separator
    /// and the line before it the header.
    private static func columns(_ lines: [String], at i: Int) -> ([Segment], Int)? {
        var j = i
        var block: [String] = []
        while j < lines.count, !lines[j].trimmingCharacters(in: .whitespaces).isEmpty {
            block.append(lines[j])
            j += 1
        }
        guard block.count >= 3 else { return nil }
        var counts: [Int: Int] = [:]
        for l in block { if let c = secondColumn(l) { counts[c, default: 0] += 1 } }
        guard let (col, n) = counts.max(by: { $0.value < $1.value }), n >= 3, n * 10 >= block.count * 7 else { return nil }
        func isSeparator(_ l: String) -> Bool {
            let t = l.trimmingCharacters(in: .whitespaces)
            return !t.isEmpty && t.allSatisfy { "-=_ ".contains($0) } && t.contains("-")
        }
        func split(_ l: String) -> [String]? {
            let chars = Array(l)
            guard chars.count > col, col >= 2, chars[col] != " ", chars[col - 1] == " ", chars[col - 2] == " " else { return nil }
            let a = String(chars[..<col]).trimmingCharacters(in: .whitespaces)
            let b = String(chars[col...]).trimmingCharacters(in: .whitespaces)
            return a.isEmpty ? nil : [a, b]
        }
        var header: [String]?
        let sep = block.firstIndex(where: isSeparator)
        if let s = sep {
            guard s == 1, let h = split(block[0]) else { return nil }
            header = h
        }
        var out: [Segment] = []
        var rows = 0
        for (k, l) in block.enumerated() {
            let t = l.trimmingCharacters(in: .whitespaces)
            if k == sep || (sep != nil && k == 0) {
                out.append(.record(Record(sentence: t, layout: .columns, cells: header ?? [], isFrame: true)))
                continue
            }
            guard let cells = split(l) else { return nil }
            // "Email      ->  email": an arrow or `=` between the columns makes statements the reader reads itself.
            if ["->", "→", "=", "<-", "←", ":", "=>", "⇐"].contains(where: { cells[1].hasPrefix($0) }) { return nil }
            let name = cells[0]
            guard !name.contains(" ") || name.hasPrefix("(") && name.hasSuffix(")") else { return nil }
            out.append(.record(Record(sentence: t, layout: .columns, cells: cells, header: header)))
            rows += 1
        }
        return rows >= 3 ? (out, j) : nil
    }

    // MARK: YAML-like

    private static let keyPattern = try! NSRegularExpression(pattern: #"^(\s*)([A-Za-z_][A-Za-z0-9_.\-]*)\s*:(?:\s+(.*))?$"#)

    /// The indent, key and value of a `key: value` line; nil for other lines.
    private static func keyLine(_ line: String) -> (indent: Int, key: String, value: String)? {
        let ns = line as NSString
        guard let m = keyPattern.firstMatch(in: line, range: NSRange(location: 0, length: ns.length)) else { return nil }
        let value = m.range(at: 3).location == NSNotFound ? "" : ns.substring(with: m.range(at: 3))
        return (m.range(at: 1).length, ns.substring(with: m.range(at: 2)), value)
    }

    /// A `#` comment at the end of a line (after white space, outside double quotes): the text before and the comment.
    static func splitComment(_ text: String, marker: String) -> (String, String?) {
        var inQuote: Character?
        let chars = Array(text)
        let m = Array(marker)
        var k = 0
        while k < chars.count {
            let c = chars[k]
            if let q = inQuote {
                if c == q { inQuote = nil }
            } else if c == "\"" || c == "'" && marker == "--" {
                inQuote = c
            } else if k + m.count <= chars.count, Array(chars[k..<(k + m.count)]) == m, k == 0 || chars[k - 1] == " " {
                let before = String(chars[..<k]).trimmingCharacters(in: .whitespaces)
                let after = String(chars[(k + m.count)...]).trimmingCharacters(in: .whitespaces)
                return (before, after.isEmpty ? nil : after)
            }
            k += 1
        }
        return (text, nil)
    }

    /// A YAML-like block: `key: value` lines, at least three, that nest (a key with no value over deeper keys)
    /// or carry `# comments`; lines deeper than a key continue its value (`key: >` folds them); whole-line
    /// `#` comments stay prose.
    private static func yaml(_ lines: [String], at i: Int) -> ([Segment], Int)? {
        var j = i
        var block: [String] = []
        while j < lines.count, !lines[j].trimmingCharacters(in: .whitespaces).isEmpty {
            block.append(lines[j])
            j += 1
        }
        struct Item {
            var indent: Int
            var key: String
            var lines: [String]
            var value: [String]
            var comments: [String]
        }
        var items: [Int: Item] = [:]
        var order: [(Int, String?)] = []  // item index or a comment line
        var last: Int?
        var keys = 0
        for l in block {
            let t = l.trimmingCharacters(in: .whitespaces)
            if t.hasPrefix("#") {
                order.append((-1, t))
                continue
            }
            if let (indent, key, raw) = keyLine(l),
                last == nil || items[last!]!.value.first.map({ $0 != ">" && $0 != "|" }) ?? true
                    || indent <= items[last!]!.indent
            {
                let (value, comment) = splitComment(raw, marker: "#")
                let n = keys
                items[n] = Item(
                    indent: indent, key: key, lines: [t], value: value.isEmpty ? [] : [value], comments: comment.map { [$0] } ?? [])
                order.append((n, nil))
                last = n
                keys += 1
                continue
            }
            // A continuation: deeper than the last key.
            let indent = l.prefix { $0 == " " }.count
            guard let k = last, indent > items[k]!.indent else { return nil }
            let (value, comment) = splitComment(t, marker: "#")
            items[k]!.lines.append(t)
            items[k]!.value.append(value)
            if let comment { items[k]!.comments.append(comment) }
        }
        guard keys >= 3 else { return nil }
        // A parent: a key with no value whose next key is deeper.
        var parents: Set<Int> = []
        for n in 0..<keys where items[n]!.value.isEmpty {
            if n + 1 < keys, items[n + 1]!.indent > items[n]!.indent { parents.insert(n) }
        }
        let commented = items.values.contains { !$0.comments.isEmpty }
        let folded = items.values.contains { ($0.value.first == ">" || $0.value.first == "|") && $0.value.count > 1 }
        guard !parents.isEmpty || commented || folded else { return nil }
        var out: [Segment] = []
        var stack: [(indent: Int, key: String)] = []
        for (n, comment) in order {
            if n < 0 {
                out.append(.prose(String(comment!.drop { $0 == "#" }).trimmingCharacters(in: .whitespaces)))
                continue
            }
            let item = items[n]!
            while let top = stack.last, top.indent >= item.indent { stack.removeLast() }
            let path = (stack.map(\.key) + [item.key]).joined(separator: ".")
            var value = item.value
            if let f = value.first, f == ">" || f == "|" { value.removeFirst() }
            var r = Record(sentence: item.lines.joined(separator: " "), layout: .yaml, isFrame: parents.contains(n))
            r.key = path
            r.value = value.joined(separator: " ")
            r.comments = item.comments
            out.append(.record(r))
            if parents.contains(n) { stack.append((item.indent, item.key)) }
        }
        return (out, j)
    }

    // MARK: JSON-like objects

    private static let jsonKey = try! NSRegularExpression(pattern: #"^"?([A-Za-z_][A-Za-z0-9_.\- ]*)"?\s*:\s*(.*?)\s*,?$"#)

    /// A JSON-like object of `"dest": "value"` lines (`//` or `#` comments after them), opened by a line
    /// `{` and closed by its `}`; a nested object (`"traits": {`) prefixes its keys. Read as YAML keys.
    private static func json(_ lines: [String], at i: Int) -> ([Segment], Int)? {
        guard lines[i].trimmingCharacters(in: .whitespaces) == "{" else { return nil }
        var out: [Segment] = [.record(Record(sentence: "{", layout: .yaml, isFrame: true))]
        var stack: [String] = []
        var keys = 0
        var j = i + 1
        while j < lines.count {
            let t = lines[j].trimmingCharacters(in: .whitespaces)
            j += 1
            if t.isEmpty { continue }
            if t == "}" || t == "}," {
                out.append(.record(Record(sentence: t, layout: .yaml, isFrame: true)))
                if stack.isEmpty { return keys >= 2 ? (out, j) : nil }
                stack.removeLast()
                continue
            }
            var (body, comment) = splitComment(t, marker: "//")
            if comment == nil { (body, comment) = splitComment(body, marker: "#") }
            let ns = body as NSString
            guard let m = jsonKey.firstMatch(in: body, range: NSRange(location: 0, length: ns.length)) else { return nil }
            let key = ns.substring(with: m.range(at: 1)).trimmingCharacters(in: .whitespaces)
            var value = ns.substring(with: m.range(at: 2))
            if value == "{" {
                stack.append(key)
                out.append(.record(Record(sentence: t, layout: .yaml, isFrame: true)))
                continue
            }
            if value.count > 1, value.hasPrefix("\""), value.hasSuffix("\"") {
                value = String(value.dropFirst().dropLast()).replacingOccurrences(of: "\\\"", with: "\"")
            }
            guard !value.isEmpty else { return nil }
            var r = Record(sentence: t, layout: .yaml)
            r.key = (stack + [key]).joined(separator: ".")
            r.value = value
            r.comments = comment.map { [$0] } ?? []
            out.append(.record(r))
            keys += 1
        }
        return nil
    }

    // MARK: SQL

    private static func startsWord(_ line: String, _ word: String) -> Bool {
        let t = line.trimmingCharacters(in: .whitespaces).uppercased()
        return t == word || t.hasPrefix(word + " ") || t.hasPrefix(word + "\t")
    }

    /// A `SELECT … FROM …` statement: each item of the select list is a record (with the `--` comments of
    /// its lines), `SELECT` and `FROM` are frames, a `WHERE` clause is a record with its condition.
    private static func sql(_ lines: [String], at i: Int) -> ([Segment], Int)? {
        guard startsWord(lines[i], "SELECT") else { return nil }
        var j = i
        var out: [Segment] = []
        var current = ""
        var currentLines: [String] = []
        var comments: [String] = []
        var depth = 0
        var caseDepth = 0
        var items = 0
        var inQuote = false
        func finish() {
            let text = current.trimmingCharacters(in: .whitespaces)
            guard !text.isEmpty else { return }
            let sentence = currentLines.joined(separator: " ")
            var r = Record(sentence: sentence, layout: .sql)
            r.comments = comments
            // "expr AS alias": the last top-level AS.
            if let (expr, alias) = splitAlias(text) {
                r.value = expr
                r.key = alias
            } else {
                r.value = text
            }
            out.append(.record(r))
            items += 1
            current = ""
            currentLines = []
            comments = []
        }
        var sawFrom = false
        while j < lines.count {
            let raw = lines[j]
            let t = raw.trimmingCharacters(in: .whitespaces)
            if t.isEmpty { break }
            if startsWord(t, "FROM") {
                finish()
                out.append(.record(Record(sentence: t, layout: .sql, isFrame: true)))
                sawFrom = true
                j += 1
                continue
            }
            if sawFrom {
                if startsWord(t, "WHERE") {
                    let (body, comment) = splitComment(String(t.dropFirst(5)), marker: "--")
                    var r = Record(sentence: t, layout: .sql)
                    r.condition = body.trimmingCharacters(in: CharacterSet(charactersIn: " ;"))
                    r.comments = comment.map { [$0] } ?? []
                    out.append(.record(r))
                } else if (startsWord(t, "AND") || startsWord(t, "OR")), let lastIndex = out.indices.last,
                    case .record(var r) = out[lastIndex], r.condition != nil
                {
                    let (body, comment) = splitComment(t, marker: "--")
                    r.condition! += " " + body.trimmingCharacters(in: CharacterSet(charactersIn: " ;"))
                    r.sentence += " " + t
                    if let comment { r.comments.append(comment) }
                    out[lastIndex] = .record(r)
                } else {
                    out.append(.record(Record(sentence: t, layout: .sql, isFrame: t.hasPrefix("--") ? false : true)))
                }
                j += 1
                continue
            }
            var (body, comment) = splitComment(t, marker: "--")
            if j == i {
                body = String(body.dropFirst(6)).trimmingCharacters(in: .whitespaces)
                if body.isEmpty {
                    out.append(.record(Record(sentence: t, layout: .sql, isFrame: true)))
                    j += 1
                    continue
                }
            }
            // Cut the line at top-level commas; a comment belongs to the item its line ends (or continues).
            var pieceStart = body.startIndex
            var k = body.startIndex
            var ended = false
            while k < body.endIndex {
                let c = body[k]
                if c == "'" { inQuote.toggle() }
                if !inQuote {
                    if c == "(" { depth += 1 }
                    if c == ")" { depth -= 1 }
                    if c.isLetter, k == body.startIndex || !(body[body.index(before: k)].isLetter || body[body.index(before: k)] == "_") {
                        let rest = body[k...].uppercased()
                        let wordEnd = { (w: String) -> Bool in
                            rest.hasPrefix(w)
                                && (rest.count == w.count || !(rest[rest.index(rest.startIndex, offsetBy: w.count)].isLetter))
                        }
                        if wordEnd("CASE") { caseDepth += 1 }
                        if wordEnd("END") { caseDepth -= 1 }
                    }
                    if c == ",", depth == 0, caseDepth == 0 {
                        current += " " + body[pieceStart..<k]
                        if !currentLines.contains(t) { currentLines.append(t) }
                        if let comment, body[body.index(after: k)...].trimmingCharacters(in: .whitespaces).isEmpty {
                            comments.append(comment)
                        }
                        finish()
                        ended = true
                        pieceStart = body.index(after: k)
                    }
                }
                k = body.index(after: k)
            }
            let rest = body[pieceStart...].trimmingCharacters(in: .whitespaces)
            if !rest.isEmpty {
                current += " " + rest
                currentLines.append(t)
                if let comment { comments.append(comment) }
            } else if !ended, let comment {
                comments.append(comment)
                currentLines.append(t)
            } else if ended, let comment, !out.isEmpty, comments.isEmpty, case .record(var r) = out[out.count - 1],
                !r.comments.contains(comment)
            {
                r.comments.append(comment)
                out[out.count - 1] = .record(r)
            }
            j += 1
        }
        finish()
        // "Select the contacts, leads and accounts": a select list names its columns with AS.
        let aliased = out.filter { if case .record(let r) = $0 { !r.key.isEmpty } else { false } }.count
        guard items >= 2, aliased >= 2 else { return nil }
        return (out, j)
    }

    /// `expr AS alias` at the top level (the last `AS`), the alias without quotes.
    static func splitAlias(_ text: String) -> (String, String)? {
        guard let r = text.range(of: #"\s+AS\s+("[^"]+"|[A-Za-z_][A-Za-z0-9_.]*)\s*$"#, options: [.regularExpression, .caseInsensitive])
        else { return nil }
        let expr = String(text[..<r.lowerBound]).trimmingCharacters(in: .whitespaces)
        var alias = String(text[r]).trimmingCharacters(in: .whitespaces)
        alias = String(alias.dropFirst(2)).trimmingCharacters(in: .whitespaces)
        alias = alias.trimmingCharacters(in: CharacterSet(charactersIn: "\""))
        return expr.isEmpty ? nil : (expr, alias)
    }
}
