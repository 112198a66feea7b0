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
    let refusal: Refusal?
    var phase = Phase.head
    /// When the current phase must be over, in ``ConnectionGuard/monotonicNanoseconds()``; nil for none.
    var deadline: UInt64?
    /// Requests completed on this connection.
    var completed = 0
    var expired = false
    var closed = false

    init(fd: Int32, client: String, refusal: Refusal?) {
        self.fd = fd
        self.client = client
        self.refusal = refusal
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
        var header: UInt64
        var body: UInt64
        var keepAlive: UInt64
        var isTLS: Bool
        /// Refused connections only need to send a head to be told 503: they get less time.
        var refusedHead: UInt64 { min(header, 2_000_000_000) }
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
            deadlineCloses: deadlineCloses)
    }

    /// A connection opened: admitted, or marked to be answered 503.
    func opened(fd: Int32, client: String) -> GuardedConnection {
        condition.lock()
        defer { condition.unlock() }
        let refusal: Refusal?
        if admitted >= Int(limits.connectionLimit) {
            refusal = .serverFull(limit: limits.connectionLimit)
            refusedServerFull += 1
        } else if perClient[client, default: 0] >= Int(limits.connectionsPerClient) {
            refusal = .clientFull(limit: limits.connectionsPerClient)
            refusedClientFull += 1
        } else {
            refusal = nil
            admitted += 1
            perClient[client, default: 0] += 1
        }
        let connection = GuardedConnection(fd: fd, client: client, refusal: refusal)
        connection.deadline = Self.monotonicNanoseconds() + (refusal == nil ? limits.header : limits.refusedHead)
        open[ObjectIdentifier(connection)] = connection
        return connection
    }

    /// A request head is complete: the body's deadline starts.
    func headReceived(_ connection: GuardedConnection) {
        enter(connection, .body, after: connection.refusal == nil ? limits.body : limits.refusedBody)
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
        if connection.refusal == nil {
            admitted -= 1
            let left = perClient[connection.client, default: 1] - 1
            perClient[connection.client] = left > 0 ? left : nil
        }
    }

    private func enter(_ connection: GuardedConnection, _ phase: GuardedConnection.Phase, after: UInt64?) {
        condition.lock()
        defer { condition.unlock() }
        connection.phase = phase
        connection.deadline = after.map { Self.monotonicNanoseconds() + $0 }
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
        connection.expired = true
        deadlineCloses += 1
        guard connection.fd >= 0 else { return }
        if connection.phase == .head, connection.completed == 0, !limits.isTLS {
            let reply = "HTTP/1.1 408 Request Timeout\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"
            _ = reply.withCString { send(connection.fd, $0, strlen($0), Int32(MSG_DONTWAIT | MSG_NOSIGNAL)) }
        }
        shutdown(connection.fd, Int32(SHUT_RDWR))
    }
}
