import Foundation
import MapDSL

/// How long looked-up answers are trusted, and where they are kept between runs.
struct LookupCachePolicy: Sendable {
    /// The store keeping answers across runs (nil: answers last for the run only).
    var store: EventStore?
    /// The job the answers belong to.
    var job: String
    /// Seconds a found record is trusted.
    var ttl: Double
    /// Seconds a "no match" is trusted.
    var missTTL: Double
    /// Objects whose answers change while the run goes on (the object the job writes): answers of
    /// those are never kept beyond the run, and a "no match" is not kept at all.
    var volatile: Set<String>
}

/// Looked-up answers (hits and misses), shared by the threads that map a run's pages: kept across
/// pages and, in the store, across runs, each within its freshness bound.
final class LookupAnswers: @unchecked Sendable {
    struct Entry {
        var record: [String: Value]?
        var expires: Double
    }

    let schemas: [String: Schema]
    let policy: LookupCachePolicy
    let now: @Sendable () -> Double
    private let lock = NSLock()
    // Guarded by `lock`.
    private var cache: [LookupKey: Entry] = [:]
    private var fresh: [(key: LookupKey, answer: JSONValue?, ttl: Double)] = []
    private var remote = 0

    /// Creates the answers of a run, loading those the store still holds fresh for the job.
    init(schemas: [String: Schema], policy: LookupCachePolicy, now: @escaping @Sendable () -> Double) {
        self.schemas = schemas
        self.policy = policy
        self.now = now
        if let store = policy.store, policy.ttl > 0 || policy.missTTL > 0 {
            let at = now()
            // A store that cannot be read only costs the lookups again.
            for (key, answer) in (try? store.cachedLookups(job: policy.job, now: at)) ?? [:] where !policy.volatile.contains(key.object) {
                let ttl = answer == nil ? policy.missTTL : policy.ttl
                cache[key] = Entry(record: Self.typed(answer, object: key.object, schemas: schemas), expires: at + ttl)
            }
        }
    }

    /// Lookups sent to a platform so far.
    var remoteLookups: Int { lock.withLock { remote } }

    /// The answer for `key` if one is fresh at `at`.
    func cached(_ key: LookupKey, at: Double) -> Entry? {
        lock.withLock { cache[key].flatMap { $0.expires > at ? $0 : nil } }
    }

    /// Keeps what the platform answered for `key` (`found`: nil for no match) at `at`; returns it typed.
    func keep(_ key: LookupKey, found: JSONValue?, at: Double) -> [String: Value]? {
        let record = Self.typed(found, object: key.object, schemas: schemas)
        let volatile = policy.volatile.contains(key.object)
        lock.withLock {
            remote += 1
            // A "no match" in the object being written may be created by the next batch.
            if volatile && found == nil { return }
            // Within the run an answer lasts as long as across runs; with no bound set, for the run.
            let ttl = volatile ? Double.infinity : (found == nil ? policy.missTTL : policy.ttl)
            cache[key] = Entry(record: record, expires: ttl > 0 ? at + ttl : .infinity)
            if !volatile, policy.store != nil, ttl > 0, ttl.isFinite { fresh.append((key, found, ttl)) }
        }
        return record
    }

    /// Writes the answers fetched since the last call to the store (for the next runs). A failed
    /// write only costs those lookups again later.
    func persist() {
        guard let store = policy.store else { return }
        let answers = lock.withLock {
            defer { fresh = [] }
            return fresh
        }
        guard !answers.isEmpty else { return }
        try? store.cacheLookups(job: policy.job, answers, now: now())
    }

    /// A found record typed by the looked-up object's schema (text where the schema says nothing).
    static func typed(_ found: JSONValue?, object: String, schemas: [String: Schema]) -> [String: Value]? {
        guard let found, let pairs = found.objectValue else { return nil }
        var r: [String: Value] = [:]
        let schema = schemas[object]
        for (k, v) in pairs {
            if let f = schema?.field(k), case .success(let typed) = SourceDecoder.decode(v, as: f) {
                r[k] = typed
            } else if let s = v.stringValue {
                r[k] = .string(s)
            }
        }
        return r
    }
}

/// Serves one mapping thread's lookups from the adapters, through the run's shared answers. A
/// platform failure (an outage) is never cached: the page is mapped again. Each thread has its own,
/// so a failure is reported to the thread whose lookup failed.
final class AdapterLookup: LookupProvider, @unchecked Sendable {
    private let adapters: [String: PlatformAdapter]
    private let answers: LookupAnswers
    private let lock = NSLock()
    private var failure: AdapterError?

    /// Creates a provider over `adapters` (the first adapter of a platform serves it).
    init(adapters: [PlatformAdapter], answers: LookupAnswers) {
        var map: [String: PlatformAdapter] = [:]
        for a in adapters where map[a.platform] == nil { map[a.platform] = a }
        self.adapters = map
        self.answers = answers
    }

    /// The first platform failure since the last call, if any (the failed lookups were not cached).
    func takeFailure() -> AdapterError? {
        lock.withLock {
            let f = failure
            failure = nil
            return f
        }
    }

    func lookup(object: String, field: String, equals value: Value) throws -> [String: Value]? {
        let key = LookupKey(object: object, field: field, value: value.text)
        let at = answers.now()
        if let hit = answers.cached(key, at: at) { return hit.record }
        let parts = object.split(separator: ".", maxSplits: 1).map(String.init)
        guard parts.count == 2, let adapter = adapters[parts[0]] else { return nil }
        do {
            return answers.keep(key, found: try adapter.find(object: parts[1], field: field, value: key.value), at: at)
        } catch let e as AdapterError {
            // Named as the mapping writes it, so a pause speaks of the lookup, not of a state.
            let named = e.prefixed("the \(parts[1]) lookup (\(object) by \(field)) failed: ")
            lock.withLock {
                if failure == nil { failure = named }
            }
            throw named
        }
    }
}
