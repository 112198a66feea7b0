import Foundation
import MapDSL
import TestSupport
import Testing

@testable import SyncEngine

/// Incremental runs, batches across pages, old rejects, transient rejections, created-vs-updated
/// after a lost answer, runs whose process is gone, and cached lookups — against the in-memory
/// platforms, with per-key write counts.
@Suite struct SyncIncrementalTests {
    typealias Fixture = SyncRunnerTests.Fixture

    /// A fixture whose records carry modification times a second apart (record i at second i).
    static func timed(_ records: Int, pageSize: Int = 4, batchSize: Int? = nil, store: StoreKind = .sqlite) throws -> Fixture {
        var f = try Fixture(records: records, storePath: store.location())
        var spec: [(String, JSONValue)] = [
            ("source", ["platform": "fake", "object": "person"]), ("destination", ["platform": "fakedst", "object": "lead"]),
            ("mapping", "m.map"), ("pageSize", .int(pageSize)), ("retries", 3),
        ]
        if let batchSize { spec.append(("batchSize", .int(batchSize))) }
        f.job = try JobSpec.parse(.object(spec), name: "people", path: "people.json")
        for i in f.source.sourceRecords.indices { f.source.sourceRecords[i].modified = Self.time(i + 1) }
        return f
    }

    static func time(_ second: Int) -> String {
        Dates.formatDateTime(Int64(1_714_564_800 + second) * 1000)
    }

    /// Changes record `i` (1-based) at second `second`.
    static func change(_ f: Fixture, _ i: Int, second: Int, name: String) {
        var fields = f.source.sourceRecords[i - 1].fields.objectValue ?? []
        fields[2].1 = .string(name)
        f.source.sourceRecords[i - 1].fields = .object(fields)
        f.source.sourceRecords[i - 1].modified = Self.time(second)
    }

