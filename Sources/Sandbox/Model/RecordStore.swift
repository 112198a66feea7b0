import Foundation

/// One record held by an emulator: flat field values keyed by schema field name, plus bookkeeping.
struct StoredRecord: Sendable, Equatable {
    var id: String
    var fields: [String: JSONValue]
    var createdAt: Date
    var updatedAt: Date
}

/// The records of every object of one emulator, in insertion order.
///
/// Callers that must read and write atomically (upsert: find by key, then insert or update) do so
/// inside ``RecordStore/transaction(_:)``, so concurrent upserts of one key never create duplicates.
struct RecordTables: Sendable {
    var objects: [String: [StoredRecord]] = [:]
    var sequence = 0

    /// A fresh number for building record ids.
    mutating func nextSequence() -> Int {
        sequence += 1
        return sequence
    }

    func all(_ object: String) -> [StoredRecord] {
        objects[object] ?? []
    }

    /// Records whose `field` equals `value` (case-insensitively when asked, as for emails).
    func find(_ object: String, field: String, value: String, caseInsensitive: Bool = false) -> [StoredRecord] {
        let wanted = caseInsensitive ? value.lowercased() : value
        return all(object).filter { record in
            guard let text = record.fields[field]?.textValue else { return false }
            return (caseInsensitive ? text.lowercased() : text) == wanted
        }
    }

    func record(_ object: String, id: String) -> StoredRecord? {
        all(object).first { $0.id == id }
    }

    mutating func insert(_ record: StoredRecord, into object: String) {
        objects[object, default: []].append(record)
    }

    /// Merges `fields` into the record `id` (null values are stored as null); returns the result.
    @discardableResult
    mutating func update(_ object: String, id: String, fields: [String: JSONValue], at date: Date) -> StoredRecord? {
        guard let index = objects[object]?.firstIndex(where: { $0.id == id }) else { return nil }
        for (name, value) in fields {
            objects[object]![index].fields[name] = value
        }
        objects[object]![index].updatedAt = date
        return objects[object]![index]
    }
}

/// Thread-safe record storage with a seed to return to on reset.
final class RecordStore: Sendable {
    private let tables: Locked<RecordTables>
    private let seed: RecordTables

    init(seed: RecordTables) {
        self.seed = seed
        self.tables = Locked(seed)
    }

    /// Runs `body` atomically with the tables.
    func transaction<Result>(_ body: (inout RecordTables) throws -> Result) rethrows -> Result {
        try tables.withLock(body)
    }

    /// A snapshot of one object's records.
    func all(_ object: String) -> [StoredRecord] {
        tables.withLock { $0.all(object) }
    }

    /// Object names with at least one record, sorted.
    var objectNames: [String] {
        tables.withLock { $0.objects.keys.sorted() }
    }

    /// Restores the seeded state.
    func reset() {
        tables.withLock { $0 = seed }
    }
}
