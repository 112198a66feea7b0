import Dispatch
import Foundation
import HTTPServer
import MapDSL
import SyncEngine
import Webhooks

/// `mapc serve`: hosts the webhook endpoints (and, later, metrics and the dashboard) until SIGINT/SIGTERM.
enum ServeCommand: Command {
    static let name = "serve"
    static let summary = "Receive platform webhooks: verify, store durably, acknowledge fast, trigger the configured syncs"
    static let usage = "[--listen 127.0.0.1:8080] [--store PATH] [--jobs DIR]"
    static let discussion = """
        Serves POST /webhooks/<platform> (and /webhooks/<platform>/<source>) for every platform with
        webhook settings in the environment (MAPC_WEBHOOK_HUBSPOT_SECRET, MAPC_WEBHOOK_SALESFORCE_ORG_ID,
        MAPC_WEBHOOK_MAILCHIMP_SECRET, MAPC_WEBHOOK_MANDRILL_KEY, MAPC_WEBHOOK_SEGMENT_SECRET; see
        docs/webhooks.md). Each webhook is verified, stored in the inbox of the event store and
        acknowledged before anything else happens; a background worker then matches it against the
        `triggers` of the job files in --jobs and runs the triggered jobs as incremental syncs, one run
        per job at a time. Changes mapc itself wrote are recognised and trigger nothing. Stops cleanly
        on Ctrl-C or SIGTERM; queued work resumes on the next start.
        """
    static let options = [
        OptionSpec("listen", value: "HOST:PORT", help: "Address to bind (default 127.0.0.1:8080; [::1]:8080 for IPv6)."),
        SyncSetup.storeOption,
        OptionSpec("jobs", value: "DIR", help: "Job files with trigger rules (default: jobs/ in the project)."),
        OptionSpec("max-body", value: "BYTES", help: "Largest accepted webhook body; larger ones get 413 (default 4194304)."),
        CommonOptions.schemas,
    ]

    static func run(_ args: Arguments, _ ctx: CommandContext) throws -> ExitCode {
        let (host, port) = try listenAddress(args.value("listen") ?? "127.0.0.1:8080")
        let maxBody = try args.int("max-body", default: 4 * 1024 * 1024, min: 1024)
        let wiring = try WebhookWiring(args, ctx)
        let log = wiring.log
        let worker = wiring.worker()
        let scheduler = wiring.scheduler(concurrency: 2)
        worker.onComplete { decision in
            if !decision.jobs.isEmpty { scheduler.wake() }
        }
        let ingress = WebhookIngress(inbox: wiring.inbox, settings: wiring.settings, log: log)
        let context = ServeContext(store: wiring.store, inbox: wiring.inbox, ingress: ingress, projectRoot: wiring.projectRoot)
        let router = WebhookHost.router(ingress: ingress) { router in registerExtraRoutes(&router, context) }

        let stop = DispatchSemaphore(value: 0)
        var sources: [DispatchSourceSignal] = []
        for sig in [SIGINT, SIGTERM] {
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler { stop.signal() }
            source.resume()
            sources.append(source)
        }
        defer { sources.forEach { $0.cancel() } }

        let configuration = HTTPServerConfiguration(host: host, port: port, maxBodyBytes: maxBody)
        let hosted: WebhookHost
        do {
            hosted = try WebhookHost.start(configuration: configuration, router: router, worker: worker, scheduler: scheduler)
        } catch {
            throw CLIError.operational("\(error)", help: "pick another port with --listen HOST:PORT")
        }
        log("mapc serve: listening on \(hosted.server.baseURL.absoluteString) (store \(wiring.store.path))")
        if ingress.endpoints.isEmpty {
            log("mapc serve: no webhook endpoints configured; see docs/webhooks.md (MAPC_WEBHOOK_<PLATFORM>_SECRET, ...)")
        }
        for endpoint in ingress.endpoints {
            log("  \(endpoint.platform) (\(endpoint.source)): \(hosted.server.baseURL.absoluteString)\(endpoint.path)")
        }
        log("  \(wiring.rules.count) trigger rule(s) from \(wiring.jobs.count) job file(s)")
        stop.wait()
        log("mapc serve: stopping (finishing requests in flight and running syncs)")
        hosted.stop()
        let c = ingress.snapshot
        log("mapc serve: stopped; \(c.accepted) deliveries accepted, \(c.stored) events stored, \(c.duplicates) duplicates")
        return .ok
    }

    /// Registers routes other than webhooks on the same server.
    ///
    /// This is the place for the observability work's `/metrics` and dashboard routes, e.g.
    /// `Dashboard.register(on: &router, store: context.store)`. Webhook routes are registered
    /// before these, and the 404 fallback after.
    static func registerExtraRoutes(_ router: inout Router, _ context: ServeContext) {
        router.add("GET", "/healthz") { _ in .text("ok\n") }
        DashboardWiring.register(&router, context)
    }

    /// Parses `HOST:PORT` or `[V6]:PORT`.
    static func listenAddress(_ text: String) throws -> (String, UInt16) {
        var host = ""
        var portText = ""
        if text.hasPrefix("["), let close = text.firstIndex(of: "]") {
            host = String(text[text.index(after: text.startIndex)..<close])
            portText = String(text[close...].dropFirst().drop { $0 == ":" })
        } else if let colon = text.lastIndex(of: ":") {
            host = String(text[..<colon])
            portText = String(text[text.index(after: colon)...])
        }
        guard !host.isEmpty, let port = UInt16(portText) else {
            throw CLIError.usage("--listen takes HOST:PORT such as 127.0.0.1:8080, not '\(text)'")
        }
        return (host, port)
    }
}

