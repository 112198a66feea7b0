import Foundation
import MapDSL
import SyncEngine
import TestSupport
import Testing

@Suite struct SyncRunnerTests {
    static let src = Schema(
        platform: "fake", object: "person",
        fields: [Field(name: "id", type: .id), Field(name: "email", type: .string), Field(name: "name", type: .string)])
    static let dst = Schema(
        platform: "fakedst", object: "lead",
        fields: [
            Field(name: "Email", type: .string, format: .email), Field(name: "Name", type: .string, nullable: false, required: true),
            Field(name: "Ref", type: .string, unique: true, externalId: true),
        ])
    static let mappingText = """
        mapping fake.person -> fakedst.lead
        key Ref
        skip when blank(email)

        Ref   = id
        Email = lower(trim(email))
        Name  = name ?? "Unknown"
        """

    struct Fixture {
        let source = FakePlatform(platform: "fake")
        let destination = FakePlatform(platform: "fakedst")
        let store: EventStore
        let mapping: CompiledMapping
        let clock = TestClock()
        var job: JobSpec

        init(records: Int, storePath: String = ":memory:") throws {
            store = try EventStore(path: storePath)
            mapping = try Compiler.compile(
                SourceText(path: "m.map", text: SyncRunnerTests.mappingText),
                schemas: InMemorySchemas([SyncRunnerTests.src, SyncRunnerTests.dst]))
            job = try JobSpec.parse(
                [
                    "source": ["platform": "fake", "object": "person"], "destination": ["platform": "fakedst", "object": "lead"],
                    "mapping": "m.map", "pageSize": 4, "retries": 3,
                ], name: "people", path: "people.json")
            source.sourceRecords = (1...records).map { i in
                SourceRecord(
                    id: "p\(i)",
                    fields: [
                        "id": .string("p\(i)"), "email": i % 10 == 0 ? "" : .string(" P\(i)@Example.com "), "name": .string("Person \(i)"),
                    ])
            }
        }

        func runner(_ options: SyncOptions = SyncOptions()) -> SyncRunner {
            SyncRunner(
                job: job, mapping: mapping, version: "v1", source: source, destination: destination, store: store, clock: clock,
                options: options)
        }
    }

    @Test(arguments: StoreKind.all) func fullRunDeliversEveryRecordOnceAndAccountsForAll(store kind: StoreKind) throws {
        let f = try Fixture(records: 25, storePath: try kind.location())
        let summary = try f.runner().start()
        #expect(summary.state.phase == .completed)
        #expect(f.destination.stored.count == 23)  // 2 of 25 have blank emails
        #expect(f.destination.writes.values.allSatisfy { $0 == 1 })
        let counts = try f.store.statusCounts(job: "people", run: summary.id)
        #expect(counts["created"] == 23 && counts["skipped"] == 2)
        #expect(try f.store.replayState(run: summary.id).phase == .completed)
        let events = try f.store.events(run: summary.id)
        #expect(events.filter { $0.type == "checkpoint" }.count == 7)
        #expect(events.filter { $0.type == "batch_acked" }.count == events.filter { $0.type == "batch_sending" }.count)
        #expect(f.destination.stored["p3"]?["Email"] == "p3@example.com")
    }

    @Test(arguments: StoreKind.all) func rerunSendsOnlyChangedRecordsAndFullSendsAll(store kind: StoreKind) throws {
        let f = try Fixture(records: 12, storePath: try kind.location())
        try f.runner().start()
        let second = try f.runner().start()
        #expect(try f.store.statusCounts(job: "people", run: second.id)["unchanged"] == 11)
        f.source.sourceRecords[2].fields = ["id": "p3", "email": "new@example.com", "name": "Changed"]
        let third = try f.runner().start()
        let c3 = try f.store.statusCounts(job: "people", run: third.id)
        #expect(c3["updated"] == 1 && c3["unchanged"] == 10)
        var full = SyncOptions()
        full.full = true
        let fourth = try f.runner(full).start()
        #expect(try f.store.statusCounts(job: "people", run: fourth.id)["updated"] == 11)
    }

