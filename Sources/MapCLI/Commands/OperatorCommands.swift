import Foundation
import MapDSL
import Observe
import SyncEngine

/// `mapc status [JOB]`.
enum StatusCommand: Command {
    static let name = "status"
    static let summary = "Show every job's latest run: state, progress, rate"
    static let usage = "[JOB] [--store PATH] [--format text|json]"
    static let discussion = ""
    static let options = [SyncSetup.storeOption, SyncSetup.formatOption, CommonOptions.schemas]

    static func run(_ args: Arguments, _ ctx: CommandContext) throws -> ExitCode {
        let format = try OutputFormat.parse(args)
        let project = try Project.locate(args, ctx)
        let path = SyncSetup.storePath(args, ctx, project: project).path
        if !PostgresURL.isPostgres(path) && !FileManager.default.fileExists(atPath: path) {
            // Nothing to show, and nothing to create: the first `mapc sync` makes the store.
            ctx.io.out(format == .json ? JSONWriter.pretty(.array([])) : "no sync has run yet (no event store at \(path))\n")
            return .ok
        }
        let store = try SyncSetup.openStore(args, ctx, project: project)
        var runs = try store.latestRuns()
        if let job = args.positional.first {
            runs = runs.filter { $0.job == job }
            if runs.isEmpty { throw CLIError.usage("job '\(job)' has no runs in \(store.path)") }
        }
        let rows = try runs.map { r in (r, try store.statusCounts(job: r.job, run: r.id)) }
        // A two-way run writes both ways: what it wrote per side, from its identity events.
        let twoWay = try runs.map { r in r.info["kind"]?.stringValue == "two-way" ? try store.twoWayWrites(job: r.job, run: r.id) : nil }
        // Health (wedged, unusual against the job's history, paused, failed) from the Observe library.
        let observatory = Observatory(store: store, root: project.root)
        let health = try Dictionary(runs.map { ($0.job, try observatory.snapshot(job: $0.job, checkMapping: false).health) }) { a, _ in a }
        // Progress against the total the source counted, with an ETA for a run that is going.
        let now = Dates.formatDateTime(Int64((Date().timeIntervalSince1970 * 1000).rounded(.down)))
        let estimates = try rows.map { r, c in
            RunEstimate.of(r, done: c.values.reduce(0, +), total: try store.sourceTotal(run: r.id), now: now)
        }
        // What a run waits for (a rate limit, a backoff, a quota its job resumes after), from its events.
        let clock = Date()
        let waits = try runs.map { r in
            try RunWait.current(store: store, run: r, job: try? JobSpec.load(path: project.root + "/jobs/\(r.job).json"), now: clock)
        }
        if format == .json {
            let items: [JSONValue] = zip(zip(zip(rows, estimates), waits), twoWay).map { triple, writes in
                let ((row, estimate), wait) = triple
                var o = SyncRender.json(row.0, counts: row.1).objectValue ?? []
                if let writes {
                    o.append(
                        (
                            "written",
                            .object([
                                (row.0.info["left"]?.stringValue ?? "left", .int(writes.left)),
                                (row.0.info["right"]?.stringValue ?? "right", .int(writes.right)), ("rejected", .int(writes.rejected)),
                            ])
                        ))
                }
                o.append(("health", .string(health[row.0.job] ?? "ok")))
                o.append(("done", .int(estimate.done)))
                o.append(("total", estimate.total.map(JSONValue.int) ?? .null))
                o.append(("etaSeconds", estimate.etaSeconds.map { .int(Int($0.rounded(.up))) } ?? .null))
                o.append(
                    (
                        "waiting",
                        wait.map { w in
                            .object([
                                ("for", .string(w.what)),
                                ("until", .string(Dates.formatDateTime(Int64(w.until.timeIntervalSince1970 * 1000)))),
                                ("autoResume", .bool(w.autoResume)), ("text", .string(w.text(now: clock))),
                            ])
                        } ?? .null
                    ))
                return .object(o)
            }
            ctx.io.out(JSONWriter.pretty(.array(items)))
            return .ok
        }
        if rows.isEmpty {
            ctx.io.out("no sync has run yet (store: \(store.path))\n")
            return .ok
        }
        var table = [
            ["JOB", "RUN", "STATE", "HEALTH", "PROGRESS", "ETA", "SENT", "REJECTED", "SKIPPED", "UNCHANGED", "LAST EVENT"]
        ]
        // A paused or failed run's reason is printed in full below the table, never cut in a cell.
        var reasons: [String] = []
        for ((((r, c), estimate), wait), writes) in zip(zip(zip(rows, estimates), waits), twoWay) {
            var sent = String((c["created"] ?? 0) + (c["updated"] ?? 0) + (c["duplicate"] ?? 0))
            var rejected = String(c["rejected"] ?? 0)
            if let writes {
                // `salesforce 10, mailchimp 12`: records written to each side.
                let platform = { (side: String) in r.info[side]?.stringValue?.split(separator: ".").first.map(String.init) ?? side }
                sent = "\(platform("left")) \(writes.left), \(platform("right")) \(writes.right)"
                rejected = String(writes.rejected)
            }
            var state = r.state.reason == nil ? r.state.description : r.state.phase.rawValue
            if r.state.reason != nil { reasons.append("\(r.job) run \(r.id) \(r.state.description)") }
            if let wait {
                if !wait.autoResume { state = "waiting" }
                reasons.append("\(r.job) run \(r.id) \(wait.text(now: clock))")
            }
            table.append([
                r.job, String(r.id), state, health[r.job] ?? "ok", estimate.position, estimate.eta, sent,
                rejected, String(c["skipped"] ?? 0), String(c["unchanged"] ?? 0), r.lastEventAt,
            ])
        }
        ctx.io.out(TextTable.render(table))
        if !reasons.isEmpty { ctx.io.out("\n" + reasons.map { $0 + "\n" }.joined()) }
        return .ok
    }
}

