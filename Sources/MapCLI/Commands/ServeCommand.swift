import Dispatch
import Foundation
import HTTPServer
import MapDSL
import Observe
import SyncEngine
import Webhooks

/// `mapc serve`: the webhook endpoints on one listener (public), the operator console and
/// `/metrics` on another (loopback by default), the inbox worker, the job scheduler and the alert
/// monitor, until SIGINT/SIGTERM.
enum ServeCommand: Command {
    static let name = "serve"
    static let summary = "Receive platform webhooks and serve the operator console and /metrics, each on its own listener"
    static let usage =
        "[--listen HOST:PORT|none] [--admin-listen HOST:PORT|none] [--admin-url URL] [--operators FILE] [--store PATH] [--jobs DIR]"
    static let discussion = """
        Two listeners. --listen (default 127.0.0.1:8080) serves POST /webhooks/<platform> (and
        /webhooks/<platform>/<source>) for every platform with webhook settings in the environment
        (MAPC_WEBHOOK_HUBSPOT_SECRET, MAPC_WEBHOOK_SALESFORCE_ORG_ID, MAPC_WEBHOOK_MAILCHIMP_SECRET,
        MAPC_WEBHOOK_MANDRILL_KEY, MAPC_WEBHOOK_SEGMENT_SECRET; see docs/webhooks.md) and nothing
        else: it is the one to expose to the platforms. Each webhook is verified, stored in the inbox
        and acknowledged before anything else happens; a background worker then runs the jobs whose
        `triggers` match, one run per job at a time.

        --admin-listen (default 127.0.0.1:8081) serves the operator console (/dashboard, sign-in at
        /login) and /metrics. Operators sign in with a name and password from the operators file
        (see 'mapc operators'); read-only operators see everything and change nothing. On an address
        other than loopback it needs --admin-url (the URL operators type, checked against every
        request's Host and Origin), TLS (--admin-tls-cert/--admin-tls-key, or an https --admin-url
        behind a TLS proxy), and /metrics then needs an operator's API token. Either listener can
        be turned off with 'none'. Stops cleanly on Ctrl-C or SIGTERM; queued work resumes on the
        next start. See docs/observability.md.
        """
    static let options = [
        OptionSpec("listen", value: "HOST:PORT", help: "Webhook listener (default 127.0.0.1:8080; [::1]:8080 for IPv6; 'none' for off)."),
        OptionSpec("admin-listen", value: "HOST:PORT", help: "Console and /metrics listener (default 127.0.0.1:8081; 'none' for off)."),
        OptionSpec("admin-url", value: "URL", help: "The console's public URL (required when --admin-listen is not loopback)."),
        OptionSpec("operators", value: "FILE", help: "Operators file (default $MAPC_OPERATORS or ~/.config/mapc/operators.json)."),
        OptionSpec("tls-cert", value: "FILE", help: "Serve webhooks over HTTPS with this PEM certificate (with --tls-key)."),
        OptionSpec("tls-key", value: "FILE", help: "The webhook listener's PEM private key."),
        OptionSpec("admin-tls-cert", value: "FILE", help: "Serve the console over HTTPS with this PEM certificate (with --admin-tls-key)."),
        OptionSpec("admin-tls-key", value: "FILE", help: "The console listener's PEM private key."),
        SyncSetup.storeOption,
        OptionSpec("jobs", value: "DIR", help: "Job files with trigger rules (default: jobs/ in the project)."),
        OptionSpec("max-body", value: "BYTES", help: "Largest accepted webhook body; larger ones get 413 (default 4194304)."),
        CommonOptions.schemas,
        OptionSpec("alert-interval", value: "SECONDS", help: "How often alerts are checked (default 15)."),
        OptionSpec(
            "connections", value: "N", help: "Webhook requests served at once; more get 503 + Retry-After (default 256, at most 65536)."),
        OptionSpec(
            "connections-per-client", value: "N",
            help:
                "Of those, how many one client address may hold (default a quarter of --connections; behind a reverse proxy every platform has the proxy's address)."
        ),
        OptionSpec(
            "quarantine-limit", value: "N",
            help: "Unauthenticated refused deliveries kept in the quarantine; beyond it the oldest are dropped (default 10000)."),
        OptionSpec("to-workers", help: "Queue triggered one-way jobs for 'mapc worker' processes instead of running them here."),
    ]

