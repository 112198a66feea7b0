import Foundation
import MapDSL
import SyncEngine
import Testing

/// The last batch of a page travels while the next page is fetched and mapped: what the event log
/// says, what a crash with a batch in flight leaves, and when the overlap is not allowed.
@Suite struct SyncPipelineTests {
    /// Holds write call `call` until the store records batch `batch` as being sent (polled, for at
    /// most 20 seconds; past that the call goes on and the test's checks fail).
    static func hold(call: Int, until batch: Int, in store: EventStore) -> @Sendable (Int) -> Void {
        { n in
            guard n == call else { return }
            let deadline = Date(timeIntervalSinceNow: 20)
            while Date() < deadline {
                let sent = (try? store.events(types: ["batch_sending"])) ?? []
                if sent.contains(where: { $0.payload["batch"]?.intValue == batch }) { return }
                usleep(1000)
            }
        }
    }

    /// The records of `batches` (from their `batch_sending` events) were written exactly twice, every
    /// other record of the `keys` at the destination exactly once.
    static func expectSentAgain(
        batches: [Int], events: [StoredEvent], writes: [String: Int], keys: Int, sourceLocation: Testing.SourceLocation = #_sourceLocation
    ) {
        var again = Set<String>()
        for b in batches {
            let ids = events.first { $0.type == "batch_sending" && $0.payload["batch"]?.intValue == b }?.payload["ids"]?.arrayValue ?? []
            #expect(!ids.isEmpty, "batch \(b) has no batch_sending event", sourceLocation: sourceLocation)
            again.formUnion(ids.compactMap(\.stringValue))
        }
        #expect(writes.count == keys, "\(writes.count) keys written", sourceLocation: sourceLocation)
        #expect(
            Set(writes.filter { $0.value == 2 }.keys) == again, "written twice: \(writes.filter { $0.value > 1 })",
            sourceLocation: sourceLocation)
        #expect(writes.filter { !again.contains($0.key) }.allSatisfy { $0.value == 1 }, "\(writes)", sourceLocation: sourceLocation)
    }

    typealias Fixture = SyncRunnerTests.Fixture

    @Test func eachPageIsCheckpointedAfterItsBatchesAreAnsweredWithOneBatchInFlightAtMost() throws {
        // Pages of 4 records go out as batches of 3 and 1; the batch of 1 travels.
        let f = try Fixture(records: 30)
        f.destination.writeDelay = 0.005
        let summary = try f.runner().start()
        #expect(summary.state.phase == .completed)
        #expect(f.destination.stored.count == 27)
        #expect(f.destination.writes.values.allSatisfy { $0 == 1 })
        var unanswered = Set<Int>()
        var batchesOfPage: [Int: Set<Int>] = [:]
        var answered = Set<Int>()
        var overlaps = 0
        for e in try f.store.events(run: summary.id) {
            let batch = e.payload["batch"]?.intValue ?? 0
            switch e.type {
            case "batch_sending":
                #expect(unanswered.count < SyncOptions().batchesInFlight, "batch \(batch) sent while \(unanswered) were unanswered")
                unanswered.insert(batch)
                batchesOfPage[e.payload["page"]?.intValue ?? 0, default: []].insert(batch)
            case "page_fetched":
                // The next page was mapped while a batch was still travelling.
                if !unanswered.isEmpty { overlaps += 1 }
            case "batch_acked":
                unanswered.remove(batch)
                answered.insert(batch)
            case "checkpoint":
                let page = e.payload["page"]?.intValue ?? 0
                let batches = batchesOfPage[page] ?? []
                #expect(batches.isSubset(of: answered), "page \(page) checkpointed before its batches \(batches) were answered")
            default: break
            }
        }
        #expect(unanswered.isEmpty)
        #expect(overlaps == 7, "pages mapped while a batch travelled: \(overlaps) of 7")
        let counts = try f.store.statusCounts(job: "people", run: summary.id)
        #expect(counts["created"] == 27 && counts["skipped"] == 3)
    }

    @Test func batchesOfOnePageEachTravelTwoAtATimeAndAreAnsweredInOrder() throws {
        let f = try Fixture(records: 40)
        f.destination.batchLimit = 10
        f.destination.writeDelay = 0.01
        let summary = try f.runner().start()
        #expect(summary.state.phase == .completed)
        #expect(f.destination.stored.count == 36)
        #expect(f.destination.writes.values.allSatisfy { $0 == 1 })
        var unanswered: [Int] = []
        var most = 0
        var lastAnswered = 0
        var batchOfPage: [Int: Int] = [:]
        for e in try f.store.events(run: summary.id) {
            let batch = e.payload["batch"]?.intValue ?? 0
            switch e.type {
            case "batch_sending":
                unanswered.append(batch)
                most = max(most, unanswered.count)
                batchOfPage[e.payload["page"]?.intValue ?? 0] = batch
            case "batch_acked":
                #expect(batch == unanswered.first, "batch \(batch) answered before \(unanswered)")
                #expect(batch > lastAnswered)
                lastAnswered = batch
                unanswered.removeFirst()
            case "checkpoint":
                let page = e.payload["page"]?.intValue ?? 0
                #expect((batchOfPage[page] ?? 0) <= lastAnswered, "page \(page) checkpointed before its batch was answered")
            default: break
            }
        }
        #expect(most == 2, "at most \(most) batches travelled at once")
        #expect(unanswered.isEmpty)
    }

    @Test func twoBatchesLeftUnansweredAreBothSentAgainOldestFirst() throws {
        let f = try Fixture(records: 40)
        f.destination.batchLimit = 10
        f.destination.writeDelay = 0.01
        // The answer to the first batch is lost after the platform applied it, while the second travels.
        f.destination.dieAfterWriteCall = 1
        // The first write waits until the second batch is on its way, so both travel together for certain.
        f.destination.beforeWriteCall = Self.hold(call: 1, until: 2, in: f.store)
        #expect(throws: (any Error).self) { try f.runner().start() }
        f.destination.beforeWriteCall = nil
        f.destination.dieAfterWriteCall = nil
        let resumed = try f.runner().resume()
        #expect(resumed.state.phase == .completed)
        let events = try f.store.events(run: resumed.id)
        let reconciled = events.filter { $0.type == "reconcile" }.compactMap { $0.payload["batch"]?.intValue }
        #expect(reconciled == [1, 2])
        let interruption = events.first { $0.type == "state" && $0.payload["reason"]?.stringValue?.hasPrefix("interrupted") == true }
        #expect(interruption?.payload["reason"]?.stringValue?.contains("batches 1, 2 sent and not acknowledged") == true)
        #expect(f.destination.stored.count == 36)
        Self.expectSentAgain(batches: [1, 2], events: try f.store.events(run: resumed.id), writes: f.destination.writes, keys: 36)
        let counts = try f.store.statusCounts(job: "people", run: resumed.id)
        #expect((counts["created"] ?? 0) + (counts["updated"] ?? 0) == 36 && counts["skipped"] == 4)
    }

    @Test func aCrashWithABatchInFlightIsReconciledAndSaysSo() throws {
        let f = try Fixture(records: 10)
        f.destination.dieAfterWriteCall = 2
        // The second write waits until the third batch is on its way, so both travel together for certain.
        f.destination.beforeWriteCall = Self.hold(call: 2, until: 3, in: f.store)
        #expect(throws: (any Error).self) { try f.runner().start() }
        f.destination.beforeWriteCall = nil
        f.destination.dieAfterWriteCall = nil
        let resumed = try f.runner().resume()
        #expect(resumed.state.phase == .completed)
        let events = try f.store.events(run: resumed.id)
        #expect(events.contains { $0.type == "reconcile" && $0.payload["batch"]?.intValue == 2 })
        let interruption = events.first { $0.type == "state" && $0.payload["reason"]?.stringValue?.hasPrefix("interrupted") == true }
        let reason = interruption?.payload["reason"]?.stringValue ?? ""
        // Batches fill across pages: the second and the third (the last) were travelling together.
        #expect(reason.contains("with batches 2, 3 sent and not acknowledged"), "\(reason)")
        #expect(f.destination.stored.count == 9)
        Self.expectSentAgain(batches: [2, 3], events: events, writes: f.destination.writes, keys: 9)
        let counts = try f.store.statusCounts(job: "people", run: resumed.id)
        #expect((counts["created"] ?? 0) + (counts["updated"] ?? 0) + (counts["skipped"] ?? 0) == 10)
        #expect(counts["pending"] == nil)
    }

    @Test func aLookupOutageWhileMappingAheadMapsThePageAgainAndLosesNothing() throws {
        // Lookups into the source platform (not the object written): pages are mapped ahead.
        let src = Schema(
            platform: "fake", object: "person", fields: SyncRunnerTests.src.fields + [Field(name: "partner", type: .string)])
        let dst = Schema(
            platform: "fakedst", object: "lead", fields: SyncRunnerTests.dst.fields + [Field(name: "PartnerName", type: .string)])
        let text = SyncRunnerTests.mappingText + "\nPartnerName = lookup(fake.person, id == partner)?.name\n"
        let f = try Fixture(records: 20)
        for i in f.source.sourceRecords.indices {
            var fields = f.source.sourceRecords[i].fields.objectValue ?? []
            fields.append(("partner", .string("x\(i)")))
            f.source.sourceRecords[i].fields = .object(fields)
        }
        // The lookup of a record on page 2 (mapped ahead, while the runner maps page 1) fails twice.
        f.source.failingFinds = ["x5": 2]
        let mapping = try Compiler.compile(SourceText(path: "m.map", text: text), schemas: InMemorySchemas([src, dst]))
        let runner = SyncRunner(
            job: f.job, mapping: mapping, version: "v1", source: f.source, destination: f.destination, store: f.store,
            lookupSchemas: ["fake.person": src], clock: f.clock)
        let summary = try runner.start()
        #expect(summary.state.phase == .completed)
        #expect(f.destination.stored.count == 18)
        #expect(f.destination.writes.values.allSatisfy { $0 == 1 })
        let events = try f.store.events(run: summary.id)
        #expect(
            events.contains { $0.type == "retry" && $0.payload["while"]?.stringValue == "mapping page 2" },
            "\(events.filter { $0.type == "retry" }.map { JSONWriter.compact($0.payload) })")
        #expect(try f.store.records(job: "people", status: "rejected").isEmpty)
        // Every record accounted for once.
        let counts = try f.store.statusCounts(job: "people", run: summary.id)
        #expect(counts["created"] == 18 && counts["skipped"] == 2)
        #expect(events.filter { $0.type == "page_fetched" }.count == 5)
    }

    @Test func lookupsIntoTheWrittenObjectSeeEveryEarlierBatch() throws {
        // Each person's partner is on the page before; the partner's lead must be found.
        let src = Schema(
            platform: "fake", object: "person",
            fields: SyncRunnerTests.src.fields + [Field(name: "partner", type: .string)])
        let dst = Schema(
            platform: "fakedst", object: "lead", fields: SyncRunnerTests.dst.fields + [Field(name: "PartnerEmail", type: .string)])
        let text = SyncRunnerTests.mappingText + "\nPartnerEmail = lookup(fakedst.lead, Ref == partner)?.Email\n"
        let f = try Fixture(records: 12)
        for i in f.source.sourceRecords.indices {
            var fields = f.source.sourceRecords[i].fields.objectValue ?? []
            fields.append(("partner", i >= 4 ? .string("p\(i - 3)") : .null))
            fields[1].1 = .string("p\(i + 1)@example.com")
            f.source.sourceRecords[i].fields = .object(fields)
        }
        f.destination.writeDelay = 0.02
        let mapping = try Compiler.compile(SourceText(path: "m.map", text: text), schemas: InMemorySchemas([src, dst]))
        let runner = SyncRunner(
            job: f.job, mapping: mapping, version: "v1", source: f.source, destination: f.destination, store: f.store,
            lookupSchemas: ["fakedst.lead": dst], clock: f.clock)
        #expect(try runner.start().state.phase == .completed)
        #expect(!f.destination.foundWhileWriting)
        for i in 4..<12 {
            #expect(f.destination.stored["p\(i + 1)"]?["PartnerEmail"] == .string("p\(i - 3)@example.com"), "record p\(i + 1)")
        }
    }
}
