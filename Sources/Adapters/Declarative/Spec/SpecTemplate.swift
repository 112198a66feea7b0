import Crypto
import MapDSL

/// `{name}` and `{name|filter}` placeholders in spec strings (paths, query values, auth parts).
public enum SpecTemplate {
    /// A piece of a template.
    public enum Part: Sendable, Hashable {
        case text(String)
        case placeholder(name: String, filter: String?, range: Range<String.Index>)
    }

    /// The pieces of `text`; an unclosed `{` is text.
    public static func parts(_ text: String) -> [Part] {
        var parts: [Part] = []
        var rest = text.startIndex
        var literal = ""
        while rest < text.endIndex {
            guard let open = text[rest...].firstIndex(of: "{"), let close = text[open...].firstIndex(of: "}") else {
                literal += text[rest...]
                break
            }
            literal += text[rest..<open]
            let inner = text[text.index(after: open)..<close]
            let pieces = inner.split(separator: "|", maxSplits: 1, omittingEmptySubsequences: false)
            let name = pieces.first.map { String($0).trimmingSpaces } ?? ""
            if name.isEmpty || name.contains(" ") || name.contains("\"") {
                literal += text[open...close]
            } else {
                if !literal.isEmpty { parts.append(.text(literal)) }
                literal = ""
                let filter = pieces.count > 1 ? String(pieces[1]).trimmingSpaces : nil
                parts.append(.placeholder(name: name, filter: filter, range: open..<text.index(after: close)))
            }
            rest = text.index(after: close)
        }
        if !literal.isEmpty { parts.append(.text(literal)) }
        return parts
    }

    /// `text` with placeholders replaced from `values` (after their filter), each passed through
    /// `escape`; an unknown name becomes empty (the checker refuses unknown names).
    public static func expand(_ text: String, _ values: [String: String], escape: (String) -> String = { $0 }) -> String {
        var out = ""
        for part in parts(text) {
            switch part {
            case .text(let t): out += t
            case .placeholder(let name, let filter, _):
                var value = values[name] ?? ""
                switch filter {
                case "lower"?: value = value.lowercased()
                case "md5lower"?: value = MD5.hex(value.lowercased())
                default: break
                }
                out += escape(value)
            }
        }
        return out
    }
}

extension SpecTemplate {
    /// The placeholder values that make `template` read as `text` (each value up to the next
    /// literal piece), or nil when `text` does not have the template's form. Filters are not undone:
    /// `{value|md5lower}` captures the hash.
    public static func match(_ template: String, _ text: String) -> [String: String]? {
        var values: [String: String] = [:]
        var rest = Substring(text)
        let pieces = parts(template)
        for (index, part) in pieces.enumerated() {
            switch part {
            case .text(let literal):
                guard rest.hasPrefix(literal) else { return nil }
                rest = rest.dropFirst(literal.count)
            case .placeholder(let name, _, _):
                if index + 1 < pieces.count, case .text(let next) = pieces[index + 1] {
                    guard let range = rest.range(of: next) else { return nil }
                    values[name] = String(rest[..<range.lowerBound])
                    rest = rest[range.lowerBound...]
                } else {
                    values[name] = String(rest)
                    rest = rest.suffix(0)
                }
            }
        }
        return rest.isEmpty ? values : nil
    }
}

extension String {
    fileprivate var trimmingSpaces: String {
        var s = Substring(self)
        while s.first == " " { s.removeFirst() }
        while s.last == " " { s.removeLast() }
        return String(s)
    }
}
