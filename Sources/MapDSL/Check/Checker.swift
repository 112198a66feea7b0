/// The type checker: resolves every name against the schemas, types every expression, and reports all
/// problems of a file in one run. It works on whatever tree the parser produced.
public struct Checker {
    private var diagnostics: [Diagnostic] = []
    private let schemas: SchemaProvider
    private var source: Schema?
    private var destination: Schema?
    private var lookupSchemas: [String: Schema] = [:]
    /// Whether the source object's schema is known (unknown-field errors would be noise otherwise).
    private var sourceKnown = false

    private init(schemas: SchemaProvider) {
        self.schemas = schemas
    }

    /// Parses and checks `source`, returning the tree, schemas and every diagnostic.
    public static func check(_ text: SourceText, schemas: SchemaProvider) -> CheckResult {
        let parsed = Parser.parse(text)
        var result = check(parsed.file, schemas: schemas)
        result.diagnostics = (parsed.diagnostics + result.diagnostics).sortedForDisplay()
        return result
    }

    /// Checks an already parsed file.
    public static func check(_ file: MappingFile, schemas: SchemaProvider) -> CheckResult {
        var c = Checker(schemas: schemas)
        c.run(file)
        return CheckResult(
            file: file, source: c.source, destination: c.destination, lookupSchemas: c.lookupSchemas,
            diagnostics: c.diagnostics.sortedForDisplay())
    }

    private mutating func report(_ d: Diagnostic) { diagnostics.append(d) }

    private mutating func resolveObject(_ ref: ObjectRef, role: String) -> Schema? {
        guard ObjectName.isValid(ref.platform), ObjectName.isValid(ref.object) else {
            report(
                Diagnostic(
                    .unknownObject, "`\(ref.qualifiedName)` is not an object name", at: ref.span,
                    help: "write `platform.Object`, both parts plain names such as `salesforce.Account`"))
            return nil
        }
        do {
            if let s = try schemas.schema(platform: ref.platform, object: ref.object) { return s }
        } catch {
            report(
                Diagnostic(
                    .unknownObject, "the schema of `\(ref.qualifiedName)` is invalid: \(error.message)", at: ref.span,
                    notes: ["file: \(error.path)"]))
            return nil
        }
        let known = schemas.knownObjects()
        let suggestion = Suggest.closest(to: ref.qualifiedName, in: known)
        let help = suggestion.map { "did you mean `\($0)`?" } ?? "known objects: \(known.joined(separator: ", "))"
        report(
            Diagnostic(
                .unknownObject, "no schema for the \(role) object `\(ref.qualifiedName)`", at: ref.span, help: help,
                fix: suggestion))
        return nil
    }

    // MARK: File

