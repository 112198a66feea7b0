import Foundation
import MapDSL
import Testing

@testable import SyncEngine

/// The runner's decisions as plain values: batches across pages, checkpoints, the high-water mark,
/// what to do with a record, per-record retries and leases. Event in, action out.
@Suite struct SyncDecisionTests {
    static func pending(_ id: String, key: String? = nil, page: Int, bytes: Int = 10) -> Pending {
        Pending(
            id: id, key: key ?? id, hash: "h" + id, values: [], json: Array(repeating: UInt8(ascii: "x"), count: bytes), page: page,
            isNew: true)
    }

    @Test func batchesFillAcrossPagesUpToTheRecordLimit() {
        var buffer = BatchBuffer(maxRecords: 5, maxBytes: nil)
        var sent: [[String]] = []
        // Pages of three records: batches of five span them.
        for page in 1...4 {
            for i in 0..<3 {
                for batch in buffer.add(Self.pending("p\(page)r\(i)", page: page)) { sent.append(batch.map(\.id)) }
            }
        }
        #expect(sent.count == 2)
        #expect(sent[0] == ["p1r0", "p1r1", "p1r2", "p2r0", "p2r1"])
        #expect(buffer.drain()?.count == 2)
        #expect(buffer.drain() == nil)
    }

    @Test func aBatchEndsBeforeAKeyItHoldsAndBeforeThePayloadLimit() {
        var buffer = BatchBuffer(maxRecords: 100, maxBytes: 3 * (10 + BatchBuffer.recordOverhead))
        #expect(buffer.add(Self.pending("a", page: 1)).isEmpty)
        #expect(buffer.add(Self.pending("b", page: 1)).isEmpty)
        // The same key (case aside) goes in the next batch, after the first.
        let split = buffer.add(Self.pending("c", key: "A", page: 2))
        #expect(split.map { $0.map(\.id) } == [["a", "b"]])
        #expect(buffer.add(Self.pending("d", page: 2)).isEmpty)
        #expect(buffer.add(Self.pending("e", page: 2)).isEmpty)
        // A fourth record would pass the byte limit.
        #expect(buffer.add(Self.pending("f", page: 2)).map { $0.map(\.id) } == [["c", "d", "e"]])
    }

    @Test func aCheckpointWaitsForEveryRecordOfItsPageAndOfThePagesBefore() {
        var queue = CheckpointQueue()
        queue.add(Checkpoint(page: 1, cursor: nil, next: "a"), sending: 2)
        queue.add(Checkpoint(page: 2, cursor: "a", next: "b"), sending: 0)
        queue.add(Checkpoint(page: 3, cursor: "b", next: "c"), sending: 1)
        // Page 3's record answered first: nothing may be written yet.
        queue.answered(pages: [3])
        #expect(queue.ready().isEmpty)
        queue.answered(pages: [1])
        #expect(queue.ready().isEmpty)
        queue.answered(pages: [1])
        #expect(queue.ready().map(\.page) == [1, 2, 3])
        #expect(queue.isEmpty)
        // Answers to records of pages no longer waiting (a reconciled batch) change nothing.
        queue.answered(pages: [7])
        #expect(queue.ready().isEmpty)
    }

    static func page(_ times: [(String, String)], ordered: Bool) -> SourcePage {
        SourcePage(
            records: times.map { SourceRecord(id: $0.0, fields: [:], modified: $0.1) }, nextCursor: nil, ordered: ordered)
    }

    @Test func anOrderedReadMovesTheMarkWithEachCheckpointNeverPastIt() {
        var tracker = WatermarkTracker()
        tracker.read(Self.page([("a", "2024-01-01T00:00:01Z"), ("b", "2024-01-01T00:00:02Z")], ordered: true), number: 1)
        tracker.read(Self.page([("c", "2024-01-01T00:00:02Z"), ("d", "2024-01-01T00:00:05Z")], ordered: true), number: 2)
        // Page 2 is read but not acknowledged: the mark is page 1's last record.
        let first = tracker.checkpoint(page: 1, done: false, startedAt: Int64.max)
        #expect(first?.id == "b" && first?.modified == "2024-01-01T00:00:02Z")
        #expect(tracker.checkpoint(page: 1, done: false, startedAt: Int64.max) == nil)
        #expect(tracker.checkpoint(page: 2, done: true, startedAt: Int64.max)?.id == "d")
    }

    @Test func aListingOutOfOrderHasAMarkOnlyWhenOverAndNoLaterThanItsStart() {
        var tracker = WatermarkTracker()
        tracker.read(Self.page([("a", "2024-01-01T00:00:09Z")], ordered: false), number: 1)
        tracker.read(Self.page([("b", "2024-01-01T00:00:01Z")], ordered: false), number: 2)
        #expect(tracker.checkpoint(page: 1, done: false, startedAt: Int64.max) == nil)
        #expect(tracker.checkpoint(page: 2, done: true, startedAt: Int64.max)?.id == "a")
        // A record changed after the listing started: the mark stays at the start.
        var late = WatermarkTracker()
        late.read(Self.page([("a", "2024-01-01T00:00:09Z")], ordered: false), number: 1)
        let start = Dates.parseISODateTime("2024-01-01T00:00:05Z")!
        let mark = late.checkpoint(page: 1, done: true, startedAt: start)
        #expect(mark?.millis == start && mark?.id == "")
    }

