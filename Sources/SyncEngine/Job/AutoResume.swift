import Foundation
import MapDSL

/// `autoResume` of a job file: a run paused because a quota was used up (a `quota_exhausted`
/// event) resumes by itself once the quota has reset, under `mapc serve` (or `mapc resume --due`
/// from cron). Only quota pauses: a pause for anything else waits for an operator.
///
/// ```json
/// "autoResume": true
/// "autoResume": { "marginSeconds": 300, "unknownResetSeconds": 3600 }
/// ```
public struct AutoResumePolicy: Sendable, Hashable {
    /// Seconds after the reset before resuming (the platform's clock and ours differ; default 60).
    public var marginSeconds: Int
    /// Seconds after the pause before resuming when neither the platform nor the registry said
    /// when the quota resets (default 3600).
    public var unknownResetSeconds: Int

    /// The defaults.
    public static let defaultMarginSeconds = 60
    public static let defaultUnknownResetSeconds = 3600
    /// The longest either setting may be (two days).
    public static let maxSeconds = 172_800

    /// Creates a policy.
    public init(marginSeconds: Int = defaultMarginSeconds, unknownResetSeconds: Int = defaultUnknownResetSeconds) {
        self.marginSeconds = marginSeconds
        self.unknownResetSeconds = unknownResetSeconds
    }

    /// Reads `autoResume` (nil when absent or `false`); `path` names the file in errors.
    public static func parse(_ value: JSONValue?, path: String) throws -> AutoResumePolicy? {
        let shape = "`autoResume` must be true, false, or an object with `marginSeconds` and `unknownResetSeconds`"
        guard let value else { return nil }
        if case .bool(let on) = value { return on ? AutoResumePolicy() : nil }
        guard case .object(let pairs) = value else { throw JobError("\(path): \(shape), not \(JSONWriter.compact(value))") }
        let known = ["marginSeconds", "unknownResetSeconds"]
        for (key, _) in pairs where !known.contains(key) {
            let hint = Suggest.closest(to: key, in: known).map { " (did you mean `\($0)`?)" } ?? ""
            throw JobError("\(path): `autoResume` has no setting `\(key)`\(hint); it has `marginSeconds` and `unknownResetSeconds`")
        }
        func seconds(_ key: String, _ fallback: Int) throws -> Int {
            guard let v = value[key] else { return fallback }
            guard let i = v.intValue, i >= 0, i <= maxSeconds else {
                throw JobError("\(path): `autoResume.\(key)` must be a whole number of seconds from 0 to \(maxSeconds)")
            }
            return i
        }
        return AutoResumePolicy(
            marginSeconds: try seconds("marginSeconds", defaultMarginSeconds),
            unknownResetSeconds: try seconds("unknownResetSeconds", defaultUnknownResetSeconds))
    }
}

extension JobSpec {
    /// The job's `autoResume` policy (nil: quota pauses wait for an operator). The job file was
    /// checked when it was loaded.
    public var autoResume: AutoResumePolicy? { (try? AutoResumePolicy.parse(raw["autoResume"], path: name)) ?? nil }
}

/// Which quota pauses are due to resume by themselves.
public enum AutoResume {
    /// A run paused for a used-up quota, and when its job's policy resumes it.
    public struct Pending: Sendable, Hashable {
        /// The job.
        public var job: String
        /// The paused run.
        public var run: Int
        /// The quota, as the pause named it.
        public var quota: String
        /// When the quota resets (nil: unknown).
        public var resetsAt: Date?
        /// When the run resumes.
        public var dueAt: Date

        /// `after the salesforce daily API allocation reset (2026-12-06 00:00 UTC)`.
        public var reason: String {
            "after the \(quota) reset" + (resetsAt.map { " (\(QuotaExhaustion.utc($0)))" } ?? " (reset time unknown)")
        }
    }

    /// The shortest time between a quota pause and its automatic resume, in seconds.
    public static let minimumPauseSeconds = 60.0

    /// The event that records an automatic resume, before the run's `resumed`.
    public static let eventType = "auto_resume"

    /// The job's quota pause, when its policy resumes it: its open run is paused, and the last of
    /// its quota, resume and auto-resume events is the quota's (so each pause resumes once).
    public static func pending(store: EventStore, job: JobSpec) throws -> Pending? {
        guard let policy = job.autoResume else { return nil }
        guard let open = try Operations.openRun(store: store, job: job.name), open.state.phase == .paused else { return nil }
        guard let last = try store.lastEvent(run: open.id, types: ["quota_exhausted", "resumed", eventType]),
            last.type == "quota_exhausted"
        else { return nil }
        let reset = last.payload["resetsAt"]?.stringValue.flatMap { Dates.parseISODateTime(Substring($0)) }
            .map { Date(timeIntervalSince1970: Double($0) / 1000) }
        let pausedAt = Dates.parseISODateTime(Substring(last.at)).map { Date(timeIntervalSince1970: Double($0) / 1000) }
        var due: Date
        if let reset {
            due = reset.addingTimeInterval(Double(policy.marginSeconds))
        } else if let pausedAt {
            due = pausedAt.addingTimeInterval(Double(policy.unknownResetSeconds))
        } else {
            return nil
        }
        // Never sooner than a minute after the pause: a reset estimated wrongly (already past)
        // must not turn into a loop of resumes and pauses.
        if let pausedAt { due = max(due, pausedAt.addingTimeInterval(minimumPauseSeconds)) }
        return Pending(
            job: job.name, run: open.id, quota: last.payload["quota"]?.stringValue ?? "quota", resetsAt: reset, dueAt: due)
    }