    @Test(arguments: StoreKind.all) func transientFailuresRetryThenPauseWithAReasonAndResumeCompletes(store kind: StoreKind) throws {
        let f = try Fixture(records: 10, storePath: try kind.location())
        f.destination.writeFailures = Array(repeating: .transient("HTTP 503 Service Unavailable"), count: 3)
        // One batch at a time, so the three failures are three attempts of the same batch.
        var sequential = SyncOptions()
        sequential.pipelineUploads = false
        #expect(throws: SyncStopped.self) { try f.runner(sequential).start() }
        let run = try #require(try f.store.latestRun(job: "people"))
        #expect(run.state.phase == .paused)
        #expect(run.state.reason?.contains("paused in uploading batch 1: failed 3 times") == true)
        #expect(run.state.reason?.contains("HTTP 503") == true)
        // Backoff between the attempts: two waits, each recorded (and sliced for cancel checks).
        #expect(try Self.waits(f.store, run.id).count == 2)
        #expect(abs(f.clock.slept.reduce(0, +) - (try Self.waits(f.store, run.id).reduce(0, +))) < 1e-9)
        let resumed = try f.runner().resume()
        #expect(resumed.state.phase == .completed)
        #expect(f.destination.stored.count == 9)
        #expect(f.destination.writes.values.allSatisfy { $0 == 1 })
    }

    @Test(arguments: StoreKind.all) func rateLimitsAreWaitedOutWithoutCountingAsFailures(store kind: StoreKind) throws {
        let f = try Fixture(records: 5, storePath: try kind.location())
        f.destination.writeFailures = [.rateLimited(retryAfter: 2, message: "429"), .rateLimited(retryAfter: 3, message: "429")]
        let s = try f.runner().start()
        #expect(s.state.phase == .completed)
        #expect(try Self.waits(f.store, s.id) == [2, 3])
        #expect(f.clock.slept.reduce(0, +) == 5)
        #expect(f.clock.slept.allSatisfy { $0 <= 0.25 })
        let waiting = try f.store.events(run: s.id).filter { $0.type == "waiting" }
        #expect(waiting.first?.payload["for"]?.stringValue == "fakedst rate limit")
    }

    /// The seconds of the run's `waiting` events, in order.
    static func waits(_ store: EventStore, _ run: Int) throws -> [Double] {
        try store.events(run: run).filter { $0.type == "waiting" }.compactMap { $0.payload["seconds"]?.doubleValue }
    }

