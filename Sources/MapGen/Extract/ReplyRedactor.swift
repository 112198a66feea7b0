/// Removes credentials from a model's reply before anything keeps it (cache, mapping, messages): the
/// configured key in any of the shapes ``APIKey/redact(_:)`` knows, and whatever follows an echoed
/// `Authorization:` / `api-key:` / `x-api-key:` header or a `Bearer` token, whoever's key it is.
public enum ReplyRedactor {
    /// Header names whose values are credentials, lower-cased.
    static let headerNames = ["proxy-authorization", "authorization", "x-api-key", "api-key"]

    /// `text` with credentials replaced by `<redacted>`.
    public static func redact(_ text: String, key: APIKey?) -> String {
        let out = key?.redact(text) ?? text
        let lower = out.lowercased()
        guard headerNames.contains(where: { lower.contains($0) }) || lower.contains("bearer ") else { return out }
        return redactEchoes(out)
    }

    /// Replaces the value after each header name followed by `:` or `=` (quotes allowed around the
    /// name and the value, as in echoed JSON), and the token after `Bearer `, up to the next white
    /// space, quote, comma or bracket.
    private static func redactEchoes(_ text: String) -> String {
        let chars = Array(text)
        let lower = Array(text.lowercased())
        guard chars.count == lower.count else {
            // Lower-casing changed the length (rare scripts): hide whole lines that name a credential.
            return text.split(separator: "\n", omittingEmptySubsequences: false).map { line in
                let l = line.lowercased()
                return headerNames.contains(where: { l.contains($0) }) || l.contains("bearer ") ? "<redacted line>" : String(line)
            }.joined(separator: "\n")
        }
        func at(_ i: Int, _ word: String) -> Bool {
            i + word.count <= lower.count && String(lower[i..<(i + word.count)]) == word
        }
        func isStop(_ c: Character) -> Bool { c.isWhitespace || "\"',;}])`".contains(c) }
        var out = ""
        var i = 0
        while i < chars.count {
            var j: Int?
            if let name = headerNames.first(where: { at(i, $0) }) {
                var k = i + name.count
                if k < chars.count, chars[k] == "\"" || chars[k] == "'" { k += 1 }
                while k < chars.count, chars[k] == " " { k += 1 }
                if k < chars.count, chars[k] == ":" || chars[k] == "=" {
                    k += 1
                    while k < chars.count, chars[k] == " " || chars[k] == "\"" || chars[k] == "'" { k += 1 }
                    if at(k, "bearer ") { k += 7 }
                    j = k
                }
            } else if at(i, "bearer ") {
                j = i + 7
            }
            guard var k = j, k < chars.count, !isStop(chars[k]) else {
                out.append(chars[i])
                i += 1
                continue
            }
            out += String(chars[i..<k])
            while k < chars.count, !isStop(chars[k]) { k += 1 }
            out += "<redacted>"
            i = k
        }
        return out
    }
}
