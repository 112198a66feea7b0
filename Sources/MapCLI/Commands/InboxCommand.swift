import Foundation
import MapDSL
import SyncEngine

/// `mapc inbox`: lists stored webhooks — pending, processed, quarantined — with reasons.
enum InboxCommand: Command {
    static let name = "inbox"
    static let summary = "List received webhooks: pending, processed (with what they triggered) and quarantined (with why)"
    static let usage = "[--status pending|processed|quarantined] [--limit N] [--store PATH] [--format text|json]"
    static let discussion = """
        Every webhook 'mapc serve' accepted is in the inbox with its normalised change event; refused
        deliveries (bad signature, unparsable body) are kept in quarantine with the reason they were
        refused. Reprocess one with 'mapc replay ID' (or 'mapc replay qID' for a quarantined delivery).
        """
    static let options = [
        OptionSpec("status", value: "STATUS", help: "Only pending, processed or quarantined items."),
        OptionSpec("limit", value: "N", help: "Show at most N items per status (default 50)."),
        SyncSetup.storeOption, SyncSetup.formatOption, CommonOptions.schemas,
    ]

    static func run(_ args: Arguments, _ ctx: CommandContext) throws -> ExitCode {
        guard args.positional.isEmpty else { throw CLIError.usage("mapc inbox takes no arguments", help: usage) }
        let format = try OutputFormat.parse(args)
        let limit = try args.int("limit", default: 50, min: 1)
        var status: InboxStatus?
        if let s = args.value("status") {
            guard let parsed = InboxStatus(rawValue: s) else {
                throw CLIError.usage("--status is one of pending, processed, quarantined, not '\(s)'")
            }
            status = parsed
        }
        let wiring = try WebhookWiring(args, ctx, needJobs: false)
        let inbox = wiring.inbox
        do {
            let counts = try inbox.counts()
            let entries = status == .quarantined ? [] : try inbox.entries(status: status, limit: limit)
            let quarantined = status == nil || status == .quarantined ? try inbox.quarantined(limit: limit) : []
            let requests = try inbox.jobRequests()
            if format == .json {
                let json: JSONValue = .object([
                    ("counts", .object(counts.sorted { $0.key < $1.key }.map { ($0.key, .int($0.value)) })),
                    ("events", .array(entries.map(\.json))), ("quarantined", .array(quarantined.map(\.json))),
                    (
                        "queuedSyncs",
                        .array(
                            requests.map { r in
                                .object([
                                    ("job", .string(r.job)), ("events", .int(r.events)), ("attempts", .int(r.attempts)),
                                    ("lastError", r.lastError.map(JSONValue.string) ?? .null),
                                ])
                            })
                    ),
                ])
                ctx.io.out(JSONWriter.pretty(json))
                return .ok
            }
            ctx.io.out(
                "inbox: \(counts["pending"] ?? 0) pending, \(counts["processed"] ?? 0) processed, \(counts["quarantined"] ?? 0) quarantined"
                    + " (\(counts["deliveries"] ?? 0) deliveries)\n")
            for e in entries {
                ctx.io.out("\(String(e.id).padding(toLength: 6, withPad: " ", startingAt: 0)) \(render(e))\n")
            }
            for q in quarantined {
                ctx.io.out(
                    "q\(String(q.id).padding(toLength: 5, withPad: " ", startingAt: 0)) quarantined \(q.platform)/\(q.source) "
                        + "\(q.receivedAt) HTTP \(q.httpStatus)\(q.authenticated ? "" : " (unverified)"): \(q.reason)\n")
            }
            for r in requests {
                ctx.io.out(
                    "queued sync: \(r.job) (\(r.events) event(s))"
                        + (r.lastError.map { "; failed \(r.attempts) time(s), last: \($0)" } ?? "") + "\n")
            }
            return .ok
        } catch let e as StoreError {
            throw CLIError.operational(e.description)
        }
    }

    static func render(_ e: InboxEntry) -> String {
        let ev = e.event
        var s = "\(e.status.rawValue) \(ev.platform)/\(ev.source) \(ev.object) \(ev.recordId) \(ev.kind) at \(ev.occurredAt)"
        if e.deliveries > 1 { s += " (delivered \(e.deliveries)×)" }
        if let outcome = e.outcome {
            switch outcome["result"]?.stringValue ?? "" {
            case "triggered":
                s += ": triggered " + (outcome["jobs"]?.arrayValue ?? []).compactMap(\.stringValue).joined(separator: ", ")
            case "echo": s += ": echo, no sync (" + (outcome["reason"]?.stringValue ?? "") + ")"
            case "no_trigger": s += ": no trigger rule matched"
            case let other: s += ": \(other)"
            }
        }
        if e.status == .pending, let error = e.lastError { s += ": attempt \(e.attempts) failed: \(error)" }
        return s
    }
}
