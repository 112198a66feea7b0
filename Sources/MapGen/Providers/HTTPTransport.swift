import Foundation

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// An HTTP request as the provider clients build it.
public struct HTTPRequest: Sendable, CustomStringConvertible {
    /// `POST`.
    public var method: String
    /// The full URL.
    public var url: String
    /// Header fields; may hold credentials, so ``description`` leaves their values out.
    var headers: [(String, String)]
    /// The body.
    public var body: [UInt8]

    /// Method and URL only: header values may be secrets.
    public var description: String { "\(method) \(url)" }

    /// Header names, for tests and diagnostics.
    public var headerNames: [String] { headers.map(\.0) }
}

/// An HTTP response.
public struct HTTPResponse: Sendable {
    /// The status code.
    public var status: Int
    /// Header fields, names as sent.
    public var headers: [(String, String)]
    /// The body.
    public var body: [UInt8]

    /// Creates a response.
    public init(status: Int, headers: [(String, String)] = [], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// The first header called `name` (case-insensitive).
    public func header(_ name: String) -> String? {
        headers.first { $0.0.lowercased() == name.lowercased() }?.1
    }
}

/// Why a request got no response.
public enum TransportFailure: Error, Sendable, Equatable {
    /// No answer within the timeout.
    case timeout
    /// The connection failed (refused, reset, DNS); the text says how.
    case connection(String)
}

/// Sends one HTTP request and waits for the response. Synchronous: the CLI is.
public protocol HTTPTransport: Sendable {
    /// Sends `request`, giving up after `timeout` seconds.
    func send(_ request: HTTPRequest, timeout: Double) throws(TransportFailure) -> HTTPResponse
}

/// ``HTTPTransport`` over FoundationNetworking's `URLSession` (libcurl on Linux).
public final class URLSessionTransport: HTTPTransport {
    private final class Box: @unchecked Sendable {
        var result: Result<HTTPResponse, TransportFailure> = .failure(.connection("no response"))
    }

    /// Creates a transport.
    public init() {}

    public func send(_ request: HTTPRequest, timeout: Double) throws(TransportFailure) -> HTTPResponse {
        guard let url = URL(string: request.url) else { throw .connection("invalid URL") }
        var r = URLRequest(url: url)
        r.httpMethod = request.method
        r.httpBody = Data(request.body)
        r.timeoutInterval = timeout
        for (name, value) in request.headers { r.setValue(value, forHTTPHeaderField: name) }
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = timeout
        configuration.timeoutIntervalForResource = timeout
        configuration.urlCache = nil
        let session = URLSession(configuration: configuration)
        defer { session.finishTasksAndInvalidate() }
        let box = Box()
        let done = DispatchSemaphore(value: 0)
        let task = session.dataTask(with: r) { data, response, error in
            if let error = error as? URLError {
                box.result = .failure(error.code == .timedOut ? .timeout : .connection(Self.describe(error)))
            } else if let error {
                box.result = .failure(.connection(String(describing: type(of: error))))
            } else if let http = response as? HTTPURLResponse {
                let headers = http.allHeaderFields.compactMap { k, v -> (String, String)? in
                    guard let k = k as? String, let v = v as? String else { return nil }
                    return (k, v)
                }
                box.result = .success(HTTPResponse(status: http.statusCode, headers: headers, body: Array(data ?? Data())))
            }
            done.signal()
        }
        task.resume()
        // The session's own timeouts end the task; the extra margin only guards against a lost callback.
        if done.wait(timeout: .now() + timeout + 5) == .timedOut {
            task.cancel()
            throw .timeout
        }
        return try box.result.get()
    }

    private static func describe(_ error: URLError) -> String {
        switch error.code {
        case .cannotConnectToHost: "connection refused"
        case .cannotFindHost, .dnsLookupFailed: "host not found"
        case .networkConnectionLost: "connection lost"
        case .notConnectedToInternet: "not connected"
        case .secureConnectionFailed, .serverCertificateUntrusted: "TLS failure"
        default: "network error \(error.code.rawValue)"
        }
    }
}
