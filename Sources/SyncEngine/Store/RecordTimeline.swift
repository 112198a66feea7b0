import MapDSL

/// `mapc why`'s text: one record's history as a person reads it. Runs in order; in each, the
/// values fetched (all of them the first time, then only what changed), the values mapped or sent
/// (likewise diffed against the last values mapped), who refused them and why (mapc's own check or
/// the platform, with code, field and reason), the operator's fixes with their author and the run
/// that applied them, and retries.
public enum RecordTimeline {
    /// Renders `record`'s `events`; `destination(run)` names the platform a run wrote to
    /// (`salesforce`), for "refused by salesforce".
    public static func render(record: RecordState, events: [RecordEvent], destination: (Int) -> String?) -> String {
        var out = "record \(record.key)"
        if let k = record.destinationKey, k != record.key { out += " (destination key \(k))" }
        out += ": \(describeStatus(record))"
        if let id = record.destinationId { out += ", destination id \(id)" }
        if let v = record.mappingVersion { out += ", mapping version \(v.prefix(12))" }
        out += "\n"
        var lastFetched: [(String, JSONValue)]?
        var lastMapped: [(String, JSONValue)]?
        var fixAuthors: [String: String] = [:]
        var run: Int?
        // The platform refused the record with a transient error: its next send is a retry.
        var retrying = false
        for e in events {
            if e.run != run {
                run = e.run
                out += "\nrun \(e.run)\(e.kind == "fixed" || e.kind == "fix_withdrawn" ? " (between runs)" : "")\n"
            }
            let p = e.payload
            let at = time(e.at)
            switch e.kind {
            case "fetched":
                let values = p["values"]?.objectValue ?? []
                let page = p["page"]?.intValue.map { " (page \($0))" } ?? ""
                if let before = lastFetched {
                    let changes = diff(before, values)
                    out += "  \(at)  fetched\(page): " + (changes.isEmpty ? "same values as before\n" : "changed in the source\n")
                    out += changes.map { "      \($0)\n" }.joined()
                } else {
                    out += "  \(at)  fetched\(page):\n" + values.map { "      \($0.0) = \(show($0.1))\n" }.joined()
                }
                lastFetched = values
            case "sent":
                let values = p["values"]?.objectValue ?? []
                let batch = p["batch"]?.intValue.map { " in batch \($0)" } ?? ""
                let verb = retrying ? "sent again (a retry)" : "sent"
                retrying = false
                out += "  \(at)  \(verb)\(batch)\(p["new"]?.boolValue == true ? " (new)" : ""):"
                out += mappedLines(values, before: lastMapped)
                lastMapped = values
            case "result":
                let status = p["status"]?.stringValue ?? "?"
                if status == "rejected" {
                    let who = destination(e.run).map { "refused by \($0)" } ?? "refused by the platform"
                    out += "  \(at)  \(who) (the platform's reason): \(reason(p))"
                    retrying = p["transient"]?.boolValue == true
                    out += retrying ? " (transient: to be sent again)\n" : "\n"
                } else {
                    out += "  \(at)  \(status)" + (p["destinationId"]?.stringValue.map { ", destination id \($0)" } ?? "") + "\n"
                }
            case "rejected":
                switch p["stage"]?.stringValue {
                case "validation":
                    let values = p["values"]?.objectValue ?? []
                    out += "  \(at)  mapped, not sent: refused by mapc's check \(reason(p))\n"
                    out += "      values mapped (not sent):" + mappedLines(values, before: lastMapped, indent: 8)
                    lastMapped = values
                case "mapping":
                    out += "  \(at)  not mapped: the mapping failed \(reason(p))\n"
                case "destination" where p["resent"]?.boolValue == false:
                    out += "  \(at)  not sent again: \(p["reason"]?.stringValue ?? "the platform refused these values before")\n"
                default:
                    out += "  \(at)  rejected (\(p["stage"]?.stringValue ?? "?")): \(reason(p))\n"
                }
            case "skipped": out += "  \(at)  skipped: \(p["rule"]?.stringValue ?? "a skip rule")\n"
            case "unchanged": out += "  \(at)  not sent: its mapped values were delivered before (unchanged)\n"
            case "warned":
                for w in p["warnings"]?.arrayValue ?? [] {
                    out += "  \(at)  sent with a warning: \(reason(w))\n"
                }
            case "fixed":
                let by = who(p)
                let field = p["field"]?.stringValue ?? "?"
                fixAuthors[field] = by
                let side = p["side"]?.stringValue.map { " (\($0) field)" } ?? ""
                out += "  \(at)  fixed by \(by): \(field)\(side) = \(show(p["value"] ?? .null))\n"
            case "fix_applied":
                let fields = (p["fields"]?.arrayValue ?? []).compactMap(\.stringValue)
                let authored = fields.map { f in fixAuthors[f].map { "\(f) by \($0)" } ?? f }
                out += "  \(at)  applied by run \(e.run): the fix of \(authored.joined(separator: "; "))\n"
            case "fix_superseded":
                let fields = (p["fields"]?.arrayValue ?? []).compactMap(\.stringValue).joined(separator: ", ")
                out += "  \(at)  fix of \(fields) no longer applied: \(p["reason"]?.stringValue ?? "the source changed")\n"
            case "fix_withdrawn":
                let fields = (p["fields"]?.arrayValue ?? []).compactMap(\.stringValue).joined(separator: ", ")
                out += "  \(at)  fix of \(fields) withdrawn by \(who(p))\n"
            default:
                out += "  \(at)  \(e.kind): \(JSONWriter.compact(p))\n"
            }
        }
        return out
    }

