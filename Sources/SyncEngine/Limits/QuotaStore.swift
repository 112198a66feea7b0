import Foundation
import MapDSL

/// Daily-quota usage of one bucket: requests counted per hour (hours since 1970, UTC).
///
/// Hour slots serve both reset kinds: a rolling 24-hour quota sums the slots of the last 24 hours
/// (conservatively including the whole oldest hour), a midnight reset sums the slots since the last
/// midnight in the configured time zone.
public struct QuotaUsage: Sendable, Hashable {
    /// Requests per hour slot.
    public var hourly: [Int: Int]

    /// Creates usage.
    public init(hourly: [Int: Int] = [:]) {
        self.hourly = hourly
    }

    /// The slot holding `date`.
    public static func slot(_ date: Date) -> Int { Int((date.timeIntervalSince1970 / 3600).rounded(.down)) }

    /// Requests in slots at or after `first`.
    public func used(since first: Int) -> Int {
        hourly.reduce(0) { $1.key >= first ? $0 + $1.value : $0 }
    }

    /// Drops slots before `first`.
    public mutating func prune(before first: Int) {
        hourly = hourly.filter { $0.key >= first }
    }
}

/// Where daily-quota counters live, so a restart does not reset them.
///
/// Implementations must be thread-safe; the limiter calls ``save(_:for:)`` after each counted
/// request of a bucket with a daily quota.
public protocol QuotaStore: Sendable {
    /// The usage stored for `key` (`<platform>/<bucket>`), or empty usage.
    func load(_ key: String) throws -> QuotaUsage
    /// Stores the usage for `key`.
    func save(_ usage: QuotaUsage, for key: String) throws
}

/// Quota counters in memory only (tests, one-off runs).
public final class InMemoryQuotaStore: QuotaStore, @unchecked Sendable {
    private let lock = NSLock()
    private var values: [String: QuotaUsage] = [:]

    /// Creates an empty store.
    public init() {}

    public func load(_ key: String) throws -> QuotaUsage {
        lock.lock()
        defer { lock.unlock() }
        return values[key] ?? QuotaUsage()
    }

    public func save(_ usage: QuotaUsage, for key: String) throws {
        lock.lock()
        defer { lock.unlock() }
        values[key] = usage
    }
}

/// A quota-store failure: which file and what went wrong.
public struct QuotaStoreError: Error, Sendable, CustomStringConvertible {
    /// The file.
    public var path: String
    /// What went wrong.
    public var message: String

    public var description: String { "\(path): quota store: \(message)" }
}

/// Quota counters in one small JSON file (`{"<platform>/<bucket>": {"<hour>": count}}`), replaced atomically.
public final class FileQuotaStore: QuotaStore, @unchecked Sendable {
    /// The file.
    public let path: String
    private let lock = NSLock()
    private var cache: [String: QuotaUsage]?

    /// Creates a store over `path`; the file is created on the first save.
    public init(path: String) {
        self.path = path
    }

    public func load(_ key: String) throws -> QuotaUsage {
        lock.lock()
        defer { lock.unlock() }
        return try all()[key] ?? QuotaUsage()
    }

    public func save(_ usage: QuotaUsage, for key: String) throws {
        lock.lock()
        defer { lock.unlock() }
        var values = try all()
        values[key] = usage
        cache = values
        let json = JSONValue.object(
            values.keys.sorted().map { name in
                let slots = values[name]!.hourly.keys.sorted().map { (String($0), JSONValue.int(values[name]!.hourly[$0]!)) }
                return (name, .object(slots))
            })
        let directory = (path as NSString).deletingLastPathComponent
        do {
            if !directory.isEmpty {
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            }
            try Data(JSONWriter.compact(json).utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw QuotaStoreError(path: path, message: "cannot write (\((error as NSError).localizedDescription))")
        }
    }

    private func all() throws -> [String: QuotaUsage] {
        if let cache { return cache }
        guard let data = FileManager.default.contents(atPath: path) else {
            cache = [:]
            return [:]
        }
        let root: JSONValue
        do {
            root = try JSONParser.parse(Array(data))
        } catch {
            throw QuotaStoreError(path: path, message: "not valid JSON (\(error.description))")
        }
        guard let buckets = root.objectValue else {
            throw QuotaStoreError(path: path, message: "the top level must be an object")
        }
        var values: [String: QuotaUsage] = [:]
        for (name, slots) in buckets {
            var usage = QuotaUsage()
            for (hour, count) in slots.objectValue ?? [] {
                guard let h = Int(hour), let c = count.intValue else {
                    throw QuotaStoreError(path: path, message: "bucket '\(name)': slot '\(hour)' is not hour: count")
                }
                usage.hourly[h] = c
            }
            values[name] = usage
        }
        cache = values
        return values
    }
}
