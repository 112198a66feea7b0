import Foundation
import MapDSL
import TestSupport
import Testing

@testable import SyncEngine

/// The two-way runner over in-memory platforms: retries, waits and failures.
@Suite struct TwoWayRunnerTests {
    static func compile(_ name: String) throws -> CompiledMapping {
        let text = try String(contentsOfFile: Repo.path("samples/mappings/\(name).map"), encoding: .utf8)
        let source = SourceText(path: name, text: text)
        return try Compiler.compile(Checker.check(source, schemas: SchemaDirectory(root: Repo.path("schemas"))), text: source)
    }

    static func runner(
        _ left: FakePlatform, _ right: FakePlatform, _ store: EventStore, _ clock: TestClock, _ base: TwoWayOptions = TwoWayOptions()
    ) throws -> TwoWayRunner {
        var options = base
        options.clock = clock
        return try TwoWayRunner(
            spec: try TwoWaySpec.load(path: Repo.path("jobs/contacts-two-way.json")),
            leftToRight: try compile("contact-to-member-two-way"), rightToLeft: try compile("member-to-contact-two-way"),
            versions: ("l", "r"), left: left, right: right, store: store, options: options)
    }

    static func platforms() -> (FakePlatform, FakePlatform) {
        let left = FakePlatform(platform: "salesforce")
        left.sourceRecords = [
            SourceRecord(
                id: "003A", fields: ["Id": "003A", "Email": "Ann@X.com", "FirstName": "Ann", "LastName": "Lee"],
                modified: "2024-06-01T00:00:00.000Z")
        ]
        return (left, FakePlatform(platform: "mailchimp"))
    }

    @Test(arguments: StoreKind.all) func aTransientFailureIsRetriedAfterABackoffAndARateLimitAfterTheWaitAsked(store kind: StoreKind) throws
    {
        let (left, right) = Self.platforms()
        right.writeFailures = [.transient("HTTP 502"), .rateLimited(retryAfter: 7, message: "slow down")]
        let clock = TestClock()
        let store = try EventStore(path: kind.location())
        let report = try Self.runner(left, right, store, clock).run()
        #expect(report.createdRight == 1)
        // Both waits whole, in slices that look for a cancel; the 7 s one announced.
        #expect(clock.slept.reduce(0, +) == Backoff().delay(attempt: 1, unit: 0.5) + 7)
        #expect(clock.slept.allSatisfy { $0 <= WaitWatch.slice })
        let waiting = try store.events(run: report.run).filter { $0.type == "waiting" }
        #expect(waiting.map { $0.payload["seconds"]?.doubleValue } == [7])
        #expect(waiting.first?.payload["for"]?.stringValue == "mailchimp rate limit")
        #expect(right.writes == ["ann@x.com": 1])
        let link = try #require(try store.link(job: "contacts-two-way", anyId: "003A"))
        #expect(link.rightId == "D-ann@x.com" && link.rule == "created")
    }

    @Test(arguments: StoreKind.all) func aFatalFailureFailsTheRunWithItsReason(store kind: StoreKind) throws {
        let (left, right) = Self.platforms()
        right.writeFailures = [.fatal("HTTP 401: API key invalid")]
        let store = try EventStore(path: kind.location())
        #expect(throws: AdapterError.self) { try Self.runner(left, right, store, TestClock()).run() }
        let run = try #require(try store.latestRun(job: "contacts-two-way"))
        #expect(run.state.phase == .failed && run.state.reason?.contains("API key invalid") == true)
        #expect(try store.links(job: "contacts-two-way").isEmpty)
    }

    @Test func retriesStopAtTheJobsLimit() throws {
        let (left, right) = Self.platforms()
        right.writeFailures = Array(repeating: .transient("HTTP 503"), count: 3)
        let clock = TestClock()
        #expect(throws: AdapterError.self) { try Self.runner(left, right, try EventStore(path: ":memory:"), clock).run() }
        #expect(right.writeCalls == 3)
        #expect(clock.slept.reduce(0, +) == Backoff().delay(attempt: 1, unit: 0.5) + Backoff().delay(attempt: 2, unit: 0.5))
    }

