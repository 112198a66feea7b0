import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A bare HTTP/1.1 server on loopback that keeps connections alive and counts every request that
/// arrives; the requests whose arrival number is in `drop` are read and then answered by closing the
/// connection (as a server, a proxy or a load balancer dropping a kept-alive connection does).
final class DroppingServer: @unchecked Sendable {
    let port: UInt16
    private let listener: Int32
    private let drop: Set<Int>
    private let status: Int
    private let lock = NSLock()
    private var count = 0
    private var connections = 0
    private let done = DispatchGroup()

    /// Listens on 127.0.0.1 (a free port); answers `status` with an empty JSON object.
    init(drop: Set<Int>, status: Int = 200) throws {
        self.drop = drop
        self.status = status
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard listener >= 0 else { throw ServerError("socket failed") }
        var yes: Int32 = 1
        setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(listener, 16) == 0 else {
            close(listener)
            throw ServerError("bind/listen failed")
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(listener, $0, &length) }
        }
        self.listener = listener
        port = UInt16(bigEndian: address.sin_port)
        done.enter()
        Thread.detachNewThread { [self] in
            defer { done.leave() }
            while true {
                let client = accept(listener, nil, nil)
                guard client >= 0 else { return }
                lock.withLock { connections += 1 }
                Thread.detachNewThread { [self] in serve(client) }
            }
        }
    }

    var url: URL { URL(string: "http://127.0.0.1:\(port)")! }

    /// Requests that arrived so far (those dropped included).
    var arrivals: Int { lock.withLock { count } }

    /// Connections accepted so far.
    var accepted: Int { lock.withLock { connections } }

    func stop() {
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
        done.wait()
    }

    private func serve(_ client: Int32) {
        defer { close(client) }
        var pending: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            // Read one request: the head, then Content-Length bytes of body.
            var headEnd: Int?
            while headEnd == nil {
                if let end = Self.find(pending, [13, 10, 13, 10]) {
                    headEnd = end + 4
                    break
                }
                let n = read(client, &chunk, chunk.count)
                guard n > 0 else { return }
                pending += chunk[0..<n]
            }
            let head = String(decoding: pending[0..<headEnd!], as: UTF8.self).lowercased()
            var length = 0
            for line in head.split(separator: "\r\n") where line.hasPrefix("content-length:") {
                length = Int(line.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)) ?? 0
            }
            while pending.count < headEnd! + length {
                let n = read(client, &chunk, chunk.count)
                guard n > 0 else { return }
                pending += chunk[0..<n]
            }
            pending.removeFirst(headEnd! + length)
            let number = lock.withLock {
                count += 1
                return count
            }
            // Received in full, never answered: the connection just closes.
            if drop.contains(number) { return }
            let body = "{}"
            let reply =
                "HTTP/1.1 \(status) OK\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\nConnection: keep-alive\r\n\r\n\(body)"
            let bytes = Array(reply.utf8)
            guard bytes.withUnsafeBytes({ write(client, $0.baseAddress, bytes.count) }) == bytes.count else { return }
        }
    }

    private static func find(_ haystack: [UInt8], _ needle: [UInt8]) -> Int? {
        guard haystack.count >= needle.count else { return nil }
        for i in 0...(haystack.count - needle.count) where haystack[i..<(i + needle.count)].elementsEqual(needle) { return i }
        return nil
    }

    struct ServerError: Error, CustomStringConvertible {
        var description: String
        init(_ d: String) { description = d }
    }
}
