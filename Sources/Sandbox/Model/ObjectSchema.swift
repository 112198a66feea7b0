import Foundation

/// One field of a platform object, read from `schemas/<platform>/<object>.json`.
struct FieldSpec: Sendable, Decodable {
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

    private enum CodingKeys: String, CodingKey {
        case name, label, type, nullable, required, maxLength, values, readOnly, unique, externalId, format
    }

    init(from decoder: any Decoder) throws {
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
    }

    init(name: String, type: String = "string", readOnly: Bool = false, unique: Bool = false) {
        self.name = name
        self.label = nil
        self.type = type
        self.nullable = true
        self.required = false
        self.maxLength = nil
        self.values = nil
        self.readOnly = readOnly
        self.unique = unique
        self.externalId = false
        self.format = nil
    }
}

/// A platform object's schema: its fields by name, in file order.
struct ObjectSchema: Sendable, Decodable {
    let platform: String
    let object: String
    let label: String?
    let fields: [FieldSpec]

    /// The field called `name`, or `nil`.
    func field(_ name: String) -> FieldSpec? {
        fields.first { $0.name == name }
    }

    /// Loads every `*.json` schema in `directory/<platform>/`, keyed by the `object` name.
    ///
    /// A missing directory yields no schemas (emulators then accept any field); an unreadable file throws.
    static func loadAll(platform: String, from directory: URL?) throws -> [String: ObjectSchema] {
        guard let directory else { return [:] }
        let folder = directory.appendingPathComponent(platform, isDirectory: true)
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder.path) else { return [:] }
        var schemas: [String: ObjectSchema] = [:]
        for name in names.sorted() where name.hasSuffix(".json") {
            let url = folder.appendingPathComponent(name)
            do {
                let schema = try JSONDecoder().decode(ObjectSchema.self, from: Data(contentsOf: url))
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
