import Foundation
import MapDSL
import SyncEngine

/// The dashboard's HTML pages, rendered from snapshots. Pure: no I/O.
public enum DashboardPages {
    /// Where the dashboard lives.
    public static let base = "/dashboard"

    static func jobURL(_ job: String) -> String { "\(base)/jobs/\(HTML.urlEncode(job))" }
    static func recordURL(_ job: String, _ key: String) -> String { "\(jobURL(job))/record?key=\(HTML.urlEncode(key))" }

    /// The page frame: header with the operator's name form, the flash message, and `body`.
    public static func layout(title: String, actor: String, message: String?, error: String? = nil, body: String) -> String {
        var flash = ""
        if let message { flash += "<p class=\"flash ok\" role=\"status\">\(HTML.escape(message))</p>" }
        if let error { flash += "<p class=\"flash bad\" role=\"alert\">\(HTML.escape(error))</p>" }
        return """
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(HTML.escape(title)) · mapc</title>
            <link rel="stylesheet" href="\(base)/assets/dashboard.css">
            <script src="\(base)/assets/dashboard.js" defer></script>
            </head><body>
            <header><a class="brand" href="\(base)">mapc</a><nav><a href="\(base)">Jobs</a><a href="/metrics">Metrics</a></nav>
            <form class="actor" method="post" action="\(base)/actor"><label>acting as <input name="by" value="\(HTML.escape(actor))" size="12" aria-label="your name"></label><button>Set</button></form>
            <span id="refresh-state" class="muted"></span></header>
            <main>\(flash)
            \(body)
            </main></body></html>
            """
    }

    static func badge(_ s: JobSnapshot) -> String {
        var out = "<span class=\"badge state-\(s.phase.rawValue)\">\(s.run == nil ? "never run" : s.phase.rawValue)</span>"
        if s.wedge.wedged {
            out += " <span class=\"badge wedged\" title=\"no progress event for longer than the job's threshold\">wedged</span>"
        }
        return out
    }

    static func progressCell(_ s: JobSnapshot) -> String {
        guard let p = s.progress else { return "<td>—</td>" }
        var bar = ""
        if let f = p.fraction, s.phase.isRunning || s.phase == .paused {
            bar = "<progress max=\"100\" value=\"\(Int(f * 100))\">\(Int(f * 100))%</progress> "
        } else if s.phase == .completed {
            bar = "<progress max=\"100\" value=\"100\">100%</progress> "
        }
        let of = p.expected.map { " / ~\(HTML.count($0))" } ?? ""
        return "<td class=\"progress\">\(bar)<span class=\"records\">\(HTML.count(p.processed))\(of)</span></td>"
    }

    static func rate(_ r: Double?) -> String { r.map { String(format: "%.1f/s", $0) } ?? "—" }

    static func value(_ m: Measure, _ v: Double?) -> String {
        guard let v else { return "—" }
        switch m {
        case .duration: return Timestamps.duration(v)
        case .throughput: return String(format: "%.1f rec/s", v)
        case .rejectRate: return String(format: "%.1f%%", v * 100)
        }
    }

    static func normalCell(_ s: JobSnapshot) -> String {
        guard let n = s.normality else { return "—" }
        if n.comparisons.allSatisfy({ $0.verdict == .noHistory }) { return "<span class=\"muted\">no history yet</span>" }
        let unusual = n.comparisons.filter { $0.verdict == .unusual }
        if unusual.isEmpty { return "<span class=\"okay\">normal</span>" }
        return unusual.map { c in
            let tip = c.baseline.map { "median \(value(c.measure, $0.median)), p95 \(value(c.measure, $0.p95))" } ?? ""
            let word: String
            switch c.measure {
            case .duration: word = "long"
            case .throughput: word = "slow"
            case .rejectRate: word = "rejects"
            }
            return "<span class=\"chip unusual\" title=\"\(HTML.escape(tip))\">\(word) \(HTML.escape(value(c.measure, c.value)))</span>"
        }.joined(separator: " ")
    }

    static func mappingCell(_ m: MappingStatus?) -> String {
        guard let m else { return "—" }
        let version = HTML.escape(String((m.runVersion ?? m.approvedVersion ?? "").prefix(12)))
        if m.approved {
            let by = m.approvedBy.map { " by \(HTML.escape($0))" } ?? ""
            let stale = m.runVersion != nil && !m.runMatchesApproval ? " <span class=\"chip warn\">run used another version</span>" : ""
            return "<code>\(version)</code> <span class=\"okay\">approved\(by)</span>\(stale)"
        }
        return
            "<code>\(version)</code> <span class=\"chip bad\" title=\"\(HTML.escape(m.problems.joined(separator: "; ")))\">not approved</span>"
    }

