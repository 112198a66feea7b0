import Foundation
import MapDSL
import SyncEngine

/// Turns a run's projection (``RunStats``) into the ``RunMeasure`` that "is this normal?" compares:
/// active time from its state changes (paused time excluded), records from its completion counts,
/// or from the record projection while it runs.
public enum RunMeasurer {
    /// The measure of a completed run; nil when it has no `run_completed` counts.
    public static func completed(_ stats: RunStats) -> RunMeasure? {
        guard let records = stats.records else { return nil }
        return RunMeasure(run: stats.run, duration: stats.activeSecondsSoFar, records: records, rejected: stats.rejected ?? 0)
    }

    /// The measure of `run` at `now`: a completed run's own counts, else what it did so far (its
    /// active time up to now, and the records whose latest outcome it wrote, pending ones left out).
    public static func measure(run: RunSummary, stats: RunStats?, counts: [String: Int], now: Date) -> RunMeasure {
        if run.state.phase == .completed, let stats, let done = completed(stats) { return done }
        let processed = counts.filter { $0.key != "pending" }.values.reduce(0, +)
        return RunMeasure(
            run: run.id, duration: stats?.activeSeconds(at: now) ?? 0, records: processed, rejected: counts["rejected"] ?? 0)
    }
}
