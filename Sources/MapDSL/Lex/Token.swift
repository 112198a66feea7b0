/// The kinds of token in the mapping language.
public enum TokenKind: Sendable, Hashable {
    case identifier
    /// A field name written in backticks, for names that are not plain identifiers.
    case quotedIdentifier
    case string
    case integer
    case decimal
    case newline
    case eof
    // Keywords
    case kwMapping, kwKey, kwSkip, kwWhen, kwIf, kwThen, kwElse, kwMatch, kwAnd, kwOr, kwNot, kwTrue, kwFalse, kwNull
    // Punctuation and operators
    case arrow  // ->
    case fatArrow  // =>
    case assign  // =
    case eq, ne, lt, le, gt, ge
    case plus, minus, star, slash, percent
    case coalesce  // ??
    case optionalDot  // ?.
    case dot, comma, lparen, rparen, lbrace, rbrace
    /// A character the lexer could not read (already reported).
    case invalid

    /// How the token is written, for messages.
    public var display: String {
        switch self {
        case .identifier, .quotedIdentifier: "a name"
        case .string: "a string"
        case .integer, .decimal: "a number"
        case .newline: "end of line"
        case .eof: "end of file"
        case .kwMapping: "`mapping`"
        case .kwKey: "`key`"
        case .kwSkip: "`skip`"
        case .kwWhen: "`when`"
        case .kwIf: "`if`"
        case .kwThen: "`then`"
        case .kwElse: "`else`"
        case .kwMatch: "`match`"
        case .kwAnd: "`and`"
        case .kwOr: "`or`"
        case .kwNot: "`not`"
        case .kwTrue: "`true`"
        case .kwFalse: "`false`"
        case .kwNull: "`null`"
        case .arrow: "`->`"
        case .fatArrow: "`=>`"
        case .assign: "`=`"
        case .eq: "`==`"
        case .ne: "`!=`"
        case .lt: "`<`"
        case .le: "`<=`"
        case .gt: "`>`"
        case .ge: "`>=`"
        case .plus: "`+`"
        case .minus: "`-`"
        case .star: "`*`"
        case .slash: "`/`"
        case .percent: "`%`"
        case .coalesce: "`??`"
        case .optionalDot: "`?.`"
        case .dot: "`.`"
        case .comma: "`,`"
        case .lparen: "`(`"
        case .rparen: "`)`"
        case .lbrace: "`{`"
        case .rbrace: "`}`"
        case .invalid: "an invalid character"
        }
    }

    /// Reserved words and their kinds.
    public static let keywords: [String: TokenKind] = [
        "mapping": .kwMapping, "key": .kwKey, "skip": .kwSkip, "when": .kwWhen, "if": .kwIf, "then": .kwThen,
        "else": .kwElse, "match": .kwMatch, "and": .kwAnd, "or": .kwOr, "not": .kwNot, "true": .kwTrue,
        "false": .kwFalse, "null": .kwNull,
    ]

    /// Whether the token may appear as a field name where a name is expected (keywords as field names
    /// must be quoted, except a few that read naturally).
    var isName: Bool { self == .identifier || self == .quotedIdentifier }
}

/// One token with its span and, for names, strings and numbers, its value.
public struct Token: Sendable, Hashable {
    /// The kind.
    public var kind: TokenKind
    /// Where it is.
    public var span: SourceSpan
    /// Name, decoded string content, or number text.
    public var text: String
}

/// A `#` comment kept as trivia for the formatter.
public struct Comment: Sendable, Hashable {
    /// The comment text after `#`, without the newline.
    public var text: String
    /// Where it is.
    public var span: SourceSpan
    /// True when code precedes the comment on its line.
    public var trailing: Bool
}
