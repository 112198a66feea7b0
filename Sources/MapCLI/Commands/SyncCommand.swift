import Foundation
import MapDSL
import SyncEngine

/// `mapc sync JOB`: runs a sync job.
enum SyncCommand: Command {
    static let name = "sync"
    static let summary = "Run a sync job (approved mappings only), with a progress bar and an audit trail"
    static let usage = "JOB [--full] [--supersede] [--write-path auto|bulk|rest] [--store PATH] [--format text|json]"
    static let discussion = """
        JOB is a job file or the name of jobs/<JOB>.json. The mapping must be approved and unchanged
        (see 'mapc verify'). After the first run only the records changed since the job's high-water
        mark are read (less the job's overlapSeconds), and records whose mapped values were already
        delivered, or refused by the platform, are not sent again; --full reads and sends everything.
        A run left running by a process that is gone is closed first (its unanswered batches sent
        again); use 'mapc resume JOB' to continue it instead. When the platform keeps failing, the job
        pauses with its reason: fix what is wrong and run 'mapc resume JOB'. Exit status 0 when the run
        completed, 1 when it paused, failed or was refused. Records go through the destination's bulk
        API (Salesforce Bulk API 2.0, Mailchimp batch operations) when the run reads at least the job's
        bulk.threshold records, through REST batches otherwise; --write-path (or bulk.use in the job
        file) forces one; the run's write_path event says which and why.
        One run per job at a time: while a run is paused, a new one is refused (resume or cancel it),
        unless --supersede cancels it first.
        """
    static let options = [
        OptionSpec("full", help: "Read every record (ignore the high-water mark) and send every one, even those unchanged."),
        OptionSpec("write-path", value: "auto|bulk|rest", help: "Bulk jobs or REST batches (default: the job file's bulk.use, auto)."),
        supersedeOption, SyncSetup.storeOption, SyncSetup.formatOption, CommonOptions.schemas,
    ]

    static func run(_ args: Arguments, _ ctx: CommandContext) throws -> ExitCode {
        if let twoWay = try TwoWaySetup.load(args, ctx, createStore: true) { return try twoWay.sync(args, ctx) }
        let setup = try SyncCommands.setup(args, ctx, usage: "mapc sync jobs/contacts-to-leads.json", createStore: true)
        let crash = ctx.environment["MAPC_CRASH_AT"].flatMap(CrashPoint.init)
        var writePath: WritePathChoice?
        if let text = args.value("write-path") {
            guard let choice = WritePathChoice(rawValue: text) else {
                throw CLIError.usage("--write-path must be auto, bulk or rest, not '\(text)'", help: usage)
            }
            writePath = choice
        }
        let progress = ProgressDisplay(io: ctx.io, environment: ctx.environment)
        defer { progress.finish() }
        let runner = try setup.runner(
            ctx, full: args.flag("full"), crashAt: crash, progress: progress, writePath: writePath, supersede: args.flag("supersede"))
        return try SyncCommands.finish(args, ctx, setup, progress) { try runner.start() }
    }
}

extension SyncCommand {
    static let supersedeOption = OptionSpec(
        "supersede", help: "Cancel the job's paused run (recorded as an event) and start this one instead of refusing.")
}

/// `mapc resume JOB`.
enum ResumeCommand: Command {
    static let name = "resume"
    static let summary = "Resume the job's paused or interrupted run where it stopped, with the options it started with"
    static let usage = "JOB [--store PATH] [--format text|json]"
    static let discussion = """
        Picks up after the last checkpoint; a batch that was sent but never acknowledged is sent again
        first (upserts by key and message ids make that safe), so nothing is lost or written twice.
        The run keeps the options it started with: a --full run still sends every record, a retry run
        retries the rest of its records (with the fixes in effect), never the whole source.
        """
    static let options = [SyncSetup.storeOption, SyncSetup.formatOption, CommonOptions.schemas]

    static func run(_ args: Arguments, _ ctx: CommandContext) throws -> ExitCode {
        let setup = try SyncCommands.setup(args, ctx, usage: "mapc resume contacts-to-leads")
        let crash = ctx.environment["MAPC_CRASH_AT"].flatMap(CrashPoint.init)
        let progress = ProgressDisplay(io: ctx.io, environment: ctx.environment)
        defer { progress.finish() }
        let runner = try setup.runner(ctx, full: false, crashAt: crash, progress: progress)
        return try SyncCommands.finish(args, ctx, setup, progress) { try runner.resume() }
    }
}

