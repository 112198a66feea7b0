/// A semantic and behavioural comparison of two versions of a mapping, ready to render as text,
/// JSON or a Markdown pull-request comment.
public struct MappingDiff: Sendable, Hashable {
    /// How to name the old version (a path, or "approved by … at …").
    public var oldLabel: String
    /// How to name the new version.
    public var newLabel: String
    /// Text-level changes.
    public var semantic: SemanticDiff
    /// Changes in output over the samples, when both versions compile.
    public var behaviour: BehaviouralDiff?
    /// Why parts of the comparison are missing, or other remarks.
    public var notes: [String]

    /// Creates a diff.
    public init(oldLabel: String, newLabel: String, semantic: SemanticDiff, behaviour: BehaviouralDiff?, notes: [String] = []) {
        self.oldLabel = oldLabel
        self.newLabel = newLabel
        self.semantic = semantic
        self.behaviour = behaviour
        self.notes = notes
    }

    /// Whether neither the text nor the behaviour changed.
    public var isEmpty: Bool { semantic.isEmpty && (behaviour?.isEmpty ?? true) }

    /// The diff as plain text for a terminal.
    public func renderText() -> String {
        var s = "diff \(oldLabel) -> \(newLabel)\n"
        let sem = semantic
        if sem.isEmpty {
            s += "\nno semantic changes (same header, key, skip rules and field expressions)\n"
        }
        if let h = sem.header { s += "\nheader\n  - mapping \(h.old ?? "(none)")\n  + mapping \(h.new ?? "(none)")\n" }
        if let k = sem.key { s += "\nkey\n  - key \(k.old ?? "(none)")\n  + key \(k.new ?? "(none)")\n" }
        if !sem.skipsRemoved.isEmpty || !sem.skipsAdded.isEmpty {
            s += "\nskip rules\n"
            for r in sem.skipsRemoved { s += "  - skip when \(r)\n" }
            for r in sem.skipsAdded { s += "  + skip when \(r)\n" }
        }
        if !sem.fields.isEmpty {
            s += "\nfields (\(MappingDiff.fieldSummary(sem)))\n"
            for f in sem.fields {
                let mark = f.kind == .added ? "+" : f.kind == .removed ? "-" : "~"
                s += "  \(mark) \(f.field) (\(f.kind.rawValue))\n"
                if let o = f.old { s += "      - \(f.field) = \(o)\n" }
                if let n = f.new { s += "      + \(f.field) = \(n)\n" }
            }
        }
        if let b = behaviour {
            s += "\nbehaviour over \(b.samplesPath): \(b.changed) of \(b.read) record\(b.read == 1 ? "" : "s") change\n"
            if !b.outcomes.isEmpty {
                var t = ReportTable(["records", "before", "after", "first lines"], right: [0])
                for o in b.outcomes { t.add([String(o.count), o.from, o.to, DryRunReport.lineList(o.lines, total: o.count)]) }
                s += "\n  outcomes\n" + t.text(indent: "    ")
            }
            if !b.fields.isEmpty {
                var t = ReportTable(["records", "field", "line", "before", "after"], right: [0, 2])
                for f in b.fields {
                    for (i, e) in f.examples.enumerated() {
                        t.add([
                            i == 0 ? String(f.count) : "", i == 0 ? f.field : "", String(e.line), ReportTable.clip(e.before, 50),
                            ReportTable.clip(e.after, 50),
                        ])
                    }
                }
                s += "\n  fields\n" + t.text(indent: "    ")
            }
        }
        for n in notes { s += "\nnote: \(n)\n" }
        return s
    }