    // MARK: Cancels (issue 16's gap for two-way runs)

    /// `count` contacts (`p0@x.com`, ...) on the left, nothing on the right.
    static func contacts(_ count: Int) -> (FakePlatform, FakePlatform) {
        let left = FakePlatform(platform: "salesforce")
        left.sourceRecords = (0..<count).map { i in
            SourceRecord(
                id: "003P\(i)",
                fields: ["Id": .string("003P\(i)"), "Email": .string("p\(i)@x.com"), "FirstName": "P", "LastName": .string("L\(i)")],
                modified: "2024-06-01T00:00:00.000Z")
        }
        return (left, FakePlatform(platform: "mailchimp"))
    }

    @Test(arguments: StoreKind.all) func aCancelDuringARateLimitWaitBetweenWriteBatchesEndsTheRunAndTheNextRunCreatesEachRecordOnce(
        store kind: StoreKind
    ) throws {
        let (left, right) = Self.contacts(5)
        right.batchLimit = 2
        // The second batch is refused with a long Retry-After.
        right.beforeWriteCall = { call in if call == 2 { right.writeFailures = [.rateLimited(retryAfter: 300, message: "slow down")] } }
        let store = try EventStore(path: kind.location())
        let clock = TestClock()
        clock.onSleep = { _ in _ = try? Operations.cancel(store: store, job: "contacts-two-way", by: "ops", at: "t") }
        let cancelled = #expect(throws: TwoWayCancelled.self) { try Self.runner(left, right, store, clock).run() }
        let run = try #require(try store.latestRun(job: "contacts-two-way"))
        #expect(run.state.phase == .cancelled && cancelled?.state.phase == .cancelled)
        // One slice of the wait, then nothing more sent: no retry of the refused batch, no third batch.
        #expect(clock.slept.reduce(0, +) <= WaitWatch.slice, "\(clock.slept)")
        #expect(right.writeCalls == 2)
        let waiting = try #require(try store.events(run: run.id).first { $0.type == "waiting" })
        #expect(waiting.payload["for"]?.stringValue == "mailchimp rate limit" && waiting.payload["seconds"]?.doubleValue == 30)
        #expect(try store.events(run: run.id).contains { $0.type == "cancel_requested" && $0.payload["by"]?.stringValue == "ops" })
        #expect(try store.lease(run: run.id) == nil)

        // The next run carries on: every contact exists once on the right and is linked once.
        right.beforeWriteCall = nil
        let report = try Self.runner(left, right, store, TestClock()).run()
        #expect(try store.latestRun(job: "contacts-two-way")?.state.phase == .completed)
        #expect(right.stored.count == 5 && report.createdRight == 5)
        let links = try store.links(job: "contacts-two-way")
        #expect(links.count == 5 && Set(links.map(\.leftId)).count == 5)
    }

