/// The base types of expressions.
public enum BaseType: String, Sendable, Hashable, CaseIterable {
    case string, int, decimal, bool, date, datetime
    /// The type of the `null` literal: fits any optional.
    case null
    /// A looked-up record; only its fields can be used (`lookup(...)?.Id`).
    case record
    /// The type of an expression that already has an error; suppresses follow-on errors.
    case error

    /// Whether the type is numeric.
    public var isNumeric: Bool { self == .int || self == .decimal }
}

/// The static type of an expression: a base type and whether it may be null.
public struct ValueType: Sendable, Hashable, CustomStringConvertible {
    /// The base type.
    public var base: BaseType
    /// Whether the value may be null.
    public var optional: Bool

    /// Creates a type.
    public init(_ base: BaseType, optional: Bool = false) {
        self.base = base
        self.optional = optional || base == .null
    }

    public static let string = ValueType(.string)
    public static let int = ValueType(.int)
    public static let decimal = ValueType(.decimal)
    public static let bool = ValueType(.bool)
    public static let date = ValueType(.date)
    public static let datetime = ValueType(.datetime)
    public static let null = ValueType(.null, optional: true)
    public static let error = ValueType(.error, optional: false)

    /// This type, possibly null.
    public var asOptional: ValueType { ValueType(base, optional: true) }
    /// This type, never null.
    public var nonOptional: ValueType { ValueType(base, optional: base == .null) }

    /// Whether this is the error type.
    public var isError: Bool { base == .error }

    /// As written in messages: `string`, `string?`.
    public var description: String {
        switch base {
        case .null: "null"
        case .error: "<error>"
        default: base.rawValue + (optional ? "?" : "")
        }
    }

    /// The type both `a` and `b` fit into, or nil when they are incompatible (branches of if/match, `??`).
    public static func unify(_ a: ValueType, _ b: ValueType) -> ValueType? {
        if a.isError || b.isError { return .error }
        if a.base == .null { return b.asOptional }
        if b.base == .null { return a.asOptional }
        let optional = a.optional || b.optional
        if a.base == b.base { return ValueType(a.base, optional: optional) }
        if a.base.isNumeric && b.base.isNumeric { return ValueType(.decimal, optional: optional) }
        return nil
    }
}

extension Field {
    /// The type a reference to this field has in an expression.
    public var valueType: ValueType { ValueType(type.baseType, optional: nullable) }
}

extension BaseType {
    /// Whether a value of type `self` can be stored in a destination field of type `field`.
    func fits(_ field: FieldType) -> Bool {
        switch (self, field) {
        case (.null, _), (.error, _): true
        case (.string, .string), (.string, .picklist), (.string, .multipicklist), (.string, .id): true
        case (.int, .int), (.int, .decimal), (.decimal, .decimal): true
        case (.bool, .bool), (.date, .date), (.date, .datetime), (.datetime, .datetime): true
        default: false
        }
    }
}
