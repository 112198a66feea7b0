import Foundation
import MapDSL
import SyncEngine
import Testing

@Suite struct AutoResumeTests {
    /// 2036-12-06T00:00:00Z: far ahead, because the pause itself is stamped with the real clock and
    /// autoResume never resumes sooner than a minute after the pause (a reset in the past would make
    /// the due time follow the clock, not the reset).
    static let reset = Date(timeIntervalSince1970: 2_112_134_400)

    /// A job with `autoResume` (as given) whose destination's daily allocation is used up at the
    /// first batch: the run is paused for the quota.
    static func pausedForQuota(autoResume: JSONValue?, resetsAt: Date? = reset) throws -> SyncRunnerTests.Fixture {
        var f = try SyncRunnerTests.Fixture(records: 5)
        var raw = f.job.raw.objectValue ?? []
        if let autoResume { raw.append(("autoResume", autoResume)) }
        f.job = try JobSpec.parse(.object(raw), name: "people", path: "people.json")
        f.destination.writeFailures = [
            .quotaExhausted(
                QuotaExhaustion(
                    quota: "salesforce daily API allocation", resetsAt: resetsAt,
                    message: "REQUEST_LIMIT_EXCEEDED: TotalRequests Limit exceeded."))
        ]
        #expect(throws: SyncStopped.self) { try f.runner().start() }
        #expect(try f.store.latestRun(job: "people")?.state.phase == .paused)
        return f
    }

    static func resumer(_ f: SyncRunnerTests.Fixture) -> AutoResumer {
        let job = f.job
        return AutoResumer(store: f.store, jobs: { [job] }) { _ in try f.runner(SyncOptions.autoResumed).resume() }
    }

    @Test func aQuotaPauseResumesByItselfOnceTheResetHasPassed() throws {
        let f = try Self.pausedForQuota(autoResume: true)
        let resumer = Self.resumer(f)
        // Before the reset (and within the minute's margin after it): nothing happens.
        #expect(try resumer.tick(now: Self.reset.addingTimeInterval(-3600)).isEmpty)
        #expect(try resumer.tick(now: Self.reset.addingTimeInterval(59)).isEmpty)
        #expect(try f.store.latestRun(job: "people")?.state.phase == .paused)
        let pending = try #require(try AutoResume.pending(store: f.store, job: f.job))
        #expect(pending.dueAt == Self.reset.addingTimeInterval(60))
        #expect(pending.reason == "after the salesforce daily API allocation reset (2036-12-06 00:00 UTC)")
        // After it: the run resumes and completes, and its events say it was resumed automatically.
        let outcomes = try resumer.tick(now: Self.reset.addingTimeInterval(61))
        #expect(outcomes.count == 1)
        #expect(outcomes.first?.summary?.state.phase == .completed)
        #expect(f.destination.stored.count == 5)
        let run = try #require(try f.store.latestRun(job: "people"))
        let events = try f.store.events(run: run.id)
        let auto = try #require(events.first { $0.type == "auto_resume" })
        #expect(auto.payload["quota"]?.stringValue == "salesforce daily API allocation")
        #expect(auto.payload["resetsAt"]?.stringValue == "2036-12-06T00:00:00.000Z")
        let resumed = try #require(events.first { $0.type == "resumed" })
        #expect(resumed.seq > auto.seq)
        #expect(resumed.payload["by"]?.stringValue == "autoResume" && resumed.payload["identity"]?.stringValue == "system")
        // Nothing left to resume.
        #expect(try resumer.tick(now: Self.reset.addingTimeInterval(7200)).isEmpty)
    }

    @Test func aJobWithoutAutoResumeStaysPaused() throws {
        for setting: JSONValue? in [nil, false] {
            let f = try Self.pausedForQuota(autoResume: setting)
            #expect(try Self.resumer(f).tick(now: Self.reset.addingTimeInterval(86_400)).isEmpty)
            #expect(try f.store.latestRun(job: "people")?.state.phase == .paused)
        }
    }

