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
