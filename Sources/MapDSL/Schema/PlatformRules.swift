import Foundation

/// Where a platform rule comes from: the documentation page and what it says there.
public struct RuleSource: Sendable, Hashable {
    /// The page.
    public var url: String
    /// A quotation or close paraphrase of what the page says.
    public var says: String
}

/// What mapc does with a value a rule finds wrong.
public enum RuleSeverity: String, Sendable, Hashable, CaseIterable {
    /// The platform documents that it refuses the value: the record is rejected before sending.
    case reject
    /// mapc is unsure the platform refuses it: the value is sent, and a warning is recorded.
    case warn
}

/// A check of a text value's form, chosen by name in the platform files.
public enum ValueCheck: String, Sendable, Hashable, CaseIterable {
    /// Any text (Salesforce phone fields).
    case none
    /// Salesforce's documented e-mail address rules.
    case emailSalesforce = "email-salesforce"
    /// The forms of an e-mail address that no mail system accepts are refused; others that are not
    /// plainly `name@domain.tld` are doubtful.
    case email
    /// Digits with the usual separators, 7 to 20 digits.
    case phoneDigits = "phone-digits"
    /// An http(s) URL or a bare domain name.
    case url
    /// A GA4 event or parameter name: a letter, then letters, digits and underscores, no reserved prefix.
    case ga4Name = "ga4-name"
}

/// A rule about the form of a field's values: which check, what a failure means, and its source.
public struct ValueRule: Sendable, Hashable {
    /// The check.
    public var check: ValueCheck
    /// What a value the check finds invalid means; a doubtful value only ever warns.
    public var severity: RuleSeverity
    /// The documentation the rule follows.
    public var source: RuleSource?

    /// Creates a rule.
    public init(check: ValueCheck, severity: RuleSeverity, source: RuleSource? = nil) {
        self.check = check
        self.severity = severity
        self.source = source
    }
}

/// How a field's length limit is counted.
public struct LengthRule: Sendable, Hashable {
    /// The unit: how mapc counts (and how `truncate` and `length` count in values written to the field).
    public var unit: LengthUnit
    /// Whether the platform documents the unit. When it does not, a text is rejected only when it is
    /// too long even in characters (the smallest count), and only warned about when it is too long in `unit`.
    public var documented: Bool
    /// The documentation.
    public var source: RuleSource?

    /// Creates a rule.
    public init(unit: LengthUnit, documented: Bool, source: RuleSource? = nil) {
        self.unit = unit
        self.documented = documented
        self.source = source
    }
}

/// The rules a platform applies to the values of one field.
public struct FieldRules: Sendable, Hashable {
    /// How the length limit is counted.
    public var length: LengthRule
    /// The form check, if the field has one.
    public var value: ValueRule?
    /// What a value outside the picklist means.
    public var picklist: RuleSeverity

    /// Creates rules.
    public init(length: LengthRule, value: ValueRule? = nil, picklist: RuleSeverity = .reject) {
        self.length = length
        self.value = value
        self.picklist = picklist
    }

    /// The rules for a field of a platform mapc has no rules file for: lengths in characters, e-mail
    /// addresses refused only in forms no mail system accepts, phone numbers and URLs only warned about.
    public static func unknownPlatform(_ format: FieldFormat?) -> FieldRules {
        let value: ValueRule? =
            switch format {
            case .email?: ValueRule(check: .email, severity: .reject)
            case .phone?: ValueRule(check: .phoneDigits, severity: .warn)
            case .url?: ValueRule(check: .url, severity: .warn)
            case nil: nil
            }
        return FieldRules(length: LengthRule(unit: .characters, documented: false), value: value)
    }
}

/// A platform's rules, as written in `platforms/<platform>/fields.json` (format `mapc-platform-fields/1`):
/// how lengths are counted, and per field kind (`email`, `phone`, `url`, `picklist`) and per field
/// (`<object>.<field>`) which check applies and what a failure means, each with its source.
public struct PlatformRules: Sendable, Hashable {
    /// The file format name.
    public static let format = "mapc-platform-fields/1"

    /// The platform (`salesforce`).
    public var platform: String
    /// How text lengths are counted, unless a field says otherwise.
    public var length: LengthRule
    /// Form rules by field kind: a format (`email`, `phone`, `url`) or `string`.
    public var kinds: [String: ValueRule]
    /// What a value outside a picklist means.
    public var picklist: RuleSeverity
    /// Per-field rules by `<object>.<field>`: a form rule and/or a length rule.
    public var fields: [String: FieldOverride]

    /// A field's own rules, replacing those of its kind.
    public struct FieldOverride: Sendable, Hashable {
        /// The form rule, if the field has its own.
        public var value: ValueRule?
        /// The length rule, if the field has its own.
        public var length: LengthRule?
    }

    /// The rules for `field` of `object`.
    public func rules(object: String, field: Field) -> FieldRules {
        var value: ValueRule?
        if let format = field.format {
            value = kinds[format.rawValue] ?? FieldRules.unknownPlatform(format).value
        } else if field.type == .string {
            value = kinds["string"]
        }
        var length = length
        if let own = fields["\(object).\(field.name)"] {
            if let v = own.value { value = v }
            if let l = own.length { length = l }
        }
        return FieldRules(length: length, value: value, picklist: picklist)
    }
}

extension Schema {
    /// The schema with each field's ``Field/rules`` taken from `rules` (the platform's file).
    public func applying(_ rules: PlatformRules) -> Schema {
        var s = self
        s.setRules({ rules.rules(object: object, field: $0) }, textUnit: rules.length.unit)
        return s
    }
}

