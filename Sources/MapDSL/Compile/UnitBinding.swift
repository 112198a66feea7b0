/// Gives every `truncate(...)` and `length(...)` call of an expression its length unit, before it
/// is compiled: where the mapping leaves out the `unit` argument, the unit of the destination field
/// the expression is assigned to (``LengthRule/unit``), or in a skip rule the destination
/// platform's (``Schema/textUnit``). So `truncate(firstname, 40)` assigned to a Salesforce field
/// cuts to 40 UTF-16 code units, as Salesforce counts, and the byte-level evaluator, which compiles
/// parts of the same expressions, sees the same units.
enum UnitBinding {
    /// `e` with the omitted arguments of `truncate` (`suffix` "" and `unit`) and `length` (`unit`) written out.
    static func bind(_ e: Expr, _ unit: LengthUnit) -> Expr {
        func b(_ x: Expr) -> Expr { bind(x, unit) }
        let kind: Expr.Kind
        switch e.kind {
        case .string, .integer, .decimal, .bool, .null, .field, .error: return e
        case .call(let name, let args):
            var args = args.map(b)
            let at = SourceSpan(e.span.end, e.span.end)
            switch (name.text, args.count) {
            case ("truncate", 2):
                args.append(Expr(.string(""), at))
                args.append(Expr(.string(unit.rawValue), at))
            case ("truncate", 3), ("length", 1):
                args.append(Expr(.string(unit.rawValue), at))
            default: break
            }
            kind = .call(name, args)
        case .unary(let op, let a): kind = .unary(op, b(a))
        case .binary(let op, let l, let r): kind = .binary(op, b(l), b(r))
        case .ifThenElse(let c, let t, let f): kind = .ifThenElse(b(c), b(t), b(f))
        case .match(let subject, let arms):
            kind = .match(
                b(subject),
                arms.map { arm in
                    var arm = arm
                    arm.value = b(arm.value)
                    return arm
                })
        case .member(let base, let name, let optional): kind = .member(b(base), name, optional: optional)
        }
        return Expr(kind, e.span)
    }
}