    /// What the command line asks the two listeners to be.
    struct Listeners {
        var webhooks: HTTPServerConfiguration?
        var admin: HTTPServerConfiguration?
        var adminURL: URL?
        var operatorsPath: String?
    }

    static func listeners(_ args: Arguments, _ ctx: CommandContext) throws -> Listeners {
        let maxBody = try args.int("max-body", default: 4 * 1024 * 1024, min: 1024)
        let (connections, perClient) = try connectionLimits(args)
        var out = Listeners()
        if let (host, port) = try listenAddress(args.value("listen") ?? "127.0.0.1:8080", option: "listen") {
            out.webhooks = HTTPServerConfiguration(
                host: host, port: port, maxBodyBytes: maxBody, connectionLimit: connections, connectionsPerClient: perClient,
                tls: try tls(args, ctx, cert: "tls-cert", key: "tls-key"))
        } else if args.value("tls-cert") != nil || args.value("tls-key") != nil {
            throw CLIError.usage("--tls-cert and --tls-key are for the webhook listener, which --listen none turns off")
        } else if args.value("connections") != nil || args.value("connections-per-client") != nil {
            throw CLIError.usage("--connections and --connections-per-client are for the webhook listener, which --listen none turns off")
        }
        if let url = args.value("admin-url") {
            guard let u = URL(string: url), let scheme = u.scheme?.lowercased(), ["http", "https"].contains(scheme), u.host != nil,
                u.path.isEmpty || u.path == "/", u.query == nil, u.user == nil
            else {
                throw CLIError.usage("--admin-url takes the console's address such as https://console.example.com, not '\(url)'")
            }
            out.adminURL = u
        }
        if let (host, port) = try listenAddress(args.value("admin-listen") ?? "127.0.0.1:8081", option: "admin-listen") {
            let tls = try tls(args, ctx, cert: "admin-tls-cert", key: "admin-tls-key")
            if !ConsolePolicy.isLoopback(host) {
                guard out.adminURL != nil else {
                    throw CLIError.usage(
                        "the console would listen on \(host), beyond this machine, without --admin-url",
                        help: "pass --admin-url https://NAME:\(port) (the address operators use), or keep the default 127.0.0.1")
                }
                guard tls != nil || out.adminURL?.scheme?.lowercased() == "https" else {
                    throw CLIError.usage(
                        "the console would send passwords and session cookies in the clear on \(host)",
                        help: "pass --admin-tls-cert and --admin-tls-key (see docs/observability.md), or keep the default 127.0.0.1")
                }
            }
            out.admin = HTTPServerConfiguration(host: host, port: port, maxBodyBytes: 256 * 1024, tls: tls)
            out.operatorsPath = args.value("operators").map(ctx.resolve) ?? OperatorFile.defaultPath(environment: ctx.environment)
            guard out.operatorsPath != nil else {
                throw CLIError.usage("no operators file: pass --operators FILE, or set HOME or MAPC_OPERATORS")
            }
        } else if args.value("admin-tls-cert") != nil || args.value("admin-tls-key") != nil || args.value("admin-url") != nil {
            throw CLIError.usage("--admin-url and --admin-tls-* are for the console listener, which --admin-listen none turns off")
        }
        if out.webhooks == nil, out.admin == nil {
            throw CLIError.usage("--listen none and --admin-listen none leave nothing to serve")
        }
        return out
    }