    private mutating func run(_ file: MappingFile) {
        if let header = file.header {
            source = resolveObject(header.source, role: "source")
            destination = resolveObject(header.destination, role: "destination")
        }
        sourceKnown = source != nil

        // Skip rules: conditions, and what they prove for every assignment.
        var facts = Facts()
        for rule in file.skips {
            guard fitsDepth(rule.condition) else { continue }
            let t = typeOf(rule.condition, facts)
            expectCondition(t, rule.condition, what: "a `skip when` condition")
            facts.formUnion(Narrowing.facts(rule.condition, whenTrue: false))
        }

        // Assignments.
        var assigned: [String: Assignment] = [:]
        for a in file.assignments {
            let valueType = fitsDepth(a.value) ? typeOf(a.value, facts) : .error
            guard let destination else { continue }
            guard let field = destination.field(a.target.text) else {
                let suggestion = Suggest.closest(to: a.target.text, in: destination.fields.filter { !$0.readOnly }.map(\.name))
                report(
                    Diagnostic(
                        .unknownDestinationField, "`\(destination.qualifiedName)` has no field `\(a.target.text)`", at: a.target.span,
                        help: suggestion.map { "did you mean `\($0)`?" }, fix: suggestion))
                continue
            }
            if let first = assigned[field.name] {
                report(
                    Diagnostic(
                        .duplicateAssignment, "`\(field.name)` is assigned more than once", at: a.target.span,
                        help: "keep one assignment per destination field",
                        labels: [DiagnosticLabel(span: first.target.span, message: "first assigned here")]))
                continue
            }
            assigned[field.name] = a
            if field.readOnly {
                report(
                    Diagnostic(
                        .readOnlyField, "`\(field.name)` is read-only in \(destination.qualifiedName); the platform sets it",
                        at: a.target.span, help: "remove this assignment"))
                continue
            }
            checkFit(valueType, a.value, into: field, in: destination)
        }

        // Key.
        if let destination {
            if let key = file.key {
                if let field = destination.field(key.field.text) {
                    if !field.canBeKey {
                        let keys = destination.fields.filter(\.canBeKey).filter { !$0.readOnly }.map(\.name)
                        report(
                            Diagnostic(
                                .keyNotUnique, "`\(field.name)` is neither unique nor an external id, so it cannot be the key",
                                at: key.field.span,
                                help: keys.isEmpty ? nil : "key fields of \(destination.qualifiedName): \(keys.joined(separator: ", "))"))
                    } else if assigned[field.name] == nil {
                        report(
                            Diagnostic(
                                .keyNotAssigned, "the key field `\(field.name)` is never assigned", at: key.field.span,
                                help: "add an assignment `\(field.name) = ...`"))
                    }
                } else {
                    let suggestion = Suggest.closest(to: key.field.text, in: destination.fields.map(\.name))
                    report(
                        Diagnostic(
                            .unknownDestinationField, "`\(destination.qualifiedName)` has no field `\(key.field.text)`",
                            at: key.field.span, help: suggestion.map { "did you mean `\($0)`?" }, fix: suggestion))
                }
            } else if let header = file.header {
                let keys = destination.fields.filter { $0.canBeKey && !$0.readOnly }
                if let firstKey = keys.first {
                    report(
                        Diagnostic(
                            .missingKey, "the mapping declares no `key` for upserts into \(destination.qualifiedName)",
                            at: header.span,
                            help: "add a line such as `key \(firstKey.name)` (key fields: \(keys.map(\.name).joined(separator: ", ")))"))
                }
            }

            // Required fields.
            if let header = file.header {
                for field in destination.fields where field.required && !field.readOnly && assigned[field.name] == nil {
                    report(
                        Diagnostic(
                            .requiredFieldUnassigned,
                            "\(destination.qualifiedName) requires `\(field.name)` on create, but the mapping does not assign it",
                            at: header.destination.span,
                            help: "add `\(field.name) = ...`" + (field.values.map { " (allowed: \(Checker.list($0)))" } ?? "")))
                }
            }
        }
    }

    /// Whether `e` is shallow enough to walk; the parser never builds a deeper tree, but a tree
    /// made another way might be.
    private mutating func fitsDepth(_ e: Expr) -> Bool {
        if e.depth <= Expr.maxDepth { return true }
        report(
            Diagnostic(.nestedTooDeeply, "this expression nests more than \(Expr.maxDepth) levels deep", at: e.span))
        return false
    }

    static func article(_ word: String) -> String {
        ("aeiou".contains(word.first ?? "x") ? "an " : "a ") + word
    }

    static func list(_ values: [String], max: Int = 12) -> String {
        let shown = values.prefix(max).map { "\"\($0)\"" }.joined(separator: ", ")
        return values.count > max ? shown + ", … (\(values.count) in all)" : shown
    }

    // MARK: Fit into the destination field

