import Foundation

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
    /// The response body grew past the limit (in bytes); reading stopped there.
    case tooLarge(Int)
}

/// Sends one HTTP request and waits for the response. Synchronous: the CLI is.
public protocol HTTPTransport: Sendable {
    /// Sends `request`, giving up after `timeout` seconds and when the body passes `maxBodyBytes`.
    func send(_ request: HTTPRequest, timeout: Double, maxBodyBytes: Int) throws(TransportFailure) -> HTTPResponse
}
