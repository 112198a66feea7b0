import Foundation
import MapDSL
import Observe
import SyncEngine
import Testing

@Suite struct StatisticsTests {
    @Test func quantilesInterpolateBetweenRanks() {
        #expect(Quantile.median([3, 1, 2]) == 2)
        #expect(Quantile.median([1, 2, 3, 4]) == 2.5)
        #expect(Quantile.of([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21], 0.95) == 20)
        #expect(Quantile.of([], 0.5) == nil)
        #expect(Quantile.of([7], 0.95) == 7)
    }

    static func history(_ durations: [Double], records: Int = 1000, rejected: Int = 10) -> [RunMeasure] {
        durations.enumerated().map { RunMeasure(run: $0.offset + 1, duration: $0.element, records: records, rejected: rejected) }
    }

    @Test func aRunLongerThanP95IsUnusualAndATypicalOneIsNot() {
        let past = Self.history([100, 110, 95, 105, 120, 98, 102])
        let typical = NormalityJudge.judge(
            current: RunMeasure(run: 9, duration: 104, records: 1000, rejected: 9), history: past, running: false)
        #expect(!typical.isUnusual)
        #expect(typical.comparison(.duration)?.baseline?.median == 102)
        let long = NormalityJudge.judge(
            current: RunMeasure(run: 9, duration: 400, records: 1000, rejected: 9), history: past, running: false)
        #expect(long.unusual == [.duration, .throughput])
    }

    @Test func rejectRateAboveHistoryIsUnusualButOnlyAfterEnoughRecords() {
        let past = Self.history([100, 100, 100, 100], records: 1000, rejected: 10)
        let bad = NormalityJudge.judge(current: RunMeasure(run: 5, duration: 50, records: 500, rejected: 100), history: past, running: true)
        #expect(bad.comparison(.rejectRate)?.verdict == .unusual)
        let early = NormalityJudge.judge(current: RunMeasure(run: 5, duration: 1, records: 3, rejected: 2), history: past, running: true)
        #expect(early.comparison(.rejectRate)?.verdict == .tooEarly)
    }

    /// "normal" is a verdict: before a run has done enough to be judged (fewer records than the
    /// minimum, throughput in its first 30 seconds), it is "too early", never "normal".
    @Test func normalIsNotShownBeforeTheRunCanBeJudged() {
        let past = Self.history([100, 100, 100, 100], records: 1000, rejected: 10)
        let early = NormalityJudge.judge(current: RunMeasure(run: 5, duration: 10, records: 5, rejected: 0), history: past, running: true)
        #expect(early.comparison(.throughput)?.verdict == .tooEarly)
        #expect(early.comparison(.rejectRate)?.verdict == .tooEarly)
        #expect(early.comparison(.duration)?.verdict == .normal)
        var s = JobSnapshot(
            job: "j", spec: nil, run: nil, counts: [:], measure: nil, history: past, progress: nil, normality: early,
            wedge: .idle(threshold: 300), mapping: nil, totals: [:])
        #expect(DashboardPages.normalCellText(s) == "too early to tell")
        s.normality = NormalityJudge.judge(
            current: RunMeasure(run: 5, duration: 100, records: 1000, rejected: 10), history: past, running: false)
        #expect(DashboardPages.normalCellText(s) == "normal")
        s.history = []
        s.normality = NormalityJudge.judge(
            current: RunMeasure(run: 5, duration: 100, records: 1000, rejected: 10), history: [], running: false)
        #expect(DashboardPages.normalCellText(s) == "no history yet (0 of 3 runs)")
    }

    @Test func tooLittleHistoryGivesNoVerdict() {
        let n = NormalityJudge.judge(
            current: RunMeasure(run: 3, duration: 9999, records: 1, rejected: 1), history: Self.history([1, 2]), running: false)
        #expect(n.comparisons.allSatisfy { $0.verdict == .noHistory })
    }

    /// The run projection counts time in running phases only: paused stretches are left out.
    @Test func activeTimeExcludesPausedStretches() throws {
        let store = try EventStore(path: ":memory:")
        func at(_ mmss: String) -> String { "2026-01-01T00:\(mmss).000Z" }
        let run = try store.createRun(job: "j", info: ["kind": "sync"], at: at("00:00"))
        for (phase, time) in [
            (JobPhase.fetching, "00:00"), (.mapping, "00:30"), (.validating, "00:40"), (.uploading, "01:00"), (.paused, "02:00"),
            (.uploading, "32:00"), (.completed, "33:00"),
        ] {
            try store.transition(run: run, to: JobState(phase), at: at(time))
        }
        let stats = try #require(try store.read { try $0.runStats(run: run) })
        #expect(stats.activeSecondsSoFar == 180)
        #expect(stats.activeSeconds(at: Date.distantFuture) == 180, "a completed run's time does not grow")
        #expect(stats.phase == "completed" && stats.endedAt == at("33:00"))
    }

    @Test func progressEstimatesEtaFromTheMedianSizeOfPastRuns() {
        let past = Self.history([100, 100, 100], records: 1000)
        let p = RunProgress.of(RunMeasure(run: 4, duration: 50, records: 500, rejected: 0), history: past, running: true)
        #expect(p.expected == 1000)
        #expect(p.rate == 10)
        #expect(p.eta == 50)
        #expect(p.fraction == 0.5)
    }
}