/// `mapc events JOB`.
enum EventsCommand: Command {
    static let name = "events"
    static let summary = "Show a job's timeline: every state change, page, batch, retry and operator action"
    static let usage = "JOB [--run N] [--store PATH] [--format text|json]"
    static let discussion = ""
    static let options = [
        OptionSpec("run", value: "N", help: "Show run N instead of the latest."), SyncSetup.storeOption, SyncSetup.formatOption,
        CommonOptions.schemas,
    ]

    static func run(_ args: Arguments, _ ctx: CommandContext) throws -> ExitCode {
        guard let job = args.positional.first, args.positional.count == 1 else { throw CLIError.usage("give exactly one job") }
        let format = try OutputFormat.parse(args)
        let store = try SyncSetup.openStore(args, ctx, project: try Project.locate(args, ctx))
        let runId: Int
        if let n = args.value("run") {
            guard let i = Int(n), let r = try store.run(i), r.job == job else { throw CLIError.usage("job \(job) has no run \(n)") }
            runId = r.id
        } else {
            guard let r = try store.latestRun(job: job) else { throw CLIError.usage("job '\(job)' has no runs") }
            runId = r.id
        }
        let events = try store.events(run: runId)
        if format == .json {
            ctx.io.out(
                JSONWriter.pretty(
                    .array(
                        events.map {
                            .object([("seq", .int($0.seq)), ("type", .string($0.type)), ("at", .string($0.at)), ("payload", $0.payload)])
                        })))
            return .ok
        }
        ctx.io.out("\(job) run \(runId)\n")
        for e in events { ctx.io.out("  \(e.at)  #\(e.seq)  \(Timeline.describe(e))\n") }
        return .ok
    }
}

