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
    /// Why writing standard output failed (the OS error), once it has; nil while it has not.
    var outputFailure: String? { get }
}

extension CommandIO {
    /// Streams that cannot fail never report a failure.
    public var outputFailure: String? { nil }
}

/// Buffered standard output and error. A failed write to standard output (a full disk, a closed
/// pipe) is remembered in ``outputFailure`` and nothing more is written there; `mapc` then exits 3.
public final class StandardIO: CommandIO {
    private var outBuffer: [UInt8] = []
    public let stdoutIsTerminal = isatty(1) != 0
    public let stderrIsTerminal = isatty(2) != 0
    public private(set) var outputFailure: String?

    /// Creates the process's standard streams.
    public init() {
        outBuffer.reserveCapacity(1 << 16)
    }

    public func out(_ s: String) {
        guard outputFailure == nil else { return }
        outBuffer.append(contentsOf: s.utf8)
        if outBuffer.count >= 1 << 16 { flushOut() }
    }

    public func err(_ s: String) {
        flushOut()
        let bytes = Array(s.utf8)
        // Standard error is where failures are told; when it fails there is no one left to tell.
        _ = bytes.withUnsafeBufferPointer { Descriptor.writeAll($0, to: 2) }
    }

    private func flushOut() {
        guard !outBuffer.isEmpty else { return }
        if outputFailure == nil, let error = outBuffer.withUnsafeBufferPointer({ Descriptor.writeAll($0, to: 1) }) {
            outputFailure = "standard output: \(error)"
        }
        outBuffer.removeAll(keepingCapacity: true)
    }

    /// Writes `bytes` to standard output now, after what is buffered; false once writing failed.
    func write(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        flushOut()
        guard outputFailure == nil else { return false }
        if let error = Descriptor.writeAll(bytes, to: 1) {
            outputFailure = "standard output: \(error)"
            return false
        }
        return true
    }

    public func flush() { flushOut() }
}

/// Writes through file descriptors, with every error seen.
enum Descriptor {
    /// Writes all of `bytes` to `fd` (again after an interrupted write); the OS error when a write
    /// fails or writes nothing.
    static func writeAll(_ bytes: UnsafeBufferPointer<UInt8>, to fd: Int32) -> String? {
        guard let base = bytes.baseAddress else { return nil }
        var off = 0
        while off < bytes.count {
            let n = write(fd, base + off, bytes.count - off)
            if n < 0 && errno == EINTR { continue }
            if n < 0 { return String(cString: strerror(errno)) }
            if n == 0 { return "nothing was written" }
            off += n
        }
        return nil
    }

    /// The text of the current `errno`.
    static var lastError: String { String(cString: strerror(errno)) }

    /// Closes `fd`; the OS error when that fails.
    static func closing(_ fd: Int32) -> String? {
        close(fd) == 0 ? nil : lastError
    }
}

/// A file written from start to end, every write checked: mapped records and rejects of
/// `mapc run`. Writes go straight to the descriptor (callers write in large blocks).
final class ByteSink {
    /// The name used in messages: the path as given, or "standard output".
    let name: String
    private let fd: Int32
    private let owned: Bool
    /// The first OS error, once a write failed; nothing more is written after it.
    private(set) var failure: String?

    /// Creates or truncates `path` (shown as `name`).
    init(path: String, name: String) throws {
        let f = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard f >= 0 else { throw CLIError.operational("cannot write '\(name)': \(Descriptor.lastError)") }
        fd = f
        owned = true
        self.name = name
    }

    /// Writes to descriptor `fd`, which stays open.
    init(descriptor fd: Int32, name: String) {
        self.fd = fd
        owned = false
        self.name = name
    }

    /// Writes `bytes`; false (with ``failure`` set) when the OS refused them.
    @discardableResult
    func write(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard failure == nil else { return false }
        if let error = Descriptor.writeAll(bytes, to: fd) {
            failure = error
            return false
        }
        return true
    }

    @discardableResult
    func write(_ s: String) -> Bool {
        let bytes = Array(s.utf8)
        return bytes.withUnsafeBufferPointer { write($0) }
    }

    /// Makes a file's data durable and closes it (a full disk may only show here); false (with
    /// ``failure`` set) when that failed.
    @discardableResult
    func close() -> Bool {
        guard owned else { return failure == nil }
        var info = stat()
        if failure == nil, fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG, fsync(fd) != 0 {
            failure = Descriptor.lastError
        }
        if let error = Descriptor.closing(fd), failure == nil { failure = error }
        return failure == nil
    }
}

/// Files replaced whole: written to a temporary file next to them, flushed to disk, then renamed
/// over the old one, so a reader (or a crash) sees the old file or the new one, never half of one.
public enum AtomicFile {
    /// Replaces the file at `path` with `bytes`; the OS error (naming the step) when it cannot.
    public static func write(_ bytes: [UInt8], to path: String) -> String? {
        let dir = (path as NSString).deletingLastPathComponent
        let base = (path as NSString).lastPathComponent
        let temp = (dir.isEmpty ? "." : dir) + "/.\(base).\(getpid()).tmp"
        var mode: mode_t = 0o644
        var existing = stat()
        if stat(path, &existing) == 0 { mode = existing.st_mode & 0o777 }
        let fd = open(temp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)
        guard fd >= 0 else { return Descriptor.lastError }
        var failure = bytes.withUnsafeBufferPointer { Descriptor.writeAll($0, to: fd) }
        if failure == nil, fsync(fd) != 0 { failure = Descriptor.lastError }
        if let error = Descriptor.closing(fd), failure == nil { failure = error }
        if failure == nil, rename(temp, path) != 0 { failure = Descriptor.lastError }
        if let failure {
            unlink(temp)
            return failure
        }
        // The rename itself is durable once the directory is.
        let d = open(dir.isEmpty ? "." : dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if d >= 0 {
            fsync(d)
            _ = Descriptor.closing(d)
        }
        return nil
    }
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
