import Foundation
import MapDSL
import Observe
import SyncEngine

/// An in-memory platform: pages over given records, upserts by key, rejects what `reject` says,
/// fails writes as scripted, and can be slow (a destination that takes its time).
final class FakePlatform: PlatformAdapter, @unchecked Sendable {
    let platform: String
    private let lock = NSLock()
    var sourceRecords: [SourceRecord] = []
    private(set) var stored: [String: JSONValue] = [:]
    /// Failures of upcoming write calls, by call number (1-based).
    var failWriteCalls: [Int: AdapterError] = [:]
    var reject: @Sendable (OutboundRecord) -> (code: String, message: String, field: String)? = { _ in nil }
    /// Seconds each write takes.
    var writeDelay = 0.0
    private(set) var writeCalls = 0
    var batchLimit = 3

    init(platform: String) { self.platform = platform }

    func limits(object: String, mode: WriteMode) -> AdapterLimits { AdapterLimits(maxBatchRecords: batchLimit) }
    func describe(object: String) throws -> Schema { throw AdapterError.fatal("not supported") }

    func fetch(_ request: FetchRequest) throws -> SourcePage {
        lock.withLock {
            let start = Int(request.cursor ?? "0") ?? 0
            let end = min(sourceRecords.count, start + request.pageSize)
            return SourcePage(records: Array(sourceRecords[start..<end]), nextCursor: end < sourceRecords.count ? String(end) : nil)
        }
    }

    func write(_ request: WriteRequest) throws -> [WriteResult] {
        let (call, delay) = lock.withLock {
            writeCalls += 1
            return (writeCalls, writeDelay)
        }
        if delay > 0 { Thread.sleep(forTimeInterval: delay) }
        return try lock.withLock {
            if let failure = failWriteCalls.removeValue(forKey: call) { throw failure }
            var results: [WriteResult] = []
            for r in request.records {
                if let rej = reject(r) {
                    results.append(WriteResult(key: r.key, status: .rejected, errorCode: rej.code, message: rej.message, field: rej.field))
                    continue
                }
                let existed = stored[r.key] != nil
                stored[r.key] = r.json
                results.append(WriteResult(key: r.key, status: existed ? .updated : .created, destinationId: "D-" + r.key))
            }
            return results
        }
    }

    func find(object: String, field: String, value: String) throws -> JSONValue? { nil }
    func count(object: String) throws -> Int? { lock.withLock { sourceRecords.count } }
}

/// A sync clock whose timestamps follow a settable instant and that never sleeps.
final class SteppingClock: SyncClock, WallClock, @unchecked Sendable {
    private let lock = NSLock()
    private var t: Date

    init(_ start: Date = Date(timeIntervalSince1970: 1_790_000_000)) { t = start }

    func advance(_ seconds: Double) { lock.withLock { t = t.addingTimeInterval(seconds) } }
    func now() -> Double { lock.withLock { t.timeIntervalSinceReferenceDate } }
    func now() -> Date { lock.withLock { t } }
    func sleep(_ seconds: Double) { advance(seconds) }
    func random() -> Double { 0.5 }
    func timestamp() -> String { Timestamps.format(lock.withLock { t }) }
}

/// A job over fake platforms with a compiled mapping, runnable many times against one store.
struct SyncFixture {
    static let src = Schema(
        platform: "fake", object: "person",
        fields: [Field(name: "id", type: .id), Field(name: "email", type: .string), Field(name: "name", type: .string)])
    static let dst = Schema(
        platform: "fakedst", object: "lead",
        fields: [
            Field(name: "Email", type: .string), Field(name: "Name", type: .string, nullable: false, required: true),
            Field(name: "Ref", type: .string, unique: true, externalId: true),
        ])
    static let mappingText = """
        mapping fake.person -> fakedst.lead
        key Ref

        Ref   = id
        Email = lower(trim(email))
        Name  = name ?? "Unknown"
        """

    let source = FakePlatform(platform: "fake")
    let destination = FakePlatform(platform: "fakedst")
    let store: EventStore
    let mapping: CompiledMapping
    let job: JobSpec

