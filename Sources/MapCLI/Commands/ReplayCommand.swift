import Foundation
import MapDSL
import SyncEngine
import Webhooks

/// `mapc replay EVENT`: reprocesses one stored webhook.
enum ReplayCommand: Command {
    static let name = "replay"
    static let summary = "Reprocess one stored webhook (ID from 'mapc inbox'; qID re-parses a quarantined delivery)"
    static let usage = "EVENT [--queue-only] [--jobs DIR] [--store PATH] [--format text|json]"
    static let discussion = """
        EVENT is an inbox id: its change event is matched against the job files' triggers and echo
        suppression again, and the jobs it triggers run now as incremental syncs (or, with
        --queue-only, are queued for 'mapc serve'). qID takes a quarantined delivery whose sender was
        verified when it arrived, parses it again with the current code and settings, and stores its
        events in the inbox; unverified deliveries are never replayed.
        """
    static let options = [
        OptionSpec("queue-only", help: "Queue the triggered syncs for 'mapc serve' instead of running them here."),
        OptionSpec("jobs", value: "DIR", help: "Job files with trigger rules (default: jobs/ in the project)."),
        SyncSetup.storeOption, SyncSetup.formatOption, CommonOptions.schemas,
    ]

    static func run(_ args: Arguments, _ ctx: CommandContext) throws -> ExitCode {
        guard args.positional.count == 1 else { throw CLIError.usage("give exactly one inbox id", help: "mapc replay 42") }
        let format = try OutputFormat.parse(args)
        let text = args.positional[0]
        let wiring = try WebhookWiring(args, ctx)
        do {
            if text.hasPrefix("q"), let id = Int(text.dropFirst()) {
                return try replayQuarantined(id, wiring, format, ctx)
            }
            guard let id = Int(text) else { throw CLIError.usage("'\(text)' is not an inbox id (a number, or q<number>)") }
            guard let entry = try wiring.inbox.entry(id) else {
                throw CLIError.failure("no inbox event \(id)", help: "list them with 'mapc inbox'")
            }
            try wiring.inbox.requeue(id)
            let decision = try wiring.processor.decide(entry.event)
            try wiring.inbox.complete(id, decision: decision)
            var ran: [String] = []
            if !args.flag("queue-only"), !decision.jobs.isEmpty {
                ran = try wiring.scheduler(concurrency: 1).runPending(jobs: Set(decision.jobs))
            }
            guard let after = try wiring.inbox.entry(id) else { throw CLIError.operational("inbox event \(id) vanished") }
            if format == .json {
                ctx.io.out(JSONWriter.pretty(.object([("event", after.json), ("ran", .array(ran.map(JSONValue.string)))])))
            } else {
                ctx.io.out("\(id) \(InboxCommand.render(after))\n")
                if !decision.jobs.isEmpty {
                    let queued = Set(decision.jobs).subtracting(ran).sorted()
                    if !ran.isEmpty { ctx.io.out("ran: \(ran.joined(separator: ", "))\n") }
                    if !queued.isEmpty { ctx.io.out("queued for 'mapc serve': \(queued.joined(separator: ", "))\n") }
                }
                let failed = try wiring.inbox.jobRequests().filter { ran.contains($0.job) && $0.lastError != nil }
                for r in failed { ctx.io.out("sync \(r.job) failed and stays queued: \(r.lastError ?? "")\n") }
                if !failed.isEmpty { return .failure }
            }
            return .ok
        } catch let e as StoreError {
            throw CLIError.operational(e.description)
        }
    }

    private static func replayQuarantined(_ id: Int, _ wiring: WebhookWiring, _ format: OutputFormat, _ ctx: CommandContext) throws
        -> ExitCode
    {
        guard let q = try wiring.inbox.quarantinedDelivery(id) else {
            throw CLIError.failure("no quarantined delivery q\(id)", help: "list them with 'mapc inbox --status quarantined'")
        }
        guard q.state == "quarantined" else { throw CLIError.failure("q\(id) was already released into the inbox") }
        guard q.authenticated, !q.truncated else {
            throw CLIError.failure(
                "q\(id) was refused before its sender was verified (\(q.reason)); it cannot be replayed",
                help: "ask the platform to resend it once the settings are right")
        }
        guard let receiver = wiring.settings.receivers.first(where: { $0.platform == q.platform && $0.source == q.source }) else {
            throw CLIError.usage("no webhook settings for \(q.platform)/\(q.source); see docs/webhooks.md")
        }
        let delivery = WebhookDelivery(
            method: "POST", url: "", headers: q.contentType.map { [(name: "content-type", value: $0)] } ?? [], body: q.body)
        switch receiver.parse(delivery, now: Date()) {
        case .accepted(let events, _):
            let result = try wiring.inbox.release(quarantined: id, events: events)
            if format == .json {
                ctx.io.out(
                    JSONWriter.pretty(
                        .object([
                            ("released", .string("q\(id)")), ("inserted", .array(result.inserted.map(JSONValue.int))),
                            ("duplicates", .int(result.duplicates)),
                        ])))
            } else {
                ctx.io.out(
                    "q\(id): stored \(result.inserted.count) event(s) \(result.inserted.map(String.init).joined(separator: ", "))"
                        + (result.duplicates > 0 ? ", \(result.duplicates) already stored" : "")
                        + "; 'mapc serve' processes them (or 'mapc replay ID')\n")
            }
            return .ok
        case .answer:
            throw CLIError.failure("q\(id) holds no events")
        case .refused(_, let reason, _):
            throw CLIError.failure("q\(id) still cannot be parsed: \(reason)")
        }
    }
}
