import Foundation
import MapDSL
import SyncEngine

/// Derives ``RunMeasure``s from a run's events: active time from its state changes, records from
/// its completion counts (or the record projection while it runs).
public enum RunMeasurer {
    /// Seconds spent in running phases, from the run's `state` events (in order) up to `now` when it
    /// is still running. Time paused, failed or waiting to be resumed is not counted.
    public static func activeSeconds(stateEvents: [StoredEvent], startedAt: Date?, now: Date) -> Double {
        let transitions: [(to: JobPhase, at: Date)] = stateEvents.compactMap { e in
            guard let at = Timestamps.parse(e.at), let to = e.payload["to"]?.stringValue.flatMap(JobPhase.init(rawValue:)) else {
                return nil
            }
            return (to, at)
        }
        return activeSeconds(transitions: transitions, startedAt: startedAt, now: now)
    }

    /// Seconds spent in running phases given each transition's target phase and time.
    public static func activeSeconds(transitions: [(to: JobPhase, at: Date)], startedAt: Date?, now: Date) -> Double {
        var total = 0.0
        var phase = JobPhase.created
        var since = startedAt
        for t in transitions {
            if phase.isRunning, let since { total += max(0, t.at.timeIntervalSince(since)) }
            phase = t.to
            since = t.at
        }
        if phase.isRunning, let since { total += max(0, now.timeIntervalSince(since)) }
        return total
    }

    /// The measure of a completed run from its `run_completed` counts.
    public static func completed(run: Int, stateEvents: [StoredEvent], startedAt: String, completion: StoredEvent) -> RunMeasure {
        let end = Timestamps.parse(completion.at) ?? Date()
        let counts = completion.payload["counts"]
        return RunMeasure(
            run: run, duration: activeSeconds(stateEvents: stateEvents, startedAt: Timestamps.parse(startedAt), now: end),
            records: counts?["fetched"]?.intValue ?? 0, rejected: counts?["rejected"]?.intValue ?? 0)
    }

    /// The measure of a run in progress (or stopped) from the record projection of that run.
    public static func partial(run: Int, stateEvents: [StoredEvent], startedAt: String, counts: [String: Int], now: Date) -> RunMeasure {
        let processed = counts.filter { $0.key != "pending" }.values.reduce(0, +)
        return RunMeasure(
            run: run, duration: activeSeconds(stateEvents: stateEvents, startedAt: Timestamps.parse(startedAt), now: now),
            records: processed, rejected: counts["rejected"] ?? 0)
    }
}
