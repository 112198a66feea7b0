import Foundation
import MapDSL

/// A request budget: at most `count` requests in any `windowSeconds`-second window.
public struct RequestBudget: Sendable, Hashable {
    /// Requests allowed per window.
    public var count: Int
    /// Window length in seconds.
    public var windowSeconds: Double

    /// Creates a budget.
    public init(count: Int, windowSeconds: Double) {
        self.count = count
        self.windowSeconds = windowSeconds
    }
}

/// When a platform's daily quota starts over.
public enum DailyReset: String, Sendable, Hashable, CaseIterable {
    /// At midnight in the account's time zone (HubSpot); the limiter uses its configured time zone.
    case midnight = "midnight-account-timezone"
    /// Requests count for 24 hours after they were made (Salesforce).
    case rolling = "rolling-24h"
    /// The platform has no daily quota.
    case none
}

/// The limits of one endpoint, as written in `ratelimits/<platform>.json`.
public struct EndpointRule: Sendable, Hashable {
    /// Stable endpoint id (`crm.objects.batch`).
    public var name: String
    /// HTTP method, or `*`.
    public var method: String
    /// Path pattern: literal segments, `:param` (one segment), final `*` (the rest, possibly nothing).
    public var path: String
    /// Endpoints with the same bucket share window, daily quota and concurrency counters.
    public var bucket: String
    /// Requests per window, or nil when none is published.
    public var requests: RequestBudget?
    /// Requests per day, or nil.
    public var dailyQuota: Int?
    /// Simultaneous requests, or nil.
    public var maxConcurrency: Int?
    /// Most records per request (writes) or page (reads), or nil.
    public var batchSize: Int?
    /// Most bytes for one record inside a request, or nil.
    public var recordBytes: Int?
    /// Most bytes for a whole request body, or nil.
    public var payloadBytes: Int?
    /// Caveats from the registry file.
    public var note: String?

    /// Creates a rule.
    public init(
        name: String, method: String = "*", path: String = "/*", bucket: String? = nil, requests: RequestBudget? = nil,
        dailyQuota: Int? = nil, maxConcurrency: Int? = nil, batchSize: Int? = nil, recordBytes: Int? = nil,
        payloadBytes: Int? = nil, note: String? = nil
    ) {
        self.name = name
        self.method = method
        self.path = path
        self.bucket = bucket ?? name
        self.requests = requests
        self.dailyQuota = dailyQuota
        self.maxConcurrency = maxConcurrency
        self.batchSize = batchSize
        self.recordBytes = recordBytes
        self.payloadBytes = payloadBytes
        self.note = note
    }

    /// Whether this rule covers a request (`path` without query string).
    public func matches(method requestMethod: String, path requestPath: String) -> Bool {
        guard method == "*" || method.uppercased() == requestMethod.uppercased() else { return false }
        let pattern = path.split(separator: "/")
        let actual = requestPath.split(separator: "/")
        var index = 0
        for segment in pattern {
            if segment == "*" { return true }
            guard index < actual.count else { return false }
            if !segment.hasPrefix(":") && segment != actual[index] { return false }
            index += 1
        }
        return index == actual.count
    }
}

/// A malformed or missing rate-limit file: which file and what is wrong.
public struct RateLimitRegistryError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The file (or label) the registry came from.
    public var path: String
    /// What is wrong, naming the endpoint when there is one.
    public var message: String

    /// Creates an error.
    public init(path: String, message: String) {
        self.path = path
        self.message = message
    }

    public var description: String { "\(path): invalid rate-limit registry: \(message)" }
}

/// All limits of one platform: the contents of `ratelimits/<platform>.json` (format `mapc-ratelimits/1`).
public struct RateLimitRegistry: Sendable, Hashable {
    /// The format tag this reader understands.
    public static let format = "mapc-ratelimits/1"

    /// Platform name.
    public var platform: String
    /// The plan the numbers describe.
    public var tier: String?
    /// When daily quotas start over.
    public var dailyReset: DailyReset
    /// Endpoint rules; the first match wins.
    public var endpoints: [EndpointRule]

    /// Creates a registry.
    public init(platform: String, tier: String? = nil, dailyReset: DailyReset = .none, endpoints: [EndpointRule]) {
        self.platform = platform
        self.tier = tier
        self.dailyReset = dailyReset
        self.endpoints = endpoints
    }

    /// A registry without limits (local adapters, platforms without a file).
    public static func unlimited(platform: String) -> RateLimitRegistry {
        RateLimitRegistry(platform: platform, endpoints: [EndpointRule(name: "default")])
    }

    /// Reads `directory/<platform>.json`.
    public static func load(platform: String, directory: String) throws(RateLimitRegistryError) -> RateLimitRegistry {
        let path = (directory as NSString).appendingPathComponent("\(platform).json")
        guard let data = FileManager.default.contents(atPath: path) else {
            throw RateLimitRegistryError(path: path, message: "cannot read the file (no rate limits for '\(platform)'?)")
        }
        let registry = try parse(text: String(decoding: data, as: UTF8.self), path: path)
        guard registry.platform == platform else {
            throw RateLimitRegistryError(
                path: path, message: "the file describes platform '\(registry.platform)', not '\(platform)'")
        }
        return registry
    }

