/// An API key: its value is reachable only to build request headers and to redact text; printing,
/// interpolating or dumping the key shows `<redacted>`.
public struct APIKey: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    private let secret: String

    /// Wraps a key read from the environment.
    public init(_ value: String) {
        secret = value
    }

    /// Always `<redacted>`.
    public var description: String { "<redacted>" }
    /// Always `<redacted>`.
    public var debugDescription: String { "<redacted>" }
    /// Hides the stored value from `dump` and mirrors.
    public var customMirror: Mirror { Mirror(self, children: [], displayStyle: .struct) }

    /// The header value for `Authorization: Bearer ...`.
    func bearer() -> String { "Bearer " + secret }
    /// The raw value, for headers such as `x-api-key`.
    func headerValue() -> String { secret }

    /// `text` with every occurrence of the key (and of its longer fragments) replaced by `<redacted>`.
    public func redact(_ text: String) -> String {
        guard secret.count >= 4 else { return text }
        var out = text.replacingOccurrences(of: secret, with: "<redacted>")
        // Servers sometimes echo a shortened key ("sk-abc...wxyz"); hide long prefixes and suffixes too.
        if secret.count >= 12 {
            out = out.replacingOccurrences(of: String(secret.prefix(secret.count - 4)), with: "<redacted>")
            out = out.replacingOccurrences(of: String(secret.suffix(secret.count - 4)), with: "<redacted>")
        }
        return out
    }
}

extension String {
    fileprivate func replacingOccurrences(of target: String, with replacement: String) -> String {
        guard !target.isEmpty else { return self }
        var result = ""
        var rest = self[...]
        while let r = rest.range(of: target) {
            result += rest[..<r.lowerBound]
            result += replacement
            rest = rest[r.upperBound...]
        }
        return result + rest
    }
}
