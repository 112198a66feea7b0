import Foundation

/// Tuning of a ``RateLimiter``.
public struct LimiterConfiguration: Sendable {
    /// How request budgets are enforced.
    public var strategy: WindowStrategy
    /// Fraction of each window added as a safety margin. A sliding window counts each request from
    /// the time its answer came (no earlier than the server received it), so the margin only covers
    /// the clocks: rate drift (a fraction) and skew between the processes sharing a window (the minimum).
    public var marginFraction: Double
    /// The smallest margin in seconds: the clock skew allowed between processes sharing a window.
    public var minimumMargin: Double
    /// A sliding window holds a request that was counted but never answered (its process was killed)
    /// this many seconds longer than an answered one: at least the HTTP client's timeout.
    public var inFlightLimit: Double
    /// Waits longer than this are not slept through: ``RateLimiter/acquire(method:path:)`` throws
    /// ``AdapterError/rateLimited(retryAfter:message:)`` so the engine can pause the job instead.
    public var maxWait: Double
    /// The wait after a refusal that named no time (no `Retry-After`).
    public var defaultThrottleWait: Double
    /// The account's time zone, for daily quotas that reset at midnight.
    public var timeZone: TimeZone

    /// Defaults: sliding windows with a 0.1 % (at least 20 ms) margin, unanswered requests held 30 s
    /// longer, waits up to 2 minutes, 1 s after a bare 429, UTC.
    public init(
        strategy: WindowStrategy = .sliding, marginFraction: Double = 0.001, minimumMargin: Double = 0.02,
        inFlightLimit: Double = 30, maxWait: Double = 120, defaultThrottleWait: Double = 1,
        timeZone: TimeZone = TimeZone(identifier: "UTC")!
    ) {
        self.strategy = strategy
        self.marginFraction = marginFraction
        self.minimumMargin = minimumMargin
        self.inFlightLimit = inFlightLimit
        self.maxWait = maxWait
        self.defaultThrottleWait = defaultThrottleWait
        self.timeZone = timeZone
    }
}

/// Permission to send one request; hand it back with ``RateLimiter/complete(_:feedback:)``.
public struct RatePermit: Sendable {
    /// The rule that matched the request.
    public let rule: EndpointRule
    /// When the request was counted (seconds since 1970).
    let sentAt: Double
    /// The bucket charged.
    public var bucket: String { rule.bucket }
}

/// Counters of a limiter, for tests and metrics.
public struct LimiterStatistics: Sendable, Hashable {
    /// Permits handed out.
    public var acquired = 0
    /// Responses that reported a refusal.
    public var throttled = 0
    /// Seconds spent waiting for windows or `Retry-After`.
    public var waitedSeconds = 0.0
    /// Times a request was held for a concurrency permit (each wait for one counts).
    public var heldForConcurrency = 0
}

/// Paces requests to one platform by its ``RateLimitRegistry``: request windows, concurrency limits
/// and daily quotas per bucket, corrected by what responses say (`Retry-After`, remaining-quota headers).
///
/// Adapters call ``acquire(method:path:)`` before every request (it blocks until the request fits)
/// and ``complete(_:feedback:)`` after it. Daily usage is kept in a ``QuotaStore`` so a restart does
/// not forget it. Thread-safe.
public final class RateLimiter: @unchecked Sendable {
    private struct Bucket {
        var window: RequestWindow?
        var inFlight = 0
        var blockedUntil = 0.0
        var daily: QuotaUsage?
    }

    /// The limits enforced.
    public let registry: RateLimitRegistry
    /// The configuration.
    public let configuration: LimiterConfiguration
    private let clock: any LimiterClock
    /// The run's wait watch (announced, cancellable waits), when a run is attached.
    private let waits: WaitWatch?
    private let store: any QuotaStore
    private let windows: (any LimiterStateStore)?
    /// Set when other processes share the limits (see ``SharedLimiterStore``).
    private let shared: (any SharedLimiterStore)?
    private let condition = NSCondition()
    private var buckets: [String: Bucket] = [:]
    private var stats = LimiterStatistics()

