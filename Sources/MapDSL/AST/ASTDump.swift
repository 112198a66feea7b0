/// A span-free S-expression rendering of a parse tree: two trees with the same dump are the same
/// mapping, whatever their layout and comments. Used by tests and `--debug-ast`.
public enum ASTDump {
    /// The whole file.
    public static func dump(_ file: MappingFile) -> String {
        var lines: [String] = []
        if let h = file.header { lines.append("(mapping \(h.source.qualifiedName) \(h.destination.qualifiedName))") }
        if let k = file.key { lines.append("(key \(k.field.text))") }
        for s in file.skips { lines.append("(skip \(dump(s.condition)))") }
        for a in file.assignments { lines.append("(= \(a.target.text) \(dump(a.value)))") }
        return lines.joined(separator: "\n")
    }

    /// One expression.
    public static func dump(_ e: Expr) -> String {
        switch e.kind {
        case .string(let s): return Formatter.stringLiteral(s)
        case .integer(let i): return String(i)
        case .decimal(let d): return d
        case .bool(let b): return b ? "true" : "false"
        case .null: return "null"
        case .error: return "<error>"
        case .field(let n): return "$" + n.text
        case .call(let n, let args): return "(\(n.text)" + args.map { " " + dump($0) }.joined() + ")"
        case .unary(let op, let x): return "(\(op.rawValue) \(dump(x)))"
        case .binary(let op, let l, let r): return "(\(op.spelling) \(dump(l)) \(dump(r)))"
        case .ifThenElse(let c, let a, let b): return "(if \(dump(c)) \(dump(a)) \(dump(b)))"
        case .member(let b, let n, _): return "(. \(dump(b)) \(n.text))"
        case .match(let s, let arms):
            let body = arms.map { arm in
                "("
                    + arm.patterns.map { p -> String in
                        switch p {
                        case .wildcard: "_"
                        case .literal(let l): dump(l)
                        }
                    }.joined(separator: " ") + " => " + dump(arm.value) + ")"
            }
            return "(match \(dump(s)) " + body.joined(separator: " ") + ")"
        }
    }
}