/// Human lines for events.
enum Timeline {
    static func describe(_ e: StoredEvent) -> String {
        let p = e.payload
        switch e.type {
        case "run_started":
            return
                "started \(p["kind"]?.stringValue ?? "sync") of \(p["source"]?.stringValue ?? "?") -> \(p["destination"]?.stringValue ?? "?") with mapping \(p["mapping"]?.stringValue ?? "?") (version \(p["mappingVersion"]?.stringValue?.prefix(12) ?? "?")) by \(EventDescriber.who(p) ?? "?")"
        case "state":
            let to = p["to"]?.stringValue ?? "?"
            var s = "\(p["from"]?.stringValue ?? "?") -> \(to)"
            if to == "uploading" {
                s += " batch \(p["batch"]?.intValue ?? 0)"
            } else if ["fetching", "mapping", "validating"].contains(to) {
                s += " page \(p["page"]?.intValue ?? 0)"
            }
            if let r = p["reason"]?.stringValue { s += ": \(r)" }
            return s
        case "page_fetched":
            return
                "page \(p["page"]?.intValue ?? 0): \(p["records"]?.intValue ?? 0) records, \(p["toSend"]?.intValue ?? 0) to send, \(p["skipped"]?.intValue ?? 0) skipped, \(p["rejected"]?.intValue ?? 0) rejected, \(p["unchanged"]?.intValue ?? 0) unchanged"
        case "batch_sending":
            let records = p["count"]?.intValue ?? p["records"]?.arrayValue?.count ?? 0
            return "sending batch \(p["batch"]?.intValue ?? 0) (\(records) records)"
        case "batch_acked":
            return
                "batch \(p["batch"]?.intValue ?? 0) acknowledged: \(p["created"]?.intValue ?? 0) created, \(p["updated"]?.intValue ?? 0) updated, \(p["duplicate"]?.intValue ?? 0) duplicate, \(p["rejected"]?.intValue ?? 0) rejected"
        case "checkpoint":
            var s = "checkpoint after page \(p["page"]?.intValue ?? 0)" + (p["done"]?.boolValue == true ? " (last page)" : "")
            if let mark = p["mark"]?["modified"]?.stringValue { s += "; high-water mark \(mark) (\(p["mark"]?["id"]?.stringValue ?? ""))" }
            return s
        case "read_plan":
            if p["read"]?.stringValue == "incremental" {
                return
                    "reading records modified since \(p["modifiedSince"]?.stringValue ?? "?") (the mark less \(p["overlapSeconds"]?.intValue ?? 0) s)"
            }
            return "reading every record: \(p["reason"]?.stringValue ?? "")"
        case "record_retry":
            return
                "sending \(p["records"]?.intValue ?? 0) records of batch \(p["batch"]?.intValue ?? 0) again in \(p["wait"]?.doubleValue ?? 0)s (attempt \(p["attempt"]?.intValue ?? 0); \((p["codes"]?.arrayValue ?? []).compactMap(\.stringValue).joined(separator: ", ")))"
        case "run_abandoned":
            return
                "closed: \(p["why"]?.stringValue ?? "its process was gone"); \(p["reconciled"]?.intValue ?? 0) unanswered batches sent again"
        case "retry":
            return
                "attempt \(p["attempt"]?.intValue ?? 0) failed while \(p["while"]?.stringValue ?? "?"): \(p["message"]?.stringValue ?? "")"
        case "rate_limited":
            return
                "rate limited while \(p["while"]?.stringValue ?? "?"): waiting \(p["wait"]?.doubleValue ?? 0)s (\(p["message"]?.stringValue ?? ""))"
        case "reconcile": return "re-sending batch \(p["batch"]?.intValue ?? 0) that was sent but not acknowledged"
        case "resumed": return "resumed by \(EventDescriber.who(p) ?? "?")"
        case "auto_resume", "waiting", "quota_exhausted": return EventDescriber.describe(e)
        case "record_fixed":
            return
                "\(EventDescriber.who(p) ?? "?") fixed \(p["field"]?.stringValue ?? "?") of record \(p["key"]?.stringValue ?? "?") to \(JSONWriter.compact(p["value"] ?? .null))"
        case "cancel_requested": return "cancel requested by \(EventDescriber.who(p) ?? "?")"
        case "run_completed": return "completed: \(JSONWriter.compact(p["counts"] ?? .null))"
        default: return "\(e.type) \(JSONWriter.compact(p))"
        }
    }
}