    @Test(arguments: StoreKind.all) func aSecondSyncReadsOnlyWhatChangedSinceTheMarkAndSendsOnlyThat(store kind: StoreKind) throws {
        let f = try Self.timed(200, pageSize: 10, store: kind)
        try f.runner().start()
        #expect(try f.store.watermark(job: "people")?.position.id == "p200")
        #expect(f.source.fetchRequests.allSatisfy { $0.modifiedSince == nil })
        let requestsBefore = f.source.fetchRequests.count
        let writesBefore = f.destination.writes
        // Five records change, well after the mark (the overlap re-reads the last minute before it).
        for (n, i) in [3, 51, 77, 121, 199].enumerated() { Self.change(f, i, second: 1000 + n, name: "Changed \(i)") }
        let fetchedBefore = f.source.fetchedRecords
        let second = try f.runner().start()
        #expect(second.state.phase == .completed)
        #expect(second.info["modifiedSince"]?.stringValue == Self.time(200 - 60))
        #expect(f.source.fetchRequests.dropFirst(requestsBefore).allSatisfy { $0.modifiedSince == Self.time(140) })
        // Records 140…200 in the overlap, plus the five changed: not the 200.
        let read = f.source.fetchedRecords - fetchedBefore
        #expect(read == 61 + 4, "read \(read)")
        for i in [3, 51, 77, 121, 199] { #expect(f.destination.writes["p\(i)"] == (writesBefore["p\(i)"] ?? 0) + 1) }
        let resent = f.destination.writes.filter { $0.value != (writesBefore[$0.key] ?? 0) }.count
        #expect(resent == 5, "records sent again: \(resent)")
        let counts = try f.store.statusCounts(job: "people", run: second.id)
        #expect(counts["updated"] == 5)
        #expect(try f.store.watermark(job: "people")?.position.modified == Self.time(1004))
    }

    @Test func fullIgnoresTheMarkAndAMappingChangeReadsEverything() throws {
        let f = try Self.timed(20)
        try f.runner().start()
        var full = SyncOptions()
        full.full = true
        let before = f.source.fetchedRecords
        try f.runner(full).start()
        #expect(f.source.fetchedRecords - before == 20)
        #expect(f.source.fetchRequests.last?.modifiedSince == nil)
        let other = SyncRunner(
            job: f.job, mapping: f.mapping, version: "v2", source: f.source, destination: f.destination, store: f.store, clock: f.clock)
        let again = f.source.fetchedRecords
        let run = try other.start()
        #expect(f.source.fetchedRecords - again == 20)
        let plan = try f.store.events(run: run.id).first { $0.type == "read_plan" }
        #expect(plan?.payload["reason"]?.stringValue?.contains("the mapping changed") == true)
    }

    @Test func theMarkNeverPassesWhatWasAcknowledged() throws {
        let f = try Self.timed(40)
        // Read in modification order (as Salesforce's SOQL source is): the mark moves page by page.
        f.source.orderedByTime = true
        f.destination.batchLimit = 4
        f.destination.dieAfterWriteCall = 3
        var sequential = SyncOptions()
        sequential.pipelineUploads = false
        #expect(throws: (any Error).self) { try f.runner(sequential).start() }
        // Three batches of four answered from pages 1-3 (one record of each is skipped, page 3 in
        // flight): the mark is at most the last record of the last page wholly answered.
        // Pages 1 and 2 answered; page 3's records went in the batch whose answer was lost.
        let mark = try #require(try f.store.watermark(job: "people"))
        #expect(mark.position.id == "p8" && mark.position.modified == Self.time(8))
        let run = try #require(try f.store.latestRun(job: "people"))
        let checkpoints = try f.store.events(run: run.id).filter { $0.type == "checkpoint" }
        #expect(checkpoints.last?.payload["mark"]?["id"]?.stringValue == mark.position.id)
    }

    @Test func batchesFillAcrossPagesSoRequestsFollowTheBatchLimitNotThePageSize() throws {
        // Pages of 4 (3 sendable once skips are out), batches of up to 10: 36 records in 4 requests.
        let f = try Self.timed(40)
        f.destination.batchLimit = 10
        let run = try f.runner().start()
        #expect(run.state.phase == .completed)
        #expect(f.destination.writeCalls == 4)
        #expect(f.destination.stored.count == 36)
        #expect(f.destination.writes.values.allSatisfy { $0 == 1 })
        // Every checkpoint comes after the answers to every record of its page and the pages before.
        var pageOf: [String: Int] = [:]
        for i in 1...40 where i % 10 != 0 {
            let events = try f.store.recordEvents(job: "people", key: "p\(i)")
            let fetched = try #require(events.first { $0.kind == "fetched" })
            pageOf["p\(i)"] = fetched.payload["page"]?.intValue
            #expect(events.contains { $0.kind == "result" })
        }
        // The same check from the record side: each record's result precedes its page's checkpoint.
        let checkpointSeq = Dictionary(
            try f.store.events(run: run.id).filter { $0.type == "checkpoint" }.map { ($0.payload["page"]?.intValue ?? 0, $0.seq) },
            uniquingKeysWith: max)
        #expect(checkpointSeq.count == 10)
        for (key, page) in pageOf {
            let result = try #require(try f.store.recordEvents(job: "people", key: key).first { $0.kind == "result" })
            for later in page...10 {
                #expect(result.seq < (checkpointSeq[later] ?? 0), "\(key) of page \(page) answered after the checkpoint of page \(later)")
            }
        }
    }

    @Test func oldRejectsAreNotSentAgainUntilTheirValuesOrTheMappingChangeOrRetry() throws {
        let f = try Fixture(records: 12)
        f.destination.reject = { r in
            r.fields["Email"]?.stringValue?.hasPrefix("p5@") == true || r.fields["Email"]?.stringValue?.hasPrefix("p7@") == true
                ? ("INVALID_EMAIL_ADDRESS", "invalid email", "Email") : nil
        }
        try f.runner().start()
        #expect(f.destination.writeCalls > 0)
        let calls = f.destination.writeCalls
        // A run with no change: nothing is sent, the two dead letters stay.
        let quiet = try f.runner().start()
        #expect(f.destination.writeCalls == calls)
        #expect(try f.store.statusCounts(job: "people", run: quiet.id)["rejected"] == 2)
        #expect(try f.store.records(job: "people", status: "rejected").map(\.key) == ["p5", "p7"])
        let why = try f.store.recordEvents(job: "people", key: "p5").last { $0.kind == "rejected" }
        #expect(why?.payload["resent"] == .bool(false))
        // p5's source changes: p5 alone goes again.
        SyncIncrementalTests.change(f, 5, second: 0, name: "New Name")
        f.source.sourceRecords[4].modified = nil
        try f.runner().start()
        #expect(f.destination.writeCalls == calls + 1)
        // mapc retry sends every dead letter.
        f.destination.reject = { _ in nil }
        let retry = try f.runner().retryRejected()
        #expect(retry.state.phase == .completed)
        #expect(try f.store.records(job: "people", status: "rejected").isEmpty)
    }

    @Test func transientRejectionsAreSentAgainInTheRunBeforeBecomingDeadLetters() throws {
        let f = try Fixture(records: 8)
        f.destination.lockedRows = ["p2": 2, "p3": 5]
        let run = try f.runner().start()
        #expect(run.state.phase == .completed)
        // p2 went through on its third attempt; p3 was still locked after the job's three attempts.
        #expect(f.destination.stored["p2"] != nil)
        let dead = try f.store.records(job: "people", status: "rejected")
        #expect(dead.map(\.key) == ["p3"])
        #expect(dead.first?.errorCode == "UNABLE_TO_LOCK_ROW" && dead.first?.transient == true)
        let retries = try f.store.events(run: run.id).filter { $0.type == "record_retry" }
        #expect(retries.count == 3)
        #expect(f.clock.slept.count >= 3)
        // The next run sends the locked record again although its values did not change.
        let calls = f.destination.writeCalls
        f.destination.lockedRows = [:]
        try f.runner().start()
        #expect(f.destination.writeCalls == calls + 1)
        #expect(f.destination.stored["p3"] != nil)
    }

    @Test func aRecordCreatedByABatchWhoseAnswerWasLostIsCountedOnceAsCreated() throws {
        let f = try Fixture(records: 10)
        var sequential = SyncOptions()
        sequential.pipelineUploads = false
        f.destination.dieAfterWriteCall = 2
        #expect(throws: (any Error).self) { try f.runner(sequential).start() }
        f.destination.dieAfterWriteCall = nil
        let resumed = try f.runner().resume()
        #expect(resumed.state.phase == .completed)
        let counts = try f.store.statusCounts(job: "people", run: resumed.id)
        // Nine records, all new to the destination: nine created, although the platform answered
        // "updated" to the three it had applied before the answer was lost.
        #expect(counts["created"] == 9 && counts["updated"] == nil)
        let result = try f.store.recordEvents(job: "people", key: "p4").last { $0.kind == "result" }
        #expect(result?.payload["status"]?.stringValue == "created" && result?.payload["reported"]?.stringValue == "updated")
        let acked = try f.store.events(run: resumed.id).filter { $0.type == "batch_acked" }
        #expect(acked.reduce(0) { $0 + ($1.payload["created"]?.intValue ?? 0) } == 9)
        #expect(acked.reduce(0) { $0 + ($1.payload["updated"]?.intValue ?? 0) } == 0)
    }

    @Test(arguments: StoreKind.all) func syncsAfterKilledRunsCloseThemInsteadOfLeavingThemRunning(store kind: StoreKind) throws {
        let f = try Fixture(records: 10, storePath: kind.location())
        var sequential = SyncOptions()
        sequential.pipelineUploads = false
        // Three runs die with a batch unanswered (as after kill -9), each followed by a new sync
        // (each with three changed records to send).
        for round in 0..<3 {
            for i in 1...3 { SyncIncrementalTests.change(f, i, second: round, name: "Round \(round)") }
            f.destination.dieAfterWriteCall = f.destination.writeCalls + 2
            #expect(throws: (any Error).self) { try f.runner(sequential).start() }
        }
        f.destination.dieAfterWriteCall = nil
        let last = try f.runner().start()
        #expect(last.state.phase == .completed)
        let runs = try f.store.runs(job: "people")
        #expect(runs.count == 4)
        #expect(runs.allSatisfy { !$0.state.phase.isRunning })
        for r in runs.dropLast() {
            #expect(r.state.phase == .cancelled)
            #expect(r.state.reason?.hasPrefix("abandoned: its process was gone") == true, "\(r.state.reason ?? "")")
            let events = try f.store.events(run: r.id)
            #expect(events.contains { $0.type == "reconcile" })
            #expect(events.contains { $0.type == "run_abandoned" })
        }
        #expect(f.destination.stored.count == 9)
    }

    @Test func aCloseInterruptedByAKillIsFinishedByTheNextSync() throws {
        let f = try Fixture(records: 10)
        var sequential = SyncOptions()
        sequential.pipelineUploads = false
        f.destination.dieAfterWriteCall = 2
        #expect(throws: (any Error).self) { try f.runner(sequential).start() }
        // The next sync dies while sending the abandoned run's batch again.
        f.destination.dieAfterWriteCall = 3
        #expect(throws: (any Error).self) { try f.runner(sequential).start() }
        let abandoned = try #require(try f.store.runs(job: "people").first)
        #expect(abandoned.state.phase != .cancelled && abandoned.state.phase != .completed)
        #expect(try f.store.runs(job: "people").count == 1)
        f.destination.dieAfterWriteCall = nil
        let run = try f.runner().start()
        #expect(run.state.phase == .completed)
        let closed = try #require(try f.store.run(abandoned.id))
        #expect(closed.state.phase == .cancelled && closed.state.reason?.hasPrefix("abandoned") == true)
        #expect(f.destination.stored.count == 9)
    }

    @Test func aRunWhoseProcessIsAliveIsNeitherTakenOverNorResumed() throws {
        let f = try Fixture(records: 6)
        let run = try f.store.createRun(job: "people", info: .object([("mappingVersion", "v1")]), at: "t")
        try f.store.transition(run: run, to: JobState(.fetching, page: 1), at: "t")
        // The parent process (the test runner's) stands for another mapc still running the job.
        let parent = ProcessIdentity(
            pid: getppid(), host: ProcessIdentity.current.host, start: ProcessIdentity.startTime(of: getppid()) ?? "")
        try f.store.acquireLease(
            RunLease(run: run, job: "people", process: parent, startedAt: "t", heartbeat: Date().timeIntervalSince1970))
        #expect {
            try f.runner().start()
        } throws: { error in
            "\(error)".contains("is still running") && "\(error)".contains("process \(parent.pid)")
        }
        #expect(throws: JobError.self) { try f.runner().resume() }
        #expect(try f.store.lease(run: run) != nil)
        #expect(try f.store.replayState(run: run).phase == .fetching)
        // Once that process is gone, resume continues the run and says whose it was.
        try f.store.acquireLease(
            RunLease(
                run: run, job: "people", process: ProcessIdentity(pid: parent.pid, host: parent.host, start: parent.start + "9"),
                startedAt: "t", heartbeat: 0))
        let resumed = try f.runner().resume()
        #expect(resumed.state.phase == .completed)
        let interrupted = try f.store.events(run: run).first { $0.payload["reason"]?.stringValue?.hasPrefix("interrupted") == true }
        #expect(interrupted?.payload["reason"]?.stringValue?.contains("has ended") == true)
        #expect(try f.store.lease(run: run) == nil)
    }

