import Crypto
import Foundation

/// A signed-in operator's session: who, with which role, and the token every form must send back.
public struct Session: Sendable, Hashable {
    /// The random id (the cookie's value).
    public var id: String
    /// The operator.
    public var name: String
    /// The role the operator had when signing in (checked again against the file on every request).
    public var role: OperatorRole
    /// The CSRF token of this session: every state-changing form carries it.
    public var csrf: String
    /// When the session began.
    public var created: Date
    /// When it was last used.
    public var lastSeen: Date
}

/// The server-side table of sessions. The cookie holds only a random 256-bit id; everything else
/// stays here. A session ends at sign-out, after ``idleTimeout`` without a request, or
/// ``absoluteTimeout`` after sign-in; a restart of `mapc serve` ends them all.
public final class SessionTable: @unchecked Sendable {
    /// The cookie that carries the session id.
    public static let cookie = "mapc_session"

    /// Seconds without a request after which a session ends.
    public let idleTimeout: Double
    /// Seconds after sign-in after which a session ends.
    public let absoluteTimeout: Double
    /// Most sessions at once; the least recently used one ends to make room.
    public let capacity: Int
    private let clock: WallClock
    private let lock = NSLock()
    private var sessions: [String: Session] = [:]

    /// Creates an empty table.
    public init(
        idleTimeout: Double = 30 * 60, absoluteTimeout: Double = 12 * 3600, capacity: Int = 10_000, clock: WallClock = SystemWallClock()
    ) {
        self.idleTimeout = idleTimeout
        self.absoluteTimeout = absoluteTimeout
        self.capacity = max(1, capacity)
        self.clock = clock
    }

    /// Starts a session for `record`.
    public func create(for record: OperatorRecord) -> Session {
        let now = clock.now()
        let session = Session(
            id: SecureRandom.token(32), name: record.name, role: record.role, csrf: SecureRandom.token(32), created: now, lastSeen: now)
        lock.withLock {
            sweep(now)
            if sessions.count >= capacity, let oldest = sessions.values.min(by: { $0.lastSeen < $1.lastSeen }) {
                sessions[oldest.id] = nil
            }
            sessions[session.id] = session
        }
        return session
    }

    /// The live session with `id` (its last use set to now), or nil.
    public func lookup(_ id: String) -> Session? {
        guard id.utf8.count <= 128 else { return nil }
        let now = clock.now()
        return lock.withLock {
            guard var s = sessions[id] else { return nil }
            guard !expired(s, now) else {
                sessions[id] = nil
                return nil
            }
            s.lastSeen = now
            sessions[id] = s
            return s
        }
    }

    /// Ends the session `id`.
    public func remove(_ id: String) {
        lock.withLock { sessions[id] = nil }
    }

    /// Sessions alive now.
    public var count: Int {
        let now = clock.now()
        return lock.withLock {
            sweep(now)
            return sessions.count
        }
    }

    private func expired(_ s: Session, _ now: Date) -> Bool {
        now.timeIntervalSince(s.lastSeen) > idleTimeout || now.timeIntervalSince(s.created) > absoluteTimeout
    }

    private func sweep(_ now: Date) {
        sessions = sessions.filter { !expired($0.value, now) }
    }
}
