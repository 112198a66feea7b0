import Foundation
import HTTPServer
import MapDSL
import SyncEngine

/// Operator actions that need a whole sync runner (adapters, the approved mapping, the job lock):
/// implemented by the command-line tool, which owns that wiring, and by tests with fakes.
public protocol JobActions: Sendable {
    /// Starts a retry run over the job's rejected records (with their fixes) in the background.
    func retry(job: String, by: String) throws
    /// Resumes the job's latest run in the background.
    func resume(job: String, by: String) throws
}

/// The dashboard's and `/metrics`' HTTP routes over an ``Observatory``.
///
/// Reading pages are plain GETs that work without JavaScript; actions are POST forms answered with
/// a redirect (POST/redirect/GET). Every action is recorded in the event store with who did it:
/// fixes and cancels by ``Operations`` (as from the CLI), retries and resumes by an
/// `operator_action` event on the job's latest run before the runner starts.
public struct DashboardServer: Sendable {
    /// The data.
    public let observatory: Observatory
    /// Retry and resume; nil hides nothing but answers those actions with an error.
    public let actions: JobActions?
    /// Webhook inbox figures for `/metrics`, when there is an inbox.
    public let inbox: (@Sendable () -> InboxStats?)?

    /// The cookie that remembers the operator's name.
    public static let actorCookie = "mapc_by"

    /// Creates the routes' owner.
    public init(observatory: Observatory, actions: JobActions?, inbox: (@Sendable () -> InboxStats?)? = nil) {
        self.observatory = observatory
        self.actions = actions
        self.inbox = inbox
    }

    /// Adds `/metrics` and `/dashboard/…` to `router`.
    public func register(into router: inout Router) {
        let me = self
        router.add("GET", "/metrics") { _ in me.metrics() }
        router.add("GET", "/dashboard") { r in me.page(r) { try me.jobsPage(r) } }
        router.add("GET", "/dashboard/assets/dashboard.css") { _ in
            Response(status: 200, headerFields: [("Content-Type", "text/css; charset=utf-8")], body: Data(DashboardAssets.css.utf8))
        }
        router.add("GET", "/dashboard/assets/dashboard.js") { _ in
            Response(status: 200, headerFields: [("Content-Type", "text/javascript; charset=utf-8")], body: Data(DashboardAssets.js.utf8))
        }
        router.add("POST", "/dashboard/actor") { r in
            let by = Self.sanitize(me.form(r)["by"] ?? "")
            return Self.redirect(Self.sameSiteReferer(r) ?? DashboardPages.base).withHeader("Set-Cookie", Self.cookie(by))
        }
        router.add("GET", "/dashboard/jobs/:job") { r in me.page(r) { try me.jobPage(r) } }
        router.add("GET", "/dashboard/jobs/:job/record") { r in me.page(r) { try me.recordPage(r) } }
        router.add("POST", "/dashboard/jobs/:job/record/fix") { r in me.guarded(r) { try me.fix(r) } }
        router.add("POST", "/dashboard/jobs/:job/:action") { r in me.guarded(r) { try me.act(r) } }
    }

    /// A router with only these routes (for tests and a stand-alone dashboard).
    public func router() -> Router {
        var r = Router()
        register(into: &r)
        r.add("GET", "/") { _ in Self.redirect(DashboardPages.base) }
        return r
    }

    // MARK: Pages

    func metrics() -> Response {
        do {
            let text = try MetricsRenderer.scrape(observatory, inbox: inbox?())
            return Response(status: 200, headerFields: [("Content-Type", Exposition.contentType)], body: Data(text.utf8))
        } catch {
            return .text("# metrics unavailable: \(error)\n", status: 500)
        }
    }

    func actor(_ r: Request) -> String {
        Self.sanitize(HTML.cookie(Self.actorCookie, in: r.header("cookie")) ?? "")
    }

    func page(_ r: Request, _ body: () throws -> (String, String)) -> Response {
        do {
            let (title, html) = try body()
            let page = DashboardPages.layout(title: title, actor: actor(r), message: r.query("msg"), error: r.query("error"), body: html)
            return Response(
                status: 200, headerFields: [("Content-Type", "text/html; charset=utf-8"), ("Cache-Control", "no-store")],
                body: Data(page.utf8))
        } catch let e as NotFound {
            let page = DashboardPages.layout(title: "Not found", actor: actor(r), message: nil, error: e.message, body: "")
            return Response(status: 404, headerFields: [("Content-Type", "text/html; charset=utf-8")], body: Data(page.utf8))
        } catch {
            let page = DashboardPages.layout(title: "Error", actor: actor(r), message: nil, error: "\(error)", body: "")
            return Response(status: 500, headerFields: [("Content-Type", "text/html; charset=utf-8")], body: Data(page.utf8))
        }
    }

    struct NotFound: Error {
        var message: String
    }

    func jobsPage(_ r: Request) throws -> (String, String) {
        ("Jobs", DashboardPages.jobs(try observatory.snapshots(), now: observatory.clock.now()))
    }

    func jobPage(_ r: Request) throws -> (String, String) {
        let job = r.parameter("job") ?? ""
        let s = try observatory.snapshot(job: job)
        guard s.run != nil || s.spec != nil else { throw NotFound(message: "no job named '\(job)'") }
        let failed = try observatory.store.records(job: job, status: "rejected", limit: 500)
        let timeline = try s.run.map { try observatory.timeline(run: $0.id) } ?? []
        return (job, DashboardPages.job(s, failed: failed, timeline: timeline, actor: actor(r)))
    }

