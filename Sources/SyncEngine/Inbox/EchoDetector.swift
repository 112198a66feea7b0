import Foundation
import MapDSL

/// Why an event was recognised as an echo of mapc's own write.
public struct EchoVerdict: Sendable, Hashable {
    /// The job whose write came back.
    public var job: String
    /// The job's source record key.
    public var key: String
    /// A one-line explanation for the inbox outcome.
    public var reason: String
}

/// Recognises change events caused by mapc's own writes, so they start no sync (no echo loops).
///
/// For every job whose destination is the event's platform object it finds the record mapc wrote
/// (by destination id through the record projection, else by destination or source key) and the
/// values mapc last sent for it (the latest `sent` record event that the platform did not reject —
/// an unacknowledged send counts too, because the platform may fire the webhook before mapc has
/// recorded its answer). The event is an echo when:
///
/// - it carries no values, is a creation, and mapc created that very record; or
/// - every value it carries that mapc also sent is equal as text (at least one must overlap), and
///   — for diffs such as HubSpot property changes — every changed field is one mapc sent;
/// - and it occurred within `window` seconds after that send (an older send proves nothing: the
///   field may have been changed by someone else and back since).
///
/// Snapshots (Salesforce outbound messages, Mailchimp profiles, Segment traits) carry unchanged
/// fields too; inside the window an edit to a field mapc does not write is therefore also treated
/// as an echo. That trade-off is documented in docs/webhooks.md.
public final class EchoDetector: @unchecked Sendable {
    private let store: EventStore
    private let inbox: Inbox?
    private let jobs: [JobSpec]
    /// Longest delay between mapc's send and the echo, in seconds.
    public let window: Double

    /// Creates a detector over the event store's record history of `jobs`; `inbox` (sharing the store's
    /// file) adds lookups by destination id.
    public init(store: EventStore, inbox: Inbox?, jobs: [JobSpec], window: Double = 3600, twoWay: [TwoWaySpec] = []) {
        self.store = store
        self.inbox = inbox
        self.jobs = jobs
        self.window = window
        self.twoWay = twoWay.map { TwoWayEcho(store: store, spec: $0) }
    }

    /// Two-way jobs, whose echoes are known from their write ledger (see ``TwoWayEcho``).
    private let twoWay: [TwoWayEcho]

    /// The verdict when `event` echoes a write by one of the jobs; nil when it is a genuine change.
    public func check(_ event: ChangeEvent) throws -> EchoVerdict? {
        for job in twoWay { if let verdict = try job.check(event) { return verdict } }
        for job in jobs
        where job.destination.platform == event.platform && job.destination.object.lowercased() == event.object.lowercased() {
            guard let key = try recordKey(job: job.name, event: event) else { continue }
            if let verdict = try compare(event, job: job.name, key: key) { return verdict }
        }
        return nil
    }

    private func recordKey(job: String, event: ChangeEvent) throws -> String? {
        if let key = inbox?.sourceKey(job: job, destinationId: event.recordId) { return key }
        for candidate in [event.recordId, event.eventId] where !candidate.isEmpty {
            if let record = try store.record(job: job, anyKey: candidate) { return record.key }
        }
        return nil
    }

    private func compare(_ event: ChangeEvent, job: String, key: String) throws -> EchoVerdict? {
        let history = try store.recordEvents(job: job, key: key)
        if event.changes.isEmpty {
            guard event.kind.lowercased().contains("creat") else { return nil }
            let created = history.contains {
                $0.kind == "result" && $0.payload["status"]?.stringValue == "created"
                    && $0.payload["destinationId"]?.stringValue == event.recordId
            }
            return created ? EchoVerdict(job: job, key: key, reason: "mapc created this record (job \(job), record \(key))") : nil
        }
        var lastSent: (values: [(String, JSONValue)], at: String)?
        var pending: (values: [(String, JSONValue)], at: String)?
        for e in history {
            if e.kind == "sent" {
                pending = (e.payload["values"]?.objectValue ?? [], e.at)
                lastSent = pending
            } else if e.kind == "result", pending != nil {
                if e.payload["status"]?.stringValue == "rejected" { lastSent = nil }
                pending = nil
            }
        }
        guard let lastSent else { return nil }
        if let occurred = InboxTime.date(event.occurredAt), let sent = InboxTime.date(lastSent.at) {
            let delay = occurred.timeIntervalSince(sent)
            guard delay >= -60, delay <= window else { return nil }
        }
        var sentValues: [String: String] = [:]
        for (name, value) in lastSent.values { sentValues[name.lowercased()] = Self.text(value) }
        let overlap = event.changes.filter { sentValues[$0.field.lowercased()] != nil }
        guard !overlap.isEmpty else { return nil }
        guard overlap.allSatisfy({ sentValues[$0.field.lowercased()] == Self.text($0.value) }) else { return nil }
        if !event.snapshot, overlap.count != event.changes.count { return nil }
        let fields = overlap.map(\.field).joined(separator: ", ")
        return EchoVerdict(job: job, key: key, reason: "values of \(fields) equal what job \(job) sent for record \(key) at \(lastSent.at)")
    }

    /// A value as platforms report it in webhooks: strings as is, numbers and booleans as text, null as "".
    static func text(_ value: JSONValue) -> String {
        switch value {
        case .null: return ""
        case .bool(let b): return b ? "true" : "false"
        case .int(let i): return String(i)
        case .double(let d): return d == d.rounded() && abs(d) < 1e15 ? String(Int64(d)) : String(d)
        case .string(let s): return s
        case .array, .object: return JSONWriter.compact(value)
        }
    }
}
