/// The field names of one object's records, each at a fixed slot, so hot paths index arrays instead of
/// hashing field names per record.
///
/// Layouts only grow, and a grown layout keeps every earlier name in its slot. A record keeps the layout
/// it was last written under; because every later layout of its object starts with the same names, a slot
/// resolved against the object's newest layout is valid for all its records (a slot past the end of a
/// record's values is an absent field). Instances are immutable, so records can be read outside the
/// store's lock.
final class FieldLayout: Sendable {
    /// Field names by slot.
    let names: [String]
    /// Slot by field name.
    private let slots: [String: Int]

    /// The layout with no fields.
    static let empty = FieldLayout(names: [], slots: [:])

    private init(names: [String], slots: [String: Int]) {
        self.names = names
        self.slots = slots
    }

    /// Number of slots.
    var count: Int { names.count }

    /// The slot of `name`, or `nil` when no record of the object has ever had that field.
    func slot(_ name: String) -> Int? {
        slots[name]
    }

    /// This layout with `newNames` (not yet present, no repeats) appended in the order given.
    func adding(_ newNames: [String]) -> FieldLayout {
        guard !newNames.isEmpty else { return self }
        var names = self.names
        var slots = self.slots
        for name in newNames {
            slots[name] = names.count
            names.append(name)
        }
        return FieldLayout(names: names, slots: slots)
    }
}