    private mutating func checkFit(_ t: ValueType, _ value: Expr, into field: Field, in schema: Schema) {
        if t.isError { return }
        if t.base == .record {
            report(
                Diagnostic(
                    .recordUsedAsValue, "a looked-up record cannot be stored in `\(field.name)`", at: value.span,
                    help: "select one of its fields, e.g. `lookup(...)?.Id`"))
            return
        }
        if !t.base.fits(field.type) {
            var help: String?
            switch (t.base, field.type.baseType) {
            case (.string, .int): help = "convert with `to_int(...)` or `try_int(...)`"
            case (.string, .decimal): help = "convert with `to_decimal(...)` or `try_decimal(...)`"
            case (.string, .bool): help = "convert with `to_bool(...)`, or compare: `... == \"true\"`"
            case (.string, .date): help = "convert with `to_date(...)` or `parse_date(..., \"MM/dd/yyyy\")`"
            case (.string, .datetime): help = "convert with `to_datetime(...)`"
            case (_, .string): help = "convert with `to_string(...)`"
            case (.decimal, .int): help = "round with `to_int(round(...))`"
            case (.datetime, .date): help = "take the date with `to_date(...)`"
            default: help = nil
            }
            report(
                Diagnostic(
                    .typeMismatch,
                    "`\(field.name)` is \(Checker.article(field.type.rawValue)) field, but the value is \(t)", at: value.span, help: help))
            return
        }
        if t.optional && (field.required || !field.nullable) && t.base != .null {
            let example = Checker.defaultExample(for: field)
            report(
                Diagnostic(
                    .optionalIntoRequired,
                    "`\(field.name)` is required by \(schema.qualifiedName), but this value may be null", at: value.span,
                    help: "give a default: `... ?? \(example)`, or skip such records with `skip when blank(...)`"))
        } else if t.base == .null && (field.required || !field.nullable) {
            report(Diagnostic(.optionalIntoRequired, "`\(field.name)` is required and cannot be null", at: value.span))
        }
        for (literal, span) in Narrowing.outgoingLiterals(value) {
            if let values = field.values, field.type == .picklist || field.type == .multipicklist {
                let parts = field.type == .multipicklist ? literal.split(separator: ";").map(String.init) : [literal]
                for part in parts where !values.contains(part) {
                    let suggestion = Suggest.closest(to: part, in: values)
                    report(
                        Diagnostic(
                            .picklistValueNotAllowed, "\"\(part)\" is not an allowed value of the picklist `\(field.name)`",
                            at: span, help: suggestion.map { "did you mean \"\($0)\"?" },
                            notes: ["allowed values: \(Checker.list(values, max: 40))"], fix: suggestion.map { "\"\($0)\"" }))
                }
            }
            // The same rules as the output validator: an error where the platform refuses the text.
            if let max = field.maxLength, let v = OutputValidator.lengthViolation(literal, field) {
                let unit = v.severity == .error && field.rules.length.documented ? field.rules.length.unit : .characters
                let n = unit.count(literal)
                if v.severity == .error {
                    report(
                        Diagnostic(
                            .literalTooLong, "this text is \(n) \(unit.noun) long, but `\(field.name)` allows at most \(max)",
                            at: span, help: "shorten the literal to \(max) \(unit.noun)"))
                } else {
                    let help = "shorten the literal to \(max) \(field.rules.length.unit.noun)"
                    report(Diagnostic(.literalMayBeRefused, v.message, at: span, help: help))
                }
            }
            if let v = OutputValidator.formViolation(literal, field) {
                report(Diagnostic(v.severity == .error ? .invalidLiteral : .literalMayBeRefused, v.message, at: span))
            }
        }
    }

    static func defaultExample(for field: Field) -> String {
        switch field.type {
        case .picklist, .multipicklist: field.values.flatMap(\.first).map { "\"\($0)\"" } ?? "\"...\""
        case .string, .id: "\"Unknown\""
        case .int: "0"
        case .decimal: "0.0"
        case .bool: "false"
        case .date: "to_date(\"1970-01-01\")"
        case .datetime: "to_datetime(\"1970-01-01T00:00:00Z\")"
        }
    }

    private mutating func expectCondition(_ t: ValueType, _ e: Expr, what: String) {
        if case .bool(let b) = e.kind {
            report(
                Diagnostic(
                    .constantCondition, "\(what) is always \(b)", at: e.span,
                    help: b ? "remove the condition or write the intended test" : "remove it; it never applies"))
            return
        }
        if t.isError || t.base == .bool { return }
        var help = "compare it, e.g. `x == \"value\"`, or test it with `blank(x)`"
        if t.base == .string { help = "test text with `blank(...)`, `present(...)` or compare it with `==`" }
        report(Diagnostic(.conditionNotBool, "\(what) must be a boolean, but this is \(t)", at: e.span, help: help))
    }

