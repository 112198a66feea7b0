import Foundation
import HTTPServer

/// The request path shared by all emulators: faults → content coding → auth → limits → payload size →
/// routes, with logging.
struct SandboxPipeline: Sendable {
    let emulator: any Emulator
    let routes: Router
    let limiter: RateLimiter
    let faults: FaultInjector
    let log: RequestLog
    let clock: @Sendable () -> Date
    /// The most a compressed body may inflate to (``SandboxOptions/maxInflatedBodyBytes``).
    let maxInflatedBodyBytes: Int

    func handle(_ request: Request) -> Response {
        let summary = HTTPServerRequestSummary(
            method: request.method, path: request.path,
            query: request.queryItems.map { item in item.value.map { "\(item.name)=\($0)" } ?? item.name },
            bodyBytes: request.body.count)
        let arrived = clock()
        let (action, latency) = faults.decide()
        var fault: String?
        var response: Response?
        switch action {
        case .proceed:
            break
        case .drop:
            fault = "drop"
            response = .dropConnection
        case .fail(let status):
            fault = "fail"
            response = emulator.serverError(status: status)
        case .rateLimit(let retryAfter):
            fault = "rateLimitStorm"
            var refusal = emulator.rateLimited(nil)
            if retryAfter > 0 { refusal.headerFields.append((name: "Retry-After", value: String(retryAfter))) }
            response = refusal
        case .hang(let milliseconds):
            fault = "hang"
            faults.hold(milliseconds: milliseconds)
        }
        let reply: Response
        if let response {
            faults.wait(milliseconds: latency)
            reply = response
        } else {
            reply = serve(request, latency: latency)
        }
        log.append(summary, status: reply.dropsConnection ? 0 : reply.status, fault: fault, at: arrived)
        if request.method == "GET", reply.status == 200, let edit = faults.takeEditAfterRead() {
            let fields = edit.fields.mapValues { JSONValue.string($0) }
            emulator.store.transaction { $0.update(edit.object, id: edit.id, fields: fields, at: clock()) }
        }
        return reply
    }

    /// Content coding, auth, limits and routes. Added latency is spent while the request holds its
    /// concurrency slot, so a slow sandbox provokes concurrency refusals the way a slow platform does.
    private func serve(_ received: Request, latency: Int) -> Response {
        let request: Request
        switch ContentCoding.decode(received, accepting: emulator.requestCodings, limit: maxInflatedBodyBytes) {
        case .success(let decoded):
            request = decoded
        case .failure(let refusal):
            faults.wait(milliseconds: latency)
            return emulator.bodyRefused(refusal)
        }
        if let refusal = emulator.refuseUnauthenticated(request) {
            faults.wait(milliseconds: latency)
            return refusal
        }
        guard let limit = limiter.endpoint(method: request.method, path: request.path) else {
            faults.wait(milliseconds: latency)
            return route(request)
        }
        switch limiter.admit(limit) {
        case .failure(let refusal):
            faults.wait(milliseconds: latency)
            return decorate(emulator.rateLimited(refusal), refusal.usage)
        case .success(let usage):
            defer { limiter.finish(bucket: usage.bucket) }
            faults.wait(milliseconds: latency)
            if let maximum = limit.payloadBytes, request.body.count > maximum {
                return decorate(emulator.payloadTooLarge(limit: maximum, size: request.body.count), usage)
            }
            return decorate(route(request), usage)
        }
    }

    /// The routes' reply; the router's own plain-text 405 becomes the platform's error.
    private func route(_ request: Request) -> Response {
        let response = routes.handle(request)
        if response.status == 405, let allowed = response.header("Allow") {
            return emulator.methodNotAllowed(request, allowed: allowed).withHeader("Allow", allowed)
        }
        return response
    }

    private func decorate(_ response: Response, _ usage: LimitUsage) -> Response {
        var decorated = response
        for header in emulator.limitHeaders(usage) where decorated.header(header.name) == nil {
            decorated.setHeader(header.name, header.value)
        }
        return decorated
    }
}
