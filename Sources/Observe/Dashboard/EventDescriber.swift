import Foundation
import MapDSL
import SyncEngine

/// One line of human text per event, for the dashboard's timeline.
public enum EventDescriber {
    /// Events that are operator actions (shown highlighted).
    public static let operatorEvents: Set<String> = [
        "record_fixed", "fix_withdrawn", "cancel_requested", "resumed", "operator_action", "operator_refused",
    ]

    /// Describes `e`.
    public static func describe(_ e: StoredEvent) -> String {
        let p = e.payload
        func s(_ k: String) -> String { p[k]?.stringValue ?? "?" }
        func i(_ k: String) -> Int { p[k]?.intValue ?? 0 }
        let by = who(p)
        switch e.type {
        case "run_started":
            return "started \(p["kind"]?.stringValue ?? "sync") of \(s("source")) → \(s("destination")) with \(s("mapping")) "
                + "(version \(String(s("mappingVersion").prefix(12))))" + (by.map { " by \($0)" } ?? "")
        case "state":
            let to = s("to")
            var text = "\(s("from")) → \(to)"
            if to == "uploading" {
                text += " batch \(i("batch"))"
            } else if ["fetching", "mapping", "validating"].contains(to) {
                text += " page \(i("page"))"
            }
            if let r = p["reason"]?.stringValue { text += ": \(r)" }
            return text
        case "page_fetched":
            return "page \(i("page")): \(i("records")) records, \(i("toSend")) to send, \(i("skipped")) skipped, "
                + "\(i("rejected")) rejected, \(i("unchanged")) unchanged"
        case "batch_sending": return "sending batch" + (p["batch"]?.intValue.map { " \($0)" } ?? "")
        case "batch_acked":
            return "batch \(i("batch")) acknowledged: \(i("created")) created, \(i("updated")) updated, "
                + "\(i("duplicate")) duplicate, \(i("rejected")) rejected"
        case "checkpoint": return "checkpoint after page \(i("page"))" + (p["done"]?.boolValue == true ? " (last page)" : "")
        case "retry": return "attempt \(i("attempt")) failed while \(s("while")): \(s("message"))"
        case "rate_limited":
            return "rate limited while \(s("while")): waiting \(String(format: "%.1f", p["wait"]?.doubleValue ?? 0))s (\(s("message")))"
        case "reconcile": return "re-sending batch \(i("batch")) that was sent but not acknowledged"
        case "resumed": return "resumed by \(by ?? "?")"
        case "record_fixed": return "\(by ?? "?") fixed \(s("field")) of record \(s("key")) to \(JSONWriter.compact(p["value"] ?? .null))"
        case "cancel_requested":
            return (p["supersede"]?.boolValue == true ? "superseded by a new run started by " : "cancel requested by ") + (by ?? "?")
        case "fix_withdrawn":
            let fields = (p["fields"]?.arrayValue ?? []).compactMap(\.stringValue).joined(separator: ", ")
            return "\(by ?? "?") withdrew the fix of \(fields) of record \(s("key"))"
        case "operator_refused": return "\(by ?? "?") asked to \(s("action")) from the \(s("via")); refused: \(s("why"))"
        case "retry_set": return "retrying \(p["keys"]?.arrayValue?.count ?? 0) rejected records"
        case "quota_exhausted": return "quota \(s("quota")) used up; resets at \(s("resetsAt"))"
        case "auto_resume": return "resuming by itself (the job's autoResume) \(s("reason"))"
        case "waiting": return "waiting for \(s("for")) until \(s("until")) (\(String(format: "%.1f", p["seconds"]?.doubleValue ?? 0))s)"
        case "operator_action":
            let only = p["only"].map { o in
                " (only \(o["code"]?.stringValue.map { $0.isEmpty ? "no code" : $0 } ?? "any code"), \(o["field"]?.stringValue.map { $0.isEmpty ? "no field" : $0 } ?? "any field"))"
            }
            return "\(by ?? "?") asked to \(s("action"))\(only ?? "") from the \(s("via"))"
        case "alert_sent": return "alert sent (\(s("condition"))): \(s("summary"))"
        case "alert_failed": return "alert failed (\(s("condition"))): \(s("summary"))"
        case "run_completed":
            let c = p["counts"]
            return "completed: \(c?["fetched"]?.intValue ?? 0) fetched, \(c?["sent"]?.intValue ?? 0) sent, "
                + "\(c?["rejected"]?.intValue ?? 0) rejected, \(c?["skipped"]?.intValue ?? 0) skipped, \(c?["unchanged"]?.intValue ?? 0) unchanged"
        default: return "\(e.type) \(JSONWriter.compact(p))"
        }
    }

    /// Who an event names (`by`), marked `(self-declared)` when nobody checked the name.
    public static func who(_ payload: JSONValue) -> String? {
        guard let (name, proof) = Principal.recorded(in: payload) else { return nil }
        return proof == .declared ? "\(name) (self-declared)" : name
    }
}