    @Test func quotaExhaustionPausesAtOnceNamingTheQuotaAndItsResetInUTC() throws {
        let f = try Fixture(records: 5)
        // 2026-12-06T00:00:00Z
        let reset = Date(timeIntervalSince1970: 1_796_515_200)
        f.destination.writeFailures = [
            .quotaExhausted(
                QuotaExhaustion(
                    quota: "salesforce daily API allocation", resetsAt: reset,
                    message: "REQUEST_LIMIT_EXCEEDED: TotalRequests Limit exceeded."))
        ]
        #expect(throws: SyncStopped.self) { try f.runner().start() }
        let run = try #require(try f.store.latestRun(job: "people"))
        #expect(run.state.phase == .paused)
        #expect(
            run.state.reason == "salesforce daily API allocation used up; resets 2026-12-06 00:00 UTC (in uploading batch 1)")
        // No waiting at all: the pause is immediate.
        #expect(f.clock.slept.isEmpty)
        let event = try #require(try f.store.events(run: run.id).first { $0.type == "quota_exhausted" })
        #expect(event.payload["quota"]?.stringValue == "salesforce daily API allocation")
        #expect(event.payload["resetsAt"]?.stringValue == "2026-12-06T00:00:00.000Z")
        // Resumed after the reset, the run completes.
        let resumed = try f.runner().resume()
        #expect(resumed.state.phase == .completed)
    }

    @Test func cancelDuringARateLimitWaitEndsTheRunWithinASecond() throws {
        let f = try Fixture(records: 5)
        f.destination.writeFailures = [.rateLimited(retryAfter: 300, message: "429 Too Many Requests")]
        let store = f.store
        var asked = false
        f.clock.onSleep = { _ in
            guard !asked else { return }
            asked = true
            // The operator runs `mapc cancel` while the run waits: the running process is asked.
            _ = try? Operations.cancel(store: store, job: "people", by: "ops", at: "t")
        }
        var sequential = SyncOptions()
        sequential.pipelineUploads = false
        #expect(throws: SyncStopped.self) { try f.runner(sequential).start() }
        let run = try #require(try f.store.latestRun(job: "people"))
        #expect(run.state.phase == .cancelled)
        #expect(asked)
        // Waited at most one slice after the request, not the 300 s.
        #expect(f.clock.slept.reduce(0, +) <= 0.5, "\(f.clock.slept)")
        let waiting = try #require(try f.store.events(run: run.id).first { $0.type == "waiting" })
        #expect(waiting.payload["until"]?.stringValue != nil && waiting.payload["seconds"]?.doubleValue == 300)
    }

    @Test func cancelDuringABackoffEndsTheRunWithinASecond() throws {
        let f = try Fixture(records: 5)
        f.destination.writeFailures = [.transient("HTTP 503")]
        var options = SyncOptions()
        options.pipelineUploads = false
        options.backoff = Backoff(base: 60, cap: 60)
        let store = f.store
        f.clock.onSleep = { _ in _ = try? Operations.cancel(store: store, job: "people", by: "ops", at: "t") }
        #expect(throws: SyncStopped.self) { try f.runner(options).start() }
        #expect(try f.store.latestRun(job: "people")?.state.phase == .cancelled)
        #expect(f.clock.slept.reduce(0, +) <= 0.5, "\(f.clock.slept)")
    }

    /// A limiter clock that runs `onSleep` at each wait (the operator acts "during" it).
    final class ActingLimiterClock: LimiterClock, @unchecked Sendable {
        let base = ManualLimiterClock()
        var onSleep: () -> Void = {}
        func now() -> Date { base.now() }
        func sleep(seconds: Double) {
            onSleep()
            base.sleep(seconds: seconds)
        }
    }

    @Test func cancelDuringAWaitInsideTheAdapterEndsTheRunWithinASecond() throws {
        let f = try Fixture(records: 5)
        let watch = WaitWatch()
        let clock = ActingLimiterClock()
        f.destination.waitBeforeWrite = (watch, 120, clock)
        let store = f.store
        var cancels = 0
        clock.onSleep = {
            cancels += 1
            if cancels == 1 { _ = try? Operations.cancel(store: store, job: "people", by: "ops", at: "t") }
        }
        var options = SyncOptions()
        options.pipelineUploads = false
        options.waits = watch
        #expect(throws: SyncStopped.self) { try f.runner(options).start() }
        let run = try #require(try f.store.latestRun(job: "people"))
        #expect(run.state.phase == .cancelled)
        // The adapter's 120 s wait was announced as the run's, and cut after one slice.
        let waiting = try #require(try f.store.events(run: run.id).first { $0.type == "waiting" })
        #expect(waiting.payload["for"]?.stringValue == "fakedst Retry-After" && waiting.payload["seconds"]?.doubleValue == 120)
        #expect(waiting.payload["in"]?.stringValue == "adapter")
        #expect(clock.base.totalSlept <= WaitWatch.slice, "\(clock.base.sleeps)")
        // Nothing was written, and no retry attempt was made after the cancel.
        #expect(f.destination.stored.isEmpty)
        #expect(try f.store.events(run: run.id).filter { $0.type == "retry" }.isEmpty)
    }

    @Test(arguments: StoreKind.all) func fatalErrorsFailTheRun(store kind: StoreKind) throws {
        let f = try Fixture(records: 5, storePath: try kind.location())
        f.source.fetchFailures = [.fatal("HTTP 401 invalid token")]
        #expect(throws: SyncStopped.self) { try f.runner().start() }
        let run = try #require(try f.store.latestRun(job: "people"))
        #expect(run.state.phase == .failed)
        #expect(run.state.reason == "failed in fetching page 1: HTTP 401 invalid token")
    }

    @Test(arguments: StoreKind.all) func rejectionsBecomeDeadLettersAndFixPlusRetryDeliversThem(store kind: StoreKind) throws {
        let f = try Fixture(records: 8, storePath: try kind.location())
        f.destination.reject = { r in
            r.fields["Email"] == "p5@example.com" ? ("INVALID_EMAIL_ADDRESS", "Email: invalid email address: p5@example.com", "Email") : nil
        }
        let s = try f.runner().start()
        #expect(s.state.phase == .completed)
        let failed = try f.store.records(job: "people", status: "rejected")
        #expect(failed.map(\.key) == ["p5"])
        #expect(failed[0].errorCode == "INVALID_EMAIL_ADDRESS" && failed[0].field == "Email")
        _ = try Operations.fix(store: f.store, job: "people", key: "p5", field: "Email", value: "fixed@example.com", by: "ops", at: "t")
        f.destination.reject = { _ in nil }
        let retry = try f.runner().retryRejected()
        #expect(retry.state.phase == .completed)
        #expect(f.destination.stored["p5"]?["Email"] == "fixed@example.com")
        #expect(try f.store.records(job: "people", status: "rejected").isEmpty)
        let history = try f.store.recordEvents(job: "people", key: "p5").map(\.kind)
        #expect(history == ["fetched", "sent", "result", "fixed", "fetched", "sent", "result", "fix_applied"])
    }

    @Test(arguments: StoreKind.all) func aBatchSentButNotAcknowledgedIsReconciledOnResume(store kind: StoreKind) throws {
        let f = try Fixture(records: 10, storePath: try kind.location())
        f.destination.dieAfterWriteCall = 2
        var sequential = SyncOptions()
        sequential.pipelineUploads = false
        #expect(throws: (any Error).self) { try f.runner(sequential).start() }
        let run = try #require(try f.store.latestRun(job: "people"))
        #expect(run.state.phase == .uploading)
        f.destination.dieAfterWriteCall = nil
        let resumed = try f.runner().resume()
        #expect(resumed.state.phase == .completed)
        let events = try f.store.events(run: run.id)
        #expect(events.contains { $0.type == "reconcile" })
        #expect(
            events.contains {
                $0.type == "state" && $0.payload["reason"]?.stringValue?.hasPrefix("interrupted while uploading batch") == true
            })
        #expect(f.destination.stored.count == 9)
        // The unacknowledged batch (the second) was sent again: its records were written twice, by
        // key, and every other record once.
        let second = Set(
            events.first { $0.type == "batch_sending" && $0.payload["batch"]?.intValue == 2 }?.payload["ids"]?.arrayValue?
                .compactMap(\.stringValue) ?? [])
        #expect(second.count == 3)
        #expect(Set(f.destination.writes.filter { $0.value == 2 }.keys) == second, "\(f.destination.writes)")
        #expect(f.destination.writes.filter { $0.value != 2 }.allSatisfy { $0.value == 1 }, "\(f.destination.writes)")
        #expect(f.destination.writes.count == 9)
        let counts = try f.store.statusCounts(job: "people", run: run.id)
        #expect((counts["created"] ?? 0) + (counts["updated"] ?? 0) + (counts["skipped"] ?? 0) == 10)
    }

    @Test(arguments: StoreKind.all) func aLookupOutagePausesTheRunInsteadOfRejectingRecords(store kind: StoreKind) throws {
        let text = Self.mappingText + "\nEmail2 = lookup(fakedst.lead, Ref == id)?.Email\n"
        let dst = Schema(platform: "fakedst", object: "lead", fields: Self.dst.fields + [Field(name: "Email2", type: .string)])
        let f = try Fixture(records: 6, storePath: try kind.location())
        let mapping = try Compiler.compile(SourceText(path: "m.map", text: text), schemas: InMemorySchemas([Self.src, dst]))
        f.destination.findFailures = Array(repeating: .transient("HTTP 502"), count: 100)
        let runner = SyncRunner(
            job: f.job, mapping: mapping, version: "v1", source: f.source, destination: f.destination, store: f.store,
            lookupSchemas: ["fakedst.lead": dst], clock: f.clock)
        #expect(mapping.usesLookups)
        #expect(throws: SyncStopped.self) { try runner.start() }
        #expect(f.destination.findCalls >= 3, "find was called \(f.destination.findCalls) times")
        let run = try #require(try f.store.latestRun(job: "people"))
        #expect(run.state.reason?.hasPrefix("paused in mapping page 1: failed 3 times") == true)
        // The reason speaks of the lookup the mapping wrote, not only of the state.
        #expect(run.state.reason?.contains("the lead lookup (fakedst.lead by Ref) failed: HTTP 502") == true, "\(run.state.reason ?? "")")
        #expect(try f.store.records(job: "people", status: "rejected").isEmpty)
        f.destination.findFailures = []
        let resumed = try SyncRunner(
            job: f.job, mapping: mapping, version: "v1", source: f.source, destination: f.destination, store: f.store,
            lookupSchemas: ["fakedst.lead": dst], clock: f.clock
        ).resume()
        #expect(resumed.state.phase == .completed)
        #expect(f.destination.stored.count == 6)
    }

    @Test(arguments: StoreKind.all) func cancelStopsAPausedRun(store kind: StoreKind) throws {
        let f = try Fixture(records: 6, storePath: try kind.location())
        // Down until cancelled (batches travelling together each take some of the failures).
        f.destination.writeFailures = Array(repeating: .transient("down"), count: 100)
        #expect(throws: SyncStopped.self) { try f.runner().start() }
        let state = try Operations.cancel(store: f.store, job: "people", by: "ops", at: "t")
        #expect(state.phase == .cancelled)
        #expect(throws: JobError.self) { try f.runner().resume() }
    }

    @Test func storeOnDiskSurvivesReopening() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("mapc-\(UUID().uuidString)/events.db").path
        do {
            let f = try Fixture(records: 6, storePath: path)
            try f.runner().start()
        }
        let reopened = try EventStore(path: path)
        let run = try #require(try reopened.latestRun(job: "people"))
        #expect(run.state.phase == .completed)
        #expect(try reopened.replayState(run: run.id).phase == .completed)
    }
}

