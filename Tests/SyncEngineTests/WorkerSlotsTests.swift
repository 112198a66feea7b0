import Foundation
import MapDSL
import SyncEngine
import TestSupport
import Testing

/// A worker's slots (`mapc worker --concurrency N`): N leased jobs run at once, each on a thread of
/// its own under its own lease; a job fenced in one slot leaves the others running; a stop lets the
/// running jobs finish and takes no other.
@Suite struct WorkerSlotsTests {
    typealias Fixture = SyncRunnerTests.Fixture
    typealias Wall = WorkerLeaseTests.Wall

    /// Releases its callers once `parties` of them are waiting (or a generous safety timeout
    /// passed, which the caller reports as a failure: nothing here measures time).
    final class Rendezvous: @unchecked Sendable {
        private let condition = NSCondition()
        private let parties: Int
        private var arrived = 0

        init(_ parties: Int) { self.parties = parties }

        /// Arrives and waits for the others; false when they did not all come.
        func arrive() -> Bool {
            condition.lock()
            defer { condition.unlock() }
            arrived += 1
            condition.broadcast()
            let deadline = Date(timeIntervalSinceNow: 120)
            while arrived < parties {
                if !condition.wait(until: deadline) { return arrived >= parties }
            }
            return true
        }
    }

    /// Runs `worker` until the queue is empty on a thread of its own; `wait()` joins it and
    /// returns what it threw.
    final class Background: @unchecked Sendable {
        private let group = DispatchGroup()
        private let failure = Guarded<String?>(nil)

        init(_ worker: Worker, stop: @escaping @Sendable () -> Bool = { false }) {
            group.enter()
            Thread { [group, failure] in
                defer { group.leave() }
                do { try worker.run(untilEmpty: true, shouldStop: stop) } catch { failure.withLock { $0 = "\(error)" } }
            }.start()
        }

        /// Nil once the worker returned without an error; otherwise what went wrong.
        func wait() -> String? {
            guard group.wait(timeout: .now() + 180) == .success else { return "the worker did not return" }
            return failure.value
        }
    }

    @Test(arguments: StoreKind.all) func twoSlotsRunTwoJobsAtOnceEachUnderItsOwnLease(store kind: StoreKind) throws {
        let location = try SharedInboxTests.sharedLocation(kind)
        let queue = try WorkQueue(location: location)
        let observer = try WorkQueue(location: location)
        for job in ["j1", "j2", "j3", "j4"] { try queue.enqueue(job: job, by: "test") }
        var settings = Worker.Settings(name: "W")
        settings.concurrency = 2
        settings.pollSeconds = 0.05
        let together = Rendezvous(2)
        let looked = Rendezvous(2)
        let seen = Guarded<[JobLease]>([])
        let met = Guarded<[Bool]>([])
        let leasedAtOnce = Guarded<[[String]]>([])
        let worker = Worker(queue: queue, settings: settings) { lease in
            let first = seen.withLock { leases -> Bool in
                leases.append(lease)
                return leases.count <= 2
            }
            if first {
                // The first two jobs each wait here for the other: only two slots at once get past.
                let ok = together.arrive()
                met.withLock { $0.append(ok) }
                let leased = try observer.entries().filter { $0.state == "leased" }
                leasedAtOnce.withLock { $0.append(leased.map { "\($0.job) lease \($0.lease) by \($0.worker ?? "-")" }.sorted()) }
                // Neither ends before both looked at the queue.
                let both = looked.arrive()
                met.withLock { $0.append(both) }
            }
            return .completed(run: lease.lease)
        }
        #expect(Background(worker).wait() == nil)
        #expect(met.value == [true, true, true, true])
        let leases = seen.value
        #expect(leases.map(\.job).sorted() == ["j1", "j2", "j3", "j4"])
        #expect(Set(leases.map { "\($0.job)#\($0.lease)" }).count == 4)
        #expect(leases.allSatisfy { $0.worker == "W" && $0.lease == 1 && $0.tookOverFrom == nil })
        // While both met, the queue showed both leases held at once, each job under its own.
        for leased in leasedAtOnce.value {
            #expect(leased.count == 2, "\(leased)")
            #expect(Set(leased.map { $0.split(separator: " ").first ?? "" }).count == 2, "\(leased)")
        }
        #expect(try queue.entries().map(\.state) == ["done", "done", "done", "done"])
        #expect(try queue.entries().allSatisfy { $0.lastOutcome == "run 1 completed" })
    }

