import Foundation
import HTTPServer
import Testing

/// Native TLS: libmicrohttpd over GnuTLS with a certificate and key given in memory. The test makes
/// a self-signed certificate with the `openssl` command and talks to the server with
/// `openssl s_client`, verifying the chain against that certificate.
@Suite struct HTTPServerTLSTests {
    static let openssl: String? = ["/usr/bin/openssl", "/bin/openssl"].first { FileManager.default.isExecutableFile(atPath: $0) }

    static func run(_ args: [String], input: String = "") throws -> (Int32, String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: openssl!)
        p.arguments = args
        let stdin = Pipe()
        let out = Pipe()
        p.standardInput = stdin
        p.standardOutput = out
        p.standardError = out
        try p.run()
        stdin.fileHandleForWriting.write(Data(input.utf8))
        try stdin.fileHandleForWriting.close()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    /// A fresh self-signed certificate for `localhost` and its key, in a folder of their own.
    static func certificate() throws -> (dir: String, cert: String, key: String) {
        let dir = NSTemporaryDirectory() + "tls-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let (status, output) = try run([
            "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1", "-subj", "/CN=localhost",
            "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1", "-keyout", dir + "/key.pem", "-out", dir + "/cert.pem",
        ])
        #expect(status == 0, "openssl req: \(output)")
        return (dir, dir + "/cert.pem", dir + "/key.pem")
    }

    @Test(
        .enabled(if: openssl != nil, "the openssl command is missing: run `make deps` (installs the Debian package openssl)"),
        .timeLimit(.minutes(1)))
    func servesHTTPSWithTheGivenCertificateAndNothingInTheClear() throws {
        let (dir, cert, key) = try Self.certificate()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var router = Router()
        router.add("GET", "/hello") { _ in .text("hello over TLS\n") }
        let tls = try TLSConfiguration.load(certificateFile: cert, keyFile: key)
        let server = try HTTPServer.start(configuration: HTTPServerConfiguration(tls: tls), router: router)
        defer { server.stop() }
        #expect(server.isTLS && server.baseURL.scheme == "https")
        let (status, output) = try Self.run(
            [
                "s_client", "-connect", "127.0.0.1:\(server.port)", "-servername", "localhost", "-CAfile", cert, "-verify_return_error",
                "-quiet",
            ], input: "GET /hello HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        #expect(status == 0, "\(output)")
        #expect(output.contains("HTTP/1.1 200") && output.contains("hello over TLS"), "\(output)")
        // The same port does not answer plain HTTP.
        let plain = try PlainSocket.exchange(port: server.port, "GET /hello HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        #expect(!plain.contains("hello over TLS") && !plain.hasPrefix("HTTP/1.1 200"))
    }

    @Test func unreadableOrWrongFilesAreClearErrorsWithoutTheKey() throws {
        let (dir, cert, key) = try Self.certificate()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        #expect(throws: HTTPServerError.self) { try TLSConfiguration.load(certificateFile: dir + "/missing.pem", keyFile: key) }
        do {
            _ = try TLSConfiguration.load(certificateFile: key, keyFile: cert)
            Issue.record("a key given as the certificate was accepted")
        } catch {
            #expect("\(error)".contains("is not a PEM certificate"))
            #expect(!"\(error)".contains("PRIVATE KEY"), "the key's contents never appear in messages")
        }
    }
}

/// Sends bytes to a loopback port and reads until the server closes (or 10 s pass).
enum PlainSocket {
    static func exchange(port: UInt16, _ text: String) throws -> String {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        inet_pton(AF_INET, "127.0.0.1", &address.sin_addr)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { return "" }
        _ = Array(text.utf8).withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n <= 0 { break }
            received += buffer[0..<n]
        }
        return String(decoding: received, as: UTF8.self)
    }
}