    static func tls(_ args: Arguments, _ ctx: CommandContext, cert: String, key: String) throws -> TLSConfiguration? {
        switch (args.value(cert), args.value(key)) {
        case (nil, nil): return nil
        case (let c?, let k?):
            do {
                return try TLSConfiguration.load(certificateFile: ctx.resolve(c), keyFile: ctx.resolve(k))
            } catch {
                throw CLIError.operational("\(error)")
            }
        default: throw CLIError.usage("--\(cert) and --\(key) go together")
        }
    }

    static func run(_ args: Arguments, _ ctx: CommandContext) throws -> ExitCode {
        let plan = try listeners(args, ctx)
        let quarantineLimit = try args.int("quarantine-limit", default: Inbox.defaultUnauthenticatedQuarantineLimit, min: 1)
        let wiring = try WebhookWiring(args, ctx)
        wiring.inbox.unauthenticatedQuarantineLimit = quarantineLimit
        let log = wiring.log
        let worker = wiring.worker()
        let scheduler = wiring.scheduler(concurrency: 2)
        worker.onComplete { decision in
            if !decision.jobs.isEmpty { scheduler.wake() }
        }
        let ingress = WebhookIngress(inbox: wiring.inbox, settings: wiring.settings, log: log)
        let context = ServeContext(store: wiring.store, inbox: wiring.inbox, ingress: ingress, projectRoot: wiring.projectRoot)
        let observatory = DashboardWiring.observatory(context)
        let alerts = try DashboardWiring.alertConfig(root: observatory.root, jobs: wiring.jobs)
        let alertInterval = try alertInterval(args)

        var access: ConsoleAccess?
        if plan.admin != nil, let path = plan.operatorsPath {
            let operators = OperatorDirectory(path: path)
            if let problem = operators.loadError {
                throw CLIError.operational(problem, help: "see 'mapc operators --help'")
            }
            let policy = ConsolePolicy(
                publicURL: plan.adminURL, tls: plan.admin?.tls != nil, metricsNeedToken: !ConsolePolicy.isLoopback(plan.admin?.host ?? ""))
            access = ConsoleAccess(operators: operators, policy: policy)
        }

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

        var hosted: WebhookHost?
        if let configuration = plan.webhooks {
            let router = WebhookHost.router(ingress: ingress) { router in router.add("GET", "/healthz") { _ in .text("ok\n") } }
            do {
                hosted = try WebhookHost.start(configuration: configuration, router: router, worker: worker, scheduler: scheduler)
            } catch {
                throw CLIError.operational("\(error)", help: "pick another port with --listen HOST:PORT")
            }
        } else {
            scheduler.start()
            worker.start()
        }
        var console: HTTPServer?
        if let configuration = plan.admin, let access {
            do {
                console = try HTTPServer.start(
                    configuration: configuration, router: DashboardWiring.router(context, observatory: observatory, access: access))
            } catch {
                hosted?.stop()
                if hosted == nil {
                    worker.stop()
                    scheduler.stop(timeout: 0)
                }
                throw CLIError.operational("\(error)", help: "pick another port with --admin-listen HOST:PORT")
            }
            access.policy.listening(host: console!.host, port: console!.port)
        }
        let monitor = DashboardWiring.startAlerts(observatory, global: alerts, interval: alertInterval, log: log)
        // Quota pauses of jobs with `autoResume` resume by themselves once the quota has reset.
        let autoResumer = wiring.autoResumer()
        autoResumer.start(interval: min(alertInterval, 30)) { line in log("mapc serve: \(line)") }

        if let server = hosted?.server {
            let limits = plan.webhooks.map {
                "; \($0.connectionLimit) requests at once, \($0.effectiveConnectionsPerClient) per client address"
            }
            log("mapc serve: webhooks on \(server.baseURL.absoluteString) (store \(wiring.store.path)\(limits ?? ""))")
            if ingress.endpoints.isEmpty {
                log("mapc serve: no webhook endpoints configured; see docs/webhooks.md (MAPC_WEBHOOK_<PLATFORM>_SECRET, ...)")
            }
            for endpoint in ingress.endpoints {
                log("  \(endpoint.platform) (\(endpoint.source)): \(server.baseURL.absoluteString)\(endpoint.path)")
            }
        } else {
            log("mapc serve: webhook listener off (store \(wiring.store.path))")
        }
        log("  \(wiring.rules.count) trigger rule(s) from \(wiring.jobs.count) job file(s)")
        let autoJobs = wiring.jobs.filter { $0.spec.autoResume != nil }.map(\.spec.name)
        if !autoJobs.isEmpty { log("mapc serve: autoResume (quota pauses resume after the reset): \(autoJobs.joined(separator: ", "))") }
        for line in DashboardWiring.alertSummary(global: alerts, jobs: wiring.jobs) { log("mapc serve: \(line)") }
        if let console, let access {
            let base =
                plan.adminURL?.absoluteString.trimmingCharacters(in: CharacterSet(charactersIn: "/")) ?? console.baseURL.absoluteString
            log(
                "mapc serve: console on \(base)/dashboard, metrics on \(base)/metrics\(access.policy.metricsNeedToken ? " (bearer token)" : "")"
            )
            let count = access.operators.current().count
            log(
                "  \(count) operator(s) from \(access.operators.filePath ?? "?")\(count == 0 ? "; add one with 'mapc operators add NAME'" : "")"
            )
        } else {
            log("mapc serve: console listener off")
        }
        stop.wait()
        log("mapc serve: stopping (finishing requests in flight and running syncs)")
        monitor.stop()
        autoResumer.stop()
        console?.stop()
        if let hosted {
            hosted.stop()
        } else {
            worker.stop()
            scheduler.stop(timeout: 30)
        }
        let c = ingress.snapshot
        log("mapc serve: stopped; \(c.accepted) deliveries accepted, \(c.stored) events stored, \(c.duplicates) duplicates")
        return .ok
    }

