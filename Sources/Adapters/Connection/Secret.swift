import Foundation

/// A credential (token, API key, write key, api secret) that never shows itself.
///
/// `description`, `debugDescription` and string interpolation print `‹redacted›`; only the adapters
/// read the value, to build the request that needs it.
public struct Secret: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible {
    let value: String

    /// Wraps a credential.
    public init(_ value: String) {
        self.value = value
    }

    /// Whether the secret is empty.
    public var isEmpty: Bool { value.isEmpty }

    public var description: String { "‹redacted›" }
    public var debugDescription: String { "Secret(‹redacted›)" }
}

/// Removes known secrets from text that may end up in errors or logs.
struct Redactor: Sendable {
    let secrets: [String]

    init(_ secrets: [Secret?]) {
        self.secrets = secrets.compactMap { $0?.value }.filter { $0.count >= 4 }
    }

    func scrub(_ text: String) -> String {
        var out = text
        for secret in secrets where out.contains(secret) {
            out = out.replacingOccurrences(of: secret, with: "‹redacted›")
        }
        return out
    }
}
