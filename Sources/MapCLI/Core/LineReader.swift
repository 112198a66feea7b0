import Foundation

/// Reads a file (or standard input) line by line with constant memory, in large chunks.
///
/// Lines are split at `\n` (which is not part of the line); a last line without a newline is a
/// line, an empty file has none. ``nextLine()`` hands out the line in place, without a copy.
final class LineReader {
    private let fd: Int32
    private let closes: Bool
    private var buffer: UnsafeMutablePointer<UInt8>
    private var capacity: Int
    /// Unread data is `buffer[start..<end]`; `buffer[start..<scanned]` is known to hold no newline.
    private var start = 0
    private var end = 0
    private var scanned = 0
    private var atEnd = false

    /// Opens `path`, or standard input for `-`.
    init(path: String, chunkSize: Int = 1 << 20) throws {
        if path == "-" {
            fd = 0
            closes = false
        } else {
            let f = open(path, O_RDONLY)
            guard f >= 0 else {
                throw CLIError.operational("cannot open '\(path)': \(String(cString: strerror(errno)))")
            }
            fd = f
            closes = true
        }
        capacity = max(chunkSize, 16)
        buffer = .allocate(capacity: capacity)
    }

    deinit {
        buffer.deallocate()
        if closes { close(fd) }
    }

    /// The next line without its newline, or nil at the end. The bytes stay valid until the next call.
    func nextLine() -> UnsafeBufferPointer<UInt8>? {
        while true {
            if scanned < end, let nl = memchr(buffer + scanned, 0x0A, end - scanned) {
                let newline = buffer.distance(to: nl.assumingMemoryBound(to: UInt8.self))
                let line = UnsafeBufferPointer(start: buffer + start, count: newline - start)
                start = newline + 1
                scanned = start
                return line
            }
            scanned = end
            if atEnd {
                guard start < end else { return nil }
                let line = UnsafeBufferPointer(start: buffer + start, count: end - start)
                start = end
                scanned = end
                return line
            }
            fill()
        }
    }

    /// The next line as an array, or nil at the end.
    func next() -> [UInt8]? {
        nextLine().map { Array($0) }
    }

    /// Moves the unread data to the front, grows the buffer when a line fills it, and reads more.
    private func fill() {
        if start > 0 {
            let unread = end - start
            if unread > 0 { memmove(buffer, buffer + start, unread) }
            scanned -= start
            end = unread
            start = 0
        }
        if end == capacity {
            let bigger = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity * 2)
            bigger.update(from: buffer, count: end)
            buffer.deallocate()
            buffer = bigger
            capacity *= 2
        }
        while true {
            let n = read(fd, buffer + end, capacity - end)
            if n > 0 {
                end += n
                return
            }
            if n < 0 && errno == EINTR { continue }
            atEnd = true
            return
        }
    }
}

/// Writes to a file through a large buffer.
final class FileSink {
    private let file: UnsafeMutablePointer<FILE>

    /// Creates or truncates `path`.
    init(path: String) throws {
        guard let f = fopen(path, "w") else {
            throw CLIError.operational("cannot write '\(path)': \(String(cString: strerror(errno)))")
        }
        file = f
        setvbuf(f, nil, _IOFBF, 1 << 16)
    }

    func write(_ s: String) {
        var s = s
        s.withUTF8 { buf in _ = fwrite(buf.baseAddress, 1, buf.count, file) }
    }

    func write(_ bytes: UnsafeBufferPointer<UInt8>) {
        _ = fwrite(bytes.baseAddress, 1, bytes.count, file)
    }

    func close() {
        fclose(file)
    }
}