    func recordPage(_ r: Request) throws -> (String, String) {
        let job = r.parameter("job") ?? ""
        let key = r.query("key") ?? ""
        guard let record = try observatory.store.record(job: job, anyKey: key) else {
            throw NotFound(message: "job \(job) has no record '\(key)'")
        }
        let events = try observatory.store.recordEvents(job: job, key: record.key)
        return ("\(job) \(key)", DashboardPages.record(job: job, record, events: events, actor: actor(r)))
    }

    // MARK: Actions

    func form(_ r: Request) -> [String: String] {
        var out: [String: String] = [:]
        for (k, v) in HTML.formPairs(r.bodyText) where out[k] == nil { out[k] = v }
        return out
    }

    /// Refuses cross-site posts (a page elsewhere posting to this loopback server), then runs `body`
    /// and turns its thrown errors into a redirect with the message.
    func guarded(_ r: Request, _ body: () throws -> Response) -> Response {
        if let origin = r.header("origin"), origin != "null", let host = r.header("host") {
            let o = URL(string: origin)
            let originHost = (o?.host ?? "") + (o?.port.map { ":\($0)" } ?? "")
            if originHost != host { return .text("cross-site request refused", status: 403) }
        }
        do {
            return try body()
        } catch let e as JobError {
            return Self.redirect(DashboardPages.jobURL(r.parameter("job") ?? ""), error: e.message)
        } catch {
            return Self.redirect(DashboardPages.jobURL(r.parameter("job") ?? ""), error: "\(error)")
        }
    }

    func fix(_ r: Request) throws -> Response {
        let job = r.parameter("job") ?? ""
        let f = form(r)
        let by = Self.sanitize(f["by"] ?? actor(r))
        guard let key = f["key"], !key.isEmpty, let field = f["field"]?.trimmingCharacters(in: .whitespaces), !field.isEmpty else {
            throw JobError("a fix needs a record key and a field")
        }
        let raw = f["value"] ?? ""
        var value = JSONValue.string(raw)
        if raw.hasPrefix("=") {
            guard let parsed = try? JSONParser.parse(String(raw.dropFirst())) else {
                return Self.redirect(DashboardPages.recordURL(job, key), error: "'\(raw.dropFirst())' is not JSON (after '=')")
            }
            value = parsed
        }
        let at = Timestamps.format(observatory.clock.now())
        let record = try Operations.fix(store: observatory.store, job: job, key: key, field: field, value: value, by: by, at: at)
        return Self.redirect(
            DashboardPages.recordURL(job, record.key), message: "Fixed \(field) of \(record.key) (by \(by)). Retry to send it."
        ).withHeader("Set-Cookie", Self.cookie(by))
    }

    func act(_ r: Request) throws -> Response {
        let job = r.parameter("job") ?? ""
        let action = r.parameter("action") ?? ""
        let by = Self.sanitize(form(r)["by"] ?? actor(r))
        let at = Timestamps.format(observatory.clock.now())
        let message: String
        switch action {
        case "cancel":
            let state = try Operations.cancel(store: observatory.store, job: job, by: by, at: at)
            message = state.phase == .cancelled ? "Cancelled \(job) (by \(by))." : "Asked the running sync of \(job) to stop (by \(by))."
        case "retry", "resume":
            guard let actions else { throw JobError("this server cannot run syncs (no runner configured); use mapc \(action) \(job)") }
            guard let latest = try observatory.store.latestRun(job: job) else { throw JobError("job \(job) has never run") }
            try observatory.store.append(
                run: latest.id, type: "operator_action",
                payload: .object([("action", .string(action)), ("by", .string(by)), ("via", "dashboard")]), at: at)
            if action == "retry" { try actions.retry(job: job, by: by) } else { try actions.resume(job: job, by: by) }
            message = action == "retry" ? "Retry of \(job)'s rejected records started (by \(by))." : "Resumed \(job) (by \(by))."
        default:
            return .text("unknown action '\(action)'", status: 404)
        }
        return Self.redirect(DashboardPages.jobURL(job), message: message).withHeader("Set-Cookie", Self.cookie(by))
    }

    // MARK: Helpers

    static func sanitize(_ name: String) -> String {
        let cleaned = String(name.unicodeScalars.filter { !CharacterSet.controlCharacters.contains($0) }.prefix(64))
            .trimmingCharacters(in: .whitespaces)
        return cleaned.isEmpty ? "dashboard" : cleaned
    }

    static func cookie(_ by: String) -> String {
        "\(actorCookie)=\(HTML.urlEncode(by)); Path=/; SameSite=Strict; Max-Age=31536000"
    }

    static func redirect(_ url: String, message: String? = nil, error: String? = nil) -> Response {
        var target = url
        if let message { target += (target.contains("?") ? "&" : "?") + "msg=" + HTML.urlEncode(message) }
        if let error { target += (target.contains("?") ? "&" : "?") + "error=" + HTML.urlEncode(error) }
        return Response(status: 303, headerFields: [("Location", target)])
    }

    static func sameSiteReferer(_ r: Request) -> String? {
        guard let ref = r.header("referer"), let u = URL(string: ref), u.path.hasPrefix(DashboardPages.base) else { return nil }
        return u.path + (u.query.map { "?" + $0 } ?? "")
    }
}
