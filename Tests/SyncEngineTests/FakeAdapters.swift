import Foundation
import MapDSL
import SyncEngine

/// An in-memory platform for orchestrator tests: pages over given records, upserts by key, and
/// scripted failures.
final class FakePlatform: PlatformAdapter, @unchecked Sendable {
    let platform: String
    private let lock = NSLock()
    var sourceRecords: [SourceRecord] = []
    /// Destination records by key.
    private(set) var stored: [String: JSONValue] = [:]
    /// How many times each key was written.
    private(set) var writes: [String: Int] = [:]
    /// Upcoming failures of write calls, consumed one per call.
    var writeFailures: [AdapterError] = []
    /// Upcoming failures of fetch calls.
    var fetchFailures: [AdapterError] = []
    /// Keys the platform rejects (with field and message) while the predicate holds.
    var reject: (OutboundRecord) -> (code: String, message: String, field: String)? = { _ in nil }
    /// Keys rejected with a transient error (`UNABLE_TO_LOCK_ROW`) this many more times.
    var lockedRows: [String: Int] = [:]
    /// Simulates the process dying after the platform applied the write but before the answer arrived.
    var dieAfterWriteCall: Int?
    private(set) var writeCalls = 0
    var batchLimit = 3
    /// How long a write takes before the platform applies it (seconds).
    var writeDelay = 0.0
    /// Whether a write call is under way, and whether a find ever ran during one.
    private var writing = false
    private(set) var foundWhileWriting = false

    init(platform: String) { self.platform = platform }

    /// Puts records in the platform, by key (for lookups into it).
    func stored(_ records: [String: JSONValue]) {
        lock.withLock {
            for (key, value) in records { stored[key] = value }
        }
    }

    func limits(object: String, mode: WriteMode) -> AdapterLimits { AdapterLimits(maxBatchRecords: batchLimit) }
    func describe(object: String) throws -> Schema { throw AdapterError.fatal("not supported") }

    /// Whether every read (not only incremental ones) comes in modification order.
    var orderedByTime = false
    /// Every fetch request, in order.
    private(set) var fetchRequests: [FetchRequest] = []
    /// Records handed out by fetch.
    private(set) var fetchedRecords = 0

    /// Pages over the records; with `modifiedSince`, over those modified at or after it, in order of
    /// modification time then id (an incremental read: `ordered`).
    func fetch(_ request: FetchRequest) throws -> SourcePage {
        try lock.withLock {
            fetchRequests.append(request)
            if !fetchFailures.isEmpty { throw fetchFailures.removeFirst() }
            var records = sourceRecords
            var ordered = false
            let since = request.modifiedSince.flatMap { Dates.parseISODateTime(Substring($0)) }
            if since != nil || orderedByTime {
                func millis(_ r: SourceRecord) -> Int64 { r.modified.flatMap { Dates.parseISODateTime(Substring($0)) } ?? 0 }
                records = records.filter { millis($0) >= since ?? .min }.sorted { (millis($0), $0.id) < (millis($1), $1.id) }
                ordered = true
            }
            let start = Int(request.cursor ?? "0") ?? 0
            let end = min(records.count, start + request.pageSize)
            fetchedRecords += max(0, end - start)
            return SourcePage(
                records: Array(records[min(start, end)..<end]), nextCursor: end < records.count ? String(end) : nil, ordered: ordered)
        }
    }

    struct Died: Error {}

    /// Called with each write call's number (1-based) before the platform looks at it; a test can
    /// hold a call there until the runner has done something (see `SyncPipelineTests`).
    var beforeWriteCall: (@Sendable (Int) -> Void)?
    private var startedCalls = 0

    func write(_ request: WriteRequest) throws -> [WriteResult] {
        let call = lock.withLock {
            startedCalls += 1
            return startedCalls
        }
        beforeWriteCall?(call)
        if writeDelay > 0 {
            lock.withLock { writing = true }
            Thread.sleep(forTimeInterval: writeDelay)
        }
        defer { lock.withLock { writing = false } }
        return try lock.withLock {
            writeCalls += 1
            if !writeFailures.isEmpty { throw writeFailures.removeFirst() }
            var results: [WriteResult] = []
            for r in request.records {
                if let n = lockedRows[r.key], n > 0 {
                    lockedRows[r.key] = n - 1
                    results.append(
                        WriteResult(
                            key: r.key, status: .rejected, errorCode: "UNABLE_TO_LOCK_ROW",
                            message: "unable to obtain exclusive access to this record", transient: true))
                    continue
                }
                if let rej = reject(r) {
                    results.append(WriteResult(key: r.key, status: .rejected, errorCode: rej.code, message: rej.message, field: rej.field))
                    continue
                }
                let existed = stored[r.key] != nil
                stored[r.key] = r.json
                writes[r.key, default: 0] += 1
                results.append(WriteResult(key: r.key, status: existed ? .updated : .created, destinationId: "D-" + r.key))
            }
            if dieAfterWriteCall == writeCalls { throw Died() }
            return results
        }
    }

    /// Upcoming failures of lookups.
    var findFailures: [AdapterError] = []
    /// How many more times a lookup of each value fails (transiently).
    var failingFinds: [String: Int] = [:]
    private(set) var findCalls = 0

    func find(object: String, field: String, value: String) throws -> JSONValue? {
        try lock.withLock {
            if writing { foundWhileWriting = true }
            findCalls += 1
            if !findFailures.isEmpty { throw findFailures.removeFirst() }
            if let n = failingFinds[value], n > 0 {
                failingFinds[value] = n - 1
                throw AdapterError.transient("HTTP 502 looking up \(value)")
            }
            return stored[value]
        }
    }
}

/// A clock that never sleeps and counts what it was asked to wait.
final class TestClock: SyncClock, @unchecked Sendable {
    private(set) var slept: [Double] = []
    private var t = 0.0
    func now() -> Double { t }
    /// Called with each wait before time moves on (a test acts "during" a wait here).
    var onSleep: ((Double) -> Void)?
    func sleep(_ seconds: Double) {
        slept.append(seconds)
        onSleep?(seconds)
        t += seconds
    }
    /// Moves time on without a sleep (between runs).
    func advance(_ seconds: Double) { t += seconds }
    func random() -> Double { 0.5 }
    func timestamp() -> String { "2026-11-25T00:00:00.000Z" }
}
