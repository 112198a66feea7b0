import MapcSupport

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

    /// `text` with every occurrence of the key (and of its longer fragments) replaced by `<redacted>`,
    /// in every encoding a reply may carry it in (JSON escapes, percent-encoding, base64; see
    /// ``Redactor``).
    public func redact(_ text: String) -> String {
        guard secret.count >= 4 else { return text }
        // Servers sometimes echo a shortened key ("sk-abc...wxyz"); hide long prefixes and suffixes too.
        var secrets = [secret]
        if secret.count >= 12 { secrets += [String(secret.prefix(secret.count - 4)), String(secret.suffix(secret.count - 4))] }
        return Redactor(secrets: secrets, replacement: "<redacted>").redact(text)
    }
}
