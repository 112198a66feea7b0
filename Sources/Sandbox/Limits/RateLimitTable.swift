import Foundation
import HTTPServer

/// A request budget: at most `count` requests in any `windowSeconds`-second window.
public struct RequestWindow: Sendable, Codable, Equatable {
    /// Requests allowed per window.
    public var count: Int
    /// Window length in seconds.
    public var windowSeconds: Double

    /// Creates a window.
    public init(count: Int, windowSeconds: Double) {
        self.count = count
        self.windowSeconds = windowSeconds
    }
}

/// The limits of one endpoint, as written in `ratelimits/<platform>.json` (see `ratelimits/README.md`).
public struct EndpointLimit: Sendable, Codable, Equatable {
    /// Stable endpoint id, e.g. `crm.objects.batch`.
    public var name: String
    /// HTTP method or `*`.
    public var method: String
    /// Path pattern (`:param` segments, final `*`).
    public var path: String
    /// Endpoints sharing a bucket share window, daily quota and concurrency counters.
    public var bucket: String?
    /// Requests per window, or `nil` for none published.
    public var requests: RequestWindow?
    /// Requests per day, or `nil`.
    public var dailyQuota: Int?
    /// Simultaneous requests, or `nil`.
    public var maxConcurrency: Int?
    /// Most records per request or page, or `nil`.
    public var batchSize: Int?
    /// Most bytes per record inside a request, or `nil`.
    public var recordBytes: Int?
    /// Most bytes per request body, or `nil`.
    public var payloadBytes: Int?
    /// Caveats, e.g. why a value is unconfirmed.
    public var note: String?

    /// The bucket name, defaulting to the endpoint name.
    public var bucketName: String { bucket ?? name }
}

/// All limits of one platform: the parsed contents of `ratelimits/<platform>.json`.
public struct RateLimitTable: Sendable, Codable, Equatable {
    /// Format tag, `mapc-ratelimits/1`.
    public var format: String
    /// Platform name.
    public var platform: String
    /// Endpoint limits; the first match wins.
    public var endpoints: [EndpointLimit]

    /// Creates a table.
    public init(platform: String, endpoints: [EndpointLimit]) {
        self.format = "mapc-ratelimits/1"
        self.platform = platform
        self.endpoints = endpoints
    }

    /// Reads `directory/<platform>.json`.
    public static func load(platform: String, from directory: URL) throws -> RateLimitTable {
        let url = directory.appendingPathComponent("\(platform).json")
        do {
            return try JSONDecoder().decode(RateLimitTable.self, from: Data(contentsOf: url))
        } catch {
            throw SandboxError(description: "cannot read rate limits \(url.path): \(error)")
        }
    }

    /// The first endpoint matching `method` and `path`, or `nil`.
    public func endpoint(method: String, path: String) -> EndpointLimit? {
        endpoints.first { limit in
            (limit.method == "*" || limit.method.uppercased() == method.uppercased())
                && PathPattern(limit.path).match(path) != nil
        }
    }

    /// The endpoint called `name`, or `nil`.
    public func endpoint(named name: String) -> EndpointLimit? {
        endpoints.first { $0.name == name }
    }

    /// Returns a copy with the bucket-level limits of every endpoint in `bucket` replaced.
    ///
    /// Tests use this to make limits small enough to hit; pass `nil` to remove a limit.
    public func overriding(
        bucket: String,
        requests: RequestWindow?,
        dailyQuota: Int?,
        maxConcurrency: Int?
    ) -> RateLimitTable {
        var copy = self
        for index in copy.endpoints.indices where copy.endpoints[index].bucketName == bucket {
            copy.endpoints[index].requests = requests
            copy.endpoints[index].dailyQuota = dailyQuota
            copy.endpoints[index].maxConcurrency = maxConcurrency
        }
        return copy
    }
}
