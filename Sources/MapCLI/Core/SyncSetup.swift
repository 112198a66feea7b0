import Adapters
import Foundation
import MapDSL
import MapReview
import SyncEngine

/// Wiring for the sync commands: the job file, the event store, the approved mapping and the adapters.
struct SyncSetup {
    let project: Project
    let job: JobSpec
    let jobPath: String
    let store: EventStore

    static let storeOption = OptionSpec(
        "store", value: "PATH|URL",
        help: "Event store: a SQLite file or postgres://… (default: $MAPC_STORE_URL, $MAPC_STORE, or .mapc/events.db in the project).")
    static let formatOption = CommonOptions.format([.text, .json])

    /// The event store path for `args`, and whether the user named it (`--store`, `$MAPC_STORE`)
    /// rather than taking the project's `.mapc/events.db`.
    static func storePath(_ args: Arguments, _ ctx: CommandContext, project: Project) -> (path: String, named: Bool) {
        if let named = namedStore(args, ctx) { return (named, true) }
        return (project.root + "/.mapc/events.db", false)
    }

    /// The store the user named: `--store`, else `$MAPC_STORE_URL`, else `$MAPC_STORE`; a file path
    /// is resolved against the working directory, a `postgres://` URL is kept as given.
    static func namedStore(_ args: Arguments, _ ctx: CommandContext) -> String? {
        let given = args.value("store") ?? nonEmpty(ctx.environment["MAPC_STORE_URL"]) ?? nonEmpty(ctx.environment["MAPC_STORE"])
        guard let given else { return nil }
        return PostgresURL.isPostgres(given) ? given : ctx.resolve(given)
    }

    private static func nonEmpty(_ s: String?) -> String? { s?.isEmpty == false ? s : nil }

    /// How a store location is shown: a PostgreSQL URL without its password.
    static func display(_ location: String) -> String {
        PostgresURL.isPostgres(location) ? ((try? PostgresURL(location))?.description ?? "postgres://…") : location
    }

    /// How a command may create its store: only commands that start runs (`create`) make a missing
    /// one, and a store the user named only in a directory that exists (the project's `.mapc/` is
    /// made as needed). An empty, foreign, damaged or newer store is refused with exit 3.
    static func creation(named: Bool, create: Bool) -> StoreCreation {
        guard create else { return .never }
        return named ? .inExistingDirectory : .withDirectory
    }

    /// The event store for `args`; `create` for commands that start runs.
    static func openStore(_ args: Arguments, _ ctx: CommandContext, project: Project, create: Bool = false) throws -> EventStore {
        let (path, named) = storePath(args, ctx, project: project)
        do {
            return try EventStore(path: path, create: creation(named: named, create: create))
        } catch {
            throw storeFailure(error, path: path, create: create)
        }
    }

    /// The exit-3 error for a store that cannot be opened, naming it once.
    static func storeFailure(_ error: Error, path location: String, create: Bool) -> CLIError {
        let path = display(location)
        let message = (error as? StoreError)?.message ?? "\(error)"
        let missing = !create && !PostgresURL.isPostgres(location) && !FileManager.default.fileExists(atPath: path)
        return CLIError.operational(
            message.contains(path) ? "event store: \(message)" : "cannot open the event store at \(path): \(message)",
            help: missing ? "'mapc sync JOB' creates it" : nil)
    }

    /// Resolves JOB: a job file path, or a name looked up as `jobs/<name>.json` in the project.
    static func load(_ name: String, _ args: Arguments, _ ctx: CommandContext, createStore: Bool = true) throws -> SyncSetup {
        var path = ctx.resolve(name)
        if !FileManager.default.fileExists(atPath: path) || name.hasSuffix("/") {
            let project = try Project.locate(args, ctx)
            path = project.root + "/jobs/\(name).json"
            guard FileManager.default.fileExists(atPath: path) else {
                let known = ((try? FileManager.default.contentsOfDirectory(atPath: project.root + "/jobs")) ?? [])
                    .filter { $0.hasSuffix(".json") }.map { String($0.dropLast(5)) }.sorted()
                throw CLIError.usage(
                    "no job '\(name)': neither a file nor jobs/\(name).json",
                    help: known.isEmpty ? "create jobs/\(name).json (see docs/sync.md)" : "known jobs: \(known.joined(separator: ", "))")
            }
        }
        let project = try Project.locate(args, ctx, near: path)
        let job: JobSpec
        do {
            job = try JobSpec.load(path: path)
        } catch {
            throw CLIError.usage("\(error)")
        }
        return SyncSetup(project: project, job: job, jobPath: path, store: try openStore(args, ctx, project: project, create: createStore))
    }

