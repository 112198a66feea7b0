/// The type of a platform field, as declared in a schema file.
public enum FieldType: String, Sendable, Hashable, Codable, CaseIterable {
    case string
    case int
    case decimal
    case bool
    case date
    case datetime
    case picklist
    case multipicklist
    case id

    /// The expression-level type values of this field have.
    public var baseType: BaseType {
        switch self {
        case .string, .picklist, .multipicklist, .id: .string
        case .int: .int
        case .decimal: .decimal
        case .bool: .bool
        case .date: .date
        case .datetime: .datetime
        }
    }
}

/// A value format that a string field must follow.
public enum FieldFormat: String, Sendable, Hashable, Codable, CaseIterable {
    case email
    case phone
    case url
}

/// One field of a platform object.
public struct Field: Sendable, Hashable {
    /// API name, exactly as the platform spells it (dotted for nested values: `traits.email`).
    public var name: String
    /// Human label.
    public var label: String?
    /// Declared type.
    public var type: FieldType
    /// Whether the field may hold null.
    public var nullable: Bool
    /// Whether the platform requires a value when a record is created.
    public var required: Bool
    /// Maximum length of text values, counted as ``rules`` say (``LengthRule/unit``).
    public var maxLength: Int?
    /// Allowed values for picklists.
    public var values: [String]?
    /// Whether the platform computes the field (it cannot be written).
    public var readOnly: Bool
    /// Whether values are unique across records.
    public var unique: Bool
    /// Whether the field can serve as an upsert key.
    public var externalId: Bool
    /// Value format for strings.
    public var format: FieldFormat?
    /// Referenced object (`platform.Object`) for id fields.
    public var references: String?
    /// Free-text description.
    public var description: String?
    /// How the platform checks values of this field: the length unit and the form check, from
    /// `platforms/<platform>/fields.json` (``PlatformRules``); cautious defaults without one.
    public var rules: FieldRules

    /// Creates a field; defaults match the schema file format.
    public init(
        name: String, label: String? = nil, type: FieldType, nullable: Bool = true, required: Bool = false,
        maxLength: Int? = nil, values: [String]? = nil, readOnly: Bool = false, unique: Bool = false,
        externalId: Bool = false, format: FieldFormat? = nil, references: String? = nil, description: String? = nil
    ) {
        self.name = name
        self.label = label
        self.type = type
        self.nullable = nullable
        self.required = required
        self.maxLength = maxLength
        self.values = values
        self.readOnly = readOnly
        self.unique = unique
        self.externalId = externalId
        self.format = format
        self.references = references
        self.description = description
        self.rules = FieldRules.unknownPlatform(format)
    }

    /// True when the field may serve as a record key (unique or external id).
    public var canBeKey: Bool { unique || externalId }
}

/// A platform object's schema: its fields, in the platform's order.
public struct Schema: Sendable, Hashable {
    /// Platform name in lower case (`hubspot`).
    public var platform: String
    /// Object name as the platform spells it (`contact`, `Lead`).
    public var object: String
    /// Human label.
    public var label: String?
    /// Fields in declaration order.
    public private(set) var fields: [Field]
    /// How the platform counts text lengths where no field decides (in skip rules).
    public private(set) var textUnit: LengthUnit = .characters
    private var index: [String: Int]
    /// Whether mapc can read records of this object (fetch them, look them up). Write-only APIs
    /// (Segment's Tracking API, GA4's Measurement Protocol) say `"readable": false` in the schema file.
    public var readable: Bool

    /// Creates a schema; later duplicates of a field name are ignored by lookups.
    public init(platform: String, object: String, label: String? = nil, fields: [Field], readable: Bool = true) {
        self.platform = platform
        self.object = object
        self.label = label
        self.readable = readable
        self.fields = fields
        var index: [String: Int] = [:]
        for (i, f) in fields.enumerated() where index[f.name] == nil {
            index[f.name] = i
        }
        self.index = index
    }

    /// `platform.object`.
    public var qualifiedName: String { "\(platform).\(object)" }

    /// The field called `name`, if any.
    public func field(_ name: String) -> Field? {
        index[name].map { fields[$0] }
    }

    /// Position of the field called `name` in ``fields``.
    public func fieldIndex(_ name: String) -> Int? { index[name] }

    /// Sets every field's ``Field/rules`` to what `rules` says for it, and the unit of ``textUnit``.
    mutating func setRules(_ rules: (Field) -> FieldRules, textUnit: LengthUnit) {
        for i in fields.indices { fields[i].rules = rules(fields[i]) }
        self.textUnit = textUnit
    }
}
