import Foundation
import HTTPServer
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// A blocking TCP client that sends exactly the bytes it is given, from a chosen loopback address.
final class RawConnection: @unchecked Sendable {
    let fd: Int32

    /// Connects to 127.0.0.1:`port` from `source` (any 127.x.y.z is this machine too).
    init(port: UInt16, from source: String = "127.0.0.1") throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.EMFILE) }
        var local = sockaddr_in()
        local.sin_family = sa_family_t(AF_INET)
        inet_pton(AF_INET, source, &local.sin_addr)
        var remote = sockaddr_in()
        remote.sin_family = sa_family_t(AF_INET)
        remote.sin_port = port.bigEndian
        inet_pton(AF_INET, "127.0.0.1", &remote.sin_addr)
        let bound = withUnsafePointer(to: &local) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        let connected = withUnsafePointer(to: &remote) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, connected == 0 else {
            close(fd)
            throw POSIXError(.ECONNREFUSED)
        }
        // Reads give up after a minute, far beyond any deadline the tests set: a test that would
        // otherwise hang fails instead.
        var timeout = timeval(tv_sec: 60, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit {
        close(fd)
    }

    /// Sends `text`; false when the server has closed the connection.
    @discardableResult
    func send(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        return bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) } == bytes.count
    }

    /// Everything the server sends until it closes the connection; `closed` is false when the
    /// read timed out instead.
    func readUntilClosed() -> (text: String, closed: Bool) {
        var out: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n > 0 {
                out += buffer[0..<n]
            } else {
                return (String(decoding: out, as: UTF8.self), n == 0 || errno == ECONNRESET)
            }
        }
    }

    /// Reads until `marker` has arrived (or the connection closed); what was read.
    func read(until marker: String) -> String {
        var out: [UInt8] = []
        var byte: UInt8 = 0
        while !String(decoding: out, as: UTF8.self).hasSuffix(marker), recv(fd, &byte, 1, 0) == 1 {
            out.append(byte)
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Sends a head announcing a 2-byte body with `Expect: 100-continue` and waits for the
    /// `100 Continue`: the server has taken the head in (and given it a slot, or not).
    func sendHeadAndWaitForContinue() -> Bool {
        send("POST /x HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\n")
            && read(until: "\r\n\r\n").hasPrefix("HTTP/1.1 100")
    }

    /// The status code of the first reply, reading until the connection closes.
    func status() -> Int? {
        let text = readUntilClosed().text
        guard text.hasPrefix("HTTP/1.1 ") else { return nil }
        return Int(text.dropFirst(9).prefix(3))
    }
}

/// Clients a hostile world sends (issue 14): trickled heads and bodies, more connections than the
/// server serves, one client hogging the server.
@Suite(.timeLimit(.minutes(3))) struct HTTPServerHostileClientTests {
    static func router(_ calls: Counter = Counter()) -> Router {
        var router = Router()
        router.add("*", "/*") { _ in
            calls.increment()
            return .text("ok")
        }
        return router
    }

    /// Runs blocking socket work on a thread of its own: the tests' cooperative pool is small and
    /// shared with every other suite, and a read that waits for a deadline must not hold it.
    static func off<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread { continuation.resume(with: Result { try body() }) }
        }
    }

    final class Counter: @unchecked Sendable {
        private let lock = NSLock()
        private var n = 0
        func increment() { lock.withLock { n += 1 } }
        var value: Int { lock.withLock { n } }
    }

    /// The idle timeout is reset by every byte: a head trickled a byte at a time held a connection
    /// (and a thread) forever. The header deadline counts from the connection's start.
    @Test func aTrickledRequestHeadIsClosedAtTheHeaderDeadlineWith408() async throws {
        let calls = Counter()
        let server = try HTTPServer.start(
            configuration: .init(connectionTimeoutSeconds: 120, headerTimeoutSeconds: 1), router: Self.router(calls))
        defer { server.stop() }
        let client = try await Self.off { try RawConnection(port: server.port) }
        #expect(client.send("GET /x HTTP/1.1\r\nHost: localhost\r\n"))
        // The attacker's pacing: a header byte every 100 ms, until the server hangs up.
        let trickler = Thread {
            while client.send("a") { usleep(100_000) }
        }
        trickler.start()
        let reply = try await Self.off { client.readUntilClosed() }
        #expect(reply.closed)
        #expect(reply.text.hasPrefix("HTTP/1.1 408 Request Timeout"))
        #expect(calls.value == 0)
        #expect(server.connectionStatistics.deadlineCloses == 1)
    }

    @Test func aTrickledBodyIsClosedAtTheBodyDeadline() async throws {
        let calls = Counter()
        let server = try HTTPServer.start(
            configuration: .init(connectionTimeoutSeconds: 120, headerTimeoutSeconds: 60, bodyTimeoutSeconds: 1), router: Self.router(calls)
        )
        defer { server.stop() }
        let client = try await Self.off { try RawConnection(port: server.port) }
        #expect(client.send("POST /x HTTP/1.1\r\nHost: localhost\r\nContent-Length: 100000\r\n\r\n"))
        let trickler = Thread {
            while client.send("b") { usleep(100_000) }
        }
        trickler.start()
        let reply = try await Self.off { client.readUntilClosed() }
        #expect(reply.closed)
        #expect(calls.value == 0)
        #expect(server.connectionStatistics.deadlineCloses == 1)
    }

    /// A connection that never sends anything is closed too, TLS or not.
    @Test func aSilentConnectionIsClosedAtTheHeaderDeadline() async throws {
        let server = try HTTPServer.start(
            configuration: .init(connectionTimeoutSeconds: 120, headerTimeoutSeconds: 1), router: Self.router())
        defer { server.stop() }
        let client = try await Self.off { try RawConnection(port: server.port) }
        #expect(try await Self.off { client.readUntilClosed() }.closed)
        #expect(server.connectionStatistics.deadlineCloses == 1)
    }

    /// No deadline of the server's may end a connection these tests hold open on purpose, however
    /// long the machine makes them wait between two steps: the test task can wait a long time for
    /// a thread of the shared pool under load, and a held connection closed by a deadline (the
    /// head's, the body's, libmicrohttpd's idle timeout) frees its slot, so the request meant to be
    /// refused is served (seen once in a full `make test` on a busy machine: the head's 60 s
    /// deadline passed between opening a connection and sending its head).
    static let noDeadlines = (connection: UInt32(3600), head: 3600.0, body: 3600.0)

    /// Opens a connection and sends a head announcing a body, in one step on a thread of its own.
    static func holder(_ server: HTTPServer, from source: String = "127.0.0.1") async throws -> (RawConnection, Bool) {
        try await off {
            let connection = try RawConnection(port: server.port, from: source)
            return (connection, connection.sendHeadAndWaitForContinue())
        }
    }

    /// Over the limit the answer is 503 with Retry-After, not a connection closed without a word.
    @Test func requestsOverTheLimitGet503WithRetryAfter() async throws {
        let calls = Counter()
        let server = try HTTPServer.start(
            configuration: .init(
                connectionTimeoutSeconds: Self.noDeadlines.connection, connectionLimit: 2, connectionsPerClient: 3,
                headerTimeoutSeconds: Self.noDeadlines.head, bodyTimeoutSeconds: Self.noDeadlines.body),
            router: Self.router(calls))
        defer { server.stop() }
        // Two requests whose bodies are still on their way hold both slots.
        var holders: [RawConnection] = []
        for _ in 0..<2 {
            let (holder, continued) = try await Self.holder(server)
            #expect(continued)
            holders.append(holder)
        }
        let extra = try await Self.off { try RawConnection(port: server.port) }
        #expect(extra.send("GET /x HTTP/1.1\r\nHost: localhost\r\n\r\n"))
        let refused = try await Self.off { extra.readUntilClosed().text }
        #expect(refused.hasPrefix("HTTP/1.1 503 Service Unavailable"))
        #expect(refused.contains("Retry-After: 5"))
        #expect(refused.contains("limit of 2 connections"))
        #expect(calls.value == 0)
        for holder in holders {
            #expect(holder.send("{}"))
            #expect(try await Self.off { holder.status() } == 200)
        }
        #expect(calls.value == 2)
        #expect(server.connectionStatistics.refusedServerFull == 1)
        #expect(server.connectionStatistics.deadlineCloses == 0 && server.connectionStatistics.evicted == 0)
        // Every connection has been answered and closed: the slots are free again.
        let later = try await Self.off { try RawConnection(port: server.port) }
        #expect(later.send("GET /x HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"))
        #expect(try await Self.off { later.status() } == 200)
    }

    /// Connections still sending their heads take no slot: a request sent at once is served even
    /// while as many slow connections as the limit are open.
    @Test func connectionsWithoutACompleteHeadTakeNoSlot() async throws {
        let server = try HTTPServer.start(
            configuration: .init(connectionLimit: 2, connectionsPerClient: 2, headerTimeoutSeconds: 60), router: Self.router())
        defer { server.stop() }
        let slow = try await Self.off { try (0..<4).map { _ in try RawConnection(port: server.port) } }
        for connection in slow {
            #expect(connection.send("POST /x HTTP/1.1\r\nHost: local"))
        }
        let prompt = try await Self.off { try RawConnection(port: server.port) }
        #expect(prompt.send("GET /x HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"))
        #expect(try await Self.off { prompt.status() } == 200)
    }

    /// One client address cannot take every slot: its extra requests get 503, others are served.
    @Test func oneClientOverItsLimitGets503AndAnotherIsServed() async throws {
        let server = try HTTPServer.start(
            configuration: .init(
                connectionTimeoutSeconds: Self.noDeadlines.connection, connectionLimit: 10, connectionsPerClient: 1,
                headerTimeoutSeconds: Self.noDeadlines.head, bodyTimeoutSeconds: Self.noDeadlines.body),
            router: Self.router())
        defer { server.stop() }
        let (hog, continued) = try await Self.holder(server, from: "127.0.0.1")
        #expect(continued)
        let same = try await Self.off { try RawConnection(port: server.port, from: "127.0.0.1") }
        #expect(same.send("GET /x HTTP/1.1\r\nHost: localhost\r\n\r\n"))
        let refused = try await Self.off { same.readUntilClosed().text }
        #expect(refused.hasPrefix("HTTP/1.1 503"))
        #expect(refused.contains("your address already has 1 open connections"))
        let other = try await Self.off { try RawConnection(port: server.port, from: "127.0.0.2") }
        #expect(other.send("GET /x HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"))
        #expect(try await Self.off { other.status() } == 200)
        #expect(server.connectionStatistics.refusedClientFull == 1)
        #expect(hog.send("{}"))
        #expect(try await Self.off { hog.status() } == 200)
        #expect(server.connectionStatistics.deadlineCloses == 0 && server.connectionStatistics.evicted == 0)
    }

    /// How the flaky failure above came about, made certain: a connection whose head arrives after
    /// the head deadline is answered 408 (no `100 Continue`) and holds no slot, so the next client
    /// is served. Correct for the server; the tests above hold their connections with no deadlines.
    @Test func aHeadSentAfterTheHeadDeadlineGets408AndHoldsNoSlot() async throws {
        let server = try HTTPServer.start(
            configuration: .init(connectionLimit: 10, connectionsPerClient: 1, headerTimeoutSeconds: 1), router: Self.router())
        defer { server.stop() }
        let late = try await Self.off { try RawConnection(port: server.port) }
        // The deadline passes before the head is sent: the server closes the connection with a 408.
        let closed = try await Self.off { late.readUntilClosed() }
        #expect(closed.closed && closed.text.hasPrefix("HTTP/1.1 408"))
        #expect(!late.sendHeadAndWaitForContinue())
        // Connected and sent in one step, on a thread of its own: a head that waited for the
        // tests' shared pool past the deadline would get the same 408 (seen under load).
        let status = try await Self.off {
            let other = try RawConnection(port: server.port)
            return other.send("GET /x HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n") ? other.status() : nil
        }
        #expect(status == 200)
        #expect(server.connectionStatistics.deadlineCloses == 1)
    }

    /// 2,000 connections opened at once: 1,744 were closed without a reply. Now every one is
    /// answered, served or 503.
    @Test func twoThousandConnectionsAtOnceAreEachAnswered() async throws {
        let server = try HTTPServer.start(configuration: .init(connectionsPerClient: 256), router: Self.router())
        defer { server.stop() }
        let statuses = try await Self.off {
            var clients: [RawConnection] = []
            for _ in 0..<2000 {
                let client = try RawConnection(port: server.port)
                guard client.send("GET /x HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n") else { break }
                clients.append(client)
            }
            var statuses: [Int?: Int] = [:]
            for client in clients {
                statuses[client.status(), default: 0] += 1
            }
            return statuses
        }
        #expect(statuses[nil] == nil, "\(statuses)")
        #expect((statuses[200] ?? 0) + (statuses[503] ?? 0) == 2000, "\(statuses)")
        #expect((statuses[200] ?? 0) >= 256)
    }
}
