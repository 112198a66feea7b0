/// Markdown tables for `docs/dsl.md`, generated from the code so documentation cannot drift:
/// the standard library, the diagnostic codes, the record error codes and the validation codes.
public enum ReferenceTables {
    /// The names of the generated sections, as used in `<!-- BEGIN GENERATED: name -->` markers.
    public static let sections: [String: String] = [
        "functions": functions(),
        "diagnostics": diagnostics(),
        "record-errors": recordErrors(),
        "violations": violations(),
        "keywords": keywords(),
    ]

    /// The standard library as a table: signature, meaning, example.
    public static func functions() -> String {
        var out = "| function | what it does | example |\n|---|---|---|\n"
        for f in Stdlib.all {
            let nulls = f.nulls == .propagate ? " Null in, null out." : ""
            out += "| `\(escape(f.signature))` | \(escape(f.summary))\(nulls) | `\(escape(f.example))` |\n"
        }
        out +=
            "| `lookup(platform.Object, Field == value)?.Field2` | The record of another object whose `Field` equals "
            + "`value`; select one of its fields with `?.`. No match, or more than one, gives null. | "
            + "`lookup(salesforce.Account, Name == trim(company))?.Id` |\n"
        return out
    }

    /// Diagnostic codes with severity and title.
    public static func diagnostics() -> String {
        var out = "| code | severity | meaning |\n|---|---|---|\n"
        for c in DiagnosticCode.allCases.sorted(by: { $0.rawValue < $1.rawValue }) {
            out += "| \(c.rawValue) | \(c.severity.rawValue) | \(escape(c.title)) |\n"
        }
        return out
    }

    /// Record-level error codes.
    public static func recordErrors() -> String {
        var out = "| code | meaning |\n|---|---|\n"
        for c in RecordErrorCode.allCases { out += "| \(c.rawValue) | \(escape(c.title)) |\n" }
        return out
    }

    /// Output validation codes.
    public static func violations() -> String {
        var out = "| code | meaning |\n|---|---|\n"
        for c in ViolationCode.allCases { out += "| \(c.rawValue) | \(escape(c.title)) |\n" }
        return out
    }

    /// Reserved words.
    public static func keywords() -> String {
        TokenKind.keywords.keys.sorted().map { "`\($0)`" }.joined(separator: ", ") + "\n"
    }

    private static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "|", with: "\\|")
    }

    /// Replaces every generated section of `document` with its current content.
    public static func regenerate(_ document: String) -> String {
        var text = document
        for (name, body) in sections {
            let begin = "<!-- BEGIN GENERATED: \(name) -->\n"
            let end = "<!-- END GENERATED: \(name) -->"
            guard let b = text.range(of: begin), let e = text.range(of: end, range: b.upperBound..<text.endIndex) else { continue }
            text.replaceSubrange(b.upperBound..<e.lowerBound, with: body)
        }
        return text
    }
}
