import MapDSL

/// Small pieces of mapping-language text the offline readers share: field names and type conversions.
enum OfflineExpr {
    static func field(_ f: Field) -> String { MappingGrammar.fieldName(f.name) }

    /// Whether a value of base type `b` can be brought into destination `d`.
    static func convertible(_ b: BaseType, _ d: Field) -> Bool {
        switch (b, d.type.baseType) {
        case (.string, _), (_, .string): return d.type != .picklist && d.type != .multipicklist || b == .string
        case (.int, .int), (.int, .decimal), (.decimal, .decimal), (.decimal, .int), (.bool, .bool), (.date, .date), (.date, .datetime),
            (.datetime, .datetime), (.datetime, .date):
            return true
        default: return false
        }
    }

    /// `v` (of base type `type`, read from `s`) converted into destination `d`: text cut to the
    /// destination's length, numbers and dates parsed from text, values rendered as text. Text is not
    /// trimmed or re-cased unless the prose says so (the readers add that).
    static func convert(_ v: String, type: BaseType, from s: Field, to d: Field, plain: Bool = false) -> String {
        switch (type, d.type.baseType) {
        case (.string, .string):
            if d.type == .id { return v }
            var out = v
            if let max = d.maxLength, max < 65536, max < (s.maxLength ?? Int.max), !out.hasPrefix("truncate(") {
                out = "truncate(\(out), \(max))"
            }
            return out
        case (.string, .int): return "try_int(\(v))"
        case (.string, .decimal): return "try_decimal(\(v))"
        case (.string, .bool): return "try_bool(\(v))"
        case (.string, .date): return "try_date(\(v))"
        case (.string, .datetime): return "try_datetime(\(v))"
        case (.datetime, .date): return "to_date(\(v))"
        case (.decimal, .int): return "try_int(\(v))"
        case (_, .string):
            let t = "to_string(\(v))"
            if let max = d.maxLength, max < 65536 { return "truncate(\(t), \(max))" }
            return t
        default: return v
        }
    }
}
