import CCrypto
import Foundation

/// Lower-case hexadecimal.
public enum Hex {
    /// `bytes` as lower-case hex digits, two per byte.
    public static func encode(_ bytes: [UInt8]) -> String {
        String(unsafeUninitializedCapacity: bytes.count * 2) { out in
            let digits: StaticString = "0123456789abcdef"
            let hex = digits.utf8Start
            for (i, b) in bytes.enumerated() {
                out[2 * i] = hex[Int(b >> 4)]
                out[2 * i + 1] = hex[Int(b & 0x0F)]
            }
            return bytes.count * 2
        }
    }
}

/// URL-safe base64 without padding (RFC 4648 §5).
public enum Base64URL {
    /// `bytes` in URL-safe base64, unpadded.
    public static func encode(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    /// The bytes of URL-safe base64 text (padding optional); nil when it is not base64 or longer than 4096 characters.
    public static func decode(_ text: String) -> [UInt8]? {
        guard text.count <= 4096 else { return nil }
        var standard = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while standard.count % 4 != 0 { standard += "=" }
        return Data(base64Encoded: standard).map { [UInt8]($0) }
    }
}

/// Comparison whose time depends only on the lengths of its inputs (libcrypto's `CRYPTO_memcmp`).
public enum ConstantTimeCompare {
    /// Whether `a` and `b` are the same bytes.
    public static func equals(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        if a.isEmpty { return true }
        return a.withUnsafeBytes { pa in b.withUnsafeBytes { pb in CRYPTO_memcmp(pa.baseAddress, pb.baseAddress, a.count) == 0 } }
    }

    /// Whether `a` and `b` are the same text (compared as UTF-8 bytes).
    public static func equals(_ a: String, _ b: String) -> Bool {
        equals(Array(a.utf8), Array(b.utf8))
    }
}

/// Random bytes from libcrypto's CSPRNG (seeded by the operating system): session ids, CSRF tokens,
/// salts and API tokens.
public enum SecureRandom {
    /// `count` random bytes.
    public static func bytes(_ count: Int) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: count)
        let ok = out.withUnsafeMutableBufferPointer { RAND_bytes($0.baseAddress, Int32($0.count)) }
        precondition(ok == 1, "libcrypto has no randomness")
        return out
    }

    /// `count` random bytes as URL-safe base64 without padding (cookie, form and header safe).
    public static func token(_ count: Int = 32) -> String {
        Base64URL.encode(bytes(count))
    }
}
