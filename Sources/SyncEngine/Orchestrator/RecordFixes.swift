import Foundation
import MapDSL

/// Which side of the mapping a fix corrects.
public enum FixSide: String, Sendable, Hashable, CaseIterable {
    /// A source field: the record is mapped again with the fixed value.
    case source
    /// A destination field: the mapped value is replaced by the fixed one.
    case destination
}

/// One operator fix of one field of one record, as its record events say (`fixed`, then maybe
/// `fix_applied`, `fix_withdrawn` or `fix_superseded`).
///
/// A fix stays attached to the record key: every run that maps the record (sync, retry, resume)
/// applies it. It is *outstanding* until a run writes the record with it; after that it stays *in
/// effect* (so a later full sync does not send the old value again) until the source record
/// changes, when it is retired (`fix_superseded`), or until an operator withdraws it.
public struct RecordFix: Sendable, Hashable {
    /// The record key (the source record id).
    public var key: String
    /// The field fixed.
    public var field: String
    /// The value it is given.
    public var value: JSONValue
    /// The side of the mapping; nil for fixes recorded before sides were known (then both).
    public var side: FixSide?
    /// Who made it.
    public var by: String
    /// How that name is known (`login`, `os-user`, `self-declared`, `system`).
    public var identity: String?
    /// When it was made.
    public var at: String
    /// The run it was recorded against.
    public var run: Int
    /// The run that first wrote the record with it; nil while outstanding.
    public var appliedRun: Int?
    /// Fingerprint of the source record the fix was made against (or first applied to); when a run
    /// reads the record with another fingerprint, the source changed and the fix is retired.
    public var sourceHash: String?

    /// Whether no run has written the record with it yet.
    public var isOutstanding: Bool { appliedRun == nil }

    /// The fix's record event kinds, in the store's partial index of fix events.
    public static let eventKinds = ["fixed", "fix_applied", "fix_withdrawn", "fix_superseded"]

    /// The fixes in effect, by record key, from the fix events of a job in order.
    public static func fold(_ events: [RecordEvent]) -> [String: [RecordFix]] {
        var out: [String: [RecordFix]] = [:]
        for e in events {
            let p = e.payload
            switch e.kind {
            case "fixed":
                guard let field = p["field"]?.stringValue else { continue }
                let fix = RecordFix(
                    key: e.key, field: field, value: p["value"] ?? .null, side: p["side"]?.stringValue.flatMap(FixSide.init(rawValue:)),
                    by: p["by"]?.stringValue ?? "?", identity: p["identity"]?.stringValue, at: e.at, run: e.run, appliedRun: nil,
                    sourceHash: p["sourceHash"]?.stringValue)
                var list = out[e.key] ?? []
                list.removeAll { $0.field == field }
                list.append(fix)
                out[e.key] = list
            case "fix_applied":
                let fields = Set((p["fields"]?.arrayValue ?? []).compactMap(\.stringValue))
                guard var list = out[e.key] else { continue }
                for i in list.indices where fields.contains(list[i].field) && list[i].appliedRun == nil {
                    list[i].appliedRun = e.run
                    if let h = p["sourceHash"]?.stringValue { list[i].sourceHash = h }
                }
                out[e.key] = list
            case "fix_withdrawn", "fix_superseded":
                let fields = (p["fields"]?.arrayValue ?? []).compactMap(\.stringValue)
                var list = out[e.key] ?? []
                if fields.isEmpty { list.removeAll() } else { list.removeAll { fields.contains($0.field) } }
                out[e.key] = list.isEmpty ? nil : list
            default: continue
            }
        }
        return out
    }

    /// The fingerprint of a source record's values, compared across runs to tell whether the source
    /// changed since a fix (member order does not matter).
    public static func fingerprint(_ fields: JSONValue) -> String {
        let members = (fields.objectValue ?? []).sorted { $0.0 < $1.0 }
        return String(ContentHash.of(JSONWriter.bytes(.object(members))).prefix(32))
    }
}

/// What the fixes of one record did to it while it was mapped.
struct FixUse: Sendable {
    /// The source's fingerprint as read (nil when the record's source was not read, e.g. a retry of
    /// values the destination refused).
    var fingerprint: String?
    /// Fields of outstanding fixes applied (a successful write makes them `fix_applied`).
    var outstanding: [String] = []
    /// Fields of fixes retired because the source changed.
    var superseded: [String] = []
}

extension RecordFix {
    /// Applies `fixes` of a record to its source values: the source-side (and side-unknown) fixes
    /// still in effect replace or add fields. Returns the values and what was used; fixes made
    /// against another version of the source are left out (superseded).
    static func applySource(_ fixes: [RecordFix], to fields: JSONValue, sourceRead: Bool) -> (JSONValue, [RecordFix], FixUse) {
        var use = FixUse()
        guard !fixes.isEmpty else { return (fields, [], use) }
        var effective = fixes
        if sourceRead {
            let print = fingerprint(fields)
            use.fingerprint = print
            effective = fixes.filter { $0.sourceHash == nil || $0.sourceHash == print }
            use.superseded = fixes.filter { $0.sourceHash != nil && $0.sourceHash != print }.map(\.field)
        }
        use.outstanding = effective.filter(\.isOutstanding).map(\.field)
        var members = fields.objectValue ?? []
        for fix in effective where fix.side != .destination {
            if let i = members.firstIndex(where: { $0.0 == fix.field }) {
                members[i].1 = fix.value
            } else {
                members.append((fix.field, fix.value))
            }
        }
        return (.object(members), effective, use)
    }
}