    /// Parses registry JSON; `path` names it in errors.
    public static func parse(text: String, path: String) throws(RateLimitRegistryError) -> RateLimitRegistry {
        let root: JSONValue
        do {
            root = try JSONParser.parse(text)
        } catch {
            throw RateLimitRegistryError(path: path, message: "not valid JSON (\(error.description))")
        }
        guard case .object = root else {
            throw RateLimitRegistryError(path: path, message: "the top level must be an object")
        }
        guard let format = root["format"]?.stringValue else {
            throw RateLimitRegistryError(path: path, message: "missing string `format` (expected \"\(Self.format)\")")
        }
        guard format == Self.format else {
            throw RateLimitRegistryError(
                path: path, message: "unsupported format '\(format)' (this mapc reads \"\(Self.format)\")")
        }
        guard let platform = root["platform"]?.stringValue, !platform.isEmpty else {
            throw RateLimitRegistryError(path: path, message: "missing or empty string `platform`")
        }
        var reset = DailyReset.none
        if let text = root["dailyReset"]?.stringValue {
            guard let value = DailyReset(rawValue: text) else {
                let allowed = DailyReset.allCases.map(\.rawValue).joined(separator: ", ")
                throw RateLimitRegistryError(path: path, message: "unknown `dailyReset` '\(text)' (allowed: \(allowed))")
            }
            reset = value
        }
        guard let rawEndpoints = root["endpoints"]?.arrayValue, !rawEndpoints.isEmpty else {
            throw RateLimitRegistryError(path: path, message: "missing or empty array `endpoints`")
        }
        var endpoints: [EndpointRule] = []
        var firstOfBucket: [String: EndpointRule] = [:]
        for (index, raw) in rawEndpoints.enumerated() {
            let rule = try parseEndpoint(raw, index: index, path: path)
            if let first = firstOfBucket[rule.bucket] {
                if first.requests != rule.requests || first.dailyQuota != rule.dailyQuota
                    || first.maxConcurrency != rule.maxConcurrency
                {
                    throw RateLimitRegistryError(
                        path: path,
                        message:
                            "endpoint '\(rule.name)' shares bucket '\(rule.bucket)' with '\(first.name)' but declares different requests/dailyQuota/maxConcurrency"
                    )
                }
            } else {
                firstOfBucket[rule.bucket] = rule
            }
            endpoints.append(rule)
        }
        return RateLimitRegistry(
            platform: platform, tier: root["tier"]?.stringValue, dailyReset: reset, endpoints: endpoints)
    }

    private static func parseEndpoint(_ raw: JSONValue, index: Int, path: String) throws(RateLimitRegistryError)
        -> EndpointRule
    {
        guard case .object = raw else {
            throw RateLimitRegistryError(path: path, message: "endpoints[\(index)] is not an object")
        }
        guard let name = raw["name"]?.stringValue, !name.isEmpty else {
            throw RateLimitRegistryError(path: path, message: "endpoints[\(index)] has no string `name`")
        }
        let at = "endpoint '\(name)'"
        guard let method = raw["method"]?.stringValue, !method.isEmpty else {
            throw RateLimitRegistryError(path: path, message: "\(at) has no string `method`")
        }
        guard let pattern = raw["path"]?.stringValue, pattern.hasPrefix("/") else {
            throw RateLimitRegistryError(path: path, message: "\(at) has no `path` starting with '/'")
        }
        func positive(_ key: String) throws(RateLimitRegistryError) -> Int? {
            guard let value = raw[key], value != .null else { return nil }
            guard let number = value.intValue, number > 0 else {
                throw RateLimitRegistryError(path: path, message: "\(at): `\(key)` must be a positive integer or null")
            }
            return number
        }
        var budget: RequestBudget?
        if let requests = raw["requests"], requests != .null {
            guard let count = requests["count"]?.intValue, count > 0,
                let seconds = requests["windowSeconds"]?.doubleValue, seconds > 0
            else {
                throw RateLimitRegistryError(
                    path: path, message: "\(at): `requests` must be {\"count\": N > 0, \"windowSeconds\": S > 0} or null")
            }
            budget = RequestBudget(count: count, windowSeconds: seconds)
        }
        return EndpointRule(
            name: name, method: method, path: pattern, bucket: raw["bucket"]?.stringValue, requests: budget,
            dailyQuota: try positive("dailyQuota"), maxConcurrency: try positive("maxConcurrency"),
            batchSize: try positive("batchSize"), recordBytes: try positive("recordBytes"),
            payloadBytes: try positive("payloadBytes"), note: raw["note"]?.stringValue)
    }

    /// The first rule matching a request, or nil.
    public func rule(method: String, path: String) -> EndpointRule? {
        endpoints.first { $0.matches(method: method, path: path) }
    }

    /// The rule called `name`, or nil.
    public func rule(named name: String) -> EndpointRule? {
        endpoints.first { $0.name == name }
    }

    /// A copy with the bucket-level limits of every endpoint in `bucket` replaced (tests shrink limits so).
    public func overriding(bucket: String, requests: RequestBudget?, dailyQuota: Int?, maxConcurrency: Int?)
        -> RateLimitRegistry
    {
        var copy = self
        for index in copy.endpoints.indices where copy.endpoints[index].bucket == bucket {
            copy.endpoints[index].requests = requests
            copy.endpoints[index].dailyQuota = dailyQuota
            copy.endpoints[index].maxConcurrency = maxConcurrency
        }
        return copy
    }
}