    /// The jobs overview.
    public static func jobs(_ snapshots: [JobSnapshot], now: Date) -> String {
        var rows = ""
        for s in snapshots {
            let eta = s.progress?.eta.map(Timestamps.duration) ?? "—"
            let elapsed = s.measure.map { Timestamps.duration($0.duration) } ?? "—"
            let idle =
                s.wedge.idleSeconds.map { "\(Timestamps.duration($0)) ago" }
                ?? (s.run.map { HTML.escape(shortTime($0.lastEventAt)) } ?? "—")
            let rejected = s.rejectedTotal > 0 ? "<a href=\"\(jobURL(s.job))#failed\">\(HTML.count(s.rejectedTotal))</a>" : "0"
            rows += """
                <tr class="job health-\(s.health)" data-job="\(HTML.escape(s.job))"><th scope="row"><a href="\(jobURL(s.job))">\(HTML.escape(s.job))</a>\(s.run.map { " <span class=\"muted\">run \($0.id)</span>" } ?? "")</th>
                <td>\(badge(s))</td>\(progressCell(s))<td>\(rate(s.progress?.rate))</td><td>\(eta)</td><td>\(elapsed)</td><td>\(normalCell(s))</td>
                <td>\(idle)</td><td class="mapping">\(mappingCell(s.mapping))</td><td class="num">\(rejected)</td></tr>

                """
        }
        if snapshots.isEmpty {
            rows = "<tr><td colspan=\"10\" class=\"muted\">No jobs yet: add jobs/&lt;name&gt;.json and run mapc sync.</td></tr>"
        }
        return """
            <h1>Jobs</h1>
            <div data-live="jobs" id="jobs-live"><table class="jobs">
            <thead><tr><th>Job</th><th>State</th><th>Progress</th><th>Rate</th><th>ETA</th><th>Active</th><th>Is this normal?</th><th>Last progress</th><th>Mapping</th><th>Rejected</th></tr></thead>
            <tbody>\(rows)</tbody></table>
            <p class="muted small">Updated \(HTML.escape(shortTime(Timestamps.format(now)))) · ETA from the median size of past runs · "normal" compares with the median and 95th percentile of past completed runs.</p></div>
            """
    }

    static func shortTime(_ iso: String) -> String {
        guard let d = Timestamps.parse(iso) else { return iso }
        let f = DateFormatter()
        f.dateFormat = "yyyy-MM-dd HH:mm:ss"
        f.timeZone = TimeZone(identifier: "UTC")
        return f.string(from: d) + " UTC"
    }

    static func actionForm(_ action: String, _ job: String, _ label: String, actor: String, style: String = "", confirm: String? = nil)
        -> String
    {
        let c = confirm.map { " data-confirm=\"\(HTML.escape($0))\"" } ?? ""
        return """
            <form method="post" action="\(jobURL(job))/\(action)" class="inline"\(c)><input type="hidden" name="by" value="\(HTML.escape(actor))"><button class="\(style)" name="action" value="\(action)">\(label)</button></form>
            """
    }