/// `mapc why JOB KEY`.
enum WhyCommand: Command {
    static let name = "why"
    static let summary = "Explain one record: a timeline of values fetched, mapped and sent (diffed), refusals, fixes and retries"
    static let usage = "JOB KEY [--store PATH] [--format text|json]"
    static let discussion = """
        KEY is the source record id or the destination key value. Prints the record's history run by
        run: the values fetched (all of them the first time, then what changed in the source), the
        values mapped and sent (diffed against the last values mapped), refusals with their code,
        field and reason (mapc's own checks and the platform's, told apart), fixes with their author
        and the run that applied them, and retries. --format json prints the raw events.
        """
    static let options = [SyncSetup.storeOption, SyncSetup.formatOption, CommonOptions.schemas]

    static func run(_ args: Arguments, _ ctx: CommandContext) throws -> ExitCode {
        guard args.positional.count == 2 else {
            throw CLIError.usage("give a job and a record key", help: "mapc why contacts-to-leads 5101")
        }
        // A two-way job: the pair and its history, both directions (see 'mapc identities').
        if try TwoWaySetup.load(args, ctx) != nil { return try IdentitiesCommand.run(args, ctx) }
        let (job, key) = (args.positional[0], args.positional[1])
        let format = try OutputFormat.parse(args)
        let store = try SyncSetup.openStore(args, ctx, project: try Project.locate(args, ctx))
        guard let record = try store.record(job: job, anyKey: key) else {
            throw CLIError.failure("job \(job) has no record '\(key)'", help: "keys are source record ids or destination key values")
        }
        let events = try store.recordEvents(job: job, key: record.key)
        if format == .json {
            ctx.io.out(
                JSONWriter.pretty(
                    .object([
                        ("key", .string(record.key)), ("destinationKey", record.destinationKey.map(JSONValue.string) ?? .null),
                        ("status", .string(record.status)), ("destinationId", record.destinationId.map(JSONValue.string) ?? .null),
                        ("mappingVersion", record.mappingVersion.map(JSONValue.string) ?? .null),
                        (
                            "events",
                            .array(
                                events.map {
                                    .object([
                                        ("run", .int($0.run)), ("kind", .string($0.kind)), ("at", .string($0.at)), ("payload", $0.payload),
                                    ])
                                })
                        ),
                    ])))
            return .ok
        }
        // A readable timeline; the raw events are --format json.
        var platforms: [Int: String] = [:]
        for run in Set(events.map(\.run)) {
            let destination = try store.run(run)?.info["destination"]?.stringValue
            platforms[run] = destination.map { String($0.split(separator: ".").first ?? Substring($0)) }
        }
        let out = RecordTimeline.render(record: record, events: events) { platforms[$0] ?? nil }
        ctx.io.out(out)
        return .ok
    }
}

/// `mapc failed JOB`.
enum FailedCommand: Command {
    static let name = "failed"
    static let summary = "List a job's rejected records with the platform's reasons"
    static let usage = "JOB [--store PATH] [--format text|json]"
    static let discussion = "Fix a record with 'mapc fix JOB KEY FIELD=VALUE' and send it again with 'mapc retry JOB'."
    static let options = [SyncSetup.storeOption, SyncSetup.formatOption, CommonOptions.schemas]

