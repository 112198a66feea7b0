import Foundation
import MapDSL
import SyncEngine
import Testing

/// A source whose pages after `failFrom` fail (transiently) while `failures` lasts: a run pauses
/// part-way through, with earlier pages done.
final class PausingSource: PlatformAdapter, @unchecked Sendable {
    let inner: FakePlatform
    let failCursor: String
    var failures: Int
    init(_ inner: FakePlatform, failCursor: String, failures: Int) {
        self.inner = inner
        self.failCursor = failCursor
        self.failures = failures
    }
    var platform: String { inner.platform }
    func limits(object: String, mode: WriteMode) -> AdapterLimits { inner.limits(object: object, mode: mode) }
    func describe(object: String) throws -> Schema { try inner.describe(object: object) }
    func fetch(_ request: FetchRequest) throws -> SourcePage {
        if request.cursor == failCursor, failures > 0 {
            failures -= 1
            throw AdapterError.transient("HTTP 503 Service Unavailable")
        }
        return try inner.fetch(request)
    }
    func write(_ request: WriteRequest) throws -> [WriteResult] { try inner.write(request) }
    func find(object: String, field: String, value: String) throws -> JSONValue? {
        try inner.find(object: object, field: field, value: value)
    }
}

@Suite struct OperatorLoopTests {
    typealias Fixture = SyncRunnerTests.Fixture

    static func rejectP5(_ f: Fixture, always: Bool) {
        f.destination.reject = { r in
            let email = r.fields["Email"]?.stringValue ?? ""
            if email == "p5@example.com" || (always && r.fields["Ref"] == "p5") {
                return ("INVALID_EMAIL_ADDRESS", "Email: invalid email address: \(email)", "Email")
            }
            return nil
        }
    }

    static func sequential(full: Bool = false, supersede: Bool = false) -> SyncOptions {
        var o = SyncOptions()
        o.pipelineUploads = false
        o.readAhead = false
        o.full = full
        o.supersede = supersede
        return o
    }

    // MARK: Fixes persist

    @Test func fixSurvivesASyncAndAReRejectionAndTheRetryThatWritesItIsRecorded() throws {
        let f = try Fixture(records: 8)
        Self.rejectP5(f, always: true)
        try f.runner().start()
        try Operations.fix(
            store: f.store, job: "people", key: "p5", field: "Email", value: "fixed@example.com", side: .destination, by: "erin", at: "t")
        // A full sync reads p5 again, sends it with the fix, and the platform refuses it again.
        var full = SyncOptions()
        full.full = true
        let second = try f.runner(full).start()
        #expect(try f.store.statusCounts(job: "people", run: second.id)["rejected"] == 1)
        let kept = try #require(try f.store.fixes(job: "people")["p5"])
        #expect(kept.map(\.field) == ["Email"] && kept[0].isOutstanding && kept[0].by == "erin")
        // The platform accepts it now: the retry writes the fixed value and records that it applied the fix.
        Self.rejectP5(f, always: false)
        let retry = try f.runner().retryRejected()
        #expect(retry.state.phase == .completed)
        #expect(f.destination.stored["p5"]?["Email"] == "fixed@example.com")
        let applied = try #require(try f.store.fixes(job: "people")["p5"]?.first)
        #expect(applied.appliedRun == retry.id)
        let trail = try f.store.recordEvents(job: "people", key: "p5")
        #expect(trail.contains { $0.kind == "fixed" && $0.payload["by"] == "erin" })
        #expect(trail.last?.kind == "fix_applied" && trail.last?.run == retry.id)
    }

    @Test func fixAppliedByASyncThatReadsTheRecord() throws {
        let f = try Fixture(records: 8)
        Self.rejectP5(f, always: false)
        try f.runner().start()
        try Operations.fix(
            store: f.store, job: "people", key: "p5", field: "email", value: "Good@Example.com", side: .source, by: "erin", at: "t")
        var full = SyncOptions()
        full.full = true
        let run = try f.runner(full).start()
        // The source fix is mapped (lower-cased) and written by the sync.
        #expect(f.destination.stored["p5"]?["Email"] == "good@example.com")
        #expect(try f.store.fixes(job: "people")["p5"]?.first?.appliedRun == run.id)
    }