    /// One job: state, actions, "is this normal?", mapping, failed records and timeline.
    public static func job(_ s: JobSnapshot, failed: [RecordState], timeline: [StoredEvent], actor: String) -> String {
        var out = "<h1>\(HTML.escape(s.job)) \(badge(s))</h1>\n<div data-live=\"summary\" id=\"summary-live\">"
        if let run = s.run {
            let src = run.info["source"]?.stringValue ?? s.spec?.source.qualifiedName ?? "?"
            let dst = run.info["destination"]?.stringValue ?? s.spec?.destination.qualifiedName ?? "?"
            out +=
                "<p class=\"lead\">Run \(run.id) (\(HTML.escape(run.info["kind"]?.stringValue ?? "sync"))) of <code>\(HTML.escape(src))</code> → <code>\(HTML.escape(dst))</code>, started \(HTML.escape(shortTime(run.startedAt))): <strong class=\"state-text\">\(HTML.escape(run.state.description))</strong></p>"
            if run.state.phase == .paused || run.state.phase == .failed, let reason = run.state.reason {
                out +=
                    "<p class=\"reason\" id=\"reason\"><strong>\(run.state.phase == .paused ? "Paused" : "Failed"):</strong> \(HTML.escape(reason))</p>"
            }
            if s.wedge.wedged {
                out +=
                    "<p class=\"reason\" id=\"wedged\"><strong>Wedged:</strong> no progress for \(Timestamps.duration(s.wedge.idleSeconds ?? 0)) (threshold \(Timestamps.duration(s.wedge.threshold))). The process may have died or a request hangs; check it, then cancel or resume.</p>"
            }
            let counts = s.counts.sorted { $0.key < $1.key }.map {
                "<li><span>\(HTML.escape($0.key))</span> <strong>\(HTML.count($0.value))</strong></li>"
            }.joined()
            out += "<ul class=\"counts\">\(counts.isEmpty ? "<li>no records yet</li>" : counts)</ul>"
            if let p = s.progress {
                out +=
                    "<p>Progress: \(HTML.count(p.processed)) records\(p.expected.map { " of ~\(HTML.count($0))" } ?? "") · rate \(rate(p.rate)) · ETA \(p.eta.map(Timestamps.duration) ?? "—")</p>"
            }
        } else {
            out += "<p class=\"lead\">This job has never run. Start it with <code>mapc sync \(HTML.escape(s.job))</code>.</p>"
        }
        out += "</div>\n<section class=\"actions\" aria-label=\"actions\">"
        if s.run != nil, s.phase == .paused || s.phase == .failed || s.wedge.wedged {
            out += actionForm("resume", s.job, "Resume", actor: actor, style: "primary")
        }
        if s.rejectedTotal > 0 { out += actionForm("retry", s.job, "Retry \(s.rejectedTotal) rejected", actor: actor) }
        if let run = s.run, !run.state.phase.isTerminal {
            out += actionForm("cancel", s.job, "Cancel run", actor: actor, style: "danger", confirm: "Cancel the run of \(s.job)?")
        }
        out += "</section>\n<div class=\"grid\"><section><h2>Is this normal?</h2>"
        out += normalTable(s)
        out += "</section><section><h2>Mapping</h2>\(mappingPanel(s.mapping))</section></div>"
        out +=
            "<section id=\"failed\"><h2>Failed records (\(HTML.count(s.rejectedTotal)))</h2><div data-live=\"failed\" id=\"failed-live\">"
        out += failedTable(s.job, failed)
        out += "</div></section><section><h2>Timeline</h2><div data-live=\"timeline\" id=\"timeline-live\"><ol class=\"timeline\" reversed>"
        for e in timeline {
            let cls =
                EventDescriber.operatorEvents.contains(e.type)
                ? " class=\"operator\"" : (e.type.hasPrefix("alert") ? " class=\"alert\"" : "")
            out +=
                "<li\(cls)><time>\(HTML.escape(shortTime(e.at)))</time> <span class=\"seq\">#\(e.seq)</span> <span class=\"type\">\(HTML.escape(e.type))</span> \(HTML.escape(EventDescriber.describe(e)))</li>"
        }
        out += "</ol></div></section>"
        return out
    }

    static func normalTable(_ s: JobSnapshot) -> String {
        guard let n = s.normality else { return "<p class=\"muted\">No run yet.</p>" }
        var rows = ""
        for c in n.comparisons {
            let name: String
            switch c.measure {
            case .duration: name = "Duration (active)"
            case .throughput: name = "Throughput"
            case .rejectRate: name = "Reject rate"
            }
            let verdict: String
            switch c.verdict {
            case .normal: verdict = "<span class=\"okay\">normal</span>"
            case .unusual: verdict = "<span class=\"chip unusual\">unusual</span>"
            case .noHistory: verdict = "<span class=\"muted\">not enough history</span>"
            }
            rows +=
                "<tr><th scope=\"row\">\(name)</th><td>\(value(c.measure, c.value))</td><td>\(value(c.measure, c.baseline?.median))</td><td>\(value(c.measure, c.baseline?.p95))</td><td>\(verdict)</td></tr>"
        }
        return """
            <table class="normal"><thead><tr><th></th><th>This run</th><th>Median</th><th>p95</th><th></th></tr></thead><tbody>\(rows)</tbody></table>
            <p class="muted small">Over \(s.history.count) past completed run\(s.history.count == 1 ? "" : "s") of this kind.</p>
            """
    }

    static func mappingPanel(_ m: MappingStatus?) -> String {
        guard let m else { return "<p class=\"muted\">Unknown mapping.</p>" }
        var out = "<dl class=\"mapping\"><dt>File</dt><dd><code>\(HTML.escape(m.path))</code></dd>"
        out += "<dt>Version used by the run</dt><dd><code>\(HTML.escape(String((m.runVersion ?? "—").prefix(16))))</code></dd>"
        out += "<dt>Approved version</dt><dd><code>\(HTML.escape(String((m.approvedVersion ?? "—").prefix(16))))</code></dd>"
        if let by = m.approvedBy { out += "<dt>Approved</dt><dd>by \(HTML.escape(by)) at \(HTML.escape(m.approvedAt ?? "?"))</dd>" }
        out += "<dt>Approval</dt><dd>"
        out +=
            m.approved
            ? "<span class=\"okay\">approved and unchanged</span>"
            : "<span class=\"chip bad\">not runnable</span><ul>" + m.problems.map { "<li>\(HTML.escape($0))</li>" }.joined() + "</ul>"
        out += "</dd></dl>"
        return out
    }

