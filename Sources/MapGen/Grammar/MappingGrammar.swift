import MapDSL

/// The mapping language as a grammar specialised to two schemas: the header names exactly the two
/// objects, the left side of an assignment is a writable destination field, names in expressions are
/// source fields, functions are the standard library with their arities, lookups name real objects
/// and fields, and literals flowing into a picklist field are its allowed values. Every string the
/// grammar derives parses without syntax errors.
public enum MappingGrammar {
    /// Builds the grammar for mappings from `source` to `destination`, with `lookups` as the objects
    /// `lookup(...)` may name.
    public static func build(source: Schema, destination: Schema, lookups: [Schema] = []) -> Grammar {
        var g = Grammar()
        let writable = destination.fields.filter { !$0.readOnly }
        let keys = writable.filter(\.canBeKey)

        // Statements. Every repetition is bounded, so constrained decoding of a weak model cannot spend
        // its token budget on comments, blank lines, spaces or one endless literal before the mapping:
        // the reply starts with the header, comments are short and trail a statement (citations), and
        // there are at most as many assignments as writable fields.
        var rootParts: [GrammarExpr] = [.ref("header-line")]
        if !keys.isEmpty { rootParts.append(.ref("key-line")) }
        rootParts += [
            upTo(maxSkipRules, .ref("skip-line")), .ref("assignment-line"), upTo(max(0, writable.count - 1), .ref("assignment-line")),
        ]
        g.define("root", .sequence(rootParts))
        g.define("comment-text", upTo(maxCommentCharacters, .chars(CharClass.of("\n\r", negated: true))))
        g.define("eol", .sequence([.ref("sp"), .optional(.ref("comment")), .literal("\n"), .optional(.literal("\n"))]))
        g.define("comment", .sequence([.literal("#"), .ref("comment-text")]))
        g.define("sp", upTo(maxSpaces, .literal(" ")))
        g.define(
            "header-line",
            .sequence([
                .literal("mapping " + objectName(source) + " -> " + objectName(destination)), .ref("eol"),
            ]))
        if !keys.isEmpty {
            g.define("key-line", .sequence([.literal("key "), .choice(keys.map { .literal(fieldName($0.name)) }), .ref("eol")]))
        }
        g.define("skip-line", .sequence([.literal("skip when "), .ref("rhs"), .ref("eol")]))

        var picklistRules: [[String]: String] = [:]
        var assignments: [GrammarExpr] = []
        for f in writable {
            var value: GrammarExpr = .ref("rhs")
            if f.type == .picklist, let values = f.values {
                let name: String
                if let existing = picklistRules[values] {
                    name = existing
                } else {
                    name = "pick-\(picklistRules.count + 1)"
                    picklistRules[values] = name
                    definePicklist(&g, name: name, values: values)
                }
                value = .ref(name)
            }
            assignments.append(.sequence([.literal(fieldName(f.name)), .ref("sp"), .literal("="), .ref("sp"), value, .ref("eol")]))
        }
        g.define("assignment-line", .choice(assignments))

        defineExpressions(&g, source: source, lookups: lookups)
        return g
    }

    /// Characters a comment may hold after `#` (room for `[S1, S2] confidence 0.95, named in prose`).
    public static let maxCommentCharacters = 80
    /// Spaces in a row (the formatter aligns `=` signs).
    public static let maxSpaces = 40
    /// Characters of one string literal.
    public static let maxStringCharacters = 200
    /// Skip rules.
    public static let maxSkipRules = 6

    /// At most `n` of `x`, as nested optionals (`(x (x (x)?)?)?`): every GBNF engine reads them, and
    /// each text has one parse.
    static func upTo(_ n: Int, _ x: GrammarExpr) -> GrammarExpr {
        guard n > 0 else { return .sequence([]) }
        var e: GrammarExpr = .optional(x)
        for _ in 1..<n { e = .optional(.sequence([x, e])) }
        return e
    }

