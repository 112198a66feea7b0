import Foundation
import MapDSL
import MapReview
import SyncEngine

/// Wiring for two-way jobs: the job file, the event store, both approved mappings and both adapters.
struct TwoWaySetup {
    let project: Project
    let spec: TwoWaySpec
    let path: String
    let store: EventStore

    /// The two-way job named by the first positional argument, or nil when it is a one-way job
    /// (or no job at all: the one-way path reports that).
    static func load(_ args: Arguments, _ ctx: CommandContext, position: Int = 0, createStore: Bool = false) throws -> TwoWaySetup? {
        guard args.positional.count > position else { return nil }
        let name = args.positional[position]
        var path = ctx.resolve(name)
        if !FileManager.default.fileExists(atPath: path) {
            guard let project = try? Project.locate(args, ctx) else { return nil }
            path = project.root + "/jobs/\(name).json"
        }
        guard isTwoWay(path) else { return nil }
        return try at(path, args, ctx, createStore: createStore)
    }

    /// Whether the file at `path` is a two-way job file.
    static func isTwoWay(_ path: String) -> Bool {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
            (attributes[.size] as? Int ?? 0) <= TwoWaySpec.maxBytes, let data = FileManager.default.contents(atPath: path),
            let json = try? JSONParser.parse(Array(data))
        else { return false }
        return TwoWaySpec.isTwoWay(json)
    }

    /// The two-way job at `path`, checked against the project's schemas, or nil when the file is
    /// not a two-way job.
    static func spec(path: String, _ args: Arguments, _ ctx: CommandContext) throws -> TwoWaySpec? {
        guard isTwoWay(path) else { return nil }
        return try at(path, args, ctx).spec
    }

    /// The two-way job at `path` (known to be one).
    /// Only `sync` (`createStore`) starts a store; the identity and conflict commands need one.
    static func at(_ path: String, _ args: Arguments, _ ctx: CommandContext, createStore: Bool = false) throws -> TwoWaySetup {
        let name = (path as NSString).lastPathComponent
        let project = try Project.locate(args, ctx, near: path)
        let schemas = project.schemaProvider
        let spec: TwoWaySpec
        do {
            spec = try TwoWaySpec.load(path: path) { platform, object in
                (try? schemas.schema(platform: platform, object: object)) ?? nil
            }
        } catch {
            ctx.io.err(error.description + "\n")
            let n = error.problems.count
            throw CLIError.failure("\(name) has \(n) problem\(n == 1 ? "" : "s"); fix \(n == 1 ? "it" : "them") first")
        }
        return TwoWaySetup(
            project: project, spec: spec, path: path, store: try SyncSetup.openStore(args, ctx, project: project, create: createStore))
    }

    /// Loads a job that must be two-way (for the identity and conflict commands).
    static func require(_ args: Arguments, _ ctx: CommandContext, position: Int, usage: String) throws -> TwoWaySetup {
        guard args.positional.count > position else { throw CLIError.usage("give the two-way job", help: usage) }
        guard let setup = try load(args, ctx, position: position) else {
            throw CLIError.usage(
                "'\(args.positional[position])' is not a two-way job",
                help: "a two-way job file has \"kind\": \"two-way\" (see docs/two-way.md)")
        }
        return setup
    }