    /// `created`, or `rejected (V0704 on Email)`.
    static func describeStatus(_ r: RecordState) -> String {
        guard r.status == "rejected" else { return r.status }
        return "rejected (\(r.errorCode ?? "?")\(r.field.map { " on \($0)" } ?? ""))"
    }

    /// `V0704 on Email: "x" is not a valid email address`.
    static func reason(_ p: JSONValue) -> String {
        var text = p["code"]?.stringValue ?? "?"
        if let f = p["field"]?.stringValue { text += " on \(f)" }
        if let m = p["message"]?.stringValue { text += ": \(m)" }
        return text
    }

    /// The author of a fix: `erin (self-declared)`.
    static func who(_ p: JSONValue) -> String {
        guard let (name, proof) = Principal.recorded(in: p) else { return "?" }
        return proof == .declared ? "\(name) (self-declared)" : name
    }

    /// Mapped values: all of them the first time, else the fields that differ from `before`.
    static func mappedLines(_ values: [(String, JSONValue)], before: [(String, JSONValue)]?, indent: Int = 6) -> String {
        let pad = String(repeating: " ", count: indent)
        guard let before else { return "\n" + values.map { "\(pad)\($0.0) = \(show($0.1))\n" }.joined() }
        let changes = diff(before, values)
        if changes.isEmpty { return " the same values as last mapped\n" }
        return " changed since last mapped\n" + changes.map { "\(pad)\($0)\n" }.joined()
    }

    /// `Email: "maria@@gmail.com" → "maria@gmail.com"` per field that differs (fields that came
    /// or went included).
    static func diff(_ before: [(String, JSONValue)], _ after: [(String, JSONValue)]) -> [String] {
        var old: [String: JSONValue] = [:]
        for (k, v) in before { old[k] = v }
        var out: [String] = []
        var seen = Set<String>()
        for (k, v) in after {
            seen.insert(k)
            let was = old[k]
            if was != v { out.append("\(k): \(was.map(show) ?? "(absent)") → \(show(v))") }
        }
        for (k, v) in before where !seen.contains(k) { out.append("\(k): \(show(v)) → (absent)") }
        return out
    }

    /// A value as JSON, cut at 80 characters.
    static func show(_ v: JSONValue) -> String {
        let text = JSONWriter.compact(v)
        return text.count > 80 ? String(text.prefix(79)) + "…" : text
    }

    /// `2026-12-05 05:43:34` from `2026-12-05T05:43:34.095Z`.
    static func time(_ at: String) -> String {
        guard at.count >= 19 else { return at }
        return String(at.prefix(19)).replacingOccurrences(of: "T", with: " ")
    }
}
