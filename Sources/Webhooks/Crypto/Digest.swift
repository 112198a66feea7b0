import CCrypto

/// HMACs and digests through OpenSSL's libcrypto, for webhook signatures and stable event ids.
public enum Digest {
    /// HMAC-SHA256 of `message` under `key`.
    public static func hmacSHA256(key: [UInt8], message: [UInt8]) -> [UInt8] {
        hmac(EVP_sha256(), key: key, message: message)
    }

    /// HMAC-SHA1 of `message` under `key`.
    public static func hmacSHA1(key: [UInt8], message: [UInt8]) -> [UInt8] {
        hmac(EVP_sha1(), key: key, message: message)
    }

    /// SHA-256 of `bytes`.
    public static func sha256(_ bytes: [UInt8]) -> [UInt8] {
        digest(EVP_sha256(), bytes)
    }

    /// MD5 of `bytes` (Mailchimp's subscriber hash; not for security).
    public static func md5(_ bytes: [UInt8]) -> [UInt8] {
        digest(EVP_md5(), bytes)
    }

    /// Lower-case hex of `bytes`.
    public static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count * 2)
        for b in bytes {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Whether `a` and `b` are equal, in time independent of where they differ.
    public static func constantTimeEquals(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        if a.isEmpty { return true }
        return a.withUnsafeBytes { pa in b.withUnsafeBytes { pb in CRYPTO_memcmp(pa.baseAddress, pb.baseAddress, a.count) == 0 } }
    }

    private static func hmac(_ md: OpaquePointer?, key: [UInt8], message: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        let keyBytes = key.isEmpty ? [0] : key
        let result = keyBytes.withUnsafeBytes { k in
            message.withUnsafeBufferPointer { m in
                out.withUnsafeMutableBufferPointer { o in
                    HMAC(md, k.baseAddress, Int32(key.count), m.baseAddress, m.count, o.baseAddress, &length)
                }
            }
        }
        precondition(result != nil, "libcrypto HMAC failed")
        return Array(out.prefix(Int(length)))
    }

    private static func digest(_ md: OpaquePointer?, _ bytes: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        let ok = bytes.withUnsafeBufferPointer { b in
            out.withUnsafeMutableBufferPointer { o in EVP_Digest(b.baseAddress, b.count, o.baseAddress, &length, md, nil) }
        }
        precondition(ok == 1, "libcrypto digest failed")
        return Array(out.prefix(Int(length)))
    }
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
