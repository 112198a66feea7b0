import Crypto
import Foundation
import HTTPServer
import MapDSL
import SyncEngine

/// Operator actions that need a whole sync runner (adapters, the approved mapping, the job lock):
/// implemented by the command-line tool, which owns that wiring, and by tests with fakes.
public protocol JobActions: Sendable {
    /// Starts a retry run over the job's rejected records (those `only` selects, or all; with their
    /// fixes) in the background.
    func retry(job: String, only: RejectedFilter?, by: Principal) throws
    /// Resumes the job's latest run in the background.
    func resume(job: String, by: Principal) throws
    /// Why `action` could not start for the job of `snapshot` now (another process is running the
    /// job, its mapping is not approved or changed since the run started, …), or nil when it can.
    /// The dashboard offers only the actions this allows.
    func refusal(_ action: JobAction, _ snapshot: JobSnapshot) -> String?
}

/// The actions a ``JobActions`` runs.
public enum JobAction: String, Sendable, Hashable {
    /// A retry run over rejected records.
    case retry
    /// Resuming the latest run.
    case resume
}

/// Who may use the console and how: the operators, their sessions, sign-in throttling, and the
/// console's addresses and headers.
public struct ConsoleAccess: Sendable {
    /// The operators (from the operators file).
    public var operators: OperatorDirectory
    /// Signed-in sessions.
    public var sessions: SessionTable
    /// Password-guessing brake.
    public var throttle: LoginThrottle
    /// Hosts, origins, headers and cookies.
    public var policy: ConsolePolicy

    /// Creates the access rules.
    public init(
        operators: OperatorDirectory, sessions: SessionTable = SessionTable(), throttle: LoginThrottle = LoginThrottle(),
        policy: ConsolePolicy = ConsolePolicy()
    ) {
        self.operators = operators
        self.sessions = sessions
        self.throttle = throttle
        self.policy = policy
    }
}

/// The operator console's and `/metrics`' HTTP routes over an ``Observatory``.
///
/// Every page needs a signed-in operator (`/login`: name and password, then a server-side session
/// in an HttpOnly, SameSite=Strict cookie). Reading pages are plain GETs that work without
/// JavaScript; actions are POST forms answered with a redirect (POST/redirect/GET), each checked
/// for the session, its CSRF token, the `Origin` and the operator's role before anything is
/// recorded. Actions are recorded under the signed-in operator's name (identity `login`): fixes and
/// cancels by ``Operations`` (as from the CLI), retries and resumes by an `operator_action` event on
/// the job's latest run before the runner starts.
public struct DashboardServer: Sendable {
    /// The data.
    public let observatory: Observatory
    /// Retry and resume; nil hides those actions.
    public let actions: JobActions?
    /// Webhook inbox figures for `/metrics`, when there is an inbox.
    public let inbox: (@Sendable () -> InboxStats?)?
    /// Who may do what.
    public let access: ConsoleAccess

    /// Rows per page of failed records and of the timeline.
    public static let pageSize = 50
    /// Runs per page of the run history.
    public static let historyPageSize = 20
    /// The cookie that ties the sign-in form to the browser that loaded it.
    static let loginCookie = "mapc_login"

    /// Creates the routes' owner.
    public init(observatory: Observatory, actions: JobActions?, access: ConsoleAccess, inbox: (@Sendable () -> InboxStats?)? = nil) {
        self.observatory = observatory
        self.actions = actions
        self.inbox = inbox
        self.access = access
    }