    @Test func aPauseForAnythingButAQuotaWaitsForAnOperator() throws {
        var f = try SyncRunnerTests.Fixture(records: 5)
        var raw = f.job.raw.objectValue ?? []
        raw.append(("autoResume", true))
        f.job = try JobSpec.parse(.object(raw), name: "people", path: "people.json")
        f.destination.writeFailures = Array(repeating: .transient("HTTP 503"), count: 3)
        var sequential = SyncOptions()
        sequential.pipelineUploads = false
        #expect(throws: SyncStopped.self) { try f.runner(sequential).start() }
        #expect(try f.store.latestRun(job: "people")?.state.phase == .paused)
        #expect(try AutoResume.pending(store: f.store, job: f.job) == nil)
        #expect(try Self.resumer(f).tick(now: Self.reset.addingTimeInterval(86_400)).isEmpty)
    }

    @Test func anUnknownResetResumesAfterTheUnknownResetDelay() throws {
        let f = try Self.pausedForQuota(autoResume: ["unknownResetSeconds": 600], resetsAt: nil)
        let pending = try #require(try AutoResume.pending(store: f.store, job: f.job))
        // The pause was recorded at the test clock's 2026-11-25T00:00:00Z.
        let pausedAt = Date(timeIntervalSince1970: 1_795_564_800)
        #expect(pending.dueAt == pausedAt.addingTimeInterval(600))
        #expect(try Self.resumer(f).tick(now: pausedAt.addingTimeInterval(599)).isEmpty)
        #expect(try Self.resumer(f).tick(now: pausedAt.addingTimeInterval(600)).first?.summary?.state.phase == .completed)
    }

    @Test func aPauseIsResumedOnceEvenWhenTheResumeIsRefused() throws {
        let f = try Self.pausedForQuota(autoResume: ["marginSeconds": 0])
        let job = f.job
        let refusing = AutoResumer(store: f.store, jobs: { [job] }) { _ in throw JobError("the mapping changed since run 1 started") }
        let first = try refusing.tick(now: Self.reset)
        #expect(first.first?.error == "the mapping changed since run 1 started")
        #expect(try refusing.tick(now: Self.reset.addingTimeInterval(60)).isEmpty)
        #expect(try f.store.latestRun(job: "people")?.state.phase == .paused)
    }

    @Test func aResetAlreadyPastResumesNoSoonerThanAMinuteAfterThePause() throws {
        // The platform named a reset before the pause (a wrong estimate): no resume-pause loop.
        let pausedAt = Date(timeIntervalSince1970: 1_795_564_800)  // the test clock's time
        let f = try Self.pausedForQuota(autoResume: ["marginSeconds": 0], resetsAt: pausedAt.addingTimeInterval(-3600))
        let pending = try #require(try AutoResume.pending(store: f.store, job: f.job))
        #expect(pending.dueAt == pausedAt.addingTimeInterval(60))
        #expect(try Self.resumer(f).tick(now: pausedAt.addingTimeInterval(59)).isEmpty)
    }

    @Test func badAutoResumeSettingsAreRefusedWhenTheJobLoads() throws {
        let base: [(String, JSONValue)] = [
            ("source", ["platform": "fake", "object": "person"]), ("destination", ["platform": "fakedst", "object": "lead"]),
            ("mapping", "m.map"),
        ]
        func error(_ value: JSONValue) -> String {
            do {
                _ = try JobSpec.parse(.object(base + [("autoResume", value)]), name: "j", path: "jobs/j.json")
                return "accepted"
            } catch {
                return "\(error)"
            }
        }
        #expect(
            error("yes")
                == "jobs/j.json: `autoResume` must be true, false, or an object with `marginSeconds` and `unknownResetSeconds`, not \"yes\""
        )
        #expect(
            error(["marginSecond": 5])
                == "jobs/j.json: `autoResume` has no setting `marginSecond` (did you mean `marginSeconds`?); it has `marginSeconds` and `unknownResetSeconds`"
        )
        #expect(
            error(["marginSeconds": -1]) == "jobs/j.json: `autoResume.marginSeconds` must be a whole number of seconds from 0 to 172800")
        #expect(error(["unknownResetSeconds": 1e9]).contains("`autoResume.unknownResetSeconds` must be a whole number"))
        #expect(error(true) == "accepted" && error(false) == "accepted" && error(["marginSeconds": 0]) == "accepted")
    }
}
