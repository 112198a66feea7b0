import CCrypto

/// SHA-256 through OpenSSL's libcrypto.
public enum SHA256 {
    /// The digest of `bytes` as 64 lower-case hex digits.
    public static func hex(_ bytes: [UInt8]) -> String {
        bytes.withUnsafeBufferPointer { hex($0) }
    }

    /// The digest of the bytes in `buffer` as 64 lower-case hex digits.
    public static func hex(_ buffer: UnsafeBufferPointer<UInt8>) -> String {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 32) { digest in
            var length: UInt32 = 0
            let ok = EVP_Digest(buffer.baseAddress, buffer.count, digest.baseAddress, &length, algorithm.pointer, nil)
            precondition(ok == 1 && length == 32, "libcrypto SHA-256 failed")
            return String(unsafeUninitializedCapacity: 64) { out in
                let digits: StaticString = "0123456789abcdef"
                let hexDigits = digits.utf8Start
                for i in 0..<32 {
                    out[2 * i] = hexDigits[Int(digest[i] >> 4)]
                    out[2 * i + 1] = hexDigits[Int(digest[i] & 0x0F)]
                }
                return 64
            }
        }
    }

    /// SHA-256 fetched from the provider once: the implicit fetch `EVP_sha256()` makes on every
    /// digest costs more than hashing a short record.
    private static let algorithm = FetchedDigest()

    /// The digest of `text`'s UTF-8 bytes.
    public static func hex(_ text: String) -> String {
        var text = text
        return text.withUTF8 { hex($0) }
    }
}

/// An `EVP_MD` fetched once and kept for the life of the process.
private final class FetchedDigest: @unchecked Sendable {
    // Never freed and never mutated after init; libcrypto digests are safe to share between threads.
    let pointer: OpaquePointer?

    init() {
        pointer = EVP_MD_fetch(nil, "SHA256", nil) ?? EVP_sha256()
    }
}
