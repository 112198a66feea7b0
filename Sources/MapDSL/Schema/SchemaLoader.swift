import Foundation

/// A malformed or missing schema file: where and what.
public struct SchemaError: Error, Sendable, CustomStringConvertible, Equatable {
    /// The file (or label) the schema came from.
    public var path: String
    /// What is wrong, naming the field when there is one.
    public var message: String

    public var description: String { "\(path): invalid schema: \(message)" }
}

/// Reads schema JSON files and checks them for consistency.
public enum SchemaLoader {
    /// Parses a schema from JSON `text`; `path` names it in errors.
    public static func load(text: String, path: String) throws(SchemaError) -> Schema {
        let root: JSONValue
        do {
            root = try JSONParser.parse(text)
        } catch {
            throw SchemaError(path: path, message: "not valid JSON (\(error.description))")
        }
        return try load(json: root, path: path)
    }

    /// Builds a schema from an already parsed JSON document.
    public static func load(json root: JSONValue, path: String) throws(SchemaError) -> Schema {
        guard case .object = root else {
            throw SchemaError(path: path, message: "the top level must be an object with `platform`, `object` and `fields`")
        }
        guard let platform = root["platform"]?.stringValue, !platform.isEmpty else {
            throw SchemaError(path: path, message: "missing or empty string `platform`")
        }
        guard let object = root["object"]?.stringValue, !object.isEmpty else {
            throw SchemaError(path: path, message: "missing or empty string `object`")
        }
        guard let rawFields = root["fields"]?.arrayValue else {
            throw SchemaError(path: path, message: "missing array `fields`")
        }
        var fields: [Field] = []
        var seen = Set<String>()
        for (i, raw) in rawFields.enumerated() {
            let field = try parseField(raw, position: i, path: path)
            guard seen.insert(field.name).inserted else {
                throw SchemaError(path: path, message: "field `\(field.name)` is declared twice")
            }
            fields.append(field)
        }
        var readable = true
        if let r = root["readable"] {
            guard case .bool(let b) = r else { throw SchemaError(path: path, message: "`readable` must be true or false") }
            readable = b
        }
        return Schema(platform: platform, object: object, label: root["label"]?.stringValue, fields: fields, readable: readable)
    }

    /// Reads and parses the schema file at `path`.
    public static func load(path: String) throws(SchemaError) -> Schema {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw SchemaError(path: path, message: "cannot read the file")
        }
        return try load(text: String(decoding: data, as: UTF8.self), path: path)
    }

    private static func parseField(_ f: JSONValue, position: Int, path: String) throws(SchemaError) -> Field {
        guard case .object = f else {
            throw SchemaError(path: path, message: "fields[\(position)] is not an object")
        }
        guard let name = f["name"]?.stringValue, !name.isEmpty else {
            throw SchemaError(path: path, message: "fields[\(position)] has no string `name`")
        }
        let at = "field `\(name)`"
        guard let typeName = f["type"]?.stringValue else {
            throw SchemaError(path: path, message: "\(at) has no string `type`")
        }
        guard let type = FieldType(rawValue: typeName) else {
            let allowed = FieldType.allCases.map(\.rawValue).joined(separator: ", ")
            throw SchemaError(path: path, message: "\(at) has unknown type `\(typeName)` (allowed: \(allowed))")
        }
        func bool(_ key: String, _ def: Bool) throws(SchemaError) -> Bool {
            guard let v = f[key] else { return def }
            guard let b = v.boolValue else {
                throw SchemaError(path: path, message: "\(at): `\(key)` must be true or false, not \(v.kindName)")
            }
            return b
        }
        let nullable = try bool("nullable", true)
        let required = try bool("required", false)
        let readOnly = try bool("readOnly", false)
        let unique = try bool("unique", false)
        let externalId = try bool("externalId", false)
        var maxLength: Int?
        if let v = f["maxLength"] {
            guard case .int(let n) = v, n > 0 else {
                throw SchemaError(path: path, message: "\(at): `maxLength` must be a positive integer")
            }
            maxLength = n
        }
        var values: [String]?
        if let v = f["values"] {
            guard let list = v.arrayValue, list.allSatisfy({ $0.stringValue != nil }) else {
                throw SchemaError(path: path, message: "\(at): `values` must be an array of strings")
            }
            values = list.compactMap(\.stringValue)
        }
        if type == .picklist || type == .multipicklist {
            if values?.isEmpty ?? true {
                throw SchemaError(path: path, message: "\(at) is a \(type.rawValue) but lists no `values`")
            }
        } else if values != nil {
            throw SchemaError(path: path, message: "\(at) lists `values` but its type is \(type.rawValue), not a picklist")
        }
        var format: FieldFormat?
        if let v = f["format"] {
            guard let s = v.stringValue, let fmt = FieldFormat(rawValue: s) else {
                let allowed = FieldFormat.allCases.map(\.rawValue).joined(separator: ", ")
                throw SchemaError(path: path, message: "\(at): unknown `format` (allowed: \(allowed))")
            }
            format = fmt
        }
        if required && nullable && f["nullable"] != nil {
            throw SchemaError(path: path, message: "\(at) is required but declared nullable")
        }
        return Field(
            name: name, label: f["label"]?.stringValue, type: type,
            nullable: required ? false : nullable, required: required, maxLength: maxLength, values: values,
            readOnly: readOnly, unique: unique, externalId: externalId, format: format,
            references: f["references"]?.stringValue, description: f["description"]?.stringValue)
    }
}

extension Schema {
    /// The schema as JSON in the schema file format (the inverse of ``SchemaLoader``).
    public var json: JSONValue {
        var obj: [(String, JSONValue)] = [("platform", .string(platform)), ("object", .string(object))]
        if !readable { obj.append(("readable", false)) }
        if let label { obj.append(("label", .string(label))) }
        obj.append(("fields", .array(fields.map(\.json))))
        return .object(obj)
    }
}

extension Field {
    /// The field as JSON in the schema file format, omitting defaults.
    public var json: JSONValue {
        var o: [(String, JSONValue)] = [("name", .string(name))]
        if let label { o.append(("label", .string(label))) }
        o.append(("type", .string(type.rawValue)))
        if !nullable { o.append(("nullable", false)) }
        if required { o.append(("required", true)) }
        if let maxLength { o.append(("maxLength", .int(maxLength))) }
        if let values { o.append(("values", .array(values.map { .string($0) }))) }
        if readOnly { o.append(("readOnly", true)) }
        if unique { o.append(("unique", true)) }
        if externalId { o.append(("externalId", true)) }
        if let format { o.append(("format", .string(format.rawValue))) }
        if let references { o.append(("references", .string(references))) }
        if let description { o.append(("description", .string(description))) }
        return .object(o)
    }
}
