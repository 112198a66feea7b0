import Foundation
import MapDSL
import TestSupport
import Testing

@testable import SyncEngine

/// The event store's record projection and what a resumed run reads back from the log.
@Suite struct EventStoreTests {
    typealias Fixture = SyncRunnerTests.Fixture

    @Test(arguments: StoreKind.all) func aBatchRecordedWithItsValuesInlineIsReconciledFromThem(store kind: StoreKind) throws {
        // Stores written before batch events only named their records carry the values inline.
        let f = try Fixture(records: 6, storePath: kind.location())
        let run = try f.store.createRun(job: "people", info: .object([("mappingVersion", "v1")]), at: "t")
        try f.store.transition(run: run, to: JobState(.fetching, page: 1), at: "t")
        try f.store.transition(run: run, to: JobState(.mapping, page: 1), at: "t")
        try f.store.transition(run: run, to: JobState(.validating, page: 1), at: "t")
        try f.store.transition(run: run, to: JobState(.uploading, page: 1, batch: 1), at: "t")
        let values: [(String, JSONValue)] = [("Ref", "p1"), ("Email", "p1@example.com"), ("Name", "Person 1")]
        // The hash of what mapping p1 gives: the page read again finds the same values delivered.
        let preparer = RecordPreparer(mapping: f.mapping, job: "people", lookups: nil)
        guard
            case .mapped(_, _, _, let hash, _) = preparer.prepare(
                f.source.sourceRecords[0], page: 1, frame: preparer.makeFrame(), retry: nil
            ).outcome
        else {
            Issue.record("p1 does not map")
            return
        }
        try f.store.append(
            run: run, type: "batch_sending",
            payload: .object([
                ("batch", 1), ("page", 1),
                ("records", .array([.object([("id", "p1"), ("key", "p1"), ("hash", .string(hash)), ("values", .object(values))])])),
            ]), at: "t")
        let summary = try f.runner().resume()
        #expect(summary.state.phase == .completed)
        let reconcile = try #require(try f.store.events(run: run).first { $0.type == "reconcile" })
        #expect(reconcile.payload["records"]?.intValue == 1)
        #expect(f.destination.stored["p1"]?["Email"] == "p1@example.com")
        // Reconciled once; the page read again afterwards leaves it alone.
        #expect(f.destination.writes["p1"] == 1)
        #expect(try f.store.record(job: "people", key: "p1")?.status == "created")
    }

    @Test(arguments: StoreKind.all, [1, 19, 20, 21, 45])
    func manyRowsInOneCommitAreAllWrittenAndTheLastUpdateOfAKeyWins(store kind: StoreKind, count: Int) throws {
        let store = try EventStore(path: kind.location())
        let run = try store.createRun(job: "j", info: [:], at: "t")
        var updates: [RecordUpdate] = []
        var events: [(key: String, kind: String, payload: JSONValue)] = []
        for i in 0..<count {
            var s = RecordState(key: "k\(i)", run: run, status: "created", contentHash: "h\(i)", sentHash: "s\(i)")
            s.destinationId = "d\(i)"
            updates.append(RecordUpdate(state: s, acknowledged: true))
            events.append(("k\(i)", "result", .object([("n", .int(i))])))
        }
        // The first key again, later in the same commit: rejected, its sent hash kept.
        var again = RecordState(key: "k0", run: run, status: "rejected", contentHash: "h-new")
        again.errorCode = "X"
        updates.append(RecordUpdate(state: again, acknowledged: false))
        try store.commit(run: run, job: "j", events: [], recordEvents: events, updates: updates, at: "t")
        let counts = try store.statusCounts(job: "j")
        #expect((counts["created"] ?? 0) == count - 1 && counts["rejected"] == 1)
        let first = try #require(try store.record(job: "j", key: "k0"))
        #expect(first.status == "rejected" && first.sentHash == "s0" && first.contentHash == "h-new" && first.destinationId == "d0")
        #expect(try store.record(job: "j", key: "k\(count - 1)")?.sentHash == "s\(count - 1)")
        #expect(try store.recordEvents(job: "j", key: "k\(count - 1)").map(\.payload) == [.object([("n", .int(count - 1))])])
    }

    @Test(arguments: StoreKind.all) func aRecordIsFoundByItsDestinationKeyWhenThatDiffers(store kind: StoreKind) throws {
        let store = try EventStore(path: kind.location())
        let run = try store.createRun(job: "j", info: [:], at: "t")
        var same = RecordState(key: "k1", run: run, status: "created")
        same.destinationKey = "k1"
        var other = RecordState(key: "k2", run: run, status: "created")
        other.destinationKey = "lead-2"
        try store.commit(
            run: run, job: "j", events: [], recordEvents: [],
            updates: [RecordUpdate(state: same, acknowledged: true), RecordUpdate(state: other, acknowledged: true)], at: "t")
        #expect(try store.record(job: "j", anyKey: "k1")?.key == "k1")
        #expect(try store.record(job: "j", anyKey: "lead-2")?.key == "k2")
        #expect(try store.record(job: "j", anyKey: "k2")?.destinationKey == "lead-2")
        #expect(try store.record(job: "j", anyKey: "nothing") == nil)
        #expect(try store.record(job: "other", anyKey: "lead-2") == nil)
    }

