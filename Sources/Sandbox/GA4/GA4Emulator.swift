import Foundation
import HTTPServer

/// GA4 Measurement Protocol emulator: `/mp/collect` and `/debug/mp/collect`.
///
/// `/mp/collect` always answers 204, like GA4: events are recorded (object `event`, one record per
/// event) only when `api_secret` matches the credential, a `measurement_id` or `firebase_app_id` is
/// given and the payload passes validation; otherwise they silently vanish. `/debug/mp/collect`
/// answers 200 with `validationMessages` and records nothing. Bodies over the payload limit (130 kB)
/// get 413.
final class GA4Emulator: Emulator {
    let store = RecordStore(seed: RecordTables())
    let context: EmulatorContext
    let limiter: RateLimiter

    init(_ context: EmulatorContext, limiter: RateLimiter) {
        self.context = context
        self.limiter = limiter
    }

    func register(on router: inout Router) {
        router.add("POST", "/mp/collect") { [self] request in collect(request) }
        router.add("POST", "/debug/mp/collect") { [self] request in
            .json(["validationMessages": .array(GA4Validator.validate(request.jsonBody, maxEvents: maxEvents(request)))])
        }
        router.fallback { _ in .text("Not Found", status: 404) }
    }

    /// GA4 never refuses a collect request: a bad `api_secret` only means the events are dropped.
    func refuseUnauthenticated(_ request: Request) -> Response? {
        nil
    }

    func rateLimited(_ refusal: LimitRefusal?) -> Response {
        googleError(429, "RESOURCE_EXHAUSTED", "Quota exceeded.").withHeader("Retry-After", "1")
    }

    func serverError(status: Int) -> Response {
        googleError(status, status == 503 ? "UNAVAILABLE" : "INTERNAL", "The service is currently unavailable.")
    }

    func payloadTooLarge(limit: Int, size: Int) -> Response {
        googleError(413, "INVALID_ARGUMENT", "Request payload size exceeds the limit: \(limit) bytes.")
    }

    /// Google documents no compressed Measurement Protocol bodies, so every `Content-Encoding` is refused.
    func bodyRefused(_ refusal: ContentCoding.Refusal) -> Response {
        googleError(refusal.status, "INVALID_ARGUMENT", refusal.message)
    }

    func methodNotAllowed(_ request: Request, allowed: String) -> Response {
        googleError(405, "INVALID_ARGUMENT", "The Measurement Protocol accepts only \(allowed) on \(request.path).")
    }

    private func googleError(_ status: Int, _ code: String, _ message: String) -> Response {
        .json(["error": ["code": .int(status), "message": .string(message), "status": .string(code)]], status: status)
    }

    private func maxEvents(_ request: Request) -> Int {
        limiter.endpoint(method: "POST", path: request.path)?.batchSize ?? 25
    }

    private func collect(_ request: Request) -> Response {
        let stream = request.query("measurement_id") ?? request.query("firebase_app_id")
        guard request.query("api_secret") == context.credential, let stream, let body = request.jsonBody,
            GA4Validator.validate(body, maxEvents: maxEvents(request)).isEmpty
        else { return .empty(status: 204) }
        let now = context.clock()
        store.transaction { tables in
            for event in body["events"]?.arrayValue ?? [] {
                let fields: [String: JSONValue] = [
                    "name": event["name"] ?? .null, "params": event["params"] ?? [:],
                    "client_id": body["client_id"] ?? body["app_instance_id"] ?? .null,
                    "user_id": body["user_id"] ?? .null,
                    "timestamp_micros": event["timestamp_micros"] ?? body["timestamp_micros"] ?? .null,
                    "user_properties": body["user_properties"] ?? [:], "measurement_id": .string(stream),
                ]
                let id = "event-\(tables.nextSequence())"
                tables.insert(id: id, fields: fields, createdAt: now, updatedAt: now, into: "event")
            }
        }
        return .empty(status: 204)
    }
}
