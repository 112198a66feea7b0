import Foundation
import MapDSL
import SyncEngine
import TestSupport
import Testing

/// `mapc serve` as a process: webhooks on one listener, the console on another (loopback only),
/// each reachable only where it should be.
@Suite(.serialized) struct ServeListenersTests {
    /// This machine's first IPv4 address that is not loopback, if it has one.
    static let outsideAddress: String? = {
        var list: UnsafeMutablePointer<ifaddrs>?
        guard getifaddrs(&list) == 0, let first = list else { return nil }
        defer { freeifaddrs(list) }
        var cursor: UnsafeMutablePointer<ifaddrs>? = first
        while let entry = cursor {
            defer { cursor = entry.pointee.ifa_next }
            guard let address = entry.pointee.ifa_addr, address.pointee.sa_family == sa_family_t(AF_INET) else { continue }
            var text = [CChar](repeating: 0, count: Int(INET_ADDRSTRLEN))
            let found: String? = address.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { v4 in
                var a = v4.pointee.sin_addr
                return inet_ntop(AF_INET, &a, &text, socklen_t(text.count)).map { _ in String(cString: text) }
            }
            if let found, !found.hasPrefix("127.") { return found }
        }
        return nil
    }()

    static func mapcBinary() -> String? {
        var candidates: [String] = []
        if let exe = Bundle.main.executableURL { candidates.append(exe.deletingLastPathComponent().appendingPathComponent("mapc").path) }
        candidates.append(URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("mapc").path)
        candidates.append(Repo.path(".build/debug/mapc"))
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// A running `mapc serve`; its listeners' ports are read from the lines it logs.
    final class Serve {
        let process = Process()
        let dir: String
        private var lines: [String] = []
        private var pending = ""
        private let reader: FileHandle

        init(_ args: [String], environment: [String: String], store: String? = nil) throws {
            dir = NSTemporaryDirectory() + "serve-\(UUID().uuidString)"
            try FileManager.default.createDirectory(atPath: dir + "/schemas", withIntermediateDirectories: true)
            process.executableURL = URL(fileURLWithPath: try #require(ServeListenersTests.mapcBinary()))
            process.arguments = ["serve", "--store", store ?? dir + "/events.db"] + args
            process.currentDirectoryURL = URL(fileURLWithPath: dir)
            var env = ["PATH": "/usr/bin:/bin", "HOME": dir, "MAPC_OPERATORS": dir + "/operators.json"]
            for (k, v) in environment { env[k] = v }
            process.environment = env
            let err = Pipe()
            process.standardError = err
            process.standardOutput = FileHandle.nullDevice
            reader = err.fileHandleForReading
            try process.run()
        }

        deinit {
            if process.isRunning { kill(process.processIdentifier, SIGTERM) }
            process.waitUntilExit()
            try? FileManager.default.removeItem(atPath: dir)
        }

        /// Reads the log until a line contains `text`; returns that line (nil at the end of the log).
        func line(containing text: String) -> String? {
            while true {
                if let seen = lines.first(where: { $0.contains(text) }) { return seen }
                let chunk = reader.availableData
                if chunk.isEmpty { return nil }
                pending += String(decoding: chunk, as: UTF8.self)
                while let newline = pending.firstIndex(of: "\n") {
                    lines.append(String(pending[..<newline]))
                    pending = String(pending[pending.index(after: newline)...])
                }
            }
        }

        /// The port in the first URL of the log line that contains `text`.
        func port(_ text: String) throws -> UInt16 {
            let l = try #require(line(containing: text), "mapc serve never logged '\(text)'")
            let url = try #require(l.split(separator: " ").first { $0.hasPrefix("http") })
            return try #require(URL(string: String(url))?.port).flatMap { UInt16(exactly: $0) }!
        }

        func stop() -> Int32 {
            kill(process.processIdentifier, SIGTERM)
            process.waitUntilExit()
            return process.terminationStatus
        }
    }

    /// Webhooks are delivered on their public listener, from another address of the machine, while
    /// the console's listener answers on loopback only.
    @Test(
        .enabled(if: mapcBinary() != nil && outsideAddress != nil, "needs the mapc executable and a non-loopback IPv4 address"),
        .timeLimit(.minutes(2)))
    func webhooksWorkOnTheirListenerWhileTheConsoleStaysOnLoopback() throws {
        let serve = try Serve(
            ["--listen", "0.0.0.0:0", "--admin-listen", "127.0.0.1:0"], environment: ["MAPC_WEBHOOK_SEGMENT_ALLOW_UNSIGNED": "1"])
        let webhooks = try serve.port("webhooks on")
        let console = try serve.port("console on")
        let outside = try #require(Self.outsideAddress)
        let body =
            #"{"type":"identify","userId":"u-1","messageId":"m-1","traits":{"email":"a@example.com"},"timestamp":"2026-01-01T00:00:00Z"}"#
        let delivery = try RawHTTP(host: outside, port: webhooks).request(
            "POST", "/webhooks/segment", headers: [("Content-Type", "application/json")], body: body)
        #expect(delivery.status == 200, "\(delivery.status) \(delivery.body)")
        #expect(throws: RawHTTP.Failure.self, "the console is not reachable from \(outside)") {
            try RawHTTP(host: outside, port: console).request("GET", "/login")
        }
        #expect(try RawHTTP(port: console).request("GET", "/dashboard").status == 303, "on loopback it answers (sign in first)")
        #expect(try RawHTTP(port: webhooks).request("GET", "/dashboard").status == 404, "no console on the webhook listener")
        #expect(try RawHTTP(port: webhooks).request("GET", "/metrics").status == 404, "no metrics on the webhook listener")
        #expect(serve.stop() == 0)
        let inbox = try Inbox(path: serve.dir + "/events.db")
        #expect(try inbox.counts()["pending", default: 0] + inbox.counts()["processed", default: 0] == 1, "the delivery is in the inbox")
    }

    @Test(.enabled(if: mapcBinary() != nil, "needs the mapc executable"), .timeLimit(.minutes(2)))
    func eitherListenerCanBeOffAndTheConsoleNeverListensBeyondLoopbackUnprotected() throws {
        let webhooksOnly = try Serve(["--listen", "127.0.0.1:0", "--admin-listen", "none"], environment: [:])
        #expect(webhooksOnly.line(containing: "console listener off") != nil)
        #expect(webhooksOnly.stop() == 0)
        let consoleOnly = try Serve(["--listen", "none", "--admin-listen", "127.0.0.1:0"], environment: [:])
        let console = try consoleOnly.port("console on")
        #expect(consoleOnly.line(containing: "webhook listener off") != nil)
        #expect(try RawHTTP(port: console).request("GET", "/login").status == 200)
        #expect(consoleOnly.stop() == 0)
        for (args, message) in [
            (["--admin-listen", "0.0.0.0:0"], "without --admin-url"),
            (["--admin-listen", "0.0.0.0:0", "--admin-url", "http://console.example.com"], "in the clear"),
            (["--listen", "none", "--admin-listen", "none"], "nothing to serve"),
        ] {
            let refused = try Serve(args, environment: [:])
            #expect(refused.line(containing: message) != nil, "\(args)")
            refused.process.waitUntilExit()
            #expect(refused.process.terminationStatus == 2, "\(args)")
        }
    }
}
