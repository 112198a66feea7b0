import Foundation
import MapDSL
import Observe
import TestSupport
import Testing

@testable import SyncEngine

/// Everything the console's projections say, read through the public reader, for comparisons.
struct ProjectionDump: Equatable {
    var runs: [RunStats]
    var counts: [Int: [String: Int]]
    var totals: [String: [String: Int]]
    var groups: [String: [String]]
    var counters: [String: Double]
    var successes: [JobSuccess]

    init(_ store: EventStore) throws {
        (runs, counts, totals, groups, counters, successes) = try store.read { r in
            let jobs = Set(try r.latestRuns().map(\.job)).sorted()
            var runs: [RunStats] = []
            var counts: [Int: [String: Int]] = [:]
            var totals: [String: [String: Int]] = [:]
            var groups: [String: [String]] = [:]
            for job in jobs {
                let history = try r.runHistory(job: job, limit: 10_000)
                runs += history
                for h in history { counts[h.run] = try r.recordCounts(job: job, run: h.run) }
                totals[job] = try r.recordTotals(job: job)
                // The sample message is whichever record's text; the counts are what must agree.
                groups[job] = try r.failureGroups(job: job).map { "\($0.count) \($0.code ?? "-") \($0.field ?? "-")" }.sorted()
            }
            var counters: [String: Double] = [:]
            for c in try r.counters() where c.value != 0 { counters["\(c.family) \(c.job) \(c.label)"] = (c.value * 1e6).rounded() / 1e6 }
            return (runs, counts, totals, groups, counters, try r.lastSuccesses())
        }
    }
}

@Suite(.serialized) struct ConsoleProjectionTests {
    /// A store with history of every kind: complete runs, rejections, a fix, a retry of one group,
    /// a pause after retries, a resume, a cancel, alerts and rate-limit waits.
    static func busyStore(_ store: EventStore) throws -> SyncFixture {
        let fixture = try SyncFixture(records: 40, bad: [3, 8, 15, 22], store: store)
        let clock = SteppingClock()
        for _ in 0..<3 { _ = try fixture.runner(clock: clock, full: true).start() }
        let calls = fixture.destination.writeCalls
        fixture.destination.failWriteCalls = [calls + 2: .transient("HTTP 503"), calls + 3: .transient("HTTP 503")]
        #expect(throws: SyncStopped.self) { try fixture.runner(clock: clock, full: true).start() }
        let latest = try #require(try store.latestRun(job: "people"))
        try store.append(
            run: latest.id, type: "rate_limited", payload: ["while": "fetching page 2", "wait": 1.5, "message": "429"],
            at: clock.timestamp())
        try store.append(run: latest.id, type: "alert_sent", payload: ["condition": "paused", "key": "paused@9"], at: clock.timestamp())
        _ = try fixture.runner(clock: clock, actor: Principal("ada", proof: .login)).resume()
        _ = try Operations.fix(
            store: store, job: "people", key: "p3", field: "email", value: "person3@example.com", by: Principal("ada", proof: .login),
            at: clock.timestamp())
        _ = try fixture.runner(clock: clock).retryRejected(only: RejectedFilter(code: "INVALID_EMAIL_ADDRESS", field: "Email"))
        _ = try store.createRun(job: "people", info: ["kind": "sync", "source": "fake.person"], at: clock.timestamp())
        _ = try Operations.cancel(store: store, job: "people", by: "bob", at: clock.timestamp())
        return fixture
    }

    /// The projections the store maintained while writing equal the ones rebuilt from the whole
    /// history (the migration's backfill): incremental maintenance and backfill agree.
    @Test(arguments: StoreKind.all) func maintainedProjectionsEqualARebuildFromHistory(store kind: StoreKind) throws {
        let store = try EventStore(path: kind.location())
        _ = try Self.busyStore(store)
        let maintained = try ProjectionDump(store)
        #expect(maintained.runs.count == 6)
        try store.rebuildConsoleProjections()
        let rebuilt = try ProjectionDump(store)
        #expect(maintained == rebuilt)
    }

