import Foundation
import MapDSL

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
    /// Parses `text`; nil when it is not an ISO 8601 instant (with or without fraction and offset).
    public static func parse(_ text: String) -> Date? {
        guard text.count >= 20, let millis = Dates.parseISODateTime(Substring(text)) else { return nil }
        return Date(timeIntervalSince1970: Double(millis) / 1000)
    }

    /// `date` in ISO 8601 with milliseconds, UTC.
    public static func format(_ date: Date) -> String {
        Dates.formatDateTime(Int64((date.timeIntervalSince1970 * 1000).rounded(.down)))
    }

    /// The UTC day of `date` as `YYYY-MM-DD` (the event store's quota day).
    public static func day(_ date: Date) -> String {
        String(format(date).prefix(10))
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
