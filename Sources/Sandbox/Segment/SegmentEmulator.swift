import Foundation
import HTTPServer

/// Segment HTTP Tracking API emulator: `/v1/identify|track|page|screen|group|alias|batch`.
///
/// Auth: HTTP Basic with the write key as user name (password empty) or `writeKey` in the body; a
/// missing or wrong key gets 401 (the real API's answer is unconfirmed). Size limits: 32 KB per
/// message and 500 KB per batch → 400, counted on the inflated body when it came gzip-compressed.
/// Errors are `{success: false, code, message}`. Messages without `userId`/`anonymousId` (or a `track` without
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
        router.fallback { [self] _ in failure(404, "not_found", "not found") }
    }

    /// An error reply: `{success: false, code, message}` (the official library reads `code` and `message`).
    func failure(_ status: Int, _ code: String, _ message: String) -> Response {
        .json(["success": false, "code": .string(code), "message": .string(message)], status: status)
    }

    /// Segment's own libraries send gzip batches (analytics-python's `gzip=True`, run against the live API
    /// in that library's tests).
    var requestCodings: Set<ContentCoding> { [.gzip] }

    func bodyRefused(_ refusal: ContentCoding.Refusal) -> Response {
        switch refusal {
        case .unsupported: failure(415, "unsupported_encoding", refusal.message)
        case .corrupt: failure(400, "invalid_request", refusal.message)
        case .tooLarge: failure(413, "payload_too_large", refusal.message)
        }
    }

    func methodNotAllowed(_ request: Request, allowed: String) -> Response {
        failure(405, "method_not_allowed", "\(request.method) is not allowed on \(request.path); use \(allowed)")
    }

    func refuseUnauthenticated(_ request: Request) -> Response? {
        if let credentials = request.basicCredentials, credentials.user == context.credential {
            return nil
        }
        if request.basicCredentials == nil, request.jsonBody?["writeKey"]?.stringValue == context.credential {
            return nil
        }
        return failure(401, "unauthorized", "Invalid write key")
    }

    func rateLimited(_ refusal: LimitRefusal?) -> Response {
        var seconds = 1.0
        switch refusal {
        case .window(_, let wait), .daily(_, let wait): seconds = wait
        case .concurrency, nil: break
        }
        let whole = String(Int(seconds.rounded(.up)))
        return failure(429, "too_many_requests", "Too Many Requests")
            .withHeader("Retry-After", whole)
            .withHeader("X-RateLimit-Reset", whole)
    }

    func serverError(status: Int) -> Response {
        failure(status, "internal_error", "internal server error")
    }

    func payloadTooLarge(limit: Int, size: Int) -> Response {
        failure(400, "payload_too_large", "Request entity too large: \(size) bytes exceeds \(limit) bytes")
    }

    /// `POST /v1/{type}`: one message.
    private func single(_ request: Request) -> Response {
        let type = request.parameter("type") ?? ""
        guard Self.types.contains(type) else {
            return failure(404, "not_found", "not found")
        }
        guard var message = request.jsonBody?.objectValue else {
            return failure(400, "invalid_request", "Invalid JSON")
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
            return failure(400, "invalid_request", "Invalid JSON: expected {\"batch\": [...]}")
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
