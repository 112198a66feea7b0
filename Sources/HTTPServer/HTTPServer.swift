import CMicroHTTPD
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Settings for ``HTTPServer/start(configuration:router:)``.
public struct HTTPServerConfiguration: Sendable {
    /// Numeric IPv4 or IPv6 address to bind, e.g. `127.0.0.1` or `::1`; `localhost` means `127.0.0.1`.
    public var host: String
    /// Port to bind; 0 lets the system pick a free one (read it back from ``HTTPServer/port``).
    public var port: UInt16
    /// Largest accepted request body in bytes; larger bodies are read, discarded and answered with 413.
    public var maxBodyBytes: Int
    /// Seconds an idle connection may stay open, and the most a kept-alive connection may take to
    /// send its next request head.
    public var connectionTimeoutSeconds: UInt32
    /// Most connections served at once: a connection takes a slot when its first request head is
    /// complete and keeps it until it closes. Requests beyond it are answered
    /// `503 Service Unavailable` with `Retry-After` (after the kept-alive connection idle longest
    /// gives its slot up, if any), never dropped. Connections still sending a head take no slot.
    public var connectionLimit: UInt32
    /// Most slots one client address may hold (more are answered 503 like ``connectionLimit``);
    /// nil for a quarter of ``connectionLimit``. Behind a proxy every client has the proxy's
    /// address: raise it there.
    public var connectionsPerClient: UInt32?
    /// Seconds a new connection has to deliver a complete request head (TLS handshake, request line
    /// and header fields), however steadily the bytes trickle in; then it is closed (`408` first on
    /// plain HTTP).
    public var headerTimeoutSeconds: Double
    /// Seconds a request body may take once the head is in, and a reply once it is queued.
    public var bodyTimeoutSeconds: Double
    /// Serve HTTPS with this certificate and key (libmicrohttpd over GnuTLS); nil for plain HTTP.
    public var tls: TLSConfiguration?

    /// Creates a configuration; the defaults bind loopback on a free port with a 10 MiB body limit.
    public init(
        host: String = "127.0.0.1",
        port: UInt16 = 0,
        maxBodyBytes: Int = 10 * 1024 * 1024,
        connectionTimeoutSeconds: UInt32 = 30,
        connectionLimit: UInt32 = 256,
        connectionsPerClient: UInt32? = nil,
        headerTimeoutSeconds: Double = 10,
        bodyTimeoutSeconds: Double = 30,
        tls: TLSConfiguration? = nil
    ) {
        self.host = host
        self.port = port
        self.maxBodyBytes = maxBodyBytes
        self.connectionTimeoutSeconds = connectionTimeoutSeconds
        self.connectionLimit = connectionLimit
        self.connectionsPerClient = connectionsPerClient
        self.headerTimeoutSeconds = headerTimeoutSeconds
        self.bodyTimeoutSeconds = bodyTimeoutSeconds
        self.tls = tls
    }

    /// Connections open at once, whatever their state: eight times ``connectionLimit``, at least
    /// 2,048 (one thread each). Near it the connection that has waited longest (over a second) for
    /// a request head is closed to make room; at it libmicrohttpd closes new connections as it
    /// accepts them.
    public var acceptLimit: UInt32 {
        let (eight, overflow) = max(connectionLimit, 1).multipliedReportingOverflow(by: 8)
        return overflow ? UInt32.max : max(eight, 2048)
    }

    /// ``connectionsPerClient`` with its default applied.
    public var effectiveConnectionsPerClient: UInt32 {
        connectionsPerClient ?? max(1, connectionLimit / 4)
    }
}

/// A certificate chain and its private key, PEM-encoded, for an HTTPS server.
public struct TLSConfiguration: Sendable, Hashable {
    /// The certificate (and any intermediates), PEM.
    public var certificatePEM: String
    /// The private key, PEM, unencrypted.
    public var privateKeyPEM: String

    /// Creates a configuration from PEM text.
    public init(certificatePEM: String, privateKeyPEM: String) {
        self.certificatePEM = certificatePEM
        self.privateKeyPEM = privateKeyPEM
    }

    /// Reads the certificate and key files (PEM; at most 1 MiB each).
    ///
    /// - Throws: ``HTTPServerError`` naming the file that cannot be read or is not PEM. The key's
    ///   contents never appear in the message.
    public static func load(certificateFile: String, keyFile: String) throws -> TLSConfiguration {
        func read(_ path: String, _ what: String, _ marker: String) throws -> String {
            guard let data = FileManager.default.contents(atPath: path) else {
                throw HTTPServerError(description: "cannot read the TLS \(what) file \(path)")
            }
            guard data.count <= 1 << 20, let text = String(data: data, encoding: .utf8), text.contains("-----BEGIN "),
                text.contains(marker)
            else {
                throw HTTPServerError(description: "the TLS \(what) file \(path) is not a PEM \(what)")
            }
            return text
        }
        return TLSConfiguration(
            certificatePEM: try read(certificateFile, "certificate", "CERTIFICATE-----"),
            privateKeyPEM: try read(keyFile, "key", "PRIVATE KEY-----"))
    }
}

/// Why a server could not start.
public struct HTTPServerError: Error, Sendable, CustomStringConvertible {
    /// A one-line explanation.
    public let description: String
}

/// A small HTTP/1.1 server over libmicrohttpd, one thread per connection.
///
/// Handlers run synchronously on the connection's thread, so a slow handler delays only its own
/// client. ``stop(timeout:)`` stops accepting connections, waits for requests already being served
/// to finish (answering new requests on open keep-alive connections with 503), then shuts down.
///
/// ```swift
/// var router = Router()
/// router.add("GET", "/hello/:name") { request in .text("hi \(request.parameter("name")!)") }
/// let server = try HTTPServer.start(router: router)
/// defer { server.stop() }
/// print(server.baseURL)
/// ```
public final class HTTPServer: Sendable {
    /// The host the server is bound to, as configured.
    public let host: String
    /// The bound port (the system-chosen one when 0 was requested).
    public let port: UInt16
    /// Whether the server speaks HTTPS.
    public let isTLS: Bool
    private let core: ServerCore

