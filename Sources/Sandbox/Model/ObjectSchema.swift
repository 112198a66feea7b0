import Foundation
import MapDSL

/// How values written to a field are checked: its `type`, decoded once so validation switches on a
/// case instead of comparing type names per value.
enum FieldKind: Sendable {
    case int
    case decimal
    case bool
    /// `date` or `datetime`.
    case dateTime
    case picklist
    case multipicklist
    /// Any other type: text, checked for length (and address syntax for the `email` format).
    case text

    init(type: String) {
        switch type {
        case "int": self = .int
        case "decimal": self = .decimal
        case "bool": self = .bool
        case "date", "datetime": self = .dateTime
        case "picklist": self = .picklist
        case "multipicklist": self = .multipicklist
        default: self = .text
        }
    }
}

/// One field of a platform object, read from `schemas/<platform>/<object>.json`.
///
/// A class so that validation, which looks fields up per written value, shares one instance instead of
/// copying a dozen properties.
final class FieldSpec: Sendable, Decodable {
    let name: String
    let label: String?
    let type: String
    let nullable: Bool
    let required: Bool
    let maxLength: Int?
    let values: [String]?
    let readOnly: Bool
    let unique: Bool
    let externalId: Bool
    let format: String?
    /// ``type`` as a case.
    let kind: FieldKind
    /// Whether ``format`` is `email`.
    let isEmail: Bool
    /// How the platform checks the field's values: the length unit and the form check, from
    /// `platforms/<platform>/fields.json` (the same rules mapc's validator reads).
    let rules: FieldRules

    private enum CodingKeys: String, CodingKey {
        case name, label, type, nullable, required, maxLength, values, readOnly, unique, externalId, format
    }

    required init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        name = try container.decode(String.self, forKey: .name)
        label = try container.decodeIfPresent(String.self, forKey: .label)
        type = try container.decodeIfPresent(String.self, forKey: .type) ?? "string"
        nullable = try container.decodeIfPresent(Bool.self, forKey: .nullable) ?? true
        required = try container.decodeIfPresent(Bool.self, forKey: .required) ?? false
        maxLength = try container.decodeIfPresent(Int.self, forKey: .maxLength)
        values = try container.decodeIfPresent([String].self, forKey: .values)
        readOnly = try container.decodeIfPresent(Bool.self, forKey: .readOnly) ?? false
        unique = try container.decodeIfPresent(Bool.self, forKey: .unique) ?? false
        externalId = try container.decodeIfPresent(Bool.self, forKey: .externalId) ?? false
        format = try container.decodeIfPresent(String.self, forKey: .format)
        kind = FieldKind(type: type)
        isEmail = format == "email"
        rules = FieldRules.unknownPlatform(format.flatMap(FieldFormat.init(rawValue:)))
    }

    /// `field` with `rules`.
    private init(_ field: FieldSpec, rules: FieldRules) {
        name = field.name
        label = field.label
        type = field.type
        nullable = field.nullable
        required = field.required
        maxLength = field.maxLength
        values = field.values
        readOnly = field.readOnly
        unique = field.unique
        externalId = field.externalId
        format = field.format
        kind = field.kind
        isEmail = field.isEmail
        self.rules = rules
    }

    /// The field with what `rules` say for it as a field of `object`.
    func applying(_ rules: PlatformRules, object: String) -> FieldSpec {
        let model = Field(
            name: name, type: MapDSL.FieldType(rawValue: type) ?? .string, format: format.flatMap(FieldFormat.init(rawValue:)))
        return FieldSpec(self, rules: rules.rules(object: object, field: model))
    }
}

/// A platform object's schema: its fields by name, in file order.
struct ObjectSchema: Sendable, Decodable {
    let platform: String
    let object: String
    let label: String?
    let fields: [FieldSpec]
    /// Position in ``fields`` by name (the first field of a name, as a search in file order finds).
    private let positions: [String: Int]
    /// The fields a new record must have: required and writable, in file order.
    let requiredWritableFields: [FieldSpec]

    private enum CodingKeys: String, CodingKey {
        case platform, object, label, fields
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            platform: try container.decode(String.self, forKey: .platform),
            object: try container.decode(String.self, forKey: .object),
            label: try container.decodeIfPresent(String.self, forKey: .label),
            fields: try container.decode([FieldSpec].self, forKey: .fields))
    }

    private init(platform: String, object: String, label: String?, fields: [FieldSpec]) {
        self.platform = platform
        self.object = object
        self.label = label
        self.fields = fields
        var positions: [String: Int] = [:]
        for (index, field) in fields.enumerated() where positions[field.name] == nil {
            positions[field.name] = index
        }
        self.positions = positions
        requiredWritableFields = fields.filter { $0.required && !$0.readOnly }
    }

    /// The schema with each field's rules from the platform's rules file.
    func applying(_ rules: PlatformRules) -> ObjectSchema {
        ObjectSchema(platform: platform, object: object, label: label, fields: fields.map { $0.applying(rules, object: object) })
    }

    /// The field called `name`, or `nil`.
    func field(_ name: String) -> FieldSpec? {
        positions[name].map { fields[$0] }
    }

    /// Loads every `*.json` schema in `directory/<platform>/`, keyed by the `object` name, with the
    /// platform's rules from `platforms/<platform>/fields.json` beside `directory`.
    ///
    /// A missing directory yields no schemas (emulators then accept any field); an unreadable file throws.
    static func loadAll(platform: String, from directory: URL?) throws -> [String: ObjectSchema] {
        guard let directory else { return [:] }
        let folder = directory.appendingPathComponent(platform, isDirectory: true)
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder.path) else { return [:] }
        let rulesPath = SchemaDirectory.rulesDirectory(beside: directory.path) + "/\(platform)/fields.json"
        let rules: PlatformRules?
        do {
            rules = try PlatformRulesLoader.load(path: rulesPath)
        } catch {
            throw SandboxError(description: "cannot read platform rules \(rulesPath): \(error.message)")
        }
        var schemas: [String: ObjectSchema] = [:]
        for name in names.sorted() where name.hasSuffix(".json") {
            let url = folder.appendingPathComponent(name)
            do {
                var schema = try JSONDecoder().decode(ObjectSchema.self, from: Data(contentsOf: url))
                if let rules { schema = schema.applying(rules) }
                schemas[schema.object] = schema
            } catch {
                throw SandboxError(description: "cannot read schema \(url.path): \(error)")
            }
        }
        return schemas
    }
}

/// An operational failure of the sandbox (bad files, cannot bind): thrown, never sent to clients.
public struct SandboxError: Error, Sendable, CustomStringConvertible {
    /// A one-line explanation.
    public let description: String
}
