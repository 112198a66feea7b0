import Foundation

/// Serves `lookup(platform.Object, Field == value)` during evaluation: the destination adapter in a
/// sync, sample files in a dry-run, a stub in tests. Implementations cache as they see fit.
public protocol LookupProvider: Sendable {
    /// The record of `object` (`platform.Object`) whose `field` equals `value`, as field values by
    /// name; nil when no record or more than one record matches (an ambiguous match is no match).
    func lookup(object: String, field: String, equals value: Value) throws -> [String: Value]?
}

/// A lookup provider over records held in memory, indexed on first use of each field.
public final class InMemoryLookup: LookupProvider, @unchecked Sendable {
    private var records: [String: [[String: Value]]]
    private var indexes: [String: [Value: [String: Value]?]] = [:]
    private let lock = NSLock()

    /// Creates a provider; `records` maps `platform.Object` to its records.
    public init(records: [String: [[String: Value]]]) {
        self.records = records
    }

    public func lookup(object: String, field: String, equals value: Value) throws -> [String: Value]? {
        lock.withLock {
            let indexKey = object + "\u{0}" + field
            if indexes[indexKey] == nil {
                var index: [Value: [String: Value]?] = [:]
                for r in records[object] ?? [] {
                    guard let v = r[field], !v.isNull else { continue }
                    // A second record with the same value makes the value ambiguous.
                    index[v] = index[v] == nil ? .some(r) : .some(nil)
                }
                indexes[indexKey] = index
            }
            return indexes[indexKey]?[value] ?? nil
        }
    }
}

extension InMemoryLookup {
    /// Records decoded from JSONL `text` with `schema`'s field types; unreadable values become null,
    /// malformed lines are skipped and counted.
    public static func records(fromJSONL text: String, schema: Schema) -> (records: [[String: Value]], malformed: Int) {
        var out: [[String: Value]] = []
        var malformed = 0
        for line in text.split(separator: "\n", omittingEmptySubsequences: true) {
            guard let json = try? JSONParser.parse(String(line)), let pairs = json.objectValue else {
                malformed += 1
                continue
            }
            var record: [String: Value] = [:]
            for (k, v) in pairs {
                guard let field = schema.field(k) else { continue }
                if case .success(let value) = SourceDecoder.decode(v, as: field) { record[k] = value }
            }
            out.append(record)
        }
        return (out, malformed)
    }
}
