import Foundation
import MapDSL
import SyncEngine

/// A small thread-safe cache of `find` answers (including "no match"), cleared per object on writes.
final class LookupCache: @unchecked Sendable {
    private let lock = NSLock()
    private var entries: [String: JSONValue?] = [:]
    private let capacity: Int

    init(capacity: Int) {
        self.capacity = capacity
    }

    private func key(_ object: String, _ field: String, _ value: String) -> String { "\(object)\u{1}\(field)\u{1}\(value)" }

    /// The cached answer: `.some(nil)` is a cached "no match", nil means "not cached".
    func get(_ object: String, _ field: String, _ value: String) -> JSONValue?? {
        guard capacity > 0 else { return nil }
        lock.lock()
        defer { lock.unlock() }
        return entries[key(object, field, value)]
    }

    func put(_ object: String, _ field: String, _ value: String, _ answer: JSONValue?) {
        guard capacity > 0 else { return }
        lock.lock()
        defer { lock.unlock() }
        if entries.count >= capacity { entries.removeAll(keepingCapacity: true) }
        entries[key(object, field, value)] = .some(answer)
    }

    /// Forgets every answer about `object` (after writing to it).
    func invalidate(_ object: String) {
        lock.lock()
        defer { lock.unlock() }
        let prefix = "\(object)\u{1}"
        entries = entries.filter { !$0.key.hasPrefix(prefix) }
    }

    /// Looks up through the cache.
    func lookup(_ object: String, _ field: String, _ value: String, _ load: () throws(AdapterError) -> JSONValue?)
        throws(AdapterError) -> JSONValue?
    {
        if let cached = get(object, field, value) { return cached }
        let answer = try load()
        put(object, field, value, answer)
        return answer
    }
}