    /// One approved, unchanged mapping, compiled, with its version.
    func approved(_ relative: String, _ ctx: CommandContext) throws -> (CompiledMapping, String) {
        let mappingPath = relative.hasPrefix("/") ? relative : project.root + "/" + relative
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
                "refusing to run \(spec.name): \(relative) " + error.problems.map(\.summary).joined(separator: "; "),
                help: "run 'mapc review \(relative)' and 'mapc approve \(relative) --by NAME'")
        }
        let loaded = try LoadedMapping.load(mappingPath, project: project, ctx)
        return (try loaded.compile(ctx), entry.sha256)
    }

    /// `mapc sync` of a two-way job.
    func sync(_ args: Arguments, _ ctx: CommandContext) throws -> ExitCode {
        let format = try OutputFormat.parse(args)
        if args.flag("full") { ctx.io.err("note: a two-way run always reads both sides in full; --full changes nothing\n") }
        // Ctrl-C or SIGTERM stops the run as cancelled (within a second, waits included); a second one kills.
        let signals = SignalStop.install()
        defer { signals.remove() }
        let report = try run(ctx, interrupted: { signals.reason })
        return try print(report, format, ctx)
    }

    /// One run, under the job's lock (as `mapc sync` and webhook triggers run it); `interrupted`
    /// says when this process was asked to stop (a signal).
    func run(_ ctx: CommandContext, interrupted: @escaping @Sendable () -> String? = { nil }) throws -> TwoWayReport {
        let (leftToRight, v1) = try approved(spec.leftToRight, ctx)
        let (rightToLeft, v2) = try approved(spec.rightToLeft, ctx)
        // The adapters' own waits (backoff, Retry-After, pacing) are announced and end on a cancel.
        let waits = WaitWatch()
        let left = try SyncSetup.adapter(spec.left, project: project, store: store, ctx, waits: waits)
        let right = try SyncSetup.adapter(spec.right, project: project, store: store, ctx, waits: waits)
        var options = TwoWayOptions()
        options.actor = CLIPrincipal.resolve(by: nil, ctx).name
        options.waits = waits
        options.interrupted = interrupted
        // For crash tests: `MAPC_CRASH_AT=twoway-after-batch:N` kills the process (SIGKILL) right
        // after its Nth write batch is sent, before its results are recorded.
        if let point = ctx.environment["MAPC_CRASH_AT"], point.hasPrefix("twoway-after-batch:"),
            let n = Int(point.dropFirst("twoway-after-batch:".count)), n > 0
        {
            options.dieAfterBatches = n
        }
        let lock = try JobLock(path: project.root + "/.mapc/locks/\(spec.name).lock")
        defer { lock.release() }
        let report: TwoWayReport
        do {
            let runner = try TwoWayRunner(
                spec: spec, leftToRight: leftToRight, rightToLeft: rightToLeft, versions: (v1, v2), left: left, right: right,
                store: store, options: options)
            report = try runner.run()
        } catch is TwoWaySimulatedCrash {
            kill(getpid(), SIGKILL)
            throw CLIError.operational("killed")
        } catch let e as TwoWayCancelled {
            throw CLIError.failure(
                "\(spec.name) run \(e.run): cancelled (\(e.state.reason ?? "cancelled"))",
                help: "run 'mapc sync \(spec.name)' to start again: a new run reads both sides again, and nothing is written twice")
        } catch let e as JobError {
            throw CLIError.failure(e.message)
        } catch let e as AdapterError {
            throw CLIError.failure("\(spec.name): \(e)", help: "fix the cause and run 'mapc sync \(spec.name)' again")
        } catch let e as StoreError {
            throw CLIError.operational(e.description)
        }
        return report
    }

    func print(_ report: TwoWayReport, _ format: OutputFormat, _ ctx: CommandContext) throws -> ExitCode {
        if format == .json {
            var json = report.json.objectValue ?? []
            json.insert(("job", .string(spec.name)), at: 0)
            json.insert(("state", "completed"), at: 1)
            ctx.io.out(JSONWriter.pretty(.object(json)))
            return .ok
        }
        var text = "\(spec.name) run \(report.run): completed\n"
        text += "  read: \(report.readLeft) \(spec.left.qualifiedName), \(report.readRight) \(spec.right.qualifiedName)\n"
        text +=
            "  linked \(report.linked), relinked \(report.relinked), created \(report.createdLeft) in \(spec.left.platform) and \(report.createdRight) in \(spec.right.platform)\n"
        text +=
            "  updated \(report.updatedLeft) in \(spec.left.platform) and \(report.updatedRight) in \(spec.right.platform); own writes read back and not propagated: \(report.echoSuppressed) fields\n"
        text += "  conflicts settled by policy \(report.settled), parked \(report.parked); identity conflicts \(report.identityConflicts)\n"
        if report.rejected > 0 { text += "  \(report.rejected) writes rejected: see 'mapc identities \(spec.name) ID'\n" }
        let open = try store.twoWayConflicts(job: spec.name, statuses: ["open"])
        if !open.isEmpty {
            text += "  \(open.count) open conflicts: see 'mapc conflicts \(spec.name)' and 'mapc identities conflicts \(spec.name)'\n"
        }
        ctx.io.out(text)
        return .ok
    }

    static func render(_ c: TwoWayConflict, _ spec: TwoWaySpec) -> String {
        var s = "#\(c.id) \(c.kind) \(c.status)"
        if c.kind == "field" {
            let leftFields = (c.payload["leftFields"]?.arrayValue ?? []).compactMap(\.stringValue).joined(separator: ", ")
            s += " link \(c.link.map(String.init) ?? "-") field \(c.field ?? "")"
            s +=
                "\n    \(spec.left.platform) \(c.payload["left"]?.stringValue ?? "") \(leftFields): \(JSONWriter.compact(c.payload["leftValue"] ?? .null))"
            s +=
                "\n    \(spec.right.platform) \(c.payload["right"]?.stringValue ?? "") \(c.field ?? ""): \(JSONWriter.compact(c.payload["rightValue"] ?? .null))"
            s += "\n    parked by: \(c.payload["reason"]?.stringValue ?? "")"
        } else {
            let records = (c.payload["records"]?.arrayValue ?? []).compactMap(\.stringValue).joined(separator: ", ")
            s += "\n    records: \(records)"
            let linked = (c.payload["linked"]?.arrayValue ?? []).compactMap(\.stringValue)
            if !linked.isEmpty { s += "\n    already linked: \(linked.joined(separator: ", "))" }
            for shared in c.payload["shared"]?.arrayValue ?? [] {
                s +=
                    "\n    \(shared["records"]?.intValue ?? 0) records share \(shared["rule"]?.stringValue ?? "") = \(shared["value"]?.stringValue ?? "")"
            }
        }
        if let r = c.resolution {
            let named = TwoWaySide(rawValue: r).map { "\(spec.endpoint($0).platform) wins" } ?? r
            s += "\n    resolution: \(named) by \(c.resolvedBy ?? "")"
        }
        return s + "\n"
    }

    static func json(_ c: TwoWayConflict) -> JSONValue {
        [
            "id": .int(c.id), "kind": .string(c.kind), "status": .string(c.status), "link": c.link.map { .int($0) } ?? .null,
            "field": c.field.map { .string($0) } ?? .null, "details": c.payload, "openedRun": c.openedRun.map { .int($0) } ?? .null,
            "openedAt": .string(c.openedAt), "resolution": c.resolution.map { .string($0) } ?? .null,
            "resolvedBy": c.resolvedBy.map { .string($0) } ?? .null,
        ]
    }

    static func json(_ l: IdentityLink) -> JSONValue {
        [
            "link": .int(l.id), "left": .string(l.leftId), "right": .string(l.rightId),
            "rightStable": l.rightStable.map { .string($0) } ?? .null, "rule": .string(l.rule),
            "run": l.run.map { .int($0) } ?? .null, "linkedAt": .string(l.linkedAt),
        ]
    }

    static func json(_ e: IdentityEvent) -> JSONValue {
        [
            "id": .int(e.id), "run": e.run.map { .int($0) } ?? .null, "type": .string(e.type), "at": .string(e.at),
            "by": .string(e.actor), "details": e.payload,
        ]
    }
}

