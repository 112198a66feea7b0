import Foundation
import HTTPServer

/// Segment HTTP Tracking API emulator: `/v1/identify|track|page|screen|group|alias|batch`.
///
/// Auth: HTTP Basic with the write key as user name (password empty) or `writeKey` in the body; a
/// missing or wrong key gets 401 (the real API's answer is unconfirmed). Size limits: 32 KB per
/// message and 500 KB per batch → 400. Messages without `userId`/`anonymousId` (or a `track` without
/// `event`) are accepted with 200 and dropped, as Segment does; they are kept as object `rejected` for
/// inspection. Messages are stored per type (`identify`, `track`, ...) and de-duplicated on
/// `messageId`. 429 replies carry `Retry-After` and `X-RateLimit-Reset` (seconds until reset).
/// The Tracking API is write-only, so sample files are not seeded.
final class SegmentEmulator: Emulator {
    let store = RecordStore(seed: RecordTables())
    let context: EmulatorContext
    let limiter: RateLimiter

    static let types: Set<String> = ["identify", "track", "page", "screen", "group", "alias"]
    static let batchable: Set<String> = ["identify", "track", "page", "screen", "group"]

    init(_ context: EmulatorContext, limiter: RateLimiter) {
        self.context = context
        self.limiter = limiter
    }

    func register(on router: inout Router) {
        router.add("POST", "/v1/batch") { [self] request in batch(request) }
        router.add("POST", "/v1/import") { [self] request in batch(request) }
        router.add("POST", "/v1/:type") { [self] request in single(request) }
        router.fallback { _ in .json(["success": false, "message": "not found"], status: 404) }
    }

    func refuseUnauthenticated(_ request: Request) -> Response? {
        if let credentials = request.basicCredentials, credentials.user == context.credential {
            return nil
        }
        if request.basicCredentials == nil, request.jsonBody?["writeKey"]?.stringValue == context.credential {
            return nil
        }
        return .json(["success": false, "message": "Invalid write key"], status: 401)
    }

    func rateLimited(_ refusal: LimitRefusal?) -> Response {
        var seconds = 1.0
        switch refusal {
        case .window(_, let wait), .daily(_, let wait): seconds = wait
        case .concurrency, nil: break
        }
        let whole = String(Int(seconds.rounded(.up)))
        return Response.json(["success": false, "message": "Too Many Requests"], status: 429)
            .withHeader("Retry-After", whole)
            .withHeader("X-RateLimit-Reset", whole)
    }

    func serverError(status: Int) -> Response {
        .json(["success": false, "message": "internal server error"], status: status)
    }

    func payloadTooLarge(limit: Int, size: Int) -> Response {
        .json(["success": false, "message": .string("Request entity too large: \(size) bytes exceeds \(limit) bytes")], status: 400)
    }

    /// `POST /v1/{type}`: one message.
    private func single(_ request: Request) -> Response {
        let type = request.parameter("type") ?? ""
        guard Self.types.contains(type) else {
            return .json(["success": false, "message": "not found"], status: 404)
        }
        guard var message = request.jsonBody?.objectValue else {
            return .json(["success": false, "message": "Invalid JSON"], status: 400)
        }
        let cap = limiter.endpoint(method: "POST", path: request.path)?.recordBytes ?? 32 * 1024
        if request.body.count > cap {
            return payloadTooLarge(limit: cap, size: request.body.count)
        }
        message["type"] = .string(type)
        message["writeKey"] = nil
        accept([message])
        return .json(["success": true])
    }

    /// `POST /v1/batch`: `{batch:[...], context?, integrations?}`; top-level context and integrations
    /// are merged into each message; events past the batch-size cap are dropped.
    private func batch(_ request: Request) -> Response {
        guard let body = request.jsonBody?.objectValue, let items = body["batch"]?.arrayValue else {
            return .json(["success": false, "message": "Invalid JSON: expected {\"batch\": [...]}"], status: 400)
        }
        let limit = limiter.endpoint(method: "POST", path: request.path)
        let perMessage = limit?.recordBytes ?? 32 * 1024
        for item in items where item.serialized().count > perMessage {
            return payloadTooLarge(limit: perMessage, size: item.serialized().count)
        }
        var messages: [[String: JSONValue]] = []
        for item in items.prefix(limit?.batchSize ?? 2500) {
            guard var message = item.objectValue else { continue }
            for key in ["context", "integrations"] where message[key] == nil {
                if let shared = body[key] { message[key] = shared }
            }
            messages.append(message)
        }
        accept(messages)
        return .json(["success": true])
    }

    /// Stores valid messages (once per `messageId`) and records the rest as `rejected`.
    private func accept(_ messages: [[String: JSONValue]]) {
        let now = context.clock()
        store.transaction { tables in
            for var message in messages {
                let type = message["type"]?.stringValue ?? ""
                let reason: String?
                if !Self.types.contains(type) {
                    reason = "invalid_type"
                } else if message["userId"]?.textValue == nil && message["anonymousId"]?.textValue == nil {
                    reason = "no_user_anon_id"
                } else if type == "track" && (message["event"]?.textValue ?? "").isEmpty {
                    reason = "missing_event"
                } else {
                    reason = nil
                }
                let sequence = tables.nextSequence()
                let messageID = message["messageId"]?.textValue ?? "sandbox-\(sequence)"
                message["messageId"] = .string(messageID)
                message["receivedAt"] = .string(Timestamps.iso(now))
                if let reason {
                    message["reason"] = .string(reason)
                    tables.insert(id: messageID, fields: message, createdAt: now, updatedAt: now, into: "rejected")
                    continue
                }
                let seen = Self.types.contains { tables.record($0, id: messageID) != nil }
                if !seen {
                    tables.insert(id: messageID, fields: message, createdAt: now, updatedAt: now, into: type)
                }
            }
        }
    }
}