    /// Adds `/login`, `/logout`, `/metrics` and `/dashboard/…` to `router`.
    public func register(into router: inout Router) {
        let me = self
        router.add("GET", "/metrics") { r in me.secured(r) { me.metrics(r) } }
        router.add("GET", "/login") { r in me.secured(r) { me.loginPage(r, error: nil, status: 200) } }
        router.add("POST", "/login") { r in me.secured(r) { me.login(r) } }
        router.add("POST", "/logout") { r in me.secured(r) { me.posted(r, needsRole: false) { s in me.logout(r, s) } } }
        router.add("GET", "/dashboard/assets/dashboard.css") { r in
            me.secured(r) {
                Response(status: 200, headerFields: [("Content-Type", "text/css; charset=utf-8")], body: Data(DashboardAssets.css.utf8))
            }
        }
        router.add("GET", "/dashboard/assets/dashboard.js") { r in
            me.secured(r) {
                Response(
                    status: 200, headerFields: [("Content-Type", "text/javascript; charset=utf-8")], body: Data(DashboardAssets.js.utf8))
            }
        }
        router.add("GET", "/dashboard") { r in me.secured(r) { me.page(r) { s in try me.jobsPage(r, s) } } }
        router.add("GET", "/dashboard/jobs/:job") { r in me.secured(r) { me.page(r) { s in try me.jobPage(r, s) } } }
        router.add("GET", "/dashboard/jobs/:job/record") { r in me.secured(r) { me.page(r) { s in try me.recordPage(r, s) } } }
        router.add("POST", "/dashboard/jobs/:job/record/fix") { r in
            me.secured(r) { me.posted(r, needsRole: true) { s in try me.fix(r, s) } }
        }
        router.add("POST", "/dashboard/jobs/:job/:action") { r in
            me.secured(r) { me.posted(r, needsRole: true) { s in try me.act(r, s) } }
        }
    }

    /// A router with only these routes and `/` redirecting to the dashboard (tests and the console listener).
    public func router() -> Router {
        var r = Router()
        register(into: &r)
        let me = self
        r.add("GET", "/") { req in me.secured(req) { Self.redirect(DashboardPages.base) } }
        r.fallback { req in me.secured(req) { .text("Not Found\n", status: 404) } }
        return r
    }

    // MARK: The gate every answer passes

    /// Refuses requests that name another host (DNS rebinding), runs `body` otherwise, and adds the
    /// security headers to whatever is answered.
    func secured(_ r: Request, _ body: () -> Response) -> Response {
        var response: Response
        if access.policy.allowsHost(r.header("host")) {
            response = body()
        } else {
            response = .text(
                "Misdirected Request: this console does not answer to the host '\(r.header("host")?.prefix(100) ?? "")'\n", status: 421)
        }
        for h in access.policy.securityHeaders { response.setHeader(h.name, h.value) }
        return response
    }

    /// The signed-in operator's session for `r`, with the role the operators file gives now (a
    /// removed operator's session ends here).
    func session(_ r: Request) -> Session? {
        guard let id = HTML.cookie(SessionTable.cookie, in: r.header("cookie")), var s = access.sessions.lookup(id) else { return nil }
        guard let record = access.operators.record(s.name) else {
            access.sessions.remove(id)
            return nil
        }
        s.role = record.role
        return s
    }

    /// A page for a signed-in operator; others are sent to the sign-in page.
    func page(_ r: Request, _ body: (Session) throws -> (String, String)) -> Response {
        guard let s = session(r) else {
            let next = r.path + (r.queryItems.isEmpty ? "" : "?" + Self.query(r.queryItems))
            return Self.redirect("/login?next=" + HTML.urlEncode(next))
        }
        let ctx = PageContext(session: s, message: r.query("msg"), error: r.query("error"))
        do {
            let (title, html) = try body(s)
            return Self.html(DashboardPages.layout(title: title, context: ctx, body: html))
        } catch let e as NotFound {
            return Self.html(DashboardPages.layout(title: "Not found", context: ctx.with(error: e.message), body: ""), status: 404)
        } catch {
            return Self.html(DashboardPages.layout(title: "Error", context: ctx.with(error: "\(error)"), body: ""), status: 500)
        }
    }

    /// A state-changing request: needs a session, the console's own `Origin` (or none), the
    /// session's CSRF token and, when `needsRole`, the operator role; then runs `body` and turns its
    /// thrown errors into a redirect with the message.
    func posted(_ r: Request, needsRole: Bool, _ body: (Session) throws -> Response) -> Response {
        if let problem = access.policy.originProblem(r.header("origin")) { return .text("Forbidden: \(problem)\n", status: 403) }
        guard let s = session(r) else { return .text("Forbidden: sign in first\n", status: 403) }
        guard let token = form(r)["csrf"], ConstantTimeCompare.equals(token, s.csrf) else {
            return .text("Forbidden: the form's CSRF token is missing or wrong; reload the page and try again\n", status: 403)
        }
        if needsRole, !s.role.canAct {
            return .text("Forbidden: \(s.name) is a read-only operator\n", status: 403)
        }
        do {
            return try body(s)
        } catch let e as JobError {
            return Self.redirect(back(r), error: e.message)
        } catch {
            return Self.redirect(back(r), error: "\(error)")
        }
    }

