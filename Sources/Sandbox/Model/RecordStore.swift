import Foundation
import MapcSupport

/// One record held by an emulator: flat field values by slot of its object's ``FieldLayout``, plus
/// bookkeeping.
///
/// A field is absent (never written) or present with a value, possibly `null`; the two differ only in
/// the control API's record dump.
struct StoredRecord: Sendable {
    var id: String
    /// The layout the record was last written under (a prefix of its object's newest layout).
    private(set) var layout: FieldLayout
    /// Values by slot; `nil` is an absent field, and slots past the end are absent too.
    private(set) var values: [JSONValue?]
    var createdAt: Date
    var updatedAt: Date

    /// A record whose values are already laid out by `layout`.
    fileprivate init(id: String, layout: FieldLayout, values: [JSONValue?], createdAt: Date, updatedAt: Date) {
        self.id = id
        self.layout = layout
        self.values = values
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }

    /// The value of field `name`, or `nil` when absent.
    subscript(field name: String) -> JSONValue? {
        guard let slot = layout.slot(name) else { return nil }
        return value(at: slot)
    }

    /// The value at `slot` of the object's layout, or `nil` when absent.
    func value(at slot: Int) -> JSONValue? {
        slot < values.count ? values[slot] : nil
    }

    /// The present fields in slot order.
    var fieldPairs: [(name: String, value: JSONValue)] {
        var pairs: [(name: String, value: JSONValue)] = []
        pairs.reserveCapacity(values.count)
        for (slot, value) in values.enumerated() {
            if let value { pairs.append((layout.names[slot], value)) }
        }
        return pairs
    }

    /// The present fields by name (builds a dictionary: for dumps, not for hot paths).
    var fieldDictionary: [String: JSONValue] {
        values.fields(named: layout.names)
    }

    /// Writes `values` (by slot of `newLayout`, which must be at least as new as the record's) over the
    /// record's values.
    fileprivate mutating func merge(_ values: [(slot: Int, value: JSONValue)], under newLayout: FieldLayout) {
        layout = newLayout
        if self.values.count < newLayout.count {
            self.values.append(contentsOf: repeatElement(nil, count: newLayout.count - self.values.count))
        }
        for (slot, value) in values {
            self.values[slot] = value
        }
    }
}

/// The positions of the records with one index value: almost always one, so no array for it.
private enum Positions: Sendable {
    case none
    case one(Int)
    case many([Int])

    mutating func append(_ position: Int) {
        switch self {
        case .none: self = .one(position)
        case .one(let first): self = .many([first, position])
        case .many(var all):
            self = .none
            all.append(position)
            self = .many(all)
        }
    }

    /// Removes every occurrence of `position`.
    mutating func remove(_ position: Int) {
        switch self {
        case .none: break
        case .one(let only): if only == position { self = .none }
        case .many(var all):
            self = .none
            all.removeAll { $0 == position }
            self = .many(all)
        }
    }

    func map<T>(_ transform: (Int) -> T) -> [T] {
        switch self {
        case .none: []
        case .one(let only): [transform(only)]
        case .many(let all): all.map(transform)
        }
    }
}

/// One object's records in insertion order, with its layout and indexes.
private struct ObjectTable: Sendable {
    /// Positions of records by the value of one field (folded to lower case for emails), built on the
    /// first lookup and kept current.
    struct ValueIndex: Sendable {
        let field: String
        let caseInsensitive: Bool
        /// The field's slot, once the layout has one.
        var slot: Int?
        var positions: [String: Positions] = [:]

        /// The record's value as this index keys it, or `nil` when the field is absent, null or not text.
        func key(of record: StoredRecord) -> String? {
            guard let slot, let text = record.value(at: slot)?.textValue else { return nil }
            return caseInsensitive ? text.lowercased() : text
        }
    }

    var layout = FieldLayout.empty {
        didSet {
            for i in indexes.indices where indexes[i].slot == nil {
                indexes[i].slot = layout.slot(indexes[i].field)
            }
        }
    }
    var rows: [StoredRecord] = []
    /// Position of each record by id, for the first ``idsIndexed`` rows. Ids are indexed when one is
    /// looked up (catching up in insertion order, so the last record with an id wins, as if indexed on
    /// insert): objects written by external key, like upserted leads, never pay for it.
    private var positions: [String: Int] = [:]
    private var idsIndexed = 0
    /// The few value indexes asked for so far.
    var indexes: [ValueIndex] = []

