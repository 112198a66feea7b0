import Foundation
import MapDSL
import SyncEngine
import TestSupport
import Testing

/// `mapc worker`'s leases: one worker per job, heartbeats, takeover of an expired lease, and the
/// fencing token that refuses every write of a worker that lost its lease.
@Suite struct WorkerLeaseTests {
    typealias Fixture = SyncRunnerTests.Fixture

    /// A wall clock the test moves.
    final class Wall: @unchecked Sendable {
        private let lock = NSLock()
        private var t: Double = 1_800_000_000
        var now: Double { lock.withLock { t } }
        func advance(_ s: Double) { lock.withLock { t += s } }
    }

    @Test(arguments: StoreKind.all) func twoWorkersRacingForOneJobOnlyOneTakesItAndRunsIt(store kind: StoreKind) throws {
        let location = try SharedInboxTests.sharedLocation(kind)
        let f = try Fixture(records: 12, storePath: location)
        let a = try WorkQueue(location: location)
        let b = try WorkQueue(location: location)
        try a.enqueue(job: "people", by: "test")
        let taken = Guarded<[JobLease]>([])
        let errors = Guarded<[String]>([])
        let group = DispatchGroup()
        for (queue, name) in [(a, "A"), (b, "B")] {
            group.enter()
            Thread {
                defer { group.leave() }
                do {
                    if let lease = try queue.take(worker: name, ttl: 30) { taken.withLock { $0.append(lease) } }
                } catch {
                    errors.withLock { $0.append("\(error)") }
                }
            }.start()
        }
        group.wait()
        #expect(errors.value == [])
        #expect(taken.value.count == 1)
        let lease = try #require(taken.value.first)
        #expect(lease.lease == 1 && lease.tookOverFrom == nil)
        // The holder runs it under its fence; the queue then has nothing due for either.
        f.store.fence(job: "people", lease: lease.lease)
        let summary = try f.runner().start()
        #expect(summary.state.phase == .completed)
        #expect(try a.finish(lease, .completed(run: summary.id)))
        #expect(try a.take(worker: "A", ttl: 30) == nil)
        #expect(try b.take(worker: "B", ttl: 30) == nil)
        #expect(f.destination.writes.values.allSatisfy { $0 == 1 })
        #expect(f.destination.stored.count == 11)
        #expect(try a.entries().map(\.state) == ["done"])
    }

    @Test(arguments: StoreKind.all) func aWorkerPausedPastItsLeaseCannotWriteAfterTakeover(store kind: StoreKind) throws {
        let location = try SharedInboxTests.sharedLocation(kind)
        let wall = Wall()
        let f = try Fixture(records: 10, storePath: location)
        let queueA = try WorkQueue(location: location, now: { wall.now })
        let queueB = try WorkQueue(location: location, now: { wall.now })
        try queueA.enqueue(job: "people", by: "test")
        let leaseA = try #require(try queueA.take(worker: "A", ttl: 30))
        f.store.fence(job: "people", lease: leaseA.lease)
        // A is cut off after sending its second batch: the batch is in doubt, the run still running.
        f.destination.dieAfterWriteCall = 2
        var sequential = SyncOptions()
        sequential.pipelineUploads = false
        #expect(throws: (any Error).self) { try f.runner(sequential).start() }
        let run = try #require(try f.store.latestRun(job: "people"))
        #expect(run.state.phase == .uploading)
        // While A's lease holds, nobody else may take the job.
        wall.advance(29)
        #expect(try queueB.take(worker: "B", ttl: 30) == nil)
        // A stays silent past its lease; B takes the job over with the next lease number.
        wall.advance(2)
        let leaseB = try #require(try queueB.take(worker: "B", ttl: 30))
        #expect(leaseB.lease == leaseA.lease + 1)
        #expect(leaseB.tookOverFrom == "A")
        // A wakes up: its heartbeat is refused, and so is every write it tries.
        #expect(try queueA.heartbeat(leaseA, ttl: 30) == false)
        let before = try f.store.events(run: run.id).count
        do {
            try f.store.append(run: run.id, type: "note", payload: .object([("by", "A")]), at: "t")
            Issue.record("a write under a lost lease was accepted")
        } catch let fenced as FencingError {
            #expect(fenced.lease == leaseA.lease && fenced.current == leaseB.lease)
            #expect(fenced.description.contains("taken over"))
        }
        #expect(throws: FencingError.self) { try f.runner().resume() }
        #expect(try f.store.events(run: run.id).count == before)
        #expect(try queueA.finish(leaseA, .completed(run: run.id)) == false)
        // B resumes A's run: it reconciles the batch in doubt and completes, each record delivered.
        let storeB = try EventStore(path: location)
        storeB.fence(job: "people", lease: leaseB.lease)
        f.destination.dieAfterWriteCall = nil
        var takeover = SyncOptions()
        takeover.workerLease = "worker B (lease \(leaseB.lease))"
        let resumed = try SyncRunner(
            job: f.job, mapping: f.mapping, version: "v1", source: f.source, destination: f.destination, store: storeB, clock: f.clock,
            options: takeover
        ).resume()
        #expect(resumed.id == run.id)
        #expect(resumed.state.phase == .completed)
        #expect(try storeB.events(run: run.id).contains { $0.type == "reconcile" })
        #expect(f.destination.stored.count == 9)
        #expect(f.destination.writes.values.allSatisfy { $0 <= 2 }, "\(f.destination.writes)")
        let counts = try storeB.statusCounts(job: "people", run: run.id)
        #expect((counts["created"] ?? 0) + (counts["updated"] ?? 0) + (counts["skipped"] ?? 0) == 10)
        #expect(try queueB.finish(leaseB, .completed(run: run.id)))
        #expect(try queueB.leases(job: "people").map(\.worker) == ["A", "B"])
    }

    @Test(arguments: StoreKind.all) func aJobAskedForWhileItRunsRunsOnceMoreAfterwards(store kind: StoreKind) throws {
        let location = try SharedInboxTests.sharedLocation(kind)
        let queue = try WorkQueue(location: location)
        try queue.enqueue(job: "j", by: "test")
        let first = try #require(try queue.take(worker: "A", ttl: 30))
        try queue.enqueue(job: "j", by: "webhook")
        #expect(try queue.take(worker: "B", ttl: 30) == nil)
        #expect(try queue.finish(first, .completed(run: 1)))
        let second = try #require(try queue.take(worker: "B", ttl: 30))
        #expect(second.lease == 2 && second.tookOverFrom == nil)
        #expect(try queue.finish(second, .stopped(run: 2, reason: "paused: HTTP 503")))
        #expect(try queue.take(worker: "A", ttl: 30) == nil)
        #expect(try queue.entries().first?.lastOutcome == "run 2: paused: HTTP 503")
    }
}
