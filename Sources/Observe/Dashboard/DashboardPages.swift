import Foundation
import MapDSL
import SyncEngine

/// The dashboard's HTML pages, rendered from snapshots and pages of the store. Pure: no I/O. No
/// inline script or style (the content security policy forbids both): behaviour lives in
/// ``DashboardAssets/js``, looks in ``DashboardAssets/css``.
public enum DashboardPages {
    /// Where the dashboard lives.
    public static let base = "/dashboard"

    static func jobURL(_ job: String) -> String { "\(base)/jobs/\(HTML.urlEncode(job))" }
    static func recordURL(_ job: String, _ key: String) -> String { "\(jobURL(job))/record?key=\(HTML.urlEncode(key))" }

    static func head(_ title: String) -> String {
        """
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>\(HTML.escape(title)) · mapc</title>
        <link rel="stylesheet" href="\(base)/assets/dashboard.css">
        <script src="\(base)/assets/dashboard.js" defer></script>
        </head>
        """
    }

    static func csrf(_ context: PageContext) -> String {
        "<input type=\"hidden\" name=\"csrf\" value=\"\(HTML.escape(context.session.csrf))\">"
    }

    static func flash(message: String?, error: String?) -> String {
        var out = ""
        if let message { out += "<p class=\"flash ok\" role=\"status\">\(HTML.escape(message))</p>" }
        if let error { out += "<p class=\"flash bad\" role=\"alert\">\(HTML.escape(error))</p>" }
        return out
    }

    /// The page frame: header with the signed-in operator and the sign-out button, the flash
    /// message, and `body`.
    static func layout(title: String, context: PageContext, body: String) -> String {
        let s = context.session
        return head(title) + """
            <body>
            <header><a class="brand" href="\(base)">mapc</a><nav><a href="\(base)">Jobs</a><a href="/metrics">Metrics</a></nav>
            <span class="who" id="who">signed in as <strong>\(HTML.escape(s.name))</strong> <span class="role">\(s.role.rawValue)</span></span>
            <form class="logout" method="post" action="/logout">\(csrf(context))<button id="logout">Sign out</button></form>
            <span id="refresh-state" class="muted"></span></header>
            <main>\(flash(message: context.message, error: context.error))
            \(body)
            </main></body></html>
            """
    }

