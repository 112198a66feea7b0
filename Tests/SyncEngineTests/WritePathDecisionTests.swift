import MapDSL
import Testing

@testable import SyncEngine

/// The write path's choice and the bulk poll's waits, as pure functions.
@Suite struct WritePathDecisionTests {
    static let limits = BulkLimits(
        name: "Bulk API 2.0", style: .createThenUpload, maxRecords: 100_000, maxUploadBytes: 100_000_000, internalBatch: 10_000,
        dailyBatches: 15_000)

    func decide(
        _ settings: BulkSettings = BulkSettings(), override: WritePathChoice? = nil, limits: BulkLimits? = limits, refusal: String? = nil,
        expected: Int?, flush: Bool = false, used: Int = 0
    ) -> WritePathDecision {
        WritePathDecision.decide(
            settings: settings, override: override, limits: limits, refusal: refusal, expected: expected, flushEachPage: flush,
            batchesUsed: used)
    }

    @Test func thresholdDecidesWhenTheSizeIsKnown() {
        #expect(decide(expected: 1999).bulk == false)
        #expect(decide(expected: 2000).bulk == true)
        #expect(decide(expected: 2000).jobRecords == 100_000)
        #expect(decide(expected: 100).reason.contains("below the bulk threshold of 2000"))
    }

    @Test func unknownSizeIsDecidedLater() {
        let d = decide(expected: nil)
        #expect(d.deferred && !d.bulk)
        var forced = BulkSettings()
        forced.use = .bulk
        #expect(decide(forced, expected: nil).bulk)
        #expect(!decide(forced, override: .rest, expected: nil).bulk)
        #expect(decide(forced, override: .rest, expected: nil).reason.contains("the command line says `rest`"))
    }

    @Test func restWhenBulkCannotServe() {
        #expect(decide(limits: nil, expected: 50_000).reason.contains("no bulk API"))
        #expect(decide(refusal: "no key", expected: 50_000).reason.contains("no key"))
        #expect(decide(expected: 50_000, flush: true).bulk == false)
        // 14,996 internal batches used, 5 needed for 50,000 records.
        #expect(decide(expected: 50_000, used: 14_996).reason.contains("daily allocation"))
        #expect(decide(expected: 50_000, used: 14_995).bulk)
    }

    @Test func jobSizeIsCappedByThePlatform() {
        var s = BulkSettings()
        s.jobRecords = 500_000
        #expect(decide(s, expected: 1_000_000).jobRecords == 100_000)
        s.jobRecords = 5000
        #expect(decide(s, expected: 1_000_000).jobRecords == 5000)
    }

    @Test func pollWaitsGrowToTheCap() {
        let waits = (1...12).map { BulkPoll.delay(poll: $0, cap: 15, unit: 0.5) }
        #expect(waits.first == 1)
        #expect(zip(waits, waits.dropFirst()).allSatisfy { $0 <= $1 })
        #expect(waits.last == 15)
        #expect(BulkPoll.delay(poll: 1, cap: 15, unit: 0) == 0.9)
    }

    @Test func settingsAreChecked() throws {
        let ok = try BulkSettings.parse(["use": "rest", "threshold": 10, "jobRecords": 20, "pollSeconds": 2], path: "j")
        #expect(ok.use == .rest && ok.threshold == 10 && ok.jobRecords == 20 && ok.pollSeconds == 2)
        #expect(throws: JobError.self) { try BulkSettings.parse(["size": 1], path: "j") }
        #expect(throws: JobError.self) { try BulkSettings.parse(["pollSeconds": 0], path: "j") }
        #expect(throws: JobError.self) { try BulkSettings.parse("bulk", path: "j") }
        #expect(try BulkSettings.parse(nil, path: "j") == BulkSettings())
    }
}