    static func failedTable(_ job: String, _ failed: [RecordState]) -> String {
        guard !failed.isEmpty else { return "<p class=\"muted\">No rejected records.</p>" }
        var rows = ""
        for r in failed {
            let fixes = (r.payload?["patches"]?.objectValue ?? []).map { "\($0.0)=\(JSONWriter.compact($0.1))" }.joined(separator: " ")
            rows += """
                <tr data-key="\(HTML.escape(r.key))"><td><a class="record-link" href="\(recordURL(job, r.key))">\(HTML.escape(r.key))</a></td><td>\(HTML.escape(r.destinationKey ?? ""))</td><td><code>\(HTML.escape(r.errorCode ?? ""))</code></td><td>\(HTML.escape(r.field ?? ""))</td><td>\(HTML.escape(r.error ?? ""))</td><td>\(HTML.escape(fixes))</td></tr>
                """
        }
        return
            "<table class=\"failed\"><thead><tr><th>Key</th><th>Destination key</th><th>Code</th><th>Field</th><th>Platform's reason</th><th>Fixes</th></tr></thead><tbody>\(rows)</tbody></table>"
    }

    /// One record: the platform's reason, its values, a fix form and its history.
    public static func record(job: String, _ r: RecordState, events: [RecordEvent], actor: String) -> String {
        var out = "<p class=\"crumbs\"><a href=\"\(jobURL(job))\">\(HTML.escape(job))</a> › record</p>"
        out +=
            "<h1>Record <code>\(HTML.escape(r.key))</code> <span class=\"badge status-\(HTML.escape(r.status))\" id=\"record-status\">\(HTML.escape(r.status))</span></h1>"
        if let k = r.destinationKey {
            out +=
                "<p>Destination key <code>\(HTML.escape(k))</code>\(r.destinationId.map { ", destination id <code>\(HTML.escape($0))</code>" } ?? "")</p>"
        }
        if r.status == "rejected" {
            out +=
                "<p class=\"reason\" id=\"platform-reason\"><strong>\(HTML.escape(r.errorCode ?? "rejected"))</strong>\(r.field.map { " on <code>\(HTML.escape($0))</code>" } ?? ""): \(HTML.escape(r.error ?? ""))</p>"
        }
        let source = r.payload?["source"]?.objectValue ?? []
        let values = r.payload?["values"]?.objectValue ?? []
        let patches = r.payload?["patches"]?.objectValue ?? []
        func table(_ title: String, _ pairs: [(String, JSONValue)]) -> String {
            guard !pairs.isEmpty else { return "" }
            let rows = pairs.map {
                "<tr><th scope=\"row\">\(HTML.escape($0.0))</th><td><code>\(HTML.escape(JSONWriter.compact($0.1)))</code></td></tr>"
            }.joined()
            return "<section><h2>\(title)</h2><table class=\"values\">\(rows)</table></section>"
        }
        out += "<div class=\"grid\">" + table("Source values", source) + table("Values sent", values) + "</div>"
        out += table("Fixes so far", patches)
        if r.status == "rejected" {
            var fields = Set<String>()
            var options = ""
            for (name, _) in values + source where fields.insert(name).inserted {
                options += "<option value=\"\(HTML.escape(name))\">"
            }
            let preset = r.field ?? ""
            let current = (patches + values + source).first { $0.0 == preset }?.1.stringValue ?? ""
            out += """
                <section class="fix"><h2>Fix a field</h2>
                <form method="post" action="\(jobURL(job))/record/fix" id="fix-form">
                <input type="hidden" name="key" value="\(HTML.escape(r.key))">
                <label>Field <input name="field" id="fix-field" list="fields" value="\(HTML.escape(preset))" required></label>
                <datalist id="fields">\(options)</datalist>
                <label>New value <input name="value" id="fix-value" value="\(HTML.escape(current))" size="32"></label>
                <label>By <input name="by" value="\(HTML.escape(actor))" size="12"></label>
                <button class="primary" id="fix-submit">Save fix</button>
                </form><p class="muted small">A source field is mapped again; a destination field overrides the value sent. Text is taken as is; prefix with <code>=</code> for JSON (<code>=42</code>, <code>=null</code>).</p>
                \(actionForm("retry", job, "Retry rejected records now", actor: actor))
                </section>
                """
        }
        out += "<section><h2>History</h2><ol class=\"timeline\" reversed>"
        for e in events.reversed() {
            let cls = e.kind == "fixed" ? " class=\"operator\"" : ""
            out +=
                "<li\(cls)><time>\(HTML.escape(shortTime(e.at)))</time> <span class=\"seq\">run \(e.run)</span> <span class=\"type\">\(HTML.escape(e.kind))</span> <code>\(HTML.escape(JSONWriter.compact(e.payload)))</code></li>"
        }
        out += "</ol></section>"
        return out
    }
}
