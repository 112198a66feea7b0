import Foundation

/// What one progress line shows, as a plain value: where the run is, how far along, how fast.
public struct ProgressFrame: Sendable, Hashable {
    /// The run.
    public var run: Int
    /// Where it is, in words (`uploading batch 45`, `paused`).
    public var state: String
    /// Records done so far (read, or settled: the caller's choice).
    public var done: Int
    /// Records the run will read, when the source could count them.
    public var total: Int?
    /// Records per second, once measurable.
    public var rate: Double?
    /// Records the destination acknowledged.
    public var sent: Int
    /// Records refused (by mapc's checks or the platform).
    public var rejected: Int
    /// Records skipped by the mapping's skip rules.
    public var skipped: Int
    /// Records not sent because nothing changed since the last send.
    public var unchanged: Int
    /// Seconds since anything moved, when long enough to say so (a heartbeat); nil otherwise.
    public var idle: Double?

    /// Creates a frame.
    public init(
        run: Int, state: String, done: Int, total: Int? = nil, rate: Double? = nil, sent: Int = 0, rejected: Int = 0,
        skipped: Int = 0, unchanged: Int = 0, idle: Double? = nil
    ) {
        self.run = run
        self.state = state
        self.done = done
        self.total = total
        self.rate = rate
        self.sent = sent
        self.rejected = rejected
        self.skipped = skipped
        self.unchanged = unchanged
        self.idle = idle
    }

    /// The frame of a runner's snapshot, with the rate and idle time the caller measured.
    public init(_ p: SyncProgress, rate: Double?, idle: Double? = nil) {
        let state: String
        switch p.state.phase {
        case .fetching, .mapping, .validating, .uploading, .created, .completed, .cancelled: state = p.state.description
        // The reason is printed in full with the run's summary; the line keeps to the phase.
        case .paused, .failed: state = p.state.phase.rawValue
        }
        self.init(
            run: p.run, state: state, done: p.counts.fetched, total: p.total, rate: rate, sent: p.counts.sent,
            rejected: p.counts.rejected, skipped: p.counts.skipped, unchanged: p.counts.unchanged, idle: idle)
    }

    /// Whole percent done (at most 100), when the total is known and not zero.
    public var percent: Int? {
        guard let total, total > 0 else { return nil }
        return min(100, Int((Double(min(done, total)) * 100 / Double(total)).rounded(.down)))
    }

    /// Seconds left at the current rate, when the total and a rate are known.
    public var eta: Double? {
        guard let total, let rate, rate > 0, done < total else { return nil }
        return Double(total - done) / rate
    }
}

/// Renders progress frames: one line for a terminal, cut to its width (redrawn in place), or a
/// plain line with a timestamp for a pipe or a log. Pure functions of their inputs.
public enum ProgressRenderer {
    /// The narrowest and widest bar inside its brackets.
    static let barWidths = (min: 10, max: 30)

    /// The terminal line for `frame` in a terminal `columns` wide: at most `columns - 1`
    /// characters (the last column is left free, so the line never wraps), no control characters.
    /// What matters most stays when the terminal is narrow: position, ETA, rate, then the bar,
    /// the heartbeat, the state and the counts.
    public static func terminalLine(_ frame: ProgressFrame, columns: Int) -> String {
        let width = max(1, columns - 1)
        let position = self.position(frame)
        let rate = "\(rateText(frame.rate)) rec/s"
        let eta = frame.eta.map { "ETA \(duration($0))" }
        let idle = frame.idle.map { "no progress for \(duration($0))" }
        let counts = "sent \(frame.sent), rejected \(frame.rejected), skipped \(frame.skipped), unchanged \(frame.unchanged)"
        // Segments in display order; then the order in which they are kept while they fit (nil: the
        // bar at its narrowest), what is left over widening the bar.
        let segments: [String?] = [position, rate, eta, "run \(frame.run) \(frame.state)", idle, counts]
        let priority: [Int?] = [0, 2, 1, nil, 4, 3, 5]
        func length(_ kept: Set<Int>, bar: Int) -> Int {
            let parts = segments.indices.filter { kept.contains($0) }.compactMap { segments[$0] }
            let text = parts.reduce(0) { $0 + $1.count } + max(0, parts.count - 1) * 2
            return bar > 0 ? text + bar + 3 : text
        }
        var kept = Set<Int>()
        var bar = 0
        for item in priority {
            if let index = item {
                guard segments[index] != nil else { continue }
                var trial = kept
                trial.insert(index)
                if length(trial, bar: bar) <= width || kept.isEmpty { kept = trial }
            } else if frame.total != nil, length(kept, bar: barWidths.min) <= width {
                bar = barWidths.min
            }
        }
        if bar > 0 { bar = min(barWidths.max, bar + (width - length(kept, bar: bar))) }
        var line = segments.indices.filter { kept.contains($0) }.compactMap { segments[$0] }.joined(separator: "  ")
        if bar > 0 { line = self.bar(frame, width: bar) + " " + line }
        return cut(line, to: width)
    }

