/// A name as written in the source (a field, function or object part) with its span.
public struct Name: Sendable, Hashable {
    /// The name; dotted paths are joined with `.` (`traits.email`).
    public var text: String
    /// Where it is written.
    public var span: SourceSpan
    /// Whether any part was written in backticks.
    public var quoted: Bool

    /// Creates a name.
    public init(_ text: String, span: SourceSpan, quoted: Bool = false) {
        self.text = text
        self.span = span
        self.quoted = quoted
    }
}

/// `platform.object`, as written in the header or a lookup.
public struct ObjectRef: Sendable, Hashable {
    /// Platform part (`hubspot`).
    public var platform: String
    /// Object part (`contact`).
    public var object: String
    /// Where it is written.
    public var span: SourceSpan

    /// `platform.object`.
    public var qualifiedName: String { "\(platform).\(object)" }
}

/// Comments attached to a statement or match arm, kept for the formatter.
public struct Trivia: Sendable, Hashable {
    /// Whole-line comments just before the node.
    public var leading: [Comment] = []
    /// A comment at the end of the node's last line.
    public var trailing: Comment?

    /// No comments.
    public init() {}
}

/// Binary operators, from loosest to tightest binding: `or`, `and`, comparisons, `??`, `+ -`, `* / %`.
public enum BinaryOperator: String, Sendable, Hashable, CaseIterable {
    case or, and
    case eq = "==", ne = "!=", lt = "<", le = "<=", gt = ">", ge = ">="
    case coalesce = "??"
    case add = "+", sub = "-"
    case mul = "*", div = "/", mod = "%"

    /// Binding strength; higher binds tighter.
    public var precedence: Int {
        switch self {
        case .or: 1
        case .and: 2
        case .eq, .ne, .lt, .le, .gt, .ge: 4
        case .coalesce: 5
        case .add, .sub: 6
        case .mul, .div, .mod: 7
        }
    }

    /// Whether `a op b op c` groups to the right (`??` does).
    public var rightAssociative: Bool { self == .coalesce }

    /// Whether this is a comparison (which does not chain).
    public var isComparison: Bool { precedence == 4 }

    /// The canonical spelling.
    public var spelling: String { rawValue }
}

/// Unary operators.
public enum UnaryOperator: String, Sendable, Hashable {
    case not
    case negate = "-"
}

/// A match arm pattern.
public enum Pattern: Sendable, Hashable {
    /// A literal expression (string, number, boolean or null).
    case literal(Expr)
    /// `_`, the default arm.
    case wildcard(SourceSpan)

    /// The pattern's span.
    public var span: SourceSpan {
        switch self {
        case .literal(let e): e.span
        case .wildcard(let s): s
        }
    }

    /// The depth of the pattern's expression (1 for `_`).
    public var depth: Int {
        switch self {
        case .literal(let e): e.depth
        case .wildcard: 1
        }
    }
}

/// One arm of a `match`: patterns, `=>`, a result.
public struct MatchArm: Sendable, Hashable {
    /// Alternative patterns, any of which selects the arm.
    public var patterns: [Pattern]
    /// The arm's result.
    public var value: Expr
    /// From the first pattern to the end of the value.
    public var span: SourceSpan
    /// Attached comments.
    public var trivia = Trivia()

    /// Whether this is a default (`_`) arm.
    public var isDefault: Bool {
        patterns.contains { if case .wildcard = $0 { true } else { false } }
    }
}

/// An expression node.
public struct Expr: Sendable, Hashable {
    /// The node kinds.
    public indirect enum Kind: Sendable, Hashable {
        case string(String)
        case integer(Int)
        /// A decimal literal with its canonical text.
        case decimal(String)
        case bool(Bool)
        case null
        /// A source field reference.
        case field(Name)
        /// A function call; `lookup(...)` is a call whose first argument is an object reference.
        case call(Name, [Expr])
        case unary(UnaryOperator, Expr)
        case binary(BinaryOperator, Expr, Expr)
        case ifThenElse(Expr, Expr, Expr)
        case match(Expr, [MatchArm])
        /// `base.name` or `base?.name`, on a lookup's result.
        case member(Expr, Name, optional: Bool)
        /// Syntax that could not be parsed (already reported).
        case error
    }

    /// What the node is.
    public var kind: Kind {
        didSet { depth = Expr.depth(of: kind) }
    }
    /// Where it is.
    public var span: SourceSpan
    /// The number of nodes on the longest path from this node down to a leaf (1 for a leaf):
    /// every pass over a tree recurses this deep, so the parser refuses trees deeper than
    /// ``maxDepth``.
    public private(set) var depth: Int

    /// The deepest expression tree the parser builds (see ``DiagnosticCode/nestedTooDeeply``).
    public static let maxDepth = 256

    /// Creates a node.
    public init(_ kind: Kind, _ span: SourceSpan) {
        self.kind = kind
        self.span = span
        self.depth = Expr.depth(of: kind)
    }

    /// One more than the depth of the deepest child.
    private static func depth(of kind: Kind) -> Int {
        switch kind {
        case .string, .integer, .decimal, .bool, .null, .field, .error: 1
        case .call(_, let args): 1 + args.reduce(0) { max($0, $1.depth) }
        case .unary(_, let x): 1 + x.depth
        case .binary(_, let l, let r): 1 + max(l.depth, r.depth)
        case .ifThenElse(let c, let a, let b): 1 + max(c.depth, a.depth, b.depth)
        case .match(let s, let arms):
            1 + arms.reduce(s.depth) { d, arm in max(d, arm.value.depth, arm.patterns.reduce(0) { max($0, $1.depth) }) }
        case .member(let base, _, _): 1 + base.depth
        }
    }
}

/// `mapping source -> destination`.
public struct MappingHeader: Sendable, Hashable {
    /// Source object.
    public var source: ObjectRef
    /// Destination object.
    public var destination: ObjectRef
    /// The whole line.
    public var span: SourceSpan
    /// Attached comments.
    public var trivia = Trivia()
}

/// `key Field`: the destination field used for upserts and deduplication.
public struct KeyDeclaration: Sendable, Hashable {
    /// The destination field.
    public var field: Name
    /// The whole line.
    public var span: SourceSpan
    /// Attached comments.
    public var trivia = Trivia()
}

/// `skip when condition`: records for which the condition holds are not mapped.
public struct SkipRule: Sendable, Hashable {
    /// The condition.
    public var condition: Expr
    /// The whole rule.
    public var span: SourceSpan
    /// Attached comments.
    public var trivia = Trivia()
}

/// `Field = expression`.
public struct Assignment: Sendable, Hashable {
    /// The destination field.
    public var target: Name
    /// The value.
    public var value: Expr
    /// The whole statement.
    public var span: SourceSpan
    /// Attached comments.
    public var trivia = Trivia()
}

/// A parsed mapping file.
public struct MappingFile: Sendable, Hashable {
    /// The `mapping` header, when present.
    public var header: MappingHeader?
    /// The key declaration, when present.
    public var key: KeyDeclaration?
    /// Skip rules in source order.
    public var skips: [SkipRule] = []
    /// Assignments in source order.
    public var assignments: [Assignment] = []
    /// Comments after the last statement.
    public var trailingComments: [Comment] = []

    /// An empty file.
    public init() {}
}
