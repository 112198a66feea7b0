import Foundation

/// Issue 18, sixth round of honesty guards (post hoc on evals/fresh6).
enum HonestyGuard6 {
    /// Last words of a phrase that describes a field rather than spelling a value.
    static let fieldNouns: Set<String> = ["number", "field", "address", "id", "code", "value", "date", "column", "attribute"]

    /// "… or the mobile number when …" read as the constant `"mobile number"`: a string constant that the
    /// sentence gives after "the" (or "its"/"their"), never in quotes, and that ends in a word naming a
    /// field ("number", "field", "address", …), describes a field; the rule is flagged.
    static func fieldDescriptionsAsConstants(_ sentence: String, _ o: SentenceOutcome) -> [String] {
        let lower = sentence.lowercased()
        guard let literal = try? NSRegularExpression(pattern: #""([^"\\]{2,60})""#) else { return [] }
        var out: [String] = []
        for a in o.assignments {
            let text = a.value.text
            let range = NSRange(text.startIndex..., in: text)
            for m in literal.matches(in: text, range: range) {
                guard let r = Range(m.range(at: 1), in: text) else { continue }
                let value = text[r].lowercased()
                guard let last = value.split(separator: " ").last, fieldNouns.contains(String(last)),
                    value.contains(" ")
                else { continue }
                // Quoted in the prose, it is the constant spelled out.
                let quoted = ["\"", "'", "“", "‘"].contains { lower.contains($0 + value) }
                let described = ["the ", "its ", "their "].contains { lower.contains($0 + value) }
                if described, !quoted {
                    out.append("\(a.field.name): \"\(text[r])\" reads as a description of a field, not a constant")
                }
            }
        }
        return out
    }
}
