import Foundation

/// The child side: runs one target on inputs read from standard input, one at a time, and answers
/// each with one byte on standard output once it returned. A crash, a hang or running out of
/// memory (the address space is limited) ends or stalls the child, and the parent sees it.
///
/// Framing: a 4-byte little-endian length, then that many bytes; a length of `0xFFFF_FFFF` ends
/// the child.
enum Child {
    static let quit: UInt32 = 0xFFFF_FFFF
    static let ack: UInt8 = 0x6B

    /// Runs `target` until told to stop; limits the address space to `memoryMB` megabytes first.
    static func serve(_ target: any FuzzTarget, memoryMB: Int) -> Never {
        if memoryMB > 0 {
            var limit = rlimit()
            limit.rlim_cur = rlim_t(memoryMB) << 20
            limit.rlim_max = rlim_t(memoryMB) << 20
            _ = setrlimit(Int32(RLIMIT_AS.rawValue), &limit)
        }
        while true {
            guard let header = readExactly(4) else { exit(0) }
            let length = UInt32(header[0]) | UInt32(header[1]) << 8 | UInt32(header[2]) << 16 | UInt32(header[3]) << 24
            if length == quit { exit(0) }
            guard let input = readExactly(Int(length)) else { exit(0) }
            target.run(input)
            var a = ack
            guard write(1, &a, 1) == 1 else { exit(0) }
        }
    }

    private static func readExactly(_ n: Int) -> [UInt8]? {
        var out = [UInt8](repeating: 0, count: n)
        var got = 0
        while got < n {
            let r = out.withUnsafeMutableBytes { read(0, $0.baseAddress! + got, n - got) }
            if r < 0 && errno == EINTR { continue }
            if r <= 0 { return nil }
            got += r
        }
        return out
    }
}
