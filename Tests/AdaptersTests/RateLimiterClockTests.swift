import Adapters
import Foundation
import MapcSupport
import SyncEngine
import Testing

extension AdaptersTestSuite {
    /// The limiter under an injected clock: windows, concurrency bookkeeping, daily quotas, Retry-After.
    @Suite("Rate limiter with an injected clock")
    struct RateLimiterClockTests {
        static func registry(
            requests: RequestBudget? = RequestBudget(count: 5, windowSeconds: 1), daily: Int? = nil, reset: DailyReset = .rolling
        ) -> RateLimitRegistry {
            RateLimitRegistry(
                platform: "test", dailyReset: reset,
                endpoints: [
                    EndpointRule(name: "search", method: "POST", path: "/search", requests: RequestBudget(count: 2, windowSeconds: 1)),
                    EndpointRule(name: "default", bucket: "account", requests: requests, dailyQuota: daily),
                ])
        }

        func send(_ limiter: RateLimiter, _ count: Int, method: String = "GET", path: String = "/objects") throws {
            for _ in 0..<count {
                let permit = try limiter.acquire(method: method, path: path)
                limiter.complete(permit)
            }
        }

        @Test("a sliding window lets the budget through, then waits for the oldest request to age out")
        func slidingWindow() throws {
            let clock = ManualLimiterClock()
            let limiter = RateLimiter(registry: Self.registry(), clock: clock)
            try send(limiter, 5)
            #expect(clock.sleeps.isEmpty)
            try send(limiter, 1)
            #expect(clock.sleeps.count == 1)
            #expect(abs(clock.sleeps[0] - 1.02) < 1e-6)  // window plus the 20 ms margin
            // Sustained: 100 more requests take 20 windows.
            let start = clock.now()
            try send(limiter, 100)
            let elapsed = clock.now().timeIntervalSince(start)
            #expect(elapsed > 19 && elapsed < 21, "\(elapsed)")
        }

        @Test("buckets are independent")
        func buckets() throws {
            let clock = ManualLimiterClock()
            let limiter = RateLimiter(registry: Self.registry(), clock: clock)
            try send(limiter, 2, method: "POST", path: "/search")
            try send(limiter, 5)
            #expect(clock.sleeps.isEmpty)
            let permit = try limiter.acquire(method: "POST", path: "/search")
            limiter.complete(permit)
            #expect(clock.sleeps.count == 1)
        }

        @Test("fixed windows and token buckets keep the long-run rate", arguments: [WindowStrategy.fixed, .tokenBucket])
        func otherStrategies(_ strategy: WindowStrategy) throws {
            let clock = ManualLimiterClock()
            let limiter = RateLimiter(
                registry: Self.registry(), clock: clock, configuration: LimiterConfiguration(strategy: strategy))
            let start = clock.now()
            try send(limiter, 105)
            let elapsed = clock.now().timeIntervalSince(start)
            #expect(elapsed > 19 && elapsed < 22, "\(strategy): \(elapsed)")
        }

        @Test("a concurrency limit holds the next request until a permit comes back")
        func concurrency() throws {
            let registry = RateLimitRegistry(
                platform: "test", endpoints: [EndpointRule(name: "default", maxConcurrency: 2)])
            let limiter = RateLimiter(registry: registry, clock: ManualLimiterClock())
            let first = try limiter.acquire(method: "GET", path: "/a")
            _ = try limiter.acquire(method: "GET", path: "/a")
            let acquired = Locked(false)
            let done = DispatchSemaphore(value: 0)
            let waiter = Thread {
                if let permit = try? limiter.acquire(method: "GET", path: "/a") {
                    acquired.withLock { $0 = true }
                    limiter.complete(permit)
                }
                done.signal()
            }
            waiter.start()
            // The limiter itself says the third request is being held (polled with a bound).
            let deadline = Date(timeIntervalSinceNow: 60)
            while limiter.statistics.heldForConcurrency == 0 && Date() < deadline { usleep(1000) }
            #expect(limiter.statistics.heldForConcurrency > 0)
            #expect(acquired.withLock { $0 } == false)
            #expect(limiter.statistics.acquired == 2)
            limiter.complete(first)
            #expect(done.wait(timeout: .now() + 60) == .success)
            #expect(acquired.withLock { $0 } == true)
        }

