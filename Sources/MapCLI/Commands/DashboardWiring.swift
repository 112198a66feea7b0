import Foundation
import HTTPServer
import Observe
import SyncEngine

/// Puts the operator console and `/metrics` on `mapc serve`'s console listener, with retry and
/// resume run exactly as `mapc retry` / `mapc resume` run them, and starts the alert monitor.
enum DashboardWiring {
    /// The observatory over the serve command's store and project (rate limits as `mapc sync` finds them).
    static func observatory(_ context: ServeContext) -> Observatory {
        let root = context.projectRoot ?? FileManager.default.currentDirectoryPath
        let environment = ProcessInfo.processInfo.environment
        let limits: String?
        switch environment["MAPC_RATE_LIMITS"] {
        case "none": limits = nil
        case let folder? where !folder.isEmpty: limits = folder.hasPrefix("/") ? folder : root + "/" + folder
        default: limits = root + "/ratelimits"
        }
        return Observatory(store: context.store, root: root, rateLimitsDirectory: limits)
    }

    /// The console listener's routes: sign-in, the dashboard, `/metrics`, `/healthz` and `/`.
    static func router(_ context: ServeContext, observatory: Observatory, access: ConsoleAccess) -> Router {
        let root = context.projectRoot ?? FileManager.default.currentDirectoryPath
        let ctx = CommandContext(io: LockedIO(StandardIO()), environment: ProcessInfo.processInfo.environment, workingDirectory: root)
        let actions = CLIJobActions(storePath: context.store.location, projectRoot: root, ctx: ctx)
        let inbox = context.inbox
        let dashboard = DashboardServer(observatory: observatory, actions: actions, access: access) {
            try? InboxStats.of(inbox, now: Date())
        }
        var router = dashboard.router()
        router.add("GET", "/healthz") { _ in .text("ok\n") }
        return router
    }

    /// The alerts configuration `serve` starts with: `alerts.json` of the project, and the
    /// `alerts` object of every job file, each checked (unknown keys, wrong types, not JSON →
    /// an error naming the file, line and key; `serve` then does not start).
    static func alertConfig(root: String, jobs: [(spec: JobSpec, path: String)]) throws -> AlertConfig {
        let global: AlertConfig
        do {
            global = try AlertConfig.load(path: root + "/alerts.json")
        } catch let e as JobError {
            throw CLIError.operational(e.message, help: "see 'Alerts' in docs/observability.md")
        }
        for (spec, path) in jobs {
            do {
                let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
                _ = try AlertConfig.parse(spec.raw["alerts"], over: global, text: text)
            } catch let e as JobError {
                throw CLIError.operational("\(path): \(e.message)", help: "see 'Alerts' in docs/observability.md")
            }
        }
        return global
    }

    /// What `serve` says about the alerts it loaded: the global hooks and the jobs with their own
    /// (hook kinds and webhook hosts only: never a command line or a URL's path, which may hold a token).
    static func alertSummary(global: AlertConfig, jobs: [(spec: JobSpec, path: String)]) -> [String] {
        var lines = ["alerts: \(global.hasHook ? global.channels : "none") from alerts.json"]
        for (spec, _) in jobs where spec.raw["alerts"] != nil {
            let config = AlertConfig.of(spec, global: global)
            lines.append("  job \(spec.name): \(config.channels)")
        }
        if !global.hasHook, lines.count == 1 {
            lines[0] += " (no alert will be sent; see 'Alerts' in docs/observability.md)"
        }
        return lines
    }

    /// Starts the alert monitor (every `interval` seconds) with `global` under the jobs' own
    /// `alerts`; it runs until stopped (its thread holds it), and says when a check fails.
    static func startAlerts(
        _ observatory: Observatory, global: AlertConfig, interval: Double = 15, log: (@Sendable (String) -> Void)? = nil
    ) -> AlertMonitor {
        let environment = ProcessInfo.processInfo.environment
        let monitor = AlertMonitor(
            observatory: observatory, global: global, sink: HookSink(environment: environment),
            redactor: SecretRedactor(environment: environment))
        monitor.start(interval: interval) { message in log?("mapc serve: alert check failed: \(message)") }
        return monitor
    }
}