    /// The position of the record `id`, or `nil`.
    mutating func position(of id: String) -> Int? {
        indexIDs()
        return positions[id]
    }

    private mutating func indexIDs() {
        while idsIndexed < rows.count {
            positions[rows[idsIndexed].id] = idsIndexed
            idsIndexed += 1
        }
    }

    /// Gives the record `old` the id `new`; false when there is no record `old`.
    mutating func rename(_ old: String, to new: String) -> Bool {
        guard let i = position(of: old) else { return false }
        positions[old] = nil
        rows[i].id = new
        positions[new] = i
        return true
    }

    /// Changes the id of the record at `index`.
    mutating func setID(_ id: String, at index: Int) {
        indexIDs()
        rows[index].id = id
        positions[id] = index
    }

    /// The slot of `name`, growing the layout when no record has had the field yet.
    mutating func slot(_ name: String) -> Int {
        if let slot = layout.slot(name) { return slot }
        layout = layout.adding([name])
        return layout.count - 1
    }

    /// `fields` by slot, growing the layout by the names it lacks (added in sorted order, so slots do not
    /// depend on dictionary order).
    mutating func slotted(_ fields: [String: JSONValue]) -> [(slot: Int, value: JSONValue)] {
        var slotted: [(slot: Int, value: JSONValue)] = []
        slotted.reserveCapacity(fields.count)
        var missing: [(name: String, value: JSONValue)] = []
        for (name, value) in fields {
            if let slot = layout.slot(name) {
                slotted.append((slot, value))
            } else {
                missing.append((name, value))
            }
        }
        if !missing.isEmpty {
            missing.sort { $0.name < $1.name }
            let first = layout.count
            layout = layout.adding(missing.map(\.name))
            for (offset, field) in missing.enumerated() {
                slotted.append((first + offset, field.value))
            }
        }
        return slotted
    }

    mutating func insert(id: String, values: [(slot: Int, value: JSONValue)], createdAt: Date, updatedAt: Date)
        -> StoredRecord
    {
        var laidOut = [JSONValue?].absent(layout.count)
        for (slot, value) in values {
            laidOut[slot] = value
        }
        let record = StoredRecord(id: id, layout: layout, values: laidOut, createdAt: createdAt, updatedAt: updatedAt)
        let position = rows.count
        rows.append(record)
        for i in indexes.indices {
            if let key = indexes[i].key(of: record) { indexes[i].positions[key, default: .none].append(position) }
        }
        return record
    }

    mutating func update(at index: Int, values: [(slot: Int, value: JSONValue)], date: Date) -> StoredRecord {
        // Old index values first: holding a copy of the record would make the write copy its values.
        let touched = indexes.indices.filter { i in
            guard let slot = indexes[i].slot else { return false }
            return values.contains { $0.slot == slot }
        }
        let before = touched.map { indexes[$0].key(of: rows[index]) }
        rows[index].merge(values, under: layout)
        rows[index].updatedAt = date
        for (i, old) in zip(touched, before) {
            let new = indexes[i].key(of: rows[index])
            if old == new { continue }
            if let old { indexes[i].positions[old]?.remove(index) }
            if let new { indexes[i].positions[new, default: .none].append(index) }
        }
        return rows[index]
    }

    mutating func find(field: String, caseInsensitive: Bool, value: String) -> [StoredRecord] {
        let i: Int
        if let existing = indexes.firstIndex(where: { $0.field == field && $0.caseInsensitive == caseInsensitive }) {
            i = existing
        } else {
            var index = ValueIndex(field: field, caseInsensitive: caseInsensitive, slot: layout.slot(field))
            for (position, record) in rows.enumerated() {
                if let key = index.key(of: record) { index.positions[key, default: .none].append(position) }
            }
            indexes.append(index)
            i = indexes.count - 1
        }
        let wanted = caseInsensitive ? value.lowercased() : value
        return (indexes[i].positions[wanted] ?? .none).map { rows[$0] }
    }
}

/// The records of every object of one emulator, in insertion order.
///
/// Callers that must read and write atomically (upsert: find by key, then insert or update) do so
/// inside ``RecordStore/transaction(_:)``, so concurrent upserts of one key never create duplicates.
struct RecordTables: Sendable {
    private var objects: [String: ObjectTable] = [:]
    var sequence = 0

