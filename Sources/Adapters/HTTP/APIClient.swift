import Foundation
import MapDSL
import MapcSupport
import SyncEngine

/// What a reply means for pacing, as a platform reads it.
enum Throttle: Sendable {
    /// Not a refusal.
    case none
    /// A short-term refusal: wait (this long, or the limiter's default) and try again.
    case wait(Double?)
    /// A quota that will not come back soon (daily allocation used up): stop and tell the engine.
    /// `quota` names it (`salesforce daily API allocation`); `resetsAt` is when the platform's
    /// answer says it resets (nil: the rate-limit registry estimates it).
    case exhausted(quota: String, resetsAt: Date?, message: String)
}

/// The request loop every HTTP adapter shares: rate limiter before each request, limit feedback after
/// it, retries of transient failures with exponential backoff, waits on refusals, and secret-free
/// replies and errors: every reply is scrubbed of the credentials (in every encoding, see
/// ``Redactor``) as it arrives, so nothing the platform echoes reaches a message, an event or the store.
final class APIClient: Sendable {
    let platform: String
    let base: String
    let limiter: RateLimiter
    let options: AdapterOptions
    /// The platform's per-record errors that pass with time (`platforms/<platform>/errors.json`).
    let transient: TransientErrors
    /// Scrubs the credentials, and the secrets learned at run time (``remember(secret:)``).
    var redactor: Redactor { scrubber.withLock { $0.redactor } }
    private let scrubber: Locked<(secrets: [String], redactor: Redactor)>
    private let http: HTTPClient
    private let headers: [String: String]
    private let throttle: @Sendable (HTTPResponse) -> Throttle
    private let message: @Sendable (HTTPResponse) -> String

    init(
        platform: String, baseURL: URL, headers: [String: String], secrets: [Secret?], options: AdapterOptions,
        throttle: @escaping @Sendable (HTTPResponse) -> Throttle = { $0.status == 429 ? .wait(nil) : .none },
        message: @escaping @Sendable (HTTPResponse) -> String
    ) throws(AdapterError) {
        self.platform = platform
        var text = baseURL.absoluteString
        while text.hasSuffix("/") { text.removeLast() }
        self.base = text
        self.limiter = try options.makeLimiter(platform: platform)
        self.transient = try options.transientErrors(platform: platform)
        self.options = options
        let known = secrets.compactMap { $0?.value }
        self.scrubber = Locked((known, Redactor(secrets: known)))
        self.http = HTTPClient(timeout: options.timeout)
        self.headers = headers
        self.throttle = throttle
        self.message = message
    }

    /// Adds a secret obtained at run time (an OAuth access token) to those scrubbed from every reply,
    /// message and log line from now on.
    func remember(secret: String) {
        scrubber.withLock { state in
            guard !state.secrets.contains(secret) else { return }
            state.secrets.append(secret)
            state.redactor = Redactor(secrets: state.secrets)
        }
    }

    /// Sends one request (path relative to the base URL, query included) and returns any reply that is
    /// neither a refusal nor a server error; those are retried, then thrown as classified errors.
    ///
    /// `idempotent: false` is for requests the platform would apply twice (GA4 events, HubSpot batch
    /// create): they go on a connection of their own (libcurl re-sends a request silently when a
    /// kept-alive connection turns out dropped), and a transport failure or server error after
    /// sending is reported, not re-sent.
    func send(
        _ method: String, _ path: String, body: Data? = nil, extraHeaders: [String: String] = [:],
        idempotent: Bool = true
    ) throws(AdapterError) -> HTTPResponse {
        guard let url = URL(string: base + path) else { throw .fatal("cannot build a URL for \(platform)") }
        let routePath = String(URL(string: base + path)?.path ?? path)
        let retryTransient = idempotent
        var request = HTTPRequest(method: method, url: url, body: body, reuseConnection: idempotent)
        for (name, value) in headers { request.headers.append((name, value)) }
        for (name, value) in extraHeaders { request.headers.append((name, value)) }
        // JSON unless the caller names another type (Bulk API 2.0 uploads are `text/csv`).
        if body != nil, !extraHeaders.keys.contains(where: { $0.lowercased() == "content-type" }) {
            request.headers.append(("Content-Type", "application/json"))
        }
        var attempt = 0
        while true {
            // A run whose wait was cut short by a cancel sends nothing more (an adapter may try
            // another route after an error).
            if options.waits?.wasInterrupted == true { throw .transient("not sent to \(platform): the run was asked to stop") }
            let permit = try limiter.acquire(method: method, path: routePath)
            var response: HTTPResponse
            do {
                response = try http.send(request)
            } catch {
                limiter.complete(permit)
                guard retryTransient, attempt < options.maxRetries else { throw scrub(error) }
                try backoff(attempt, reason: error.description)
                attempt += 1
                continue
            }
            response.body = redactor.redact(response.body)
            for (name, value) in response.headers { response.headers[name] = redactor.redact(value) }
            var feedback = LimitFeedback.parse(status: response.status, headers: response.headers, now: options.clock.now())
            let verdict = throttle(response)
            var exhaustion: QuotaExhaustion?
            switch verdict {
            case .none:
                feedback.throttled = false
            case .wait(let seconds):
                feedback.throttled = true
                feedback.retryAfter = seconds ?? feedback.retryAfter
            case .exhausted(let quota, let resetsAt, let text):
                let estimate = limiter.quotaResetEstimate(method: method, path: routePath)
                let reset = resetsAt ?? estimate?.resetsAt
                exhaustion = QuotaExhaustion(
                    quota: quota, resetsAt: reset, rolling: resetsAt == nil && estimate?.rolling == true, message: redactor.redact(text))
                feedback.throttled = true
                // Nothing more is sent to this bucket before the reset; when it is unknown, for
                // the limiter's `unknownQuotaResetSeconds` (the job's autoResume setting, else an
                // hour). A request meeting the hold is told the quota is used up.
                feedback.retryAfter = max(
                    1, reset.map { $0.timeIntervalSince(options.clock.now()) } ?? limiter.configuration.unknownQuotaResetSeconds)
                feedback.exhaustedQuota = quota
            }
            limiter.complete(permit, feedback: feedback)
            switch verdict {
            case .none:
                break
            case .exhausted:
                if let exhaustion { throw .quotaExhausted(exhaustion) }
            case .wait:
                let wait = feedback.retryAfter ?? limiter.configuration.defaultThrottleWait
                let text = "\(platform) refused \(method) \(routePath) as rate-limited: \(message(response))"
                guard attempt < options.maxRetries, wait <= limiter.configuration.maxWait else {
                    throw .rateLimited(retryAfter: wait, message: redactor.redact(text))
                }
                options.log?("\(platform): rate-limited, waiting \(wait) s (attempt \(attempt + 1))")
                attempt += 1
                continue  // the limiter holds the next acquire until the wait is over
            }
            if response.status >= 500 || response.status == 408 {
                let text = "\(platform) answered \(response.status) to \(method) \(routePath): \(message(response))"
                guard retryTransient, attempt < options.maxRetries else { throw .transient(redactor.redact(text)) }
                try backoff(attempt, reason: "status \(response.status)")
                attempt += 1
                continue
            }
            return response
        }
    }

