/// What changed between two versions of a mapping's text: header, key, skip rules and the
/// expression of each destination field, compared in canonical form (so formatting and
/// assignment order never count as changes).
public struct SemanticDiff: Sendable, Hashable {
    /// A value before and after (nil when absent on that side).
    public struct Change: Sendable, Hashable {
        /// Before, or nil when absent.
        public var old: String?
        /// After, or nil when absent.
        public var new: String?
    }

    /// How one destination field changed.
    public enum FieldChangeKind: String, Sendable, Hashable {
        case added, removed, changed
    }

    /// One destination field whose assignment was added, removed or changed.
    public struct FieldChange: Sendable, Hashable {
        /// Destination field.
        public var field: String
        /// What happened.
        public var kind: FieldChangeKind
        /// The old expression, canonical and on one line.
        public var old: String?
        /// The new expression, canonical and on one line.
        public var new: String?
    }

    /// `mapping a -> b` changed.
    public var header: Change?
    /// `key F` changed.
    public var key: Change?
    /// Skip conditions only in the old version.
    public var skipsRemoved: [String] = []
    /// Skip conditions only in the new version.
    public var skipsAdded: [String] = []
    /// Field changes, ordered by field name.
    public var fields: [FieldChange] = []

    /// Whether the two versions are the same mapping.
    public var isEmpty: Bool {
        header == nil && key == nil && skipsRemoved.isEmpty && skipsAdded.isEmpty && fields.isEmpty
    }

    /// Names of destination fields that were added, removed or changed.
    public var changedFields: [String] { fields.map(\.field) }

    /// Compares two parsed mapping files.
    public static func compare(_ old: MappingFile, _ new: MappingFile) -> SemanticDiff {
        var d = SemanticDiff()
        let oh = old.header.map(headerText)
        let nh = new.header.map(headerText)
        if oh != nh { d.header = Change(old: oh, new: nh) }
        let ok = old.key.map { Formatter.name($0.field) }
        let nk = new.key.map { Formatter.name($0.field) }
        if ok != nk { d.key = Change(old: ok, new: nk) }
        let os = old.skips.map { Formatter.expression($0.condition) }
        let ns = new.skips.map { Formatter.expression($0.condition) }
        d.skipsRemoved = os.filter { !ns.contains($0) }
        d.skipsAdded = ns.filter { !os.contains($0) }
        let oa = assignments(old)
        let na = assignments(new)
        let names = Set(oa.keys).union(na.keys).sorted { a, b in
            a.lowercased() != b.lowercased() ? a.lowercased() < b.lowercased() : a < b
        }
        for name in names {
            switch (oa[name], na[name]) {
            case (nil, let n?): d.fields.append(FieldChange(field: name, kind: .added, old: nil, new: n))
            case (let o?, nil): d.fields.append(FieldChange(field: name, kind: .removed, old: o, new: nil))
            case (let o?, let n?) where o != n: d.fields.append(FieldChange(field: name, kind: .changed, old: o, new: n))
            default: break
            }
        }
        return d
    }

    /// `platform.object -> platform.object`.
    public static func headerText(_ h: MappingHeader) -> String {
        "\(Formatter.objectRef(h.source)) -> \(Formatter.objectRef(h.destination))"
    }

    private static func assignments(_ file: MappingFile) -> [String: String] {
        var out: [String: String] = [:]
        for a in file.assignments where out[a.target.text] == nil {
            out[a.target.text] = Formatter.expression(a.value)
        }
        return out
    }
}
