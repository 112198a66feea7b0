import Crypto
import Foundation
import MapDSL
import MapReview

/// Counts of what a run did, per distinct source record.
public struct SyncCounts: Sendable, Hashable {
    public var fetched = 0
    public var created = 0
    public var updated = 0
    public var duplicate = 0
    public var rejected = 0
    public var skipped = 0
    public var unchanged = 0
    public var batches = 0

    /// Records the destination acknowledged.
    public var sent: Int { created + updated + duplicate }

    /// Creates zero counts.
    public init() {}

    /// As JSON for events and `--format json`.
    public var json: JSONValue {
        .object([
            ("fetched", .int(fetched)), ("sent", .int(sent)), ("created", .int(created)), ("updated", .int(updated)),
            ("duplicate", .int(duplicate)), ("rejected", .int(rejected)), ("skipped", .int(skipped)),
            ("unchanged", .int(unchanged)), ("batches", .int(batches)),
        ])
    }
}

/// A snapshot for progress displays.
public struct SyncProgress: Sendable {
    /// The run.
    public var run: Int
    /// Its state.
    public var state: JobState
    /// Counts so far.
    public var counts: SyncCounts
    /// Seconds since the run (or resume) started.
    public var elapsed: Double
    /// Records in the source, when the adapter can tell.
    public var total: Int?

    /// Creates a snapshot.
    public init(run: Int, state: JobState, counts: SyncCounts, elapsed: Double, total: Int? = nil) {
        self.run = run
        self.state = state
        self.counts = counts
        self.elapsed = elapsed
        self.total = total
    }
}

/// A deliberate crash for the crash harness: `MAPC_CRASH_AT=after-send:3` kills the process with
/// SIGKILL the third time the run reaches `after-send`.
public struct CrashPoint: Sendable, Hashable {
    /// The point's name: one of ``names``.
    public var name: String
    /// Which occurrence (1-based).
    public var occurrence: Int

    /// Every point the runner offers.
    public static let names = ["after-fetch", "after-map", "after-validate", "before-send", "after-send", "after-ack", "after-checkpoint"]
    /// The points of the bulk path: a job recorded and not yet given its records, given them and not
    /// closed, being processed by the platform, about to be submitted with its records, submitted
    /// and its id not yet recorded.
    public static let bulkNames = ["bulk-created", "bulk-uploaded", "bulk-polling", "bulk-submitting", "bulk-submitted"]

    /// Parses `name:n`.
    public init?(_ text: String) {
        let parts = text.split(separator: ":").map(String.init)
        guard parts.count == 2, Self.names.contains(parts[0]) || Self.bulkNames.contains(parts[0]), let n = Int(parts[1]), n > 0 else {
            return nil
        }
        name = parts[0]
        occurrence = n
    }
}

/// Options of a sync run.
public struct SyncOptions: Sendable {
    /// Send every record even when unchanged since the last acknowledged send.
    public var full = false
    /// Cancel the job's paused run (as an event) instead of refusing to start a new one.
    public var supersede = false
    /// Retry policy for transient failures.
    public var backoff = Backoff()
    /// Longest wait honoured for one rate-limit answer, in seconds.
    public var maxRateLimitWait: Double = 300
    /// Crash deliberately here (crash harness only).
    public var crashAt: CrashPoint?
    /// Called after every page and batch.
    public var progress: (@Sendable (SyncProgress) -> Void)?
    /// Who started the run (recorded in events).
    public var actor: Principal = "cli"
    /// Fetch the next page on another thread while the current one is mapped and uploaded.
    /// Reading ahead has no effect on what is recorded: a page's events are written when it is
    /// processed, in order, and a read-ahead page that is never processed is simply dropped.
    public var readAhead = true
    /// Let the last batch of a page travel while the next pages are fetched and mapped. Answers are
    /// recorded in the order the batches were sent, and a page's checkpoint after the answers to
    /// its batches; a batch never travels with another holding one of its keys. Not done when the
    /// mapping looks records up in the object it writes, since those lookups must see every
    /// earlier batch.
    public var pipelineUploads = true
    /// How many batches may travel at once when uploads are pipelined; a resumed run sends every
    /// batch left unanswered again, oldest first.
    public var batchesInFlight = 2
    /// Map a page read ahead on the thread that read it, while the runner uploads the page before;
    /// what becomes of each record (skipped, unchanged, sent) is still decided and recorded by the
    /// runner, in order. Not done when the mapping looks records up in the object it writes.
    public var mapAhead = true
    /// Seconds between heartbeats of the run's lease (see ``RunLease``).
    public var heartbeatInterval = 15.0
    /// A lease held by a process on another host counts as abandoned once its heartbeat is this
    /// many seconds old (on this host the holder's process id and start time decide at once).
    public var leaseTimeout = 120.0
    /// Set when a `mapc worker` holds the job's lease in the work queue (the text says which): that
    /// lease, fenced, is the authority, so a run left running by another process is taken over
    /// (reconciled and resumed) whatever its run lease says.
    public var workerLease: String?
    /// The write path, over the job file's `bulk.use` (nil: the job file decides).
    public var writePath: WritePathChoice?
    /// The wait watch shared with the run's adapters (``AdapterOptions/waits``): their waits are
    /// recorded and end when the run is cancelled.
    public var waits: WaitWatch?

    /// Default options.
    public init() {}
}

/// The real clock.
public struct SystemClock: SyncClock {
    /// Creates the clock.
    public init() {}
    public func now() -> Double { Date().timeIntervalSinceReferenceDate }
    public func sleep(_ seconds: Double) {
        if seconds > 0 { Thread.sleep(forTimeInterval: seconds) }
    }
    public func random() -> Double { Double.random(in: 0..<1) }
    /// Now as `YYYY-MM-DDTHH:MM:SS.sssZ` (a formatter object per call cost more than a page's mapping).
    public func timestamp() -> String {
        Dates.formatDateTime(Int64((Date().timeIntervalSince1970 * 1000).rounded(.down)))
    }
}

/// Content hashes of mapped values (what incremental syncs compare).
enum ContentHash {
    static func of(_ json: String) -> String { String(SHA256.hex(json).prefix(32)) }
    static func of(_ json: [UInt8]) -> String { String(SHA256.hex(json).prefix(32)) }
}

/// One request to a platform under way on another thread; ``wait()`` waits for its outcome.
final class Ahead<Value: Sendable>: Sendable {
    /// An outcome that one thread provides and others wait for.
    final class Promise: @unchecked Sendable {
        private let done = DispatchSemaphore(value: 0)
        // Written once before `done` is signalled, read after waiting on it.
        private var result: Result<Value, any Error>?

        /// Provides the outcome (once).
        func fulfil(_ outcome: Result<Value, any Error>) {
            result = outcome
            done.signal()
        }

        /// Whether the outcome is there (``wait()`` would not wait).
        var isReady: Bool {
            guard done.wait(timeout: .now()) == .success else { return false }
            done.signal()
            return true
        }

        /// The outcome, once provided.
        func wait() -> Result<Value, any Error> {
            done.wait()
            done.signal()
            return result!
        }
    }

    private let promise = Promise()

    init(queue: DispatchQueue, work: @escaping @Sendable () throws -> Value) {
        let promise = self.promise
        queue.async { promise.fulfil(Result { try work() }) }
    }

    /// The value, or the error the work threw.
    func wait() -> Result<Value, any Error> { promise.wait() }
}
