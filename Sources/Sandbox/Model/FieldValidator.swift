import Foundation
import MapDSL

/// What is wrong with one field value; each emulator turns it into the platform's own wording.
enum FieldProblem: Sendable, Equatable {
    case unknownField
    case readOnly
    case required
    case notNullable
    /// Longer than the field's limit, both counted as the platform counts (``FieldRules``).
    case tooLong(maxLength: Int, length: Int)
    case notAllowed(value: String, allowed: [String])
    case invalidEmail(String)
    case wrongType(expected: String)
}

/// One rejected field of a record.
struct FieldIssue: Sendable, Equatable {
    let field: String
    let problem: FieldProblem
}

/// Checks record values against an ``ObjectSchema`` the way the platforms do on write, by the same
/// rules as mapc's output validator (`platforms/<platform>/fields.json`, read into each field's
/// ``FieldSpec/rules``): lengths in the platform's unit, and only the form failures a rule marks
/// `reject` refused. Where the rules leave mapc unsure (a warning there), the emulator accepts, so
/// mapc never rejects a value the emulator takes.
enum FieldValidator {
    /// Problems with `fields` written to `schema`; `creating` adds checks for required fields.
    ///
    /// Without a schema every write is accepted. `ignoring` names fields the caller handles itself
    /// (e.g. the upsert key that was also used to find the record). Issues about given fields come in
    /// field-name order, then missing required fields in schema order.
    static func validate(
        _ fields: [String: JSONValue],
        against schema: ObjectSchema?,
        creating: Bool,
        ignoring: Set<String> = []
    ) -> [FieldIssue] {
        guard let schema else { return [] }
        let ignores = !ignoring.isEmpty
        var issues: [FieldIssue] = []
        for (name, value) in fields where !(ignores && ignoring.contains(name)) {
            if let problem = problem(value, schema.field(name)) {
                issues.append(FieldIssue(field: name, problem: problem))
            }
        }
        // Names are unique, so sorting the few issues gives the order of checking sorted names.
        if issues.count > 1 { issues.sort { $0.field < $1.field } }
        if creating {
            for field in schema.requiredWritableFields where !(ignores && ignoring.contains(field.name)) {
                if isMissing(fields[field.name]) {
                    issues.append(FieldIssue(field: field.name, problem: .required))
                }
            }
        }
        return issues
    }

    /// The problem with `value` written to the schema field `field` (`nil`: the schema has no such
    /// field): unknown, read-only, or what ``check(_:_:)`` finds. ``FieldChecks`` asks the same.
    static func problem(_ value: JSONValue, _ field: FieldSpec?) -> FieldProblem? {
        guard let field else { return .unknownField }
        if field.readOnly { return .readOnly }
        return check(value, field)
    }

    /// Whether a required field whose value is `value` (`nil`: absent) is missing: absent, null or empty text.
    static func isMissing(_ value: JSONValue?) -> Bool {
        guard let value else { return true }
        return value.isNull || value.textValue?.isEmpty == true
    }

    /// The problem with one value for `field`, or `nil` when it is acceptable.
    static func check(_ value: JSONValue, _ field: FieldSpec) -> FieldProblem? {
        if value.isNull {
            return field.nullable ? nil : .notNullable
        }
        switch field.kind {
        case .int:
            guard let number = value.numberValue ?? value.textValue.flatMap(Double.init),
                number == number.rounded()
            else { return .wrongType(expected: "int") }
            return nil
        case .decimal:
            guard value.numberValue ?? value.textValue.flatMap(Double.init) != nil else {
                return .wrongType(expected: "decimal")
            }
            return nil
        case .bool:
            if value.boolValue != nil { return nil }
            if let text = value.stringValue, ["true", "false"].contains(text.lowercased()) { return nil }
            return .wrongType(expected: "bool")
        case .dateTime:
            if value.numberValue != nil { return nil }  // epoch milliseconds (HubSpot)
            guard let text = value.stringValue, Timestamps.parse(text) != nil else {
                return .wrongType(expected: field.type)
            }
            return nil
        case .picklist:
            guard let text = value.textValue else { return .wrongType(expected: "picklist") }
            if let allowed = field.values, !text.isEmpty, !allowed.contains(text), field.rules.picklist == .reject {
                return .notAllowed(value: text, allowed: allowed)
            }
            return lengthProblem(text, field)
        case .multipicklist:
            guard let text = value.textValue else { return .wrongType(expected: "multipicklist") }
            if let allowed = field.values, field.rules.picklist == .reject {
                for part in text.split(separator: ";") where !allowed.contains(String(part)) {
                    return .notAllowed(value: String(part), allowed: allowed)
                }
            }
            return lengthProblem(text, field)
        case .text:
            guard let text = value.textValue else { return .wrongType(expected: field.type) }
            if let problem = lengthProblem(text, field) { return problem }
            if let rule = field.rules.value, rule.severity == .reject, !text.isEmpty,
                case .invalid = ValueChecks.verdict(rule.check, text)
            {
                switch rule.check {
                case .email, .emailSalesforce: return .invalidEmail(text)
                case .none, .phoneDigits, .url, .ga4Name: return .wrongType(expected: field.type)
                }
            }
            return nil
        }
    }

    /// The text is longer than the field allows, counted in the platform's unit (Salesforce: UTF-16
    /// code units, so 39 × `A` and an emoji is 41 long).
    private static func lengthProblem(_ text: String, _ field: FieldSpec) -> FieldProblem? {
        // Every unit counts at most as many as UTF-8 bytes: count only when the text might be long.
        guard let maxLength = field.maxLength, text.utf8.count > maxLength else { return nil }
        let length = field.rules.length.unit.count(text)
        return length > maxLength ? .tooLong(maxLength: maxLength, length: length) : nil
    }

    /// Whether `text` is an address a platform could accept: refused only in the forms no mail
    /// system accepts (the ``ValueCheck/email`` rule: no `@` or two, an empty side, a space).
    static func isEmail(_ text: String) -> Bool {
        if case .invalid = ValueChecks.verdict(.email, text) { return false }
        return true
    }
}