    @Test(arguments: StoreKind.all) func aJobFencedInOneSlotLeavesTheOtherSlotsJobRunning(store kind: StoreKind) throws {
        let location = try SharedInboxTests.sharedLocation(kind)
        let wall = Wall()
        let f = try Fixture(records: 10, storePath: location)
        let queue = try WorkQueue(location: location, now: { wall.now })
        let queueB = try WorkQueue(location: location, now: { wall.now })
        // `people` is due first, so the worker B below takes it over, not `other`.
        try queue.enqueue(job: "people", by: "test")
        wall.advance(1)
        try queue.enqueue(job: "other", by: "test")
        var settings = Worker.Settings(name: "A")
        settings.concurrency = 2
        settings.pollSeconds = 0.05
        let together = Rendezvous(2)
        let advanced = DispatchSemaphore(value: 0)
        let renewed = DispatchSemaphore(value: 0)
        let fenced = DispatchSemaphore(value: 0)
        let takeover = Guarded<JobLease?>(nil)
        let notes = Guarded<[String]>([])
        let log = Guarded<[String]>([])
        let worker = Worker(queue: queue, settings: settings, log: { line in log.withLock { $0.append(line) } }) { lease in
            guard together.arrive() else {
                notes.withLock { $0.append("\(lease.job): the slots did not meet") }
                return .completed(run: 0)
            }
            if lease.job == "people" {
                f.store.fence(job: "people", lease: lease.lease)
                // A stays silent past its lease; B takes the job over with the next lease number.
                wall.advance(31)
                let taken = try queueB.take(worker: "B", ttl: 30)
                takeover.withLock { $0 = taken }
                // The other slot renews its own lease (its heartbeat would; the wall clock jumped).
                advanced.signal()
                guard renewed.wait(timeout: .now() + 120) == .success else {
                    notes.withLock { $0.append("people: the other slot did not renew its lease") }
                    return .completed(run: 0)
                }
                // Both the test and the other slot wait for this run's end.
                defer {
                    fenced.signal()
                    fenced.signal()
                }
                // Every write of A's run is refused from now on.
                _ = try f.runner().start()
                notes.withLock { $0.append("people: a write under the lost lease was accepted") }
                return .completed(run: 1)
            }
            guard advanced.wait(timeout: .now() + 120) == .success, try queue.heartbeat(lease, ttl: 30) else {
                notes.withLock { $0.append("other: could not renew its lease") }
                renewed.signal()
                return .completed(run: 0)
            }
            renewed.signal()
            // The other slot's job goes on after its sibling was fenced, and ends normally.
            guard fenced.wait(timeout: .now() + 120) == .success else {
                notes.withLock { $0.append("other: people's run never ended") }
                return .completed(run: 0)
            }
            notes.withLock { $0.append("other: ran on after people was fenced") }
            return .completed(run: 7)
        }
        let background = Background(worker)
        // Once B holds `people`, it runs and finishes it; the worker then finds the queue empty.
        #expect(fenced.wait(timeout: .now() + 120) == .success)
        let leaseB = try #require(takeover.value)
        #expect(leaseB.job == "people" && leaseB.lease == 2 && leaseB.tookOverFrom == "A")
        #expect(try queueB.finish(leaseB, .completed(run: 1)))
        #expect(background.wait() == nil)
        #expect(notes.value == ["other: ran on after people was fenced"])
        #expect(log.value.contains { $0.contains("write refused") && $0.contains("lease 1 on job people") }, "\(log.value)")
        #expect(f.destination.stored.isEmpty)
        let entries = Dictionary(uniqueKeysWithValues: try queue.entries().map { ($0.job, $0) })
        #expect(entries["other"]?.state == "done" && entries["other"]?.lastOutcome == "run 7 completed")
        #expect(entries["other"]?.lease == 1)
        #expect(entries["people"]?.state == "done" && entries["people"]?.lease == 2)
        #expect(try queue.leases(job: "people").map(\.worker) == ["A", "B"])
    }

    @Test func aStopLetsTheRunningJobsFinishAndTakesNoOther() throws {
        let location = try SharedInboxTests.sharedLocation(.sqlite)
        let queue = try WorkQueue(location: location)
        for job in ["j1", "j2", "j3", "j4", "j5"] { try queue.enqueue(job: job, by: "test") }
        var settings = Worker.Settings(name: "W")
        settings.concurrency = 3
        settings.pollSeconds = 0.05
        let together = Rendezvous(3)
        let stop = Guarded(false)
        let ran = Guarded<[String]>([])
        let worker = Worker(queue: queue, settings: settings) { lease in
            // The three slots' jobs meet; one of them asks the worker to stop (SIGTERM does this).
            #expect(together.arrive())
            stop.withLock { $0 = true }
            ran.withLock { $0.append(lease.job) }
            return .completed(run: 1)
        }
        #expect(Background(worker, stop: { stop.value }).wait() == nil)
        #expect(ran.value.count == 3)
        let entries = try queue.entries()
        #expect(entries.filter { $0.state == "done" }.map(\.job).sorted() == ran.value.sorted())
        #expect(entries.filter { $0.state == "due" }.count == 2)
        #expect(!entries.contains { $0.state == "leased" })
    }

    @Test func concurrencyIsKeptBetweenOneAndTheMaximum() throws {
        let queue = try WorkQueue(location: try SharedInboxTests.sharedLocation(.sqlite))
        for (asked, kept) in [(0, 1), (1, 1), (2, 2), (64, 64), (65, 64)] {
            var settings = Worker.Settings(name: "W")
            settings.concurrency = asked
            #expect(Worker(queue: queue, settings: settings) { _ in .completed(run: 1) }.settings.concurrency == kept)
        }
        #expect(Worker.maxConcurrency == 64)
    }
}
