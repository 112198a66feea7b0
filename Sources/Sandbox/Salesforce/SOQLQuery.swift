import Foundation

/// The subset of SOQL the sandbox understands:
/// `SELECT f1, f2 FROM Object [WHERE f op literal [AND ...]] [ORDER BY f [ASC|DESC][, f [ASC|DESC] ...]] [LIMIT n] [OFFSET n]`,
/// and `SELECT COUNT() FROM Object [WHERE ...] [LIMIT n]` (COUNT() alone in the SELECT list, no
/// ORDER BY, as Salesforce's SOQL reference says; the answer is `totalSize` with no records).
///
/// Operators: `=`, `!=`, `<`, `<=`, `>`, `>=`. Literals: `'text'` (with `\'` escapes), numbers,
/// `true`/`false`, `null`, and unquoted date-times such as `2024-01-01T00:00:00Z`. Keywords are
/// case-insensitive. Anything else is a `MALFORMED_QUERY`.
struct SOQLQuery: Sendable, Equatable {
    struct Condition: Sendable, Equatable {
        let field: String
        let op: String
        let literal: JSONValue
    }

    let fields: [String]
    /// `SELECT COUNT()`: only the number of matching records is asked for.
    var countOnly = false
    let object: String
    let conditions: [Condition]
    /// The sort keys, most significant first (later ones order records the earlier ones leave equal).
    let ordering: [(field: String, descending: Bool)]
    let limit: Int?
    let offset: Int?

    /// The first sort key.
    var orderBy: (field: String, descending: Bool)? { ordering.first }

    static func == (lhs: SOQLQuery, rhs: SOQLQuery) -> Bool {
        lhs.fields == rhs.fields && lhs.countOnly == rhs.countOnly && lhs.object == rhs.object && lhs.conditions == rhs.conditions
            && lhs.ordering.map(\.field) == rhs.ordering.map(\.field) && lhs.ordering.map(\.descending) == rhs.ordering.map(\.descending)
            && lhs.limit == rhs.limit && lhs.offset == rhs.offset
    }

    /// Why a query could not be parsed, in Salesforce's words.
    struct Malformed: Error, Equatable {
        let message: String
    }

    /// Parses `text` or throws ``Malformed``.
    static func parse(_ text: String) throws -> SOQLQuery {
        var tokens = try tokenize(text)[...]
        func next() -> String? { tokens.popFirst() }
        func peekKeyword(_ word: String) -> Bool { tokens.first?.uppercased() == word }
        func expectKeyword(_ word: String) throws {
            guard let token = next(), token.uppercased() == word else {
                throw Malformed(message: "unexpected token: '\(tokens.first ?? "<end>")', expected \(word)")
            }
        }

        try expectKeyword("SELECT")
        var fields: [String] = []
        var countOnly = false
        if let first = tokens.first, first.uppercased() == "COUNT()" || first.uppercased().hasPrefix("COUNT(") {
            guard first.uppercased() == "COUNT()" else {
                throw Malformed(message: "the sandbox understands COUNT() only, not \(first)")
            }
            _ = next()
            guard peekKeyword("FROM") else { throw Malformed(message: "COUNT() must be the only element in the SELECT list") }
            countOnly = true
        }
        if !countOnly {
            repeat {
                guard let field = next(), isIdentifier(field), field.uppercased() != "FROM" else {
                    throw Malformed(message: "unexpected token: expected a field name after SELECT")
                }
                fields.append(field)
                if tokens.first == "," { _ = next() } else { break }
            } while true
        }
        try expectKeyword("FROM")
        guard let object = next(), isIdentifier(object) else {
            throw Malformed(message: "unexpected token: expected an object name after FROM")
        }

        var conditions: [Condition] = []
        if peekKeyword("WHERE") {
            _ = next()
            repeat {
                guard let field = next(), isIdentifier(field), let op = next(),
                    ["=", "!=", "<", "<=", ">", ">="].contains(op), let literal = next()
                else { throw Malformed(message: "unexpected token in WHERE clause") }
                conditions.append(Condition(field: field, op: op, literal: try parseLiteral(literal)))
                if peekKeyword("AND") { _ = next() } else { break }
            } while true
        }
        var ordering: [(field: String, descending: Bool)] = []
        if peekKeyword("ORDER") {
            _ = next()
            try expectKeyword("BY")
            repeat {
                guard let field = next(), isIdentifier(field) else { throw Malformed(message: "expected a field after ORDER BY") }
                var descending = false
                if peekKeyword("ASC") { _ = next() } else if peekKeyword("DESC") { _ = next(); descending = true }
                ordering.append((field, descending))
                if tokens.first == "," { _ = next() } else { break }
            } while true
        }
        var limit: Int?
        if peekKeyword("LIMIT") {
            _ = next()
            guard let value = next().flatMap(Int.init), value >= 0 else { throw Malformed(message: "expected a number after LIMIT") }
            limit = value
        }
        var offset: Int?
        if peekKeyword("OFFSET") {
            _ = next()
            guard let value = next().flatMap(Int.init), value >= 0 else { throw Malformed(message: "expected a number after OFFSET") }
            offset = value
        }
        if let extra = tokens.first {
            throw Malformed(message: "unexpected token: '\(extra)'")
        }
        if countOnly, !ordering.isEmpty {
            throw Malformed(message: "ORDER BY cannot be used with COUNT(); use COUNT(fieldName)")
        }
        return SOQLQuery(
            fields: fields, countOnly: countOnly, object: object, conditions: conditions, ordering: ordering, limit: limit,
            offset: offset)
    }