        @Test("Retry-After holds the bucket for the time asked")
        func retryAfter() throws {
            let clock = ManualLimiterClock()
            let limiter = RateLimiter(registry: Self.registry(), clock: clock)
            let permit = try limiter.acquire(method: "GET", path: "/objects")
            limiter.complete(permit, feedback: LimitFeedback.parse(status: 429, headers: ["Retry-After": "7"]))
            try send(limiter, 1)
            #expect(clock.sleeps == [7])
            #expect(limiter.statistics.throttled == 1)
        }

        @Test("a bare 429 waits the configured default; a wait beyond maxWait is thrown, not slept")
        func defaultsAndMaxWait() throws {
            let clock = ManualLimiterClock()
            var configuration = LimiterConfiguration(maxWait: 60, defaultThrottleWait: 2)
            configuration.minimumMargin = 0.02
            let limiter = RateLimiter(registry: Self.registry(), clock: clock, configuration: configuration)
            var permit = try limiter.acquire(method: "GET", path: "/objects")
            limiter.complete(permit, feedback: LimitFeedback(throttled: true))
            try send(limiter, 1)
            #expect(clock.sleeps == [2])
            permit = try limiter.acquire(method: "GET", path: "/objects")
            limiter.complete(permit, feedback: LimitFeedback(throttled: true, retryAfter: 600))
            #expect {
                _ = try limiter.acquire(method: "GET", path: "/objects")
            } throws: { error in
                guard case .rateLimited(let seconds, _) = error as? AdapterError else { return false }
                return seconds > 590
            }
        }