    /// The quota pauses of `jobs` due at `now`.
    public static func due(store: EventStore, jobs: [JobSpec], now: Date) throws -> [Pending] {
        try jobs.compactMap { try pending(store: store, job: $0) }.filter { $0.dueAt <= now }
    }

    /// Records that `pending` is resumed automatically (an `auto_resume` event on its run), so the
    /// pause is resumed once even when the resume itself is refused.
    public static func markResuming(store: EventStore, _ pending: Pending, at: String) throws {
        var payload: [(String, JSONValue)] = [("quota", .string(pending.quota)), ("reason", .string(pending.reason))]
        if let r = pending.resetsAt { payload.append(("resetsAt", .string(Dates.formatDateTime(Int64(r.timeIntervalSince1970 * 1000))))) }
        try store.append(run: pending.run, type: eventType, payload: .object(payload), at: at)
    }
}

/// Resumes due quota pauses: ``tick(now:)`` once (tests, `mapc resume --due`), or every few
/// seconds on a thread of its own (`mapc serve`).
public final class AutoResumer: @unchecked Sendable {
    /// Resumes one run (as `mapc resume` does, under the job's lock).
    public typealias Resume = @Sendable (AutoResume.Pending) throws -> RunSummary

    /// What one tick did for one job.
    public struct Outcome: Sendable {
        /// The pause resumed.
        public var pending: AutoResume.Pending
        /// The run after resuming (nil when the resume failed).
        public var summary: RunSummary?
        /// Why it did not complete (a resume refused, the run stopped again).
        public var error: String?
    }

    private let store: EventStore
    private let jobs: @Sendable () -> [JobSpec]
    private let resume: Resume
    private let timestamp: @Sendable (Date) -> String
    private let condition = NSCondition()
    private var stopped = true
    private var thread: Thread?

    /// Creates a resumer over `jobs` (read at every tick).
    public init(store: EventStore, jobs: @escaping @Sendable () -> [JobSpec], resume: @escaping Resume) {
        self.store = store
        self.jobs = jobs
        self.resume = resume
        self.timestamp = { Dates.formatDateTime(Int64(($0.timeIntervalSince1970 * 1000).rounded(.down))) }
    }

    /// Resumes every pause due at `now`, one after the other.
    @discardableResult
    public func tick(now: Date) throws -> [Outcome] {
        var out: [Outcome] = []
        for pending in try AutoResume.due(store: store, jobs: jobs(), now: now) {
            try AutoResume.markResuming(store: store, pending, at: timestamp(now))
            do {
                out.append(Outcome(pending: pending, summary: try resume(pending), error: nil))
            } catch let stopped as SyncStopped {
                out.append(Outcome(pending: pending, summary: nil, error: "run \(stopped.run) stopped again: \(stopped.state)"))
            } catch {
                out.append(Outcome(pending: pending, summary: nil, error: "\(error)"))
            }
        }
        return out
    }

    /// Ticks every `interval` seconds on a thread of its own until ``stop()``; `report` hears each
    /// outcome and each failed check.
    public func start(interval: Double, report: @escaping @Sendable (String) -> Void) {
        condition.lock()
        defer { condition.unlock() }
        guard stopped else { return }
        stopped = false
        let thread = Thread { [self] in
            while true {
                condition.lock()
                let deadline = Date(timeIntervalSinceNow: interval)
                while !stopped && Date() < deadline { _ = condition.wait(until: deadline) }
                let done = stopped
                condition.unlock()
                if done { return }
                do {
                    for o in try tick(now: Date()) {
                        let result = o.summary.map { "run \($0.id) \($0.state)" } ?? (o.error ?? "?")
                        report("autoResume: resumed \(o.pending.job) run \(o.pending.run) \(o.pending.reason): \(result)")
                    }
                } catch {
                    report("autoResume: check failed: \(error)")
                }
            }
        }
        thread.name = "mapc-auto-resume"
        self.thread = thread
        thread.start()
    }

    /// Stops the thread (a resume under way finishes first).
    public func stop() {
        condition.lock()
        stopped = true
        condition.broadcast()
        condition.unlock()
    }
}

extension SyncOptions {
    /// Options of a run resumed by ``AutoResumer``: the resume is recorded as mapc's own (`by`
    /// `autoResume`, identity `system`).
    public static var autoResumed: SyncOptions {
        var options = SyncOptions()
        options.actor = AutoResume.actor
        return options
    }
}

extension AutoResume {
    /// Who resumes a quota pause by itself.
    public static let actor = Principal("autoResume", proof: .system)
}
