/// Recently decoded string values, per input slot, keyed by their raw JSON bytes (escapes and all):
/// exports repeat a handful of values in most columns (a lifecycle stage, a source, a company), and
/// a value found here costs a hash and a comparison instead of validating UTF-8 and allocating a
/// new `String`.
///
/// A string's text depends only on its raw bytes (``JSONCursor/text(_:)``), so a remembered value
/// is the value decoding would give. Columns whose values rarely repeat (ids, emails, timestamps)
/// stop being looked up for a while, so they pay for a lookup only now and then.
///
/// A cache belongs to one decoder at a time and keeps its entries in storage of its own.
final class StringCache {
    /// Raw strings longer than this are not remembered.
    static let maxLength = 32
    private static let entriesPerSlot = 32
    /// Lookups per slot after which the hit rate is judged, and how many lookups a slot whose
    /// values rarely repeat then skips.
    private static let window = 512
    private static let pause = 1 << 14

    private let slotCount: Int
    /// Per entry: the raw length (-1 when empty), the raw bytes and the value.
    private let lengths: UnsafeMutablePointer<Int>
    private let bytes: UnsafeMutablePointer<UInt8>
    private let values: UnsafeMutablePointer<Value>
    /// Per slot: lookups and hits in the current window, and lookups left to skip.
    private let lookups: UnsafeMutablePointer<Int>
    private let hits: UnsafeMutablePointer<Int>
    private let skipping: UnsafeMutablePointer<Int>

    /// An empty cache for `slotCount` slots.
    init(slotCount: Int) {
        self.slotCount = slotCount
        let entries = max(slotCount, 1) * StringCache.entriesPerSlot
        lengths = .allocate(capacity: entries)
        lengths.initialize(repeating: -1, count: entries)
        bytes = .allocate(capacity: entries * StringCache.maxLength)
        values = .allocate(capacity: entries)
        values.initialize(repeating: .null, count: entries)
        lookups = .allocate(capacity: max(slotCount, 1))
        lookups.initialize(repeating: 0, count: max(slotCount, 1))
        hits = .allocate(capacity: max(slotCount, 1))
        hits.initialize(repeating: 0, count: max(slotCount, 1))
        skipping = .allocate(capacity: max(slotCount, 1))
        skipping.initialize(repeating: 0, count: max(slotCount, 1))
    }

    deinit {
        let entries = max(slotCount, 1) * StringCache.entriesPerSlot
        lengths.deallocate()
        bytes.deallocate()
        values.deinitialize(count: entries)
        values.deallocate()
        lookups.deallocate()
        hits.deallocate()
        skipping.deallocate()
    }

    /// The value of the raw string `p[0..<n]` in `slot`: remembered, or made by `make` (and
    /// remembered when the slot's values repeat).
    @inline(__always) func value(
        slot: Int, _ p: UnsafePointer<UInt8>, _ n: Int, make: (UnsafePointer<UInt8>, Int) -> Value
    ) -> Value {
        guard n <= StringCache.maxLength, skipping[slot] == 0 else {
            if n <= StringCache.maxLength { skipping[slot] -= 1 }
            return make(p, n)
        }
        let entry = slot * StringCache.entriesPerSlot + StringCache.bucket(p, n)
        lookups[slot] += 1
        if lookups[slot] == StringCache.window { judge(slot) }
        if lengths[entry] == n && ByteScan.equal(bytes + entry * StringCache.maxLength, p, n) {
            hits[slot] += 1
            return values[entry]
        }
        let v = make(p, n)
        lengths[entry] = n
        (bytes + entry * StringCache.maxLength).update(from: p, count: n)
        values[entry] = v
        return v
    }

    /// Ends a window of lookups: a slot with few hits skips lookups for a while.
    private func judge(_ slot: Int) {
        if hits[slot] * 8 < StringCache.window { skipping[slot] = StringCache.pause }
        lookups[slot] = 0
        hits[slot] = 0
    }

    /// The entry of a raw string among its slot's entries.
    @inline(__always) private static func bucket(_ p: UnsafePointer<UInt8>, _ n: Int) -> Int {
        var a: UInt64 = UInt64(truncatingIfNeeded: n)
        if n >= 8 {
            a ^= UnsafeRawPointer(p).loadUnaligned(as: UInt64.self)
            a ^= UnsafeRawPointer(p + n - 8).loadUnaligned(as: UInt64.self) &* 0x9E37_79B9
        } else if n >= 4 {
            a ^= UInt64(UnsafeRawPointer(p).loadUnaligned(as: UInt32.self))
            a ^= UInt64(UnsafeRawPointer(p + n - 4).loadUnaligned(as: UInt32.self)) << 29
        } else {
            for i in 0..<n { a = a << 8 | UInt64(p[i]) }
        }
        a = (a ^ (a >> 31)) &* 0xBF58_476D_1CE4_E5B9
        return Int(truncatingIfNeeded: a >> 59)
    }
}
