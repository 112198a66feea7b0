/// A small, fast, seeded generator (SplitMix64): the same seed gives the same inputs.
struct SeededRandom: RandomNumberGenerator {
    private var state: UInt64

    /// Starts from `seed`.
    init(seed: UInt64) {
        state = seed
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A number in `0..<n` (`n` > 0).
    mutating func below(_ n: Int) -> Int {
        Int(next() % UInt64(max(1, n)))
    }

    /// True one time in `n`.
    mutating func oneIn(_ n: Int) -> Bool {
        below(n) == 0
    }
}

/// FNV-1a, 64 bits: names a failing input's file (not for security).
func fnv1a(_ bytes: [UInt8]) -> String {
    var h: UInt64 = 0xCBF2_9CE4_8422_2325
    for b in bytes {
        h ^= UInt64(b)
        h = h &* 0x100_0000_01B3
    }
    let hex = String(h, radix: 16)
    return String(repeating: "0", count: 16 - hex.count) + hex
}
