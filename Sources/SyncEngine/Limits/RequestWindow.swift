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
///
/// A sliding window keeps two logs. A request is *pending* from the moment it is counted (its send,
/// or a reserved slot) until its answer comes back: the server counted it at some moment we cannot
/// see, so a pending request never ages out of our window (but see ``inFlightLimit``). Once
/// answered it is kept at the time its answer came, which is no earlier than the server's arrival
/// time, and ages out one window (plus ``margin``) later. So the window never frees a slot before
/// the server's does, however slow the answers are.
struct RequestWindow: Sendable {
    let budget: RequestBudget
    let strategy: WindowStrategy
    /// Extra seconds added to the window: the uncertainty between our clocks and the server's
    /// (clock skew between the processes sharing a window, rate drift), not the answers' latency
    /// (answered requests are counted from the answer).
    let margin: Double
    /// A pending request never answered (its process was killed holding it) ages out this many
    /// seconds after a window would have let it go: no request waits for its answer longer than
    /// the client's timeout, after which the client counts it answered.
    let inFlightLimit: Double
    /// Differences below this are clock noise (a `Date` near 2024 resolves about 0.2 µs).
    static let epsilon = 1e-6
    /// How often to look again when every slot is held by a pending request (its answer frees it).
    static let answerPoll = 0.01

    /// Answered requests (sliding), oldest first, from `head` on.
    private var times: [Double] = []
    private var head = 0
    /// Pending requests (sliding), oldest first.
    private var pending: [Double] = []
    private var fixedStart = 0.0
    private var fixedCount = 0
    private var tokens: Double
    private var refilledAt: Double?

    init(budget: RequestBudget, strategy: WindowStrategy, margin: Double, inFlightLimit: Double = 30) {
        self.budget = budget
        self.strategy = strategy
        self.margin = margin
        self.inFlightLimit = max(0, inFlightLimit)
        self.tokens = Double(budget.count)
    }

    private var span: Double { budget.windowSeconds + margin }

    /// Seconds to wait before one more request fits the budget (0 when it fits now).
    mutating func delay(now: Double) -> Double { nextSlot(now: now).wait }

    /// Seconds to wait before one more request fits the budget, and whether that time is firm: the
    /// request fits then whatever else happens meanwhile, short of other requests being counted or
    /// the server reporting more than we counted (not firm: every slot is held by a pending
    /// request, and the wait is only when to look again).
    mutating func nextSlot(now: Double) -> (wait: Double, firm: Bool) {
        switch strategy {
        case .sliding:
            expire(now: now)
            let held = pending.count
            let answered = times.count - head
            guard answered + held >= budget.count else { return (0, true) }
            let free = budget.count - held
            guard free > 0 else {
                let abandoned = (pending.first ?? now) + span + inFlightLimit - now
                return (max(0, min(abandoned, Self.answerPoll)), false)
            }
            let blocking = times[head + answered - free]
            return (max(0, blocking + span - now), true)
        case .fixed:
            rollFixed(now: now)
            return (fixedCount < budget.count ? 0 : max(0, fixedStart + span - now), true)
        case .tokenBucket:
            refill(now: now)
            return (tokens >= 1 - Self.epsilon ? 0 : (1 - tokens) * span / Double(budget.count), true)
        }
    }

    /// Counts one request sent at `now` (or a slot reserved for it at `now`, a future time): for a
    /// sliding window it is pending until ``restamp(_:to:)`` or ``release(_:)``.
    mutating func record(now: Double) {
        switch strategy {
        case .sliding:
            Self.insert(now, into: &pending, from: 0)
        case .fixed:
            rollFixed(now: now)
            fixedCount += 1
        case .tokenBucket:
            refill(now: now)
            tokens -= 1
        }
    }

    /// Requests counted in the current window (pending ones included).
    mutating func used(now: Double) -> Int {
        switch strategy {
        case .sliding:
            expire(now: now)
            return times.count - head + pending.count
        case .fixed:
            rollFixed(now: now)
            return fixedCount
        case .tokenBucket:
            refill(now: now)
            return max(0, budget.count - Int(tokens.rounded(.down)))
        }
    }

    /// Requests pending (counted, not yet answered), for tests.
    var pendingCount: Int { pending.count }

    /// Marks the request counted at `sent` answered at `done` (sliding logs only).
    ///
    /// The server counted the request when it arrived, somewhere between the two; keeping the later
    /// time means our window never expires a request before the server's does, however long the
    /// request waited in the HTTP stack.
    mutating func restamp(_ sent: Double, to done: Double) {
        guard strategy == .sliding else { return }
        if let index = pending.firstIndex(of: sent) {
            pending.remove(at: index)
        } else if let index = times[head...].firstIndex(of: sent) {
            // A log saved before pending requests were kept apart.
            times.remove(at: index)
        }
        Self.insert(max(sent, done), into: &times, from: head)
    }

    /// Forgets a request counted at `sent` that was never sent (a reserved slot given back).
    mutating func release(_ sent: Double) {
        guard strategy == .sliding, let index = pending.firstIndex(of: sent) else { return }
        pending.remove(at: index)
    }

    /// Adds requests the server counted but we did not (other clients of the same account): they
    /// arrived before `now`, so they count as answered at `now`.
    mutating func pad(_ count: Int, now: Double) {
        for _ in 0..<max(0, count) {
            switch strategy {
            case .sliding: Self.insert(now, into: &times, from: head)
            case .fixed, .tokenBucket: record(now: now)
            }
        }
    }

    /// What the window counts at `now`, to persist (see ``LimiterWindowState``).
    mutating func snapshot(now: Double) -> LimiterWindowState {
        var state = LimiterWindowState()
        switch strategy {
        case .sliding:
            expire(now: now)
            state.times = Array(times[head...])
            state.pending = pending
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
            // A reserved slot lies ahead of now, at most a wait away; nothing lies further.
            var held = state.pending.filter { now - $0 < span + inFlightLimit && $0 <= now + span + inFlightLimit } + pending
            held.sort()
            pending = held
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

    /// Inserts `value` into the sorted `log` (from `start` on), after any equal ones.
    private static func insert(_ value: Double, into log: inout [Double], from start: Int) {
        var position = log.count
        while position > start, log[position - 1] > value { position -= 1 }
        log.insert(value, at: position)
    }

    private mutating func expire(now: Double) {
        while head < times.count, now - times[head] >= span - Self.epsilon { head += 1 }
        if head > 1024 && head * 2 > times.count {
            times.removeFirst(head)
            head = 0
        }
        while let first = pending.first, now - first >= span + inFlightLimit - Self.epsilon { pending.removeFirst() }
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
