import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// What a client that cannot be served right now is told: 503 with `Retry-After`, never a silent close.
enum Refusal: Sendable, Hashable {
    /// As many connections as ``HTTPServerConfiguration/connectionLimit`` are being served.
    case serverFull(limit: UInt32)
    /// This client address already has ``HTTPServerConfiguration/connectionsPerClient`` connections.
    case clientFull(limit: UInt32)

    /// The reply's text.
    var message: String {
        switch self {
        case .serverFull(let limit): "Service Unavailable: the server is serving its limit of \(limit) connections; retry later"
        case .clientFull(let limit): "Service Unavailable: your address already has \(limit) open connections; retry later"
        }
    }
}

/// Counts of what the connection guard did since the server started.
public struct ConnectionStatistics: Sendable, Hashable {
    /// Connections open now (served and refused).
    public var open: Int
    /// Connections open now that are being served (the rest are answered 503).
    public var admitted: Int
    /// Connections answered 503 because the server was serving its limit.
    public var refusedServerFull: Int
    /// Connections answered 503 because their client address had its limit.
    public var refusedClientFull: Int
    /// Connections closed because a request head, body or reply missed its deadline.
    public var deadlineCloses: Int
    /// Connections closed to make room, when the server (or a client address) was at its limit,
    /// because they had waited longest for a request head.
    public var evicted: Int
}

/// One open connection as the guard sees it. Every field is guarded by the guard's lock.
final class GuardedConnection: @unchecked Sendable {
    enum Phase {
        /// Waiting for a request head (the TLS handshake, request line and header fields).
        case head
        /// The head is in; the body (if any) is being received.
        case body
        /// The handler is running: no deadline (handlers must return; see ``HTTPServer/stop(timeout:)``).
        case handling
        /// The reply is being sent.
        case replying
    }

    let fd: Int32
    let client: String
    /// Why its request is answered 503, once its head is in and no slot was free.
    var refusal: Refusal?
    var phase = Phase.head
    /// When the current phase started, in ``ConnectionGuard/monotonicNanoseconds()``.
    var phaseStarted: UInt64 = 0
    /// Whether it still holds a served slot (admitted and not yet closed or evicted).
    var holdsSlot = false
    /// When the current phase must be over, in ``ConnectionGuard/monotonicNanoseconds()``; nil for none.
    var deadline: UInt64?
    /// Requests completed on this connection.
    var completed = 0
    var expired = false
    var closed = false

    init(fd: Int32, client: String) {
        self.fd = fd
        self.client = client
    }
}

/// Connection limits and deadlines that libmicrohttpd does not give: a total deadline for a request
/// head and for a body (its own timeout is an idle timeout, reset by every byte, so a client that
/// trickles a byte a second holds a connection forever), a limit per client address, and a 503 with
/// `Retry-After` instead of a silent close when the server is full.
///
/// libmicrohttpd tells the guard when a connection opens and closes (its connection callback) and
/// the server's callbacks report each request's progress. A reaper thread closes connections whose
/// phase is past its deadline by shutting their socket down (the connection's own thread then sees
/// the end of the stream and cleans up); on a plain-HTTP connection still waiting for its first
/// head it first writes a `408 Request Timeout`. The socket is only touched under the lock, and
/// libmicrohttpd reports a close (taking that lock) before it closes the socket, so a socket number
/// is never used after it was closed and perhaps reused.
final class ConnectionGuard: @unchecked Sendable {
    struct Limits: Sendable {
        var connectionLimit: UInt32
        var connectionsPerClient: UInt32
        var acceptLimit: UInt32
        var header: UInt64
        var body: UInt64
        var keepAlive: UInt64
        var isTLS: Bool
        /// A refused request's body is read and dropped before the 503: it gets less time.
        var refusedBody: UInt64 { min(body, 5_000_000_000) }
    }

