import Foundation
import MapDSL
import MapcSupport
import SyncEngine

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// One HTTP request as the adapters build it.
struct HTTPRequest: Sendable {
    var method: String
    var url: URL
    var headers: [(String, String)] = []
    var body: Data?
    /// Whether the request may go on a kept-alive connection. libcurl sends a request again, unseen,
    /// when a reused connection turns out closed before any reply byte, although the server may have
    /// received (and applied) it: a request that must never arrive twice goes on a fresh connection,
    /// closed afterwards, so a failure is reported instead.
    var reuseConnection = true

    init(method: String, url: URL, headers: [(String, String)] = [], body: Data? = nil, reuseConnection: Bool = true) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.reuseConnection = reuseConnection
    }
}

/// One HTTP response.
struct HTTPResponse: Sendable {
    var status: Int
    var headers: [String: String]
    var body: Data

    /// A header by case-insensitive name.
    func header(_ name: String) -> String? {
        let lower = name.lowercased()
        return headers.first { $0.key.lowercased() == lower }?.value
    }

    /// The body as JSON, or nil.
    var json: JSONValue? {
        body.withUnsafeBytes { raw in try? JSONParser.parse(raw.bindMemory(to: UInt8.self)) }
    }

    /// The body as text, shortened for error messages.
    var snippet: String {
        let text = String(decoding: body.prefix(300), as: UTF8.self)
        return body.count > 300 ? text + "…" : text
    }
}

/// A blocking HTTP client over libcurl's easy interface. Transport failures are transient.
///
/// Handles are pooled: each request takes an idle one (opening a new one when none is idle) and
/// gives it back, so connections stay open between requests and concurrent requests (a page read
/// ahead while a batch is written) each have their own. URLSession, over the same libcurl, cost
/// about twenty times more instructions per request (docs/adapters.md).
final class HTTPClient: Sendable {
    private let timeout: Double
    private let idle = Locked<[CurlTransfer]>([])
    /// Idle handles kept for reuse; more concurrent requests than this open and close their own.
    private static let keep = 8

    init(timeout: Double) {
        self.timeout = timeout
    }

    /// Sends `request` and waits for the reply. Error text names the host only, never the URL (query
    /// strings can hold credentials).
    func send(_ request: HTTPRequest) throws(AdapterError) -> HTTPResponse {
        var request = request
        // Some libcurl versions ask for `100 Continue` before large bodies and wait up to a second
        // for it; an empty Expect header turns that round trip off.
        if request.body != nil { request.headers.append(("Expect", "")) }
        let host = request.url.host ?? "the server"
        guard let transfer = idle.withLock({ $0.popLast() }) ?? CurlTransfer() else {
            throw .transient("\(request.method) to \(host) failed: libcurl could not start a transfer")
        }
        let outcome = transfer.perform(request, timeout: timeout)
        idle.withLock { if $0.count < Self.keep { $0.append(transfer) } }
        switch outcome {
        case .success(let response): return response
        case .failure(let failure):
            throw .transient("\(request.method) to \(host) failed (curl error \(failure.code): \(failure.text))")
        }
    }
}