    @Test func cancelClosesARunWhoseProcessIsGone() throws {
        let f = try Fixture(records: 6)
        let run = try f.store.createRun(job: "people", info: .object([("mappingVersion", "v1")]), at: "t")
        try f.store.transition(run: run, to: JobState(.fetching, page: 1), at: "t")
        let state = try Operations.cancel(store: f.store, job: "people", by: "ops", at: "t")
        #expect(state.phase == .cancelled)
        #expect(state.reason?.contains("no process was running it") == true)
    }

    @Test(arguments: StoreKind.all) func lookupsAreCachedAcrossRunsWithinTheirFreshnessAndOutagesAreNot(store kind: StoreKind) throws {
        let src = Schema(platform: "fake", object: "person", fields: SyncRunnerTests.src.fields + [Field(name: "partner", type: .string)])
        let dst = Schema(
            platform: "fakedst", object: "lead", fields: SyncRunnerTests.dst.fields + [Field(name: "PartnerName", type: .string)])
        let text = SyncRunnerTests.mappingText + "\nPartnerName = lookup(fake.person, id == partner)?.name\n"
        let mapping = try Compiler.compile(SourceText(path: "m.map", text: text), schemas: InMemorySchemas([src, dst]))
        let f = try Fixture(records: 12, storePath: kind.location())
        // Partners: p1…p4 exist, "ghost" does not.
        for i in f.source.sourceRecords.indices {
            var fields = f.source.sourceRecords[i].fields.objectValue ?? []
            fields.append(("partner", .string(i % 5 == 4 ? "ghost" : "p\(i % 4 + 1)")))
            f.source.sourceRecords[i].fields = .object(fields)
        }
        f.source.stored(["p1": ["name": "One"], "p2": ["name": "Two"], "p3": ["name": "Three"], "p4": ["name": "Four"]])
        // Pages mapped one after the other, so each value is looked up once.
        var options = SyncOptions()
        options.mapAhead = false
        func runner() -> SyncRunner {
            SyncRunner(
                job: f.job, mapping: mapping, version: "v1", source: f.source, destination: f.destination, store: f.store,
                lookupSchemas: ["fake.person": src], clock: f.clock, options: options)
        }
        try runner().start()
        // Five values (four partners and the missing one), each looked up once across the pages.
        #expect(f.source.findCalls == 5)
        // A second run within the freshness bounds asks the platform nothing.
        f.clock.advance(60)
        try runner().start()
        #expect(f.source.findCalls == 5)
        // Past the bound of "no match" (10 minutes) only the missing one is asked again.
        f.clock.advance(Double(JobSpec.defaultLookupMissTTL))
        try runner().start()
        #expect(f.source.findCalls == 6)
        // Past the bound of found records (an hour) all are; an outage is not cached.
        f.clock.advance(Double(JobSpec.defaultLookupTTL))
        f.source.failingFinds = ["p1": 1]
        try runner().start()
        #expect(f.source.findCalls == 12)
        #expect(f.destination.stored["p2"]?["PartnerName"] == "Two")
    }

    @Test func theLookupCacheBoundsComeFromTheJobFile() throws {
        let job = try JobSpec.parse(
            [
                "source": ["platform": "a", "object": "b"], "destination": ["platform": "c", "object": "d"], "mapping": "m.map",
                "overlapSeconds": 5, "lookupCache": ["ttlSeconds": 120, "negativeTtlSeconds": 30],
            ], name: "j", path: "j.json")
        #expect(job.overlapSeconds == 5 && job.lookupTTL == 120 && job.lookupMissTTL == 30)
        for bad: JSONValue in [["ttlSeconds": -1], ["ttl": 5], "x"] {
            #expect(throws: JobError.self) {
                try JobSpec.parse(
                    [
                        "source": ["platform": "a", "object": "b"], "destination": ["platform": "c", "object": "d"], "mapping": "m.map",
                        "lookupCache": bad,
                    ], name: "j", path: "j.json")
            }
        }
    }
}