/// Reads `platforms/<platform>/fields.json` files.
public enum PlatformRulesLoader {
    /// The largest rules file read.
    static let maxFileBytes = 1 << 20

    /// Parses a rules file; `path` names it in errors.
    public static func load(text: String, path: String) throws(SchemaError) -> PlatformRules {
        let root: JSONValue
        do {
            root = try JSONParser.parse(text)
        } catch {
            throw SchemaError(path: path, message: "not valid JSON (\(error.description))")
        }
        guard case .object = root else { throw SchemaError(path: path, message: "the top level must be an object") }
        guard root["format"]?.stringValue == PlatformRules.format else {
            throw SchemaError(path: path, message: "`format` must be \"\(PlatformRules.format)\"")
        }
        guard let platform = root["platform"]?.stringValue, !platform.isEmpty else {
            throw SchemaError(path: path, message: "missing or empty string `platform`")
        }
        guard let rules = root["rules"], case .object(let pairs) = rules else {
            throw SchemaError(path: path, message: "missing object `rules`")
        }
        guard let lengthJSON = rules["length"] else {
            throw SchemaError(path: path, message: "`rules` has no `length` (how the platform counts text lengths)")
        }
        let length = try lengthRule(lengthJSON, at: "rules.length", path: path)
        var kinds: [String: ValueRule] = [:]
        var picklist = RuleSeverity.reject
        for (key, value) in pairs {
            switch key {
            case "length": continue
            case "picklist", "required", "type", "readOnly":
                let (severity, _) = try severityAndSource(value, at: "rules.\(key)", path: path)
                if key == "picklist" {
                    picklist = severity
                } else if severity != .reject {
                    throw SchemaError(path: path, message: "`rules.\(key).severity` must be \"reject\"")
                }
            case "string", "email", "phone", "url":
                kinds[key] = try valueRule(value, at: "rules.\(key)", path: path)
            default:
                throw SchemaError(
                    path: path,
                    message: "unknown rule `\(key)` (allowed: length, required, type, readOnly, picklist, string, email, phone, url)")
            }
        }
        var fields: [String: PlatformRules.FieldOverride] = [:]
        if let f = root["fields"] {
            guard case .object(let entries) = f else { throw SchemaError(path: path, message: "`fields` must be an object") }
            for (name, entry) in entries {
                guard name.contains("."), case .object = entry else {
                    throw SchemaError(path: path, message: "`fields.\(name)` must be an object keyed `<object>.<field>`")
                }
                let value = entry["check"] == nil ? nil : try valueRule(entry, at: "fields.\(name)", path: path)
                var length: LengthRule?
                if let j = entry["length"] { length = try lengthRule(j, at: "fields.\(name).length", path: path) }
                if value == nil && length == nil {
                    throw SchemaError(path: path, message: "`fields.\(name)` has neither a `check` nor a `length`")
                }
                fields[name] = PlatformRules.FieldOverride(value: value, length: length)
            }
        }
        return PlatformRules(platform: platform, length: length, kinds: kinds, picklist: picklist, fields: fields)
    }

    /// Reads the rules file at `path`; nil when there is no such file.
    public static func load(path: String) throws(SchemaError) -> PlatformRules? {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir), !isDir.boolValue else { return nil }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw SchemaError(path: path, message: "cannot read the file")
        }
        guard data.count <= maxFileBytes else { throw SchemaError(path: path, message: "larger than \(maxFileBytes) bytes") }
        return try load(text: String(decoding: data, as: UTF8.self), path: path)
    }

    private static func source(_ j: JSONValue, at: String, path: String) throws(SchemaError) -> RuleSource {
        guard let s = j["source"], let url = s["url"]?.stringValue, !url.isEmpty, let says = s["says"]?.stringValue, !says.isEmpty
        else {
            throw SchemaError(path: path, message: "`\(at)` needs a `source` with the documentation's `url` and what it `says`")
        }
        return RuleSource(url: url, says: says)
    }

    private static func severityAndSource(_ j: JSONValue, at: String, path: String) throws(SchemaError) -> (RuleSeverity, RuleSource) {
        guard case .object = j else { throw SchemaError(path: path, message: "`\(at)` must be an object") }
        let raw = j["severity"]?.stringValue ?? "reject"
        guard let severity = RuleSeverity(rawValue: raw) else {
            throw SchemaError(path: path, message: "`\(at).severity` must be \"reject\" or \"warn\"")
        }
        return (severity, try source(j, at: at, path: path))
    }

    private static func valueRule(_ j: JSONValue, at: String, path: String) throws(SchemaError) -> ValueRule {
        let (severity, src) = try severityAndSource(j, at: at, path: path)
        guard let name = j["check"]?.stringValue, let check = ValueCheck(rawValue: name) else {
            let allowed = ValueCheck.allCases.map(\.rawValue).joined(separator: ", ")
            throw SchemaError(path: path, message: "`\(at).check` must be one of \(allowed)")
        }
        return ValueRule(check: check, severity: severity, source: src)
    }

    private static func lengthRule(_ j: JSONValue, at: String, path: String) throws(SchemaError) -> LengthRule {
        guard case .object = j else { throw SchemaError(path: path, message: "`\(at)` must be an object") }
        guard let name = j["unit"]?.stringValue, let unit = LengthUnit(rawValue: name) else {
            let allowed = LengthUnit.allCases.map(\.rawValue).joined(separator: ", ")
            throw SchemaError(path: path, message: "`\(at).unit` must be one of \(allowed)")
        }
        guard let documented = j["documented"]?.boolValue else {
            throw SchemaError(path: path, message: "`\(at).documented` must be true or false")
        }
        return LengthRule(unit: unit, documented: documented, source: try source(j, at: at, path: path))
    }
}
