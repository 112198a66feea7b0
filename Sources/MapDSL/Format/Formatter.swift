/// Prints mappings in canonical form: header, key, skip rules, then one assignment per line with the
/// key field first and the rest in alphabetical order, `=` aligned, minimal parentheses, canonical
/// operators and quotes, comments kept. Formatting is idempotent and preserves the parse tree.
public enum Formatter {
    /// Lines longer than this break an `if` into `then`/`else` lines.
    public static let lineWidth = 100
    /// Names longer than this do not widen the alignment column.
    static let maxAlign = 32

    /// The canonical text of `file`.
    public static func format(_ file: MappingFile) -> String {
        var out: [String] = []
        if let h = file.header {
            emitLeading(h.trivia, into: &out, indent: "")
            out.append(withTrailing("mapping \(objectRef(h.source)) -> \(objectRef(h.destination))", h.trivia))
        }
        if let k = file.key {
            emitLeading(k.trivia, into: &out, indent: "")
            out.append(withTrailing("key \(name(k.field))", k.trivia))
        }
        for s in file.skips {
            emitLeading(s.trivia, into: &out, indent: "")
            out.append(withTrailing("skip when \(expression(s.condition))", s.trivia))
        }
        let ordered = canonicalOrder(file)
        if !ordered.isEmpty && !out.isEmpty { out.append("") }
        let width = min(maxAlign, ordered.map { name($0.target).count }.max() ?? 0)
        for a in ordered {
            emitLeading(a.trivia, into: &out, indent: "")
            let target = name(a.target)
            let padded = target + String(repeating: " ", count: max(0, width - target.count))
            var lines = valueLines(a.value, prefix: padded + " = ", indent: "")
            lines[lines.count - 1] = withTrailing(lines[lines.count - 1], a.trivia)
            out.append(contentsOf: lines)
        }
        if !file.trailingComments.isEmpty {
            if !out.isEmpty { out.append("") }
            for c in file.trailingComments { out.append(comment(c)) }
        }
        return out.map { trimTrailing($0) }.joined(separator: "\n") + "\n"
    }

    /// Assignments with the key field first, then by destination field name (case-insensitive).
    public static func canonicalOrder(_ file: MappingFile) -> [Assignment] {
        let key = file.key?.field.text
        return file.assignments.enumerated().sorted { l, r in
            let (a, b) = (l.element, r.element)
            if (a.target.text == key) != (b.target.text == key) { return a.target.text == key }
            let la = a.target.text.lowercased()
            let lb = b.target.text.lowercased()
            if la != lb { return la < lb }
            if a.target.text != b.target.text { return a.target.text < b.target.text }
            return l.offset < r.offset
        }.map(\.element)
    }

    private static func trimTrailing(_ s: String) -> String {
        var t = Substring(s)
        while t.last == " " { t = t.dropLast() }
        return String(t)
    }

    private static func emitLeading(_ t: Trivia, into out: inout [String], indent: String) {
        for c in t.leading { out.append(indent + comment(c)) }
    }

    private static func withTrailing(_ line: String, _ t: Trivia) -> String {
        guard let c = t.trailing else { return line }
        return line + "  " + comment(c)
    }

    static func comment(_ c: Comment) -> String {
        var text = Substring(c.text)
        while text.first == " " || text.first == "\t" { text = text.dropFirst() }
        while text.last == " " || text.last == "\t" { text = text.dropLast() }
        return text.isEmpty ? "#" : "# " + text
    }

    static func objectRef(_ r: ObjectRef) -> String {
        part(r.platform) + "." + part(r.object)
    }

    /// A field name, in backticks when it is not a plain (possibly dotted) identifier.
    public static func name(_ n: Name) -> String {
        n.text.split(separator: ".", omittingEmptySubsequences: false).map { part(String($0)) }.joined(separator: ".")
    }

    static func part(_ s: String) -> String {
        guard let first = s.unicodeScalars.first else { return "``" }
        let plain =
            (first == "_" || (first.isASCII && first.properties.isAlphabetic))
            && s.unicodeScalars.allSatisfy { $0.isASCII && ($0 == "_" || $0.properties.isAlphabetic || ("0"..."9").contains($0)) }
            && TokenKind.keywords[s] == nil
        return plain ? s : "`" + s + "`"
    }

