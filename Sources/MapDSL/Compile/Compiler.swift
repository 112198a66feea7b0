import Foundation

/// Why a mapping could not be compiled: it has errors, or its schemas are missing.
public struct CompileError: Error, Sendable, CustomStringConvertible {
    /// The diagnostics that block compilation.
    public var diagnostics: [Diagnostic]
    public var description: String {
        diagnostics.first.map { "\($0.code.rawValue): \($0.message)" } ?? "the mapping cannot be compiled"
    }
}

/// Compiles a checked mapping into closures over input slots.
public struct Compiler {
    private let source: Schema
    private let text: SourceText?
    private var slots: [String: Int] = [:]
    private var inputFields: [Field] = []
    private var usesLookups = false
    private var reads: Set<String> = []

    /// Compiles `checked`, which must be valid; `text` provides line numbers for record errors.
    public static func compile(_ checked: CheckResult, text: SourceText? = nil) throws(CompileError) -> CompiledMapping {
        guard checked.isValid, let source = checked.source, let destination = checked.destination else {
            throw CompileError(diagnostics: checked.diagnostics.filter { $0.severity == .error })
        }
        var c = Compiler(source: source, text: text)
        let file = checked.file
        // `truncate` and `length` count in the unit of the field a value goes to (skip rules: the platform's).
        let skips = file.skips.map { UnitBinding.bind($0.condition, destination.textUnit) }
        let skipCode = skips.map { c.compile($0) }
        var outputs: [Field] = []
        var code: [Code] = []
        var lines: [Int] = []
        var sources: [[String]] = []
        var values: [Expr] = []
        for a in file.assignments {
            guard let field = destination.field(a.target.text) else { continue }
            c.reads = []
            let value = UnitBinding.bind(a.value, field.rules.length.unit)
            code.append(c.compile(value))
            values.append(value)
            sources.append(c.reads.sorted())
            outputs.append(field)
            lines.append(text?.line(of: a.span.start) ?? 0)
        }
        let keyIndex = file.key.flatMap { k in outputs.firstIndex { $0.name == k.field.text } }
        let skipTexts = file.skips.map { Formatter.expression($0.condition) }
        // Every field is in a slot by now, so compiling a part of an expression again (for the
        // byte-level evaluator's bridge) assigns none; the fields it reads are the slots it reads.
        let compiled = c
        let cells =
            c.usesLookups
            ? nil
            : CellProgram(
                skips: skips, outputs: values, types: outputs.map(\.type), slots: c.slots,
                valueCode: { e in
                    var again = compiled
                    again.reads = []
                    let code = again.compile(e)
                    return (code, again.reads.compactMap { again.slots[$0] }.sorted())
                })
        return CompiledMapping(
            source: source, destination: destination, inputFields: c.inputFields, outputFields: outputs, keyIndex: keyIndex,
            skipRules: skipTexts, usesLookups: c.usesLookups, outputSources: sources, skipCode: skipCode, outputCode: code,
            outputLines: lines, cells: cells)
    }

    /// Checks and compiles mapping text in one step.
    public static func compile(_ text: SourceText, schemas: SchemaProvider) throws(CompileError) -> CompiledMapping {
        try compile(Checker.check(text, schemas: schemas), text: text)
    }

    private init(source: Schema, text: SourceText?) {
        self.source = source
        self.text = text
    }

    private mutating func slot(_ name: String) -> Int {
        reads.insert(name)
        if let s = slots[name] { return s }
        let s = inputFields.count
        slots[name] = s
        inputFields.append(source.field(name) ?? Field(name: name, type: .string))
        return s
    }

    /// An expression as an operand: field reads and literals are taken in place, without a call.
    private mutating func operand(_ e: Expr) -> Operand {
        switch e.kind {
        case .field(let name): return .slot(slot(name.text))
        case .string(let s): return .constant(.string(s))
        case .integer(let i): return .constant(.int(i))
        case .bool(let b): return .constant(.bool(b))
        case .null: return .constant(.null)
        default: return .code(compile(e))
        }
    }

