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
    private(set) var objects: [String: [StoredRecord]] = [:]
    var sequence = 0
    /// Position of each record by id, per object.
    private var idIndex: [String: [String: Int]] = [:]
    /// Positions by field value, per `object\0field\0ci`, built on the first lookup and kept current.
    private var valueIndex: [String: [String: [Int]]] = [:]

    /// A fresh number for building record ids.
    mutating func nextSequence() -> Int {
        sequence += 1
        return sequence
    }

    func all(_ object: String) -> [StoredRecord] {
        objects[object] ?? []
    }

    private static func indexKey(_ object: String, _ field: String, _ caseInsensitive: Bool) -> String {
        object + "\u{0}" + field + (caseInsensitive ? "\u{0}ci" : "")
    }

    private static func normalised(_ record: StoredRecord, _ field: String, _ caseInsensitive: Bool) -> String? {
        guard let text = record.fields[field]?.textValue else { return nil }
        return caseInsensitive ? text.lowercased() : text
    }

    /// Records whose `field` equals `value` (case-insensitively when asked, as for emails), through an
    /// index built on first use so upserts stay fast on large objects.
    mutating func find(_ object: String, field: String, value: String, caseInsensitive: Bool = false) -> [StoredRecord] {
        let key = Self.indexKey(object, field, caseInsensitive)
        if valueIndex[key] == nil {
            var index: [String: [Int]] = [:]
            for (i, r) in (objects[object] ?? []).enumerated() {
                if let v = Self.normalised(r, field, caseInsensitive) { index[v, default: []].append(i) }
            }
            valueIndex[key] = index
        }
        let wanted = caseInsensitive ? value.lowercased() : value
        guard let rows = objects[object] else { return [] }
        return (valueIndex[key]?[wanted] ?? []).map { rows[$0] }
    }

    func record(_ object: String, id: String) -> StoredRecord? {
        guard let i = idIndex[object]?[id], let rows = objects[object], i < rows.count else { return nil }
        return rows[i]
    }

    mutating func insert(_ record: StoredRecord, into object: String) {
        let position = objects[object]?.count ?? 0
        objects[object, default: []].append(record)
        idIndex[object, default: [:]][record.id] = position
        let prefix = object + "\u{0}"
        // Iterating `valueIndex.keys` while writing would keep the old storage alive and copy every
        // index on each insert; take the keys first.
        for key in Self.keys(of: valueIndex, prefix: prefix) {
            let parts = key.dropFirst(prefix.count).split(separator: "\u{0}", omittingEmptySubsequences: false)
            if let v = Self.normalised(record, String(parts[0]), parts.count > 1) { valueIndex[key]![v, default: []].append(position) }
        }
    }

    private static func keys(of index: [String: [String: [Int]]], prefix: String) -> [String] {
        index.keys.filter { $0.hasPrefix(prefix) }
    }

    /// Gives records of `object` without an id one from `make`.
    mutating func assignMissingIDs(_ object: String, _ make: (inout RecordTables) -> String) {
        for i in (objects[object] ?? []).indices where objects[object]![i].id.isEmpty {
            let id = make(&self)
            objects[object]![i].id = id
            idIndex[object, default: [:]][id] = i
        }
    }

    /// Merges `fields` into the record `id` (null values are stored as null); returns the result.
    @discardableResult
    mutating func update(_ object: String, id: String, fields: [String: JSONValue], at date: Date) -> StoredRecord? {
        guard let index = idIndex[object]?[id], objects[object] != nil, index < objects[object]!.count else { return nil }
        let before = objects[object]![index]
        for (name, value) in fields {
            objects[object]![index].fields[name] = value
        }
        objects[object]![index].updatedAt = date
        let after = objects[object]![index]
        // Keep the value indexes of changed fields current.
        let prefix = object + "\u{0}"
        for key in Self.keys(of: valueIndex, prefix: prefix) {
            let parts = key.dropFirst(prefix.count).split(separator: "\u{0}", omittingEmptySubsequences: false)
            let field = String(parts[0])
            guard fields[field] != nil else { continue }
            let ci = parts.count > 1
            let old = Self.normalised(before, field, ci)
            let new = Self.normalised(after, field, ci)
            if old == new { continue }
            if let old { valueIndex[key]![old]?.removeAll { $0 == index } }
            if let new { valueIndex[key]![new, default: []].append(index) }
        }
        return after
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
