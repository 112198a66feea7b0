/// Compiled code of the byte-level evaluator: the value of an expression for the record in a frame.
typealias CellCode = @Sendable (CellFrame) -> Cell

/// Compiles expressions into ``CellCode`` for the byte-level evaluator, or says it cannot.
///
/// It takes the expressions the ``Value`` compiler takes, with the same slots, and gives code with
/// the same results; it covers the common part of the language (literals, fields, `??`, `if`,
/// `match`, comparisons, `and`/`or`/`not`, arithmetic and `+` of texts, and the text, blank and
/// integer functions in ``call(_:_:)``) and returns nil for the rest (lookups, dates, patterns, the
/// other functions), so that such a mapping keeps to the ``Value`` evaluator. Where a result
/// depends on Unicode rules the byte level does not follow (case mapping and character counts of
/// non-ASCII text, whitespace beyond ASCII), or the record would fail (overflow, division by
/// zero), the code marks the record undecided; the ``Value`` evaluator then maps it.
struct CellCompiler {
    let slots: [String: Int]
    let literals: CellLiterals
    /// The ``Value`` compiler's code for an expression, and the slots that code reads, for the
    /// parts of the language the byte level does not cover; nil to leave such mappings to the
    /// ``Value`` evaluator altogether.
    let valueCode: ((Expr) -> (code: Code, reads: [Int]))?

    /// The code of `e`, or nil when the byte-level evaluator does not cover it.
    func compile(_ e: Expr) -> CellCode? {
        switch e.kind {
        case .string(let s):
            let c = literals.cell(s)
            return { _ in c }
        case .integer(let i):
            let c = Cell.int(i)
            return { _ in c }
        case .decimal(let d):
            let c = Cell(nonText: .decimal(Double(d) ?? 0))
            return { _ in c }
        case .bool(let b):
            let c = Cell.bool(b)
            return { _ in c }
        case .null, .error:
            return { _ in .null }
        case .field(let name):
            guard let s = slots[name.text] else { return nil }
            return { f in f.slots[s] }
        case .unary(.not, let operand):
            guard let a = compile(operand) else { return nil }
            return { f in .bool(!a(f).isTrue) }
        case .unary(.negate, let operand):
            guard let a = compile(operand) else { return nil }
            return { f in
                let x = a(f)
                switch x.kind {
                case .int:
                    // -Int.min fails the record: the Value evaluator says so.
                    guard x.payload != Int.min else { return f.giveUp() }
                    return .int(-x.payload)
                case .decimal: return Cell(nonText: .decimal(-Stdlib.dbl(x.nonTextValue)))
                default: return .null
                }
            }
        case .binary(let op, let lhs, let rhs):
            guard let a = compile(lhs), let b = compile(rhs) else { return nil }
            return CellCompiler.binary(op, a, b)
        case .ifThenElse(let c, let a, let b):
            guard let cc = compile(c), let ac = compile(a), let bc = compile(b) else { return nil }
            return { f in cc(f).isTrue ? ac(f) : bc(f) }
        case .match(let subject, let arms):
            return match(subject, arms)
        case .call(let name, let args):
            // Not `??`: a closure through a generic function is called through a reabstraction thunk.
            if let code = call(name.text, args) { return code }
            return bridge(e)
        case .member:
            return nil
        }
    }

    private static func binary(_ op: BinaryOperator, _ a: @escaping CellCode, _ b: @escaping CellCode) -> CellCode? {
        switch op {
        case .and: return { f in a(f).isTrue && b(f).isTrue ? .bool(true) : .bool(false) }
        case .or: return { f in a(f).isTrue || b(f).isTrue ? .bool(true) : .bool(false) }
        case .coalesce:
            return { f in
                let v = a(f)
                return v.isNull ? b(f) : v
            }
        case .eq: return { f in .bool(equal(a(f), b(f))) }
        case .ne: return { f in .bool(!equal(a(f), b(f))) }
        case .lt: return { f in .bool(compare(a(f), b(f)).map { $0 < 0 } ?? false) }
        case .le: return { f in .bool(compare(a(f), b(f)).map { $0 <= 0 } ?? false) }
        case .gt: return { f in .bool(compare(a(f), b(f)).map { $0 > 0 } ?? false) }
        case .ge: return { f in .bool(compare(a(f), b(f)).map { $0 >= 0 } ?? false) }
        case .add, .sub, .mul, .div, .mod:
            return { f in
                let x = a(f)
                if x.isNull { return .null }
                let y = b(f)
                if y.isNull { return .null }
                if x.isText && y.isText && op == .add { return CellText.concat(x, y, in: f) }
                // Otherwise no text takes part but as 0 (Operators.arithmetic), whatever it says.
                let v: Value
                do {
                    v = try Operators.arithmetic(op, x.isText ? .string("") : x.nonTextValue, y.isText ? .string("") : y.nonTextValue)
                } catch {
                    // Overflow or division by zero fails the record: the Value evaluator says how.
                    return f.giveUp()
                }
                return Cell(nonText: v)
            }
        }
    }

