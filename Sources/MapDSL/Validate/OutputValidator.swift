/// Codes for output values the destination would reject.
public enum ViolationCode: String, Sendable, Hashable, CaseIterable, Codable {
    case requiredMissing = "V0701"
    case picklistValue = "V0702"
    case tooLong = "V0703"
    case invalidEmail = "V0704"
    case invalidPhone = "V0705"
    case invalidURL = "V0706"
    case wrongType = "V0707"
    case readOnly = "V0708"

    /// A short title for reports.
    public var title: String {
        switch self {
        case .requiredMissing: "required value missing"
        case .picklistValue: "value not in the picklist"
        case .tooLong: "value too long"
        case .invalidEmail: "invalid email address"
        case .invalidPhone: "invalid phone number"
        case .invalidURL: "invalid URL"
        case .wrongType: "value of the wrong type"
        case .readOnly: "read-only field written"
        }
    }
}

/// One reason the destination would reject a mapped record.
public struct Violation: Sendable, Hashable {
    /// The kind of problem.
    public var code: ViolationCode
    /// The destination field.
    public var field: String
    /// A message naming the value and the rule.
    public var message: String
}

/// Validates mapped values against the destination schema, as the platform would on write.
public enum OutputValidator {
    /// Every problem with `values` (aligned with `fields`).
    public static func validate(_ values: [Value], fields: [Field]) -> [Violation] {
        var out: [Violation] = []
        for (v, f) in zip(values, fields) {
            check(v, f, into: &out)
        }
        return out
    }

    static func check(_ v: Value, _ f: Field, into out: inout [Violation]) {
        if v.isNull {
            if f.required || !f.nullable {
                out.append(Violation(code: .requiredMissing, field: f.name, message: "`\(f.name)` is required but the value is null"))
            }
            return
        }
        if !v.baseType.fits(f.type) {
            out.append(
                Violation(
                    code: .wrongType, field: f.name,
                    message: "`\(f.name)` is a \(f.type.rawValue) field, but the value \(v.display) is a \(v.baseType.rawValue)"))
            return
        }
        guard case .string(let s) = v else { return }
        if f.required && Text.isBlank(v) {
            out.append(Violation(code: .requiredMissing, field: f.name, message: "`\(f.name)` is required but the value is empty"))
            return
        }
        if let values = f.values {
            let parts = f.type == .multipicklist ? s.split(separator: ";").map(String.init) : [s]
            for p in parts where !values.contains(p) {
                out.append(
                    Violation(
                        code: .picklistValue, field: f.name,
                        message: "\"\(p)\" is not an allowed value of `\(f.name)` (allowed: \(Checker.list(values, max: 8)))"))
            }
        }
        if let max = f.maxLength {
            let n = s.utf8.count <= max ? s.utf8.count : s.count
            if n > max {
                out.append(
                    Violation(
                        code: .tooLong, field: f.name,
                        message: "`\(f.name)` allows at most \(max) characters, but the value has \(n)"))
            }
        }
        switch f.format {
        case .email where !s.isEmpty && !Formats.isEmail(s):
            out.append(Violation(code: .invalidEmail, field: f.name, message: "\(v.display) is not a valid email address"))
        case .phone where !s.isEmpty && !Formats.isPhone(s):
            out.append(Violation(code: .invalidPhone, field: f.name, message: "\(v.display) is not a valid phone number"))
        case .url where !s.isEmpty && !Formats.isURL(s):
            out.append(Violation(code: .invalidURL, field: f.name, message: "\(v.display) is not a valid URL"))
        default: break
        }
    }
}