    @Test func appliedFixStaysInEffectUntilTheSourceChanges() throws {
        let f = try Fixture(records: 8)
        Self.rejectP5(f, always: false)
        try f.runner().start()
        try Operations.fix(
            store: f.store, job: "people", key: "p5", field: "Email", value: "fixed@example.com", side: .destination, by: "erin", at: "t")
        try f.runner().retryRejected()
        // A full sync of the unchanged source does not send the old value again.
        var full = SyncOptions()
        full.full = false
        let again = try f.runner(full).start()
        #expect(f.destination.stored["p5"]?["Email"] == "fixed@example.com")
        #expect(try f.store.statusCounts(job: "people", run: again.id)["rejected"] == nil)
        // The source changes: its new value wins and the fix is retired.
        f.source.sourceRecords[4].fields = ["id": "p5", "email": "new@example.com", "name": "Person 5"]
        let changed = try f.runner().start()
        #expect(changed.state.phase == .completed)
        #expect(f.destination.stored["p5"]?["Email"] == "new@example.com")
        #expect(try f.store.fixes(job: "people")["p5"] == nil)
        #expect(try f.store.recordEvents(job: "people", key: "p5").contains { $0.kind == "fix_superseded" })
    }

    @Test func withdrawnFixIsNotAppliedAgain() throws {
        let f = try Fixture(records: 8)
        Self.rejectP5(f, always: false)
        try f.runner().start()
        try Operations.fix(
            store: f.store, job: "people", key: "p5", field: "Email", value: "fixed@example.com", side: .destination, by: "erin", at: "t")
        #expect(try Operations.withdrawFixes(store: f.store, job: "people", key: "p5", fields: [], by: "erin", at: "t") == ["Email"])
        #expect(try f.store.fixes(job: "people").isEmpty)
        let retry = try f.runner().retryRejected()
        #expect(try f.store.statusCounts(job: "people", run: retry.id)["rejected"] == 1)
        #expect(throws: JobError.self) {
            try Operations.withdrawFixes(store: f.store, job: "people", key: "p5", fields: [], by: "erin", at: "t")
        }
    }

    // MARK: One active run per job

    func pausedRun(_ f: Fixture, full: Bool = false) throws -> RunSummary {
        let source = PausingSource(f.source, failCursor: "4", failures: 3)
        let runner = SyncRunner(
            job: f.job, mapping: f.mapping, version: "v1", source: source, destination: f.destination, store: f.store, clock: f.clock,
            options: Self.sequential(full: full))
        #expect(throws: SyncStopped.self) { try runner.start() }
        let run = try #require(try f.store.latestRun(job: "people"))
        #expect(run.state.phase == .paused)
        return run
    }

    @Test func pausedRunRefusesANewSyncOrRetryAndSupersedeCancelsItAsAnEvent() throws {
        let f = try Fixture(records: 10)
        let paused = try pausedRun(f)
        let refusal = #expect(throws: ActiveRunError.self) { try f.runner().start() }
        #expect(refusal?.run == paused.id)
        #expect(refusal?.description.contains("mapc resume people") == true)
        #expect(refusal?.description.contains("mapc cancel people") == true)
        #expect(throws: ActiveRunError.self) { try f.runner().retryRejected() }
        #expect(try f.store.runs(job: "people").count == 1)
        let next = try f.runner(Self.sequential(supersede: true)).start()
        #expect(next.state.phase == .completed)
        let old = try #require(try f.store.run(paused.id))
        #expect(old.state.phase == .cancelled)
        #expect(old.state.reason?.contains("superseded") == true)
        #expect(try f.store.events(run: paused.id).contains { $0.type == "cancel_requested" && $0.payload["supersede"] == true })
    }

    @Test func fullRunPausedThenResumedSendsEveryRemainingRecord() throws {
        let f = try Fixture(records: 12)
        try f.runner().start()
        #expect(f.destination.writes.values.allSatisfy { $0 == 1 })
        let paused = try pausedRun(f, full: true)
        let resumed = try f.runner().resume()
        #expect(resumed.id == paused.id && resumed.state.phase == .completed)
        // Every record (11 with an email) was sent again by the full run, none left "unchanged".
        let counts = try f.store.statusCounts(job: "people", run: paused.id)
        #expect(counts["unchanged"] == nil)
        #expect(f.destination.writes.values.allSatisfy { $0 == 2 })
        #expect(f.destination.writes.count == 11)
    }

    @Test func pausedRetryRunResumesAsARetryOfItsOwnRecords() throws {
        let f = try Fixture(records: 12)
        Self.rejectP5(f, always: false)
        try f.runner().start()
        try Operations.fix(
            store: f.store, job: "people", key: "p5", field: "Email", value: "fixed@example.com", side: .destination, by: "erin", at: "t")
        f.destination.writeFailures = Array(repeating: .transient("HTTP 503"), count: 3)
        #expect(throws: SyncStopped.self) { try f.runner(Self.sequential()).retryRejected() }
        let paused = try #require(try f.store.latestRun(job: "people"))
        #expect(paused.state.phase == .paused && paused.info["kind"] == "retry")
        let fetchesBefore = f.source.fetchRequests.count
        let resumed = try f.runner().resume()
        #expect(resumed.id == paused.id && resumed.state.phase == .completed)
        #expect(f.source.fetchRequests.count == fetchesBefore)  // the source is not read
        #expect(f.destination.stored["p5"]?["Email"] == "fixed@example.com")
    }

    @Test func cancelWhenNothingRunsSaysSo() throws {
        let f = try Fixture(records: 4)
        try f.runner().start()
        let e = #expect(throws: JobError.self) { try Operations.cancel(store: f.store, job: "people", by: "erin", at: "t") }
        #expect(e?.message.contains("nothing to cancel") == true)
    }

    // MARK: Fix validation

    static let src = Schema(
        platform: "hubspot", object: "contact",
        fields: [Field(name: "email", type: .string), Field(name: "employees", type: .int)])
    static let dst = Schema(
        platform: "salesforce", object: "Lead",
        fields: [
            Field(name: "Email", type: .string, format: .email),
            Field(name: "Status", type: .picklist, values: ["Open - Not Contacted", "Working - Contacted"]),
            Field(name: "NumberOfEmployees", type: .int),
        ])

    @Test func fixOfAMisspelledFieldIsRefusedWithASuggestion() {
        guard case .failure(let p) = FixValidation.check(field: "Emial", value: "a@b.c", source: Self.src, destination: Self.dst) else {
            Issue.record("accepted a misspelled field")
            return
        }
        #expect(p.message.contains("no field 'Emial'"))
        #expect(p.help == "did you mean 'Email'?")
        guard case .failure = FixValidation.check(field: "nosuchfield", value: "1", source: Self.src, destination: Self.dst) else {
            Issue.record("accepted an unknown field")
            return
        }
    }

    @Test func fixOfAPicklistValueOutsideTheListIsRefused() {
        guard
            case .failure(let p) = FixValidation.check(
                field: "Status", value: "Working - Contacte", source: Self.src, destination: Self.dst)
        else {
            Issue.record("accepted a value outside the picklist")
            return
        }
        #expect(p.help?.hasPrefix("did you mean 'Working - Contacted'?") == true)
    }

    @Test func fixValuesAreCheckedAndTypedAndSided() {
        #expect(
            FixValidation.check(field: "NumberOfEmployees", value: "50", source: Self.src, destination: Self.dst)
                == .success(.init(side: .destination, value: .int(50))))
        #expect(
            FixValidation.check(field: "email", value: "x@y.z", source: Self.src, destination: Self.dst)
                == .success(.init(side: .source, value: "x@y.z")))
        guard case .failure = FixValidation.check(field: "employees", value: "many", source: Self.src, destination: Self.dst) else {
            Issue.record("accepted text for a number")
            return
        }
    }
}
