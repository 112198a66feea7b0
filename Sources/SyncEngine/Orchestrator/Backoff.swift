/// Exponential backoff with full jitter, as a pure function of the attempt and a random draw.
public struct Backoff: Sendable, Hashable {
    /// Delay before the first retry, in seconds.
    public var base: Double
    /// Largest delay, in seconds.
    public var cap: Double

    /// Creates a policy.
    public init(base: Double = 0.5, cap: Double = 30) {
        self.base = base
        self.cap = cap
    }

    /// The delay before retry `attempt` (1-based), given `unit` drawn uniformly from [0, 1).
    public func delay(attempt: Int, unit: Double) -> Double {
        let exp = min(cap, base * Double(1 << min(max(attempt - 1, 0), 20)))
        // Half fixed, half jittered: never zero, never synchronised.
        return exp / 2 + exp / 2 * min(max(unit, 0), 1)
    }
}

/// Time and randomness, injected so retries and waits are deterministic under test.
public protocol SyncClock: Sendable {
    /// Seconds since some fixed point.
    func now() -> Double
    /// Waits `seconds`.
    func sleep(_ seconds: Double)
    /// A uniform draw from [0, 1).
    func random() -> Double
    /// The current UTC time in ISO 8601.
    func timestamp() -> String
}
