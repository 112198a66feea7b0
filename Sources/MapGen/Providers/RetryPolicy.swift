/// When to retry a failed LLM request and how long to wait: a pure function of the attempt and the
/// response, so tests can check every delay without sleeping.
public struct RetryPolicy: Sendable, Hashable {
    /// Retries after the first attempt.
    public var maxRetries: Int
    /// Delay before the first retry when the server names none; doubles each retry.
    public var baseDelay: Double
    /// Longest delay, whatever the server asks for.
    public var maxDelay: Double

    /// Creates a policy.
    public init(maxRetries: Int = 3, baseDelay: Double = 1, maxDelay: Double = 60) {
        self.maxRetries = maxRetries
        self.baseDelay = baseDelay
        self.maxDelay = maxDelay
    }

    /// Whether a response status is worth retrying: 429 and any 5xx.
    public static func isRetryable(status: Int) -> Bool { status == 429 || (500...599).contains(status) }

    /// The delay before retry number `retry` (1-based) after a response with `status` and
    /// `retryAfter` header, or nil when no retry should happen. `jitter` in 0..<1 spreads clients apart.
    public func delay(retry: Int, status: Int, retryAfter: String?, jitter: Double) -> Double? {
        guard retry <= maxRetries, RetryPolicy.isRetryable(status: status) else { return nil }
        if let header = retryAfter, let seconds = RetryPolicy.parseRetryAfter(header) {
            return min(maxDelay, max(0, seconds))
        }
        let exponential = baseDelay * Double(1 << min(retry - 1, 16))
        return min(maxDelay, exponential * (1 + 0.25 * jitter))
    }

    /// Seconds from a `Retry-After` value: delta-seconds (`"2"`, `"1.5"`); HTTP dates are not honoured
    /// (nil) because the local and server clocks need not agree.
    public static func parseRetryAfter(_ value: String) -> Double? {
        Double(value.trimmingWhitespace)
    }
}