    /// ``Operators/compare(_:_:)`` of two cells.
    @inline(__always) static func compare(_ x: Cell, _ y: Cell) -> Int? {
        if x.isText && y.isText {
            if let same = CellText.sameText(x, y), same { return 0 }
            guard x.isASCII && y.isASCII else {
                let a = String(decoding: x.bytes, as: UTF8.self)
                let b = String(decoding: y.bytes, as: UTF8.self)
                return a < b ? -1 : a == b ? 0 : 1
            }
            // ASCII texts order by their bytes, shorter first on a common prefix.
            let a = x.bytes
            let b = y.bytes
            for k in 0..<min(a.count, b.count) where a[k] != b[k] { return a[k] < b[k] ? -1 : 1 }
            return a.count < b.count ? -1 : a.count == b.count ? 0 : 1
        }
        if x.isText || y.isText { return nil }
        return Operators.compare(x.nonTextValue, y.nonTextValue)
    }

    /// ``Operators/equal(_:_:)`` of two cells.
    @inline(__always) static func equal(_ x: Cell, _ y: Cell) -> Bool {
        if x.isText && y.isText { return CellText.equal(x, y) }
        // A text and a value that is neither text nor null never compare equal.
        if x.isText || y.isText { return false }
        return Operators.equal(x.nonTextValue, y.nonTextValue)
    }

    /// The most arms of a `match`, or arguments of `coalesce`, compiled as a chain of closures
    /// (each link is a call deeper on the stack); longer ones keep to the ``Value`` evaluator.
    static let maxChain = 64

    private func match(_ subject: Expr, _ arms: [MatchArm]) -> CellCode? {
        guard arms.count <= CellCompiler.maxChain, let s = compile(subject) else { return nil }
        // Arm `k` of `arm(k, frame)`: each arm's code held by a closure of its own.
        var arm: @Sendable (Int, CellFrame) -> Cell = { _, _ in .null }
        for i in arms.indices.reversed() {
            guard let code = compile(arms[i].value) else { return nil }
            let rest = arm
            arm = { k, f in k == i ? code(f) : rest(k, f) }
        }
        let (entries, fallback) = Compiler.matchTable(arms)
        let keys = entries.map { entry -> Cell in
            if case .string(let t) = entry.key { return literals.cell(t) }
            return Cell(nonText: entry.key)
        }
        let values = entries.map(\.key)
        let texts = entries.map { entry -> String? in
            if case .string(let t) = entry.key { return t }
            return nil
        }
        let armOfKey = entries.map(\.arm)
        return { [arm] f in
            let v = s(f)
            if v.isText {
                // Keys in order; a key of another kind never equals a text.
                for i in 0..<keys.count where keys[i].isText {
                    let same = CellText.sameText(v, keys[i]) ?? (String(decoding: v.bytes, as: UTF8.self) == texts[i])
                    if same { return arm(armOfKey[i], f) }
                }
            } else {
                let k = Operators.matchKey(v.nonTextValue)
                for i in 0..<keys.count where !keys[i].isText && values[i] == k { return arm(armOfKey[i], f) }
            }
            if let d = fallback { return arm(d, f) }
            return .null
        }
    }

