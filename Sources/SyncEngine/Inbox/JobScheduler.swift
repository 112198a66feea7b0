import Foundation

/// Runs the jobs that triggers requested, from the inbox's durable request queue.
///
/// A job never runs twice at once: triggers that arrive while it runs are coalesced into one more
/// run after it finishes. A failed run is retried with backoff. Requests survive restarts, so a
/// trigger accepted before a crash still runs afterwards.
public final class JobScheduler: @unchecked Sendable {
    /// Runs one job to its end (an incremental sync); throwing schedules a retry.
    public typealias Runner = @Sendable (String) throws -> Void

    private let inbox: Inbox
    private let runner: Runner
    private let concurrency: Int
    private let backoff: Backoff
    private let clock: SyncClock
    private let log: @Sendable (String) -> Void
    private let condition = NSCondition()
    private var running: Set<String> = []
    private var stopping = false
    private var threads = 0
    private var wakeups = 0

    /// Creates a scheduler running at most `concurrency` different jobs at a time.
    public init(
        inbox: Inbox, concurrency: Int = 2, backoff: Backoff = Backoff(base: 5, cap: 600), clock: SyncClock = SystemClock(),
        log: @escaping @Sendable (String) -> Void = { _ in }, runner: @escaping Runner
    ) {
        self.inbox = inbox
        self.runner = runner
        self.concurrency = max(1, concurrency)
        self.backoff = backoff
        self.clock = clock
        self.log = log
    }

    /// Starts the background threads.
    public func start() {
        condition.lock()
        stopping = false
        threads = concurrency
        condition.unlock()
        for i in 0..<concurrency {
            let thread = Thread { [self] in loop() }
            thread.name = "mapc-job-scheduler-\(i)"
            thread.start()
        }
    }

    /// Wakes the scheduler to look for new requests.
    public func wake() {
        condition.lock()
        wakeups += 1
        condition.broadcast()
        condition.unlock()
    }

    /// Stops taking new requests and waits up to `timeout` seconds for running jobs to finish.
    /// Unfinished requests stay queued and run after the next start.
    public func stop(timeout: Double = 30) {
        condition.lock()
        stopping = true
        condition.broadcast()
        let deadline = Date(timeIntervalSinceNow: timeout)
        while threads > 0 && condition.wait(until: deadline) {}
        condition.unlock()
    }

    /// Jobs running right now.
    public var runningJobs: Set<String> {
        condition.lock()
        defer { condition.unlock() }
        return running
    }

    private func loop() {
        while true {
            condition.lock()
            if stopping {
                threads -= 1
                condition.broadcast()
                condition.unlock()
                return
            }
            condition.unlock()
            if (try? runOne(only: nil)) == true { continue }
            condition.lock()
            if !stopping && wakeups == 0 {
                _ = condition.wait(until: Date(timeIntervalSinceNow: 0.5))
            }
            wakeups = 0
            condition.unlock()
        }
    }

    /// Runs every due request inline (restricted to `jobs` when given); returns the jobs run.
    @discardableResult
    public func runPending(jobs: Set<String>? = nil) throws -> [String] {
        var ran: [String] = []
        var seen = Set<String>()
        while let job = try runOneJob(only: jobs, skipping: seen) {
            ran.append(job)
            seen.insert(job)
        }
        return ran
    }

    private func runOne(only: Set<String>?) throws -> Bool {
        try runOneJob(only: only, skipping: []) != nil
    }

    private func runOneJob(only: Set<String>?, skipping: Set<String>) throws -> String? {
        condition.lock()
        let due: [JobRequest]
        do {
            due = try inbox.dueJobRequests()
        } catch {
            condition.unlock()
            throw error
        }
        guard
            let request = due.first(where: {
                !running.contains($0.job) && !skipping.contains($0.job) && (only?.contains($0.job) ?? true)
            })
        else {
            condition.unlock()
            return nil
        }
        running.insert(request.job)
        condition.unlock()
        defer {
            condition.lock()
            running.remove(request.job)
            condition.broadcast()
            condition.unlock()
        }
        log("trigger: running job \(request.job) (\(request.events) event(s) coalesced)")
        do {
            try runner(request.job)
            try inbox.finishJobRequest(job: request.job, generation: request.generation)
            log("trigger: job \(request.job) done")
        } catch {
            let wait = backoff.delay(attempt: request.attempts + 1, unit: clock.random())
            try inbox.failJobRequest(job: request.job, error: "\(error)", retryIn: wait)
            log("trigger: job \(request.job) failed (attempt \(request.attempts + 1)), retrying in \(Int(wait.rounded()))s: \(error)")
        }
        return request.job
    }
}
