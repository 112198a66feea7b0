/// A runtime value of the mapping language.
public enum Value: Sendable, Hashable {
    case null
    case string(String)
    case int(Int)
    case decimal(Double)
    case bool(Bool)
    /// Days since 1970-01-01.
    case date(Int)
    /// Milliseconds since 1970-01-01T00:00:00Z.
    case datetime(Int64)

    /// Whether the value is null.
    @inline(__always) public var isNull: Bool {
        if case .null = self { return true }
        return false
    }

    /// The value as JSON, with dates in ISO 8601.
    public var json: JSONValue {
        switch self {
        case .null: .null
        case .string(let s): .string(s)
        case .int(let i): .int(i)
        case .decimal(let d): .double(d)
        case .bool(let b): .bool(b)
        case .date(let d): .string(Dates.formatDate(d))
        case .datetime(let t): .string(Dates.formatDateTime(t))
        }
    }

    /// The value as text, the way `to_string` renders it.
    public var text: String {
        switch self {
        case .null: ""
        case .string(let s): s
        case .int(let i): String(i)
        case .decimal(let d):
            if d.rounded() == d && abs(d) < 1e15 { String(Int(d)) } else { String(d) }
        case .bool(let b): b ? "true" : "false"
        case .date(let d): Dates.formatDate(d)
        case .datetime(let t): Dates.formatDateTime(t)
        }
    }

    /// A short rendering for reports: strings quoted, null as `null`.
    public var display: String {
        switch self {
        case .null: "null"
        case .string(let s): "\"\(s)\""
        default: text
        }
    }

    /// The type of the value.
    public var baseType: BaseType {
        switch self {
        case .null: .null
        case .string: .string
        case .int: .int
        case .decimal: .decimal
        case .bool: .bool
        case .date: .date
        case .datetime: .datetime
        }
    }
}