    private func call(_ name: String, _ args: [Expr]) -> CellCode? {
        // Arguments are compiled one by one, not into an array: a closure taken out of an array
        // would be called through a reabstraction thunk.
        if name == "coalesce" { return coalesce(args) }
        guard let a = args.first.flatMap(compile) else { return nil }
        switch (name, args.count) {
        case ("lower", 1), ("upper", 1):
            let upper = name == "upper"
            return { f in
                let x = a(f)
                if x.isNull { return .null }
                guard x.isText, let r = CellText.changeCase(x, upper: upper, in: f) else { return f.giveUp() }
                return r
            }
        case ("trim", 1):
            return { f in
                let x = a(f)
                if x.isNull { return .null }
                guard x.isText, let r = CellText.trim(x) else { return f.giveUp() }
                return r
            }
        case ("null_if_blank", 1):
            return { f in
                let x = a(f)
                if x.isNull { return .null }
                guard let blank = CellText.isBlank(x) else { return f.giveUp() }
                return blank ? .null : x
            }
        case ("blank", 1), ("present", 1):
            let present = name == "present"
            return { f in
                guard let blank = CellText.isBlank(a(f)) else { return f.giveUp() }
                return .bool(blank != present)
            }
        case ("is_null", 1):
            return { f in .bool(a(f).isNull) }
        case ("left", 2), ("substring", 2), ("substring", 3):
            guard let n = compile(args[1]) else { return nil }
            if args.count == 2 { return substring(a, n, nil, left: name == "left") }
            guard let length = compile(args[2]) else { return nil }
            return substring(a, n, length, left: false)
        case ("try_int", 1):
            return { f in
                let x = a(f)
                if x.isNull { return .null }
                guard let r = CellText.int(x) else { return f.giveUp() }
                return r.map(Cell.int) ?? .null
            }
        default:
            return nil
        }
    }

    /// Code for an expression the byte level does not cover (a function such as `truncate` or
    /// `to_date`): the ``Value`` code of it, run on the values of the fields it reads, made from
    /// their cells, its result made a cell again. A record it fails is left undecided (the
    /// ``Value`` evaluator says why). Nil without ``valueCode``.
    private func bridge(_ e: Expr) -> CellCode? {
        guard let valueCode else { return nil }
        let (code, reads) = valueCode(e)
        return { f in
            let values = f.values.storage
            for s in reads { values[s] = f.slots[s].value }
            do {
                let v = try code(f.values)
                guard case .string(let text) = v else { return Cell(nonText: v) }
                return f.copy(text)
            } catch {
                return f.giveUp()
            }
        }
    }

    /// `coalesce(a, b, ...)`: the first argument that is not null, as a chain of `??`.
    private func coalesce(_ args: [Expr]) -> CellCode? {
        guard args.count <= CellCompiler.maxChain else { return nil }
        var code: CellCode = { _ in .null }
        for e in args.reversed() {
            guard let c = compile(e) else { return nil }
            let rest = code
            code = { f in
                let v = c(f)
                return v.isNull ? rest(f) : v
            }
        }
        return code
    }

    /// `left(text, count)`, `substring(text, start)` and `substring(text, start, length)`.
    private func substring(_ t: @escaping CellCode, _ n: @escaping CellCode, _ length: CellCode?, left: Bool) -> CellCode {
        return { f in
            let x = t(f)
            if x.isNull { return .null }
            let y = n(f)
            if y.isNull { return .null }
            var z: Int?
            if let length {
                let l = length(f)
                if l.isNull { return .null }
                guard !l.isText else { return f.giveUp() }
                z = Stdlib.int(l.nonTextValue)
            }
            guard x.isText, !y.isText else { return f.giveUp() }
            let i = Stdlib.int(y.nonTextValue)
            let r = left ? CellText.substring(x, 0, max(0, i)) : CellText.substring(x, i, z)
            return r ?? f.giveUp()
        }
    }
}

/// The text of a mapping's string literals as bytes, kept as long as its cell program.
final class CellLiterals: @unchecked Sendable {
    private var blocks: [UnsafeMutablePointer<UInt8>] = []

    deinit {
        for b in blocks { b.deallocate() }
    }

    /// A text cell of `s`, valid while these literals live.
    func cell(_ s: String) -> Cell {
        let bytes = Array(s.utf8)
        guard !bytes.isEmpty else { return .empty }
        let p = UnsafeMutablePointer<UInt8>.allocate(capacity: bytes.count)
        p.initialize(from: bytes, count: bytes.count)
        blocks.append(p)
        return .text(p, bytes.count)
    }
}