    /// Creates a limiter; without a `quotaStore` daily usage lives in memory only, without a
    /// `windowStore` so do the request windows and holds (a new process then knows nothing of
    /// what an earlier one sent).
    public init(
        registry: RateLimitRegistry, clock: any LimiterClock = SystemLimiterClock(), quotaStore: (any QuotaStore)? = nil,
        windowStore: (any LimiterStateStore)? = nil, configuration: LimiterConfiguration = LimiterConfiguration(),
        waits: WaitWatch? = nil
    ) {
        self.waits = waits
        self.registry = registry
        self.clock = clock
        self.store = quotaStore ?? InMemoryQuotaStore()
        self.windows = windowStore
        if let candidate = windowStore as? any SharedLimiterStore, candidate.sharesLimits {
            shared = candidate
        } else {
            shared = nil
        }
        self.configuration = configuration
    }

    /// The rule for a request, falling back to an unlimited rule.
    public func rule(method: String, path: String) -> EndpointRule {
        registry.rule(method: method, path: path) ?? EndpointRule(name: "unlisted", bucket: "unlisted")
    }

    /// Counters so far.
    public var statistics: LimiterStatistics {
        condition.lock()
        defer { condition.unlock() }
        return stats
    }

    /// Blocks until a request may be sent, then counts it.
    ///
    /// - Throws: ``AdapterError/rateLimited(retryAfter:message:)`` when the daily quota is used up or
    ///   the wait would exceed ``LimiterConfiguration/maxWait``; ``AdapterError/fatal(_:)`` when the
    ///   quota store cannot be read or written.
    public func acquire(method: String, path: String) throws(AdapterError) -> RatePermit {
        let rule = rule(method: method, path: path)
        condition.lock()
        defer { condition.unlock() }
        // A rule with neither a request budget nor a daily quota has nothing to share.
        if let shared, rule.requests != nil || rule.dailyQuota != nil { return try acquireShared(rule, shared) }
        while true {
            let now = clock.now()
            let t = now.timeIntervalSince1970
            var bucket = buckets[rule.bucket] ?? makeBucket(rule)
            if let quota = rule.dailyQuota {
                let usage = try dailyUsage(&bucket, rule: rule)
                let used = usage.used(since: firstSlot(now))
                if used >= quota {
                    buckets[rule.bucket] = bucket
                    throw exhausted(rule, quota: quota, usage: usage, now: now)
                }
            }
            var wait = max(0, bucket.blockedUntil - t)
            // When every slot is held by a request not answered yet, the wait is a short look
            // again (an answer frees a slot).
            if var window = bucket.window {
                wait = max(wait, window.delay(now: t))
                bucket.window = window
            }
            buckets[rule.bucket] = bucket
            // Microsecond differences are clock noise; the windows use the same tolerance, so a
            // skipped wait never admits a request the window would refuse.
            if wait > RequestWindow.epsilon {
                try pause(wait, rule)
                continue
            }
            if let limit = rule.maxConcurrency, bucket.inFlight >= limit {
                stats.heldForConcurrency += 1
                _ = condition.wait(until: Date(timeIntervalSinceNow: 0.05))
                continue
            }
            bucket.window?.record(now: t)
            persist(&bucket, rule: rule, now: t)
            bucket.inFlight += 1
            if rule.dailyQuota != nil, var usage = bucket.daily {
                usage.hourly[QuotaUsage.slot(now), default: 0] += 1
                usage.prune(before: QuotaUsage.slot(now) - 48)
                bucket.daily = usage
                try save(usage, rule: rule)
            }
            buckets[rule.bucket] = bucket
            stats.acquired += 1
            return RatePermit(rule: rule, sentAt: t)
        }
    }