    static func objectName(_ s: Schema) -> String {
        fieldName(s.platform) + "." + fieldName(s.object)
    }

    static func fieldName(_ name: String) -> String {
        Formatter.name(Name(name, span: .point(0)))
    }

    /// Values that may flow into a picklist field: its literals, or expressions whose literal
    /// results (through `if`, `match` and `??`) are its literals.
    private static func definePicklist(_ g: inout Grammar, name: String, values: [String]) {
        g.define(name, .sequence([.ref("\(name)-term"), .optional(.sequence([.ref("sp"), .literal("??"), .ref("sp"), .ref(name)]))]))
        g.define("\(name)-lit", .choice(values.map { .literal(Formatter.stringLiteral($0)) }))
        g.define(
            "\(name)-term",
            .choice([
                .ref("\(name)-lit"),
                .sequence([.literal("if "), .ref("expr"), .ref("then-sep"), .ref(name), .ref("else-sep"), .ref(name)]),
                .sequence([
                    .literal("match "), .ref("expr"), .literal(" {"), .ref("eol"),
                    .zeroOrMore(.sequence([.ref("arm-lead"), .ref("sp"), .literal("=>"), .ref("sp"), .ref(name), .ref("eol")])),
                    .ref("sp"), .literal("_"), .ref("sp"), .literal("=>"), .ref("sp"), .ref(name), .ref("eol"), .ref("sp"), .literal("}"),
                ]),
                .ref("src-field"), .ref("call"), .ref("lookup"), .literal("null"),
                .sequence([.literal("("), .ref("sp"), .ref(name), .ref("sp"), .literal(")")]),
            ]))
    }

