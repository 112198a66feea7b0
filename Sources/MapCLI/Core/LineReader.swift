import Foundation

/// Reads a file (or standard input) line by line with constant memory.
final class LineReader {
    private let file: UnsafeMutablePointer<FILE>
    private let closes: Bool
    private var buffer: UnsafeMutablePointer<CChar>?
    private var capacity = 0

    /// Opens `path`, or standard input for `-`.
    init(path: String) throws {
        if path == "-" {
            file = fdopen(0, "r")
            closes = false
        } else {
            guard let f = fopen(path, "r") else {
                throw CLIError.operational("cannot open '\(path)': \(String(cString: strerror(errno)))")
            }
            file = f
            closes = true
        }
    }

    deinit {
        free(buffer)
        if closes { fclose(file) }
    }

    /// The next line without its newline, or nil at the end.
    func next() -> [UInt8]? {
        let n = getline(&buffer, &capacity, file)
        guard n >= 0, let buffer else { return nil }
        var len = n
        if len > 0 && buffer[len - 1] == 0x0A { len -= 1 }
        return buffer.withMemoryRebound(to: UInt8.self, capacity: len) { Array(UnsafeBufferPointer(start: $0, count: len)) }
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

    func close() {
        fclose(file)
    }
}