    /// The sign-in page.
    static func login(next: String, token: String, error: String?) -> String {
        head("Sign in") + """
            <body class="login">
            <main><h1>mapc</h1>\(flash(message: nil, error: error))
            <form method="post" action="/login" id="login-form" class="login">
            <input type="hidden" name="csrf" value="\(HTML.escape(token))">
            <input type="hidden" name="next" value="\(HTML.escape(next))">
            <label>Operator <input name="name" id="login-name" autocomplete="username" required maxlength="64"></label>
            <label>Password <input name="password" id="login-password" type="password" autocomplete="current-password" required></label>
            <button class="primary" id="login-submit">Sign in</button>
            </form>
            <p class="muted small">Operators are added with <code>mapc operators add NAME</code> on the server.</p>
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

    /// "Is this normal?" in one cell: `normal` only when every measure was judged normal.
    static func normalCell(_ s: JobSnapshot) -> String {
        guard let n = s.normality else { return "—" }
        if n.comparisons.allSatisfy({ $0.verdict == .noHistory }) {
            return "<span class=\"muted\">no history yet (\(s.history.count) of \(NormalityJudge.minimumHistory) runs)</span>"
        }
        let unusual = n.comparisons.filter { $0.verdict == .unusual }
        if unusual.isEmpty {
            if n.comparisons.contains(where: { $0.verdict == .tooEarly || $0.verdict == .noHistory }) {
                return "<span class=\"muted\">too early to tell</span>"
            }
            return "<span class=\"okay\">normal</span>"
        }
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

    static func ago(_ iso: String?, now: Date) -> String {
        guard let iso, let d = Timestamps.parse(iso) else { return "—" }
        return "<span title=\"\(HTML.escape(shortTime(iso)))\">\(Timestamps.duration(max(0, now.timeIntervalSince(d)))) ago</span>"
    }

    /// The words of ``normalCell(_:)`` without markup.
    public static func normalCellText(_ s: JobSnapshot) -> String {
        normalCell(s).replacingOccurrences(of: "<[^>]*>", with: "", options: .regularExpression)
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
                <td>\(idle)</td><td>\(ago(s.lastSuccess?.at, now: now))</td><td class="mapping">\(mappingCell(s.mapping))</td><td class="num">\(rejected)</td></tr>

                """
        }
        if snapshots.isEmpty {
            rows = "<tr><td colspan=\"11\" class=\"muted\">No jobs yet: add jobs/&lt;name&gt;.json and run mapc sync.</td></tr>"
        }
        return """
            <h1>Jobs</h1>
            <div data-live="jobs" id="jobs-live"><table class="jobs">
            <thead><tr><th>Job</th><th>State</th><th>Progress</th><th>Rate</th><th>ETA</th><th>Active</th><th>Is this normal?</th><th>Last progress</th><th>Last successful sync</th><th>Mapping</th><th>Rejected</th></tr></thead>
            <tbody>\(rows)</tbody></table>
            <p class="muted small">Updated \(HTML.escape(shortTime(Timestamps.format(now)))) · ETA from the median size of past runs · "normal" compares with the median and 95th percentile of past completed runs.</p></div>
            """
    }

    static func shortTime(_ iso: String) -> String {
        guard Timestamps.parse(iso) != nil, iso.count >= 19 else { return iso }
        return String(iso.prefix(10)) + " " + String(iso.dropFirst(11).prefix(8)) + " UTC"
    }

    static func actionForm(
        _ action: String, _ job: String, _ label: String, context: PageContext, style: String = "", confirm: String? = nil,
        extra: [(String, String)] = []
    ) -> String {
        let c = confirm.map { " data-confirm=\"\(HTML.escape($0))\"" } ?? ""
        let hidden = extra.map { "<input type=\"hidden\" name=\"\(HTML.escape($0.0))\" value=\"\(HTML.escape($0.1))\">" }.joined()
        return """
            <form method="post" action="\(jobURL(job))/\(action)" class="inline action-\(action)"\(c)>\(csrf(context))\(hidden)<button class="\(style)">\(label)</button></form>
            """
    }

    /// "Showing 1–50 of 1,292 …" with previous and next links that keep the rest of the query.
    static func pager(
        total: Int, page: Int, size: Int, noun: String, param: String, query: JobPageQuery, job: String, anchor: String
    ) -> String {
        guard total > 0 else { return "<p class=\"muted pager\">No \(noun).</p>" }
        let offset = (page - 1) * size
        var out = "<p class=\"pager\"><span class=\"range\">"
        if offset >= total {
            out += "Page \(HTML.count(page)) is past the end: \(HTML.count(total)) \(noun)</span>"
        } else {
            out += "Showing \(HTML.count(offset + 1))–\(HTML.count(min(total, offset + size))) of \(HTML.count(total)) \(noun)</span>"
        }
        if page > 1 {
            out +=
                " <a class=\"prev\" href=\"\(jobURL(job))\(HTML.escape(query.with([param: page == 2 ? nil : String(page - 1)])))#\(anchor)\">← previous</a>"
        }
        if page * size < total {
            out += " <a class=\"next\" href=\"\(jobURL(job))\(HTML.escape(query.with([param: String(page + 1)])))#\(anchor)\">next →</a>"
        }
        return out + "</p>"
    }

    static func actionsPanel(_ s: JobSnapshot, _ plan: ActionPlan, context: PageContext) -> String {
        var out = "<section class=\"actions\" aria-label=\"actions\" data-live=\"actions\" id=\"actions-live\">"
        if plan.readOnly {
            return out + "<p class=\"muted small\" id=\"read-only\">You are signed in read-only: no actions.</p></section>"
        }
        var notes: [String] = []
        switch plan.resume {
        case .available: out += actionForm("resume", s.job, "Resume", context: context, style: "primary")
        case .unavailable(let why): if s.run.map({ !$0.state.phase.isTerminal }) == true { notes.append("Resume: \(why).") }
        }
        switch plan.retry {
        case .available: out += actionForm("retry", s.job, "Retry \(HTML.count(s.rejectedTotal)) rejected", context: context)
        case .unavailable(let why): if s.rejectedTotal > 0 { notes.append("Retry: \(why).") }
        }
        if case .available = plan.cancel {
            out += actionForm("cancel", s.job, "Cancel run", context: context, style: "danger", confirm: "Cancel the run of \(s.job)?")
        }
        if !notes.isEmpty { out += "<p class=\"muted small why-not\">" + notes.map(HTML.escape).joined(separator: " ") + "</p>" }
        return out + "</section>"
    }

    /// One job: state, actions, "is this normal?", mapping, failures by code and field, a page of
    /// failed records, the run history and a page of a run's timeline.
    static func job(_ v: JobPageView, context: PageContext) -> String {
        let s = v.snapshot
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
            if let success = s.lastSuccess {
                out += "<p class=\"muted small\">Last successful sync: run \(success.run), \(HTML.escape(shortTime(success.at))).</p>"
            }
        } else {
            out += "<p class=\"lead\">This job has never run. Start it with <code>mapc sync \(HTML.escape(s.job))</code>.</p>"
        }
        out += "</div>\n" + actionsPanel(s, v.plan, context: context)
        out += "\n<div class=\"grid\"><section><h2>Is this normal?</h2>"
        out += normalTable(s)
        out += "</section><section><h2>Mapping</h2>\(mappingPanel(s.mapping))</section></div>"
        out += failedSection(v, context: context)
        out += conflictsSection(v)
        out += historySection(v)
        out += timelineSection(v)
        return out
    }

    static func groupLabel(_ g: FailureGroup) -> String {
        "\(HTML.count(g.count)) × <code>\(HTML.escape(g.code ?? "no code"))</code> \(HTML.escape(g.field ?? "(no field)"))"
    }

    static func failedSection(_ v: JobPageView, context: PageContext) -> String {
        let s = v.snapshot
        let q = v.query
        var out =
            "<section id=\"failed\"><h2>Failed records (\(HTML.count(s.rejectedTotal)))</h2><div data-live=\"failed\" id=\"failed-live\">"
        if !v.groups.isEmpty {
            var rows = ""
            let canRetry = v.plan.retry == .available
            for g in v.groups {
                let selected = q.filter.code == (g.code ?? "") && q.filter.field == (g.field ?? "")
                let show = jobURL(s.job) + q.with(["code": g.code ?? "", "field": g.field ?? "", "fpage": nil, "key": nil])
                rows +=
                    "<tr class=\"group\(selected ? " selected" : "")\" data-code=\"\(HTML.escape(g.code ?? ""))\" data-field=\"\(HTML.escape(g.field ?? ""))\"><td class=\"what\">\(groupLabel(g))</td><td>\(HTML.escape(g.message))</td><td><a class=\"show-group\" href=\"\(HTML.escape(show))#failed\">show</a></td><td>"
                if canRetry {
                    rows += actionForm(
                        "retry-group", s.job, "Retry this group", context: context,
                        extra: [("code", g.code ?? ""), ("field", g.field ?? "")])
                }
                rows += "</td></tr>"
            }
            out +=
                "<table class=\"groups\"><thead><tr><th>Records × code, field</th><th>Message (one of them)</th><th></th><th></th></tr></thead><tbody>\(rows)</tbody></table>"
        }
        let filtered = q.filter.code != nil || q.filter.field != nil || !(q.filter.keyPrefix ?? "").isEmpty
        out += "<form method=\"get\" action=\"\(jobURL(s.job))\" class=\"filter\" id=\"failed-filter\">"
        for (name, value) in q.items where !["key", "fpage"].contains(name) {
            out += "<input type=\"hidden\" name=\"\(HTML.escape(name))\" value=\"\(HTML.escape(value ?? ""))\">"
        }
        out +=
            "<label>Key starts with <input name=\"key\" value=\"\(HTML.escape(q.filter.keyPrefix ?? ""))\" size=\"16\"></label> <button>Filter</button>"
        if filtered {
            let describe = [
                q.filter.code.map { "code \($0.isEmpty ? "(none)" : $0)" }, q.filter.field.map { "field \($0.isEmpty ? "(none)" : $0)" },
                q.filter.keyPrefix.flatMap { $0.isEmpty ? nil : "key \($0)…" },
            ].compactMap { $0 }.joined(separator: ", ")
            out +=
                " <span class=\"muted\">filtered by \(HTML.escape(describe))</span> <a href=\"\(HTML.escape(jobURL(s.job) + q.with(["code": nil, "field": nil, "key": nil, "fpage": nil])))#failed\" class=\"clear-filter\">show all</a>"
        }
        out += "</form>"
        out += pager(
            total: v.failedTotal, page: q.failedPage, size: DashboardServer.pageSize, noun: "rejected records", param: "fpage", query: q,
            job: s.job, anchor: "failed")
        if !v.failed.isEmpty { out += failedTable(s.job, v.failed, fixes: v.fixes) }
        return out + "</div></section>"
    }

    /// A two-way job's open conflicts: records that would link twice, fields changed on both sides.
    static func conflictsSection(_ v: JobPageView) -> String {
        guard !v.conflicts.isEmpty else { return "" }
        let job = HTML.escape(v.snapshot.job)
        var rows = ""
        for c in v.conflicts.prefix(200) {
            let what: String
            if c.kind == "identity" {
                let records = (c.payload["records"]?.arrayValue ?? []).compactMap(\.stringValue).joined(separator: ", ")
                what = "would link more than once: \(HTML.escape(records))"
            } else {
                what =
                    "<code>\(HTML.escape(c.field ?? ""))</code> changed on both sides: "
                    + "\(HTML.escape(JSONWriter.compact(c.payload["leftValue"] ?? .null))) / "
                    + "\(HTML.escape(JSONWriter.compact(c.payload["rightValue"] ?? .null)))"
            }
            let command =
                c.kind == "identity"
                ? "mapc identities resolve \(job) \(c.id) --link LEFT RIGHT | --ignore"
                : "mapc conflicts resolve \(job) \(c.id) --take SIDE"
            rows += "<tr><td>#\(c.id)</td><td>\(HTML.escape(c.kind))</td><td>\(what)</td><td><code>\(command)</code></td></tr>"
        }
        return "<section id=\"conflicts\"><h2>Open conflicts (\(HTML.count(v.conflicts.count)))</h2>"
            + "<table><tr><th>id</th><th>kind</th><th>what</th><th>resolve with</th></tr>\(rows)</table></section>\n"
    }

    static func historySection(_ v: JobPageView) -> String {
        let s = v.snapshot
        var out = "<section id=\"history\"><h2>Run history</h2>"
        out += pager(
            total: v.historyTotal, page: v.query.historyPage, size: DashboardServer.historyPageSize, noun: "runs", param: "hpage",
            query: v.query, job: s.job, anchor: "history")
        guard !v.history.isEmpty else { return out + "</section>" }
        var rows = ""
        let now = Date()
        for h in v.history {
            let active = h.activeSeconds(at: h.phase == "completed" ? Timestamps.parse(h.endedAt ?? "") ?? now : now)
            let throughput = h.records.flatMap { n in active > 0 ? Double(n) / active : nil }
            let shown = v.shownRun?.id == h.run
            rows +=
                "<tr\(shown ? " class=\"selected\"" : "") data-run=\"\(h.run)\"><td><a href=\"\(HTML.escape(jobURL(s.job) + v.query.with(["run": String(h.run), "tpage": nil, "type": nil])))#timeline\">\(h.run)</a></td><td>\(HTML.escape(h.kind))</td><td><span class=\"badge state-\(HTML.escape(h.phase))\">\(HTML.escape(h.phase))</span></td><td>\(HTML.escape(shortTime(h.startedAt)))</td><td>\(Timestamps.duration(active))</td><td class=\"num\">\(h.records.map(HTML.count) ?? "—")</td><td class=\"num\">\(h.rejected.map(HTML.count) ?? "—")</td><td class=\"num\">\(rate(throughput))</td></tr>"
        }
        out +=
            "<table class=\"history\"><thead><tr><th>Run</th><th>Kind</th><th>State</th><th>Started</th><th>Active</th><th>Records</th><th>Rejected</th><th>Throughput</th></tr></thead><tbody>\(rows)</tbody></table>"
        return out + "</section>"
    }

    static func timelineSection(_ v: JobPageView) -> String {
        let s = v.snapshot
        guard let run = v.shownRun else { return "" }
        var out = "<section id=\"timeline\"><h2>Timeline of run \(run.id)</h2>"
        out += "<form method=\"get\" action=\"\(jobURL(s.job))\" class=\"filter\" id=\"timeline-filter\">"
        for (name, value) in v.query.items where !["type", "tpage"].contains(name) {
            out += "<input type=\"hidden\" name=\"\(HTML.escape(name))\" value=\"\(HTML.escape(value ?? ""))\">"
        }
        out += "<label>Events <select name=\"type\"><option value=\"\">every type</option>"
        for (type, n) in v.eventTypes.sorted(by: { $0.key < $1.key }) {
            out +=
                "<option value=\"\(HTML.escape(type))\"\(v.query.eventType == type ? " selected" : "")>\(HTML.escape(type)) (\(HTML.count(n)))</option>"
        }
        out += "</select></label> <button>Show</button></form><div data-live=\"timeline\" id=\"timeline-live\">"
        out += pager(
            total: v.timelineTotal, page: v.query.timelinePage, size: DashboardServer.pageSize, noun: "events", param: "tpage",
            query: v.query, job: s.job, anchor: "timeline")
        out += "<ol class=\"timeline\" reversed>"
        for e in v.timeline {
            let cls =
                EventDescriber.operatorEvents.contains(e.type)
                ? " class=\"operator\"" : (e.type.hasPrefix("alert") ? " class=\"alert\"" : "")
            out +=
                "<li\(cls)><time>\(HTML.escape(shortTime(e.at)))</time> <span class=\"seq\">#\(e.seq)</span> <span class=\"type\">\(HTML.escape(e.type))</span> \(HTML.escape(EventDescriber.describe(e)))</li>"
        }
        return out + "</ol></div></section>"
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
            case .tooEarly: verdict = "<span class=\"muted\">too early to tell</span>"
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

    static func failedTable(_ job: String, _ failed: [RecordState], fixes all: [String: [RecordFix]] = [:]) -> String {
        var rows = ""
        for r in failed {
            let fixes = (all[r.key] ?? []).map { "\($0.field)=\(JSONWriter.compact($0.value))" }.joined(separator: " ")
            rows += """
                <tr data-key="\(HTML.escape(r.key))"><td><a class="record-link" href="\(recordURL(job, r.key))">\(HTML.escape(r.key))</a></td><td>\(HTML.escape(r.destinationKey ?? ""))</td><td><code>\(HTML.escape(r.errorCode ?? ""))</code></td><td>\(HTML.escape(r.field ?? ""))</td><td>\(HTML.escape(r.error ?? ""))</td><td>\(HTML.escape(fixes))</td></tr>
                """
        }
        return
            "<table class=\"failed\"><thead><tr><th>Key</th><th>Destination key</th><th>Code</th><th>Field</th><th>Reason</th><th>Fixes</th></tr></thead><tbody>\(rows)</tbody></table>"
    }

    /// One record: the platform's reason, its values, a fix form (operators only) and its history.
    static func record(
        job: String, _ r: RecordState, events: [RecordEvent], fixes: [RecordFix] = [], context: PageContext, canRetry: Bool,
        platform: String? = nil
    ) -> String {
        var out = "<p class=\"crumbs\"><a href=\"\(jobURL(job))\">\(HTML.escape(job))</a> › record</p>"
        out +=
            "<h1>Record <code>\(HTML.escape(r.key))</code> <span class=\"badge status-\(HTML.escape(r.status))\" id=\"record-status\">\(HTML.escape(r.status))</span></h1>"
        if let k = r.destinationKey {
            out +=
                "<p>Destination key <code>\(HTML.escape(k))</code>\(r.destinationId.map { ", destination id <code>\(HTML.escape($0))</code>" } ?? "")</p>"
        }
        // The platform's reason only for the platform's own refusals; mapc's checks (V07xx and
        // the mapping's own failures) are mapc's, and such records were never sent.
        let refusedByPlatform = isPlatformRefusal(r)
        if r.status == "rejected" {
            let who =
                refusedByPlatform
                ? "\(platform.map { HTML.escape($0) + " refused it" } ?? "The platform refused it") (the platform's reason): "
                : "mapc's check refused it (never sent): "
            out +=
                "<p class=\"reason\" id=\"platform-reason\">\(who)<strong>\(HTML.escape(r.errorCode ?? "rejected"))</strong>\(r.field.map { " on <code>\(HTML.escape($0))</code>" } ?? ""): \(HTML.escape(r.error ?? ""))</p>"
        }
        let source = r.payload?["source"]?.objectValue ?? []
        var values = r.payload?["values"]?.objectValue ?? []
        // Values sent only for a record that was sent: the platform's refusal of them, or the
        // last `sent` event (a delivered record, or one not sent again since).
        var sentTitle = refusedByPlatform ? "Values sent" : "Values mapped (not sent)"
        if values.isEmpty, let last = events.last(where: { $0.kind == "sent" }), let sentValues = last.payload["values"]?.objectValue {
            values = sentValues
            sentTitle = "Values sent (run \(last.run))"
        }
        let patches = fixes.map { ($0.field, $0.value) }
        func table(_ title: String, _ pairs: [(String, JSONValue)]) -> String {
            guard !pairs.isEmpty else { return "" }
            let rows = pairs.map {
                "<tr><th scope=\"row\">\(HTML.escape($0.0))</th><td><code>\(HTML.escape(JSONWriter.compact($0.1)))</code></td></tr>"
            }.joined()
            return "<section><h2>\(title)</h2><table class=\"values\">\(rows)</table></section>"
        }
        out += "<div class=\"grid\">" + table("Source values", source) + table(sentTitle, values) + "</div>"
        if !fixes.isEmpty {
            let rows = fixes.map { f in
                "<tr><th scope=\"row\">\(HTML.escape(f.field))</th><td><code>\(HTML.escape(JSONWriter.compact(f.value)))</code></td><td>by \(HTML.escape(f.by))</td><td>\(f.appliedRun.map { "applied by run \($0)" } ?? "outstanding")</td></tr>"
            }.joined()
            out += "<section><h2>Fixes in effect</h2><table class=\"values\" id=\"fixes\">\(rows)</table></section>"
        }
        if r.status == "rejected", context.session.role.canAct {
            var fields = Set<String>()
            var options = ""
            for (name, _) in values + source where fields.insert(name).inserted {
                options += "<option value=\"\(HTML.escape(name))\">"
            }
            let preset = r.field ?? ""
            let current = (patches + values + source).first { $0.0 == preset }?.1.stringValue ?? ""
            out += """
                <section class="fix"><h2>Fix a field</h2>
                <form method="post" action="\(jobURL(job))/record/fix" id="fix-form">\(csrf(context))
                <input type="hidden" name="key" value="\(HTML.escape(r.key))">
                <label>Field <input name="field" id="fix-field" list="fields" value="\(HTML.escape(preset))" required></label>
                <datalist id="fields">\(options)</datalist>
                <label>New value <input name="value" id="fix-value" value="\(HTML.escape(current))" size="32"></label>
                <button class="primary" id="fix-submit">Save fix as \(HTML.escape(context.session.name))</button>
                </form><p class="muted small">A source field is mapped again; a destination field overrides the value sent. Text is taken as is; prefix with <code>=</code> for JSON (<code>=42</code>, <code>=null</code>).</p>
                \(canRetry ? actionForm("retry", job, "Retry rejected records now", context: context) : "")
                </section>
                """
        }
        // The history as `mapc why` tells it; the raw events below it.
        let story = RecordTimeline.render(record: r, events: events) { _ in platform }
        out += "<section><h2>History</h2><pre class=\"record-timeline\" id=\"record-timeline\">\(HTML.escape(story))</pre>"
        out += "<details><summary>Raw events</summary><ol class=\"timeline\" reversed>"
        for e in events.reversed() {
            let cls = e.kind == "fixed" ? " class=\"operator\"" : ""
            out +=
                "<li\(cls)><time>\(HTML.escape(shortTime(e.at)))</time> <span class=\"seq\">run \(e.run)</span> <span class=\"type\">\(HTML.escape(e.kind))</span> <code>\(HTML.escape(JSONWriter.compact(e.payload)))</code></li>"
        }
        out += "</ol></details></section>"
        return out
    }

    /// Whether the platform itself refused the record (its own error, at the destination), as
    /// opposed to mapc's checks (`V07xx`, the mapping's failures), which never send the record.
    static func isPlatformRefusal(_ r: RecordState) -> Bool {
        guard r.status == "rejected" else { return false }
        // mapc's own codes: R06xx (the mapping at run time), V07xx (the destination's rules).
        if let code = r.errorCode, code.count == 5, code.hasPrefix("R0") || code.hasPrefix("V0"), code.dropFirst().allSatisfy(\.isNumber) {
            return false
        }
        // A record refused before and not sent again carries no payload: the platform refused it.
        let stage = r.payload?["stage"]?.stringValue
        return stage == "destination" || stage == nil
    }
}
