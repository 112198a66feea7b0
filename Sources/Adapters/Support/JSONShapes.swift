import MapDSL

/// Conversions between our flat records (dotted names: `traits.email`) and platforms' nested JSON.
enum JSONShapes {
    /// Nests dotted names: `[("traits.email", x)]` → `{"traits": {"email": x}}`, keeping first-seen order.
    static func nest(_ pairs: [(String, JSONValue)]) -> JSONValue {
        var out: [(String, JSONValue)] = []
        for (name, value) in pairs {
            insert(&out, path: name.split(separator: ".", omittingEmptySubsequences: false).map(String.init)[...], value)
        }
        return .object(out)
    }

    private static func insert(_ pairs: inout [(String, JSONValue)], path: ArraySlice<String>, _ value: JSONValue) {
        guard let head = path.first else { return }
        let rest = path.dropFirst()
        let index = pairs.firstIndex { $0.0 == head }
        if rest.isEmpty {
            if let index { pairs[index].1 = value } else { pairs.append((head, value)) }
            return
        }
        var inner = index.flatMap { pairs[$0].1.objectValue } ?? []
        insert(&inner, path: rest, value)
        if let index { pairs[index].1 = .object(inner) } else { pairs.append((head, .object(inner))) }
    }

    /// Flattens nested objects to dotted names (arrays stay values); keys in `skip` are dropped.
    static func flatten(_ value: JSONValue, skip: Set<String> = []) -> [(String, JSONValue)] {
        var out: [(String, JSONValue)] = []
        func walk(_ v: JSONValue, _ prefix: String) {
            guard case .object(let pairs) = v else {
                out.append((prefix, v))
                return
            }
            if pairs.isEmpty && !prefix.isEmpty { return }
            for (key, inner) in pairs where !(prefix.isEmpty && skip.contains(key)) {
                walk(inner, prefix.isEmpty ? key : "\(prefix).\(key)")
            }
        }
        walk(value, "")
        return out
    }

    /// A value as the text platforms that store strings want (`null` → nil; objects as compact JSON).
    static func text(_ value: JSONValue) -> String? {
        switch value {
        case .null: return nil
        case .string(let s): return s
        case .bool(let b): return b ? "true" : "false"
        case .int(let i): return String(i)
        case .double:
            var out = ""
            JSONWriter.appendNumber(value.doubleValue ?? 0, into: &out)
            return out
        case .array, .object: return JSONWriter.compact(value)
        }
    }

    /// Converts a platform's text value to the JSON type a schema field declares (unparseable text stays text).
    static func typed(_ text: String, as type: FieldType?) -> JSONValue {
        switch type {
        case .int?: return Int(text).map(JSONValue.int) ?? Double(text).map(JSONValue.double) ?? .string(text)
        case .decimal?:
            if let i = Int(text) { return .int(i) }
            return Double(text).map(JSONValue.double) ?? .string(text)
        case .bool?:
            switch text.lowercased() {
            case "true": return .bool(true)
            case "false": return .bool(false)
            default: return .string(text)
            }
        default: return .string(text)
        }
    }

    /// The serialised size of a value in bytes.
    static func size(_ value: JSONValue) -> Int { JSONWriter.bytes(value).count }
}