        /// A platform reply asked for `Retry-After: 99999999999999999999` (or `1e308`): the limiter
        /// trapped converting the wait to whole seconds for its message (found by `reply-hubspot`).
        @Test("a Retry-After beyond any sane wait is capped and refused as rate-limited, not a trap")
        func hugeRetryAfterIsCapped() throws {
            for text in ["99999999999999999999", "1e308", "Fri, 31 Dec 9999 23:59:59 GMT"] {
                let clock = ManualLimiterClock()
                let limiter = RateLimiter(registry: Self.registry(), clock: clock)
                let feedback = LimitFeedback.parse(status: 429, headers: ["Retry-After": text], now: clock.now())
                #expect(feedback.retryAfter == LimitFeedback.maxRetryAfterSeconds, "\(text)")
                let permit = try limiter.acquire(method: "GET", path: "/objects")
                limiter.complete(permit, feedback: feedback)
                #expect {
                    _ = try limiter.acquire(method: "GET", path: "/objects")
                } throws: { error in
                    guard case .rateLimited(let seconds, let message) = error as? AdapterError else { return false }
                    return seconds <= LimitFeedback.maxRetryAfterSeconds && message.contains("needs a pause of")
                }
                #expect(clock.sleeps.isEmpty)
            }
            // Not numbers a wait can be: ignored (the default wait applies).
            for text in ["nan", "inf", "-inf", "1e400"] {
                #expect(LimitFeedback.parse(status: 429, headers: ["Retry-After": text]).retryAfter == nil, "\(text)")
            }
            #expect(LimitFeedback.parse(status: 429, headers: ["X-RateLimit-Reset": "1e400"]).retryAfter == nil)
            #expect(
                LimitFeedback.parse(status: 429, headers: ["X-RateLimit-Reset": "1e300"]).retryAfter == LimitFeedback.maxRetryAfterSeconds)
        }

        /// `reply-mailchimp` found it: a `Retry-After` date with non-ASCII letters in it made
        /// Foundation's DateFormatter trap ("Incorrect range CFRange"), killing the sync.
        @Test("a Retry-After date with non-ASCII text is ignored, not a trap")
        func nonASCIIRetryAfterDateIsIgnoredNotATrap() {
            let now = Date(timeIntervalSince1970: 1_445_412_400)
            for text in [
                "Wed, \u{5A1}\u{FFFD}\u{4F0}\u{FFFD}c\u{FFFD}\u{FFFD}\u{FFFD}d\u{FFFD}\u{FFFD}\u{447}\u{FFFD}123456789012345678901234567890 Oct 2015 0Textiles",
                "Wed, 21 Oct 2015 07:28:00 GMT\u{447}", "\u{1F642}, 21 Oct 2015 07:28:00 GMT",
                String(repeating: "Wed, 21 Oct 2015 07:28:00 GMT ", count: 10),
            ] {
                #expect(LimitFeedback.retryAfterSeconds(text, now: now) == nil)
                #expect(InboxTime.date(text) == nil)
            }
            // A well-formed HTTP date still counts.
            #expect(LimitFeedback.retryAfterSeconds("Wed, 21 Oct 2015 07:28:00 GMT", now: now) == 80)
        }

        @Test("remaining-quota headers from other clients tighten our window")
        func headerSync() throws {
            let clock = ManualLimiterClock()
            let limiter = RateLimiter(registry: Self.registry(), clock: clock)
            let permit = try limiter.acquire(method: "GET", path: "/objects")
            limiter.complete(
                permit,
                feedback: LimitFeedback.parse(
                    status: 200, headers: ["X-HubSpot-RateLimit-Max": "5", "X-HubSpot-RateLimit-Remaining": "1"]))
            try send(limiter, 1)
            #expect(clock.sleeps.isEmpty)
            try send(limiter, 1)
            #expect(clock.sleeps.count == 1)
        }

        @Test("the daily quota survives a restart through the file store, and frees up after 24 hours")
        func dailyQuotaPersisted() throws {
            let path = Repository.temporaryDirectory() + "/quota.json"
            let clock = ManualLimiterClock()
            let registry = Self.registry(requests: nil, daily: 3)
            let first = RateLimiter(registry: registry, clock: clock, quotaStore: FileQuotaStore(path: path))
            try send(first, 2)
            #expect(try first.dailyUsed(bucket: "account") == 2)

            let restarted = RateLimiter(registry: registry, clock: clock, quotaStore: FileQuotaStore(path: path))
            #expect(try restarted.dailyUsed(bucket: "account") == 2)
            try send(restarted, 1)
            #expect {
                try send(restarted, 1)
            } throws: { error in
                guard case .quotaExhausted(let quota) = error as? AdapterError, let resets = quota.resetsAt else { return false }
                return resets.timeIntervalSince(clock.now()) > 3600 && quota.message.contains("daily quota of 3") && quota.rolling
            }
            clock.advance(25 * 3600 + 1)
            try send(restarted, 3)
            #expect(try restarted.dailyUsed(bucket: "account") == 3)
        }

        @Test("a midnight reset frees the quota at the next midnight in the account's time zone")
        func midnightReset() throws {
            // 2023-11-14T22:13:20Z
            let clock = ManualLimiterClock(start: Date(timeIntervalSince1970: 1_700_000_000))
            let limiter = RateLimiter(
                registry: Self.registry(requests: nil, daily: 2, reset: .midnight), clock: clock, quotaStore: InMemoryQuotaStore())
            try send(limiter, 2)
            #expect {
                try send(limiter, 1)
            } throws: { error in
                // 2023-11-15T00:00:00Z, named so in the reason.
                guard case .quotaExhausted(let quota) = error as? AdapterError else { return false }
                return quota.resetsAt == Date(timeIntervalSince1970: 1_700_006_400) && !quota.rolling
                    && "\(quota)".hasSuffix("used up; resets 2023-11-15 00:00 UTC")
            }
            clock.advance(2 * 3600)
            try send(limiter, 2)
        }

        @Test("Sforce-Limit-Info usage above ours is adopted")
        func salesforceUsageSync() throws {
            let clock = ManualLimiterClock()
            let limiter = RateLimiter(registry: Self.registry(requests: nil, daily: 100), clock: clock)
            let permit = try limiter.acquire(method: "GET", path: "/objects")
            limiter.complete(permit, feedback: LimitFeedback.parse(status: 200, headers: ["Sforce-Limit-Info": "api-usage=98/100"]))
            #expect(try limiter.dailyUsed(bucket: "account") == 98)
            try send(limiter, 2)
            #expect(throws: AdapterError.self) { try send(limiter, 1) }
        }

        @Test("limit headers are parsed")
        func feedbackParsing() {
            let now = Date(timeIntervalSince1970: 1_700_000_000)
            let date = LimitFeedback.parse(status: 429, headers: ["retry-after": "Tue, 14 Nov 2023 22:13:50 GMT"], now: now)
            #expect(date.throttled && date.retryAfter == 30)
            let segment = LimitFeedback.parse(status: 429, headers: ["X-RateLimit-Reset": "3"])
            #expect(segment.retryAfter == 3)
            let hubspot = LimitFeedback.parse(
                status: 200,
                headers: ["X-HubSpot-RateLimit-Daily": "650000", "X-HubSpot-RateLimit-Daily-Remaining": "649000"])
            #expect(hubspot.dailyLimit == 650_000 && hubspot.dailyRemaining == 649_000 && !hubspot.throttled)
            let salesforce = LimitFeedback.parse(status: 200, headers: ["Sforce-Limit-Info": "api-usage=25/15000; api-bursts=1/10"])
            #expect(salesforce.dailyRemaining == 14_975)
        }
    }
}