    static func run(_ args: Arguments, _ ctx: CommandContext) throws -> ExitCode {
        guard let job = args.positional.first, args.positional.count == 1 else { throw CLIError.usage("give exactly one job") }
        let format = try OutputFormat.parse(args)
        let store = try SyncSetup.openStore(args, ctx, project: try Project.locate(args, ctx))
        let failed = try store.records(job: job, status: "rejected")
        let fixes = try store.fixes(job: job)
        func fixList(_ key: String) -> [(String, JSONValue)] { (fixes[key] ?? []).map { ($0.field, $0.value) } }
        if format == .json {
            ctx.io.out(
                JSONWriter.pretty(
                    .array(
                        failed.map { r in
                            .object([
                                ("key", .string(r.key)), ("destinationKey", r.destinationKey.map(JSONValue.string) ?? .null),
                                ("code", r.errorCode.map(JSONValue.string) ?? .null), ("field", r.field.map(JSONValue.string) ?? .null),
                                ("message", r.error.map(JSONValue.string) ?? .null), ("run", .int(r.run)),
                                ("fixes", .object(fixList(r.key))),
                            ])
                        })))
            return .ok
        }
        if failed.isEmpty {
            ctx.io.out("job \(job) has no rejected records\n")
            return .ok
        }
        var table = [["KEY", "CODE", "FIELD", "REASON", "FIXES"]]
        for r in failed {
            let text = fixList(r.key).map { "\($0.0)=\(JSONWriter.compact($0.1))" }.joined(separator: " ")
            table.append([r.key, r.errorCode ?? "", r.field ?? "", r.error ?? "", text])
        }
        ctx.io.out(TextTable.render(table))
        ctx.io.out("\(failed.count) rejected; fix with 'mapc fix \(job) KEY FIELD=VALUE', then 'mapc retry \(job)'\n")
        return .ok
    }
}

/// `mapc fix JOB KEY FIELD=VALUE`.
enum FixCommand: Command {
    static let name = "fix"
    static let summary = "Correct a field of a rejected record (an event that every later run applies until it is written)"
    static let usage = "JOB KEY FIELD=VALUE... [--by NAME] [--store PATH] | JOB KEY --withdraw [FIELD...]"
    static let discussion = """
        FIELD is a source field (the record is mapped again) or a destination field (the value sent is
        overridden); it is checked against the job's schemas (did-you-mean, picklist values, type,
        length). VALUE is taken as text; write FIELD:=JSON for a number, boolean or null.
        A fix stays attached to the record: every later run that maps it (sync, retry, resume) applies
        it, a record rejected again keeps it, and the run that writes the record records that it
        applied it. It then stays in effect until the source record changes (the new source values
        win) or it is withdrawn with --withdraw. Fixes are not written back to the source.
        """
    static let options = [
        CLIPrincipal.byOption("the fix"), OptionSpec("withdraw", help: "Withdraw the record's fixes (of the FIELDs given, or all)."),
        SyncSetup.storeOption, CommonOptions.schemas,
    ]

