import Foundation

/// Reads a file (or standard input) line by line with bounded memory, in large chunks.
///
/// Lines are split at `\n` (which is not part of the line); a last line without a newline is a
/// line, an empty file has none. ``nextLine()`` hands out the line in place, without a copy. A line
/// longer than the reader's maximum, and any read error, end the reading with ``failure`` set:
/// the end of the lines is never mistaken for the end of the file.
final class LineReader {
    /// Why reading stopped before the end of the file.
    enum Failure: Error, Equatable {
        /// Line `line` (1-based) is longer than `limit` bytes.
        case lineTooLong(line: Int, limit: Int)
        /// The OS refused a read (the error's text).
        case read(String)
    }

    /// The longest line accepted unless told otherwise: 16 MiB.
    static let defaultMaxLineBytes = 16 << 20

    private let fd: Int32
    private let closes: Bool
    private var buffer: UnsafeMutablePointer<UInt8>
    private var capacity: Int
    private let maxLineBytes: Int
    /// Unread data is `buffer[start..<end]`; `buffer[start..<scanned]` is known to hold no newline.
    private var start = 0
    private var end = 0
    private var scanned = 0
    private var atEnd = false
    /// Lines handed out so far.
    private(set) var lines = 0
    /// Set when reading stopped early; ``nextLine()`` then returns nil.
    private(set) var failure: Failure?

    /// Opens `path`, or standard input for `-`; a directory or an unreadable file is an error
    /// (naming the file as `display`, the path as the user gave it).
    init(path: String, display: String? = nil, chunkSize: Int = 1 << 20, maxLineBytes: Int = LineReader.defaultMaxLineBytes) throws {
        let name = path == "-" ? "standard input" : "'\(display ?? path)'"
        if path == "-" {
            fd = 0
            closes = false
        } else {
            let f = open(path, O_RDONLY | O_CLOEXEC)
            guard f >= 0 else {
                throw CLIError.operational("cannot open \(name): \(Descriptor.lastError)")
            }
            fd = f
            closes = true
        }
        var info = stat()
        if fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR {
            if closes { _ = Descriptor.closing(fd) }
            throw CLIError.operational("cannot read \(name): \(String(cString: strerror(EISDIR)))")
        }
        self.maxLineBytes = max(1, maxLineBytes)
        capacity = max(min(chunkSize, self.maxLineBytes + 1), 16)
        buffer = .allocate(capacity: capacity)
    }

    deinit {
        buffer.deallocate()
        if closes { _ = Descriptor.closing(fd) }
    }

    /// The next line without its newline, or nil at the end (or when reading failed: see
    /// ``failure``). The bytes stay valid until the next call.
    func nextLine() -> UnsafeBufferPointer<UInt8>? {
        guard failure == nil else { return nil }
        while true {
            if scanned < end, let nl = memchr(buffer + scanned, 0x0A, end - scanned) {
                let newline = buffer.distance(to: nl.assumingMemoryBound(to: UInt8.self))
                guard newline - start <= maxLineBytes else { return tooLong() }
                let line = UnsafeBufferPointer(start: buffer + start, count: newline - start)
                start = newline + 1
                scanned = start
                lines += 1
                return line
            }
            scanned = end
            if end - start > maxLineBytes { return tooLong() }
            if atEnd {
                guard start < end else { return nil }
                let line = UnsafeBufferPointer(start: buffer + start, count: end - start)
                start = end
                scanned = end
                lines += 1
                return line
            }
            fill()
            if failure != nil { return nil }
        }
    }

    private func tooLong() -> UnsafeBufferPointer<UInt8>? {
        failure = .lineTooLong(line: lines + 1, limit: maxLineBytes)
        return nil
    }

    /// The next line as an array, or nil at the end.
    func next() -> [UInt8]? {
        nextLine().map { Array($0) }
    }

    /// Moves the unread data to the front, grows the buffer when a line fills it (up to one byte
    /// more than the longest line allowed), and reads more.
    private func fill() {
        if start > 0 {
            let unread = end - start
            if unread > 0 { memmove(buffer, buffer + start, unread) }
            scanned -= start
            end = unread
            start = 0
        }
        if end == capacity {
            let grown = min(capacity * 2, maxLineBytes + 1)
            let bigger = UnsafeMutablePointer<UInt8>.allocate(capacity: grown)
            bigger.update(from: buffer, count: end)
            buffer.deallocate()
            buffer = bigger
            capacity = grown
        }
        while true {
            let n = read(fd, buffer + end, capacity - end)
            if n > 0 {
                end += n
                return
            }
            if n < 0 && errno == EINTR { continue }
            if n < 0 { failure = .read(Descriptor.lastError) }
            atEnd = true
            return
        }
    }
}
