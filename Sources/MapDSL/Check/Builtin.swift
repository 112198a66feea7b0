/// A parameter of a standard-library function.
public struct ParamSpec: Sendable {
    /// The name, for documentation and messages.
    public var name: String
    /// Accepted base types; empty accepts any type.
    public var accepts: [BaseType]

    init(_ name: String, _ accepts: [BaseType]) {
        self.name = name
        self.accepts = accepts
    }
}

/// How a function treats null arguments.
public enum NullHandling: Sendable {
    /// A null argument makes the result null without calling the function.
    case propagate
    /// The function receives nulls and decides.
    case handles
}

/// How a function's result type follows from its arguments.
public enum ResultRule: Sendable {
    /// Always this base type; `optional` when the function itself may return null.
    case fixed(BaseType, optional: Bool)
    /// The type of argument `index` (for `abs`, `add_days`).
    case sameAs(Int)
    /// The unified type of all arguments, optional only when every argument is (for `coalesce`).
    case coalesced
    /// The unified type of all arguments (for `min`, `max`).
    case unified
}

/// The implementation of a standard-library function.
public enum BuiltinImpl: Sendable {
    case unary(@Sendable (Value) throws -> Value)
    case binary(@Sendable (Value, Value) throws -> Value)
    case ternary(@Sendable (Value, Value, Value) throws -> Value)
    case variadic(@Sendable ([Value]) throws -> Value)
    /// A function whose argument `index` is a pattern (date pattern, regular expression), prepared once
    /// when it is a literal; `prepare` returns the implementation of the remaining call or why the pattern is bad.
    case patterned(index: Int, prepare: @Sendable (String) -> Result<@Sendable ([Value]) throws -> Value, PatternError>)
}

/// A standard-library function: its signature, documentation and implementation.
public struct Builtin: Sendable {
    /// The name.
    public var name: String
    /// The parameters; the last repeats when ``variadic``.
    public var params: [ParamSpec]
    /// How many arguments are required.
    public var required: Int
    /// Whether the last parameter may repeat.
    public var variadic: Bool
    /// How nulls are treated.
    public var nulls: NullHandling
    /// The result type rule.
    public var result: ResultRule
    /// One-line documentation.
    public var summary: String
    /// A short example, `call → result`.
    public var example: String
    /// The implementation.
    public var impl: BuiltinImpl

    /// The signature as documented: `substring(text: string, start: int[, length: int]) -> string`.
    public var signature: String {
        var parts: [String] = []
        for (i, p) in params.enumerated() {
            let types = p.accepts.isEmpty ? "any" : p.accepts.map(\.rawValue).joined(separator: "|")
            var s = "\(p.name): \(types)"
            if variadic && i == params.count - 1 { s += "..." }
            parts.append(i >= required && !(variadic && i == params.count - 1) ? "[\(s)]" : s)
        }
        let res: String
        switch result {
        case .fixed(let b, let opt): res = b.rawValue + (opt ? "?" : "")
        case .sameAs(let i): res = "type of \(params[i].name)"
        case .coalesced, .unified: res = "common type of the arguments"
        }
        return "\(name)(\(parts.joined(separator: ", "))) -> \(res)"
    }

    /// Whether `count` arguments are acceptable.
    public func accepts(argumentCount count: Int) -> Bool {
        variadic ? count >= required : (count >= required && count <= params.count)
    }

    /// The parameter that argument `index` binds to.
    public func param(at index: Int) -> ParamSpec? {
        if index < params.count { return params[index] }
        return variadic ? params.last : nil
    }
}