    /// Hands a permit back with what the response said about limits.
    public func complete(_ permit: RatePermit, feedback: LimitFeedback = LimitFeedback()) {
        condition.lock()
        defer {
            condition.broadcast()
            condition.unlock()
        }
        let now = clock.now()
        let t = now.timeIntervalSince1970
        if let shared, permit.rule.requests != nil || permit.rule.dailyQuota != nil {
            completeShared(permit, feedback: feedback, shared, now: now)
            return
        }
        var bucket = buckets[permit.bucket] ?? makeBucket(permit.rule)
        bucket.inFlight = max(0, bucket.inFlight - 1)
        bucket.window?.restamp(permit.sentAt, to: t)
        if feedback.throttled {
            stats.throttled += 1
            let wait = feedback.retryAfter ?? configuration.defaultThrottleWait
            bucket.blockedUntil = max(bucket.blockedUntil, t + wait)
        } else if let wait = feedback.retryAfter {
            bucket.blockedUntil = max(bucket.blockedUntil, t + wait)
        }
        if var window = bucket.window, let remaining = feedback.windowRemaining,
            (feedback.windowLimit ?? window.budget.count) == window.budget.count
        {
            let serverUsed = window.budget.count - remaining
            let ours = window.used(now: t)
            if serverUsed > ours { window.pad(serverUsed - ours, now: t) }
            bucket.window = window
        }
        persist(&bucket, rule: permit.rule, now: t)
        if permit.rule.dailyQuota != nil, let remaining = feedback.dailyRemaining, let limit = feedback.dailyLimit,
            var usage = try? dailyUsage(&bucket, rule: permit.rule)
        {
            let serverUsed = limit - remaining
            let ours = usage.used(since: firstSlot(now))
            if serverUsed > ours {
                usage.hourly[QuotaUsage.slot(now), default: 0] += serverUsed - ours
                bucket.daily = usage
                try? save(usage, rule: permit.rule)
            }
        }
        buckets[permit.bucket] = bucket
    }

    /// Requests counted against the daily quota of `bucket` in the current day (as the reset rule defines it).
    public func dailyUsed(bucket name: String) throws(AdapterError) -> Int {
        guard let rule = registry.endpoints.first(where: { $0.bucket == name }) else { return 0 }
        condition.lock()
        defer { condition.unlock() }
        var bucket = buckets[name] ?? makeBucket(rule)
        let usage = try dailyUsage(&bucket, rule: rule)
        buckets[name] = bucket
        return usage.used(since: firstSlot(clock.now()))
    }

    // MARK: - Limits shared with other processes

    /// What one look at a shared bucket decided.
    private enum SharedStep {
        case send
        /// The request is counted at this time, ahead of now: the slot is the caller's, to send at.
        case reserved(Double)
        case wait(Double)
        case quotaExhausted(QuotaUsage)
    }

    /// A fresh window for `rule` holding what the shared `state` counts.
    private func sharedWindow(_ rule: EndpointRule, _ state: LimiterWindowState?, now: Double) -> RequestWindow? {
        guard let budget = rule.requests else { return nil }
        var window = makeWindow(budget)
        if let state { window.restore(state, now: now) }
        return window
    }

    private func makeWindow(_ budget: RequestBudget) -> RequestWindow {
        let margin = max(configuration.minimumMargin, budget.windowSeconds * configuration.marginFraction)
        return RequestWindow(budget: budget, strategy: configuration.strategy, margin: margin, inFlightLimit: configuration.inFlightLimit)
    }

