import Foundation
import MapDSL
import SyncEngine

/// `mapc worker`: a long-running process taking due jobs from the store's work queue with fenced
/// leases; `mapc worker enqueue JOB…` asks for runs, `mapc worker list` shows the queue.
enum WorkerCommand: Command {
    static let name = "worker"
    static let summary = "Run due jobs from the shared work queue (PostgreSQL store), with leases, heartbeats and fail-over"
    static let usage =
        "[enqueue JOB… | list] [--name NAME] [--lease-seconds N] [--concurrency N] [--until-empty] [--store URL] [--format text|json]"
    static let discussion = """
        Several 'mapc worker' processes, on one machine or many, share the jobs queued in one store
        (normally PostgreSQL: --store postgres://… or MAPC_STORE_URL). Each takes a due job with a
        lease (FOR UPDATE SKIP LOCKED, so workers never wait for each other), renews it every third of
        --lease-seconds, and runs the job as 'mapc sync' does; a run left running or paused is resumed
        instead, which first reconciles the batches it sent without an answer. A worker that stops
        renewing (killed, paused, cut off) loses the job to the next worker once the lease expires.
        Every lease has a number one higher than the last, and every store write of the job's run
        checks it: a worker that lost its lease can never write again.
        'mapc worker enqueue JOB…' asks for a run of each job (a job asked for while it runs runs once
        more afterwards); 'mapc worker list' shows the queue. A job file with a schedule
        ("schedule": {"everySeconds": N, "offsetSeconds": M}) is enqueued by the workers at every slot,
        once between them. The worker runs in the project folder
        (jobs/, the approved mappings) and stops after its current jobs on SIGINT or SIGTERM.
        --concurrency N (default 2) runs up to N leased jobs at once, each with its own lease,
        heartbeat and fencing token; a slot takes the next due job as soon as its job ends, so one
        job's write tail (bulk upload, polling) overlaps the next job's reads. --concurrency 1 runs
        one job after another. Two-way jobs are not run by workers: they run with 'mapc sync JOB'
        (or a 'mapc serve' trigger); 'mapc worker enqueue' refuses them.
        --until-empty returns once no job is due or leased (scripts, benchmarks).
        """
    static let options = [
        OptionSpec("name", value: "NAME", help: "The worker's name in leases (default: host-pid)."),
        OptionSpec("lease-seconds", value: "N", help: "Seconds a lease lasts without a heartbeat (default 30)."),
        OptionSpec(
            "concurrency", value: "N",
            help: "Jobs this worker runs at once, each with its own lease (1 to \(Worker.maxConcurrency); default 2)."),
        OptionSpec("until-empty", help: "Exit once no job is due or leased instead of waiting for more."),
        OptionSpec("by", value: "NAME", help: "Who asks for the runs (enqueue; default: $MAPC_ACTOR or the OS user)."),
        SyncSetup.storeOption, SyncSetup.formatOption, CommonOptions.schemas,
    ]

    static func run(_ args: Arguments, _ ctx: CommandContext) throws -> ExitCode {
        let format = try OutputFormat.parse(args)
        let project = try Project.locate(args, ctx)
        let location = SyncSetup.storePath(args, ctx, project: project).path
        let queue: WorkQueue
        do {
            queue = try WorkQueue(location: location)
        } catch {
            throw SyncSetup.storeFailure(error, path: location, create: true)
        }
        switch args.positional.first {
        case "enqueue":
            let jobs = Array(args.positional.dropFirst())
            guard !jobs.isEmpty else {
                throw CLIError.usage("give at least one job to enqueue", help: "mapc worker enqueue contacts-to-leads")
            }
            let by = CLIPrincipal.resolve(by: args.value("by"), ctx)
            for job in jobs {
                guard !job.isEmpty, job.count <= 200, !job.contains("/") else {
                    throw CLIError.usage("'\(job)' is not a job name (the name of jobs/<name>.json)")
                }
                guard FileManager.default.fileExists(atPath: project.root + "/jobs/\(job).json") else {
                    throw CLIError.usage("no job '\(job)': there is no jobs/\(job).json")
                }
                guard !TwoWaySetup.isTwoWay(project.root + "/jobs/\(job).json") else {
                    throw CLIError.usage(
                        "'\(job)' is a two-way job: workers do not run two-way jobs",
                        help: "run it with 'mapc sync \(job)' (or a 'mapc serve' trigger)")
                }
                try queue.enqueue(job: job, by: by.name)
                if format == .text { ctx.io.out("queued \(job)\n") }
            }
            if format == .json { ctx.io.out(JSONWriter.pretty(.object([("queued", .array(jobs.map(JSONValue.string)))]))) }
            return .ok
        case "list":
            guard args.positional.count == 1 else { throw CLIError.usage("mapc worker list takes no arguments", help: usage) }
            return try list(queue, format, ctx)
        case nil:
            return try work(queue, location: location, projectRoot: project.root, args, ctx)
        case let other?:
            throw CLIError.usage("unknown worker action '\(other)': enqueue, list, or none to run the worker", help: usage)
        }
    }

