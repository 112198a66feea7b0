import MapDSL

/// Who did something the store records (started, resumed, fixed, cancelled, retried), and how mapc
/// knows it: the audit trail's "who".
///
/// Events carry both: `"by"` (the name) and `"identity"` (``Proof``), so a name an operator typed
/// (`mapc fix --by`) is never mistaken for one the console authenticated.
public struct Principal: Sendable, Hashable, CustomStringConvertible, ExpressibleByStringLiteral {
    /// How the name was established.
    public enum Proof: String, Sendable, Hashable, CaseIterable {
        /// An operator the console authenticated (password or token, then a session).
        case login
        /// The operating-system account that ran the command.
        case osUser = "os-user"
        /// A name given on the command line or in the environment, not checked by anyone.
        case declared = "self-declared"
        /// mapc itself (a sync started by a webhook trigger, say).
        case system
    }

    /// The name.
    public var name: String
    /// How it was established.
    public var proof: Proof

    /// Creates a principal.
    public init(_ name: String, proof: Proof) {
        self.name = name
        self.proof = proof
    }

    /// A self-declared name (what a string literal is: tests and defaults).
    public init(stringLiteral name: String) {
        self.init(name, proof: .declared)
    }

    /// The payload members that record it: `by` and `identity`.
    public var fields: [(String, JSONValue)] { [byMember, identityMember] }
    /// `("by", name)`.
    public var byMember: (String, JSONValue) { ("by", .string(name)) }
    /// `("identity", proof)`.
    public var identityMember: (String, JSONValue) { ("identity", .string(proof.rawValue)) }

    /// The name, marked when nobody checked it: `ada`, `ada (self-declared)`.
    public var description: String { proof == .declared ? "\(name) (self-declared)" : name }

    /// The principal recorded in an event payload's `by` and `identity` (events written before
    /// identities were recorded have none: nil proof).
    public static func recorded(in payload: JSONValue) -> (name: String, proof: Proof?)? {
        guard let name = payload["by"]?.stringValue else { return nil }
        return (name, payload["identity"]?.stringValue.flatMap(Proof.init(rawValue:)))
    }
}
