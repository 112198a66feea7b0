import Foundation
import HTTPServer
import Observe
import SyncEngine

/// Puts `/metrics` and the dashboard on `mapc serve`, with retry and resume run exactly as
/// `mapc retry` / `mapc resume` run them, and starts the alert monitor.
enum DashboardWiring {
    /// Registers the observability routes on `router` and starts the alert monitor (every 15 s).
    static func register(_ router: inout Router, _ context: ServeContext) {
        let root = context.projectRoot ?? FileManager.default.currentDirectoryPath
        let environment = ProcessInfo.processInfo.environment
        let observatory = Observatory(store: context.store, root: root)
        let ctx = CommandContext(io: LockedIO(StandardIO()), environment: environment, workingDirectory: root)
        let actions = CLIJobActions(storePath: context.store.path, ctx: ctx)
        let inbox = context.inbox
        let dashboard = DashboardServer(observatory: observatory, actions: actions) {
            try? InboxStats.of(inbox, now: Date())
        }
        dashboard.register(into: &router)
        router.add("GET", "/") { _ in Response(status: 303, headerFields: [("Location", DashboardPages.base)]) }
        let global = (try? AlertConfig.load(path: root + "/alerts.json")) ?? AlertConfig()
        AlertMonitor(
            observatory: observatory, global: global, sink: HookSink(environment: environment),
            redactor: SecretRedactor(environment: environment)
        ).start(interval: 15)
    }
}

/// Retry and resume for the dashboard: the same wiring as the CLI commands (approved mapping,
/// adapters from the environment, the job lock), run on a background thread.
final class CLIJobActions: JobActions, @unchecked Sendable {
    private let storePath: String
    private let ctx: CommandContext

    init(storePath: String, ctx: CommandContext) {
        self.storePath = storePath
        self.ctx = ctx
    }

    func retry(job: String, by: String) throws { try launch(job, by) { try $0.retryRejected() } }
    func resume(job: String, by: String) throws { try launch(job, by) { try $0.resume() } }

    private func launch(_ job: String, _ by: String, _ body: @escaping (SyncRunner) throws -> RunSummary) throws {
        var environment = ctx.environment
        environment["MAPC_ACTOR"] = by
        let actx = CommandContext(io: ctx.io, environment: environment, workingDirectory: ctx.workingDirectory)
        let args = try Arguments.parse(["--store", storePath], options: [SyncSetup.storeOption, CommonOptions.schemas], command: "serve")
        let setup: SyncSetup
        let runner: SyncRunner
        let lock: JobLock
        do {
            setup = try SyncSetup.load(job, args, actx)
            runner = try setup.runner(actx, full: false, crashAt: nil, progress: nil)
            lock = try JobLock(path: setup.project.root + "/.mapc/locks/\(setup.job.name).lock")
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