    // MARK: Expressions

    private mutating func typeOf(_ e: Expr, _ facts: Facts) -> ValueType {
        switch e.kind {
        case .string: return .string
        case .integer: return .int
        case .decimal: return .decimal
        case .bool: return .bool
        case .null: return .null
        case .error: return .error
        case .field(let name): return fieldType(name, facts)
        case .call(let name, let args): return callType(name, args, e, facts)
        case .member(let base, let name, _): return memberType(base, name, facts)
        case .unary(let op, let operand):
            let t = typeOf(operand, facts)
            if t.isError { return .error }
            switch op {
            case .not:
                expectCondition(t, operand, what: "the operand of `not`")
                return .bool
            case .negate:
                guard t.base.isNumeric else {
                    report(Diagnostic(.operatorTypeMismatch, "`-` needs a number, but this is \(t)", at: operand.span))
                    return .error
                }
                return t
            }
        case .binary(let op, let lhs, let rhs): return binaryType(op, lhs, rhs, e, facts)
        case .ifThenElse(let c, let a, let b):
            let ct = typeOf(c, facts)
            expectCondition(ct, c, what: "an `if` condition")
            let at = typeOf(a, facts.union(Narrowing.facts(c, whenTrue: true)))
            let bt = typeOf(b, facts.union(Narrowing.facts(c, whenTrue: false)))
            guard let u = ValueType.unify(at, bt) else {
                report(
                    Diagnostic(
                        .incompatibleBranches, "the branches of this `if` have different types: \(at) and \(bt)", at: e.span,
                        help: "convert one branch, e.g. with `to_string(...)`",
                        labels: [DiagnosticLabel(span: a.span, message: "\(at)"), DiagnosticLabel(span: b.span, message: "\(bt)")]))
                return .error
            }
            return u
        case .match(let subject, let arms): return matchType(subject, arms, e, facts)
        }
    }

    private mutating func fieldType(_ name: Name, _ facts: Facts) -> ValueType {
        guard let source else { return .error }
        guard let field = source.field(name.text) else {
            var help: String?
            var fix: String?
            if let s = Suggest.closest(to: name.text, in: source.fields.map(\.name)) {
                help = "did you mean `\(s)`?"
                fix = s
            } else if let f = Stdlib.functions[name.text] {
                help = "`\(name.text)` is a function; call it: `\(f.name)(...)`"
            } else if name.text.contains(".") && schemasKnowObject(name.text) {
                help = "objects are only used inside `lookup(\(name.text), Field == value)`"
            }
            report(
                Diagnostic(
                    .unknownSourceField, "`\(source.qualifiedName)` has no field `\(name.text)`", at: name.span, help: help, fix: fix))
            return .error
        }
        let t = field.valueType
        return facts.contains(field.name) ? t.nonOptional : t
    }

    private func schemasKnowObject(_ name: String) -> Bool {
        schemas.knownObjects().contains(name)
    }

