import Foundation

/// A `mapc worker`: takes due jobs from the ``WorkQueue``, keeps each lease alive with heartbeats
/// while it runs the job, and gives it back with the outcome. The job itself is run by the caller's
/// closure, which opens the job's store fenced by the lease (so a worker that lost its lease can
/// never write) and starts a run, or resumes one left running or paused, which reconciles its
/// in-doubt batches first.
///
/// With ``Settings/concurrency`` above 1 the worker runs that many jobs at once, each in a slot on
/// a thread of its own with its own lease, heartbeat and fencing token; a slot takes the next due
/// job as soon as its job ends, so one job's write tail (bulk upload, polling) overlaps another
/// job's reads.
public final class Worker: @unchecked Sendable {
    /// How a worker holds leases.
    public struct Settings: Sendable {
        /// The worker's name, as leases record it (default: host and process id).
        public var name: String
        /// Seconds a lease lasts without a heartbeat; another worker takes the job over after that.
        public var leaseSeconds: Double = 30
        /// Seconds between heartbeats (at most a third of the lease, so two may be missed).
        public var heartbeatSeconds: Double = 10
        /// Seconds the idle loop waits between looks at the queue.
        public var pollSeconds: Double = 1
        /// Jobs run at once, each in a slot of its own (1 to ``Worker/maxConcurrency``; default 1:
        /// one job after another).
        public var concurrency: Int = 1

        /// Settings for a worker called `name`.
        public init(name: String) { self.name = name }
    }

    /// Runs the leased job; a ``FencingError`` means the lease was lost mid-run.
    public typealias JobRun = @Sendable (JobLease) throws -> WorkOutcome

    private let queue: WorkQueue
    /// The settings.
    public let settings: Settings
    private let log: @Sendable (String) -> Void
    private let runJob: JobRun
    private let schedules: (@Sendable () -> [ScheduledJob])?

    /// A worker taking jobs from `queue` and running each with `run`; before each turn it enqueues
    /// the due slots of `schedules` (read afresh every turn), once across all workers.
    public init(
        queue: WorkQueue, settings: Settings, log: @escaping @Sendable (String) -> Void = { _ in },
        schedules: (@Sendable () -> [ScheduledJob])? = nil, run: @escaping JobRun
    ) {
        self.queue = queue
        self.schedules = schedules
        var settings = settings
        settings.leaseSeconds = max(1, settings.leaseSeconds)
        settings.heartbeatSeconds = min(max(0.1, settings.heartbeatSeconds), settings.leaseSeconds / 3)
        settings.concurrency = min(max(1, settings.concurrency), Self.maxConcurrency)
        self.settings = settings
        self.log = log
        self.runJob = run
    }

    /// The most jobs one worker runs at once.
    public static let maxConcurrency = 64

    /// The default worker name: host and process id.
    public static var defaultName: String { "\(ProcessIdentity.current.host)-\(ProcessIdentity.current.pid)" }

    /// What one turn did.
    public enum Turn: Sendable, Hashable {
        /// No job was due.
        case idle
        /// A job ran under `lease` and ended with `outcome`.
        case ran(JobLease, WorkOutcome)
        /// The lease was taken over while the job ran: its writes were refused from then on.
        case fenced(JobLease, FencingError)
    }

    /// Takes the next due job, if any, and runs it to the end of this worker's turn.
    public func runOne() throws -> Turn {
        if let schedules {
            for (job, start) in try queue.enqueueDue(schedules(), by: settings.name) {
                log("worker \(settings.name): queued \(job) for its schedule (the slot from \(WorkQueue.timestamp(start)))")
            }
        }
        guard let lease = try queue.take(worker: settings.name, ttl: settings.leaseSeconds) else { return .idle }
        if let previous = lease.tookOverFrom {
            log("worker \(settings.name): took \(lease.job) over from \(previous) (its lease expired); lease \(lease.lease)")
        } else {
            log("worker \(settings.name): took \(lease.job), lease \(lease.lease)")
        }
        let heartbeat = LeaseHeartbeat(queue: queue, lease: lease, settings: settings, log: log)
        defer { heartbeat.stop() }
        let outcome: WorkOutcome
        do {
            outcome = try runJob(lease)
        } catch let fenced as FencingError {
            log("worker \(settings.name): \(fenced)")
            return .fenced(lease, fenced)
        } catch {
            // A store failure mid-run may be the fence seen through another error: ask the queue.
            if try !queue.heartbeat(lease, ttl: settings.leaseSeconds) {
                log("worker \(settings.name): lost the lease of \(lease.job) during the run (\(error))")
                return .fenced(lease, FencingError(job: lease.job, lease: lease.lease, current: nil))
            }
            log("worker \(settings.name): \(lease.job) could not run: \(error)")
            outcome = .retry(after: min(300, settings.leaseSeconds), reason: "\(error)")
        }
        heartbeat.stop()
        if try !queue.finish(lease, outcome) {
            log("worker \(settings.name): lease \(lease.lease) of \(lease.job) was taken over before the turn ended")
        }
        return .ran(lease, outcome)
    }