    private init(host: String, port: UInt16, isTLS: Bool, core: ServerCore) {
        self.host = host
        self.port = port
        self.isTLS = isTLS
        self.core = core
    }

    deinit {
        stop()
    }

    /// `http://host:port` (`https` with TLS; IPv6 hosts in brackets), with no trailing slash.
    public var baseURL: URL {
        let hostPart = host.contains(":") ? "[\(host)]" : host
        return URL(string: "\(isTLS ? "https" : "http")://\(hostPart):\(port)")!
    }

    /// Requests accepted and not yet completed (response sent or connection closed).
    public var inFlightRequests: Int {
        core.inFlight
    }

    /// What the connection limits and deadlines did so far, and the connections open now.
    public var connectionStatistics: ConnectionStatistics {
        core.connections.statistics
    }

    /// Binds and starts serving `router` in background threads.
    ///
    /// - Throws: ``HTTPServerError`` when the host is not a numeric address or the daemon cannot start
    ///   (e.g. the port is taken).
    public static func start(
        configuration: HTTPServerConfiguration = HTTPServerConfiguration(),
        router: Router
    ) throws -> HTTPServer {
        let host = configuration.host == "localhost" ? "127.0.0.1" : configuration.host
        if configuration.tls != nil, mapc_mhd_supports_tls() == 0 {
            throw HTTPServerError(description: "this libmicrohttpd was built without TLS support")
        }
        let limits = ConnectionGuard.Limits(
            connectionLimit: max(configuration.connectionLimit, 1),
            connectionsPerClient: max(configuration.effectiveConnectionsPerClient, 1),
            acceptLimit: configuration.acceptLimit,
            header: ConnectionGuard.nanoseconds(configuration.headerTimeoutSeconds),
            body: ConnectionGuard.nanoseconds(configuration.bodyTimeoutSeconds),
            keepAlive: ConnectionGuard.nanoseconds(max(Double(configuration.connectionTimeoutSeconds), configuration.headerTimeoutSeconds)),
            isTLS: configuration.tls != nil)
        let core = ServerCore(router: router, maxBodyBytes: configuration.maxBodyBytes, tls: configuration.tls, limits: limits)
        let retained = Unmanaged.passRetained(core)
        let context = retained.toOpaque()
        let daemon: OpaquePointer?
        if let v4 = ipv4Address(host, port: configuration.port) {
            var address = v4
            daemon = withUnsafePointer(to: &address) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { socketAddress in
                    startDaemon(ipv6: false, address: socketAddress, context: context, configuration)
                }
            }
        } else if let v6 = ipv6Address(host, port: configuration.port) {
            var address = v6
            daemon = withUnsafePointer(to: &address) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { socketAddress in
                    startDaemon(ipv6: true, address: socketAddress, context: context, configuration)
                }
            }
        } else {
            retained.release()
            throw HTTPServerError(description: "host '\(configuration.host)' is not a numeric IPv4 or IPv6 address")
        }
        guard let daemon else {
            retained.release()
            throw HTTPServerError(
                description: "could not start HTTP server on \(host):\(configuration.port) ("
                    + (configuration.tls == nil ? "address in use?" : "address in use, or a certificate and key that do not match?") + ")")
        }
        core.attach(daemon: daemon, retained: retained)
        let port = mapc_mhd_bound_port(daemon)
        return HTTPServer(host: host, port: port == 0 ? configuration.port : port, isTLS: configuration.tls != nil, core: core)
    }

    /// Stops the server: stops accepting, waits up to `timeout` seconds for in-flight requests, then
    /// closes every connection and joins the server threads. Safe to call more than once.
    ///
    /// Handlers still running after `timeout` are waited for anyway (their threads must be joined);
    /// a handler that never returns blocks `stop` forever, so handlers that wait must be interruptible.
    public func stop(timeout: TimeInterval = 10) {
        core.stop(timeout: timeout)
    }

    private static func startDaemon(
        ipv6: Bool,
        address: UnsafePointer<sockaddr>,
        context: UnsafeMutableRawPointer,
        _ configuration: HTTPServerConfiguration
    ) -> OpaquePointer? {
        mapc_mhd_start(
            mapc_mhd_thread_per_connection_flags(ipv6 ? 1 : 0),
            address,
            mhdAccessHandler, context,
            mhdRequestCompleted, context,
            mhdRequestTargetReceived, context,
            mhdConnectionNotified, context,
            configuration.connectionTimeoutSeconds,
            64 * 1024,
            configuration.acceptLimit,
            4096,
            Unmanaged<ServerCore>.fromOpaque(context).takeUnretainedValue().tlsKey,
            Unmanaged<ServerCore>.fromOpaque(context).takeUnretainedValue().tlsCertificate)
    }

    private static func ipv4Address(_ host: String, port: UInt16) -> sockaddr_in? {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        guard inet_pton(AF_INET, host, &address.sin_addr) == 1 else { return nil }
        return address
    }

    private static func ipv6Address(_ host: String, port: UInt16) -> sockaddr_in6? {
        var address = sockaddr_in6()
        address.sin6_family = sa_family_t(AF_INET6)
        address.sin6_port = port.bigEndian
        guard inet_pton(AF_INET6, host, &address.sin6_addr) == 1 else { return nil }
        return address
    }
}