    /// What redraws the line in place on a terminal: carriage return, the line, clear to the end.
    public static func terminalRedraw(_ frame: ProgressFrame, columns: Int) -> String {
        "\r" + terminalLine(frame, columns: columns) + "\u{1B}[K"
    }

    /// A plain line for a pipe or a log, with its time (ISO 8601) and a newline:
    /// `2025-01-31T09:30:00Z run 3 uploading batch 45: 12345/30000 records (41%), 812 rec/s, ETA 0:22; sent …`.
    public static func plainLine(_ frame: ProgressFrame, at timestamp: String) -> String {
        var line = "\(timestamp) run \(frame.run) \(frame.state): "
        if let total = frame.total {
            line += "\(frame.done)/\(total) records (\(frame.percent.map { "\($0)%" } ?? "-"))"
        } else {
            line += "\(frame.done) records"
        }
        line += ", \(rateText(frame.rate)) rec/s"
        if let eta = frame.eta { line += ", ETA \(duration(eta))" }
        line += "; sent \(frame.sent), rejected \(frame.rejected), skipped \(frame.skipped), unchanged \(frame.unchanged)"
        return line + "\n"
    }

    /// A plain heartbeat line: the run is alive but nothing moved for a while.
    public static func heartbeatLine(_ frame: ProgressFrame, idle: Double, at timestamp: String) -> String {
        var line = "\(timestamp) run \(frame.run) still \(frame.state): no progress for \(duration(idle))"
        if let total = frame.total { line += " (\(frame.done)/\(total) records)" } else { line += " (\(frame.done) records)" }
        return line + "\n"
    }

    /// `m:ss` below an hour, `h:mm:ss` above; negative or not finite is `0:00`, a year or more `>1y`.
    public static func duration(_ seconds: Double) -> String {
        guard seconds.isFinite, seconds > 0 else { return "0:00" }
        guard seconds < 365 * 86_400 else { return ">1y" }
        let s = Int(seconds.rounded(.up))
        let (h, m, r) = (s / 3600, (s % 3600) / 60, s % 60)
        let two = { (n: Int) in n < 10 ? "0\(n)" : "\(n)" }
        return h > 0 ? "\(h):\(two(m)):\(two(r))" : "\(m):\(two(r))"
    }

    static func position(_ frame: ProgressFrame) -> String {
        guard let total = frame.total else { return "\(frame.done) records" }
        return "\(frame.done)/\(total) \(frame.percent.map { "\($0)%" } ?? "-")"
    }

    static func rateText(_ rate: Double?) -> String {
        guard let rate, rate.isFinite, rate >= 0 else { return "-" }
        if rate >= 10 || rate == 0 { return String(Int(min(rate, 1e12).rounded())) }
        return String(format: "%.1f", rate)
    }

    static func bar(_ frame: ProgressFrame, width: Int) -> String {
        let filled: Int
        if let total = frame.total, total > 0 {
            filled = min(width, Int(Double(min(frame.done, total)) * Double(width) / Double(total)))
        } else {
            filled = frame.total == 0 ? width : 0
        }
        return "[" + String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled) + "]"
    }

    /// `text` cut to `width` characters, the last one an ellipsis when something was cut.
    static func cut(_ text: String, to width: Int) -> String {
        guard text.count > width else { return text }
        guard width > 1 else { return String(text.prefix(width)) }
        return String(text.prefix(width - 1)) + "…"
    }
}
