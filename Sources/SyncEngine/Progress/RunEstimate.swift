import MapDSL

/// How far a stored run is and when it should end, from what the store knows: the records it
/// processed, the total its source counted (`source_counted`), and when it started.
public struct RunEstimate: Sendable, Hashable {
    /// Records the run processed (every outcome recorded for it).
    public var done: Int
    /// Records its source said it would read, when counted.
    public var total: Int?
    /// Seconds left at the run's average rate so far, for a run that is going and has a total.
    public var etaSeconds: Double?

    /// Creates an estimate.
    public init(done: Int, total: Int?, etaSeconds: Double?) {
        self.done = done
        self.total = total
        self.etaSeconds = etaSeconds
    }

    /// The estimate for `run` with `done` records processed, `total` counted, at `now` (ISO 8601).
    /// The rate is the run's average since it started; no ETA when the run is not going, has no
    /// total, or has nothing done yet.
    public static func of(_ run: RunSummary, done: Int, total: Int?, now: String) -> RunEstimate {
        guard run.state.phase.isRunning, let total, done > 0, done < total,
            let start = Dates.parseISODateTime(Substring(run.startedAt)), let end = Dates.parseISODateTime(Substring(now)), end > start
        else { return RunEstimate(done: done, total: total, etaSeconds: nil) }
        let rate = Double(done) / (Double(end - start) / 1000)
        return RunEstimate(done: done, total: total, etaSeconds: Double(total - done) / rate)
    }

    /// `1200/30000 4%`, `1200` without a total.
    public var position: String {
        guard let total else { return String(done) }
        let percent = total > 0 ? min(100, Int((Double(done) * 100 / Double(total)).rounded(.down))) : 100
        return "\(done)/\(total) \(percent)%"
    }

    /// `ETA 0:22` for a run going with a total, `-` otherwise.
    public var eta: String { etaSeconds.map { ProgressRenderer.duration($0) } ?? "-" }
}

extension EventStore {
    /// The total the run's source counted (its last `source_counted` event), if it counted one.
    public func sourceTotal(run: Int) throws -> Int? {
        try events(types: ["source_counted"], run: run).last?.payload["total"]?.intValue
    }
}
