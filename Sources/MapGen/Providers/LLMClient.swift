import Foundation

/// Sends chat requests to one endpoint with retries; counts what it sent.
public final class LLMClient: @unchecked Sendable {
    /// The endpoint.
    public let config: EndpointConfig
    private let transport: HTTPTransport
    private let policy: RetryPolicy
    private let sleep: @Sendable (Double) -> Void
    private let jitter: @Sendable () -> Double
    /// Replies received (one per successful completion).
    public private(set) var completions = 0
    /// HTTP requests sent, retries included.
    public private(set) var requests = 0
    /// Delays waited between retries, in seconds, in order.
    public private(set) var waits: [Double] = []
    /// Tokens the endpoint reports it used (prompt and completion), over every reply.
    public private(set) var tokens = 0

    /// Creates a client; `sleep` and `jitter` are injected so tests run instantly and deterministically.
    public init(
        config: EndpointConfig, transport: HTTPTransport = CurlTransport(), policy: RetryPolicy? = nil,
        sleep: @escaping @Sendable (Double) -> Void = { defaultSleep($0) },
        jitter: @escaping @Sendable () -> Double = { Double.random(in: 0..<1) }
    ) {
        self.config = config
        self.transport = transport
        self.policy = policy ?? RetryPolicy(maxRetries: config.maxRetries)
        self.sleep = sleep
        self.jitter = jitter
    }

    /// Sends `request` and returns the reply text; retries 429 and 5xx as the policy says.
    public func complete(_ request: ChatRequest) throws(MapGenError) -> String {
        let http = WireFormat.encode(request, config: config)
        var retry = 0
        while true {
            requests += 1
            let response: HTTPResponse
            do {
                response = try transport.send(http, timeout: config.timeout, maxBodyBytes: config.maxReplyBytes)
            } catch {
                switch error {
                case .tooLarge(let limit):
                    throw MapGenError(
                        .reply,
                        "the reply of \(config.displayURL) is larger than \(Self.size(limit)); mapc stopped reading it there (a mapping is a few KB)"
                    )
                case .timeout:
                    throw MapGenError(
                        .endpoint, "the LLM endpoint \(config.displayURL) did not answer within \(Self.seconds(config.timeout)) (timeout)")
                case .connection(let why):
                    throw MapGenError(.endpoint, "cannot reach the LLM endpoint \(config.displayURL): \(redact(why))")
                }
            }
            if (200...299).contains(response.status) {
                do {
                    let text = try WireFormat.decodeReply(response.body, provider: config.provider)
                    completions += 1
                    tokens += WireFormat.usage(response.body, provider: config.provider)
                    // A hostile or confused endpoint may echo the request's credentials into the reply:
                    // nothing downstream (cache, mapping, messages) ever sees them.
                    return ReplyRedactor.redact(text, key: config.apiKey)
                } catch {
                    throw MapGenError(error.kind, redact(error.message))
                }
            }
            retry += 1
            if let wait = policy.delay(retry: retry, status: response.status, retryAfter: response.header("Retry-After"), jitter: jitter())
            {
                waits.append(wait)
                sleep(wait)
                continue
            }
            var message = "the LLM endpoint \(config.displayURL) answered HTTP \(response.status)"
            if retry > 1 { message += " after \(retry) attempts" }
            if let detail = WireFormat.errorMessage(response.body) { message += ": " + detail }
            if response.status == 401 || response.status == 403 {
                message += " (check MAPC_LLM_API_KEY or the provider's key variable)"
            }
            throw MapGenError(.endpoint, redact(message))
        }
    }

    private func redact(_ s: String) -> String {
        config.apiKey?.redact(s) ?? s
    }

    static func size(_ bytes: Int) -> String {
        bytes % 1024 == 0 ? "\(bytes / 1024) KB" : "\(bytes) bytes"
    }

    private static func seconds(_ t: Double) -> String {
        t == t.rounded() ? "\(Int(t)) s" : "\(t) s"
    }
}

/// Sleeps the calling thread.
public func defaultSleep(_ seconds: Double) {
    guard seconds > 0 else { return }
    var ts = timespec(tv_sec: Int(seconds), tv_nsec: Int((seconds - Double(Int(seconds))) * 1e9))
    nanosleep(&ts, nil)
}