    mutating func compile(_ e: Expr) -> Code {
        switch e.kind {
        case .string(let s):
            let v = Value.string(s)
            return { _ in v }
        case .integer(let i):
            let v = Value.int(i)
            return { _ in v }
        case .decimal(let d):
            let v = Value.decimal(Double(d) ?? 0)
            return { _ in v }
        case .bool(let b):
            let v = Value.bool(b)
            return { _ in v }
        case .null, .error:
            return { _ in .null }
        case .field(let name):
            let s = slot(name.text)
            return { f in f.storage[s] }
        case .unary(.not, let operand):
            let a = compile(operand)
            return { f in
                if case .bool(true) = try a(f) { return .bool(false) }
                return .bool(true)
            }
        case .unary(.negate, let operand):
            let a = compile(operand)
            return { f in
                switch try a(f) {
                case .int(let i):
                    guard i != Int.min else { throw EvalError(.numberOutOfRange, "cannot negate \(i)") }
                    return .int(-i)
                case .decimal(let d): return .decimal(-d)
                default: return .null
                }
            }
        case .binary(let op, let lhs, let rhs):
            return compileBinary(op, operand(lhs), operand(rhs))
        case .ifThenElse(let c, let a, let b):
            let cc = compile(c)
            let ac = compile(a)
            let bc = compile(b)
            return { f in
                if case .bool(true) = try cc(f) { return try ac(f) }
                return try bc(f)
            }
        case .match(let subject, let arms):
            return compileMatch(operand(subject), arms)
        case .call(let name, let args):
            return compileCall(name.text, args)
        case .member(let base, let name, _):
            guard case .call(_, let args) = base.kind, args.count == 2, case .field(let obj) = args[0].kind,
                case .binary(.eq, let l, let r) = args[1].kind, case .field(let keyField) = l.kind
            else { return { _ in .null } }
            usesLookups = true
            let valueCode = compile(r)
            let object = obj.text
            let field = keyField.text
            let wanted = name.text
            return { f in
                let v = try valueCode(f)
                if v.isNull { return .null }
                guard let provider = f.lookups else { return .null }
                f.lookupCalls += 1
                let record: [String: Value]?
                do {
                    record = try provider.lookup(object: object, field: field, equals: v)
                } catch let e as EvalError {
                    throw e
                } catch {
                    throw EvalError(.lookupFailed, "lookup of \(object) by \(field) failed: \(error)")
                }
                guard let record else { return .null }
                f.lookupHits += 1
                return record[wanted] ?? .null
            }
        }
    }

    private func compileBinary(_ op: BinaryOperator, _ a: Operand, _ b: Operand) -> Code {
        switch op {
        case .and:
            return { f in
                guard case .bool(true) = try a.value(f) else { return .bool(false) }
                if case .bool(true) = try b.value(f) { return .bool(true) }
                return .bool(false)
            }
        case .or:
            return { f in
                if case .bool(true) = try a.value(f) { return .bool(true) }
                if case .bool(true) = try b.value(f) { return .bool(true) }
                return .bool(false)
            }
        case .coalesce:
            return { f in
                let v = try a.value(f)
                return v.isNull ? try b.value(f) : v
            }
        case .eq:
            return { f in .bool(Operators.equal(try a.value(f), try b.value(f))) }
        case .ne:
            return { f in .bool(!Operators.equal(try a.value(f), try b.value(f))) }
        case .lt:
            return { f in .bool(Operators.compare(try a.value(f), try b.value(f)).map { $0 < 0 } ?? false) }
        case .le:
            return { f in .bool(Operators.compare(try a.value(f), try b.value(f)).map { $0 <= 0 } ?? false) }
        case .gt:
            return { f in .bool(Operators.compare(try a.value(f), try b.value(f)).map { $0 > 0 } ?? false) }
        case .ge:
            return { f in .bool(Operators.compare(try a.value(f), try b.value(f)).map { $0 >= 0 } ?? false) }
        case .add, .sub, .mul, .div, .mod:
            return { f in
                let x = try a.value(f)
                if x.isNull { return .null }
                let y = try b.value(f)
                if y.isNull { return .null }
                return try Operators.arithmetic(op, x, y)
            }
        }
    }

    /// The keys of a match, in order, with the arm each selects, and the default arm: a key that
    /// comes again, or after a wildcard, never selects its arm.
    static func matchTable(_ arms: [MatchArm]) -> (entries: [(key: Value, arm: Int)], defaultArm: Int?) {
        var table: [Value: Int] = [:]
        var entries: [(key: Value, arm: Int)] = []
        var defaultArm: Int?
        for (i, arm) in arms.enumerated() {
            for p in arm.patterns {
                switch p {
                case .wildcard: if defaultArm == nil { defaultArm = i }
                case .literal(let e):
                    if let v = Narrowing.literalValue(e) {
                        let key = Operators.matchKey(v)
                        if table[key] == nil && defaultArm == nil {
                            table[key] = i
                            entries.append((key, i))
                        }
                    }
                }
            }
        }
        return (entries, defaultArm)
    }

