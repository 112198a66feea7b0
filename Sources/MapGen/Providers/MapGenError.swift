/// An operational failure of generation: configuration, the endpoint, or its reply. Messages never
/// contain API keys (they are redacted before the error is built).
public struct MapGenError: Error, Sendable, CustomStringConvertible, Equatable {
    /// What kind of failure this is.
    public enum Kind: Sendable, Equatable {
        /// Flags or environment are wrong (unknown provider, bad URL).
        case configuration
        /// The endpoint could not be reached, timed out, or kept failing.
        case endpoint
        /// The endpoint answered, but not with a usable reply (malformed JSON, no choices).
        case reply
        /// Files the generator needs (prompts, cache) could not be read or written.
        case files
    }

    /// The kind.
    public var kind: Kind
    /// A one-line explanation.
    public var message: String

    /// Creates an error.
    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }
}