    /// The most webhook requests served at once (`--connections`; a thread each, and eight times as
    /// many connections may be open in any state).
    static let maxConnections = 65_536

    /// `--connections N` and `--connections-per-client N` (nil: a quarter of the first).
    static func connectionLimits(_ args: Arguments) throws -> (UInt32, UInt32?) {
        let connections = try args.int("connections", default: 256, min: 1)
        guard connections <= maxConnections else {
            throw CLIError.usage("--connections takes a whole number from 1 to \(maxConnections), not '\(connections)'")
        }
        guard args.value("connections-per-client") != nil else { return (UInt32(connections), nil) }
        let perClient = try args.int("connections-per-client", default: 1, min: 1)
        guard perClient <= connections else {
            throw CLIError.usage("--connections-per-client (\(perClient)) cannot be more than --connections (\(connections))")
        }
        return (UInt32(connections), UInt32(perClient))
    }

    /// `--alert-interval SECONDS`: how often the alert monitor checks the jobs (default 15).
    static func alertInterval(_ args: Arguments) throws -> Double {
        guard let text = args.value("alert-interval") else { return 15 }
        guard let seconds = Double(text), seconds.isFinite, seconds >= 0.05, seconds <= 86_400 else {
            throw CLIError.usage("--alert-interval takes seconds from 0.05 to 86400, not '\(text)'")
        }
        return seconds
    }