    private mutating func compileMatch(_ subject: Operand, _ arms: [MatchArm]) -> Code {
        let (entries, defaultArm) = Compiler.matchTable(arms)
        var table: [Value: Int] = [:]
        for (key, arm) in entries { table[key] = arm }
        var codes: [Code] = []
        for arm in arms { codes.append(compile(arm.value)) }
        let fallback = defaultArm
        let arms = codes
        if entries.count <= 8 {
            // A few keys: comparing them in turn is faster than hashing the subject (the keys are
            // distinct, so the first equal key is the one the table would find).
            let keys = entries.map(\.key)
            let armOfKey = entries.map(\.arm)
            return { f in
                let k = Operators.matchKey(try subject.value(f))
                for i in 0..<keys.count where keys[i] == k { return try arms[armOfKey[i]](f) }
                if let d = fallback { return try arms[d](f) }
                return .null
            }
        }
        let frozen = table
        return { f in
            let v = try subject.value(f)
            if let i = frozen[Operators.matchKey(v)] { return try arms[i](f) }
            if let d = fallback { return try arms[d](f) }
            return .null
        }
    }

    private mutating func compileCall(_ name: String, _ args: [Expr]) -> Code {
        guard let fn = Stdlib.functions[name] else { return { _ in .null } }
        let propagate = fn.nulls == .propagate
        let resultIsDecimal: Bool
        if case .unified = fn.result { resultIsDecimal = true } else { resultIsDecimal = false }
        switch fn.impl {
        case .unary(let impl) where args.count == 1:
            let a = operand(args[0])
            if propagate {
                return { f in
                    let x = try a.value(f)
                    return x.isNull ? .null : try impl(x)
                }
            }
            return { f in try impl(try a.value(f)) }
        case .binary(let impl) where args.count == 2:
            let a = operand(args[0])
            let b = operand(args[1])
            if propagate {
                return { f in
                    let x = try a.value(f)
                    if x.isNull { return .null }
                    let y = try b.value(f)
                    return y.isNull ? .null : try impl(x, y)
                }
            }
            return { f in try impl(try a.value(f), try b.value(f)) }
        case .ternary(let impl) where args.count == 3:
            let a = compile(args[0])
            let b = compile(args[1])
            let c = compile(args[2])
            return { f in
                let x = try a(f)
                let y = try b(f)
                let z = try c(f)
                if propagate && (x.isNull || y.isNull || z.isNull) { return .null }
                return try impl(x, y, z)
            }
        case .variadic(let impl):
            let codes = args.map { compile($0) }
            return { f in
                var values = [Value]()
                values.reserveCapacity(codes.count)
                for c in codes {
                    let v = try c(f)
                    if propagate && v.isNull { return .null }
                    values.append(v)
                }
                let r = try impl(values)
                if resultIsDecimal, case .int(let i) = r, codes.count > 1 { return Self.mixedNumeric(values) ? .decimal(Double(i)) : r }
                return r
            }
        case .patterned(let index, let prepare) where index < args.count:
            let codes = args.map { compile($0) }
            if case .string(let pattern) = args[index].kind, case .success(let impl) = prepare(pattern) {
                return { f in
                    var values = [Value]()
                    values.reserveCapacity(codes.count)
                    for c in codes {
                        let v = try c(f)
                        if propagate && v.isNull { return .null }
                        values.append(v)
                    }
                    return try impl(values)
                }
            }
            let cache = PatternCache(prepare)
            return { f in
                var values = [Value]()
                for c in codes {
                    let v = try c(f)
                    if propagate && v.isNull { return .null }
                    values.append(v)
                }
                return try cache.impl(for: Stdlib.str(values[index]))(values)
            }
        default:
            return { _ in .null }
        }
    }

    private static func mixedNumeric(_ values: [Value]) -> Bool {
        values.contains { if case .decimal = $0 { true } else { false } }
    }
}

/// An argument of compiled code: a slot read or a literal taken in place, or code to call.
enum Operand: Sendable {
    case slot(Int)
    case constant(Value)
    case code(Code)

    @inline(__always) func value(_ f: Frame) throws -> Value {
        switch self {
        case .slot(let s): f.storage[s]
        case .constant(let v): v
        case .code(let c): try c(f)
        }
    }
}

/// Prepared implementations of patterned functions whose pattern is computed per record.
final class PatternCache: @unchecked Sendable {
    private let prepare: @Sendable (String) -> Result<@Sendable ([Value]) throws -> Value, PatternError>
    private var cache: [String: @Sendable ([Value]) throws -> Value] = [:]
    private let lock = NSLock()

    init(_ prepare: @escaping @Sendable (String) -> Result<@Sendable ([Value]) throws -> Value, PatternError>) {
        self.prepare = prepare
    }

    func impl(for pattern: String) throws -> @Sendable ([Value]) throws -> Value {
        try lock.withLock {
            if let i = cache[pattern] { return i }
            switch prepare(pattern) {
            case .success(let i):
                if cache.count > 256 { cache.removeAll() }
                cache[pattern] = i
                return i
            case .failure(let e): throw EvalError(.invalidPattern, e.message)
            }
        }
    }
}