    private let limits: Limits
    private let condition = NSCondition()
    private var open: [ObjectIdentifier: GuardedConnection] = [:]
    private var admitted = 0
    private var perClient: [String: Int] = [:]
    private var refusedServerFull = 0
    private var refusedClientFull = 0
    private var deadlineCloses = 0
    private var evicted = 0
    private var stopping = false
    private var reaperDone = true

    init(limits: Limits) {
        self.limits = limits
    }

    static func monotonicNanoseconds() -> UInt64 {
        DispatchTime.now().uptimeNanoseconds
    }

    /// `seconds` as nanoseconds; zero, negative or not finite means no deadline (about 30 years).
    static func nanoseconds(_ seconds: Double) -> UInt64 {
        guard seconds.isFinite, seconds > 0, seconds < 1e9 else { return 1_000_000_000_000_000_000 }
        return UInt64(seconds * 1e9)
    }

    var statistics: ConnectionStatistics {
        condition.lock()
        defer { condition.unlock() }
        return ConnectionStatistics(
            open: open.count, admitted: admitted, refusedServerFull: refusedServerFull, refusedClientFull: refusedClientFull,
            deadlineCloses: deadlineCloses, evicted: evicted)
    }

    /// A connection opened. It takes no served slot until its request head is complete (see
    /// ``headReceived(_:)``), so connections that trickle their heads never keep a client that
    /// sends its request at once from being served; they only take one of the ``Limits/acceptLimit``
    /// connections the server accepts. Near that limit, the connection that has waited longest for
    /// a request head — at least a second, so never one whose head is merely on its way — is
    /// closed to make room.
    func opened(fd: Int32, client: String) -> GuardedConnection {
        condition.lock()
        defer { condition.unlock() }
        let now = Self.monotonicNanoseconds()
        if open.count + 16 >= Int(limits.acceptLimit) {
            _ = evictLongestWaiting(now: now, client: nil, slotHolders: false)
        }
        let connection = GuardedConnection(fd: fd, client: client)
        connection.phaseStarted = now
        connection.deadline = now + limits.header
        open[ObjectIdentifier(connection)] = connection
        return connection
    }

    /// A request head is complete: the connection takes a served slot (a kept-alive one already
    /// has its own), or is refused and will be answered 503. At a limit (the client's, else the
    /// server's) the kept-alive connection idle longest gives its slot up first. The body's
    /// deadline starts.
    func headReceived(_ connection: GuardedConnection) -> Refusal? {
        condition.lock()
        defer { condition.unlock() }
        let now = Self.monotonicNanoseconds()
        if !connection.holdsSlot {
            let client = connection.client
            if perClient[client, default: 0] >= Int(limits.connectionsPerClient),
                !evictLongestWaiting(now: now, client: client, slotHolders: true)
            {
                connection.refusal = .clientFull(limit: limits.connectionsPerClient)
                refusedClientFull += 1
            } else if admitted >= Int(limits.connectionLimit), !evictLongestWaiting(now: now, client: nil, slotHolders: true) {
                connection.refusal = .serverFull(limit: limits.connectionLimit)
                refusedServerFull += 1
            } else {
                connection.refusal = nil
                admitted += 1
                perClient[client, default: 0] += 1
                connection.holdsSlot = true
            }
        }
        connection.phase = .body
        connection.phaseStarted = now
        connection.deadline = now + (connection.holdsSlot ? limits.body : limits.refusedBody)
        condition.signal()
        return connection.holdsSlot ? nil : connection.refusal
    }

    /// Closes the connection (of `client`, or any; holding a served slot, or any) that has waited
    /// longest for a request head, if one has waited at least a second; its slot is free at once.
    /// Called with the lock held.
    private func evictLongestWaiting(now: UInt64, client: String?, slotHolders: Bool) -> Bool {
        let grace = min(limits.header, 1_000_000_000)
        var victim: GuardedConnection?
        for connection in open.values where connection.phase == .head && !connection.expired {
            guard !slotHolders || connection.holdsSlot, client == nil || connection.client == client,
                now >= connection.phaseStarted + grace
            else { continue }
            if victim == nil || connection.phaseStarted < victim!.phaseStarted { victim = connection }
        }
        guard let victim else { return false }
        evicted += 1
        end(victim)
        releaseSlot(victim)
        return true
    }

