import MapDSL

/// Renders a schema compactly for a prompt: one line per field with type, nullability, limits,
/// picklist values and key capability.
public enum SchemaDigest {
    /// Which side of the mapping a schema is on (read-only destination fields are left out).
    public enum Role: Sendable {
        case source, destination
    }

    /// Picklist values shown per field.
    static let maxValues = 60

    /// The whole schema as lines.
    public static func render(_ schema: Schema, role: Role) -> String {
        schema.fields.filter { role == .source || !$0.readOnly }.map { line($0, role: role) }.joined(separator: "\n")
    }

    /// One field.
    public static func line(_ f: Field, role: Role) -> String {
        var parts: [String] = [f.type.rawValue]
        switch role {
        case .source:
            parts.append(f.nullable ? "may be null" : "never null")
        case .destination:
            if f.required {
                parts.append("REQUIRED (must be assigned a non-null value)")
            } else if !f.nullable {
                parts.append("not nullable (if assigned, the value must never be null)")
            }
            if f.canBeKey { parts.append("can be the key") }
        }
        if let max = f.maxLength, max < 65536 { parts.append("max \(max) chars") }
        if let format = f.format { parts.append("format \(format.rawValue)") }
        if let ref = f.references { parts.append("id of \(ref)") }
        if let values = f.values {
            let shown = values.prefix(maxValues).map { Formatter.stringLiteral($0) }.joined(separator: ", ")
            parts.append("values: " + shown + (values.count > maxValues ? ", … (\(values.count) in all)" : ""))
        }
        var s = "- \(Formatter.name(Name(f.name, span: .point(0)))): " + parts.joined(separator: "; ")
        if let label = f.label, Suggest.normalise(label) != Suggest.normalise(f.name) { s += " — \(label)" }
        return s
    }
}
