/// Writes bytes into memory whose capacity the caller has made sure of.
struct ByteWriter {
    let bytes: UnsafeMutablePointer<UInt8>
    var count = 0

    init(_ bytes: UnsafeMutablePointer<UInt8>) {
        self.bytes = bytes
    }

    @inline(__always) mutating func put(_ b: UInt8) {
        bytes[count] = b
        count += 1
    }

    /// Writes the four bytes of `word`, lowest first.
    @inline(__always) mutating func putWord(_ word: UInt32) {
        UnsafeMutableRawPointer(bytes + count).storeBytes(of: word.littleEndian, as: UInt32.self)
        count += 4
    }

    @inline(__always) mutating func put(_ p: UnsafePointer<UInt8>, _ n: Int) {
        let d = bytes + count
        if n <= 16 {
            // Short copies (most keys and values) as two overlapping loads and stores, reading and
            // writing nothing outside the n bytes.
            let src = UnsafeRawPointer(p)
            let dst = UnsafeMutableRawPointer(d)
            if n >= 8 {
                let a = src.loadUnaligned(as: UInt64.self)
                let b = src.loadUnaligned(fromByteOffset: n - 8, as: UInt64.self)
                dst.storeBytes(of: a, as: UInt64.self)
                dst.storeBytes(of: b, toByteOffset: n - 8, as: UInt64.self)
            } else if n >= 4 {
                let a = src.loadUnaligned(as: UInt32.self)
                let b = src.loadUnaligned(fromByteOffset: n - 4, as: UInt32.self)
                dst.storeBytes(of: a, as: UInt32.self)
                dst.storeBytes(of: b, toByteOffset: n - 4, as: UInt32.self)
            } else if n > 0 {
                d[0] = p[0]
                d[n >> 1] = p[n >> 1]
                d[n - 1] = p[n - 1]
            }
        } else if n <= 32 {
            let src = UnsafeRawPointer(p)
            let dst = UnsafeMutableRawPointer(d)
            let a = src.loadUnaligned(as: UInt64.self)
            let b = src.loadUnaligned(fromByteOffset: 8, as: UInt64.self)
            let c = src.loadUnaligned(fromByteOffset: n - 16, as: UInt64.self)
            let e = src.loadUnaligned(fromByteOffset: n - 8, as: UInt64.self)
            dst.storeBytes(of: a, as: UInt64.self)
            dst.storeBytes(of: b, toByteOffset: 8, as: UInt64.self)
            dst.storeBytes(of: c, toByteOffset: n - 16, as: UInt64.self)
            dst.storeBytes(of: e, toByteOffset: n - 8, as: UInt64.self)
        } else {
            d.update(from: p, count: n)
        }
        count += n
    }
}

/// A growable scratch buffer that a record is written into before it is appended to the output.
/// Its pointer and capacity live in memory of its own, so using it costs no exclusivity check.
final class ByteScratch {
    private let state: UnsafeMutablePointer<(bytes: UnsafeMutablePointer<UInt8>, capacity: Int)>

    init() {
        state = .allocate(capacity: 1)
        state.initialize(to: (.allocate(capacity: 4096), 4096))
    }

    deinit {
        state.pointee.bytes.deallocate()
        state.deallocate()
    }

    /// The buffer.
    @inline(__always) var bytes: UnsafeMutablePointer<UInt8> { state.pointee.bytes }

    /// Makes room for at least `n` bytes (the contents are not kept).
    @inline(__always) func reserve(_ n: Int) {
        guard n > state.pointee.capacity else { return }
        grow(n)
    }

    private func grow(_ n: Int) {
        state.pointee.bytes.deallocate()
        var capacity = state.pointee.capacity
        while capacity < n { capacity *= 2 }
        state.pointee = (.allocate(capacity: capacity), capacity)
    }
}
