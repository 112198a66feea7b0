import Foundation

/// How a request budget is enforced on our side.
public enum WindowStrategy: String, Sendable, Hashable, CaseIterable {
    /// A log of send times: never more than `count` sends in any window. Matches rolling server
    /// windows (HubSpot's `TEN_SECONDLY_ROLLING`); the default.
    case sliding
    /// Counters per aligned window. Cheap, but allows up to twice the budget across a boundary, so
    /// only right for servers that count in aligned windows.
    case fixed
    /// A bucket of `count` tokens refilled at `count / window` per second. Smooth, but its first
    /// window allows a burst plus the refill, so a rolling server may refuse a few requests.
    case tokenBucket
}

/// The send history of one bucket under one budget, as a plain value: ask ``delay(now:)``, then
/// ``record(now:)`` when a request is sent.
struct RequestWindow: Sendable {
    let budget: RequestBudget
    let strategy: WindowStrategy
    /// Extra seconds added to the window, covering the gap between our send time and the server's arrival time.
    let margin: Double
    /// Differences below this are clock noise (a `Date` near 2024 resolves about 0.2 µs).
    static let epsilon = 1e-6

    private var times: [Double] = []
    private var head = 0
    private var fixedStart = 0.0
    private var fixedCount = 0
    private var tokens: Double
    private var refilledAt: Double?

    init(budget: RequestBudget, strategy: WindowStrategy, margin: Double) {
        self.budget = budget
        self.strategy = strategy
        self.margin = margin
        self.tokens = Double(budget.count)
    }

    private var span: Double { budget.windowSeconds + margin }

    /// Seconds to wait before one more request fits the budget (0 when it fits now).
    mutating func delay(now: Double) -> Double {
        switch strategy {
        case .sliding:
            expire(now: now)
            let live = times.count - head
            guard live >= budget.count else { return 0 }
            let blocking = times[head + live - budget.count]
            return max(0, blocking + span - now)
        case .fixed:
            rollFixed(now: now)
            return fixedCount < budget.count ? 0 : max(0, fixedStart + span - now)
        case .tokenBucket:
            refill(now: now)
            return tokens >= 1 - Self.epsilon ? 0 : (1 - tokens) * span / Double(budget.count)
        }
    }

    /// Counts one request sent at `now`.
    mutating func record(now: Double) {
        switch strategy {
        case .sliding:
            times.append(now)
        case .fixed:
            rollFixed(now: now)
            fixedCount += 1
        case .tokenBucket:
            refill(now: now)
            tokens -= 1
        }
    }

    /// Requests counted in the current window.
    mutating func used(now: Double) -> Int {
        switch strategy {
        case .sliding:
            expire(now: now)
            return times.count - head
        case .fixed:
            rollFixed(now: now)
            return fixedCount
        case .tokenBucket:
            refill(now: now)
            return max(0, budget.count - Int(tokens.rounded(.down)))
        }
    }

    /// Moves a request counted at `sent` to `done`, when its response came back (sliding logs only).
    ///
    /// The server counted the request when it arrived, somewhere between the two; keeping the later
    /// time means our window never expires a request before the server's does, however long the
    /// request waited in the HTTP stack.
    mutating func restamp(_ sent: Double, to done: Double) {
        guard strategy == .sliding, done > sent else { return }
        if let index = times[head...].firstIndex(of: sent) { times.remove(at: index) }
        var position = times.count
        while position > head, times[position - 1] > done { position -= 1 }
        times.insert(done, at: position)
    }

    /// Adds requests the server counted but we did not (other clients of the same account).
    mutating func pad(_ count: Int, now: Double) {
        for _ in 0..<max(0, count) { record(now: now) }
    }

    /// What the window counts at `now`, to persist (see ``LimiterWindowState``).
    mutating func snapshot(now: Double) -> LimiterWindowState {
        var state = LimiterWindowState()
        switch strategy {
        case .sliding:
            expire(now: now)
            state.times = Array(times[head...])
        case .fixed:
            state.fixedStart = fixedStart
            state.fixedCount = fixedCount
        case .tokenBucket:
            state.tokens = tokens
            state.refilledAt = refilledAt
        }
        return state
    }

    /// Takes over what a window of an earlier process counted (requests it sent still count with
    /// the platform until they age out), keeping what this one counted already.
    mutating func restore(_ state: LimiterWindowState, now: Double) {
        switch strategy {
        case .sliding:
            var merged = state.times.filter { now - $0 < span && $0 <= now + span } + times[head...]
            merged.sort()
            times = merged
            head = 0
            expire(now: now)
        case .fixed:
            if state.fixedStart > fixedStart && state.fixedStart <= now {
                fixedStart = state.fixedStart
                fixedCount = state.fixedCount
            } else if state.fixedStart == fixedStart {
                fixedCount = max(fixedCount, state.fixedCount)
            }
        case .tokenBucket:
            if let saved = state.tokens, let at = state.refilledAt, at <= now {
                tokens = min(tokens, max(-Double(budget.count), saved))
                refilledAt = at
            }
        }
    }

    private mutating func expire(now: Double) {
        while head < times.count, now - times[head] >= span - Self.epsilon { head += 1 }
        if head > 1024 && head * 2 > times.count {
            times.removeFirst(head)
            head = 0
        }
    }

    private mutating func rollFixed(now: Double) {
        if now - fixedStart >= span - Self.epsilon {
            fixedStart = now
            fixedCount = 0
        }
    }

    private mutating func refill(now: Double) {
        if let last = refilledAt {
            tokens = min(Double(budget.count), tokens + (now - last) * Double(budget.count) / span)
        }
        refilledAt = now
    }
}
