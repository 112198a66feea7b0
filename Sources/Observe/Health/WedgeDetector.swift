import Foundation
import MapDSL
import SyncEngine

/// Whether a running job has stopped making progress.
public struct WedgeVerdict: Sendable, Hashable {
    /// True when the run is in a running phase and its last progress event is older than the threshold.
    public var wedged: Bool
    /// Seconds since the last progress event (nil when the run is not running or has none).
    public var idleSeconds: Double?
    /// The job's threshold in seconds.
    public var threshold: Double
    /// Sequence number of the last progress event (identifies "the same wedge" for alerts).
    public var lastProgressSeq: Int?

    /// Creates a verdict.
    public init(wedged: Bool, idleSeconds: Double?, threshold: Double, lastProgressSeq: Int?) {
        self.wedged = wedged
        self.idleSeconds = idleSeconds
        self.threshold = threshold
        self.lastProgressSeq = lastProgressSeq
    }

    /// A verdict for a run that is not running.
    public static func idle(threshold: Double) -> WedgeVerdict {
        WedgeVerdict(wedged: false, idleSeconds: nil, threshold: threshold, lastProgressSeq: nil)
    }
}

/// Flags runs that are running but silent: no progress event for longer than the job's
/// `wedgedAfterSeconds` (default ``defaultThreshold``). A process killed mid-run, a hung request or
/// a destination that never answers all look like this.
public enum WedgeDetector {
    /// The default threshold, in seconds.
    public static let defaultThreshold = 300.0

    /// Events that show a run moving: state changes, pages, batches, checkpoints, reconciliation,
    /// resumption. Retries and rate-limit waits do not count: a run that only waits is not progressing.
    public static let progressEvents = [
        "run_started", "state", "page_fetched", "batch_sending", "batch_acked", "checkpoint", "reconcile", "resumed", "records",
        "run_completed",
    ]

    /// The threshold of a job: its file's `wedgedAfterSeconds`, else the default.
    public static func threshold(_ spec: JobSpec?) -> Double {
        guard let v = spec?.raw["wedgedAfterSeconds"]?.doubleValue, v > 0 else { return defaultThreshold }
        return v
    }

    /// Judges a run in `phase` whose last progress event happened at `lastProgress` (with sequence
    /// number `seq`), at time `now`.
    public static func judge(phase: JobPhase, lastProgress: Date?, seq: Int?, now: Date, threshold: Double) -> WedgeVerdict {
        guard phase.isRunning else { return .idle(threshold: threshold) }
        guard let lastProgress else {
            return WedgeVerdict(wedged: false, idleSeconds: nil, threshold: threshold, lastProgressSeq: seq)
        }
        let idle = max(0, now.timeIntervalSince(lastProgress))
        return WedgeVerdict(wedged: idle > threshold, idleSeconds: idle, threshold: threshold, lastProgressSeq: seq)
    }
}