    private mutating func binaryType(_ op: BinaryOperator, _ lhs: Expr, _ rhs: Expr, _ e: Expr, _ facts: Facts) -> ValueType {
        let lt = typeOf(lhs, facts)
        var rightFacts = facts
        if op == .and { rightFacts.formUnion(Narrowing.facts(lhs, whenTrue: true)) }
        if op == .or { rightFacts.formUnion(Narrowing.facts(lhs, whenTrue: false)) }
        let rt = typeOf(rhs, rightFacts)
        if lt.isError || rt.isError { return op.isComparison || op == .and || op == .or ? .bool : .error }
        let optional = lt.optional || rt.optional
        func mismatch(_ help: String? = nil) -> ValueType {
            report(
                Diagnostic(
                    .operatorTypeMismatch, "`\(op.spelling)` cannot combine \(lt) and \(rt)", at: e.span, help: help,
                    labels: [DiagnosticLabel(span: lhs.span, message: "\(lt)"), DiagnosticLabel(span: rhs.span, message: "\(rt)")]))
            return .error
        }
        switch op {
        case .and, .or:
            expectCondition(lt, lhs, what: "the left side of `\(op.spelling)`")
            expectCondition(rt, rhs, what: "the right side of `\(op.spelling)`")
            return .bool
        case .eq, .ne:
            if lt.base == .null || rt.base == .null || ValueType.unify(lt, rt) != nil { return .bool }
            _ = mismatch("convert one side so both have the same type")
            return .bool
        case .lt, .le, .gt, .ge:
            let ok =
                (lt.base.isNumeric && rt.base.isNumeric) || (lt.base == rt.base && lt.base != .bool && lt.base != .null)
                || ([.date, .datetime].contains(lt.base) && [.date, .datetime].contains(rt.base))
            if !ok { _ = mismatch("ordering compares numbers, texts or dates of the same kind") }
            return .bool
        case .coalesce:
            if lt.base == .null { return rt }
            guard let u = ValueType.unify(lt.nonOptional, rt) else {
                return mismatch("the default after `??` must have the same type as the value before it")
            }
            return ValueType(u.base, optional: rt.optional)
        case .add:
            if lt.base == .string && rt.base == .string { return ValueType(.string, optional: optional) }
            if lt.base.isNumeric && rt.base.isNumeric {
                return ValueType(lt.base == .int && rt.base == .int ? .int : .decimal, optional: optional)
            }
            if lt.base == .string || rt.base == .string {
                return mismatch("turn the other side into text with `to_string(...)`, or use `concat(...)`")
            }
            if [.date, .datetime].contains(lt.base) && rt.base == .int { return mismatch("use `add_days(date, n)`") }
            return mismatch()
        case .sub, .mul:
            if lt.base.isNumeric && rt.base.isNumeric {
                return ValueType(lt.base == .int && rt.base == .int ? .int : .decimal, optional: optional)
            }
            if op == .sub && [.date, .datetime].contains(lt.base) { return mismatch("use `days_between(a, b)` or `add_days(date, -n)`") }
            return mismatch()
        case .div:
            if lt.base.isNumeric && rt.base.isNumeric { return ValueType(.decimal, optional: optional) }
            return mismatch()
        case .mod:
            if lt.base == .int && rt.base == .int { return ValueType(.int, optional: optional) }
            return mismatch("`%` works on integers")
        }
    }

    private mutating func matchType(_ subject: Expr, _ arms: [MatchArm], _ e: Expr, _ facts: Facts) -> ValueType {
        let st = typeOf(subject, facts)
        var result: ValueType?
        var seen: [Value: SourceSpan] = [:]
        var sawDefault = false
        var failed = false
        for arm in arms {
            if sawDefault {
                report(
                    Diagnostic(
                        .unreachableArm, "this arm can never be chosen: the default arm `_` comes before it", at: arm.span,
                        help: "move the `_` arm last"))
            }
            for p in arm.patterns {
                switch p {
                case .wildcard: sawDefault = true
                case .literal(let lit):
                    guard let v = Narrowing.literalValue(lit) else { continue }
                    if !st.isError, !(v.isNull ? st.optional || true : ValueType.unify(ValueType(v.baseType), st.nonOptional) != nil) {
                        report(
                            Diagnostic(
                                .patternTypeMismatch, "pattern \(v.display) is a \(v.baseType.rawValue), but the value matched is \(st)",
                                at: lit.span))
                    }
                    if let first = seen[v] {
                        report(
                            Diagnostic(
                                .duplicatePattern, "pattern \(v.display) appears twice; only the first arm can match it", at: lit.span,
                                labels: [DiagnosticLabel(span: first, message: "first here")]))
                    } else {
                        seen[v] = lit.span
                    }
                }
            }
            let at = typeOf(arm.value, facts)
            if failed { continue }
            if let r = result {
                if let u = ValueType.unify(r, at) {
                    result = u
                } else {
                    report(
                        Diagnostic(
                            .incompatibleBranches, "the arms of this `match` have different types: \(r) and \(at)", at: arm.value.span))
                    failed = true
                }
            } else {
                result = at
            }
        }
        if !sawDefault {
            let end = SourceSpan(e.span.end - 1, e.span.end)
            report(
                Diagnostic(
                    .matchWithoutDefault, "this `match` has no default arm", at: arms.isEmpty ? e.span : end,
                    help: "add a last arm `_ => ...` for every other value (a match must always produce a value)"))
        }
        return failed ? .error : (result ?? .error)
    }

