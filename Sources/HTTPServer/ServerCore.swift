import CMicroHTTPD
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// The state shared between the Swift server object and the libmicrohttpd callbacks.
///
/// libmicrohttpd receives an unmanaged, retained reference to this object as its `cls` pointer; the
/// reference is released only after `MHD_stop_daemon` has returned, so callbacks never see a dangling
/// pointer. Mutable state is guarded by `condition`.
final class ServerCore: @unchecked Sendable {
    let router: Router
    let maxBodyBytes: Int
    /// Connection limits and deadlines.
    let connections: ConnectionGuard
    /// The TLS key and certificate as C strings, kept for the daemon's lifetime (libmicrohttpd
    /// keeps the pointers it is given); nil for plain HTTP.
    let tlsKey: UnsafeMutablePointer<CChar>?
    let tlsCertificate: UnsafeMutablePointer<CChar>?

    private let condition = NSCondition()
    private var daemon: OpaquePointer?
    private var retained: Unmanaged<ServerCore>?
    private var inFlightCount = 0
    private var stopping = false
    private var stopped = false

    init(router: Router, maxBodyBytes: Int, tls: TLSConfiguration?, limits: ConnectionGuard.Limits) {
        self.router = router
        self.maxBodyBytes = maxBodyBytes
        self.connections = ConnectionGuard(limits: limits)
        tlsKey = tls.map { strdup($0.privateKeyPEM) }
        tlsCertificate = tls.map { strdup($0.certificatePEM) }
    }

    deinit {
        if let tlsKey {
            // The key leaves memory with the server.
            memset(tlsKey, 0, strlen(tlsKey))
            free(tlsKey)
        }
        free(tlsCertificate)
    }

    func attach(daemon: OpaquePointer, retained: Unmanaged<ServerCore>) {
        condition.lock()
        self.daemon = daemon
        self.retained = retained
        condition.unlock()
        connections.start()
    }

    var inFlight: Int {
        condition.lock()
        defer { condition.unlock() }
        return inFlightCount
    }

    /// Counts a new request in; returns false when the server is draining and the request must be refused.
    func requestBegan() -> Bool {
        condition.lock()
        defer { condition.unlock() }
        inFlightCount += 1
        return !stopping
    }

    func requestEnded() {
        condition.lock()
        inFlightCount -= 1
        condition.broadcast()
        condition.unlock()
    }

    func stop(timeout: TimeInterval) {
        condition.lock()
        if stopping {
            // Another caller is stopping: wait for it to finish so every caller returns after shutdown.
            while !stopped {
                condition.wait()
            }
            condition.unlock()
            return
        }
        stopping = true
        let daemon = self.daemon
        condition.unlock()

        guard let daemon else { return }
        let listenSocket = MHD_quiesce_daemon(daemon)
        condition.lock()
        let deadline = Date(timeIntervalSinceNow: timeout)
        while inFlightCount > 0 && condition.wait(until: deadline) {}
        condition.unlock()

        MHD_stop_daemon(daemon)
        if listenSocket >= 0 {
            close(listenSocket)
        }
        connections.stop()
        condition.lock()
        self.daemon = nil
        let retained = self.retained
        self.retained = nil
        stopped = true
        condition.broadcast()
        condition.unlock()
        retained?.release()
    }
}