/// Retry and resume for the dashboard: the same wiring as the CLI commands (approved mapping,
/// adapters from the environment, the job lock), run on a background thread, recorded under the
/// signed-in operator.
final class CLIJobActions: JobActions, @unchecked Sendable {
    private let storePath: String
    private let projectRoot: String
    private let ctx: CommandContext

    init(storePath: String, projectRoot: String, ctx: CommandContext) {
        self.storePath = storePath
        self.projectRoot = projectRoot
        self.ctx = ctx
    }

    func retry(job: String, only: RejectedFilter?, by: Principal) throws { try launch(job, by) { try $0.retryRejected(only: only) } }
    func resume(job: String, by: Principal) throws { try launch(job, by) { try $0.resume() } }

    /// What `mapc retry` / `mapc resume` would refuse: another process holds the job's lock, there
    /// is no job file, the mapping is not approved, or (resume) it changed since the run started.
    func refusal(_ action: JobAction, _ s: JobSnapshot) -> String? {
        if let busy = busy(job: s.job) { return busy }
        guard s.spec != nil else { return "there is no job file for \(s.job) in the jobs folder" }
        guard let m = s.mapping else { return "the job's mapping could not be checked" }
        guard m.approved else { return "the mapping is not approved: \(m.problems.first ?? "see Mapping")" }
        // One run per job: a paused run is resumed or cancelled before another starts.
        if action != .resume, let run = s.run, run.state.phase == .paused || run.state.phase.isRunning {
            return "run \(run.id) of \(s.job) is \(run.state.phase == .paused ? "paused" : "running"); resume or cancel it first"
        }
        if action == .resume, let run = s.run, m.runVersion != nil, !m.runMatchesApproval {
            return "the mapping changed since run \(run.id) started; cancel the run and start a new sync"
        }
        return nil
    }

    /// Probes the job's lock file (as `mapc sync` takes it) without waiting.
    func busy(job: String) -> String? {
        guard !job.contains("/"), !job.hasPrefix(".") else { return nil }
        let path = projectRoot + "/.mapc/locks/\(job).lock"
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        guard let lock = try? JobLock(path: path) else { return "another mapc process is running this job right now" }
        lock.release()
        return nil
    }

    private func setup(_ job: String) throws -> SyncSetup {
        let args = try Arguments.parse(["--store", storePath], options: [SyncSetup.storeOption, CommonOptions.schemas], command: "serve")
        return try SyncSetup.load(job, args, ctx)
    }

    private func lockPath(_ setup: SyncSetup) -> String { setup.project.root + "/.mapc/locks/\(setup.job.name).lock" }

    private func launch(_ job: String, _ by: Principal, _ body: @escaping (SyncRunner) throws -> RunSummary) throws {
        let runner: SyncRunner
        let lock: JobLock
        do {
            let setup = try setup(job)
            runner = try setup.runner(ctx, full: false, crashAt: nil, progress: nil, actor: by)
            lock = try JobLock(path: lockPath(setup))
        } catch let e as CLIError {
            throw JobError(e.message + (e.help.map { " (\($0))" } ?? ""))
        }
        let work = BackgroundSync(runner: runner, lock: lock, body: body)
        Thread { work.run() }.start()
    }
}

/// A sync handed to the one background thread that runs it (a class rather than a captured tuple:
/// the release-mode optimiser of Swift 6.3 crashes on the tuple form).
final class BackgroundSync: @unchecked Sendable {
    private let runner: SyncRunner
    private let lock: JobLock
    private let body: (SyncRunner) throws -> RunSummary

    init(runner: SyncRunner, lock: JobLock, body: @escaping (SyncRunner) throws -> RunSummary) {
        self.runner = runner
        self.lock = lock
        self.body = body
    }

    func run() {
        defer { lock.release() }
        _ = try? body(runner)
    }
}