    static func mark(version: String = "v1", source: String = "hubspot.contact") -> Watermark {
        Watermark(
            position: SourcePosition(modified: "2024-05-01T12:00:00.000Z", id: "42")!, mappingVersion: version, source: source, run: 3,
            at: "t")
    }

    @Test func theReadPlanIsIncrementalOnlyForTheSameMappingAndSourceAndNotWithFull() {
        let plan = ReadPlan.decide(mark: Self.mark(), full: false, mappingVersion: "v1", source: "hubspot.contact", overlapSeconds: 60)
        #expect(plan.modifiedSince == "2024-05-01T11:59:00.000Z")
        let cases: [(Watermark?, Bool, String, String)] = [
            (nil, false, "no high-water mark", "v1"), (Self.mark(), true, "--full", "v1"),
            (Self.mark(version: "v0"), false, "the mapping changed", "v1"),
            (Self.mark(source: "salesforce.Lead"), false, "reading salesforce.Lead", "v1"),
        ]
        for (mark, full, why, version) in cases {
            let plan = ReadPlan.decide(mark: mark, full: full, mappingVersion: version, source: "hubspot.contact", overlapSeconds: 60)
            guard case .full(let reason) = plan else {
                Issue.record("\(why): read incrementally")
                continue
            }
            #expect(reason.contains(why), "\(reason)")
        }
    }

    static func prepared(hash: String, invalid: Bool = false) -> PreparedRecord.Outcome {
        let violations =
            invalid ? OutputValidator.validate([.null], fields: [Field(name: "F", type: .string, nullable: false, required: true)]) : []
        return .mapped(values: [], json: [], violations: violations, hash: hash, key: "k")
    }

    static func state(
        run: Int, status: String, sent: String? = nil, content: String? = nil, version: String = "v1", transient: Bool = false
    )
        -> RecordSyncState
    {
        RecordSyncState(
            run: run, status: status, sentHash: sent, contentHash: content, mappingVersion: version,
            errorCode: status == "rejected" ? "X" : nil,
            transient: transient)
    }

    static func kind(_ action: RecordAction) -> String {
        switch action {
        case .alreadyDone: "alreadyDone"
        case .skip: "skip"
        case .mappingFailed: "mappingFailed"
        case .invalid: "invalid"
        case .unchanged: "unchanged"
        case .stillRejected: "stillRejected"
        case .send(_, _, _, _, let isNew, let again): "send" + (isNew ? " new" : "") + (again ? " again" : "")
        }
    }

    @Test func aRejectedRecordGoesAgainOnlyWhenItsValuesOrTheMappingChangedOrItsErrorPasses() {
        func decide(_ before: RecordSyncState?, hash: String = "h1", full: Bool = false, retrying: Bool = false) -> String {
            Self.kind(
                RecordDecision.decide(Self.prepared(hash: hash), before: before, run: 9, version: "v1", full: full, retrying: retrying))
        }
        let refused = Self.state(run: 2, status: "rejected", content: "h1")
        #expect(decide(refused) == "stillRejected")
        #expect(decide(refused, hash: "h2") == "send new")
        #expect(decide(Self.state(run: 2, status: "rejected", content: "h1", version: "v0")) == "send new")
        #expect(decide(Self.state(run: 2, status: "rejected", content: "h1", transient: true)) == "send new")
        #expect(decide(refused, retrying: true) == "send new")
        #expect(decide(refused, full: true) == "send new")
        #expect(decide(Self.state(run: 2, status: "created", sent: "h1", content: "h1")) == "unchanged")
        #expect(decide(Self.state(run: 2, status: "created", sent: "h0", content: "h0")) == "send")
        #expect(decide(nil) == "send new")
    }

    @Test func aRecordSettledInThisRunIsDoneUnlessItChangedMeanwhile() {
        func decide(_ before: RecordSyncState?, _ outcome: PreparedRecord.Outcome) -> String {
            Self.kind(RecordDecision.decide(outcome, before: before, run: 9, version: "v1", full: false, retrying: false))
        }
        let settled = Self.state(run: 9, status: "created", sent: "h1", content: "h1")
        #expect(decide(settled, Self.prepared(hash: "h1")) == "alreadyDone")
        #expect(decide(settled, Self.prepared(hash: "h2")) == "send again")
        #expect(decide(settled, .skipped(rule: 0)) == "alreadyDone")
        #expect(decide(Self.state(run: 9, status: "rejected", content: "h1"), Self.prepared(hash: "h1")) == "alreadyDone")
        // In flight in this run (its answer not in yet): not settled, decided as usual.
        #expect(decide(Self.state(run: 8, status: "created", sent: "h1", content: "h1"), Self.prepared(hash: "h1")) == "unchanged")
        #expect(decide(nil, Self.prepared(hash: "h1", invalid: true)) == "invalid")
    }