    /// The lines of an assignment's value: a match (or an arm value that is a match) spreads over
    /// several lines; a long `if` breaks before `then` and `else`.
    static func valueLines(_ e: Expr, prefix: String, indent: String) -> [String] {
        switch e.kind {
        case .match(let subject, let arms):
            var lines = [prefix + "match \(expression(subject)) {"]
            let inner = indent + "    "
            let patterns = arms.map { $0.patterns.map(pattern).joined(separator: ", ") }
            // Arms are aligned on `=>` unless a pattern list is too long to make that readable.
            let longest = patterns.map(\.count).max() ?? 0
            let width = longest > 40 ? 0 : longest
            for (arm, pat) in zip(arms, patterns) {
                for c in arm.trivia.leading { lines.append(inner + comment(c)) }
                let padded = pat + String(repeating: " ", count: max(0, width - pat.count))
                var armLines = valueLines(arm.value, prefix: inner + padded + " => ", indent: inner)
                armLines[armLines.count - 1] = withTrailing(armLines[armLines.count - 1], arm.trivia)
                lines.append(contentsOf: armLines)
            }
            lines.append(indent + "}")
            return lines
        case .ifThenElse(let c, let a, let b):
            let single = prefix + expression(e)
            let hasMatch = isMatch(a) || isMatch(b)
            if single.count <= lineWidth && !hasMatch { return [single] }
            let inner = indent + "    "
            return [prefix + "if " + expression(c)] + valueLines(a, prefix: inner + "then ", indent: inner)
                + valueLines(b, prefix: inner + "else ", indent: inner)
        default:
            return [prefix + expression(e)]
        }
    }

    private static func isMatch(_ e: Expr) -> Bool {
        switch e.kind {
        case .match: true
        case .ifThenElse(_, let a, let b): isMatch(a) || isMatch(b)
        default: false
        }
    }

    static func pattern(_ p: Pattern) -> String {
        switch p {
        case .wildcard: "_"
        case .literal(let e): expression(e)
        }
    }

    /// A single-line rendering of an expression with minimal parentheses.
    public static func expression(_ e: Expr) -> String {
        switch e.kind {
        case .string(let s): return stringLiteral(s)
        case .integer(let i): return String(i)
        case .decimal(let d): return d
        case .bool(let b): return b ? "true" : "false"
        case .null: return "null"
        case .error: return "<error>"
        case .field(let n): return name(n)
        case .call(let n, let args): return n.text + "(" + args.map(expression).joined(separator: ", ") + ")"
        case .member(let base, let n, _): return operand(base, minPrecedence: 9) + "?." + part(n.text)
        case .unary(.not, let x): return "not " + operand(x, minPrecedence: 3)
        case .unary(.negate, let x): return "-" + operand(x, minPrecedence: 8)
        case .binary(let op, let l, let r):
            let lp = op.rightAssociative || op.isComparison ? op.precedence + 1 : op.precedence
            let rp = op.rightAssociative ? op.precedence : op.precedence + 1
            return operand(l, minPrecedence: lp) + " " + op.spelling + " " + operand(r, minPrecedence: rp)
        case .ifThenElse(let c, let a, let b):
            return "if " + expression(c) + " then " + expression(a) + " else " + expression(b)
        case .match(let s, let arms):
            let body = arms.map { $0.patterns.map(pattern).joined(separator: ", ") + " => " + expression($0.value) }
            return "match " + expression(s) + " { " + body.joined(separator: ", ") + " }"
        }
    }

    /// How tightly an expression binds when it appears as an operand.
    private static func precedence(_ e: Expr) -> Int {
        switch e.kind {
        case .binary(let op, _, _): op.precedence
        case .unary(.not, _): 3
        case .unary(.negate, _): 8
        case .ifThenElse, .match: 0
        case .integer(let i) where i < 0: 8
        case .decimal(let d) where d.hasPrefix("-"): 8
        default: 10
        }
    }

    private static func operand(_ e: Expr, minPrecedence: Int) -> String {
        let s = expression(e)
        return precedence(e) < minPrecedence ? "(" + s + ")" : s
    }

    /// A double-quoted string literal with the language's escapes.
    public static func stringLiteral(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "\r": out += "\\r"
            case _ where u.value < 0x20 || u.value == 0x7F: out += "\\u{" + String(u.value, radix: 16) + "}"
            default: out.unicodeScalars.append(u)
            }
        }
        return out + "\""
    }
}
