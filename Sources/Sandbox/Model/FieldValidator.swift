import Foundation

/// What is wrong with one field value; each emulator turns it into the platform's own wording.
enum FieldProblem: Sendable, Equatable {
    case unknownField
    case readOnly
    case required
    case notNullable
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

/// Checks record values against an ``ObjectSchema`` the way the platforms do on write.
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
            if let allowed = field.values, !text.isEmpty, !allowed.contains(text) {
                return .notAllowed(value: text, allowed: allowed)
            }
            return lengthProblem(text, field)
        case .multipicklist:
            guard let text = value.textValue else { return .wrongType(expected: "multipicklist") }
            if let allowed = field.values {
                for part in text.split(separator: ";") where !allowed.contains(String(part)) {
                    return .notAllowed(value: String(part), allowed: allowed)
                }
            }
            return lengthProblem(text, field)
        case .text:
            guard let text = value.textValue else { return .wrongType(expected: field.type) }
            if let problem = lengthProblem(text, field) { return problem }
            if field.isEmail, !text.isEmpty, !isEmail(text) {
                return .invalidEmail(text)
            }
            return nil
        }
    }

    private static func lengthProblem(_ text: String, _ field: FieldSpec) -> FieldProblem? {
        // A string has at most as many characters as UTF-8 bytes: count characters only when it might be long.
        if let maxLength = field.maxLength, text.utf8.count > maxLength, text.count > maxLength {
            return .tooLong(maxLength: maxLength, length: text.count)
        }
        return nil
    }

    /// A pragmatic address check: one `@`, a non-empty local part, a dotted domain, no spaces.
    static func isEmail(_ text: String) -> Bool {
        if let verdict = asciiIsEmail(text) { return verdict }
        return unicodeIsEmail(text)
    }

    /// ``isEmail(_:)`` over bytes for ASCII text (where characters are bytes, apart from CR LF, which is
    /// whitespace and fails anyway); `nil` for other text.
    static func asciiIsEmail(_ text: String) -> Bool? {
        var text = text
        return text.withUTF8 { bytes -> Bool? in
            var at = -1
            var ats = 0
            var lastDot = -1
            var whitespace = false
            for (index, byte) in bytes.enumerated() {
                switch byte {
                case 0x80...: return nil
                case 0x09...0x0D, 0x20: whitespace = true
                case UInt8(ascii: "@"):
                    ats += 1
                    at = index
                case UInt8(ascii: "."): lastDot = index
                default: break
                }
            }
            // One `@` not first; the domain's last dot neither its first character nor among its last two.
            return ats == 1 && at > 0 && !whitespace && lastDot > at + 1 && bytes.count - lastDot > 2
        }
    }

    /// ``isEmail(_:)`` by characters, for text beyond ASCII.
    static func unicodeIsEmail(_ text: String) -> Bool {
        let parts = text.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, !text.contains(where: \.isWhitespace) else { return false }
        let domain = parts[1]
        guard let dot = domain.lastIndex(of: "."), dot != domain.startIndex else { return false }
        return domain.distance(from: dot, to: domain.endIndex) > 2
    }
}