    // MARK: Calls and lookups

    private mutating func callType(_ name: Name, _ args: [Expr], _ e: Expr, _ facts: Facts) -> ValueType {
        if name.text == "lookup" {
            if checkLookup(args, e, facts) != nil { return ValueType(.record, optional: true) }
            return .error
        }
        let argTypes = args.map { typeOf($0, facts) }
        guard let fn = Stdlib.functions[name.text] else {
            let suggestion = Suggest.closest(to: name.text, in: Array(Stdlib.functions.keys) + ["lookup"])
            var help = suggestion.map { "did you mean `\($0)`?" }
            if suggestion == nil, ["now", "today", "random", "uuid"].contains(name.text) {
                help = "mappings are deterministic: they cannot read the clock or random numbers"
            }
            report(Diagnostic(.unknownFunction, "there is no function `\(name.text)`", at: name.span, help: help, fix: suggestion))
            return .error
        }
        guard fn.accepts(argumentCount: args.count) else {
            let expected =
                fn.variadic
                ? "at least \(fn.required)" : fn.required == fn.params.count ? "\(fn.required)" : "\(fn.required) to \(fn.params.count)"
            report(
                Diagnostic(
                    .wrongArity,
                    "`\(fn.name)` takes \(expected) argument\(expected == "1" ? "" : "s"), but \(args.count) \(args.count == 1 ? "is" : "are") given",
                    at: e.span, help: "usage: \(fn.signature)"))
            return .error
        }
        var bad = false
        for (i, (arg, t)) in zip(args, argTypes).enumerated() {
            guard let p = fn.param(at: i), !t.isError else {
                if t.isError { bad = true }
                continue
            }
            if t.base == .record {
                report(
                    Diagnostic(
                        .recordUsedAsValue, "a looked-up record is not a value", at: arg.span,
                        help: "pick one of its fields: `lookup(...)?.Id`"))
                bad = true
                continue
            }
            if t.base == .null && fn.nulls == .handles { continue }
            if !p.accepts.isEmpty && !p.accepts.contains(t.base) && !(t.base == .int && p.accepts.contains(.decimal)) {
                let want = p.accepts.map(\.rawValue).joined(separator: " or ")
                var help = "usage: \(fn.signature)"
                if t.base != .string && p.accepts == [.string] { help = "convert it with `to_string(...)`; " + help }
                if t.base == .string && p.accepts.contains(.date) { help = "convert it with `to_date(...)`; " + help }
                report(
                    Diagnostic(
                        .wrongArgumentType, "argument `\(p.name)` of `\(fn.name)` must be \(want), but this is \(t)", at: arg.span,
                        help: help))
                bad = true
            }
        }
        if case .patterned(let index, let prepare) = fn.impl, index < args.count, case .string(let pattern) = args[index].kind {
            if case .failure(let err) = prepare(pattern) {
                report(Diagnostic(.invalidLiteral, "invalid pattern for `\(fn.name)`: \(err.message)", at: args[index].span))
            }
        }
        if bad { return .error }
        let anyOptional = argTypes.contains { $0.optional }
        switch fn.result {
        case .fixed(let base, let optional):
            return ValueType(base, optional: optional || (fn.nulls == .propagate && anyOptional))
        case .sameAs(let i):
            return ValueType(argTypes[i].base, optional: fn.nulls == .propagate && anyOptional)
        case .coalesced, .unified:
            var u: ValueType? = argTypes.first
            for t in argTypes.dropFirst() { u = u.flatMap { ValueType.unify($0, t) } }
            guard let u else {
                report(
                    Diagnostic(
                        .wrongArgumentType, "the arguments of `\(fn.name)` must all have the same type", at: e.span,
                        help: "got \(argTypes.map(\.description).joined(separator: ", "))"))
                return .error
            }
            if case .coalesced = fn.result { return ValueType(u.base, optional: argTypes.allSatisfy(\.optional)) }
            return ValueType(u.base, optional: anyOptional)
        }
    }

