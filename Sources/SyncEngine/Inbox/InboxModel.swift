import Foundation
import MapDSL

/// Where an inbox item stands.
public enum InboxStatus: String, Sendable, Hashable, CaseIterable {
    /// Stored and acknowledged, waiting for (or retrying) processing.
    case pending
    /// Matched against triggers and echo suppression; its outcome is recorded.
    case processed
    /// A delivery that was refused (bad signature, unparsable body) and kept for inspection.
    case quarantined
}

/// One stored change event and its processing state.
public struct InboxEntry: Sendable {
    /// Inbox id (what `mapc replay` takes).
    public var id: Int
    /// The normalised event.
    public var event: ChangeEvent
    /// `pending` or `processed`.
    public var status: InboxStatus
    /// When the first delivery of it arrived (UTC ISO 8601).
    public var receivedAt: String
    /// Failed processing attempts since it was stored or last replayed.
    public var attempts: Int
    /// The last processing error, if any.
    public var lastError: String?
    /// When it was processed.
    public var processedAt: String?
    /// What processing decided (`{"result": "triggered", "jobs": [...]}`, `echo`, `no_trigger`, ...).
    public var outcome: JSONValue?
    /// How many times the platform delivered it (duplicates are counted, not stored again).
    public var deliveries: Int
    /// How many times an operator replayed it.
    public var replays: Int

    /// As JSON for `mapc inbox --format json`.
    public var json: JSONValue {
        var pairs: [(String, JSONValue)] = [
            ("id", .int(id)), ("status", .string(status.rawValue)), ("platform", .string(event.platform)),
            ("source", .string(event.source)), ("object", .string(event.object)), ("recordId", .string(event.recordId)),
            ("kind", .string(event.kind)), ("eventId", .string(event.eventId)), ("occurredAt", .string(event.occurredAt)),
            ("receivedAt", .string(receivedAt)), ("attempts", .int(attempts)), ("deliveries", .int(deliveries)),
            ("replays", .int(replays)),
        ]
        if let lastError { pairs.append(("lastError", .string(lastError))) }
        if let processedAt { pairs.append(("processedAt", .string(processedAt))) }
        if let outcome { pairs.append(("outcome", outcome)) }
        pairs.append(("changes", .object(event.changes.map { ($0.field, $0.value) })))
        return .object(pairs)
    }
}

/// A refused delivery kept for inspection.
public struct QuarantinedDelivery: Sendable {
    /// Quarantine id (`mapc replay q<ID>` re-parses it).
    public var id: Int
    /// Platform of the endpoint it arrived on.
    public var platform: String
    /// Webhook source name.
    public var source: String
    /// When it arrived.
    public var receivedAt: String
    /// The status it was answered with (400, 401, 415, ...).
    public var httpStatus: Int
    /// Why it was refused.
    public var reason: String
    /// Whether its signature (or origin) was verified; unauthenticated bodies are never replayed.
    public var authenticated: Bool
    /// Its `Content-Type` header.
    public var contentType: String?
    /// The body as received (cut to 8 KiB for unauthenticated deliveries).
    public var body: Data
    /// Whether the body was cut.
    public var truncated: Bool
    /// `quarantined`, or `released` once a replay stored its events.
    public var state: String

    /// As JSON for `mapc inbox --format json` (the body as text, lossily decoded).
    public var json: JSONValue {
        .object([
            ("id", .string("q\(id)")), ("status", .string(state == "released" ? "released" : "quarantined")),
            ("platform", .string(platform)), ("source", .string(source)), ("receivedAt", .string(receivedAt)),
            ("httpStatus", .int(httpStatus)), ("reason", .string(reason)), ("authenticated", .bool(authenticated)),
            ("contentType", contentType.map(JSONValue.string) ?? .null), ("bytes", .int(body.count)),
            ("truncated", .bool(truncated)), ("body", .string(String(decoding: body.prefix(2048), as: UTF8.self))),
        ])
    }
}

/// What storing a delivery's events did.
public struct InsertResult: Sendable, Hashable {
    /// Inbox ids of newly stored events.
    public var inserted: [Int]
    /// Events already in the inbox (same platform, source and event id): counted, not stored again.
    public var duplicates: Int
}

/// What processing one event decided, stored with it in the same transaction as the job requests.
public struct InboxDecision: Sendable {
    /// Recorded as the entry's outcome.
    public var outcome: JSONValue
    /// Jobs to run (coalesced per job in the durable request queue).
    public var jobs: [String]

    /// Creates a decision.
    public init(outcome: JSONValue, jobs: [String] = []) {
        self.outcome = outcome
        self.jobs = jobs
    }
}

/// A durable request to run a job, coalescing every trigger that arrived before it ran.
public struct JobRequest: Sendable, Hashable {
    /// The job name.
    public var job: String
    /// Bumped by every new trigger; a run clears the request only if no trigger came in meanwhile.
    public var generation: Int
    /// Triggering events coalesced into this request.
    public var events: Int
    /// The latest triggering inbox id.
    public var lastEvent: Int?
    /// Failed runs since the last success.
    public var attempts: Int
    /// The last run error.
    public var lastError: String?
    /// When the first trigger of this request arrived.
    public var firstRequestedAt: String
}
