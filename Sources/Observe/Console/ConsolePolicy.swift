import Foundation
import HTTPServer

/// Where the console may be reached from, and what every answer of it carries.
///
/// - **Host**: every request must name the console by one of its own addresses: the configured
///   public URL, or the address it listens on (`127.0.0.1:PORT`, `localhost:PORT`, `[::1]:PORT`).
///   A page on another name that resolves to the console's address (DNS rebinding) is refused.
/// - **Origin**: a state-changing request that carries an `Origin` must come from one of those
///   origins; `Origin: null` (sandboxed frames, some redirects) is refused. Forms also carry the
///   session's CSRF token, and the session cookie is `SameSite=Strict`.
/// - **Headers**: a content security policy without inline script, no framing, no sniffing, no
///   referrer outside the console, `Secure` cookies and HSTS over TLS.
public final class ConsolePolicy: @unchecked Sendable {
    /// The console's public URL (`--admin-url`), when configured.
    public let publicURL: URL?
    /// Whether the console is served over TLS (cookies get `Secure`, answers HSTS).
    public let tls: Bool
    /// Whether `/metrics` needs a bearer token (the console listens beyond loopback).
    public let metricsNeedToken: Bool
    private let lock = NSLock()
    private var hosts: Set<String> = []
    private var origins: Set<String> = []

    /// A policy; call ``listening(host:port:)`` once the listener's port is known.
    public init(publicURL: URL? = nil, tls: Bool = false, metricsNeedToken: Bool = false) {
        self.publicURL = publicURL
        self.tls = tls
        self.metricsNeedToken = metricsNeedToken
        if let publicURL, let host = publicURL.host {
            let scheme = publicURL.scheme?.lowercased() ?? "https"
            add(scheme: scheme, host: host, port: publicURL.port)
        }
    }

    /// Allows the listener's own address (and, on loopback, the loopback names) as host and origin.
    public func listening(host: String, port: UInt16) {
        let scheme = tls ? "https" : "http"
        add(scheme: scheme, host: host, port: Int(port))
        if Self.isLoopback(host) {
            for name in ["127.0.0.1", "localhost", "::1"] { add(scheme: scheme, host: name, port: Int(port)) }
        }
    }

    private func add(scheme: String, host: String, port: Int?) {
        let h = Self.hostPart(host)
        let defaultPort = scheme == "https" ? 443 : 80
        lock.withLock {
            if port == nil || port == defaultPort {
                hosts.insert(h)
                hosts.insert("\(h):\(defaultPort)")
                origins.insert("\(scheme)://\(h)")
            }
            if let port {
                hosts.insert("\(h):\(port)")
                if port != defaultPort { origins.insert("\(scheme)://\(h):\(port)") }
            }
        }
    }

    static func hostPart(_ host: String) -> String {
        let lowered = host.lowercased()
        return lowered.contains(":") && !lowered.hasPrefix("[") ? "[\(lowered)]" : lowered
    }

    /// Whether `host` is a loopback address or name.
    public static func isLoopback(_ host: String) -> Bool {
        let h = host.lowercased().trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
        return h == "localhost" || h == "::1" || h.hasPrefix("127.")
    }

    /// Whether the `Host` header names the console.
    public func allowsHost(_ host: String?) -> Bool {
        guard let host = host?.lowercased(), !host.isEmpty else { return false }
        return lock.withLock { hosts.contains(host) }
    }

    /// Why a state-changing request's `Origin` is refused, or nil when it is the console's own (or
    /// absent: non-browser clients send none, and the CSRF token still has to match).
    public func originProblem(_ origin: String?) -> String? {
        guard let origin else { return nil }
        let o = origin.lowercased().trimmingCharacters(in: .whitespaces)
        if o == "null" { return "a request from an opaque origin (Origin: null) is refused" }
        return lock.withLock { origins.contains(o) } ? nil : "a request from another site (\(origin.prefix(100))) is refused"
    }

    /// The content security policy: scripts, styles and everything else from the console itself,
    /// no inline script, no plugins, no framing, forms posting only back to it.
    public static let contentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

    /// The headers every console answer carries.
    public var securityHeaders: [(name: String, value: String)] {
        var out: [(name: String, value: String)] = [
            ("Content-Security-Policy", Self.contentSecurityPolicy), ("X-Content-Type-Options", "nosniff"),
            ("X-Frame-Options", "DENY"), ("Referrer-Policy", "same-origin"), ("Cross-Origin-Opener-Policy", "same-origin"),
            ("Cross-Origin-Resource-Policy", "same-origin"),
        ]
        if tls { out.append(("Strict-Transport-Security", "max-age=31536000")) }
        return out
    }

    /// `Set-Cookie` for `name`: HttpOnly, SameSite=Strict, Path=/, Secure over TLS; `maxAge` 0 deletes it.
    public func cookie(_ name: String, _ value: String, maxAge: Int? = nil) -> String {
        var out = "\(name)=\(value); Path=/; HttpOnly; SameSite=Strict"
        if let maxAge { out += "; Max-Age=\(maxAge)" }
        if tls || publicURL?.scheme?.lowercased() == "https" { out += "; Secure" }
        return out
    }
}