/// `mapc identities`: a two-way job's identity map, its identity conflicts and their resolution.
enum IdentitiesCommand: Command {
    static let name = "identities"
    static let summary = "Show a two-way job's identity map; list and resolve records that would link twice"
    static let usage =
        "JOB [KEY] | conflicts JOB | resolve JOB ID (--link LEFT_ID RIGHT_ID | --ignore) [--by NAME] | unlink JOB KEY [--by NAME]"
    static let discussion = """
        'mapc identities JOB' lists the linked pairs (both platform ids, the rule that linked them, the run
        and time); with KEY (either id, the stable id or the link number) it shows that pair and its
        history: linked, relinked (a new e-mail is a new Mailchimp id), written, conflicts, unlinked.
        'conflicts' lists records that would link to more than one record (two contacts with one
        e-mail, one person under two e-mails): they are never merged silently. 'resolve' links two of
        a conflict's records (--link LEFT_ID RIGHT_ID) or ignores its records from then on (--ignore);
        'unlink' removes a pair so the next run links it again by the rules. Every action is an event.
        """
    static let options = [
        OptionSpec("link", value: "LEFT_ID", help: "With 'resolve': link this left record with the RIGHT_ID given after it."),
        OptionSpec("ignore", help: "With 'resolve': neither link nor create the conflict's records from now on."),
        OptionSpec("by", value: "NAME", help: "Who acts (default: $MAPC_ACTOR or the account running mapc)."),
        OptionSpec("limit", value: "N", help: "Most pairs listed (default 200)."),
        SyncSetup.storeOption, SyncSetup.formatOption, CommonOptions.schemas,
    ]