    /// Fetches an absolute URL the platform handed out (a results file on its storage), without the
    /// platform's credentials (that host is not the API and must not see them) and outside the
    /// rate limiter; transport failures and 5xx are retried as in ``send(_:_:body:extraHeaders:idempotent:)``.
    func download(_ url: URL) throws(AdapterError) -> HTTPResponse {
        guard url.scheme == "https" || url.scheme == "http" else { throw .fatal("\(platform) handed out a URL mapc does not fetch") }
        var attempt = 0
        while true {
            let response: HTTPResponse
            do {
                response = try http.send(HTTPRequest(method: "GET", url: url, body: nil, reuseConnection: true))
            } catch {
                guard attempt < options.maxRetries else { throw scrub(error) }
                try backoff(attempt, reason: error.description)
                attempt += 1
                continue
            }
            if response.status >= 500, attempt < options.maxRetries {
                try backoff(attempt, reason: "status \(response.status)")
                attempt += 1
                continue
            }
            return response
        }
    }

    /// Sends JSON and returns the reply.
    func sendJSON(_ method: String, _ path: String, _ body: JSONValue, idempotent: Bool = true) throws(AdapterError)
        -> HTTPResponse
    {
        try send(method, path, body: Data(JSONWriter.bytes(body)), idempotent: idempotent)
    }

    /// The classified error for a 4xx reply the caller did not expect.
    func failure(_ response: HTTPResponse, doing what: String) -> AdapterError {
        let text = "\(platform) refused \(what) (\(response.status)): \(message(response))"
        switch response.status {
        case 401: return .fatal(redactor.redact("authentication failed: " + text))
        case 403: return .fatal(redactor.redact("permission denied: " + text))
        case 409, 423, 425: return .transient(redactor.redact(text))
        default: return .fatal(redactor.redact(text))
        }
    }

    private func scrub(_ error: AdapterError) -> AdapterError {
        switch error {
        case .transient(let m): .transient(redactor.redact(m))
        case .fatal(let m): .fatal(redactor.redact(m))
        case .rateLimited(let s, let m): .rateLimited(retryAfter: s, message: redactor.redact(m))
        case .quotaExhausted(let q):
            .quotaExhausted(QuotaExhaustion(quota: q.quota, resetsAt: q.resetsAt, rolling: q.rolling, message: redactor.redact(q.message)))
        }
    }

    /// Waits before a retry; throws when the run was asked to stop during the wait.
    private func backoff(_ attempt: Int, reason: String) throws(AdapterError) {
        let delay = min(10, options.retryBaseDelay * pow(2, Double(attempt)))
        options.log?("\(platform): transient failure (\(redactor.redact(reason))), retrying in \(delay) s")
        guard WaitWatch.wait(options.waits, delay, for: "\(platform) retry backoff", clock: options.clock) else {
            throw .transient("stopped waiting to retry \(platform): the run was asked to stop")
        }
    }
}

/// Percent-encodes query values (RFC 3986 unreserved characters stay).
func queryEscape(_ text: String) -> String {
    var out: [UInt8] = []
    out.reserveCapacity(text.utf8.count)
    let hex: StaticString = "0123456789ABCDEF"
    for b in text.utf8 {
        switch b {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
            UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
            out.append(b)
        default:
            out.append(UInt8(ascii: "%"))
            out.append(hex.utf8Start[Int(b >> 4)])
            out.append(hex.utf8Start[Int(b & 0x0F)])
        }
    }
    return String(decoding: out, as: UTF8.self)
}

/// `?a=1&b=2` from pairs (empty when there are none).
func queryString(_ items: [(String, String)]) -> String {
    items.isEmpty ? "" : "?" + items.map { "\(queryEscape($0.0))=\(queryEscape($0.1))" }.joined(separator: "&")
}
