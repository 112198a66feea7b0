import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `mapc serve --connections N --connections-per-client M`: behind a reverse proxy every platform
/// has the proxy's address, so the per-client limit must be raisable from the command line.
@Suite(.serialized) struct ServeConnectionLimitTests {
    /// A blocking loopback connection from `source` (any 127.x.y.z is this machine).
    final class Client {
        let fd: Int32

        init(port: UInt16, from source: String) throws {
            fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var local = sockaddr_in()
            local.sin_family = sa_family_t(AF_INET)
            inet_pton(AF_INET, source, &local.sin_addr)
            var remote = sockaddr_in()
            remote.sin_family = sa_family_t(AF_INET)
            remote.sin_port = port.bigEndian
            inet_pton(AF_INET, "127.0.0.1", &remote.sin_addr)
            let size = socklen_t(MemoryLayout<sockaddr_in>.size)
            let bound = withUnsafePointer(to: &local) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, size) } }
            let connected = withUnsafePointer(to: &remote) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, size) }
            }
            // A read that would hang fails the test instead.
            var timeout = timeval(tv_sec: 60, tv_usec: 0)
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            guard fd >= 0, bound == 0, connected == 0 else { throw POSIXError(.ECONNREFUSED) }
        }

        deinit { close(fd) }

        func send(_ text: String) {
            let bytes = Array(text.utf8)
            _ = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        }

        /// Reads until `marker` arrived or the connection closed.
        func read(until marker: String? = nil) -> String {
            var out: [UInt8] = []
            var byte: UInt8 = 0
            while marker.map({ !String(decoding: out, as: UTF8.self).hasSuffix($0) }) ?? true, recv(fd, &byte, 1, 0) == 1 {
                out.append(byte)
            }
            return String(decoding: out, as: UTF8.self)
        }

        /// Sends a head announcing a body and waits for `100 Continue`: it now holds a slot.
        func hold() -> Bool {
            send("POST /webhooks/segment HTTP/1.1\r\nHost: localhost\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\n")
            return read(until: "\r\n\r\n").hasPrefix("HTTP/1.1 100")
        }

        /// The status line of the reply to a request sent at once (reading until the server closes).
        func get() -> String {
            send("GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
            return read().split(separator: "\r\n").first.map(String.init) ?? ""
        }
    }

    @Test(.enabled(if: ServeListenersTests.mapcBinary() != nil, "needs the mapc executable"), .timeLimit(.minutes(2)))
    func thePerClientLimitIsTheOptionsNotAQuarterOfTheTotal() throws {
        // The default would be a quarter of 8: 2 per client. The option allows 3.
        let serve = try ServeListenersTests.Serve(
            ["--listen", "127.0.0.1:0", "--admin-listen", "none", "--connections", "8", "--connections-per-client", "3"],
            environment: [:])
        defer { _ = serve.stop() }
        #expect(serve.line(containing: "8 requests at once, 3 per client address") != nil)
        let port = try serve.port("webhooks on")
        let held = try (0..<3).map { _ in try Client(port: port, from: "127.0.0.1") }
        for client in held { #expect(client.hold()) }
        let fourth = try Client(port: port, from: "127.0.0.1").get()
        #expect(fourth.hasPrefix("HTTP/1.1 503"), "\(fourth)")
        #expect(try Client(port: port, from: "127.0.0.2").get().hasPrefix("HTTP/1.1 200"))
    }

    @Test(.enabled(if: ServeListenersTests.mapcBinary() != nil, "needs the mapc executable"), .timeLimit(.minutes(2)))
    func connectionLimitsOutOfRangeAreUsageErrors() throws {
        for args in [
            ["--connections", "0"], ["--connections", "70000"], ["--connections", "many"],
            ["--connections", "4", "--connections-per-client", "5"], ["--connections-per-client", "0"],
            ["--listen", "none", "--admin-listen", "127.0.0.1:0", "--connections", "300"],
        ] {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: try #require(ServeListenersTests.mapcBinary()))
            process.arguments = ["serve", "--store", NSTemporaryDirectory() + "limits-\(UUID().uuidString).db"] + args
            let err = Pipe()
            process.standardError = err
            process.standardOutput = FileHandle.nullDevice
            try process.run()
            let text = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            #expect(process.terminationStatus == 2, "\(args): \(text)")
            #expect(text.contains("--connections"), "\(args): \(text)")
        }
    }
}
