import Foundation
import MapDSL
import SyncEngine
import Testing

@Suite struct RunWaitTests {
    /// 2026-12-05T05:40:00Z.
    static let now = Date(timeIntervalSince1970: 1_796_449_200)

    static func running(waitingFor what: String, until: String) throws -> (EventStore, RunSummary) {
        let store = try EventStore(path: ":memory:")
        let run = try store.createRun(job: "people", info: .object([("mappingVersion", "v1")]), at: "t")
        try store.transition(run: run, to: JobState(.fetching, page: 1), at: "t")
        try store.append(run: run, type: "waiting", payload: ["for": .string(what), "seconds": 30, "until": .string(until)], at: "t")
        return (store, try #require(try store.run(run)))
    }

    @Test func aRunningRunShowsTheWaitItAnnouncedUntilItIsOver() throws {
        let (store, run) = try Self.running(waitingFor: "salesforce rate limit", until: "2026-12-05T05:40:12.300Z")
        let wait = try #require(try RunWait.current(store: store, run: run, job: nil, now: Self.now))
        #expect(wait.text(now: Self.now) == "waiting for salesforce rate limit until 05:40:13 UTC (cancel to stop)")
        // Once the time has passed, the run is no longer shown waiting.
        #expect(try RunWait.current(store: store, run: run, job: nil, now: Self.now.addingTimeInterval(13)) == nil)
    }

    @Test func longWaitsNameTheMinuteAndWaitsBeyondADayTheDate() throws {
        let (store, run) = try Self.running(waitingFor: "salesforce daily allocation", until: "2026-12-06T00:00:00.000Z")
        let wait = try #require(try RunWait.current(store: store, run: run, job: nil, now: Self.now))
        #expect(wait.text(now: Self.now) == "waiting for salesforce daily allocation until 00:00 UTC (cancel to stop)")
        #expect(
            wait.text(now: Self.now.addingTimeInterval(-86_400))
                == "waiting for salesforce daily allocation until 2026-12-06 00:00 UTC (cancel to stop)")
    }

    @Test func aFinishedRunWaitsForNothing() throws {
        let (store, run) = try Self.running(waitingFor: "x", until: "2026-12-05T06:00:00.000Z")
        try store.transition(run: run.id, to: JobState(.cancelled, reason: "cancelled by operator"), at: "t")
        #expect(try RunWait.current(store: store, run: try #require(try store.run(run.id)), job: nil, now: Self.now) == nil)
    }

    @Test func aQuotaPauseWithAutoResumeWaitsForTheReset() throws {
        let f = try AutoResumeTests.pausedForQuota(autoResume: true)
        let run = try #require(try f.store.latestRun(job: "people"))
        // Six hours before the (far-future) reset of AutoResumeTests.
        let now = AutoResumeTests.reset.addingTimeInterval(-6 * 3600)
        let wait = try #require(try RunWait.current(store: f.store, run: run, job: f.job, now: now))
        #expect(
            wait.text(now: now)
                == "waiting for salesforce daily API allocation until 00:01 UTC, then resumes by itself (autoResume; cancel to stop)")
        // Without autoResume the pause is only a pause (its reason names the reset).
        let plain = try AutoResumeTests.pausedForQuota(autoResume: nil)
        let paused = try #require(try plain.store.latestRun(job: "people"))
        #expect(try RunWait.current(store: plain.store, run: paused, job: plain.job, now: now) == nil)
    }
}