    /// Gives back a served connection's slot. Called with the lock held.
    private func releaseSlot(_ connection: GuardedConnection) {
        guard connection.holdsSlot else { return }
        connection.holdsSlot = false
        admitted -= 1
        let left = perClient[connection.client, default: 1] - 1
        perClient[connection.client] = left > 0 ? left : nil
    }

    /// The body is complete: the handler runs without a deadline.
    func handling(_ connection: GuardedConnection) {
        enter(connection, .handling, after: nil)
    }

    /// The reply is queued: it must be sent within the body deadline.
    func replying(_ connection: GuardedConnection) {
        enter(connection, .replying, after: limits.body)
    }

    /// A request finished: a kept-alive connection must send its next head within the keep-alive time.
    func completed(_ connection: GuardedConnection) {
        condition.lock()
        connection.completed += 1
        condition.unlock()
        enter(connection, .head, after: limits.keepAlive)
    }

    /// libmicrohttpd is closing the connection (its socket is closed after this returns).
    func closed(_ connection: GuardedConnection) {
        condition.lock()
        defer { condition.unlock() }
        guard !connection.closed else { return }
        connection.closed = true
        open[ObjectIdentifier(connection)] = nil
        releaseSlot(connection)
    }

    private func enter(_ connection: GuardedConnection, _ phase: GuardedConnection.Phase, after: UInt64?) {
        condition.lock()
        defer { condition.unlock() }
        let now = Self.monotonicNanoseconds()
        connection.phase = phase
        connection.phaseStarted = now
        connection.deadline = after.map { now + $0 }
        condition.signal()
    }

    /// Starts the reaper thread.
    func start() {
        condition.lock()
        reaperDone = false
        condition.unlock()
        let thread = Thread { [self] in reap() }
        thread.name = "mapc-http-deadlines"
        thread.start()
    }

    /// Stops the reaper thread and waits for it.
    func stop() {
        condition.lock()
        stopping = true
        condition.broadcast()
        while !reaperDone {
            condition.wait()
        }
        condition.unlock()
    }

    private func reap() {
        condition.lock()
        while !stopping {
            let now = Self.monotonicNanoseconds()
            var next = now + 500_000_000
            for connection in open.values where !connection.expired && !connection.closed {
                guard let deadline = connection.deadline else { continue }
                if deadline <= now {
                    expire(connection)
                } else {
                    next = min(next, deadline)
                }
            }
            _ = condition.wait(until: Date(timeIntervalSinceNow: Double(next - now) / 1e9 + 0.001))
        }
        reaperDone = true
        condition.broadcast()
        condition.unlock()
    }

    /// Ends a connection past its deadline. Called with the lock held, on a connection not yet closed.
    private func expire(_ connection: GuardedConnection) {
        deadlineCloses += 1
        end(connection)
    }

    /// Shuts a connection's socket down (after a 408 when it is still waiting for its first head on
    /// plain HTTP); its own thread then closes it. Called with the lock held, on a connection not
    /// yet closed.
    private func end(_ connection: GuardedConnection) {
        connection.expired = true
        guard connection.fd >= 0 else { return }
        if connection.phase == .head, connection.completed == 0, !limits.isTLS {
            let reply = "HTTP/1.1 408 Request Timeout\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"
            _ = reply.withCString { send(connection.fd, $0, strlen($0), Int32(MSG_DONTWAIT | MSG_NOSIGNAL)) }
        }
        shutdown(connection.fd, Int32(SHUT_RDWR))
    }
}
