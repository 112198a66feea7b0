/// A handler for one route: runs synchronously on a server thread and returns the response.
///
/// Handlers may block (the server runs one thread per connection) but must eventually return:
/// ``HTTPServer/stop(timeout:)`` waits for them.
public typealias Handler = @Sendable (Request) -> Response

/// Maps method + path to a handler.
///
/// Patterns are `/`-separated: a literal segment matches itself, `:name` matches any one segment and
/// binds it in ``Request/pathParameters``, and a final `*` matches the rest of the path (possibly empty),
/// bound as `*`. Routes are tried in registration order; method `*` matches any method. When a path
/// matches only under other methods the router answers 405, otherwise the fallback (404 by default).
public struct Router: Sendable {
    private struct Route: Sendable {
        let method: String
        let pattern: PathPattern
        let handler: Handler
    }

    private var routes: [Route] = []
    private var fallbackHandler: Handler = { _ in Response.text("Not Found", status: 404) }

    /// Creates an empty router whose fallback answers 404.
    public init() {}

    /// Adds a route for `method` (or `*` for any) and `pattern`.
    public mutating func add(_ method: String, _ pattern: String, _ handler: @escaping Handler) {
        routes.append(Route(method: method.uppercased(), pattern: PathPattern(pattern), handler: handler))
    }

    /// Sets the catch-all handler used when no route matches the path.
    public mutating func fallback(_ handler: @escaping Handler) {
        fallbackHandler = handler
    }

    /// Finds the matching route and runs it; 405 or the fallback when nothing matches.
    public func handle(_ request: Request) -> Response {
        let pathSegments = request.path.split(separator: "/", omittingEmptySubsequences: true)
        var allowed: [String] = []
        for route in routes {
            guard let parameters = route.pattern.match(segments: pathSegments) else { continue }
            guard route.method == "*" || route.method == request.method else {
                allowed.append(route.method)
                continue
            }
            var bound = request
            bound.pathParameters = parameters
            return route.handler(bound)
        }
        if !allowed.isEmpty {
            return Response.text("Method Not Allowed", status: 405)
                .withHeader("Allow", Array(Set(allowed)).sorted().joined(separator: ", "))
        }
        return fallbackHandler(request)
    }
}
