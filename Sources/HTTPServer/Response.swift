import Foundation

/// An HTTP response returned by a route handler: status, header fields and body bytes.
///
/// `Content-Length` is computed by the server; do not set it. A response built with
/// ``Response/dropConnection`` makes the server close the connection without replying, which
/// fault-injection code uses to simulate a network failure.
public struct Response: Sendable {
    /// The status code, e.g. 200.
    public var status: Int
    /// Header fields in the order they will be sent; names keep the case given.
    public var headerFields: [(name: String, value: String)]
    /// The body bytes (empty for none).
    public var body: Data
    /// When true the server sends nothing and closes the connection.
    public var dropsConnection: Bool

    /// Creates a response with the given status, header fields and body.
    public init(status: Int, headerFields: [(name: String, value: String)] = [], body: Data = Data()) {
        self.status = status
        self.headerFields = headerFields
        self.body = body
        self.dropsConnection = false
    }

    /// A response that closes the connection without sending anything.
    public static var dropConnection: Response {
        var response = Response(status: 0)
        response.dropsConnection = true
        return response
    }

    /// A plain-text response (`text/plain; charset=utf-8`).
    public static func text(_ text: String, status: Int = 200) -> Response {
        Response(
            status: status,
            headerFields: [(name: "Content-Type", value: "text/plain; charset=utf-8")],
            body: Data(text.utf8)
        )
    }

    /// A response whose body is already-serialised JSON, with the given content type.
    public static func json(
        _ data: Data,
        status: Int = 200,
        contentType: String = "application/json; charset=utf-8"
    ) -> Response {
        Response(status: status, headerFields: [(name: "Content-Type", value: contentType)], body: data)
    }

    /// A response with no body, e.g. 204.
    public static func empty(status: Int = 204) -> Response {
        Response(status: status)
    }

    /// The first value of header `name` (case-insensitive), or `nil`.
    public func header(_ name: String) -> String? {
        let lowered = name.lowercased()
        return headerFields.first { $0.name.lowercased() == lowered }?.value
    }

    /// Returns a copy with header `name` set, replacing any existing value (case-insensitive).
    public func withHeader(_ name: String, _ value: String) -> Response {
        var copy = self
        copy.setHeader(name, value)
        return copy
    }

    /// Sets header `name`, replacing any existing value (case-insensitive).
    public mutating func setHeader(_ name: String, _ value: String) {
        let lowered = name.lowercased()
        headerFields.removeAll { $0.name.lowercased() == lowered }
        headerFields.append((name: name, value: value))
    }
}