    /// Only an approved, unchanged mapping that still type-checks may run: compiles it and returns
    /// it with its version (the canonical hash) and lookup schemas, or refuses with every reason.
    func approvedMapping(_ ctx: CommandContext) throws -> (CompiledMapping, String, [String: Schema]) {
        let mappingPath = job.mapping.hasPrefix("/") ? job.mapping : project.root + "/" + job.mapping
        let lock: MappingsLock
        do {
            lock = try MappingsLock.load(root: project.root)
        } catch {
            throw CLIError.failure("cannot read \(MappingsLock.fileName): \(error)")
        }
        let entry: LockEntry
        do {
            entry = try ApprovalGate.verify(mappingPath: mappingPath, lock: lock, schemas: project.schemaProvider)
        } catch {
            throw CLIError.failure(
                "refusing to run \(job.name): \(job.mapping) " + error.problems.map(\.summary).joined(separator: "; "),
                help: "run 'mapc review \(job.mapping)' and 'mapc approve \(job.mapping) --by NAME'")
        }
        let loaded = try LoadedMapping.load(mappingPath, project: project, ctx)
        let mapping = try loaded.compile(ctx)
        guard mapping.source.qualifiedName == job.source.qualifiedName, mapping.destination.qualifiedName == job.destination.qualifiedName
        else {
            throw CLIError.usage(
                "job \(job.name) syncs \(job.source.qualifiedName) -> \(job.destination.qualifiedName), but its mapping maps \(mapping.source.qualifiedName) -> \(mapping.destination.qualifiedName)"
            )
        }
        return (mapping, entry.sha256, loaded.result.lookupSchemas)
    }

    /// An adapter for one end of the job, from the environment's connection settings. The endpoint's
    /// `adapter` (e.g. `jsonl`, `sqlite`) replaces the platform's own API when given.
    func adapter(_ endpoint: JobEndpoint, _ ctx: CommandContext, waits: WaitWatch? = nil) throws -> PlatformAdapter {
        try Self.adapter(
            endpoint, project: project, store: store, ctx, waits: waits, unknownQuotaResetSeconds: job.autoResume?.unknownResetSeconds)
    }

    /// An adapter for `endpoint` in `project`, its limiter state kept in `store` (for jobs that
    /// are not one-way, like two-way jobs).
    /// `unknownQuotaResetSeconds` (a job's `autoResume.unknownResetSeconds`) is how long the limiter
    /// holds a quota the platform said is used up without naming its reset (default an hour).
    static func adapter(
        _ endpoint: JobEndpoint, project: Project, store: EventStore, _ ctx: CommandContext, waits: WaitWatch? = nil,
        unknownQuotaResetSeconds: Int? = nil
    ) throws -> PlatformAdapter {
        let kind = endpoint.adapter ?? endpoint.platform
        // Request windows persist beside the daily quotas, so a resume right after a crash does not
        // meet the platform's window with a fresh limiter; transient per-record errors are data.
        var options = AdapterOptions(
            rateLimitsDirectory: project.root + "/ratelimits", quotaStore: store, windowStore: store,
            platformsDirectory: project.root + "/platforms")
        // MAPC_RATE_LIMITS names another registry folder, or `none` for no pacing (a sandbox started
        // with --rate-limits none; a real platform would answer with 429s).
        switch ctx.environment["MAPC_RATE_LIMITS"] {
        case "none": options.rateLimitsDirectory = nil
        case let folder? where !folder.isEmpty: options.rateLimitsDirectory = ctx.resolve(folder)
        default: break
        }
        if let unknownQuotaResetSeconds { options.limiterConfiguration.unknownQuotaResetSeconds = Double(unknownQuotaResetSeconds) }
        // The sync engine owns retries (and records each one as an event).
        options.maxRetries = 0
        // The run's waits inside the adapter are announced and end on a cancel.
        options.waits = waits
        do {
            return try AdapterFactory.make(platform: kind, environment: ctx.environment, options: options)
        } catch {
            throw CLIError.usage("cannot connect to \(kind) for \(endpoint.qualifiedName): \(error)")
        }
    }

    /// A runner for the job with progress on standard error, recording `actor` (default: the
    /// account running the command, or a self-declared `$MAPC_ACTOR`) as who started it.
    func runner(
        _ ctx: CommandContext, full: Bool, crashAt: CrashPoint?, progress: ProgressDisplay?, actor: Principal? = nil,
        writePath: WritePathChoice? = nil,
        supersede: Bool = false, workerLease: String? = nil
    ) throws -> SyncRunner {
        let (mapping, version, lookupSchemas) = try approvedMapping(ctx)
        var options = SyncOptions()
        options.workerLease = workerLease
        options.full = full
        options.writePath = writePath
        options.supersede = supersede
        options.crashAt = crashAt
        options.actor = actor ?? CLIPrincipal.resolve(by: nil, ctx)
        if let progress { options.progress = { p in progress.update(p) } }
        let waits = WaitWatch()
        options.waits = waits
        return SyncRunner(
            job: job, mapping: mapping, version: version, source: try adapter(job.source, ctx, waits: waits),
            destination: try adapter(job.destination, ctx, waits: waits),
            store: store, lookupSchemas: lookupSchemas, options: options)
    }
}

/// Shared rendering of run summaries.
enum SyncRender {
    static func json(_ r: RunSummary, counts: [String: Int]) -> JSONValue {
        var o: [(String, JSONValue)] = [
            ("job", .string(r.job)), ("run", .int(r.id)), ("state", .string(r.state.phase.rawValue)),
            ("description", .string(r.state.description)), ("page", .int(r.state.page)), ("batch", .int(r.state.batch)),
            ("startedAt", .string(r.startedAt)), ("lastEventAt", .string(r.lastEventAt)),
            ("mappingVersion", r.info["mappingVersion"] ?? .null), ("kind", r.info["kind"] ?? .null),
        ]
        if let reason = r.state.reason { o.append(("reason", .string(reason))) }
        o.append(("records", .object(counts.sorted { $0.key < $1.key }.map { ($0.key, .int($0.value)) })))
        return .object(o)
    }
}
