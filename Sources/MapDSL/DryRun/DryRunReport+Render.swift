extension DryRunReport {
    /// How many duplicate keys and examples the text and Markdown renderings list.
    static let listLimit = 10

    /// The report as aligned plain text for a terminal.
    public func renderText() -> String {
        var s = "dry-run \(mappingPath) (\(mapping)) over \(samplesPath)\n\n"
        var counts = ReportTable(["read", "mapped", "skipped", "rejected"], right: [0, 1, 2, 3])
        counts.add([String(read), String(mapped), String(skipped), String(rejected)])
        if let l = lookups {
            counts.headers.append("lookups hit")
            counts.alignments.append(.right)
            counts.rows[0].append("\(l.hits)/\(l.calls) (\(DryRunReport.percent(l.hits, of: l.calls)))")
        }
        s += counts.text()
        if !skips.isEmpty {
            s += "\nskipped by rule\n"
            var t = ReportTable(["records", "rule", "first lines"], right: [0])
            for k in skips { t.add([String(k.count), k.rule, DryRunReport.lineList(k.lines, total: k.count)]) }
            s += t.text()
        }
        s += "\nrejected\n"
        if rejections.isEmpty {
            s += "  none\n"
        } else {
            var t = ReportTable(["records", "code", "field", "reason", "first lines"], right: [0])
            for g in rejections {
                t.add([String(g.count), g.code, g.field ?? "-", g.title, DryRunReport.lineList(g.examples.map(\.line), total: g.count)])
            }
            s += t.text()
            s += "\n"
            for g in rejections {
                for e in g.examples { s += "  \(samplesPath):\(e.line): \(g.code) \(g.field ?? "-"): \(e.message)\n" }
            }
        }
        if !warnings.isEmpty {
            s += "\nwarned: \(warned) record\(warned == 1 ? "" : "s") mapped with values the destination may refuse\n"
            var t = ReportTable(["records", "code", "field", "reason", "first lines"], right: [0])
            for g in warnings {
                t.add([String(g.count), g.code, g.field ?? "-", g.title, DryRunReport.lineList(g.examples.map(\.line), total: g.count)])
            }
            s += t.text()
            s += "\n"
            for g in warnings {
                for e in g.examples { s += "  \(samplesPath):\(e.line): warning \(g.code) \(g.field ?? "-"): \(e.message)\n" }
            }
        }
        s += "\nfill rate over \(mapped) mapped record\(mapped == 1 ? "" : "s")\n"
        var fillTable = ReportTable(["field", "filled", "rate"], right: [1, 2])
        for f in fill { fillTable.add([f.field, "\(f.filled)/\(f.total)", DryRunReport.percent(f.filled, of: f.total)]) }
        s += fillTable.text()
        if let keyField {
            s += "\nduplicate keys (\(keyField))\n"
            if duplicateKeys.isEmpty {
                s += "  none\n"
            } else {
                var t = ReportTable(["value", "records", "lines"], right: [1])
                for d in duplicateKeys.prefix(DryRunReport.listLimit) {
                    t.add([ReportTable.clip(d.value, 60), String(d.lines.count), DryRunReport.lineList(d.lines, total: d.lines.count)])
                }
                s += t.text()
                if duplicateKeys.count > DryRunReport.listLimit {
                    s += "  … \(duplicateKeys.count - DryRunReport.listLimit) more\n"
                }
            }
        }
        for r in shown { s += "\n" + DryRunReport.shownText(r, samplesPath: samplesPath) }
        return s
    }

    /// The report as GitHub-flavoured Markdown, for a pull-request comment.
    public func renderMarkdown() -> String {
        var s = "### Dry run: \(ReportTable.code(mappingPath))\n\n"
        s += "\(ReportTable.code(mapping)) over \(ReportTable.code(samplesPath))\n\n"
        var counts = ReportTable(["read", "mapped", "skipped", "rejected"], right: [0, 1, 2, 3])
        counts.add([String(read), String(mapped), String(skipped), String(rejected)])
        if let l = lookups {
            counts.headers.append("lookups hit")
            counts.alignments.append(.right)
            counts.rows[0].append("\(l.hits)/\(l.calls) (\(DryRunReport.percent(l.hits, of: l.calls)))")
        }
        s += counts.markdown()
        s += "\n#### Rejected records\n\n"
        if rejections.isEmpty {
            s += "None.\n"
        } else {
            var t = ReportTable(["code", "field", "records", "reason", "examples"], right: [2])
            for g in rejections {
                let examples = g.examples.map { "line \($0.line): " + ReportTable.escape($0.message) }.joined(separator: "<br>")
                t.add([g.code, g.field.map(ReportTable.code) ?? "–", String(g.count), ReportTable.escape(g.title), examples])
            }
            s += t.markdown()
        }
        if !warnings.isEmpty {
            s += "\n#### Warnings (\(warned) mapped record\(warned == 1 ? "" : "s") the destination may refuse)\n\n"
            var t = ReportTable(["code", "field", "records", "reason", "examples"], right: [2])
            for g in warnings {
                let examples = g.examples.map { "line \($0.line): " + ReportTable.escape($0.message) }.joined(separator: "<br>")
                t.add([g.code, g.field.map(ReportTable.code) ?? "–", String(g.count), ReportTable.escape(g.title), examples])
            }
            s += t.markdown()
        }
        if !skips.isEmpty {
            s += "\n#### Skipped records\n\n"
            var t = ReportTable(["rule", "records", "first lines"], right: [1])
            for k in skips { t.add([ReportTable.code(k.rule), String(k.count), DryRunReport.lineList(k.lines, total: k.count)]) }
            s += t.markdown()
        }
        s += "\n#### Fill rate (\(mapped) mapped record\(mapped == 1 ? "" : "s"))\n\n"
        var fillTable = ReportTable(["field", "filled", "rate"], right: [1, 2])
        for f in fill {
            fillTable.add([ReportTable.code(f.field), "\(f.filled)/\(f.total)", DryRunReport.percent(f.filled, of: f.total)])
        }
        s += fillTable.markdown()
        if let keyField {
            s += "\n#### Duplicate keys (\(ReportTable.code(keyField)))\n\n"
            if duplicateKeys.isEmpty {
                s += "None.\n"
            } else {
                var t = ReportTable(["value", "records", "lines"], right: [1])
                for d in duplicateKeys.prefix(DryRunReport.listLimit) {
                    t.add([
                        ReportTable.code(ReportTable.clip(d.value, 60)), String(d.lines.count),
                        DryRunReport.lineList(d.lines, total: d.lines.count),
                    ])
                }
                s += t.markdown()
                if duplicateKeys.count > DryRunReport.listLimit { s += "\n… and \(duplicateKeys.count - DryRunReport.listLimit) more.\n" }
            }
        }
        if !shown.isEmpty {
            s += "\n#### Sample records\n"
            for r in shown {
                s += "\n**line \(r.line)**\n\n"
                var t = ReportTable(["source field", "value", "destination field", "value"])
                for row in DryRunReport.sideBySide(r) {
                    t.add([
                        ReportTable.code(row.0), ReportTable.code(ReportTable.clip(row.1, 80)), ReportTable.code(row.2),
                        row.2.isEmpty ? ReportTable.escape(row.3) : ReportTable.code(ReportTable.clip(row.3, 80)),
                    ])
                }
                s += t.markdown()
            }
        }
        return s
    }

    /// A rejection or warning group as JSON.
    static func groupJSON(_ g: RejectionGroup) -> JSONValue {
        .object([
            ("code", .string(g.code)), ("title", .string(g.title)), ("field", g.field.map { .string($0) } ?? .null),
            ("count", .int(g.count)),
            ("examples", .array(g.examples.map { .object([("line", .int($0.line)), ("message", .string($0.message))]) })),
        ])
    }

    /// The report as JSON, with every group, example and duplicate.
    public var json: JSONValue {
        var o: [(String, JSONValue)] = [
            ("mapping", .string(mapping)), ("mappingPath", .string(mappingPath)), ("samples", .string(samplesPath)),
            ("read", .int(read)), ("mapped", .int(mapped)), ("skipped", .int(skipped)), ("rejected", .int(rejected)),
            (
                "skips",
                .array(
                    skips.map { k in
                        .object([("rule", .string(k.rule)), ("count", .int(k.count)), ("lines", .array(k.lines.map { .int($0) }))])
                    })
            ),
            ("rejections", .array(rejections.map(DryRunReport.groupJSON))),
            ("warned", .int(warned)),
            ("warnings", .array(warnings.map(DryRunReport.groupJSON))),
            (
                "fill",
                .array(
                    fill.map { f in .object([("field", .string(f.field)), ("filled", .int(f.filled)), ("total", .int(f.total))]) })
            ),
        ]
        if let l = lookups { o.append(("lookups", .object([("calls", .int(l.calls)), ("hits", .int(l.hits))]))) }
        o.append(("key", keyField.map { .string($0) } ?? .null))
        o.append(
            (
                "duplicateKeys",
                .array(duplicateKeys.map { .object([("value", .string($0.value)), ("lines", .array($0.lines.map { .int($0) }))]) })
            ))
        if !shown.isEmpty {
            o.append(
                (
                    "shown",
                    .array(
                        shown.map { r in
                            var out: [(String, JSONValue)] = [
                                ("line", .int(r.line)),
                                ("source", .object(r.source.map { ($0.field, (try? JSONParser.parse($0.value)) ?? .string($0.value)) })),
                            ]
                            switch r.outcome {
                            case .mapped(let pairs):
                                out.append(("outcome", "mapped"))
                                out.append(("output", .object(pairs.map { ($0.field, .string($0.value)) })))
                            case .skipped(let rule):
                                out.append(("outcome", "skipped"))
                                out.append(("rule", .string(rule)))
                            case .rejected(let reasons):
                                out.append(("outcome", "rejected"))
                                out.append(("reasons", .array(reasons.map { .string($0) })))
                            }
                            return .object(out)
                        })
                ))
        }
        return .object(o)
    }

    /// `1, 5, 9, …` (an ellipsis when `total` exceeds the lines listed).
    static func lineList(_ lines: [Int], total: Int) -> String {
        let listed = lines.prefix(DryRunReport.listLimit).map(String.init).joined(separator: ", ")
        return total > min(lines.count, DryRunReport.listLimit) ? listed + ", …" : listed
    }

    /// Rows pairing source fields with output fields (or the outcome), padded to the longer side.
    static func sideBySide(_ r: ShownRecord) -> [(String, String, String, String)] {
        let right: [(String, String)]
        switch r.outcome {
        case .mapped(let pairs): right = pairs.map { ($0.field, $0.value) }
        case .skipped(let rule): right = [("", "skipped by `skip when \(rule)`")]
        case .rejected(let reasons): right = reasons.map { ("", "rejected: " + $0) }
        }
        let n = max(r.source.count, right.count)
        return (0..<n).map { i in
            let l = i < r.source.count ? (r.source[i].field, r.source[i].value) : ("", "")
            let rr = i < right.count ? right[i] : ("", "")
            return (l.0, l.1, rr.0, rr.1)
        }
    }

    static func shownText(_ r: ShownRecord, samplesPath: String) -> String {
        var s = "\(samplesPath):\(r.line)\n"
        var t = ReportTable(["source field", "value", "", "destination field", "value"])
        for row in sideBySide(r) {
            t.add([row.0, ReportTable.clip(row.1, 40), row.2.isEmpty && row.3.isEmpty ? "" : "→", row.2, ReportTable.clip(row.3, 60)])
        }
        s += t.text()
        return s
    }
}
