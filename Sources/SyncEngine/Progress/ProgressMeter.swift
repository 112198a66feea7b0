/// Decides what a progress display writes, and when, as a plain value: the caller feeds it the
/// runner's snapshots and a clock tick about once a second, with the time, and writes what comes
/// back. No I/O and no clock of its own, so tests drive it with made-up times.
///
/// - On a terminal: one line, redrawn in place (at most every ``redrawInterval`` seconds, and
///   when the run stops), ended with a newline when the run stops or ``finish()`` is called.
///   When nothing moved for ``heartbeatAfter`` seconds the line says so and its idle time counts up
///   at every tick.
/// - Elsewhere (a pipe, a log): a timestamped line at the first snapshot, then at most every
///   ``plainInterval`` seconds, and when the run stops; a heartbeat line
///   every ``heartbeatAfter`` seconds while nothing moves.
///
/// Progress counts the records whose outcome is settled (sent, rejected, skipped, unchanged); the
/// rate is measured from the first snapshot on (a resumed run's earlier records do not inflate it).
public struct ProgressMeter: Sendable {
    /// Whether output goes to a terminal.
    public let terminal: Bool
    /// Least seconds between two redraws of the terminal line.
    public var redrawInterval = 0.2
    /// Least seconds between two plain lines.
    public var plainInterval = 10.0
    /// Seconds without progress before the display says so.
    public var heartbeatAfter = 15.0

    private var latest: SyncProgress?
    private var baseline: (done: Int, at: Double)?
    private var lastMove = 0.0
    private var lastWrite = -Double.infinity
    private var lineOpen = false
    private var position: (done: Int, state: JobState)?

    /// Creates a meter for a terminal or for plain lines.
    public init(terminal: Bool) {
        self.terminal = terminal
    }

    /// The output for a new snapshot `p` at `now` (seconds on any steady clock; `timestamp` the
    /// same instant in ISO 8601, for plain lines), or nil when nothing is to be written.
    public mutating func update(_ p: SyncProgress, now: Double, timestamp: String, columns: Int) -> String? {
        let done = Self.processed(p)
        let first = position == nil
        let moved = position.map { $0.done != done || $0.state != p.state } ?? true
        position = (done, p.state)
        latest = p
        if baseline == nil { baseline = (done, now) }
        if moved { lastMove = now }
        let final = !p.state.phase.isRunning
        let frame = self.frame(now: now, idle: nil)
        if terminal {
            guard first || final || now - lastWrite >= redrawInterval else { return nil }
            lastWrite = now
            lineOpen = !final
            return ProgressRenderer.terminalRedraw(frame, columns: columns) + (final ? "\n" : "")
        }
        guard first || final || now - lastWrite >= plainInterval else { return nil }
        lastWrite = now
        return ProgressRenderer.plainLine(frame, at: timestamp)
    }

    /// Records whose outcome is settled: sent (acknowledged), rejected, skipped or unchanged. (Records
    /// read run ahead of the uploads; progress is what is done with them.)
    static func processed(_ p: SyncProgress) -> Int {
        p.counts.sent + p.counts.rejected + p.counts.skipped + p.counts.unchanged
    }

    /// The output for a clock tick at `now`: on a terminal the line with its idle time once nothing
    /// moved for ``heartbeatAfter`` seconds; elsewhere a heartbeat line every ``heartbeatAfter``
    /// seconds of stillness. Nil before the first snapshot, after the run stopped, and while it moves.
    public mutating func tick(now: Double, timestamp: String, columns: Int) -> String? {
        guard let p = latest, p.state.phase.isRunning else { return nil }
        let idle = now - lastMove
        guard idle >= heartbeatAfter else { return nil }
        if terminal {
            lastWrite = now
            lineOpen = true
            return ProgressRenderer.terminalRedraw(frame(now: now, idle: idle), columns: columns)
        }
        guard now - lastWrite >= heartbeatAfter else { return nil }
        lastWrite = now
        return ProgressRenderer.heartbeatLine(frame(now: now, idle: nil), idle: idle, at: timestamp)
    }

    /// What ends the display: a newline when a terminal line is still open, else nothing.
    public mutating func finish() -> String? {
        defer { lineOpen = false }
        return lineOpen ? "\n" : nil
    }

    private func frame(now: Double, idle: Double?) -> ProgressFrame {
        guard let p = latest else { return ProgressFrame(run: 0, state: "", done: 0) }
        var rate: Double?
        let done = Self.processed(p)
        if let base = baseline, now - base.at >= 1, done >= base.done {
            rate = Double(done - base.done) / (now - base.at)
        }
        var frame = ProgressFrame(p, rate: rate, idle: idle)
        frame.done = done
        return frame
    }
}