    @Test func deadLettersAndForeignDestinationKeysAreFoundThroughTheirPartialIndexes() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("mapc-\(UUID().uuidString)/events.db").path
        defer { try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent) }
        let store = try EventStore(path: path)
        let rejected = try store.queryPlan(
            "SELECT key FROM records WHERE job = ? AND status = 'rejected' ORDER BY key LIMIT ?", [.text("j"), .int(10)])
        #expect(rejected.contains { $0.contains("records_rejected") }, "\(rejected)")
        let foreign = try store.queryPlan(
            "SELECT key FROM records WHERE job = ? AND dest_key = ? AND dest_key <> key LIMIT 1", [.text("j"), .text("x")])
        #expect(foreign.contains { $0.contains("records_other_dest_key") }, "\(foreign)")
        let states = try store.queryPlan(EventStore.selectSyncStatesSQL[3], [.text("j"), .text("a"), .text("b"), .text("c")])
        #expect(states.contains { $0.contains("USING INDEX sqlite_autoindex_records_1") }, "\(states)")
        // Listing rejected records through the store uses the same query.
        let run = try store.createRun(job: "j", info: [:], at: "t")
        var r = RecordState(key: "b", run: run, status: "rejected")
        r.errorCode = "V0704"
        let ok = RecordState(key: "a", run: run, status: "created")
        try store.commit(
            run: run, job: "j", events: [], recordEvents: [],
            updates: [RecordUpdate(state: r, acknowledged: false), RecordUpdate(state: ok, acknowledged: true)], at: "t")
        #expect(try store.records(job: "j", status: "rejected").map(\.key) == ["b"])
        #expect(try store.records(job: "j", status: "created").map(\.key) == ["a"])
        let known = try store.syncStates(job: "j", keys: (0..<45).map { "k\($0)" } + ["a", "b"])
        #expect(known.keys.sorted() == ["a", "b"])
        #expect(known["b"]?.status == "rejected" && known["a"]?.run == run)
    }

    @Test func theLogIsCopiedIntoTheDatabaseInTheBackgroundAndStaysWithinItsLimit() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("mapc-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/events.db"
        func size(_ file: String) -> Int {
            ((try? FileManager.default.attributesOfItem(atPath: file))?[.size] as? NSNumber)?.intValue ?? 0
        }
        // A background checkpoint from 32 log pages on; the writer checkpoints itself from 128.
        var store: EventStore? = try EventStore(path: path, checkpointAt: 32)
        let run = try store!.createRun(job: "j", info: [:], at: "t")
        let payload = JSONValue.string(String(repeating: "x", count: 2000))
        var largest = 0
        for commit in 0..<300 {
            let events = (0..<8).map { i in (key: "k\(commit)-\(i)", kind: "fetched", payload: payload) }
            try store!.commit(run: run, job: "j", events: [], recordEvents: events, updates: [], at: "t")
            largest = max(largest, size(path + "-wal"))
        }
        // About 5 MB went through a log that never held much more than its limit (frames are a
        // page and a 24-byte header; while a background checkpoint holds the checkpoint lock the
        // writer's own attempt waits for a later commit).
        #expect(largest > 0 && largest <= 2 * 128 * (4096 + 24) + 32, "log reached \(largest) bytes")
        #expect(store!.backgroundCheckpoints > 0)
        #expect(size(path) > 2_000_000, "the database holds \(size(path)) bytes")
        store = nil
        let reopened = try EventStore(path: path)
        for key in ["k0-0", "k150-3", "k299-7"] {
            #expect(try reopened.recordEvents(job: "j", key: key).map(\.payload) == [payload])
        }
    }

    @Test(arguments: StoreKind.all) func writesCommittedTogetherAreWrittenAsIfCommittedOneByOne(store kind: StoreKind) throws {
        let store = try EventStore(path: kind.location())
        let run = try store.createRun(job: "j", info: [:], at: "t0")
        var page = StoreBatch()
        page.transitions = [StoreBatch.Transition(to: JobState(.fetching, page: 1), at: "t1")]
        page.event("page_fetched", .object([("page", 1)]), at: "t1")
        page.recordEvent("a", "fetched", .object([("n", 1)]))
        var sending = StoreBatch()
        sending.transitions = [
            StoreBatch.Transition(to: JobState(.mapping, page: 1), at: "t2"),
            StoreBatch.Transition(to: JobState(.validating, page: 1), at: "t2"),
            StoreBatch.Transition(to: JobState(.uploading, page: 1, batch: 1), at: "t2"),
        ]
        sending.event("batch_sending", .object([("batch", 1), ("ids", .array(["a"]))]), at: "t2")
        sending.recordEvent("a", "sent", .object([("key", "a"), ("hash", "h"), ("values", .object([("Email", "a@example.com")]))]))
        try store.write(run: run, job: "j", [(page, "t1"), (sending, "t2")])
        let events = try store.events(run: run)
        #expect(events.map(\.type) == ["run_started", "state", "page_fetched", "state", "state", "state", "batch_sending"])
        let sent = try #require(events.last)
        // Each write's record events belong to its own first event, stamped with its own time.
        let history = try store.recordEvents(job: "j", key: "a")
        #expect(history.map(\.kind) == ["fetched", "sent"])
        #expect(history.map(\.seq) == [events[2].seq, sent.seq])
        #expect(history.map(\.at) == ["t1", "t2"])
        #expect(try store.sentPayloads(job: "j", run: run, seq: sent.seq, keys: ["a"])["a"]?["hash"] == "h")
        #expect(try store.run(run)?.state == JobState(.uploading, page: 1, batch: 1))
        // A transition that does not follow the one before (in the same transaction) is refused, and nothing is written.
        var bad = StoreBatch()
        bad.transitions = [StoreBatch.Transition(to: JobState(.fetching, page: 2), at: "t3")]
        var worse = StoreBatch()
        worse.transitions = [StoreBatch.Transition(to: JobState(.created), at: "t3")]
        #expect(throws: (any Error).self) { try store.write(run: run, job: "j", [(bad, "t3"), (worse, "t3")]) }
        #expect(try store.events(run: run).count == events.count)
    }
}