    struct NotFound: Error {
        var message: String
    }

    // MARK: Sign-in

    func loginPage(_ r: Request, error: String?, status: Int) -> Response {
        if session(r) != nil, status == 200 { return Self.redirect(Self.safeNext(r.query("next"))) }
        let token = SecureRandom.token(24)
        var response = Self.html(
            DashboardPages.login(next: Self.safeNext(r.query("next") ?? form(r)["next"]), token: token, error: error), status: status)
        response.headerFields.append(("Set-Cookie", access.policy.cookie(Self.loginCookie, token, maxAge: 3600)))
        return response
    }

    func login(_ r: Request) -> Response {
        if let problem = access.policy.originProblem(r.header("origin")) { return .text("Forbidden: \(problem)\n", status: 403) }
        let f = form(r)
        guard let cookie = HTML.cookie(Self.loginCookie, in: r.header("cookie")), let token = f["csrf"],
            ConstantTimeCompare.equals(cookie, token)
        else {
            return loginPage(r, error: "The sign-in form expired. Please try again.", status: 403)
        }
        let name = String((f["name"] ?? "").trimmingCharacters(in: .whitespaces).prefix(64))
        let password = f["password"] ?? ""
        if let wait = access.throttle.wait(name: name, client: r.remoteAddress) {
            var response = loginPage(r, error: "Too many failed sign-ins. Try again in \(Int(wait.rounded(.up))) seconds.", status: 429)
            response.setHeader("Retry-After", String(Int(wait.rounded(.up))))
            return response
        }
        switch access.operators.authenticate(name: name, password: password) {
        case .busy:
            var response = loginPage(r, error: "The server is busy checking other sign-ins. Try again in a moment.", status: 503)
            response.setHeader("Retry-After", "1")
            return response
        case .refused:
            access.throttle.failed(name: name, client: r.remoteAddress)
            return loginPage(r, error: "Wrong name or password.", status: 401)
        case .accepted(let record):
            access.throttle.succeeded(name: name, client: r.remoteAddress)
            let s = access.sessions.create(for: record)
            var response = Self.redirect(Self.safeNext(f["next"]))
            response.headerFields.append(("Set-Cookie", access.policy.cookie(SessionTable.cookie, s.id)))
            response.headerFields.append(("Set-Cookie", access.policy.cookie(Self.loginCookie, "", maxAge: 0)))
            return response
        }
    }

    func logout(_ r: Request, _ s: Session) -> Response {
        access.sessions.remove(s.id)
        var response = Self.redirect("/login")
        response.headerFields.append(("Set-Cookie", access.policy.cookie(SessionTable.cookie, "", maxAge: 0)))
        return response
    }

    /// A `next` target that stays inside the dashboard (never another site).
    static func safeNext(_ next: String?) -> String {
        guard let next, next.hasPrefix(DashboardPages.base), !next.contains("//"), !next.contains("\\"), next.count <= 2048,
            !next.unicodeScalars.contains(where: { CharacterSet.controlCharacters.contains($0) })
        else { return DashboardPages.base }
        return next
    }

    // MARK: Metrics

    func metrics(_ r: Request) -> Response {
        if access.policy.metricsNeedToken, session(r) == nil {
            let header = r.header("authorization") ?? ""
            let token = header.lowercased().hasPrefix("bearer ") ? String(header.dropFirst(7)).trimmingCharacters(in: .whitespaces) : ""
            guard access.operators.bearer(token) != nil else {
                return Response.text("Unauthorized: /metrics needs an operator's API token (Authorization: Bearer mapc_…)\n", status: 401)
                    .withHeader("WWW-Authenticate", "Bearer realm=\"mapc\"")
            }
        }
        do {
            let text = try MetricsRenderer.scrape(observatory, inbox: inbox?())
            return Response(status: 200, headerFields: [("Content-Type", Exposition.contentType)], body: Data(text.utf8))
        } catch {
            return .text("# metrics unavailable: \(error)\n", status: 500)
        }
    }

    // MARK: Pages

    func jobsPage(_ r: Request, _ s: Session) throws -> (String, String) {
        ("Jobs", DashboardPages.jobs(try observatory.snapshots(), now: observatory.clock.now()))
    }