    /// Each projection says what a scan of the history says.
    @Test(arguments: StoreKind.all) func projectionsAgreeWithTheRecordsAndEvents(store kind: StoreKind) throws {
        let store = try EventStore(path: kind.location())
        _ = try Self.busyStore(store)
        let runs = try store.runs(job: "people")
        // Read outside the reader: an in-memory store's reader holds the store's only connection.
        let totals = try store.statusCounts(job: "people")
        let perRun = try Dictionary(uniqueKeysWithValues: runs.map { ($0.id, try store.statusCounts(job: "people", run: $0.id)) })
        let rejected = try store.records(job: "people", status: "rejected")
        try store.read { r in
            #expect(try r.recordTotals(job: "people") == totals)
            for run in runs { #expect(try r.recordCounts(job: "people", run: run.id) == perRun[run.id]) }
            #expect(try r.rejectedCount(job: "people") == rejected.count)
            var byGroup: [String: Int] = [:]
            for rec in rejected { byGroup["\(rec.errorCode ?? "") \(rec.field ?? "")", default: 0] += 1 }
            let groups = try r.failureGroups(job: "people")
            #expect(Dictionary(uniqueKeysWithValues: groups.map { ("\($0.code ?? "") \($0.field ?? "")", $0.count) }) == byGroup)
            for g in groups { #expect(try r.rejectedCount(job: "people", filter: g.filter) == g.count) }
        }
        // Outcome counters: one per outcome record event.
        var outcomes: [String: Double] = [:]
        for key in (1...40).map({ "p\($0)" }) {
            for e in try store.recordEvents(job: "people", key: key) {
                switch e.kind {
                case "skipped", "rejected", "unchanged": outcomes[e.kind, default: 0] += 1
                case "result": outcomes[e.payload["status"]?.stringValue ?? "?", default: 0] += 1
                default: break
                }
            }
        }
        let counters = try store.read { try $0.counters() }.filter { $0.family == "records" }
        #expect(Dictionary(uniqueKeysWithValues: counters.map { ($0.label, $0.value) }) == outcomes)
        // The run projection's completion counts are the run_completed event's.
        for run in runs {
            let stats = try #require(try store.read { try $0.runStats(run: run.id) })
            let done = try store.lastEvent(run: run.id, types: ["run_completed"])
            #expect(stats.records == done?.payload["counts"]?["fetched"]?.intValue)
            #expect(stats.phase == run.state.phase.rawValue)
        }
    }

    /// A store written before the projections existed gets them, from its history, when it is
    /// first opened by this version (the migration backfills them).
    @Test func anExistingStoreIsBackfilledWhenOpened() throws {
        let path = NSTemporaryDirectory() + "projection-\(UUID().uuidString).db"
        defer { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) } }
        var expected: ProjectionDump
        do {
            let store = try EventStore(path: path)
            _ = try Self.busyStore(store)
            expected = try ProjectionDump(store)
            // Back to the shape of a store from before: no projection tables, no migration row.
            try store.locked {
                try store.db.exec(
                    """
                    DROP TABLE console_runs; DROP TABLE console_record_counts; DROP TABLE console_record_totals;
                    DROP TABLE console_failure_groups; DROP TABLE console_counters; DROP TABLE console_jobs;
                    DROP INDEX records_rejected_group; DELETE FROM migrations WHERE name = 'console_001_projections';
                    """)
            }
        }
        let reopened = try EventStore(path: path)
        #expect(try ProjectionDump(reopened) == expected)
    }

    /// The console's questions use indexes: none of them scans the records or the events.
    @Test func consoleQueriesUseIndexesNotScans() throws {
        let store = try EventStore(path: ":memory:")
        _ = try Self.busyStore(store)
        let plans = [
            try store.queryPlan(
                "SELECT key FROM records WHERE job = ? AND status = 'rejected' AND coalesce(error_code, '') = ? AND coalesce(field, '') = ? ORDER BY key LIMIT 50 OFFSET 50",
                [.text("people"), .text("X"), .text("Y")]),
            try store.queryPlan(
                "SELECT count(*) FROM records WHERE job = ? AND status = 'rejected' AND key >= ? AND key < ?",
                [.text("people"), .text("p1"), .text("p2")]),
            try store.queryPlan(
                "SELECT seq FROM events WHERE run = ? AND type IN (?) ORDER BY seq DESC LIMIT 50 OFFSET 0", [.int(1), .text("state")]),
            try store.queryPlan("SELECT type, count(*) FROM events WHERE run = ? GROUP BY type", [.int(1)]),
            try store.queryPlan(
                "SELECT run FROM console_runs WHERE job = ? AND kind = ? AND phase = ? AND run < ? ORDER BY run DESC LIMIT 50",
                [.text("people"), .text("sync"), .text("completed"), .int(9)]),
        ]
        for plan in plans {
            #expect(!plan.contains { $0.hasPrefix("SCAN records") || $0.hasPrefix("SCAN events") }, "\(plan)")
        }
    }

    /// A snapshot of the job reads the projections: it agrees with the history it summarises.
    @Test(arguments: StoreKind.all) func snapshotsReadTheProjections(store kind: StoreKind) throws {
        let project = try TempProject()
        defer { project.remove() }
        let store = try EventStore(path: kind.location())
        _ = try Self.busyStore(store)
        let s = try Observatory(store: store, root: project.root, clock: SteppingClock()).snapshot(job: "people", checkMapping: false)
        #expect(s.run?.state.phase == .cancelled)
        #expect(s.totals == (try store.statusCounts(job: "people")))
        // Runs 1 to 3 completed, 4 paused and was resumed to completion, 5 is a retry, 6 was cancelled.
        #expect(s.lastSuccess?.run == 4, "the retry run is not a sync")
        #expect(s.history.map(\.run) == [1, 2, 3, 4], "past completed runs of the latest run's kind, oldest first")
    }
}
