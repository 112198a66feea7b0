/// Source fields known to be non-null at some point of a mapping.
typealias Facts = Set<String>

/// Flow facts: what a condition proves about nulls, and which literals flow into a field.
enum Narrowing {
    /// Fields proven non-null when `condition` evaluates to `whenTrue`.
    ///
    /// `skip when blank(email)` proves `email` non-null for every assignment; so does the `else`
    /// branch of `if blank(x) then ... else ...` and the right side of `present(x) and ...`.
    static func facts(_ condition: Expr, whenTrue: Bool) -> Facts {
        switch condition.kind {
        case .unary(.not, let inner):
            return facts(inner, whenTrue: !whenTrue)
        case .binary(.and, let a, let b):
            return whenTrue ? facts(a, whenTrue: true).union(facts(b, whenTrue: true)) : []
        case .binary(.or, let a, let b):
            return whenTrue ? [] : facts(a, whenTrue: false).union(facts(b, whenTrue: false))
        case .binary(.eq, let a, let b):
            guard !whenTrue else { return [] }
            if case .null = b.kind { return nonNull(a) }
            if case .null = a.kind { return nonNull(b) }
            return []
        case .binary(.ne, let a, let b):
            guard whenTrue else { return [] }
            if case .null = b.kind { return nonNull(a) }
            if case .null = a.kind { return nonNull(b) }
            return []
        case .call(let name, let args) where args.count == 1:
            switch name.text {
            case "blank", "is_null": return whenTrue ? [] : nonNull(args[0])
            case "present": return whenTrue ? nonNull(args[0]) : []
            default: return []
            }
        default:
            return []
        }
    }

    /// Fields that must be non-null for `e` to be non-null: null-propagating functions and operators
    /// return null whenever an argument is null.
    static func nonNull(_ e: Expr) -> Facts {
        switch e.kind {
        case .field(let name): return [name.text]
        case .call(let name, let args):
            guard let fn = Stdlib.functions[name.text], fn.nulls == .propagate else { return [] }
            return args.reduce(into: Facts()) { $0.formUnion(nonNull($1)) }
        case .binary(let op, let a, let b) where [.add, .sub, .mul, .div, .mod].contains(op):
            return nonNull(a).union(nonNull(b))
        case .unary(.negate, let a):
            return nonNull(a)
        default:
            return []
        }
    }

    /// String literals that can become the value of `e` unchanged, with their spans.
    static func outgoingLiterals(_ e: Expr) -> [(String, SourceSpan)] {
        switch e.kind {
        case .string(let s): return [(s, e.span)]
        case .ifThenElse(_, let a, let b): return outgoingLiterals(a) + outgoingLiterals(b)
        case .match(_, let arms): return arms.flatMap { outgoingLiterals($0.value) }
        case .binary(.coalesce, let a, let b): return outgoingLiterals(a) + outgoingLiterals(b)
        case .call(let name, let args) where name.text == "coalesce": return args.flatMap(outgoingLiterals)
        default: return []
        }
    }

    /// The value of a literal expression used as a match pattern.
    static func literalValue(_ e: Expr) -> Value? {
        switch e.kind {
        case .string(let s): .string(s)
        case .integer(let i): .int(i)
        case .decimal(let d): Double(d).map(Value.decimal)
        case .bool(let b): .bool(b)
        case .null: .null
        default: nil
        }
    }
}

/// The phone-number and URL shapes behind ``ValueCheck/phoneDigits`` and ``ValueCheck/url``.
public enum Formats {
    /// A phone number: digits with optional `+`, spaces, dots, dashes and parentheses; 7 to 15 digits.
    public static func isPhone(_ s: String) -> Bool {
        var digits = 0
        for ch in s.unicodeScalars {
            switch ch {
            case "0"..."9": digits += 1
            case "+", " ", "-", ".", "(", ")", "/": continue
            default:
                if ch == "x" || ch == "X" { continue }
                return false
            }
        }
        return digits >= 7 && digits <= 20
    }

    /// An http(s) URL or a bare domain name.
    public static func isURL(_ s: String) -> Bool {
        let t = s.lowercased()
        guard !t.contains(" ") else { return false }
        let rest: Substring
        if t.hasPrefix("https://") {
            rest = t.dropFirst(8)
        } else if t.hasPrefix("http://") {
            rest = t.dropFirst(7)
        } else {
            rest = Substring(t)
        }
        let host = rest.split(separator: "/", maxSplits: 1).first ?? ""
        return host.contains(".") && !host.hasPrefix(".") && !host.hasSuffix(".")
    }
}