    @Test func aCancelDuringABackoffOfAReadEndsTheRunBeforeAnythingIsWritten() throws {
        let (left, right) = Self.contacts(3)
        left.fetchFailures = [.transient("HTTP 503")]
        let store = try EventStore(path: ":memory:")
        let clock = TestClock()
        clock.onSleep = { _ in _ = try? Operations.cancel(store: store, job: "contacts-two-way", by: "ops", at: "t") }
        var options = TwoWayOptions()
        options.backoff = Backoff(base: 60, cap: 60)
        #expect(throws: TwoWayCancelled.self) { try Self.runner(left, right, store, clock, options).run() }
        #expect(try store.latestRun(job: "contacts-two-way")?.state.phase == .cancelled)
        #expect(clock.slept.reduce(0, +) <= WaitWatch.slice && left.fetchRequests.count == 1 && right.writeCalls == 0)
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

    @Test func aWaitInsideTheAdapterIsAnnouncedAsTheRunsAndEndsOnACancel() throws {
        let (left, right) = Self.contacts(3)
        let watch = WaitWatch()
        let limiterClock = ActingLimiterClock()
        right.waitBeforeWrite = (watch, 120, limiterClock)
        let store = try EventStore(path: ":memory:")
        limiterClock.onSleep = { _ = try? Operations.cancel(store: store, job: "contacts-two-way", by: "ops", at: "t") }
        var options = TwoWayOptions()
        options.waits = watch
        #expect(throws: TwoWayCancelled.self) { try Self.runner(left, right, store, TestClock(), options).run() }
        let run = try #require(try store.latestRun(job: "contacts-two-way"))
        #expect(run.state.phase == .cancelled)
        let waiting = try #require(try store.events(run: run.id).first { $0.type == "waiting" })
        #expect(waiting.payload["in"]?.stringValue == "adapter" && waiting.payload["seconds"]?.doubleValue == 120)
        #expect(limiterClock.base.totalSlept <= WaitWatch.slice && right.writeCalls == 0 && right.stored.isEmpty)
    }

    @Test func aSignalToTheProcessEndsAWaitingRunAsCancelledWithTheSignalsName() throws {
        let (left, right) = Self.contacts(3)
        right.writeFailures = [.rateLimited(retryAfter: 20, message: "slow down")]
        /// Set when the signal "arrives" (during the first slice of the wait).
        final class Signal: @unchecked Sendable {
            let lock = NSLock()
            var arrived = false
        }
        let signal = Signal()
        let clock = TestClock()
        clock.onSleep = { _ in signal.lock.withLock { signal.arrived = true } }
        var options = TwoWayOptions()
        options.interrupted = { signal.lock.withLock { signal.arrived } ? "interrupted by SIGTERM" : nil }
        let store = try EventStore(path: ":memory:")
        #expect(throws: TwoWayCancelled.self) { try Self.runner(left, right, store, clock, options).run() }
        let run = try #require(try store.latestRun(job: "contacts-two-way"))
        #expect(run.state.phase == .cancelled && run.state.reason == "interrupted by SIGTERM")
        #expect(clock.slept.count == 1 && right.writeCalls == 1)
    }

    @Test func aRunLeftRunningByAProcessThatIsGoneIsClosedAsAbandonedByTheNextRun() throws {
        let (left, right) = Self.contacts(2)
        let store = try EventStore(path: ":memory:")
        let old = try store.createRun(job: "contacts-two-way", info: ["kind": "two-way"], at: "t")
        try store.transition(run: old, to: JobState(.fetching, page: 1), at: "t")
        let gone = ProcessIdentity(pid: Int32.max, host: ProcessIdentity.current.host, start: "1")
        try store.acquireLease(RunLease(run: old, job: "contacts-two-way", process: gone, startedAt: "t", heartbeat: 0))
        let report = try Self.runner(left, right, store, TestClock()).run()
        #expect(report.createdRight == 2)
        let closed = try #require(try store.run(old))
        #expect(closed.state.phase == .cancelled && closed.state.reason?.hasPrefix("abandoned: its process was gone") == true)
        #expect(try store.events(run: old).contains { $0.type == "run_abandoned" })
        #expect(try store.latestRun(job: "contacts-two-way")?.state.phase == .completed)
    }

    @Test func aRunStillHeldByALiveProcessIsNotStartedOver() throws {
        let (left, right) = Self.contacts(1)
        let store = try EventStore(path: ":memory:")
        let old = try store.createRun(job: "contacts-two-way", info: ["kind": "two-way"], at: "t")
        try store.transition(run: old, to: JobState(.fetching, page: 1), at: "t")
        // Another host's process with a fresh heartbeat.
        let other = ProcessIdentity(pid: 42, host: "elsewhere", start: "1")
        try store.acquireLease(
            RunLease(run: old, job: "contacts-two-way", process: other, startedAt: "t", heartbeat: Date().timeIntervalSince1970))
        let refused = #expect(throws: JobError.self) { try Self.runner(left, right, store, TestClock()).run() }
        #expect(refused?.message.contains("run \(old) of contacts-two-way is still running") == true)
        #expect(right.writeCalls == 0)
        #expect(try store.runs(job: "contacts-two-way").count == 1)
    }
}
