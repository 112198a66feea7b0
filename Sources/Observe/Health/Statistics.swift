import Foundation

/// Quantiles of a sample by linear interpolation between closest ranks (the R-7 / NumPy default).
public enum Quantile {
    /// The `q`-quantile (0…1) of `values`; nil when `values` is empty.
    public static func of(_ values: [Double], _ q: Double) -> Double? {
        let sorted = values.filter(\.isFinite).sorted()
        guard !sorted.isEmpty else { return nil }
        let position = min(max(q, 0), 1) * Double(sorted.count - 1)
        let lower = Int(position.rounded(.down))
        let upper = min(lower + 1, sorted.count - 1)
        let fraction = position - Double(lower)
        return sorted[lower] + (sorted[upper] - sorted[lower]) * fraction
    }

    /// The median of `values`.
    public static func median(_ values: [Double]) -> Double? { of(values, 0.5) }
}

/// What one run did, as "is this normal?" compares it: active time (paused time excluded), records
/// processed and records rejected.
public struct RunMeasure: Sendable, Hashable {
    /// The run.
    public var run: Int
    /// Seconds spent running (fetching, mapping, validating, uploading).
    public var duration: Double
    /// Records processed (every fetched record, whatever its outcome).
    public var records: Int
    /// Records rejected.
    public var rejected: Int

    /// Creates a measure.
    public init(run: Int, duration: Double, records: Int, rejected: Int) {
        self.run = run
        self.duration = duration
        self.records = records
        self.rejected = rejected
    }

    /// Records per second; nil before any time has passed.
    public var throughput: Double? { duration > 0 ? Double(records) / duration : nil }
    /// Rejected records per processed record; nil before any record.
    public var rejectRate: Double? { records > 0 ? Double(rejected) / Double(records) : nil }
}

/// The measures "is this normal?" looks at.
public enum Measure: String, Sendable, Hashable, CaseIterable {
    case duration, throughput, rejectRate

    /// Whether a high value is the bad direction (duration, reject rate) or a low one (throughput).
    public var higherIsWorse: Bool {
        switch self {
        case .duration, .rejectRate: true
        case .throughput: false
        }
    }

    /// The measure's value in `m`.
    public func value(_ m: RunMeasure) -> Double? {
        switch self {
        case .duration: m.duration
        case .throughput: m.throughput
        case .rejectRate: m.rejectRate
        }
    }
}

/// A job's history for one measure: median, 95th percentile (and 5th, the bad tail of throughput).
public struct Baseline: Sendable, Hashable {
    /// Past runs measured.
    public var runs: Int
    /// The median.
    public var median: Double
    /// The 95th percentile.
    public var p95: Double
    /// The 5th percentile.
    public var p05: Double
}

/// How one value compares with its history.
public enum Verdict: String, Sendable, Hashable {
    /// Within the usual range.
    case normal
    /// Beyond the 95th percentile in the bad direction (longer, slower, more rejections).
    case unusual
    /// Too few past runs to say.
    case noHistory = "no-history"
    /// There is history, but the run has not done enough yet to be judged (fewer records than the
    /// minimum, or throughput in its first 30 seconds): neither normal nor unusual.
    case tooEarly = "too-early"
}

/// One measure of the current run against its history.
public struct Comparison: Sendable, Hashable {
    /// Which measure.
    public var measure: Measure
    /// The current value (nil when not measurable yet).
    public var value: Double?
    /// The history, when there is enough of it.
    public var baseline: Baseline?
    /// The verdict.
    public var verdict: Verdict
}

/// "Is this normal?" for one run: each measure against the job's past completed runs.
public struct Normality: Sendable, Hashable {
    /// Duration, throughput and reject rate, in that order.
    public var comparisons: [Comparison]

    /// The comparison of `measure`.
    public func comparison(_ measure: Measure) -> Comparison? { comparisons.first { $0.measure == measure } }

    /// Whether any measure is unusual.
    public var isUnusual: Bool { comparisons.contains { $0.verdict == .unusual } }

    /// The unusual measures, in order.
    public var unusual: [Measure] { comparisons.filter { $0.verdict == .unusual }.map(\.measure) }
}

/// Judges runs against their job's history.
public enum NormalityJudge {
    /// Past runs needed before a verdict.
    public static let minimumHistory = 3

    /// The baseline of `measure` over `history`; nil with fewer than ``minimumHistory`` values.
    public static func baseline(_ measure: Measure, history: [RunMeasure]) -> Baseline? {
        let values = history.compactMap { measure.value($0) }
        guard values.count >= minimumHistory, let median = Quantile.median(values), let p95 = Quantile.of(values, 0.95),
            let p05 = Quantile.of(values, 0.05)
        else { return nil }
        return Baseline(runs: values.count, median: median, p95: p95, p05: p05)
    }

    /// Compares `current` with `history` (past completed runs of the same job and kind).
    ///
    /// A running run is judged on what it did so far: its duration is unusual once it already ran
    /// longer than the 95th percentile; throughput and reject rate are judged only after
    /// `minimumRecords` records so the first batch does not raise a false alarm.
    public static func judge(current: RunMeasure, history: [RunMeasure], running: Bool, minimumRecords: Int = 20) -> Normality {
        var out: [Comparison] = []
        for measure in Measure.allCases {
            let value = measure.value(current)
            let base = baseline(measure, history: history)
            var verdict = Verdict.noHistory
            if let base, let value {
                let enough = measure == .duration || current.records >= minimumRecords
                if !enough {
                    verdict = .tooEarly
                } else if measure.higherIsWorse {
                    verdict = value > base.p95 && value > base.median ? .unusual : .normal
                } else {
                    // Throughput: the bad tail is the slow one; a partial run counts only after some time.
                    verdict = running && current.duration < 30 ? .tooEarly : value >= base.p05 ? .normal : .unusual
                }
            }
            out.append(Comparison(measure: measure, value: value, baseline: base, verdict: verdict))
        }
        return Normality(comparisons: out)
    }
}
