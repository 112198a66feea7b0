import Crypto
import Foundation

/// A password stored as PBKDF2-HMAC-SHA256 (RFC 8018) with a per-operator random salt:
/// `pbkdf2-sha256$ITERATIONS$SALT$HASH` (salt and hash in URL-safe base64).
///
/// The iteration count is stored with each hash, so it can be raised for new passwords without
/// breaking old ones. 600,000 iterations is OWASP's 2023 recommendation for PBKDF2-HMAC-SHA256.
public struct PasswordHash: Sendable, Hashable, CustomStringConvertible {
    /// The scheme name in the encoded form.
    public static let scheme = "pbkdf2-sha256"
    /// Iterations for new passwords.
    public static let defaultIterations = 600_000
    /// The fewest iterations a stored hash may have (a file with fewer is refused as tampered).
    public static let minimumIterations = 1_000
    /// The most iterations a stored hash may have (bounds the work one login can cost).
    public static let maximumIterations = 10_000_000

    /// Iterations.
    public let iterations: Int
    /// The salt (16 bytes for new passwords).
    public let salt: [UInt8]
    /// The derived key (32 bytes).
    public let hash: [UInt8]

    /// Hashes `password` with a fresh random salt.
    public static func make(_ password: String, iterations: Int = defaultIterations) -> PasswordHash {
        let salt = SecureRandom.bytes(16)
        return PasswordHash(iterations: iterations, salt: salt, hash: derive(password, salt: salt, iterations: iterations))
    }

    private init(iterations: Int, salt: [UInt8], hash: [UInt8]) {
        self.iterations = iterations
        self.salt = salt
        self.hash = hash
    }

    /// Parses the encoded form; nil when it is not one this version writes.
    public init?(encoded text: String) {
        let parts = text.split(separator: "$", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 4, parts[0] == Self.scheme, let n = Int(parts[1]),
            (Self.minimumIterations...Self.maximumIterations).contains(n),
            let salt = Base64URL.decode(parts[2]), salt.count >= 8, let hash = Base64URL.decode(parts[3]), hash.count == 32
        else { return nil }
        self.init(iterations: n, salt: salt, hash: hash)
    }

    /// The encoded form.
    public var encoded: String { "\(Self.scheme)$\(iterations)$\(Base64URL.encode(salt))$\(Base64URL.encode(hash))" }

    /// Never the hash itself.
    public var description: String { "\(Self.scheme) (\(iterations) iterations)" }

    /// Whether `password` is the one hashed (the derived keys compared in constant time).
    public func verify(_ password: String) -> Bool {
        ConstantTimeCompare.equals(Self.derive(password, salt: salt, iterations: iterations), hash)
    }

    static func derive(_ password: String, salt: [UInt8], iterations: Int) -> [UInt8] {
        PBKDF2.sha256(password: Array(password.utf8), salt: salt, iterations: iterations)
    }
}

/// An API token (for `Authorization: Bearer`, e.g. a Prometheus scraper): `mapc_` and 32 random
/// bytes; stored as its SHA-256 (a token is random and long, so a fast hash is enough).
public enum APIToken {
    /// The prefix every token starts with (so secret scanners recognise them).
    public static let prefix = "mapc_"

    /// A new token.
    public static func make() -> String { prefix + SecureRandom.token(32) }

    /// What is stored for `token`.
    public static func digest(_ token: String) -> String { SHA256.hex(Array(token.utf8)) }
}