    /// ``acquire(method:path:)`` when other processes share the limits: each look decides with the
    /// bucket's stored window and daily usage locked, and counts the request there. Called with
    /// `condition` locked.
    /// The error for `rule`'s daily quota used up: its name and when it frees.
    private func exhausted(_ rule: EndpointRule, quota: Int, usage: QuotaUsage, now: Date) -> AdapterError {
        .quotaExhausted(
            QuotaExhaustion(
                quota: "\(registry.platform) daily quota of \(quota) requests (\(rule.bucket), from ratelimits/)",
                resetsAt: now.addingTimeInterval(secondsUntilQuotaFrees(usage, now: now)), rolling: registry.dailyReset != .midnight,
                message: "daily quota of \(quota) requests for \(registry.platform) (\(rule.bucket)) is used up"))
    }

    /// Waits `wait` seconds for `rule`'s window, with `condition` unlocked meanwhile (called with
    /// it locked). Longer than `maxWait` is refused as rate-limited; a cancel cuts the wait short:
    /// nothing is sent, the run stops.
    private func pause(_ wait: Double, _ rule: EndpointRule) throws(AdapterError) {
        if wait > configuration.maxWait {
            throw .rateLimited(
                retryAfter: wait,
                message: "\(registry.platform) (\(rule.bucket)) needs a pause of \(Int(min(wait, 1e12).rounded(.up))) s")
        }
        stats.waitedSeconds += wait
        condition.unlock()
        let waited = WaitWatch.wait(waits, wait, for: "\(registry.platform) rate limit (\(rule.bucket))", clock: clock)
        condition.lock()
        if !waited { throw .transient("stopped waiting for the \(registry.platform) rate limit: the run was asked to stop") }
    }

    private func acquireShared(_ rule: EndpointRule, _ shared: any SharedLimiterStore) throws(AdapterError) -> RatePermit {
        while true {
            let now = clock.now()
            let t = now.timeIntervalSince1970
            var bucket = buckets[rule.bucket] ?? Bucket()
            if let limit = rule.maxConcurrency, bucket.inFlight >= limit {
                stats.heldForConcurrency += 1
                _ = condition.wait(until: Date(timeIntervalSinceNow: 0.05))
                continue
            }
            let first = firstSlot(now)
            let step: SharedStep
            do {
                step = try shared.exclusively(quotaKey(rule)) { state, usage in
                    if let quota = rule.dailyQuota, usage.used(since: first) >= quota { return (.quotaExhausted(usage), nil, nil) }
                    var window = sharedWindow(rule, state, now: t)
                    let blocked = max(bucket.blockedUntil, state?.blockedUntil ?? 0)
                    var wait = max(0, blocked - t)
                    var firm = true
                    if var w = window {
                        let slot = w.nextSlot(now: t)
                        if slot.wait > wait { (wait, firm) = (slot.wait, slot.firm) }
                        window = w
                    }
                    // A firm wait within bounds reserves the slot now, in this one round trip: the
                    // caller sleeps until it and sends, with no second look at the store, and the
                    // other processes count it meanwhile (each gets a slot of its own).
                    var at = t
                    if wait > RequestWindow.epsilon {
                        guard firm, wait <= configuration.maxWait, window != nil else { return (.wait(wait), nil, nil) }
                        at = t + wait
                    }
                    window?.record(now: at)
                    var saved = window?.snapshot(now: t) ?? LimiterWindowState()
                    saved.blockedUntil = blocked
                    guard rule.dailyQuota != nil else { return (at > t ? .reserved(at) : .send, saved, nil) }
                    var counted = usage
                    counted.hourly[QuotaUsage.slot(now), default: 0] += 1
                    counted.prune(before: QuotaUsage.slot(now) - 48)
                    return (at > t ? .reserved(at) : .send, saved, counted)
                }
            } catch {
                throw .fatal("cannot decide with the shared rate limits in the store: \(error)")
            }
            switch step {
            case .quotaExhausted(let usage):
                throw exhausted(rule, quota: rule.dailyQuota ?? 0, usage: usage, now: now)
            case .wait(let wait):
                try pause(wait, rule)
            case .send:
                bucket.inFlight += 1
                buckets[rule.bucket] = bucket
                stats.acquired += 1
                return RatePermit(rule: rule, sentAt: t)
            case .reserved(let at):
                // Held for concurrency meanwhile: the slot is ours.
                buckets[rule.bucket, default: Bucket()].inFlight += 1
                do {
                    // Never before the slot (a sleep may end a hair early); below the clock noise is on time.
                    var left = at - clock.now().timeIntervalSince1970
                    while left > RequestWindow.epsilon {
                        try pause(left, rule)
                        left = at - clock.now().timeIntervalSince1970
                    }
                } catch {
                    buckets[rule.bucket, default: Bucket()].inFlight -= 1
                    releaseShared(rule, at, shared)
                    throw error
                }
                stats.acquired += 1
                return RatePermit(rule: rule, sentAt: at)
            }
        }
    }