    /// Runs turns until `shouldStop` says so, waiting ``Settings/pollSeconds`` when idle; with
    /// `untilEmpty`, returns once no job is due or leased (a lease another worker lost is waited
    /// out and taken over first). With ``Settings/concurrency`` N above 1, N slots take turns at
    /// once, each on a thread of its own, and this returns when every slot has returned: once
    /// `shouldStop` says so, each slot finishes the job it runs and takes no other. A slot whose
    /// turn throws (the queue cannot be read) stops the others after their current jobs, and the
    /// first such error is thrown here.
    public func run(untilEmpty: Bool = false, shouldStop: @escaping @Sendable () -> Bool) throws {
        guard settings.concurrency > 1 else {
            try runSlot(untilEmpty: untilEmpty, shouldStop: shouldStop)
            return
        }
        let failure = SlotFailure()
        let group = DispatchGroup()
        for slot in 1...settings.concurrency {
            group.enter()
            let thread = Thread { [self] in
                defer { group.leave() }
                do {
                    try runSlot(untilEmpty: untilEmpty) { failure.error != nil || shouldStop() }
                } catch {
                    log("worker \(settings.name): slot \(slot) stopped: \(error)")
                    failure.record(error)
                }
            }
            thread.name = "mapc-worker-slot-\(slot)"
            thread.start()
        }
        group.wait()
        if let error = failure.error { throw error }
    }

    /// One slot's loop: turn after turn until `shouldStop`, or (`untilEmpty`) until the queue has
    /// nothing due or leased.
    private func runSlot(untilEmpty: Bool, shouldStop: @escaping @Sendable () -> Bool) throws {
        while !shouldStop() {
            if case .idle = try runOne() {
                if untilEmpty, try !queue.hasUnfinishedWork() { return }
                Thread.sleep(forTimeInterval: settings.pollSeconds)
            }
        }
    }
}

/// The first error a worker's slot threw.
private final class SlotFailure: @unchecked Sendable {
    private let lock = NSLock()
    private var first: (any Error)?
    var error: (any Error)? { lock.withLock { first } }
    func record(_ error: any Error) { lock.withLock { if first == nil { first = error } } }
}

/// Renews a lease on a thread of its own until stopped; a renewal refused means the lease is lost
/// (the fence then refuses the job's writes).
final class LeaseHeartbeat: @unchecked Sendable {
    private let timer: DispatchSourceTimer
    private let lock = NSLock()
    private var stopped = false

    init(queue: WorkQueue, lease: JobLease, settings: Worker.Settings, log: @escaping @Sendable (String) -> Void) {
        timer = DispatchSource.makeTimerSource(queue: DispatchQueue(label: "mapc.worker.heartbeat"))
        timer.schedule(deadline: .now() + settings.heartbeatSeconds, repeating: settings.heartbeatSeconds)
        let ttl = settings.leaseSeconds
        timer.setEventHandler { [weak self] in
            do {
                if try !queue.heartbeat(lease, ttl: ttl) {
                    log("worker \(lease.worker): lease \(lease.lease) of \(lease.job) was taken over; stopping its heartbeat")
                    self?.stop()
                }
            } catch {
                log("worker \(lease.worker): heartbeat of \(lease.job) failed: \(error)")
            }
        }
        timer.resume()
    }

    func stop() {
        lock.withLock {
            guard !stopped else { return }
            stopped = true
            timer.cancel()
        }
    }

    deinit { stop() }
}
