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

    /// The whole schema as lines; `prose` picks which values of long picklists are shown.
    public static func render(_ schema: Schema, role: Role, prose: String = "") -> String {
        let words = proseWords(prose)
        return schema.fields.filter { role == .source || !$0.readOnly }.map { line($0, role: role, proseWords: words) }.joined(
            separator: "\n")
    }

    /// One field. A picklist longer than ``maxValues`` shows the values the description names (in any
    /// case, `_` or space for word breaks) and then the first ones, up to ``maxValues`` in all, and says
    /// how many there are.
    public static func line(_ f: Field, role: Role, proseWords: Set<String> = []) -> String {
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
            var picked = values
            if values.count > maxValues {
                let named = values.filter { proseWords.contains(normalised($0)) }
                picked = named + values.filter { !named.contains($0) }.prefix(max(0, maxValues - named.count))
            }
            let shown = picked.map { Formatter.stringLiteral($0) }.joined(separator: ", ")
            parts.append(
                "values: " + shown
                    + (values.count > maxValues
                        ? ", … (\(values.count) in all: the ones the description names come first; a value that is not allowed is reported with the closest allowed spellings)"
                        : ""))
        }
        var s = "- \(Formatter.name(Name(f.name, span: .point(0)))): " + parts.joined(separator: "; ")
        if let label = f.label, Suggest.normalise(label) != Suggest.normalise(f.name) { s += " — \(label)" }
        return s
    }

    /// Words and runs of words of the prose, normalised as picklist values are compared: lower case,
    /// `_`, `-` and spaces removed (so `COMPUTER_SOFTWARE`, "computer software" and "Computer-Software" meet).
    static func proseWords(_ prose: String) -> Set<String> {
        var out = Set<String>()
        let tokens = prose.split { !($0.isLetter || $0.isNumber || $0 == "_" || $0 == "&" || $0 == "/") }.map(String.init)
        for i in tokens.indices {
            var run = ""
            for j in i..<min(tokens.count, i + 5) {
                run += normalised(tokens[j])
                out.insert(run)
            }
        }
        return out
    }

    static func normalised(_ s: String) -> String {
        String(s.lowercased().filter { $0.isLetter || $0.isNumber || $0 == "&" || $0 == "/" })
    }
}
