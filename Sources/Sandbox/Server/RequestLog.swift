import Foundation
import MapcSupport

/// One request seen by an emulator, for `/_sandbox/requests` and ``SandboxServer/requestLog``.
public struct RequestLogEntry: Sendable, Codable, Equatable {
    /// Sequence number, from 1.
    public var sequence: Int
    /// When the request arrived (sandbox clock).
    public var receivedAt: Date
    /// Method, e.g. `POST`.
    public var method: String
    /// Path without query.
    public var path: String
    /// Query parameters as `name=value` strings, in order.
    public var query: [String]
    /// Body size in bytes.
    public var bodyBytes: Int
    /// Status sent, or 0 when the connection was dropped.
    public var status: Int
    /// The injected fault (`fail`, `drop`, `rateLimitStorm`, `hang`), or `nil`.
    public var fault: String?
}

/// A bounded, thread-safe request log (oldest entries are discarded past the capacity).
final class RequestLog: Sendable {
    private let entries = Locked<(next: Int, items: [RequestLogEntry])>((1, []))
    private let capacity: Int

    init(capacity: Int = 10_000) {
        self.capacity = capacity
    }

    func append(
        _ request: HTTPServerRequestSummary, status: Int, fault: String?, at date: Date
    ) {
        entries.withLock { log in
            log.items.append(
                RequestLogEntry(
                    sequence: log.next, receivedAt: date, method: request.method, path: request.path,
                    query: request.query, bodyBytes: request.bodyBytes, status: status, fault: fault))
            log.next += 1
            // Trim in batches: removing the oldest entry on every request once full would move the
            // whole log each time.
            if log.items.count >= 2 * capacity {
                log.items.removeFirst(log.items.count - capacity)
            }
        }
    }

    /// The newest entries, at most the capacity, oldest first.
    var all: [RequestLogEntry] {
        entries.withLock { Array($0.items.suffix(capacity)) }
    }

    func clear() {
        entries.withLock { $0.items = [] }
    }
}

/// The parts of a request the log keeps.
struct HTTPServerRequestSummary: Sendable {
    let method: String
    let path: String
    let query: [String]
    let bodyBytes: Int
}
