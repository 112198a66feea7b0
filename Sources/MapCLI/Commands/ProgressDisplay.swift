import Foundation
import SyncEngine

/// The sync commands' progress on standard error: one live line on a terminal (cut to its width,
/// redrawn in place), timestamped plain lines otherwise, and a heartbeat while nothing moves. What
/// to write and when is ``ProgressMeter``'s decision; this class only feeds it snapshots and a
/// one-second tick and writes its answers.
final class ProgressDisplay: @unchecked Sendable {
    private let io: CommandIO
    private let environment: [String: String]
    private let lock = NSLock()
    private var meter: ProgressMeter
    private var timer: DispatchSourceTimer?
    private var finished = false
    private let start = Date()

    init(io: CommandIO, environment: [String: String] = [:]) {
        self.io = io
        self.environment = environment
        self.meter = ProgressMeter(terminal: io.stderrIsTerminal)
    }

    /// A runner's snapshot (called on the runner's thread).
    func update(_ p: SyncProgress) {
        lock.lock()
        defer { lock.unlock() }
        guard !finished else { return }
        if timer == nil { startTicking() }
        if let text = meter.update(p, now: now, timestamp: timestamp, columns: columns) { io.err(text) }
    }

    /// Stops the tick and ends an open terminal line; nothing is written afterwards.
    func finish() {
        lock.lock()
        defer { lock.unlock() }
        guard !finished else { return }
        finished = true
        timer?.cancel()
        timer = nil
        if let text = meter.finish() { io.err(text) }
    }

    private func startTicking() {
        let t = DispatchSource.makeTimerSource(queue: DispatchQueue(label: "mapc.progress.tick"))
        t.schedule(deadline: .now() + 1, repeating: 1)
        t.setEventHandler { [weak self] in self?.tick() }
        timer = t
        t.resume()
    }

    private func tick() {
        lock.lock()
        defer { lock.unlock() }
        guard !finished else { return }
        if let text = meter.tick(now: now, timestamp: timestamp, columns: columns) { io.err(text) }
    }

    private var now: Double { Date().timeIntervalSince(start) }

    private var timestamp: String {
        var iso = Date().formatted(.iso8601)
        if iso.hasSuffix("Z") == false { iso += "Z" }
        return iso
    }

    /// The terminal's width: standard error's window size, else `$COLUMNS`, else 80.
    private var columns: Int { TerminalWidth.columns(fd: 2, environment: environment) }
}

/// How wide the terminal is.
enum TerminalWidth {
    /// The width of the terminal on `fd` (TIOCGWINSZ), else `$COLUMNS`, else 80; at least 20.
    static func columns(fd: Int32, environment: [String: String]) -> Int {
        var size = winsize()
        if ioctl(fd, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 { return max(20, Int(size.ws_col)) }
        if let text = environment["COLUMNS"], let n = Int(text), n > 0 { return max(20, min(n, 10_000)) }
        return 80
    }
}