    private static func isIdentifier(_ token: String) -> Bool {
        let bytes = token.utf8
        if bytes.allSatisfy({ $0 < 0x80 }) {
            // ASCII letters and digits are the ASCII characters that are letters and numbers.
            func isLetter(_ byte: UInt8) -> Bool { (byte | 0x20) >= UInt8(ascii: "a") && (byte | 0x20) <= UInt8(ascii: "z") }
            guard let first = bytes.first, isLetter(first) else { return false }
            return bytes.allSatisfy {
                isLetter($0) || ($0 >= 0x30 && $0 <= 0x39) || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: ".")
            }
        }
        guard let first = token.first, first.isLetter else { return false }
        return token.allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" || $0 == "." }
    }

    private static func parseLiteral(_ token: String) throws -> JSONValue {
        if token.hasPrefix("'") { return .string(String(token.dropFirst())) }
        switch token.lowercased() {
        case "true": return .bool(true)
        case "false": return .bool(false)
        case "null": return .null
        default: break
        }
        if let number = Double(token) { return .number(number) }
        if Timestamps.parse(token) != nil { return .string(token) }
        throw Malformed(message: "unexpected token: '\(token)'")
    }

    /// Splits into words, punctuation and quoted strings (a string token keeps its opening quote).
    private static func tokenize(_ text: String) throws -> [String] {
        if let tokens = try asciiTokens(text) { return tokens }
        return try characterTokens(text)
    }

    /// ``tokenize(_:)`` over bytes, for ASCII text (`nil` for other text). In ASCII every character is one
    /// byte except CR LF, which is whitespace between tokens and two plain bytes inside a string literal,
    /// so the tokens are the same as when splitting by characters.
    static func asciiTokens(_ text: String) throws -> [String]? {
        var text = text
        return try text.withUTF8 { bytes throws -> [String]? in
            guard bytes.allSatisfy({ $0 < 0x80 }) else { return nil }
            func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || (byte >= 0x09 && byte <= 0x0D) }
            func isOperator(_ byte: UInt8) -> Bool {
                byte == UInt8(ascii: "=") || byte == UInt8(ascii: "<") || byte == UInt8(ascii: ">")
                    || byte == UInt8(ascii: "!")
            }
            func string(_ range: Range<Int>) -> String {
                String(decoding: UnsafeBufferPointer(rebasing: bytes[range]), as: UTF8.self)
            }
            var tokens: [String] = []
            var i = 0
            while i < bytes.count {
                let byte = bytes[i]
                if isSpace(byte) {
                    i += 1
                } else if byte == UInt8(ascii: ",") {
                    tokens.append(",")
                    i += 1
                } else if isOperator(byte) {
                    var end = i + 1
                    if end < bytes.count,
                        bytes[end] == UInt8(ascii: "=") || (byte == UInt8(ascii: "<") && bytes[end] == UInt8(ascii: ">"))
                    {
                        end += 1
                    }
                    let op = string(i..<end)
                    tokens.append(op == "<>" ? "!=" : op)
                    i = end
                } else if byte == UInt8(ascii: "'") {
                    var value: [UInt8] = [UInt8(ascii: "'")]
                    var closed = false
                    i += 1
                    while i < bytes.count {
                        let next = bytes[i]
                        i += 1
                        if next == UInt8(ascii: "\\") {
                            // A backslash at the very end leaves the literal unterminated either way.
                            if i < bytes.count {
                                value.append(bytes[i])
                                i += 1
                            }
                        } else if next == UInt8(ascii: "'") {
                            closed = true
                            break
                        } else {
                            value.append(next)
                        }
                    }
                    guard closed else { throw Malformed(message: "unterminated string literal") }
                    tokens.append(String(decoding: value, as: UTF8.self))
                } else {
                    let start = i
                    while i < bytes.count, !isSpace(bytes[i]), bytes[i] != UInt8(ascii: ","),
                        bytes[i] != UInt8(ascii: "'"), !isOperator(bytes[i])
                    {
                        i += 1
                    }
                    tokens.append(string(start..<i))
                }
            }
            return tokens
        }
    }

    /// ``tokenize(_:)`` by characters, for text beyond ASCII.
    static func characterTokens(_ text: String) throws -> [String] {
        var tokens: [String] = []
        var characters = Array(text)[...]
        while let character = characters.first {
            if character.isWhitespace {
                characters.removeFirst()
            } else if character == "," {
                tokens.append(",")
                characters.removeFirst()
            } else if "=<>!".contains(character) {
                var op = String(characters.removeFirst())
                if characters.first == "=" || (op == "<" && characters.first == ">") {
                    op.append(characters.removeFirst())
                }
                tokens.append(op == "<>" ? "!=" : op)
            } else if character == "'" {
                characters.removeFirst()
                var value = "'"
                var closed = false
                while let next = characters.popFirst() {
                    if next == "\\", let escaped = characters.popFirst() {
                        value.append(escaped)
                    } else if next == "'" {
                        closed = true
                        break
                    } else {
                        value.append(next)
                    }
                }
                guard closed else { throw Malformed(message: "unterminated string literal") }
                tokens.append(value)
            } else {
                var word = ""
                while let next = characters.first, !next.isWhitespace, next != ",", next != "'", !"=<>!".contains(next) {
                    word.append(characters.removeFirst())
                }
                // Time-zone offsets like +01:00 stay in the word; a bare '-' or '+' cannot start one.
                tokens.append(word)
            }
        }
        return tokens
    }

    /// Whether `text` can parse as a date at all (ten bytes or more, starting with a digit), so that
    /// most text skips the parse.
    private static func mayBeDate(_ text: String) -> Bool {
        guard let first = text.utf8.first else { return false }
        return first >= 0x30 && first <= 0x39 && text.utf8.count >= 10
    }

    /// Whether ASCII `left` and `right` are equal ignoring case; `nil` when either is not ASCII.
    private static func asciiEqualIgnoringCase(_ left: String, _ right: String) -> Bool? {
        let a = left.utf8
        let b = right.utf8
        guard a.allSatisfy({ $0 < 0x80 }), b.allSatisfy({ $0 < 0x80 }) else { return nil }
        guard a.count == b.count else { return false }
        func folded(_ byte: UInt8) -> UInt8 { byte >= 0x41 && byte <= 0x5A ? byte | 0x20 : byte }
        return zip(a, b).allSatisfy { folded($0) == folded($1) }
    }

    /// Whether a record's value satisfies one condition (dates compared as instants).
    static func satisfies(_ value: JSONValue?, _ condition: Condition) -> Bool {
        let actual = value ?? .null
        if condition.literal == .null || actual == .null {
            let equal = condition.literal == actual
            return condition.op == "=" ? equal : condition.op == "!=" ? !equal : false
        }
        let ordering: ComparisonResult
        if let left = actual.numberValue, let right = condition.literal.numberValue {
            ordering = left < right ? .orderedAscending : left > right ? .orderedDescending : .orderedSame
        } else if let leftText = actual.textValue, let rightText = condition.literal.textValue,
            mayBeDate(leftText), mayBeDate(rightText),
            let left = Timestamps.parse(leftText), let right = Timestamps.parse(rightText),
            leftText.count > 9 && rightText.count > 9
        {
            ordering = left.compare(right)
        } else if condition.op == "=" || condition.op == "!=",
            let equal = asciiEqualIgnoringCase(actual.textValue ?? "", condition.literal.textValue ?? "")
        {
            // Only equality matters here, and ASCII text folds case without Foundation.
            ordering = equal ? .orderedSame : .orderedAscending
        } else {
            ordering = (actual.textValue ?? "").compare(condition.literal.textValue ?? "", options: .caseInsensitive)
        }
        switch condition.op {
        case "=": return ordering == .orderedSame
        case "!=": return ordering != .orderedSame
        case "<": return ordering == .orderedAscending
        case "<=": return ordering != .orderedDescending
        case ">": return ordering == .orderedDescending
        default: return ordering != .orderedAscending
        }
    }
}