@Suite struct StateMachineTests {
    @Test func legalPathsReplay() throws {
        let path: [JobPhase] = [.fetching, .mapping, .validating, .uploading, .uploading, .fetching, .mapping, .validating, .completed]
        #expect(try StateMachine.replay(path) == .completed)
        #expect(try StateMachine.replay([.fetching, .mapping, .paused, .fetching]) == .fetching)
        #expect(try StateMachine.replay([.fetching, .failed, .uploading, .cancelled]) == .cancelled)
    }

    @Test(arguments: [
        (JobPhase.created, JobPhase.uploading), (.fetching, .uploading), (.mapping, .fetching), (.completed, .fetching),
        (.cancelled, .fetching), (.paused, .completed), (.created, .paused),
    ])
    func illegalTransitionsAreRefused(from: JobPhase, to: JobPhase) {
        #expect(throws: IllegalTransition.self) { try StateMachine.validate(from: from, to: to) }
    }

    @Test func storeRefusesIllegalTransitions() throws {
        let store = try EventStore(path: ":memory:")
        let run = try store.createRun(job: "j", info: [:], at: "t")
        #expect(throws: IllegalTransition.self) { try store.transition(run: run, to: JobState(.uploading, batch: 1), at: "t") }
        try store.transition(run: run, to: JobState(.fetching, page: 1), at: "t")
        #expect(try store.replayState(run: run) == JobState(.fetching, page: 1))
    }

    @Test func backoffGrowsAndIsCapped() {
        let b = Backoff(base: 1, cap: 8)
        #expect(b.delay(attempt: 1, unit: 0) == 0.5)
        #expect(b.delay(attempt: 2, unit: 1) == 2)
        #expect(b.delay(attempt: 10, unit: 1) == 8)
    }
}