    /// The diff as GitHub-flavoured Markdown for a pull-request comment.
    public func renderMarkdown() -> String {
        var s = "### Mapping diff: \(ReportTable.code(oldLabel)) → \(ReportTable.code(newLabel))\n\n"
        let sem = semantic
        if sem.isEmpty {
            s += "No semantic changes: same header, key, skip rules and field expressions.\n"
        } else {
            var t = ReportTable(["change", "what", "before", "after"])
            if let h = sem.header {
                t.add(["header", "`mapping`", h.old.map(ReportTable.code) ?? "–", h.new.map(ReportTable.code) ?? "–"])
            }
            if let k = sem.key { t.add(["key", "`key`", k.old.map(ReportTable.code) ?? "–", k.new.map(ReportTable.code) ?? "–"]) }
            for r in sem.skipsRemoved { t.add(["skip rule removed", "`skip when`", ReportTable.code(r), "–"]) }
            for r in sem.skipsAdded { t.add(["skip rule added", "`skip when`", "–", ReportTable.code(r)]) }
            for f in sem.fields {
                t.add([
                    "field \(f.kind.rawValue)", ReportTable.code(f.field), f.old.map(ReportTable.code) ?? "–",
                    f.new.map(ReportTable.code) ?? "–",
                ])
            }
            s += t.markdown()
        }
        if let b = behaviour {
            s += "\n#### Behaviour over \(ReportTable.code(b.samplesPath))\n\n"
            s += "**\(b.changed)** of \(b.read) sample record\(b.read == 1 ? "" : "s") change output.\n"
            if !b.outcomes.isEmpty {
                s += "\n"
                var t = ReportTable(["records", "before", "after", "first lines"], right: [0])
                for o in b.outcomes {
                    t.add([
                        String(o.count), ReportTable.code(o.from), ReportTable.code(o.to), DryRunReport.lineList(o.lines, total: o.count),
                    ])
                }
                s += t.markdown()
            }
            if !b.fields.isEmpty {
                s += "\n"
                var t = ReportTable(["field", "records changed", "examples (line: before → after)"], right: [1])
                for f in b.fields {
                    let ex = f.examples.map {
                        "line \($0.line): \(ReportTable.code(ReportTable.clip($0.before, 60))) → \(ReportTable.code(ReportTable.clip($0.after, 60)))"
                    }
                    t.add([ReportTable.code(f.field), String(f.count), ex.joined(separator: "<br>")])
                }
                s += t.markdown()
            }
        }
        for n in notes { s += "\n> **Note:** \(ReportTable.escape(n))\n" }
        return s
    }

    /// The diff as JSON.
    public var json: JSONValue {
        func change(_ c: SemanticDiff.Change?) -> JSONValue {
            guard let c else { return .null }
            return .object([("old", c.old.map { .string($0) } ?? .null), ("new", c.new.map { .string($0) } ?? .null)])
        }
        let sem = semantic
        var o: [(String, JSONValue)] = [
            ("old", .string(oldLabel)), ("new", .string(newLabel)),
            (
                "semantic",
                .object([
                    ("header", change(sem.header)), ("key", change(sem.key)),
                    ("skipsRemoved", .array(sem.skipsRemoved.map { .string($0) })),
                    ("skipsAdded", .array(sem.skipsAdded.map { .string($0) })),
                    (
                        "fields",
                        .array(
                            sem.fields.map { f in
                                .object([
                                    ("field", .string(f.field)), ("change", .string(f.kind.rawValue)),
                                    ("old", f.old.map { .string($0) } ?? .null), ("new", f.new.map { .string($0) } ?? .null),
                                ])
                            })
                    ),
                ])
            ),
        ]
        if let b = behaviour {
            o.append(
                (
                    "behaviour",
                    .object([
                        ("samples", .string(b.samplesPath)), ("read", .int(b.read)), ("changed", .int(b.changed)),
                        (
                            "outcomes",
                            .array(
                                b.outcomes.map {
                                    .object([
                                        ("from", .string($0.from)), ("to", .string($0.to)), ("count", .int($0.count)),
                                        ("lines", .array($0.lines.map { .int($0) })),
                                    ])
                                })
                        ),
                        (
                            "fields",
                            .array(
                                b.fields.map { f in
                                    .object([
                                        ("field", .string(f.field)), ("count", .int(f.count)),
                                        (
                                            "examples",
                                            .array(
                                                f.examples.map {
                                                    .object([
                                                        ("line", .int($0.line)), ("before", .string($0.before)),
                                                        ("after", .string($0.after)),
                                                    ])
                                                })
                                        ),
                                    ])
                                })
                        ),
                    ])
                ))
        } else {
            o.append(("behaviour", .null))
        }
        o.append(("notes", .array(notes.map { .string($0) })))
        return .object(o)
    }

    static func fieldSummary(_ sem: SemanticDiff) -> String {
        let c = sem.fields.filter { $0.kind == .changed }.count
        let a = sem.fields.filter { $0.kind == .added }.count
        let r = sem.fields.filter { $0.kind == .removed }.count
        return "\(c) changed, \(a) added, \(r) removed"
    }
}