    static func list(_ queue: WorkQueue, _ format: OutputFormat, _ ctx: CommandContext) throws -> ExitCode {
        let entries = try queue.entries()
        if format == .json {
            ctx.io.out(
                JSONWriter.pretty(
                    .array(
                        entries.map { e in
                            .object([
                                ("job", .string(e.job)), ("state", .string(e.state)), ("lease", .int(e.lease)),
                                ("worker", e.worker.map(JSONValue.string) ?? .null), ("attempts", .int(e.attempts)),
                                ("dueAt", .string(WorkQueue.timestamp(e.dueAt))),
                                ("expiresAt", e.expiresAt.map { .string(WorkQueue.timestamp($0)) } ?? .null),
                                ("lastOutcome", e.lastOutcome.map(JSONValue.string) ?? .null),
                            ])
                        })))
            return .ok
        }
        if entries.isEmpty {
            ctx.io.out("the work queue is empty ('mapc worker enqueue JOB' asks for a run)\n")
            return .ok
        }
        for e in entries {
            var line = "\(e.job)  \(e.state)  lease \(e.lease)"
            if let w = e.worker { line += "  by \(w)" }
            if let x = e.expiresAt { line += "  until \(WorkQueue.timestamp(x))" }
            if let o = e.lastOutcome { line += "  last: \(o)" }
            ctx.io.out(line + "\n")
        }
        return .ok
    }