    /// `records` people; those whose number is in `bad` have an email the destination rejects.
    init(name: String = "people", records: Int, bad: Set<Int> = [], store: EventStore, extra: [(String, JSONValue)] = []) throws {
        self.store = store
        mapping = try Compiler.compile(
            SourceText(path: "m.map", text: SyncFixture.mappingText), schemas: InMemorySchemas([SyncFixture.src, SyncFixture.dst]))
        var json: [(String, JSONValue)] = [
            ("name", .string(name)), ("source", ["platform": "fake", "object": "person"]),
            ("destination", ["platform": "fakedst", "object": "lead"]), ("mapping", "m.map"), ("pageSize", 6), ("retries", 2),
        ]
        json += extra
        job = try JobSpec.parse(.object(json), name: name, path: "\(name).json")
        source.sourceRecords = (1...max(records, 1)).prefix(records).map { i in
            SourceRecord(
                id: "p\(i)",
                fields: [
                    "id": .string("p\(i)"), "email": .string(bad.contains(i) ? "person\(i)-at-example.com" : "person\(i)@example.com"),
                    "name": .string("Person \(i)"),
                ])
        }
        destination.reject = { r in
            let email = r.fields["Email"]?.stringValue ?? ""
            return email.contains("@") ? nil : ("INVALID_EMAIL_ADDRESS", "invalid email address: \(email)", "Email")
        }
    }

    func runner(clock: SyncClock = SystemClock(), actor: Principal = "test", full: Bool = false) -> SyncRunner {
        var options = SyncOptions()
        options.full = full
        options.actor = actor
        options.backoff = Backoff(base: 0.05, cap: 0.1)
        // One batch travelling at a time (batches fill across pages now): consecutive failing write
        // calls are then attempts of one batch, which is what pauses a run.
        options.batchesInFlight = 1
        return SyncRunner(
            job: job, mapping: mapping, version: "v1", source: source, destination: destination, store: store, clock: clock,
            options: options)
    }
}

/// Retry and resume for tests: runs the fixture's runner on a background thread, one run at a time.
final class FixtureActions: JobActions, @unchecked Sendable {
    let fixture: SyncFixture
    private let busy = DispatchSemaphore(value: 1)

    init(_ fixture: SyncFixture) { self.fixture = fixture }

    func retry(job: String, only: RejectedFilter?, by: Principal) throws { try launch(by) { try $0.retryRejected(only: only) } }
    func resume(job: String, by: Principal) throws { try launch(by) { try $0.resume() } }
    /// The fixture runs one action at a time and, like `mapc serve`, one run per job: a paused or
    /// running run is resumed or cancelled before a retry starts another (it needs no approval).
    func refusal(_ action: JobAction, _ snapshot: JobSnapshot) -> String? {
        guard busy.wait(timeout: .now()) == .success else { return "another run of this job is in progress" }
        busy.signal()
        if action != .resume, let run = snapshot.run, run.state.phase == .paused || run.state.phase.isRunning {
            return "run \(run.id) of \(snapshot.job) is \(run.state.phase == .paused ? "paused" : "running"); resume or cancel it first"
        }
        return nil
    }

    private func launch(_ by: Principal, _ body: @escaping @Sendable (SyncRunner) throws -> RunSummary) throws {
        guard busy.wait(timeout: .now()) == .success else { throw JobError("another run of this job is in progress") }
        let runner = UncheckedBox(fixture.runner(actor: by))
        Thread {
            _ = try? body(runner.value)
            self.busy.signal()
        }.start()
    }

    /// Waits until no action is running.
    func waitIdle() {
        busy.wait()
        busy.signal()
    }
}

struct UncheckedBox<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}

/// A temporary project folder with a jobs/ directory.
struct TempProject {
    let root: String

    init() throws {
        root = NSTemporaryDirectory() + "observe-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: root + "/jobs", withIntermediateDirectories: true)
    }

    func writeJob(_ name: String, _ json: JSONValue) throws {
        try Data(JSONWriter.pretty(json).utf8).write(to: URL(fileURLWithPath: root + "/jobs/\(name).json"))
    }

    func remove() { try? FileManager.default.removeItem(atPath: root) }
}

/// Operators for console tests: passwords hashed with few iterations (the stored count is what a
/// check uses, so tests stay fast; the file format and the check are the same).
enum TestOperators {
    static func record(_ name: String, _ role: OperatorRole, password: String?, tokens: [String] = []) -> OperatorRecord {
        OperatorRecord(
            name: name, role: role, password: password.map { PasswordHash.make($0, iterations: PasswordHash.minimumIterations) },
            tokens: tokens.map(APIToken.digest), added: "2026-01-01T00:00:00Z")
    }

    /// Access for `operators` (name, role, password) with the default session table and throttle.
    static func access(
        _ operators: [(String, OperatorRole, String)], policy: ConsolePolicy = ConsolePolicy(), throttle: LoginThrottle = LoginThrottle()
    ) -> ConsoleAccess {
        ConsoleAccess(
            operators: OperatorDirectory(records: operators.map { record($0.0, $0.1, password: $0.2) }), throttle: throttle, policy: policy)
    }
}
