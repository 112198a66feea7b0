/// A set of characters in a grammar: ranges of Unicode scalar values, possibly negated.
public struct CharClass: Sendable, Hashable {
    /// Whether the class matches everything except the ranges.
    public var negated: Bool
    /// The ranges.
    public var ranges: [ClosedRange<UInt32>]

    /// Creates a class.
    public init(negated: Bool = false, _ ranges: [ClosedRange<UInt32>]) {
        self.negated = negated
        self.ranges = ranges
    }

    /// A class of the listed characters.
    public static func of(_ chars: String, negated: Bool = false) -> CharClass {
        CharClass(negated: negated, chars.unicodeScalars.map { $0.value...$0.value })
    }

    /// Whether `scalar` is in the class.
    public func contains(_ scalar: Unicode.Scalar) -> Bool {
        ranges.contains { $0.contains(scalar.value) } != negated
    }
}

/// A grammar expression: the building blocks of GBNF rules.
public indirect enum GrammarExpr: Sendable, Hashable {
    /// Exact text.
    case literal(String)
    /// One character from a class.
    case chars(CharClass)
    /// Another rule, by name.
    case ref(String)
    /// Each in turn.
    case sequence([GrammarExpr])
    /// Any one of them.
    case choice([GrammarExpr])
    /// Zero or one.
    case optional(GrammarExpr)
    /// Zero or more.
    case zeroOrMore(GrammarExpr)
    /// One or more.
    case oneOrMore(GrammarExpr)
}

/// A context-free grammar in GBNF form: named rules, the first of which is `root`.
public struct Grammar: Sendable, Hashable {
    /// Rules in definition order.
    public private(set) var rules: [(name: String, expr: GrammarExpr)] = []
    private var index: [String: Int] = [:]

    /// An empty grammar.
    public init() {}

    public static func == (a: Grammar, b: Grammar) -> Bool {
        a.rules.count == b.rules.count && zip(a.rules, b.rules).allSatisfy { $0.name == $1.name && $0.expr == $1.expr }
    }

    public func hash(into h: inout Hasher) {
        for r in rules {
            h.combine(r.name)
            h.combine(r.expr)
        }
    }

    /// Defines (or redefines) rule `name`.
    public mutating func define(_ name: String, _ expr: GrammarExpr) {
        if let i = index[name] {
            rules[i].expr = expr
        } else {
            index[name] = rules.count
            rules.append((name, expr))
        }
    }

    /// Whether rule `name` exists.
    public func has(_ name: String) -> Bool { index[name] != nil }

    /// The expression of rule `name`.
    public func rule(_ name: String) -> GrammarExpr? { index[name].map { rules[$0].expr } }

    /// Rule names referenced but never defined (empty for a well-formed grammar).
    public var undefinedReferences: [String] {
        var missing = Set<String>()
        func walk(_ e: GrammarExpr) {
            switch e {
            case .literal, .chars: break
            case .ref(let n): if index[n] == nil { missing.insert(n) }
            case .sequence(let es), .choice(let es): es.forEach(walk)
            case .optional(let x), .zeroOrMore(let x), .oneOrMore(let x): walk(x)
            }
        }
        rules.forEach { walk($0.expr) }
        return missing.sorted()
    }

    /// The grammar in llama.cpp's GBNF: `name ::= expression`, one rule per line, `root` first.
    public var gbnf: String {
        rules.map { "\($0.name) ::= \(Grammar.render($0.expr, top: true))" }.joined(separator: "\n") + "\n"
    }

    static func render(_ e: GrammarExpr, top: Bool = false) -> String {
        switch e {
        case .literal(let s): return quote(s)
        case .chars(let c): return renderClass(c)
        case .ref(let n): return n
        case .sequence(let es):
            let s = es.map { element in
                if case .choice = element { return "(" + render(element) + ")" }
                return render(element)
            }.joined(separator: " ")
            return top || es.count <= 1 ? s : "(" + s + ")"
        case .choice(let es):
            let s = es.map { render($0, top: true) }.joined(separator: " | ")
            return top ? s : "(" + s + ")"
        case .optional(let x): return postfix(x) + "?"
        case .zeroOrMore(let x): return postfix(x) + "*"
        case .oneOrMore(let x): return postfix(x) + "+"
        }
    }

    private static func postfix(_ x: GrammarExpr) -> String {
        switch x {
        case .literal, .chars, .ref: return render(x)
        case .sequence(let es) where es.count == 1: return postfix(es[0])
        default: return "(" + render(x, top: true) + ")"
        }
    }

    /// A GBNF string literal: `"` and `\` escaped, control characters as `\n`, `\r`, `\t` or `\xHH`.
    static func quote(_ s: String) -> String {
        "\"" + s.unicodeScalars.map(escape).joined() + "\""
    }

    private static func escape(_ u: Unicode.Scalar) -> String {
        switch u {
        case "\"": return "\\\""
        case "\\": return "\\\\"
        case "\n": return "\\n"
        case "\r": return "\\r"
        case "\t": return "\\t"
        case _ where u.value < 0x20 || u.value == 0x7F:
            let hex = String(u.value, radix: 16)
            return "\\x" + (hex.count < 2 ? "0" + hex : hex)
        default: return String(u)
        }
    }

    private static func renderClass(_ c: CharClass) -> String {
        func one(_ v: UInt32) -> String {
            guard let u = Unicode.Scalar(v) else { return "" }
            switch u {
            // llama.cpp's GBNF knows only \x \u \U \t \r \n \\ \" \[ \] as escapes.
            case "]", "[", "\\": return "\\" + String(u)
            case "^": return "\\x5E"
            case "-": return "\\x2D"
            case "\n": return "\\n"
            case "\r": return "\\r"
            case "\t": return "\\t"
            default: return escape(u) == "\\\"" ? "\"" : escape(u)
            }
        }
        let body = c.ranges.map { r in r.lowerBound == r.upperBound ? one(r.lowerBound) : one(r.lowerBound) + "-" + one(r.upperBound) }
        return "[" + (c.negated ? "^" : "") + body.joined() + "]"
    }
}
