import Foundation

/// One HTTP request as handed to a route handler: method, decoded path, query, headers and the whole body.
///
/// Values are immutable and `Sendable`, so a handler may pass them to other threads freely.
public struct Request: Sendable {
    /// The request method in upper case, e.g. `GET`.
    public let method: String
    /// The percent-decoded path without the query string, e.g. `/crm/v3/objects/contacts`.
    public let path: String
    /// The request target exactly as the client sent it (`/webhooks/hubspot?tags=a%2Cb`): path and
    /// query, nothing decoded or reordered; nil when the request did not come from the server.
    /// URL-signing schemes verify over this.
    public let target: String?
    /// Query parameters in the order they appeared; values are percent- and `+`-decoded, `nil` for a bare key.
    public let queryItems: [(name: String, value: String?)]
    /// Header fields with lower-cased names, in the order received.
    public let headerFields: [(name: String, value: String)]
    /// The complete request body (empty when there was none).
    public let body: Data
    /// The client's IP address as text (`127.0.0.1`, `::1`), when the server knows it.
    public let remoteAddress: String?
    /// Values bound by `:name` segments of the matched route pattern (and `*` for a trailing wildcard).
    public var pathParameters: [String: String]

    /// Creates a request value; the server builds these, tests may too.
    public init(
        method: String,
        path: String,
        queryItems: [(name: String, value: String?)] = [],
        headerFields: [(name: String, value: String)] = [],
        body: Data = Data(),
        pathParameters: [String: String] = [:],
        remoteAddress: String? = nil,
        target: String? = nil
    ) {
        self.method = method.uppercased()
        self.path = path
        self.target = target
        self.queryItems = queryItems
        self.headerFields = headerFields.map { (name: $0.name.lowercased(), value: $0.value) }
        self.body = body
        self.pathParameters = pathParameters
        self.remoteAddress = remoteAddress
    }

    /// The first value of the query parameter `name`, or `nil` when absent (or given without a value).
    public func query(_ name: String) -> String? {
        for item in queryItems where item.name == name {
            return item.value
        }
        return nil
    }

    /// Whether the query contains `name` at all, with or without a value.
    public func hasQuery(_ name: String) -> Bool {
        queryItems.contains { $0.name == name }
    }

    /// The first value of header `name` (case-insensitive), or `nil` when absent.
    public func header(_ name: String) -> String? {
        let lowered = name.lowercased()
        for field in headerFields where field.name == lowered {
            return field.value
        }
        return nil
    }

    /// The value bound to `:name` in the route pattern, or `nil`.
    public func parameter(_ name: String) -> String? {
        pathParameters[name]
    }

    /// The body decoded as UTF-8 text (invalid sequences repaired).
    public var bodyText: String {
        String(decoding: body, as: UTF8.self)
    }
}