    static func work(_ queue: WorkQueue, location: String, projectRoot: String, _ args: Arguments, _ ctx: CommandContext) throws
        -> ExitCode
    {
        guard args.positional.isEmpty else { throw CLIError.usage("unexpected arguments", help: usage) }
        var settings = Worker.Settings(name: args.value("name") ?? Worker.defaultName)
        guard !settings.name.isEmpty, settings.name.count <= 100 else { throw CLIError.usage("--name takes 1 to 100 characters") }
        let seconds = try args.int("lease-seconds", default: 30, min: 2)
        guard seconds <= 86_400 else { throw CLIError.usage("--lease-seconds is at most 86400") }
        settings.leaseSeconds = Double(seconds)
        settings.heartbeatSeconds = Double(seconds) / 3
        let concurrency = try args.int("concurrency", default: 2, min: 1)
        guard concurrency <= Worker.maxConcurrency else {
            throw CLIError.usage("--concurrency takes 1 to \(Worker.maxConcurrency) jobs at once, not \(concurrency)")
        }
        settings.concurrency = concurrency
        let crash = ctx.environment["MAPC_CRASH_AT"].flatMap(CrashPoint.init)
        let name = settings.name
        // The jobs' slots run on threads of their own and share the output streams.
        let lockedContext = CommandContext(
            io: LockedIO(ctx.io), environment: ctx.environment, workingDirectory: ctx.workingDirectory, readInput: ctx.readInput)
        let context = UncheckedContext(args: args, ctx: lockedContext)
        let log: @Sendable (String) -> Void = { line in context.ctx.io.err("\(WorkQueue.timestamp(Date().timeIntervalSince1970)) \(line)\n")
        }
        // Job files with a `schedule` are read before every turn, so an edited schedule takes effect at once.
        let jobsDirectory = projectRoot + "/jobs"
        let reported = ReportedOnce()
        let schedules: @Sendable () -> [ScheduledJob] = {
            let (schedules, problems) = JobSchedule.load(jobsDirectory: jobsDirectory)
            for problem in problems where reported.first(problem) { log("worker \(name): \(problem)") }
            return schedules
        }
        let worker = Worker(queue: queue, settings: settings, log: log, schedules: schedules) { lease in
            let (args, ctx) = (context.args, context.ctx)
            // A two-way job queued before enqueue refused them (or by hand): stopped with the reason, not retried.
            if TwoWaySetup.isTwoWay(projectRoot + "/jobs/\(lease.job).json") {
                let reason = "\(lease.job) is a two-way job: workers do not run two-way jobs; run it with 'mapc sync \(lease.job)'"
                log("worker \(name): \(reason); stopping it (state stopped)")
                return .stopped(run: 0, reason: reason)
            }
            let setup: SyncSetup
            do {
                setup = try SyncSetup.load(lease.job, args, ctx, createStore: true)
            } catch let error as CLIError {
                log("worker \(name): \(lease.job) cannot run: \(error.message); stopping it (state stopped)")
                return .stopped(run: 0, reason: error.message)
            }
            setup.store.fence(job: lease.job, lease: lease.lease)
            let runner = try setup.runner(
                ctx, full: false, crashAt: crash, progress: nil, workerLease: "worker \(name) (lease \(lease.lease))")
            do {
                let resume = try Operations.openRun(store: setup.store, job: setup.job.name) != nil
                let summary = try resume ? runner.resume() : runner.start()
                let counts = try setup.store.statusCounts(job: setup.job.name, run: summary.id)
                log(
                    "worker \(name): \(lease.job) run \(summary.id) \(summary.state.phase.rawValue)"
                        + (resume ? " (resumed)" : "") + ": "
                        + counts.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", "))
                return .completed(run: summary.id)
            } catch let stopped as SyncStopped {
                log("worker \(name): \(lease.job) run \(stopped.run) stopped: \(stopped.state.description)")
                return .stopped(run: stopped.run, reason: stopped.state.description)
            } catch let error as JobError {
                log("worker \(name): \(lease.job) cannot run: \(error.message); stopping it (state stopped)")
                return .stopped(run: 0, reason: error.message)
            } catch let error as ActiveRunError {
                log("worker \(name): \(lease.job) cannot run: \(error); stopping it (state stopped)")
                return .stopped(run: error.run, reason: "\(error)")
            }
        }
        let stop = StopFlag()
        var sources: [DispatchSourceSignal] = []
        for sig in [SIGINT, SIGTERM] {
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler {
                log("worker \(name): stopping after the current job\(concurrency > 1 ? "s" : "")")
                stop.set()
            }
            source.resume()
            sources.append(source)
        }
        defer {
            sources.forEach { $0.cancel() }
            for sig in [SIGINT, SIGTERM] { signal(sig, SIG_DFL) }
        }
        log("worker \(name): taking jobs from \(queue.path) (lease \(seconds) s, up to \(concurrency) at once)")
        try worker.run(untilEmpty: args.flag("until-empty")) { stop.isSet }
        return .ok
    }
}

/// The command's arguments and context (its output streams behind a lock), handed to the worker's
/// job closure, which runs on the worker's slot threads: the arguments are only read.
private struct UncheckedContext: @unchecked Sendable {
    let args: Arguments
    let ctx: CommandContext
}

/// Set once by a signal handler, read by the worker loop.
private final class StopFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    func set() { lock.withLock { value = true } }
    var isSet: Bool { lock.withLock { value } }
}

/// Messages already logged (a job file's unusable schedule is reported once, not every turn).
private final class ReportedOnce: @unchecked Sendable {
    private let lock = NSLock()
    private var seen: Set<String> = []
    func first(_ message: String) -> Bool { lock.withLock { seen.insert(message).inserted } }
}