    /// A fresh number for building record ids.
    mutating func nextSequence() -> Int {
        sequence += 1
        return sequence
    }

    /// Object names with at least one record, sorted.
    var objectNames: [String] {
        objects.filter { !$0.value.rows.isEmpty }.keys.sorted()
    }

    func all(_ object: String) -> [StoredRecord] {
        objects[object]?.rows ?? []
    }

    /// Number of records of `object`.
    func count(_ object: String) -> Int {
        objects[object]?.rows.count ?? 0
    }

    /// The newest layout of `object`: slots resolved against it are valid for all its records.
    func layout(_ object: String) -> FieldLayout {
        objects[object]?.layout ?? .empty
    }

    /// The records of `object` at `range` (clamped to the records there are).
    func records(_ object: String, in range: Range<Int>) -> [StoredRecord] {
        guard let rows = objects[object]?.rows else { return [] }
        let clamped = range.clamped(to: 0..<rows.count)
        return Array(rows[clamped])
    }

    /// Records whose `field` equals `value` (case-insensitively when asked, as for emails), through an
    /// index built on first use so upserts stay fast on large objects.
    mutating func find(_ object: String, field: String, value: String, caseInsensitive: Bool = false) -> [StoredRecord] {
        guard objects[object] != nil else { return [] }
        return objects[object]!.find(field: field, caseInsensitive: caseInsensitive, value: value)
    }

    mutating func record(_ object: String, id: String) -> StoredRecord? {
        guard objects[object] != nil, let i = objects[object]!.position(of: id) else { return nil }
        return objects[object]!.rows[i]
    }

    /// Adds a record to `object` and returns it as stored.
    @discardableResult
    mutating func insert(
        id: String, fields: [String: JSONValue], createdAt: Date, updatedAt: Date, into object: String
    ) -> StoredRecord {
        let values = objects[object, default: ObjectTable()].slotted(fields)
        return objects[object]!.insert(id: id, values: values, createdAt: createdAt, updatedAt: updatedAt)
    }

    /// The slot of field `name` in `object`'s layout, growing the layout when no record has had the field.
    ///
    /// Slots let a request resolve its field names once and then write many records by slot.
    mutating func slot(of name: String, in object: String) -> Int {
        objects[object, default: ObjectTable()].slot(name)
    }

    /// Adds a record given as values by slot (from ``slot(of:in:)``) and returns it as stored.
    @discardableResult
    mutating func insert(
        id: String, values: [(slot: Int, value: JSONValue)], createdAt: Date, updatedAt: Date, into object: String
    ) -> StoredRecord {
        objects[object, default: ObjectTable()].insert(id: id, values: values, createdAt: createdAt, updatedAt: updatedAt)
    }

    /// Gives records of `object` without an id one from `make`.
    mutating func assignMissingIDs(_ object: String, _ make: (inout RecordTables) -> String) {
        for i in (objects[object]?.rows ?? []).indices where objects[object]!.rows[i].id.isEmpty {
            let id = make(&self)
            objects[object]!.setID(id, at: i)
        }
    }

    /// Changes the id of record `old` of `object` to `new` (a Mailchimp member whose address changed).
    @discardableResult
    mutating func rekey(_ object: String, from old: String, to new: String) -> Bool {
        guard objects[object] != nil else { return false }
        return objects[object]!.rename(old, to: new)
    }

    /// Merges `fields` into the record `id` (null values are stored as null); returns the result.
    @discardableResult
    mutating func update(_ object: String, id: String, fields: [String: JSONValue], at date: Date) -> StoredRecord? {
        guard objects[object] != nil, let index = objects[object]!.position(of: id) else { return nil }
        let values = objects[object]!.slotted(fields)
        return objects[object]!.update(at: index, values: values, date: date)
    }

    /// Merges values by slot (from ``slot(of:in:)``) into the record `id`; returns the result.
    @discardableResult
    mutating func update(_ object: String, id: String, values: [(slot: Int, value: JSONValue)], at date: Date)
        -> StoredRecord?
    {
        guard objects[object] != nil, let index = objects[object]!.position(of: id) else { return nil }
        return objects[object]!.update(at: index, values: values, date: date)
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
        tables.withLock { $0.objectNames }
    }

    /// Restores the seeded state.
    func reset() {
        tables.withLock { $0 = seed }
    }
}