    func jobPage(_ r: Request, _ s: Session) throws -> (String, String) {
        let job = r.parameter("job") ?? ""
        let snapshot = try observatory.snapshot(job: job)
        guard snapshot.run != nil || snapshot.spec != nil else { throw NotFound(message: "no job named '\(job)'") }
        let query = JobPageQuery(r)
        let plan = plan(snapshot, s)
        // Read before the page's read below: the store's read lock is not re-entrant.
        let fixes = try observatory.store.fixes(job: job)
        var view = try observatory.store.read { reader -> JobPageView in
            var run = snapshot.run
            if let wanted = query.run, wanted != run?.id {
                guard let other = try reader.run(wanted), other.job == job else {
                    throw NotFound(message: "job \(job) has no run \(wanted)")
                }
                run = other
            }
            let failedTotal = try reader.rejectedCount(job: job, filter: query.filter)
            let eventTypes = try run.map { try reader.eventTypes(run: $0.id) } ?? [:]
            let types = query.eventType.map { [$0] }
            let timelineTotal = types.map { $0.reduce(0) { $0 + (eventTypes[$1] ?? 0) } } ?? eventTypes.values.reduce(0, +)
            return JobPageView(
                snapshot: snapshot, shownRun: run, query: query, groups: try reader.failureGroups(job: job),
                failed: try reader.rejected(job: job, filter: query.filter, limit: Self.pageSize, offset: query.failedOffset),
                failedTotal: failedTotal,
                history: try reader.runHistory(job: job, limit: Self.historyPageSize, offset: query.historyOffset),
                historyTotal: try reader.runCount(job: job),
                timeline: try run.map { try reader.events(run: $0.id, types: types, limit: Self.pageSize, offset: query.timelineOffset) }
                    ?? [],
                timelineTotal: timelineTotal, eventTypes: eventTypes, plan: plan, fixes: fixes)
        }
        // A two-way job's parked conflicts (field and identity), for the operator to resolve.
        view.conflicts = try observatory.store.twoWayConflicts(job: job, statuses: ["open"])
        return (job, DashboardPages.job(view, context: PageContext(session: s)))
    }

    func recordPage(_ r: Request, _ s: Session) throws -> (String, String) {
        let job = r.parameter("job") ?? ""
        let key = r.query("key") ?? ""
        guard let record = try observatory.store.record(job: job, anyKey: key) else {
            throw NotFound(message: "job \(job) has no record '\(key)'")
        }
        let events = try observatory.store.recordEvents(job: job, key: record.key)
        let fixes = try observatory.store.fixes(job: job, key: record.key)[record.key] ?? []
        var canRetry = false
        if s.role.canAct, record.status == "rejected" {
            canRetry = plan(try observatory.snapshot(job: job), s).retry == .available
        }
        // The destination platform, to say who refused a record ("salesforce refused it").
        let destination = try observatory.store.run(record.run)?.info["destination"]?.stringValue
        return (
            "\(job) \(key)",
            DashboardPages.record(
                job: job, record, events: events, fixes: fixes, context: PageContext(session: s), canRetry: canRetry,
                platform: destination.map { String($0.split(separator: ".").first ?? Substring($0)) })
        )
    }

    /// Which actions the operator may take on the job now, and why not the others.
    func plan(_ s: JobSnapshot, _ session: Session) -> ActionPlan {
        guard session.role.canAct else { return ActionPlan(readOnly: true) }
        var plan = ActionPlan(readOnly: false)
        func runner(_ action: JobAction) -> String? {
            guard let actions else { return "this server cannot run syncs; use the mapc command line" }
            return actions.refusal(action, s)
        }
        if let run = s.run, !run.state.phase.isTerminal {
            plan.cancel = .available
        }
        if let run = s.run {
            let stopped = run.state.phase == .paused || run.state.phase == .failed
            if !(stopped || (run.state.phase.isRunning && s.wedge.wedged)) {
                plan.resume = .unavailable(
                    run.state.phase.isRunning ? "the run is making progress" : "the latest run is \(run.state.phase.rawValue)")
            } else if let why = runner(.resume) {
                plan.resume = .unavailable(why)
            } else {
                plan.resume = .available
            }
        }
        if s.rejectedTotal == 0 {
            plan.retry = .unavailable("no rejected records")
        } else if let run = s.run, run.state.phase.isRunning, !s.wedge.wedged {
            plan.retry = .unavailable("a run is in progress")
        } else if let why = runner(.retry) {
            plan.retry = .unavailable(why)
        } else {
            plan.retry = .available
        }
        return plan
    }

