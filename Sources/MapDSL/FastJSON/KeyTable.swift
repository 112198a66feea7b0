/// An open-addressing table from the UTF-8 bytes of a JSON key to an input slot, built once per
/// compiled mapping so that decoding a record never creates a `String` for a key.
struct KeyTable: Sendable {
    private let mask: Int
    /// Per bucket: the key's hash, or 0 for an empty bucket.
    private let hashes: [UInt64]
    /// Per bucket: the slot.
    private let slots: [Int32]
    /// Per bucket: where the key's bytes start in `pool`, and how many there are.
    private let offsets: [Int32]
    private let lengths: [Int32]
    private let pool: [UInt8]

    /// A table of `names`, whose positions are their slots; a later duplicate name is ignored.
    init(names: [String]) {
        var capacity = 16
        while capacity < names.count * 4 { capacity <<= 1 }
        var hashes = [UInt64](repeating: 0, count: capacity)
        var slots = [Int32](repeating: -1, count: capacity)
        var offsets = [Int32](repeating: 0, count: capacity)
        var lengths = [Int32](repeating: 0, count: capacity)
        var pool: [UInt8] = []
        for (slot, name) in names.enumerated() {
            let bytes = Array(name.utf8)
            let h = bytes.withUnsafeBufferPointer { KeyTable.hash($0.baseAddress!, bytes.count) }
            var b = Int(truncatingIfNeeded: h) & (capacity - 1)
            var duplicate = false
            while hashes[b] != 0 {
                if hashes[b] == h && Array(pool[Int(offsets[b])..<Int(offsets[b] + lengths[b])]) == bytes {
                    duplicate = true
                    break
                }
                b = (b + 1) & (capacity - 1)
            }
            if duplicate { continue }
            hashes[b] = h
            slots[b] = Int32(slot)
            offsets[b] = Int32(pool.count)
            lengths[b] = Int32(bytes.count)
            pool.append(contentsOf: bytes)
        }
        self.mask = capacity - 1
        self.hashes = hashes
        self.slots = slots
        self.offsets = offsets
        self.lengths = lengths
        self.pool = pool.isEmpty ? [0] : pool
    }

    /// A non-zero hash of `p[0..<n]`, reading at most 16 bytes (the first and last eight).
    @inline(__always) static func hash(_ p: UnsafePointer<UInt8>, _ n: Int) -> UInt64 {
        var a: UInt64 = 0
        var b: UInt64 = 0
        if n >= 8 {
            a = UnsafeRawPointer(p).loadUnaligned(as: UInt64.self)
            b = UnsafeRawPointer(p + n - 8).loadUnaligned(as: UInt64.self)
        } else {
            var i = 0
            while i < n {
                a |= UInt64(p[i]) << UInt64(i * 8)
                i += 1
            }
        }
        var h = (a &* 0x9E37_79B9_7F4A_7C15) ^ (b &* 0xC2B2_AE3D_27D4_EB4F) ^ UInt64(n)
        h ^= h >> 29
        h = h &* 0xBF58_476D_1CE4_E5B9
        h ^= h >> 32
        return h | 1
    }

    /// The slot of the key `p[0..<n]`, or -1.
    @inline(__always) func slot(_ p: UnsafePointer<UInt8>, _ n: Int) -> Int {
        let h = KeyTable.hash(p, n)
        var b = Int(truncatingIfNeeded: h) & mask
        return hashes.withUnsafeBufferPointer { hs in
            while true {
                let e = hs[b]
                if e == 0 { return -1 }
                if e == h && Int(lengths[b]) == n {
                    let matches = pool.withUnsafeBufferPointer { pool in
                        ByteScan.equal(pool.baseAddress! + Int(offsets[b]), p, n)
                    }
                    if matches { return Int(slots[b]) }
                }
                b = (b + 1) & mask
            }
        }
    }
}