    @Test func transientRejectionsGoAgainWithGrowingPausesUpToTheAttempts() {
        let results = [
            WriteResult(key: "a", status: .rejected, errorCode: "UNABLE_TO_LOCK_ROW", transient: true),
            WriteResult(key: "b", status: .rejected, errorCode: "INVALID_EMAIL_ADDRESS"), WriteResult(key: "c", status: .created),
        ]
        let backoff = Backoff(base: 1, cap: 8)
        let first = RecordRetry.decide(results, attempt: 1, maxAttempts: 3, backoff: backoff, unit: 0)
        #expect(first?.keys == ["a"] && first?.delay == 0.5)
        #expect(RecordRetry.decide(results, attempt: 3, maxAttempts: 3, backoff: backoff, unit: 0)?.delay == 2)
        #expect(RecordRetry.decide(results, attempt: 4, maxAttempts: 3, backoff: backoff, unit: 0) == nil)
        #expect(RecordRetry.decide(Array(results.dropFirst()), attempt: 1, maxAttempts: 3, backoff: backoff, unit: 0) == nil)
    }

    @Test func aLeaseIsAliveWhileItsProcessRunsOrItsHeartbeatIsFreshOnAnotherHost() {
        let me = ProcessIdentity(pid: 100, host: "here", start: "5")
        func lease(_ p: ProcessIdentity, beat: Double) -> RunLease {
            RunLease(run: 1, job: "j", process: p, startedAt: "t", heartbeat: beat)
        }
        func judge(_ l: RunLease?, alive: Bool) -> String {
            switch LeaseVerdict.judge(l, current: me, now: 1000, timeout: 120, isAlive: { _ in alive }) {
            case .alive: "alive"
            case .orphaned: "orphaned"
            }
        }
        let other = ProcessIdentity(pid: 200, host: "here", start: "7")
        #expect(judge(lease(other, beat: 0), alive: true) == "alive")
        #expect(judge(lease(other, beat: 999), alive: false) == "orphaned")
        #expect(judge(nil, alive: true) == "orphaned")
        // This very process holds it but is not running it (an error ended the run).
        #expect(judge(lease(me, beat: 999), alive: true) == "orphaned")
        let remote = ProcessIdentity(pid: 200, host: "there", start: "7")
        #expect(judge(lease(remote, beat: 950), alive: false) == "alive")
        #expect(judge(lease(remote, beat: 800), alive: true) == "orphaned")
    }

    @Test func thisProcessIsAliveAndADeadOrReusedPidIsNot() {
        let me = ProcessIdentity.current
        #expect(ProcessIdentity.isAlive(me))
        #expect(!ProcessIdentity.isAlive(ProcessIdentity(pid: me.pid, host: me.host, start: me.start + "0")))
        #expect(!ProcessIdentity.isAlive(ProcessIdentity(pid: 0, host: me.host, start: "")))
    }

    @Test func transientErrorsAreReadFromTheirFileAndBadFilesNameTheRuleBroken() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("mapc-errors-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory + "/x", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try #"{"format":"mapc-errors/1","platform":"x","transient":[{"code":"LOCKED","source":"docs"},{"status":"5xx","source":"docs"}]}"#
            .write(toFile: directory + "/x/errors.json", atomically: true, encoding: .utf8)
        let table = try TransientErrors.load(platform: "x", directory: directory)
        #expect(table.isTransient(code: "LOCKED"))
        #expect(table.isTransient(code: "OTHER", status: 503))
        #expect(!table.isTransient(code: "OTHER", status: 400))
        #expect(try TransientErrors.load(platform: "none", directory: directory).rules.isEmpty)
        try #"{"format":"mapc-errors/1","platform":"x","transient":[{"code":"LOCKED"}]}"#
            .write(toFile: directory + "/x/errors.json", atomically: true, encoding: .utf8)
        #expect {
            _ = try TransientErrors.load(platform: "x", directory: directory)
        } throws: { error in
            "\(error)".contains("errors.json: transient[0] needs `source`")
        }
    }

    @Test(arguments: ["hubspot", "salesforce", "mailchimp"])
    func everyShippedErrorsFileLoadsAndNamesItsSources(platform: String) throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let table = try TransientErrors.load(platform: platform, directory: root.appendingPathComponent("platforms").path)
        #expect(table.rules.allSatisfy { !$0.source.isEmpty })
        if platform == "salesforce" { #expect(table.isTransient(code: "UNABLE_TO_LOCK_ROW")) }
        if platform == "hubspot" { #expect(table.isTransient(code: nil, status: 429) && table.isTransient(code: nil, status: 502)) }
    }
}
