/// A route pattern such as `/crm/v3/objects/:type/batch/*`.
///
/// Segments are separated by `/` (empty segments ignored): a literal segment matches itself, `:name`
/// matches any single segment and binds it, and a final `*` matches the rest of the path (possibly
/// nothing), bound as `*`.
public struct PathPattern: Sendable, Hashable, CustomStringConvertible {
    private let segments: [String]

    /// The pattern text as given.
    public let description: String

    /// Parses `pattern`; every string is a valid pattern.
    public init(_ pattern: String) {
        description = pattern
        segments = pattern.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
    }

    /// The bound parameters when `path` matches, or `nil`.
    public func match(_ path: String) -> [String: String]? {
        match(segments: path.split(separator: "/", omittingEmptySubsequences: true))
    }

    func match(segments path: [Substring]) -> [String: String]? {
        var parameters: [String: String] = [:]
        var index = 0
        for segment in segments {
            if segment == "*" {
                parameters["*"] = path[index...].joined(separator: "/")
                return parameters
            }
            guard index < path.count else { return nil }
            if segment.hasPrefix(":") {
                parameters[String(segment.dropFirst())] = String(path[index])
            } else if segment != path[index] {
                return nil
            }
            index += 1
        }
        return index == path.count ? parameters : nil
    }
}
