import Foundation

/// What a response said about limits, read from its status and headers.
///
/// Understood headers: `Retry-After` (seconds or HTTP date), `X-HubSpot-RateLimit-Max/-Remaining/
/// -Interval-Milliseconds/-Daily/-Daily-Remaining`, `Sforce-Limit-Info: api-usage=used/limit`, and
/// `X-RateLimit-Limit/-Remaining/-Reset` (reset in seconds).
public struct LimitFeedback: Sendable, Hashable {
    /// The platform refused the request for exceeding a limit (429, or what the adapter recognised).
    public var throttled: Bool
    /// Seconds the platform asked us to wait.
    public var retryAfter: Double?
    /// Requests left in the platform's current window.
    public var windowRemaining: Int?
    /// The platform's window budget.
    public var windowLimit: Int?
    /// Requests left today.
    public var dailyRemaining: Int?
    /// The daily quota as the platform reports it.
    public var dailyLimit: Int?
    /// The quota the platform said is used up (as ``QuotaExhaustion/quota`` names it), when the
    /// refusal was that: the hold that follows (`retryAfter`) is then the quota's, and a request
    /// meeting it is told the quota is used up (``AdapterError/quotaExhausted(_:)``), not asked to wait.
    public var exhaustedQuota: String?

    /// Creates feedback.
    public init(
        throttled: Bool = false, retryAfter: Double? = nil, windowRemaining: Int? = nil, windowLimit: Int? = nil,
        dailyRemaining: Int? = nil, dailyLimit: Int? = nil
    ) {
        self.throttled = throttled
        self.retryAfter = retryAfter
        self.windowRemaining = windowRemaining
        self.windowLimit = windowLimit
        self.dailyRemaining = dailyRemaining
        self.dailyLimit = dailyLimit
    }

    /// Reads the feedback of a response; `now` resolves HTTP-date `Retry-After` values.
    public static func parse(status: Int, headers: [String: String], now: Date = Date()) -> LimitFeedback {
        var lower: [String: String] = [:]
        for (name, value) in headers { lower[name.lowercased()] = value.trimmingCharacters(in: .whitespaces) }
        var feedback = LimitFeedback(throttled: status == 429)
        if let text = lower["retry-after"] {
            feedback.retryAfter = retryAfterSeconds(text, now: now)
        } else if status == 429, let reset = lower["x-ratelimit-reset"].flatMap(Double.init), reset.isFinite {
            feedback.retryAfter = min(max(0, reset), maxRetryAfterSeconds)
        }
        feedback.windowRemaining = (lower["x-hubspot-ratelimit-remaining"] ?? lower["x-ratelimit-remaining"]).flatMap {
            Int($0)
        }
        feedback.windowLimit = (lower["x-hubspot-ratelimit-max"] ?? lower["x-ratelimit-limit"]).flatMap { Int($0) }
        feedback.dailyRemaining = lower["x-hubspot-ratelimit-daily-remaining"].flatMap { Int($0) }
        feedback.dailyLimit = lower["x-hubspot-ratelimit-daily"].flatMap { Int($0) }
        if let info = lower["sforce-limit-info"], let usage = salesforceUsage(info) {
            feedback.dailyLimit = usage.limit
            feedback.dailyRemaining = max(0, usage.limit - usage.used)
        }
        return feedback
    }

    /// The longest wait a reply can ask for (a week): a larger one (`1e308`, a date centuries
    /// ahead) is taken as this, so later arithmetic on it stays finite and in range.
    public static let maxRetryAfterSeconds: Double = 7 * 86_400

    /// `Retry-After` as seconds, at most ``maxRetryAfterSeconds``: a number, or an HTTP date
    /// relative to `now`; nil for anything else (`nan`, `inf`, text).
    public static func retryAfterSeconds(_ text: String, now: Date) -> Double? {
        if let seconds = Double(text) {
            guard seconds.isFinite else { return nil }
            return min(max(0, seconds), maxRetryAfterSeconds)
        }
        // An HTTP date is 29 printable ASCII characters. Foundation's DateFormatter traps on some
        // non-ASCII text (a UTF-16 range it miscounts), so nothing else reaches it.
        guard text.utf8.count <= 64, text.utf8.allSatisfy({ (0x20...0x7E).contains($0) }) else { return nil }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        guard let date = formatter.date(from: text), date.timeIntervalSince(now).isFinite else { return nil }
        return min(max(0, date.timeIntervalSince(now)), maxRetryAfterSeconds)
    }

    /// `(used, limit)` from `api-usage=used/limit[; ...]`.
    public static func salesforceUsage(_ header: String) -> (used: Int, limit: Int)? {
        for part in header.split(separator: ";") + header.split(separator: ",") {
            let pair = part.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard pair.count == 2, pair[0] == "api-usage" else { continue }
            let numbers = pair[1].split(separator: "/").compactMap { Int($0) }
            if numbers.count == 2 { return (numbers[0], numbers[1]) }
        }
        return nil
    }
}