    static func run(_ args: Arguments, _ ctx: CommandContext) throws -> ExitCode {
        let withdraw = args.flag("withdraw")
        guard args.positional.count >= (withdraw ? 2 : 3) else {
            throw CLIError.usage("give a job, a record key and FIELD=VALUE", help: "mapc fix contacts-to-leads 5149 email=maria@gmail.com")
        }
        let (job, key) = (args.positional[0], args.positional[1])
        let setup = try SyncSetup.load(job, args, ctx)
        let store = setup.store
        let jobName = setup.job.name
        let by = CLIPrincipal.resolve(by: args.value("by"), ctx)
        let at = SystemClock().timestamp()
        if withdraw {
            do {
                let fields = try Operations.withdrawFixes(
                    store: store, job: jobName, key: key, fields: Array(args.positional.dropFirst(2)), by: by, at: at)
                ctx.io.out("withdrew the fixes of \(fields.joined(separator: ", ")) of \(key) in \(jobName) (by \(by))\n")
            } catch let e as JobError {
                throw CLIError.failure(e.message)
            }
            return .ok
        }
        let schemas = setup.project.schemaProvider
        let source = try? schemas.schema(platform: setup.job.source.platform, object: setup.job.source.object)
        let destination = try? schemas.schema(platform: setup.job.destination.platform, object: setup.job.destination.object)
        // Every assignment is checked before any is recorded.
        var accepted: [(String, FixValidation.Accepted)] = []
        for assignment in args.positional.dropFirst(2) {
            let (field, value) = try parse(assignment)
            if source == nil, destination == nil {
                accepted.append((field, FixValidation.Accepted(side: nil, value: value)))
                continue
            }
            switch FixValidation.check(field: field, value: value, source: source ?? nil, destination: destination ?? nil) {
            case .success(let a): accepted.append((field, a))
            case .failure(let p): throw CLIError.failure("cannot fix \(key): " + p.message, help: p.help)
            }
        }
        for (field, a) in accepted {
            do {
                _ = try Operations.fix(store: store, job: jobName, key: key, field: field, value: a.value, side: a.side, by: by, at: at)
            } catch let e as JobError {
                throw CLIError.failure(e.message)
            }
            let side = a.side.map { " (\($0.rawValue) field)" } ?? ""
            ctx.io.out("fixed \(field)\(side) of \(key) in \(jobName) (by \(by)); 'mapc retry \(jobName)' sends it\n")
        }
        return .ok
    }

    static func parse(_ s: String) throws -> (String, JSONValue) {
        if let r = s.range(of: ":=") {
            let field = String(s[..<r.lowerBound])
            guard let v = try? JSONParser.parse(String(s[r.upperBound...])) else {
                throw CLIError.usage("'\(s)': the value after := must be JSON (a number, true, false, null or a quoted string)")
            }
            return (field, v)
        }
        guard let eq = s.firstIndex(of: "="), eq != s.startIndex else { throw CLIError.usage("'\(s)' is not FIELD=VALUE") }
        return (String(s[..<eq]), .string(String(s[s.index(after: eq)...])))
    }
}

/// `mapc cancel JOB`.
enum CancelCommand: Command {
    static let name = "cancel"
    static let summary = "Cancel a job's running or paused run (a running one stops within a second, waits included)"
    static let usage = "JOB [--by NAME] [--store PATH]"
    static let discussion = ""
    static let options = [
        CLIPrincipal.byOption("the cancellation"), SyncSetup.storeOption,
        CommonOptions.schemas,
    ]

    static func run(_ args: Arguments, _ ctx: CommandContext) throws -> ExitCode {
        guard let job = args.positional.first, args.positional.count == 1 else { throw CLIError.usage("give exactly one job") }
        let store = try SyncSetup.openStore(args, ctx, project: try Project.locate(args, ctx))
        let by = CLIPrincipal.resolve(by: args.value("by"), ctx)
        do {
            let state = try Operations.cancel(store: store, job: job, by: by, at: SystemClock().timestamp())
            if state.phase == .cancelled {
                ctx.io.out("cancelled \(job): \(state.reason ?? "")\n")
            } else {
                ctx.io.out("asked the running sync of \(job) to stop (it is \(state)); see 'mapc status \(job)'\n")
            }
        } catch let e as JobError {
            throw CLIError.failure(e.message)
        }
        return .ok
    }
}

/// Plain aligned text tables.
enum TextTable {
    static func render(_ rows: [[String]]) -> String {
        guard let first = rows.first else { return "" }
        var widths = [Int](repeating: 0, count: first.count)
        for r in rows { for (i, c) in r.enumerated() where i < widths.count { widths[i] = min(60, max(widths[i], c.count)) } }
        return rows.map { r in
            r.enumerated().map { i, c in
                let cell = c.count > 60 ? String(c.prefix(59)) + "…" : c
                return i == r.count - 1 ? cell : cell + String(repeating: " ", count: widths[i] - cell.count)
            }.joined(separator: "  ")
        }.joined(separator: "\n") + "\n"
    }
}