    /// Checks `lookup(platform.Object, Field == value)`; returns the looked-up schema when well-formed.
    @discardableResult
    private mutating func checkLookup(_ args: [Expr], _ e: Expr, _ facts: Facts) -> Schema? {
        let usage = "write `lookup(salesforce.Account, Name == company)?.Id`"
        guard args.count == 2 else {
            report(Diagnostic(.invalidLookup, "`lookup` takes an object and one condition", at: e.span, help: usage))
            return nil
        }
        guard case .field(let objName) = args[0].kind, let parts = ObjectName.split(objName.text) else {
            report(
                Diagnostic(
                    .invalidLookup, "the first argument of `lookup` must be an object such as `salesforce.Account`",
                    at: args[0].span, help: usage))
            return nil
        }
        let ref = ObjectRef(platform: parts.platform, object: parts.object, span: objName.span)
        guard let schema = resolveObject(ref, role: "looked-up") else {
            _ = typeOfLookupValue(args[1], facts)
            return nil
        }
        lookupSchemas[schema.qualifiedName] = schema
        if !schema.readable {
            report(
                Diagnostic(
                    .invalidLookup, "`\(schema.qualifiedName)` is write-only: mapc cannot read its records, so it cannot look them up",
                    at: objName.span, help: "look up an object of a platform mapc can read, such as the source's or a CRM's"))
        }
        guard case .binary(.eq, let lhs, let rhs) = args[1].kind, case .field(let fieldName) = lhs.kind else {
            report(
                Diagnostic(
                    .invalidLookup, "the condition of `lookup` must be `Field == value`, a field of \(schema.qualifiedName) on the left",
                    at: args[1].span, help: usage))
            return nil
        }
        let vt = typeOf(rhs, facts)
        guard let field = schema.field(fieldName.text) else {
            let s = Suggest.closest(to: fieldName.text, in: schema.fields.map(\.name))
            report(
                Diagnostic(
                    .unknownLookupField, "`\(schema.qualifiedName)` has no field `\(fieldName.text)`", at: fieldName.span,
                    help: s.map { "did you mean `\($0)`?" }, fix: s))
            return nil
        }
        if !vt.isError, ValueType.unify(field.valueType, vt) == nil {
            report(
                Diagnostic(
                    .operatorTypeMismatch, "`\(field.name)` is \(field.valueType), but it is compared with \(vt)",
                    at: args[1].span))
        }
        return schema
    }

    private mutating func typeOfLookupValue(_ cond: Expr, _ facts: Facts) -> ValueType {
        if case .binary(.eq, _, let rhs) = cond.kind { return typeOf(rhs, facts) }
        return .error
    }

    private mutating func memberType(_ base: Expr, _ name: Name, _ facts: Facts) -> ValueType {
        guard case .call(let fn, let args) = base.kind, fn.text == "lookup" else {
            let bt = typeOf(base, facts)
            if !bt.isError {
                report(
                    Diagnostic(
                        .invalidLookup, "only a `lookup(...)` result has fields to select", at: name.span,
                        help: "to use a dotted source field, write its whole name, e.g. `traits.email`"))
            }
            return .error
        }
        _ = typeOf(base, facts)
        guard let schema = lookupSchemaFor(args) else { return .error }
        guard let field = schema.field(name.text) else {
            let s = Suggest.closest(to: name.text, in: schema.fields.map(\.name))
            report(
                Diagnostic(
                    .unknownLookupField, "`\(schema.qualifiedName)` has no field `\(name.text)`", at: name.span,
                    help: s.map { "did you mean `\($0)`?" }, fix: s))
            return .error
        }
        return field.valueType.asOptional
    }

    private func lookupSchemaFor(_ args: [Expr]) -> Schema? {
        guard let first = args.first, case .field(let n) = first.kind, let parts = ObjectName.split(n.text) else { return nil }
        return lookupSchemas["\(parts.platform).\(parts.object)"]
            ?? lookupSchemas.values.first { $0.qualifiedName.lowercased() == n.text.lowercased() }
    }
}