    static func run(_ args: Arguments, _ ctx: CommandContext) throws -> ExitCode {
        let format = try OutputFormat.parse(args)
        switch args.positional.first {
        case "conflicts":
            let setup = try TwoWaySetup.require(args, ctx, position: 1, usage: "mapc identities conflicts contacts-two-way")
            let list = try setup.store.twoWayConflicts(job: setup.spec.name).filter { $0.kind == "identity" }
            if format == .json {
                ctx.io.out(JSONWriter.pretty(.array(list.map(TwoWaySetup.json))))
            } else if list.isEmpty {
                ctx.io.out("\(setup.spec.name): no identity conflicts\n")
            } else {
                ctx.io.out(list.map { TwoWaySetup.render($0, setup.spec) }.joined())
                ctx.io.out("resolve: mapc identities resolve \(setup.spec.name) ID --link LEFT_ID RIGHT_ID | --ignore\n")
            }
            return .ok
        case "resolve":
            let usage = "mapc identities resolve contacts-two-way 3 --link 003... 5f1e... (or --ignore)"
            let setup = try TwoWaySetup.require(args, ctx, position: 1, usage: usage)
            guard args.positional.count >= 3, let id = Int(args.positional[2]) else {
                throw CLIError.usage("give the conflict's number", help: usage)
            }
            let by = CLIPrincipal.resolve(by: args.value("by"), ctx).name
            let op = TwoWayOperator(store: setup.store, spec: setup.spec)
            do {
                if let left = args.value("link") {
                    guard args.positional.count == 4 else { throw CLIError.usage("--link needs LEFT_ID RIGHT_ID", help: usage) }
                    try op.resolveIdentity(conflict: id, left: left, right: args.positional[3], by: by)
                    ctx.io.out("conflict \(id): linked \(left) with \(args.positional[3]) (by \(by))\n")
                } else if args.flag("ignore") {
                    try op.resolveIdentity(conflict: id, left: nil, right: nil, by: by)
                    ctx.io.out("conflict \(id): its records are ignored from now on (by \(by))\n")
                } else {
                    throw CLIError.usage("say --link LEFT_ID RIGHT_ID or --ignore", help: usage)
                }
            } catch let e as JobError {
                throw CLIError.failure(e.message)
            }
            return .ok
        case "unlink":
            let usage = "mapc identities unlink contacts-two-way KEY"
            let setup = try TwoWaySetup.require(args, ctx, position: 1, usage: usage)
            guard args.positional.count == 3 else { throw CLIError.usage("give the pair's id", help: usage) }
            let by = CLIPrincipal.resolve(by: args.value("by"), ctx).name
            do {
                try TwoWayOperator(store: setup.store, spec: setup.spec).unlink(args.positional[2], by: by)
            } catch let e as JobError {
                throw CLIError.failure(e.message)
            }
            ctx.io.out("unlinked \(args.positional[2]) (by \(by)); the next run links it again by the rules\n")
            return .ok
        default:
            let setup = try TwoWaySetup.require(args, ctx, position: 0, usage: "mapc identities contacts-two-way [KEY]")
            if args.positional.count >= 2 {
                let key = args.positional[1]
                guard let link = try setup.store.link(job: setup.spec.name, anyId: key) else {
                    throw CLIError.failure(
                        "\(setup.spec.name) has no pair holding '\(key)'", help: "see 'mapc identities \(setup.spec.name)'")
                }
                let history = try setup.store.identityEvents(job: setup.spec.name, link: link.id)
                if format == .json {
                    var json = TwoWaySetup.json(link).objectValue ?? []
                    json.append(("history", .array(history.map(TwoWaySetup.json))))
                    ctx.io.out(JSONWriter.pretty(.object(json)))
                } else {
                    var s = "link \(link.id): \(setup.spec.left.platform) \(link.leftId) <-> \(setup.spec.right.platform) \(link.rightId)"
                    if let stable = link.rightStable { s += " (stable id \(stable))" }
                    s += "\n  linked by \(link.rule) at \(link.linkedAt)\(link.run.map { " in run \($0)" } ?? "")\n"
                    // Both directions: what mapc last wrote to each side, and with which values.
                    for side in TwoWaySide.allCases {
                        let platform = setup.spec.endpoint(side).platform
                        let from = setup.spec.endpoint(side.other).platform
                        if let last = history.last(where: { $0.type == "written" && $0.payload["side"]?.stringValue == side.rawValue }) {
                            s += "  \(from) -> \(platform): \(JSONWriter.compact(last.payload["fields"] ?? .null)) at \(last.at)"
                            s += "\(last.run.map { " (run \($0))" } ?? "")\n"
                        } else {
                            s += "  \(from) -> \(platform): nothing written since the pair was linked\n"
                        }
                    }
                    s += "  history:\n"
                    for e in history { s += "    \(e.at)  \(e.type)  \(JSONWriter.compact(e.payload))  (\(e.actor))\n" }
                    ctx.io.out(s)
                }
                return .ok
            }
            let limit = try args.int("limit", default: 200, min: 1)
            let links = try setup.store.links(job: setup.spec.name)
            if format == .json {
                ctx.io.out(JSONWriter.pretty(.array(links.prefix(limit).map(TwoWaySetup.json))))
                return .ok
            }
            var s =
                "\(setup.spec.name): \(links.count) linked pairs (\(setup.spec.left.qualifiedName) <-> \(setup.spec.right.qualifiedName))\n"
            for l in links.prefix(limit) { s += "  #\(l.id)  \(l.leftId)  \(l.rightId)  \(l.rule)  \(l.linkedAt)\n" }
            if links.count > limit { s += "  … \(links.count - limit) more (--limit)\n" }
            ctx.io.out(s)
            return .ok
        }
    }
}

