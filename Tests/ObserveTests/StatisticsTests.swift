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
        #expect(early.comparison(.rejectRate)?.verdict == .normal)
    }

    @Test func tooLittleHistoryGivesNoVerdict() {
        let n = NormalityJudge.judge(
            current: RunMeasure(run: 3, duration: 9999, records: 1, rejected: 1), history: Self.history([1, 2]), running: false)
        #expect(n.comparisons.allSatisfy { $0.verdict == .noHistory })
    }

    @Test func activeTimeExcludesPausedStretches() {
        func at(_ mmss: String) -> Date { Timestamps.parse("2026-01-01T00:\(mmss)Z")! }
        let transitions: [(to: JobPhase, at: Date)] = [
            (.fetching, at("00:00")), (.uploading, at("01:00")), (.paused, at("02:00")), (.uploading, at("32:00")),
            (.completed, at("33:00")),
        ]
        let seconds = RunMeasurer.activeSeconds(transitions: transitions, startedAt: at("00:00"), now: Date.distantFuture)
        #expect(seconds == 180)
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