    /// Parses `HOST:PORT` or `[V6]:PORT`; nil for `none`.
    static func listenAddress(_ text: String, option: String = "listen") throws -> (String, UInt16)? {
        if text == "none" { return nil }
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
            throw CLIError.usage("--\(option) takes HOST:PORT such as 127.0.0.1:8080, or none, not '\(text)'")
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
    /// With `--to-workers`: the work queue triggered one-way jobs go to (see `mapc worker`).
    let workQueue: WorkQueue?
    let settings: WebhookSettings
    let jobs: [(spec: JobSpec, path: String)]
    /// Two-way job files (`"kind": "two-way"`), run by ``TwoWaySetup``.
    let twoWayJobs: [(spec: TwoWaySpec, path: String)]
    let rules: [TriggerRule]
    let projectRoot: String?
    let log: @Sendable (String) -> Void
    private let args: Arguments
    private let ctx: CommandContext

    init(_ args: Arguments, _ ctx: CommandContext, needJobs: Bool = true) throws {
        let project = try? Project.locate(args, ctx)
        projectRoot = project?.root
        let namedPath = SyncSetup.namedStore(args, ctx)
        let storePath = namedPath ?? project.map { $0.root + "/.mapc/events.db" }
        guard let storePath else {
            throw CLIError.usage(
                "no event store: pass --store PATH|URL, set MAPC_STORE_URL or MAPC_STORE, or run inside a project with a schemas/ folder")
        }
        do {
            let creation = SyncSetup.creation(named: namedPath != nil, create: true)
            store = try EventStore(path: storePath, create: creation)
            inbox = try Inbox(path: storePath, create: creation)
            workQueue = args.flag("to-workers") ? try WorkQueue(location: storePath) : nil
        } catch {
            throw SyncSetup.storeFailure(error, path: storePath, create: true)
        }
        do {
            settings = try WebhookSettings.load(environment: ctx.environment)
        } catch {
            throw CLIError.usage("\(error)", help: "see docs/webhooks.md for the webhook settings")
        }
        var loaded: [(JobSpec, String)] = []
        var twoWay: [(TwoWaySpec, String)] = []
        let directory = args.value("jobs").map(ctx.resolve) ?? project.map { $0.root + "/jobs" } ?? ctx.resolve("jobs")
        if needJobs {
            let names = ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).filter { $0.hasSuffix(".json") }.sorted()
            if args.value("jobs") != nil, !FileManager.default.fileExists(atPath: directory) {
                throw CLIError.usage("job directory '\(directory)' does not exist")
            }
            for name in names {
                let path = directory + "/" + name
                if let spec = try TwoWaySetup.spec(path: path, args, ctx) {
                    twoWay.append((spec, path))
                    continue
                }
                do {
                    loaded.append((try JobSpec.load(path: path), path))
                } catch {
                    throw CLIError.usage("\(error)")
                }
            }
        }
        jobs = loaded
        twoWayJobs = twoWay
        do {
            rules = try loaded.flatMap { try TriggerRule.rules(of: $0.0) } + twoWay.flatMap { try $0.0.triggerRules() }
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
        TriggerProcessor(
            rules: rules,
            echo: EchoDetector(store: store, inbox: inbox, jobs: jobs.map(\.spec), twoWay: twoWayJobs.map(\.spec)))
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

    /// Resumes the quota pauses of jobs with `autoResume` once their quota has reset, as `mapc
    /// resume JOB` does (approved mapping, job lock), recorded as resumed by `autoResume`.
    func autoResumer() -> AutoResumer {
        let specs = jobs.map(\.spec)
        return AutoResumer(store: store, jobs: { specs }) { [self] pending in
            guard let path = jobs.first(where: { $0.spec.name == pending.job })?.path else {
                throw CLIError.usage("no job file for \(pending.job)")
            }
            let setup = try SyncSetup.load(path, args, ctx)
            let runner = try setup.runner(ctx, full: false, crashAt: nil, progress: nil, actor: AutoResume.actor)
            let lock = try JobLock(path: setup.project.root + "/.mapc/locks/\(setup.job.name).lock")
            defer { lock.release() }
            return try runner.resume()
        }
    }

    /// Runs `job` as an incremental sync, exactly as `mapc sync JOB` does (approved mapping, job lock).
    func runJob(_ job: String) throws {
        if let twoWay = twoWayJobs.first(where: { $0.spec.name == job }) {
            let report = try TwoWaySetup.at(twoWay.path, args, ctx).run(ctx)
            log("trigger: \(job) run \(report.run): completed (two-way)")
            return
        }
        guard let path = jobs.first(where: { $0.spec.name == job })?.path else {
            throw CLIError.usage("no job file for triggered job \(job)")
        }
        if let workQueue {
            try workQueue.enqueue(job: job, by: "webhook trigger")
            log("trigger: \(job) queued for mapc worker")
            return
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