/// `mapc conflicts`: a two-way job's parked field conflicts, and choosing a side.
enum ConflictsCommand: Command {
    static let name = "conflicts"
    static let summary = "List a two-way job's parked field conflicts; resolve one by choosing a side"
    static let usage = "JOB [--all] | resolve JOB ID --take PLATFORM [--by NAME]"
    static let discussion = """
        A field changed on both sides of a linked pair is settled by the job's policy; a `review`
        policy (or last-writer-wins with changes closer together than the clock-skew tolerance)
        parks it here, with both values. 'resolve JOB ID --take salesforce' chooses that side: the
        next run writes its value to the other side. Parking and resolving are events
        ('mapc identities JOB KEY' shows them with the pair's history).
        """
    static let options = [
        OptionSpec("take", value: "PLATFORM", help: "With 'resolve': the side whose value wins (platform name, or left/right)."),
        OptionSpec("by", value: "NAME", help: "Who resolves (default: $MAPC_ACTOR or the account running mapc)."),
        OptionSpec("all", help: "Also list resolved and applied conflicts."),
        SyncSetup.storeOption, SyncSetup.formatOption, CommonOptions.schemas,
    ]

    static func run(_ args: Arguments, _ ctx: CommandContext) throws -> ExitCode {
        let format = try OutputFormat.parse(args)
        if args.positional.first == "resolve" {
            let usage = "mapc conflicts resolve contacts-two-way 7 --take salesforce"
            let setup = try TwoWaySetup.require(args, ctx, position: 1, usage: usage)
            guard args.positional.count == 3, let id = Int(args.positional[2]) else {
                throw CLIError.usage("give the conflict's number", help: usage)
            }
            guard let take = args.value("take") else { throw CLIError.usage("say which side wins with --take", help: usage) }
            let by = CLIPrincipal.resolve(by: args.value("by"), ctx).name
            do {
                try TwoWayOperator(store: setup.store, spec: setup.spec).resolve(conflict: id, take: take, by: by)
            } catch let e as JobError {
                throw CLIError.failure(e.message)
            }
            ctx.io.out("conflict \(id): \(take) wins (by \(by)); the next 'mapc sync \(setup.spec.name)' applies it\n")
            return .ok
        }
        let setup = try TwoWaySetup.require(args, ctx, position: 0, usage: "mapc conflicts contacts-two-way")
        let list = try setup.store.twoWayConflicts(job: setup.spec.name, statuses: args.flag("all") ? [] : ["open"])
            .filter { $0.kind == "field" }
        if format == .json {
            ctx.io.out(JSONWriter.pretty(.array(list.map(TwoWaySetup.json))))
        } else if list.isEmpty {
            ctx.io.out("\(setup.spec.name): no \(args.flag("all") ? "" : "open ")field conflicts\n")
        } else {
            ctx.io.out(list.map { TwoWaySetup.render($0, setup.spec) }.joined())
            ctx.io.out(
                "resolve: mapc conflicts resolve \(setup.spec.name) ID --take \(setup.spec.left.platform)|\(setup.spec.right.platform)\n")
        }
        return .ok
    }
}

/// SIGINT and SIGTERM ask a two-way run to stop: the first is remembered (the run looks for it
/// between steps and in every wait slice and ends as cancelled); a second one ends the process.
final class SignalStop: @unchecked Sendable {
    private let lock = NSLock()
    private var received: String?
    private var sources: [DispatchSourceSignal] = []

    /// Why the process was asked to stop (`interrupted by SIGINT`), or nil.
    var reason: String? { lock.withLock { received } }

    /// Starts listening for SIGINT and SIGTERM.
    static func install() -> SignalStop {
        let stop = SignalStop()
        for (number, name) in [(SIGINT, "SIGINT"), (SIGTERM, "SIGTERM")] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler {
                let again = stop.lock.withLock { () -> Bool in
                    if stop.received != nil { return true }
                    stop.received = "interrupted by \(name)"
                    return false
                }
                if again {
                    signal(number, SIG_DFL)
                    raise(number)
                }
            }
            source.resume()
            stop.sources.append(source)
        }
        return stop
    }

    /// Stops listening; the signals' default actions are back.
    func remove() {
        sources.forEach { $0.cancel() }
        for number in [SIGINT, SIGTERM] { signal(number, SIG_DFL) }
    }
}
