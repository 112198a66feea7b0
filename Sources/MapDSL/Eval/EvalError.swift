/// Codes of record-level failures: a value that cannot be computed for one record.
public enum RecordErrorCode: String, Sendable, Hashable, CaseIterable, Codable {
    /// A conversion such as `to_int("abc")` failed.
    case conversionFailed = "R0601"
    /// A date did not match ISO 8601 or the given pattern.
    case invalidDate = "R0602"
    /// Division or remainder by zero.
    case divisionByZero = "R0603"
    /// A source value could not be read as its field's declared type.
    case unreadableSourceValue = "R0604"
    /// A number does not fit.
    case numberOutOfRange = "R0605"
    /// The lookup provider failed.
    case lookupFailed = "R0606"
    /// A pattern given at run time is invalid.
    case invalidPattern = "R0607"
    /// The input line is not a JSON object.
    case malformedRecord = "R0608"
    /// A date or date-time falls outside 0001-01-01 … 9999-12-31.
    case dateOutOfRange = "R0609"
    /// The record made an earlier run of its job die inside the mapper (a trap, a fault, a stack
    /// overflow): it is quarantined instead of being mapped again.
    case mapperCrashed = "Q0001"

    /// A short title for reports.
    public var title: String {
        switch self {
        case .conversionFailed: "conversion failed"
        case .invalidDate: "invalid date"
        case .divisionByZero: "division by zero"
        case .unreadableSourceValue: "source value does not fit its field type"
        case .numberOutOfRange: "number out of range"
        case .lookupFailed: "lookup failed"
        case .invalidPattern: "invalid pattern"
        case .malformedRecord: "malformed input record"
        case .dateOutOfRange: "date out of range"
        case .mapperCrashed: "crashed the mapper"
        }
    }
}

/// A failure while evaluating an expression for one record.
public struct EvalError: Error, Sendable, Hashable {
    /// What kind of failure.
    public var code: RecordErrorCode
    /// A message naming the offending value.
    public var message: String

    /// Creates an error.
    public init(_ code: RecordErrorCode, _ message: String) {
        self.code = code
        self.message = message
    }
}
