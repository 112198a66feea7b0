/// Runtime semantics of the operators.
enum Operators {
    /// Equality: numbers compare by value across int and decimal, dates and date-times by instant;
    /// null equals only null.
    static func equal(_ a: Value, _ b: Value) -> Bool {
        switch (a, b) {
        case (.null, .null): return true
        case (.null, _), (_, .null): return false
        case (.string(let x), .string(let y)): return x == y
        case (.int(let x), .int(let y)): return x == y
        case (.bool(let x), .bool(let y)): return x == y
        default: return compare(a, b) == 0
        }
    }

    /// Ordering of two values of comparable types; nil when either is null or they do not compare.
    static func compare(_ a: Value, _ b: Value) -> Int? {
        switch (a, b) {
        case (.int(let x), .int(let y)): return x < y ? -1 : x == y ? 0 : 1
        case (.string(let x), .string(let y)): return x < y ? -1 : x == y ? 0 : 1
        case (.int, .decimal), (.decimal, .int), (.decimal, .decimal):
            let x = Stdlib.dbl(a)
            let y = Stdlib.dbl(b)
            return x < y ? -1 : x == y ? 0 : 1
        case (.date, .date), (.date, .datetime), (.datetime, .date), (.datetime, .datetime):
            let x = millis(a)
            let y = millis(b)
            return x < y ? -1 : x == y ? 0 : 1
        case (.bool(let x), .bool(let y)): return x == y ? 0 : (!x ? -1 : 1)
        default: return nil
        }
    }

    private static func millis(_ v: Value) -> Int64 {
        switch v {
        case .date(let d): Dates.millis(ofDay: d)
        case .datetime(let t): t
        default: 0
        }
    }

    /// The key a value is looked up by in a match table: integral decimals as ints.
    static func matchKey(_ v: Value) -> Value {
        if case .decimal(let d) = v, d.rounded() == d, abs(d) < 9e15 { return .int(Int(d)) }
        return v
    }

    /// `+ - * / %` on non-null operands.
    static func arithmetic(_ op: BinaryOperator, _ a: Value, _ b: Value) throws -> Value {
        if case .string(let x) = a, case .string(let y) = b, op == .add { return .string(x + y) }
        if case .int(let x) = a, case .int(let y) = b {
            switch op {
            case .add, .sub, .mul:
                let (r, overflow) =
                    op == .add
                    ? x.addingReportingOverflow(y) : op == .sub ? x.subtractingReportingOverflow(y) : x.multipliedReportingOverflow(by: y)
                if overflow { throw EvalError(.numberOutOfRange, "\(x) \(op.spelling) \(y) overflows a 64-bit integer") }
                return .int(r)
            case .div:
                if y == 0 { throw EvalError(.divisionByZero, "division of \(x) by zero") }
                return .decimal(Double(x) / Double(y))
            case .mod:
                if y == 0 { throw EvalError(.divisionByZero, "remainder of \(x) by zero") }
                // Only Int.min % -1 overflows in the machine; its remainder is 0.
                let (r, overflow) = x.remainderReportingOverflow(dividingBy: y)
                return .int(overflow ? 0 : r)
            default: return .null
            }
        }
        let x = Stdlib.dbl(a)
        let y = Stdlib.dbl(b)
        let r: Double
        switch op {
        case .add: r = x + y
        case .sub: r = x - y
        case .mul: r = x * y
        case .div:
            if y == 0 { throw EvalError(.divisionByZero, "division of \(Value.decimal(x).text) by zero") }
            r = x / y
        default: return .null
        }
        guard r.isFinite else {
            throw EvalError(
                .numberOutOfRange, "\(Value.decimal(x).text) \(op.spelling) \(Value.decimal(y).text) is too large for a decimal number")
        }
        return .decimal(r)
    }
}