    // MARK: Actions

    func form(_ r: Request) -> [String: String] {
        guard r.body.count <= 64 * 1024 else { return [:] }
        var out: [String: String] = [:]
        for (k, v) in HTML.formPairs(r.bodyText) where out[k] == nil { out[k] = v }
        return out
    }

    /// Where an action returns to: the page it was posted from when that is a dashboard page, else
    /// the job's page.
    func back(_ r: Request) -> String {
        if let ref = r.header("referer"), let u = URL(string: ref), u.path.hasPrefix(DashboardPages.base) {
            return Self.safeNext(u.path + (u.query.map { "?" + $0 } ?? ""))
        }
        return DashboardPages.jobURL(r.parameter("job") ?? "")
    }

    func fix(_ r: Request, _ s: Session) throws -> Response {
        let job = r.parameter("job") ?? ""
        let f = form(r)
        guard let key = f["key"], !key.isEmpty, let field = f["field"]?.trimmingCharacters(in: .whitespaces), !field.isEmpty else {
            throw JobError("a fix needs a record key and a field")
        }
        let raw = f["value"] ?? ""
        var value = JSONValue.string(raw)
        if raw.hasPrefix("=") {
            guard let parsed = try? JSONParser.parse(String(raw.dropFirst())) else {
                throw JobError("'\(raw.dropFirst().prefix(40))' is not JSON (after '=')")
            }
            value = parsed
        }
        let at = Timestamps.format(observatory.clock.now())
        let by = Principal(s.name, proof: .login)
        let record = try Operations.fix(store: observatory.store, job: job, key: key, field: field, value: value, by: by, at: at)
        return Self.redirect(
            DashboardPages.recordURL(job, record.key), message: "Fixed \(field) of \(record.key) (by \(s.name)). Retry to send it.")
    }

    func act(_ r: Request, _ s: Session) throws -> Response {
        let job = r.parameter("job") ?? ""
        let action = r.parameter("action") ?? ""
        let by = Principal(s.name, proof: .login)
        let at = Timestamps.format(observatory.clock.now())
        let message: String
        switch action {
        case "cancel":
            let state = try Operations.cancel(store: observatory.store, job: job, by: by, at: at)
            message =
                state.phase == .cancelled ? "Cancelled \(job) (by \(s.name))." : "Asked the running sync of \(job) to stop (by \(s.name))."
        case "retry", "resume", "retry-group":
            let verb = action == "resume" ? "resume" : "retry"
            let snapshot = try observatory.snapshot(job: job)
            guard let actions, let latest = snapshot.run else { throw JobError("job \(job) has never run") }
            var only: RejectedFilter?
            if action == "retry-group" {
                let f = form(r)
                only = RejectedFilter(code: f["code"] ?? "", field: f["field"] ?? "")
            }
            var payload: [(String, JSONValue)] = [("action", .string(verb))] + by.fields
            payload.append(("via", "dashboard"))
            if let only { payload.append(("only", only.json)) }
            // Only an action that took effect is recorded as one; a refusal is recorded as a refusal.
            do {
                let plan = plan(snapshot, s)
                if case .unavailable(let why) = action == "resume" ? plan.resume : plan.retry {
                    throw JobError("cannot \(verb) \(job): \(why)")
                }
                if action == "resume" { try actions.resume(job: job, by: by) } else { try actions.retry(job: job, only: only, by: by) }
            } catch {
                let why = (error as? JobError)?.message ?? "\(error)"
                _ = try? observatory.store.append(
                    run: latest.id, type: "operator_refused", payload: .object(payload + [("why", .string(why))]), at: at)
                throw error is JobError ? error : JobError(why)
            }
            try observatory.store.append(run: latest.id, type: "operator_action", payload: .object(payload), at: at)
            message =
                action == "resume"
                ? "Resumed \(job) (by \(s.name))."
                : "Retry of \(job)'s rejected records\(only.map { " (\(($0.code ?? "").isEmpty ? "no code" : $0.code!), \(($0.field ?? "").isEmpty ? "no field" : $0.field!))" } ?? "") started (by \(s.name))."
        default:
            return .text("unknown action '\(action.prefix(40))'", status: 404)
        }
        return Self.redirect(DashboardPages.jobURL(job), message: message)
    }

    // MARK: Helpers