    /// Gives back a slot reserved at `at` that was not used (the wait was cut short). A failure
    /// leaves it held until ``LimiterConfiguration/inFlightLimit`` lets it go: slower, never over.
    private func releaseShared(_ rule: EndpointRule, _ at: Double, _ shared: any SharedLimiterStore) {
        let t = clock.now().timeIntervalSince1970
        _ = try? shared.exclusively(quotaKey(rule)) { state, _ in
            var window = sharedWindow(rule, state, now: t)
            window?.release(at)
            var saved = window?.snapshot(now: t) ?? LimiterWindowState()
            saved.blockedUntil = state?.blockedUntil ?? 0
            return ((), saved, nil)
        }
    }

    /// ``complete(_:feedback:)`` when other processes share the limits: the request moves to the
    /// time its answer came, and what the answer says about limits goes to the shared state.
    /// Called with `condition` locked. A failure to record is not the request's failure: the next
    /// decision reads the store again, and the platform's refusals still pace us.
    private func completeShared(_ permit: RatePermit, feedback: LimitFeedback, _ shared: any SharedLimiterStore, now: Date) {
        let t = now.timeIntervalSince1970
        var bucket = buckets[permit.bucket] ?? Bucket()
        bucket.inFlight = max(0, bucket.inFlight - 1)
        var hold = 0.0
        if feedback.throttled {
            stats.throttled += 1
            hold = t + (feedback.retryAfter ?? configuration.defaultThrottleWait)
        } else if let wait = feedback.retryAfter {
            hold = t + wait
        }
        bucket.blockedUntil = max(bucket.blockedUntil, hold)
        buckets[permit.bucket] = bucket
        let first = firstSlot(now)
        _ = try? shared.exclusively(quotaKey(permit.rule)) { state, usage in
            var window = sharedWindow(permit.rule, state, now: t)
            window?.restamp(permit.sentAt, to: t)
            if var w = window, let remaining = feedback.windowRemaining, (feedback.windowLimit ?? w.budget.count) == w.budget.count {
                let serverUsed = w.budget.count - remaining
                let ours = w.used(now: t)
                if serverUsed > ours { w.pad(serverUsed - ours, now: t) }
                window = w
            }
            var saved = window?.snapshot(now: t) ?? LimiterWindowState()
            saved.blockedUntil = max(state?.blockedUntil ?? 0, hold)
            var counted: QuotaUsage?
            if permit.rule.dailyQuota != nil, let remaining = feedback.dailyRemaining, let limit = feedback.dailyLimit {
                let serverUsed = limit - remaining
                let ours = usage.used(since: first)
                if serverUsed > ours {
                    var u = usage
                    u.hourly[QuotaUsage.slot(now), default: 0] += serverUsed - ours
                    counted = u
                }
            }
            return ((), saved, counted)
        }
    }

    // MARK: - Helpers