/// `mapc retry JOB`.
enum RetryCommand: Command {
    static let name = "retry"
    static let summary = "Map and send a job's rejected records again, with the fixes made by 'mapc fix'"
    static let usage = "JOB [--code CODE] [--field FIELD] [--supersede] [--store PATH] [--format text|json]"
    static let discussion = """
        Starts a retry run over every rejected record of the job (or, with --code and --field, only
        those rejected with that error code and field, as 'mapc failed' groups them; an empty value
        selects records without one); records rejected again stay in 'mapc failed', with their fixes.
        Refused while a run of the job is paused, unless --supersede cancels that run first.
        """
    static let options = [
        OptionSpec("code", value: "CODE", help: "Only records rejected with this error code ('' for none)."),
        OptionSpec("field", value: "FIELD", help: "Only records whose rejection blames this field ('' for none)."),
        SyncCommand.supersedeOption, SyncSetup.storeOption, SyncSetup.formatOption, CommonOptions.schemas,
    ]

    static func run(_ args: Arguments, _ ctx: CommandContext) throws -> ExitCode {
        let setup = try SyncCommands.setup(args, ctx, usage: "mapc retry contacts-to-leads")
        let progress = ProgressDisplay(io: ctx.io, environment: ctx.environment)
        defer { progress.finish() }
        let runner = try setup.runner(ctx, full: false, crashAt: nil, progress: progress, supersede: args.flag("supersede"))
        let only: RejectedFilter? =
            args.value("code") == nil && args.value("field") == nil
            ? nil : RejectedFilter(code: args.value("code"), field: args.value("field"))
        return try SyncCommands.finish(args, ctx, setup, progress) { try runner.retryRejected(only: only) }
    }
}

enum SyncCommands {
    /// The job and its store; only `sync` (`createStore`) starts a store, `resume` and `retry` need one.
    static func setup(_ args: Arguments, _ ctx: CommandContext, usage: String, createStore: Bool = false) throws -> SyncSetup {
        guard args.positional.count == 1 else { throw CLIError.usage("give exactly one job", help: usage) }
        return try SyncSetup.load(args.positional[0], args, ctx, createStore: createStore)
    }

    /// Runs `body` under the job's lock and prints the outcome (after ending the progress display).
    static func finish(
        _ args: Arguments, _ ctx: CommandContext, _ setup: SyncSetup, _ progress: ProgressDisplay? = nil,
        _ body: () throws -> RunSummary
    ) throws -> ExitCode {
        let format = try OutputFormat.parse(args)
        let lock = try JobLock(path: setup.project.root + "/.mapc/locks/\(setup.job.name).lock")
        defer { lock.release() }
        let summary: RunSummary
        do {
            defer { progress?.finish() }
            summary = try body()
        } catch let stopped as SyncStopped {
            guard let run = try setup.store.run(stopped.run) else { throw CLIError.operational("run \(stopped.run) vanished") }
            return try report(run, setup, format, ctx, ok: false)
        } catch let e as JobError {
            throw CLIError.failure(e.message)
        } catch let e as ActiveRunError {
            throw CLIError.failure("refusing to start a new run: \(e)")
        } catch let e as StoreError {
            throw CLIError.operational(e.description)
        }
        return try report(summary, setup, format, ctx, ok: true)
    }

    static func report(_ run: RunSummary, _ setup: SyncSetup, _ format: OutputFormat, _ ctx: CommandContext, ok: Bool) throws -> ExitCode {
        let counts = try setup.store.statusCounts(job: setup.job.name, run: run.id)
        if format == .json {
            ctx.io.out(JSONWriter.pretty(SyncRender.json(run, counts: counts)))
        } else {
            let c = counts.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
            ctx.io.out("\(setup.job.name) run \(run.id): \(run.state)\n  records: \(c.isEmpty ? "none" : c)\n")
            if run.state.phase == .paused || run.state.phase == .failed {
                ctx.io.out("  next: fix the cause, then 'mapc resume \(setup.job.name)'; see 'mapc events \(setup.job.name)'\n")
            }
            if (counts["rejected"] ?? 0) > 0 {
                ctx.io.out("  \(counts["rejected"]!) rejected: see 'mapc failed \(setup.job.name)'\n")
            }
        }
        return ok && run.state.phase == .completed ? .ok : .failure
    }
}

/// An exclusive lock on a job so two syncs of it never run at once.
final class JobLock {
    private let fd: Int32

    init(path: String) throws {
        try? FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        fd = open(path, O_CREAT | O_RDWR, 0o644)
        guard fd >= 0 else { throw CLIError.operational("cannot create the lock file \(path)") }
        if flock(fd, LOCK_EX | LOCK_NB) != 0 {
            close(fd)
            throw CLIError.failure("another mapc process is running this job right now", help: "wait for it, or 'mapc cancel' it")
        }
    }

    func release() {
        flock(fd, LOCK_UN)
        close(fd)
    }
}