/// What extra routes may use: the stores and the webhook door of the running server.
struct ServeContext: @unchecked Sendable {
    /// The event store.
    let store: EventStore
    /// The webhook inbox (same SQLite file).
    let inbox: Inbox
    /// The webhook door, with its counters.
    let ingress: WebhookIngress
    /// The project root, when one was found.
    let projectRoot: String?
}

/// The wiring shared by `serve`, `inbox` and `replay`: store, inbox, webhook settings, job files,
/// trigger rules, echo suppression, and how a triggered job is run (exactly as `mapc sync` runs it).
final class WebhookWiring: @unchecked Sendable {
    let store: EventStore
    let inbox: Inbox
    let settings: WebhookSettings
    let jobs: [(spec: JobSpec, path: String)]
    let rules: [TriggerRule]
    let projectRoot: String?
    let log: @Sendable (String) -> Void
    private let args: Arguments
    private let ctx: CommandContext

    init(_ args: Arguments, _ ctx: CommandContext, needJobs: Bool = true) throws {
        let project = try? Project.locate(args, ctx)
        projectRoot = project?.root
        let storePath =
            args.value("store").map(ctx.resolve) ?? ctx.environment["MAPC_STORE"].map(ctx.resolve)
            ?? project.map { $0.root + "/.mapc/events.db" }
        guard let storePath else {
            throw CLIError.usage("no event store: pass --store PATH, set MAPC_STORE, or run inside a project with a schemas/ folder")
        }
        do {
            store = try EventStore(path: storePath)
            inbox = try Inbox(path: storePath)
        } catch {
            throw CLIError.operational("cannot open the event store at \(storePath): \(error)")
        }
        do {
            settings = try WebhookSettings.load(environment: ctx.environment)
        } catch {
            throw CLIError.usage("\(error)", help: "see docs/webhooks.md for the webhook settings")
        }
        var loaded: [(JobSpec, String)] = []
        let directory = args.value("jobs").map(ctx.resolve) ?? project.map { $0.root + "/jobs" } ?? ctx.resolve("jobs")
        if needJobs {
            let names = ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).filter { $0.hasSuffix(".json") }.sorted()
            if args.value("jobs") != nil, !FileManager.default.fileExists(atPath: directory) {
                throw CLIError.usage("job directory '\(directory)' does not exist")
            }
            for name in names {
                let path = directory + "/" + name
                do {
                    loaded.append((try JobSpec.load(path: path), path))
                } catch {
                    throw CLIError.usage("\(error)")
                }
            }
        }
        jobs = loaded
        do {
            rules = try loaded.flatMap { try TriggerRule.rules(of: $0.0) }
        } catch {
            throw CLIError.usage("\(error)", help: "see docs/webhooks.md for the trigger format")
        }
        self.args = args
        let io = LockedIO(ctx.io)
        self.ctx = CommandContext(io: io, environment: ctx.environment, workingDirectory: ctx.workingDirectory)
        log = { line in io.err(line + "\n") }
    }

    /// Decides triggers and echoes for stored events.
    var processor: TriggerProcessor {
        TriggerProcessor(rules: rules, echo: EchoDetector(store: store, inbox: inbox, jobs: jobs.map(\.spec)))
    }

    /// A background worker over the inbox with this wiring's processor.
    func worker() -> InboxWorker {
        let processor = self.processor
        return InboxWorker(inbox: inbox, log: log) { entry in try processor.decide(entry.event) }
    }

    /// A scheduler that runs triggered jobs through ``runJob(_:)``.
    func scheduler(concurrency: Int) -> JobScheduler {
        JobScheduler(inbox: inbox, concurrency: concurrency, log: log) { [self] job in try runJob(job) }
    }

    /// Runs `job` as an incremental sync, exactly as `mapc sync JOB` does (approved mapping, job lock).
    func runJob(_ job: String) throws {
        guard let path = jobs.first(where: { $0.spec.name == job })?.path else {
            throw CLIError.usage("no job file for triggered job \(job)")
        }
        let setup = try SyncSetup.load(path, args, ctx)
        let runner = try setup.runner(ctx, full: false, crashAt: nil, progress: nil)
        let lock = try JobLock(path: setup.project.root + "/.mapc/locks/\(setup.job.name).lock")
        defer { lock.release() }
        do {
            let summary = try runner.start()
            log("trigger: \(job) run \(summary.id): \(summary.state)")
        } catch let stopped as SyncStopped {
            throw CLIError.failure("\(job) run \(stopped.run) stopped: \(stopped.state)")
        }
    }
}

/// Serialises writes to a command's output streams across the server's threads.
final class LockedIO: CommandIO, @unchecked Sendable {
    private let base: CommandIO
    private let lock = NSLock()

    init(_ base: CommandIO) { self.base = base }

    func out(_ s: String) { lock.withLock { base.out(s) } }
    func err(_ s: String) { lock.withLock { base.err(s) } }
    var stdoutIsTerminal: Bool { base.stdoutIsTerminal }
    var stderrIsTerminal: Bool { base.stderrIsTerminal }
    func flush() { lock.withLock { base.flush() } }
}
