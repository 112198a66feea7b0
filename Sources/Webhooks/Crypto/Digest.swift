import Crypto

/// HMACs and digests for webhook signatures and stable event ids, from the Crypto module.
public enum Digest {
    /// HMAC-SHA256 of `message` under `key`.
    public static func hmacSHA256(key: [UInt8], message: [UInt8]) -> [UInt8] { HMAC.sha256(key: key, message: message) }

    /// HMAC-SHA1 of `message` under `key`.
    public static func hmacSHA1(key: [UInt8], message: [UInt8]) -> [UInt8] { HMAC.sha1(key: key, message: message) }

    /// SHA-256 of `bytes`.
    public static func sha256(_ bytes: [UInt8]) -> [UInt8] { SHA256.hash(bytes) }

    /// MD5 of `bytes` (Mailchimp's subscriber hash; not for security).
    public static func md5(_ bytes: [UInt8]) -> [UInt8] { MD5.hash(bytes) }

    /// Lower-case hex of `bytes`.
    public static func hex(_ bytes: [UInt8]) -> String { Hex.encode(bytes) }

    /// Whether `a` and `b` are equal, in time independent of where they differ.
    public static func constantTimeEquals(_ a: [UInt8], _ b: [UInt8]) -> Bool { ConstantTimeCompare.equals(a, b) }
}

/// A webhook secret (signing key, shared secret, URL key) that never shows itself in text.
public struct WebhookSecret: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible {
    /// The secret's bytes, read only by the verifiers.
    let bytes: [UInt8]

    /// Wraps a secret given as text.
    public init(_ text: String) {
        bytes = Array(text.utf8)
    }

    /// Whether it is empty.
    public var isEmpty: Bool { bytes.isEmpty }

    /// Whether `candidate` equals the secret, compared in constant time.
    public func matches(_ candidate: String) -> Bool {
        Digest.constantTimeEquals(bytes, Array(candidate.utf8))
    }

    public var description: String { "‹redacted›" }
    public var debugDescription: String { "WebhookSecret(‹redacted›)" }
}