    private static func defineExpressions(_ g: inout Grammar, source: Schema, lookups: [Schema]) {
        func binary(_ name: String, _ operand: String, _ op: GrammarExpr) {
            g.define(name, .sequence([.ref(operand), .zeroOrMore(.sequence([op, .ref(operand)]))]))
        }
        func spaced(_ ops: [String]) -> GrammarExpr {
            .sequence([.ref("sp"), .choice(ops.map { .literal($0) }), .ref("sp")])
        }
        // `rhs` is an expression in a position no operator follows (a whole value, a branch, an argument);
        // only there may a bare `if` stand, since its `else` branch would swallow a following operator.
        g.define("rhs", .choice([.ref("if-expr"), .ref("expr")]))
        g.define("expr", .ref("or-expr"))
        binary("or-expr", "and-expr", .literal(" or "))
        binary("and-expr", "not-expr", .literal(" and "))
        g.define("not-expr", .choice([.sequence([.literal("not "), .ref("not-expr")]), .ref("cmp-expr")]))
        g.define(
            "cmp-expr",
            .sequence([.ref("coalesce-expr"), .optional(.sequence([spaced(["==", "!=", "<=", ">=", "<", ">"]), .ref("coalesce-expr")]))]))
        binary("coalesce-expr", "add-expr", spaced(["??"]))
        binary("add-expr", "mul-expr", spaced(["+", "-"]))
        binary("mul-expr", "unary", spaced(["*", "/", "%"]))
        g.define("unary", .choice([.sequence([.literal("-"), .ref("unary")]), .ref("primary")]))
        g.define(
            "primary",
            .choice([
                .ref("string"), .ref("number"), .literal("true"), .literal("false"), .literal("null"), .ref("src-field"), .ref("call"),
                .ref("lookup"), .sequence([.literal("("), .ref("sp"), .ref("rhs"), .ref("sp"), .literal(")")]), .ref("match-expr"),
            ]))
        g.define("if-expr", .sequence([.literal("if "), .ref("expr"), .ref("then-sep"), .ref("rhs"), .ref("else-sep"), .ref("rhs")]))
        // `mapc fmt` breaks a long `if` before `then` and `else` onto indented lines.
        g.define("then-sep", .choice([.literal(" then "), .sequence([.literal("\n"), .ref("indent"), .literal("then ")])]))
        g.define("else-sep", .choice([.literal(" else "), .sequence([.literal("\n"), .ref("indent"), .literal("else ")])]))
        g.define("indent", .sequence([.literal(" "), upTo(maxSpaces - 1, .literal(" "))]))
        g.define(
            "match-expr",
            .sequence([
                .literal("match "), .ref("expr"), .literal(" {"), .ref("eol"),
                .zeroOrMore(.sequence([.ref("arm-lead"), .ref("sp"), .literal("=>"), .ref("sp"), .ref("rhs"), .ref("eol")])),
                .ref("sp"), .literal("_"), .ref("sp"), .literal("=>"), .ref("sp"), .ref("rhs"), .ref("eol"), .ref("sp"), .literal("}"),
            ]))
        g.define(
            "arm-lead",
            .sequence([.ref("sp"), .ref("pattern"), .zeroOrMore(.sequence([.ref("sp"), .literal(","), .ref("sp"), .ref("pattern")]))]))
        g.define(
            "pattern",
            .choice([
                .ref("string"), .ref("number"), .sequence([.literal("-"), .ref("number")]), .literal("true"), .literal("false"),
                .literal("null"),
            ]))

        // Literals.
        g.define("string", .sequence([.literal("\""), upTo(maxStringCharacters, .ref("string-char")), .literal("\"")]))
        g.define(
            "string-char",
            .choice([.chars(CharClass.of("\"\\\n\r", negated: true)), .sequence([.literal("\\"), .chars(CharClass.of("\"\\ntr'"))])]))
        let digit = GrammarExpr.chars(CharClass([0x30...0x39]))
        // At most 15 digits, so every integer fits in 64 bits.
        g.define(
            "number",
            .sequence([digit] + Array(repeating: .optional(digit), count: 14) + [.optional(.sequence([.literal("."), .oneOrMore(digit)]))]))

        // Names.
        let sourceNames = source.fields.map { GrammarExpr.literal(fieldName($0.name)) }
        g.define("src-field", .choice(sourceNames.isEmpty ? [.literal("null")] : sourceNames))

        // Calls, with each function's arity.
        var calls: [GrammarExpr] = []
        for fn in Stdlib.all {
            var args: [GrammarExpr] = [.ref("rhs")]
            let comma = GrammarExpr.sequence([.ref("sp"), .literal(","), .ref("sp"), .ref("rhs")])
            for _ in 1..<max(1, fn.required) { args.append(comma) }
            if fn.variadic {
                args.append(.zeroOrMore(comma))
            } else if fn.params.count > fn.required {
                var optional: GrammarExpr?
                for _ in fn.required..<fn.params.count {
                    optional = .optional(.sequence(optional.map { [comma, $0] } ?? [comma]))
                }
                if let optional { args.append(optional) }
            }
            calls.append(.sequence([.literal(fn.name + "("), .ref("sp")] + args + [.ref("sp"), .literal(")")]))
        }
        g.define("call", .choice(calls))

        // Lookups: lookup(platform.Object, Field == value)?.Field
        var lookupAlternatives: [GrammarExpr] = []
        for (i, schema) in lookups.enumerated() {
            let fieldRule = "lookup-field-\(i + 1)"
            g.define(fieldRule, .choice(schema.fields.map { .literal(fieldName($0.name)) }))
            lookupAlternatives.append(
                .sequence([
                    .literal("lookup(" + objectName(schema)), .ref("sp"), .literal(","), .ref("sp"), .ref(fieldRule), .ref("sp"),
                    .literal("=="), .ref("sp"), .ref("coalesce-expr"), .ref("sp"), .literal(")?."), .ref(fieldRule),
                ]))
        }
        g.define("lookup", .choice(lookupAlternatives.isEmpty ? [.ref("call")] : lookupAlternatives))
    }
}
