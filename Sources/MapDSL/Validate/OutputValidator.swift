/// Codes for output values the destination refuses (or, as warnings, may refuse).
public enum ViolationCode: String, Sendable, Hashable, CaseIterable, Codable {
    case requiredMissing = "V0701"
    case picklistValue = "V0702"
    case tooLong = "V0703"
    case invalidEmail = "V0704"
    case invalidPhone = "V0705"
    case invalidURL = "V0706"
    case wrongType = "V0707"
    case readOnly = "V0708"
    case invalidName = "V0709"

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
        case .invalidName: "name the platform does not accept"
        }
    }
}

/// One reason the destination refuses a mapped record, or (a warning) may refuse it.
public struct Violation: Sendable, Hashable {
    /// The kind of problem.
    public var code: ViolationCode
    /// The destination field.
    public var field: String
    /// A message naming the value and the rule.
    public var message: String
    /// `.error`: the platform documents that it refuses the value, and the record is rejected;
    /// `.warning`: mapc is unsure, and the record is sent with the warning recorded.
    public var severity: Severity = .error
}

extension Array where Element == Violation {
    /// Whether any of the violations rejects the record.
    public var rejects: Bool { contains { $0.severity == .error } }
    /// The violations that reject the record.
    public var errors: [Violation] { filter { $0.severity == .error } }
    /// The warnings.
    public var warnings: [Violation] { filter { $0.severity == .warning } }
}

/// Validates mapped values against the destination schema, as the platform does on write: each
/// field's ``Field/rules`` (from `platforms/<platform>/fields.json`) say how its length is counted,
/// which form check applies, and whether a failure is refused by the platform (an error) or only
/// doubtful (a warning).
public enum OutputValidator {
    /// Every problem with `values` (aligned with `fields`): errors, which reject the record, and warnings.
    public static func validate(_ values: [Value], fields: [Field]) -> [Violation] {
        var out: [Violation] = []
        for (v, f) in zip(values, fields) {
            check(v, f, into: &out)
        }
        return out
    }

    /// The problem, if any, with a text of `s` for the length limit of `f`: an error when the text is
    /// too long in the field's unit (or, where the platform does not document its unit, even in
    /// characters), a warning when it is too long only in the unit mapc assumes.
    public static func lengthViolation(_ s: String, _ f: Field) -> Violation? {
        guard let max = f.maxLength, s.utf8.count > max else { return nil }
        let rule = f.rules.length
        let n = rule.unit.count(s)
        guard n > max else { return nil }
        let said = "`\(f.name)` allows at most \(max) \(rule.unit.noun), but the value has \(n)"
        if rule.documented { return Violation(code: .tooLong, field: f.name, message: said) }
        let chars = s.count
        if chars > max {
            return Violation(
                code: .tooLong, field: f.name, message: "`\(f.name)` allows at most \(max) characters, but the value has \(chars)")
        }
        return Violation(code: .tooLong, field: f.name, message: said + " (the platform may count characters)", severity: .warning)
    }

    /// The problem, if any, with the form of a non-empty text `s` in field `f`.
    public static func formViolation(_ s: String, _ f: Field) -> Violation? {
        guard let rule = f.rules.value, !s.isEmpty else { return nil }
        let severity: Severity
        let reason: String
        switch ValueChecks.verdict(rule.check, s) {
        case .valid: return nil
        case .invalid(let r):
            severity = rule.severity == .reject ? .error : .warning
            reason = r
        case .doubtful(let r):
            severity = .warning
            reason = r
        }
        let code: ViolationCode
        let what: String
        switch rule.check {
        case .emailSalesforce, .email:
            code = .invalidEmail
            what = "email address"
        case .phoneDigits:
            code = .invalidPhone
            what = "phone number"
        case .url:
            code = .invalidURL
            what = "URL"
        case .ga4Name, .none:
            code = .invalidName
            what = "name"
        }
        let verdict = severity == .error ? "is not a valid" : "may not be a valid"
        return Violation(
            code: code, field: f.name, message: "\(Value.string(s).display) \(verdict) \(what) for `\(f.name)`: it \(reason)",
            severity: severity)
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
                        message: "\"\(p)\" is not an allowed value of `\(f.name)` (allowed: \(Checker.list(values, max: 8)))",
                        severity: f.rules.picklist == .reject ? .error : .warning))
            }
        }
        if let v = lengthViolation(s, f) { out.append(v) }
        if let v = formViolation(s, f) { out.append(v) }
    }
}
