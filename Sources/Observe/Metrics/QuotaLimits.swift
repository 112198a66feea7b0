import Foundation
import SyncEngine

/// Daily quotas per platform bucket from the rate-limit registry (`ratelimits/<platform>.json`), for
/// `mapc_quota_limit` and `mapc_quota_remaining`. A platform's file is read again only when its size
/// or modification time changed.
public final class QuotaLimits: @unchecked Sendable {
    /// A bucket's quota and when it starts over.
    public struct Quota: Sendable, Hashable {
        /// Requests per day.
        public var daily: Int
        /// When the day starts over.
        public var reset: DailyReset
    }

    /// The registry folder; nil when there is none (no limits are exposed).
    public let directory: String?
    private let lock = NSLock()
    private var cache: [String: (stamp: String, registry: RateLimitRegistry?)] = [:]

    /// Limits from the registry in `directory`.
    public init(directory: String?) {
        self.directory = directory
    }

    /// The daily quota of `bucket` of `platform`: the smallest quota of the registry's endpoints in
    /// that bucket; nil when the platform has no registry file or the bucket no quota.
    public func quota(platform: String, bucket: String) -> Quota? {
        guard let registry = registry(platform) else { return nil }
        let quotas = registry.endpoints.filter { $0.bucket == bucket }.compactMap(\.dailyQuota)
        guard let daily = quotas.min() else { return nil }
        return Quota(daily: daily, reset: registry.dailyReset)
    }

    private func registry(_ platform: String) -> RateLimitRegistry? {
        guard let directory, !platform.contains("/"), !platform.hasPrefix(".") else { return nil }
        let path = directory + "/" + platform + ".json"
        let attributes = try? FileManager.default.attributesOfItem(atPath: path)
        let stamp =
            attributes.map {
                "\(($0[.size] as? NSNumber)?.int64Value ?? -1)@\(($0[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0)"
            } ?? "absent"
        return lock.withLock {
            if let cached = cache[platform], cached.stamp == stamp { return cached.registry }
            let registry = stamp == "absent" ? nil : try? RateLimitRegistry.load(platform: platform, directory: directory)
            cache[platform] = (stamp, registry)
            return registry
        }
    }
}
