import MapDSL

/// The JSON Schema (draft 2020-12) of the spec format, generated from ``SpecGrammar`` so that
/// `adapters/mapc-adapter.schema.json` (for editors) and the checker never disagree.
public enum SpecJSONSchema {
    /// The schema document.
    public static func document() -> JSONValue {
        var root = schema(.object(SpecGrammar.root)).objectValue ?? []
        root.insert(("$schema", "https://json-schema.org/draft/2020-12/schema"), at: 0)
        root.insert(("$id", "https://mapc.dev/schemas/mapc-adapter-1.schema.json"), at: 1)
        root.insert(("title", "mapc declarative adapter spec (mapc-adapter/1)"), at: 2)
        return .object(root)
    }

    /// The document as the file is written: pretty JSON and a final newline.
    public static func text() -> String {
        var text = JSONWriter.pretty(document())
        if !text.hasSuffix("\n") { text += "\n" }
        return text
    }

    static func schema(_ type: SpecType) -> JSONValue {
        switch type {
        case .string: return ["type": "string"]
        case .integer: return ["type": "integer"]
        case .boolean: return ["type": "boolean"]
        case .any: return .object([])
        case .oneOf(let values): return ["type": "string", "enum": .array(values.map(JSONValue.string))]
        case .array(let element): return ["type": "array", "items": schema(element)]
        case .map(let value): return ["type": "object", "additionalProperties": schema(value)]
        case .object(let shape): return object(shape)
        }
    }

    static func object(_ shape: SpecShape) -> JSONValue {
        let properties: [(String, JSONValue)] = shape.fields.map { field in
            var s = schema(field.type).objectValue ?? []
            s.append(("description", .string(field.doc)))
            return (field.name, .object(s))
        }
        var out: [(String, JSONValue)] = [
            ("type", "object"), ("properties", .object(properties)), ("additionalProperties", false),
        ]
        let required = shape.fields.filter(\.required).map { JSONValue.string($0.name) }
        if !required.isEmpty { out.append(("required", .array(required))) }
        if !shape.variants.isEmpty {
            let variants: [JSONValue] = shape.variants.map { variant in
                let allowed = ["type"] + variant.required + variant.optional
                let forbidden = shape.fields.map(\.name).filter { !allowed.contains($0) }
                var then: [(String, JSONValue)] = [("required", .array(variant.required.map(JSONValue.string)))]
                if !forbidden.isEmpty {
                    then.append(("not", ["anyOf": .array(forbidden.map { ["required": [.string($0)]] })]))
                }
                return [
                    "if": ["properties": ["type": ["const": .string(variant.name)]]],
                    "then": .object(then),
                ]
            }
            out.append(("allOf", .array(variants)))
        }
        return .object(out)
    }
}