    static func html(_ page: String, status: Int = 200) -> Response {
        Response(
            status: status, headerFields: [("Content-Type", "text/html; charset=utf-8"), ("Cache-Control", "no-store")],
            body: Data(page.utf8))
    }

    static func query(_ items: [(name: String, value: String?)]) -> String {
        items.map { HTML.urlEncode($0.name) + ($0.value.map { "=" + HTML.urlEncode($0) } ?? "") }.joined(separator: "&")
    }

    static func redirect(_ url: String, message: String? = nil, error: String? = nil) -> Response {
        var target = url
        if let message { target += (target.contains("?") ? "&" : "?") + "msg=" + HTML.urlEncode(message) }
        if let error { target += (target.contains("?") ? "&" : "?") + "error=" + HTML.urlEncode(error) }
        return Response(status: 303, headerFields: [("Location", target), ("Cache-Control", "no-store")])
    }
}

/// Whether an action can be taken now.
public enum Availability: Sendable, Equatable {
    /// It can.
    case available
    /// It cannot, and why.
    case unavailable(String)
}

/// The actions a job page offers the signed-in operator.
public struct ActionPlan: Sendable, Equatable {
    /// The operator is read-only: no actions at all.
    public var readOnly: Bool
    /// Resume the latest run.
    public var resume: Availability = .unavailable("the job has never run")
    /// Retry rejected records (all, or one group).
    public var retry: Availability = .unavailable("no rejected records")
    /// Cancel the latest run.
    public var cancel: Availability = .unavailable("no run in progress")

    /// A plan with nothing available.
    public init(readOnly: Bool) {
        self.readOnly = readOnly
    }
}

/// The job page's query: which run, which page of failed records (and their filter), which page
/// of the timeline (and its event type), which page of the run history.
struct JobPageQuery {
    var run: Int?
    var filter: RejectedFilter
    var failedPage: Int
    var timelinePage: Int
    var historyPage: Int
    var eventType: String?
    var items: [(name: String, value: String?)]

    init(_ r: Request) {
        func page(_ name: String) -> Int { min(1_000_000, max(1, Int(r.query(name) ?? "") ?? 1)) }
        run = r.query("run").flatMap { Int($0) }
        let code = r.query("code")
        let field = r.query("field")
        let key = r.query("key").map { String($0.prefix(200)) }
        filter = RejectedFilter(code: code.map { String($0.prefix(200)) }, field: field.map { String($0.prefix(200)) }, keyPrefix: key)
        failedPage = page("fpage")
        timelinePage = page("tpage")
        historyPage = page("hpage")
        eventType = r.query("type").flatMap { $0.isEmpty ? nil : String($0.prefix(64)) }
        items = r.queryItems.filter { ["run", "code", "field", "key", "fpage", "tpage", "hpage", "type"].contains($0.name) }
    }

    var failedOffset: Int { (failedPage - 1) * DashboardServer.pageSize }
    var timelineOffset: Int { (timelinePage - 1) * DashboardServer.pageSize }
    var historyOffset: Int { (historyPage - 1) * DashboardServer.historyPageSize }

    /// This query with `changes` applied (nil removes a parameter), as a query string.
    func with(_ changes: [String: String?]) -> String {
        var out = items.filter { changes[$0.name] == nil }
        for (name, value) in changes.sorted(by: { $0.key < $1.key }) { if let value { out.append((name, value)) } }
        return out.isEmpty ? "" : "?" + DashboardServer.query(out)
    }
}

/// Everything the job page shows, read in one snapshot of the store.
struct JobPageView {
    var snapshot: JobSnapshot
    var shownRun: RunSummary?
    var query: JobPageQuery
    var groups: [FailureGroup]
    var failed: [RecordState]
    var failedTotal: Int
    var history: [RunStats]
    var historyTotal: Int
    var timeline: [StoredEvent]
    var timelineTotal: Int
    var eventTypes: [String: Int]
    var plan: ActionPlan
    /// Open conflicts of a two-way job.
    var conflicts: [TwoWayConflict] = []
    /// The operator's fixes in effect, by record key.
    var fixes: [String: [RecordFix]] = [:]
}

/// What every page needs to know of its viewer: who, which role, the CSRF token for forms, and the
/// message or error to show.
struct PageContext {
    var session: Session
    var message: String?
    var error: String?

    func with(error: String) -> PageContext {
        var c = self
        c.error = error
        return c
    }
}
