import Foundation
import MapDSL
import SyncEngine
import Testing

/// A destination whose writes go through a real rate limiter first, as an HTTP adapter's do.
final class LimitedPlatform: PlatformAdapter, @unchecked Sendable {
    let inner: FakePlatform
    let limiter: RateLimiter

    init(_ inner: FakePlatform, limiter: RateLimiter) {
        self.inner = inner
        self.limiter = limiter
    }

    var platform: String { inner.platform }
    func limits(object: String, mode: WriteMode) -> AdapterLimits { inner.limits(object: object, mode: mode) }
    func describe(object: String) throws -> Schema { try inner.describe(object: object) }
    func fetch(_ request: FetchRequest) throws -> SourcePage { try inner.fetch(request) }
    func find(object: String, field: String, value: String) throws -> JSONValue? {
        try inner.find(object: object, field: field, value: value)
    }
    func write(_ request: WriteRequest) throws -> [WriteResult] {
        let permit = try limiter.acquire(method: "POST", path: "/records")
        defer { limiter.complete(permit) }
        return try inner.write(request)
    }
}

/// `autoResume` and the rate limiter's hold for a used-up quota: a run that meets the hold pauses
/// for the quota (resumed by itself after the hold), never for failures or for waits.
@Suite struct AutoResumeHoldTests {
    static let quota = "salesforce daily API allocation"

    /// The limiter's clock starts well after every event's wall-clock time, so the hold, not the
    /// minute after the pause, decides when the run resumes.
    static let start = Date(timeIntervalSince1970: 1_900_000_000)

    @Test func aResumedRunMeetingTheLimitersQuotaHoldPausesForTheQuotaNotForFailures() throws {
        var f = try SyncRunnerTests.Fixture(records: 5)
        var raw = f.job.raw.objectValue ?? []
        raw.append(("autoResume", ["marginSeconds": 60, "unknownResetSeconds": 600]))
        f.job = try JobSpec.parse(.object(raw), name: "people", path: "people.json")
        let clock = ManualLimiterClock(start: Self.start)
        let limiter = RateLimiter(
            registry: RateLimitRegistry(platform: "fakedst", endpoints: [EndpointRule(name: "default", bucket: "org")]), clock: clock,
            windowStore: f.store)
        // An earlier run was told the quota is used up (no reset named): the limiter holds the
        // bucket for the job's unknownResetSeconds, kept in the store.
        let permit = try limiter.acquire(method: "POST", path: "/records")
        var feedback = LimitFeedback(throttled: true, retryAfter: 600)
        feedback.exhaustedQuota = Self.quota
        limiter.complete(permit, feedback: feedback)
        let holdEnd = Self.start.addingTimeInterval(600)

        // A run started (or resumed by an operator) before the hold ends pauses for the quota, at
        // once: no rate-limit waits, no retries.
        let destination = LimitedPlatform(f.destination, limiter: limiter)
        clock.advance(120)
        let runner = SyncRunner(
            job: f.job, mapping: f.mapping, version: "v1", source: f.source, destination: destination, store: f.store, clock: f.clock)
        #expect(throws: SyncStopped.self) { try runner.start() }
        let run = try #require(try f.store.latestRun(job: "people"))
        #expect(run.state.phase == .paused)
        let events = try f.store.events(run: run.id)
        #expect(!events.contains { ["rate_limited", "retry", "waiting"].contains($0.type) })
        let paused = try #require(events.last { $0.type == "quota_exhausted" })
        #expect(paused.payload["quota"]?.stringValue == Self.quota)
        #expect(paused.payload["resetsAt"]?.stringValue == "2030-03-17T17:56:40.000Z")
        #expect(f.clock.slept.isEmpty && clock.sleeps.isEmpty)
        #expect(f.destination.stored.isEmpty)

        // autoResume resumes it after the hold's end (plus the margin), not before, and it completes.
        let pending = try #require(try AutoResume.pending(store: f.store, job: f.job))
        #expect(pending.resetsAt == holdEnd && pending.dueAt == holdEnd.addingTimeInterval(60))
        let (job, fixture) = (f.job, f)
        let resumer = AutoResumer(store: f.store, jobs: { [job] }) { _ in
            var options = SyncOptions.autoResumed
            options.pipelineUploads = false
            return try SyncRunner(
                job: job, mapping: fixture.mapping, version: "v1", source: fixture.source, destination: destination,
                store: fixture.store, clock: fixture.clock, options: options
            ).resume()
        }
        #expect(try resumer.tick(now: holdEnd.addingTimeInterval(59)).isEmpty)
        clock.advance(600 - 120 + 60)
        let outcomes = try resumer.tick(now: holdEnd.addingTimeInterval(60))
        #expect(outcomes.count == 1 && outcomes.first?.summary?.state.phase == .completed, "\(outcomes.map(\.error))")
        #expect(f.destination.stored.count == 5)
        #expect(clock.sleeps.isEmpty)
    }
}
