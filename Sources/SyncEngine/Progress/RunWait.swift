import Foundation
import MapDSL

/// What a run is waiting for right now, as `mapc status` says it: a wait the run announced (a
/// rate limit, a retry's backoff, a platform's Retry-After) that is not over, or a quota pause its
/// job resumes by itself (`autoResume`).
public struct RunWait: Sendable, Hashable {
    /// What it waits for: `fakedst rate limit`, `salesforce daily API allocation`.
    public var what: String
    /// Until when.
    public var until: Date
    /// Whether the run resumes by itself at `until` (a quota pause with `autoResume`), rather
    /// than waiting while it runs.
    public var autoResume: Bool

    /// `waiting for salesforce rate limit until 05:40:12 UTC (cancel to stop)`, or for a quota
    /// pause `waiting for salesforce daily API allocation until 00:01 UTC, then resumes by itself
    /// (autoResume; cancel to stop)`.
    public func text(now: Date) -> String {
        let when = Self.clock(until, now: now)
        return autoResume
            ? "waiting for \(what) until \(when), then resumes by itself (autoResume; cancel to stop)"
            : "waiting for \(what) until \(when) (cancel to stop)"
    }

    /// The wait of `run` at `now`, if any; `job` (its job file) tells whether a quota pause
    /// resumes by itself.
    public static func current(store: EventStore, run: RunSummary, job: JobSpec?, now: Date) throws -> RunWait? {
        if run.state.phase == .paused {
            guard let job, let pending = try AutoResume.pending(store: store, job: job), pending.run == run.id else { return nil }
            return RunWait(what: pending.quota, until: pending.dueAt, autoResume: true)
        }
        guard run.state.phase.isRunning, let event = try store.lastEvent(run: run.id, types: ["waiting"]) else { return nil }
        guard let text = event.payload["until"]?.stringValue, let millis = Dates.parseISODateTime(Substring(text)) else { return nil }
        let until = Date(timeIntervalSince1970: Double(millis) / 1000)
        guard until > now else { return nil }
        return RunWait(what: event.payload["for"]?.stringValue ?? "something", until: until, autoResume: false)
    }

    /// `05:40:12 UTC` for a wait under ten minutes, `00:01 UTC` under a day, else `2026-12-06 00:01 UTC`
    /// (minutes rounded up: never before the end).
    static func clock(_ date: Date, now: Date) -> String {
        let full = QuotaExhaustion.utc(date)
        let away = date.timeIntervalSince(now)
        if away >= 86_400 { return full }
        if away >= 600 { return String(full.dropFirst(11)) }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let rounded = Date(timeIntervalSince1970: date.timeIntervalSince1970.rounded(.up))
        let c = calendar.dateComponents([.hour, .minute, .second], from: rounded)
        func two(_ n: Int?) -> String { n.map { $0 < 10 ? "0\($0)" : "\($0)" } ?? "??" }
        return "\(two(c.hour)):\(two(c.minute)):\(two(c.second)) UTC"
    }
}
