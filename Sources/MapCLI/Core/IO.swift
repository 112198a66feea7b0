import Foundation

/// Where a command writes: standard output and error, or buffers in tests.
public protocol CommandIO: AnyObject {
    /// Writes to standard output.
    func out(_ s: String)
    /// Writes to standard error.
    func err(_ s: String)
    /// Whether standard output is a terminal (colour, tables, progress bars).
    var stdoutIsTerminal: Bool { get }
    /// Whether standard error is a terminal.
    var stderrIsTerminal: Bool { get }
    /// Flushes buffered output.
    func flush()
}

/// Buffered standard output and error.
public final class StandardIO: CommandIO {
    private var outBuffer: [UInt8] = []
    public let stdoutIsTerminal = isatty(1) != 0
    public let stderrIsTerminal = isatty(2) != 0

    /// Creates the process's standard streams.
    public init() {
        outBuffer.reserveCapacity(1 << 16)
    }

    public func out(_ s: String) {
        outBuffer.append(contentsOf: s.utf8)
        if outBuffer.count >= 1 << 16 { flushOut() }
    }

    public func err(_ s: String) {
        flushOut()
        var bytes = Array(s.utf8)
        bytes.withUnsafeMutableBytes { raw in
            var off = 0
            while off < raw.count {
                let n = write(2, raw.baseAddress! + off, raw.count - off)
                if n <= 0 { break }
                off += n
            }
        }
    }

    private func flushOut() {
        guard !outBuffer.isEmpty else { return }
        outBuffer.withUnsafeBytes { raw in
            var off = 0
            while off < raw.count {
                let n = write(1, raw.baseAddress! + off, raw.count - off)
                if n <= 0 { break }
                off += n
            }
        }
        outBuffer.removeAll(keepingCapacity: true)
    }

    public func flush() { flushOut() }
}

/// Output captured in memory, for tests.
public final class CapturedIO: CommandIO {
    /// What was written to standard output.
    public private(set) var stdout = ""
    /// What was written to standard error.
    public private(set) var stderr = ""
    public var stdoutIsTerminal = false
    public var stderrIsTerminal = false

    /// Creates empty buffers.
    public init() {}

    public func out(_ s: String) { stdout += s }
    public func err(_ s: String) { stderr += s }
    public func flush() {}
}
