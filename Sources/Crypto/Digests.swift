import CCrypto

/// SHA-256 through OpenSSL's libcrypto.
public enum SHA256 {
    /// The 32-byte digest of `bytes`.
    public static func hash(_ bytes: [UInt8]) -> [UInt8] {
        bytes.withUnsafeBufferPointer { Digests.digest(sha256.pointer, $0) }
    }

    /// The digest of `bytes` as 64 lower-case hex digits.
    public static func hex(_ bytes: [UInt8]) -> String {
        bytes.withUnsafeBufferPointer { hex($0) }
    }

    /// The digest of the bytes in `buffer` as 64 lower-case hex digits.
    public static func hex(_ buffer: UnsafeBufferPointer<UInt8>) -> String {
        Hex.encode(Digests.digest(sha256.pointer, buffer))
    }

    /// The digest of `text`'s UTF-8 bytes as 64 lower-case hex digits.
    public static func hex(_ text: String) -> String {
        var text = text
        return text.withUTF8 { hex($0) }
    }

    /// SHA-256 fetched from the provider once: the implicit fetch `EVP_sha256()` makes on every
    /// digest costs more than hashing a short record.
    static let sha256 = FetchedDigest("SHA256", fallback: EVP_sha256())
}

/// MD5 through libcrypto: Mailchimp's subscriber hash and the mapping language's `md5`; not for security.
public enum MD5 {
    /// The 16-byte digest of `bytes`.
    public static func hash(_ bytes: [UInt8]) -> [UInt8] {
        bytes.withUnsafeBufferPointer { Digests.digest(md5.pointer, $0) }
    }

    /// The digest of `text`'s UTF-8 bytes as 32 lower-case hex digits.
    public static func hex(_ text: String) -> String {
        var text = text
        return text.withUTF8 { Hex.encode(Digests.digest(md5.pointer, $0)) }
    }

    static let md5 = FetchedDigest("MD5", fallback: EVP_md5())
}

/// HMACs through libcrypto (webhook signatures).
public enum HMAC {
    /// HMAC-SHA256 of `message` under `key` (32 bytes).
    public static func sha256(key: [UInt8], message: [UInt8]) -> [UInt8] {
        mac(SHA256.sha256.pointer, key: key, message: message)
    }

    /// HMAC-SHA1 of `message` under `key` (20 bytes; platforms that still sign with it).
    public static func sha1(key: [UInt8], message: [UInt8]) -> [UInt8] {
        mac(EVP_sha1(), key: key, message: message)
    }

    private static func mac(_ md: OpaquePointer?, key: [UInt8], message: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        // An empty key still needs a valid pointer.
        let keyBytes = key.isEmpty ? [0] : key
        let result = keyBytes.withUnsafeBytes { k in
            message.withUnsafeBufferPointer { m in
                out.withUnsafeMutableBufferPointer { o in
                    CCrypto.HMAC(md, k.baseAddress, Int32(key.count), m.baseAddress, m.count, o.baseAddress, &length)
                }
            }
        }
        precondition(result != nil, "libcrypto HMAC failed")
        return Array(out.prefix(Int(length)))
    }
}

/// PBKDF2 (RFC 8018) through libcrypto.
public enum PBKDF2 {
    /// PBKDF2-HMAC-SHA256 of `password` with `salt`, `iterations` rounds, `length` bytes.
    public static func sha256(password: [UInt8], salt: [UInt8], iterations: Int, length: Int = 32) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: length)
        let passwordBytes = password.isEmpty ? [0] : password
        let ok = passwordBytes.withUnsafeBytes { p in
            salt.withUnsafeBufferPointer { s in
                out.withUnsafeMutableBufferPointer { o in
                    PKCS5_PBKDF2_HMAC(
                        p.baseAddress?.assumingMemoryBound(to: CChar.self), Int32(clamping: password.count), s.baseAddress,
                        Int32(clamping: s.count), Int32(clamping: iterations), EVP_sha256(), Int32(clamping: o.count), o.baseAddress)
                }
            }
        }
        precondition(ok == 1, "libcrypto PBKDF2 failed")
        return out
    }
}

/// Digests over a buffer.
enum Digests {
    static func digest(_ md: OpaquePointer?, _ buffer: UnsafeBufferPointer<UInt8>) -> [UInt8] {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: Int(EVP_MAX_MD_SIZE)) { out in
            var length: UInt32 = 0
            let ok = EVP_Digest(buffer.baseAddress, buffer.count, out.baseAddress, &length, md, nil)
            precondition(ok == 1, "libcrypto digest failed")
            return Array(out.prefix(Int(length)))
        }
    }
}

/// An `EVP_MD` fetched once and kept for the life of the process.
final class FetchedDigest: @unchecked Sendable {
    // Never freed and never mutated after init; libcrypto digests are safe to share between threads.
    let pointer: OpaquePointer?

    init(_ name: String, fallback: OpaquePointer?) {
        pointer = EVP_MD_fetch(nil, name, nil) ?? fallback
    }
}
