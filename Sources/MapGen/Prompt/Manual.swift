import MapDSL

/// The language manual given to the model: `docs/dsl.md`, trimmed to what writing a mapping needs,
/// with the function table generated from ``Stdlib`` (the single source of truth).
public enum Manual {
    /// Sections of `docs/dsl.md` that do not help a model write a mapping.
    static let droppedSections: Set<String> = ["Diagnostics", "Record errors", "Schema files", "Formatting"]

    /// The manual built from the text of `docs/dsl.md`, or from the function table alone when nil.
    public static func build(from dslDoc: String?) -> String {
        guard let doc = dslDoc else {
            return "# The mapc mapping language\n\n## Standard library\n\n" + functionTable()
        }
        var out: [Substring] = []
        var dropping = false
        var inGenerated: String?
        for line in doc.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("## ") {
                dropping = droppedSections.contains(String(line.dropFirst(3)).trimmingWhitespace)
            }
            if dropping { continue }
            if line.hasPrefix("<!-- BEGIN GENERATED: ") {
                inGenerated = String(line.dropFirst("<!-- BEGIN GENERATED: ".count).prefix { $0 != " " })
                if inGenerated == "functions" { out.append(Substring(functionTable())) }
                continue
            }
            if line.hasPrefix("<!-- END GENERATED") {
                inGenerated = nil
                continue
            }
            if inGenerated == "functions" { continue }
            out.append(line)
        }
        return out.joined(separator: "\n").trimmingWhitespace + "\n"
    }

    /// Every standard-library function: signature, null behaviour, summary, example.
    public static func functionTable() -> String {
        Stdlib.all.map { fn in
            var line = "- `\(fn.signature)`"
            if fn.nulls == .propagate { line += " (null in, null out)" }
            return line + " — \(fn.summary) Example: `\(fn.example)`"
        }.joined(separator: "\n")
    }
}