    private func makeBucket(_ rule: EndpointRule) -> Bucket {
        var bucket = Bucket()
        if let budget = rule.requests { bucket.window = makeWindow(budget) }
        // What an earlier process left counted: its requests still count with the platform.
        if let windows, let saved = try? windows.loadWindow(quotaKey(rule)) {
            let now = clock.now().timeIntervalSince1970
            bucket.window?.restore(saved, now: now)
            if saved.blockedUntil > now { bucket.blockedUntil = saved.blockedUntil }
        }
        return bucket
    }

    /// Saves `bucket`'s window and hold, when there is a window store and something to save. A
    /// failed save is not the request's failure: the next process then waits less than it should,
    /// and the platform's refusals (waited out) still pace it.
    private func persist(_ bucket: inout Bucket, rule: EndpointRule, now: Double) {
        guard let windows, bucket.window != nil || bucket.blockedUntil > now else { return }
        var state = bucket.window?.snapshot(now: now) ?? LimiterWindowState()
        state.blockedUntil = bucket.blockedUntil
        try? windows.saveWindow(state, for: quotaKey(rule))
    }

    private func quotaKey(_ rule: EndpointRule) -> String { "\(registry.platform)/\(rule.bucket)" }

    private func dailyUsage(_ bucket: inout Bucket, rule: EndpointRule) throws(AdapterError) -> QuotaUsage {
        // Shared limits change under us: always the stored usage.
        if shared == nil, let usage = bucket.daily { return usage }
        do {
            let usage = try store.load(quotaKey(rule))
            bucket.daily = usage
            return usage
        } catch {
            throw .fatal("cannot read the daily quota counters: \(error)")
        }
    }

    private func save(_ usage: QuotaUsage, rule: EndpointRule) throws(AdapterError) {
        do {
            try store.save(usage, for: quotaKey(rule))
        } catch {
            throw .fatal("cannot persist the daily quota counters: \(error)")
        }
    }

    /// The first hour slot that counts today.
    private func firstSlot(_ now: Date) -> Int {
        switch registry.dailyReset {
        case .midnight:
            var calendar = Calendar(identifier: .gregorian)
            calendar.timeZone = configuration.timeZone
            return QuotaUsage.slot(calendar.startOfDay(for: now))
        case .rolling, .none:
            return QuotaUsage.slot(now) - 24
        }
    }

    /// When the daily quota of the endpoint `method path` frees up again, as the registry's reset
    /// rule and the counted requests say (a rolling window: when its oldest counted hour leaves
    /// it); nil when the endpoint has no daily quota in the registry.
    public func quotaResetEstimate(method: String, path: String) -> (resetsAt: Date, rolling: Bool)? {
        let rule = rule(method: method, path: path)
        guard rule.dailyQuota != nil else { return nil }
        condition.lock()
        defer { condition.unlock() }
        let now = clock.now()
        var bucket = buckets[rule.bucket] ?? makeBucket(rule)
        guard let usage = try? dailyUsage(&bucket, rule: rule) else { return nil }
        buckets[rule.bucket] = bucket
        // A rolling window with nothing counted in it says nothing about when it frees up.
        if registry.dailyReset != .midnight, usage.used(since: firstSlot(now)) == 0 { return nil }
        return (now.addingTimeInterval(secondsUntilQuotaFrees(usage, now: now)), registry.dailyReset != .midnight)
    }

    private func secondsUntilQuotaFrees(_ usage: QuotaUsage, now: Date) -> Double {
        switch registry.dailyReset {
        case .midnight:
            var calendar = Calendar(identifier: .gregorian)
            calendar.timeZone = configuration.timeZone
            let start = calendar.startOfDay(for: now)
            let next = calendar.date(byAdding: .day, value: 1, to: start) ?? now.addingTimeInterval(86_400)
            return max(1, next.timeIntervalSince(now))
        case .rolling, .none:
            let first = firstSlot(now)
            guard let oldest = usage.hourly.filter({ $0.key >= first && $0.value > 0 }).keys.min() else { return 1 }
            return max(1, Double(oldest + 25) * 3600 - now.timeIntervalSince1970)
        }
    }
}
