import Foundation

/// The current time, injected so "is this normal?", wedged detection and alerts are deterministic
/// under test.
public protocol WallClock: Sendable {
    /// Now.
    func now() -> Date
}

/// The real clock.
public struct SystemWallClock: WallClock {
    /// Creates the clock.
    public init() {}

    public func now() -> Date { Date() }
}

/// A clock that always says the same instant (tests, snapshots).
public struct FixedWallClock: WallClock {
    /// The instant.
    public var instant: Date

    /// Creates a clock stopped at `instant`.
    public init(_ instant: Date) {
        self.instant = instant
    }

    public func now() -> Date { instant }
}

/// ISO 8601 timestamps as the event store writes them (with or without fractional seconds).
public enum Timestamps {
    /// Parses `text`; nil when it is not an ISO 8601 instant.
    public static func parse(_ text: String) -> Date? {
        let fractional = ISO8601DateFormatter()
        fractional.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let d = fractional.date(from: text) { return d }
        let plain = ISO8601DateFormatter()
        plain.formatOptions = [.withInternetDateTime]
        return plain.date(from: text)
    }

    /// `date` in ISO 8601 with milliseconds, UTC.
    public static func format(_ date: Date) -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return f.string(from: date)
    }

    /// The UTC day of `date` as `YYYY-MM-DD` (the event store's quota day).
    public static func day(_ date: Date) -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withFullDate]
        return f.string(from: date)
    }

    /// A short human duration: `45s`, `12m 03s`, `6h 04m`, `2d 3h`.
    public static func duration(_ seconds: Double) -> String {
        guard seconds.isFinite, seconds >= 0 else { return "—" }
        let s = Int(seconds.rounded())
        if s < 60 { return "\(s)s" }
        if s < 3600 { return String(format: "%dm %02ds", s / 60, s % 60) }
        if s < 86_400 { return String(format: "%dh %02dm", s / 3600, (s % 3600) / 60) }
        return "\(s / 86_400)d \((s % 86_400) / 3600)h"
    }
}
