import Crypto
import Foundation
import HTTPServer
import MapDSL
import Testing

@testable import Observe
@testable import SyncEngine

/// A console over a store with rejected records, on a loopback port, with an operator (`ada`) and a
/// read-only operator (`rob`).
final class ConsoleHarness {
    let project: TempProject
    let store: EventStore
    let access: ConsoleAccess
    let server: HTTPServer
    let http: RawHTTP
    static let adaPassword = "ada's long secret"
    static let robPassword = "rob's long secret"
    static let token = "mapc_test-token-0123456789abcdefghijklmnopqrstuvwxyz"

    init(
        policy: ConsolePolicy = ConsolePolicy(), sessions: SessionTable = SessionTable(), throttle: LoginThrottle = LoginThrottle(),
        operators: OperatorDirectory? = nil
    ) throws {
        project = try TempProject()
        store = try EventStore(path: ":memory:")
        let fixture = try SyncFixture(records: 12, bad: [2, 5], store: store)
        _ = try fixture.runner(clock: SteppingClock(), full: true).start()
        let directory =
            operators
            ?? OperatorDirectory(records: [
                TestOperators.record("ada", .operator, password: Self.adaPassword),
                TestOperators.record("rob", .readOnly, password: Self.robPassword, tokens: [Self.token]),
            ])
        access = ConsoleAccess(operators: directory, sessions: sessions, throttle: throttle, policy: policy)
        let dashboard = DashboardServer(
            observatory: Observatory(store: store, root: project.root), actions: FixtureActions(fixture), access: access)
        server = try HTTPServer.start(router: dashboard.router())
        access.policy.listening(host: server.host, port: server.port)
        http = RawHTTP(port: server.port)
    }

    deinit {
        server.stop()
        project.remove()
    }

    var origin: String { "http://127.0.0.1:\(server.port)" }

    /// Signs in; returns the session cookie and the session's CSRF token (from a page's forms).
    func signIn(_ name: String, _ password: String) throws -> (cookie: String, csrf: String) {
        let form = try http.request("GET", "/login")
        let prelogin = try #require(RawHTTP.cookie("mapc_login", in: form))
        let token = try #require(RawHTTP.hidden("csrf", in: form.body))
        let answer = try http.request(
            "POST", "/login", headers: [("Cookie", "mapc_login=\(prelogin)"), ("Origin", origin)],
            body: "csrf=\(token)&next=%2Fdashboard&name=\(name)&password=\(HTML.urlEncode(password))")
        #expect(answer.status == 303, "signing in as \(name): \(answer.status) \(answer.body.prefix(200))")
        let session = try #require(RawHTTP.cookie("mapc_session", in: answer))
        let page = try http.request("GET", "/dashboard", headers: [("Cookie", "mapc_session=\(session)")])
        return ("mapc_session=\(session)", try #require(RawHTTP.hidden("csrf", in: page.body)))
    }

    /// Fix events recorded so far.
    func fixes() throws -> [StoredEvent] { try store.events(types: ["record_fixed"]) }
}

@Suite(.serialized) struct ConsoleSecurityTests {
    @Test(.timeLimit(.minutes(1)))
    func pagesNeedASignedInOperator() throws {
        let h = try ConsoleHarness()
        let page = try h.http.request("GET", "/dashboard/jobs/people?fpage=2")
        #expect(page.status == 303)
        #expect(page.header("location") == "/login?next=" + HTML.urlEncode("/dashboard/jobs/people?fpage=2"))
        let post = try h.http.request("POST", "/dashboard/jobs/people/cancel", headers: [("Origin", h.origin)], body: "csrf=x")
        #expect(post.status == 403)
        #expect(try h.store.events(types: ["cancel_requested"]).isEmpty)
    }

    @Test(.timeLimit(.minutes(1)))
    func signInIssuesAStrictHttpOnlySessionCookieAndRefusesWrongPasswords() throws {
        let h = try ConsoleHarness()
        let form = try h.http.request("GET", "/login")
        let prelogin = try #require(RawHTTP.cookie("mapc_login", in: form))
        let token = try #require(RawHTTP.hidden("csrf", in: form.body))
        let wrong = try h.http.request(
            "POST", "/login", headers: [("Cookie", "mapc_login=\(prelogin)")], body: "csrf=\(token)&name=ada&password=not+it")
        #expect(wrong.status == 401 && wrong.body.contains("Wrong name or password"))
        #expect(RawHTTP.cookie("mapc_session", in: wrong) == nil)
        let unknown = try h.http.request(
            "POST", "/login", headers: [("Cookie", "mapc_login=\(prelogin)")], body: "csrf=\(token)&name=nobody&password=not+it")
        #expect(unknown.status == 401 && unknown.body.contains("Wrong name or password"), "an unknown name looks like a wrong password")
        let forged = try h.http.request(
            "POST", "/login", body: "csrf=\(token)&name=ada&password=\(HTML.urlEncode(ConsoleHarness.adaPassword))")
        #expect(forged.status == 403, "a sign-in form posted without its cookie (login CSRF) is refused")
        let right = try h.http.request(
            "POST", "/login", headers: [("Cookie", "mapc_login=\(prelogin)")],
            body: "csrf=\(token)&next=%2F%2Fevil.example&name=ada&password=\(HTML.urlEncode(ConsoleHarness.adaPassword))")
        #expect(right.status == 303 && right.header("location") == "/dashboard", "next never leaves the dashboard")
        let cookie = try #require(right.headers("set-cookie").first { $0.hasPrefix("mapc_session=") })
        #expect(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict") && cookie.contains("Path=/"))
        #expect(!cookie.contains("Secure"), "plain HTTP on loopback: a Secure cookie would never come back")
        let id = try #require(RawHTTP.cookie("mapc_session", in: right))
        #expect(id.count >= 43, "a 256-bit random id")
        let page = try h.http.request("GET", "/dashboard", headers: [("Cookie", "mapc_session=\(id)")])
        #expect(page.status == 200 && page.body.contains("signed in as <strong>ada</strong>"))
        // Signing out ends the session on the server.
        let csrf = try #require(RawHTTP.hidden("csrf", in: page.body))
        let out = try h.http.request(
            "POST", "/logout", headers: [("Cookie", "mapc_session=\(id)"), ("Origin", h.origin)], body: "csrf=\(csrf)")
        #expect(out.status == 303 && out.header("location") == "/login")
        #expect(try h.http.request("GET", "/dashboard", headers: [("Cookie", "mapc_session=\(id)")]).status == 303)
    }

    /// Cross-site forms (another origin, a sandboxed frame's `Origin: null`), forms without the
    /// session's token and forms with a wrong one are refused, and nothing reaches the store; the
    /// operator's own form is recorded under the operator's name.
    @Test(.timeLimit(.minutes(1)))
    func forgedPostsAreRefusedAndTheRealOneIsRecordedUnderTheOperator() throws {
        let h = try ConsoleHarness()
        let (cookie, csrf) = try h.signIn("ada", ConsoleHarness.adaPassword)
        let fix = "key=p2&field=email&value=evil%40example.com"
        let attempts: [(String, [(String, String)], String)] = [
            ("Origin: null", [("Cookie", cookie), ("Origin", "null")], fix + "&csrf=\(csrf)"),
            ("another site", [("Cookie", cookie), ("Origin", "http://evil.example")], fix + "&csrf=\(csrf)"),
            ("another port", [("Cookie", cookie), ("Origin", "http://127.0.0.1:1")], fix + "&csrf=\(csrf)"),
            ("no token", [("Cookie", cookie), ("Origin", h.origin)], fix),
            ("wrong token", [("Cookie", cookie), ("Origin", h.origin)], fix + "&csrf=forged"),
            ("no session", [("Origin", h.origin)], fix + "&csrf=\(csrf)"),
            ("by a name in the form", [("Cookie", cookie), ("Origin", "null")], fix + "&csrf=\(csrf)&by=evil-page"),
        ]
        for (what, headers, body) in attempts {
            let answer = try h.http.request("POST", "/dashboard/jobs/people/record/fix", headers: headers, body: body)
            #expect(answer.status == 403, "\(what): \(answer.status)")
        }
        #expect(try h.fixes().isEmpty, "nothing forged reached the store")
        let real = try h.http.request(
            "POST", "/dashboard/jobs/people/record/fix", headers: [("Cookie", cookie), ("Origin", h.origin)],
            body: "key=p2&field=email&value=person2%40example.com&csrf=\(csrf)&by=someone-else")
        #expect(real.status == 303)
        let fixes = try h.fixes()
        #expect(fixes.count == 1)
        #expect(fixes.first?.payload["by"]?.stringValue == "ada", "the signed-in operator, not a name in the form")
        #expect(fixes.first?.payload["identity"]?.stringValue == "login")
    }

    @Test(.timeLimit(.minutes(1)))
    func readOnlyOperatorsSeeNoActionsAndTheirPostsAreRefused() throws {
        let h = try ConsoleHarness()
        let (cookie, csrf) = try h.signIn("rob", ConsoleHarness.robPassword)
        let job = try h.http.request("GET", "/dashboard/jobs/people", headers: [("Cookie", cookie)])
        #expect(job.status == 200 && job.body.contains("id=\"read-only\""))
        #expect(!job.body.contains("action-retry") && !job.body.contains("action-cancel") && !job.body.contains("action-resume"))
        #expect(!job.body.contains("Retry this group"))
        let record = try h.http.request("GET", "/dashboard/jobs/people/record?key=p2", headers: [("Cookie", cookie)])
        #expect(record.status == 200 && !record.body.contains("fix-form"))
        for path in ["/dashboard/jobs/people/record/fix", "/dashboard/jobs/people/retry", "/dashboard/jobs/people/cancel"] {
            let answer = try h.http.request(
                "POST", path, headers: [("Cookie", cookie), ("Origin", h.origin)], body: "key=p2&field=email&value=x&csrf=\(csrf)")
            #expect(answer.status == 403 && answer.body.contains("read-only"), "\(path): \(answer.status)")
        }
        #expect(try h.fixes().isEmpty)
        #expect(try h.store.events(types: ["operator_action", "cancel_requested"]).isEmpty)
    }

    /// A page on another name that resolves to the console (DNS rebinding) names that host: refused.
    @Test(.timeLimit(.minutes(1)))
    func requestsForAnotherHostAreRefused() throws {
        let h = try ConsoleHarness()
        for path in ["/metrics", "/login", "/dashboard", "/dashboard/assets/dashboard.js"] {
            let answer = try h.http.request("GET", path, headers: [("Host", "rebind.example:\(h.server.port)")])
            #expect(answer.status == 421, "\(path): \(answer.status)")
            #expect(answer.header("content-security-policy") != nil)
        }
        #expect(try h.http.request("GET", "/metrics", headers: [("Host", "localhost:\(h.server.port)")]).status == 200)
        #expect(try h.http.request("GET", "/metrics").status == 200)
    }

    /// Every answer says: no inline script, no framing, no sniffing, no referrer to other sites; and
    /// the pages hold no inline script, inline style or event-handler attribute.
    @Test(.timeLimit(.minutes(1)))
    func answersCarryTheSecurityHeadersAndPagesNoInlineScript() throws {
        let h = try ConsoleHarness()
        let (cookie, _) = try h.signIn("ada", ConsoleHarness.adaPassword)
        for path in ["/login", "/dashboard", "/dashboard/jobs/people", "/dashboard/jobs/people/record?key=p2", "/nowhere", "/metrics"] {
            let answer = try h.http.request("GET", path, headers: [("Cookie", cookie)])
            let csp = try #require(answer.header("content-security-policy"), "\(path)")
            #expect(csp.contains("script-src 'self'") && !csp.contains("unsafe-inline") && csp.contains("frame-ancestors 'none'"))
            #expect(answer.header("x-content-type-options") == "nosniff")
            #expect(answer.header("referrer-policy") == "same-origin")
            #expect(answer.header("x-frame-options") == "DENY")
            if answer.header("content-type")?.hasPrefix("text/html") == true {
                #expect(answer.body.range(of: "<script(?![^>]*\\bsrc=)", options: .regularExpression) == nil, "\(path) has inline script")
                #expect(answer.body.range(of: "\\sstyle=", options: .regularExpression) == nil, "\(path) has inline style")
                #expect(answer.body.range(of: "\\son[a-z]+=", options: .regularExpression) == nil, "\(path) has an event handler")
            }
        }
    }

    /// After five wrong passwords for a name, that name is locked for a while (the right password
    /// too, answered before any hashing); the lock lifts when the time has passed.
    @Test(.timeLimit(.minutes(1)))
    func signInsAreThrottled() throws {
        let clock = SteppingClock()
        let h = try ConsoleHarness(throttle: LoginThrottle(clock: clock))
        func attempt(_ password: String) throws -> RawHTTP.Answer {
            let form = try h.http.request("GET", "/login")
            let prelogin = try #require(RawHTTP.cookie("mapc_login", in: form))
            let token = try #require(RawHTTP.hidden("csrf", in: form.body))
            return try h.http.request(
                "POST", "/login", headers: [("Cookie", "mapc_login=\(prelogin)")],
                body: "csrf=\(token)&name=ada&password=\(HTML.urlEncode(password))")
        }
        for _ in 0..<5 { #expect(try attempt("guess").status == 401) }
        let locked = try attempt(ConsoleHarness.adaPassword)
        #expect(locked.status == 429 && locked.header("retry-after") == "30")
        clock.advance(31)
        #expect(try attempt(ConsoleHarness.adaPassword).status == 303)
    }

    @Test(.timeLimit(.minutes(1)))
    func sessionsEndWhenIdleAndWhenTheOperatorIsRemoved() throws {
        let clock = SteppingClock()
        let file = NSTemporaryDirectory() + "operators-\(UUID().uuidString).json"
        defer { try? FileManager.default.removeItem(atPath: file) }
        var operators = OperatorFile(path: file)
        try operators.add(TestOperators.record("ada", .operator, password: ConsoleHarness.adaPassword))
        try operators.add(TestOperators.record("rob", .readOnly, password: ConsoleHarness.robPassword))
        try operators.save()
        let h = try ConsoleHarness(sessions: SessionTable(idleTimeout: 60, clock: clock), operators: OperatorDirectory(path: file))
        let ada = try h.signIn("ada", ConsoleHarness.adaPassword)
        let rob = try h.signIn("rob", ConsoleHarness.robPassword)
        clock.advance(59)
        #expect(try h.http.request("GET", "/dashboard", headers: [("Cookie", ada.cookie)]).status == 200)
        clock.advance(61)
        #expect(try h.http.request("GET", "/dashboard", headers: [("Cookie", ada.cookie)]).status == 303, "idle too long")
        let again = try h.signIn("ada", ConsoleHarness.adaPassword)
        operators.remove("ada")
        try operators.save()
        #expect(try h.http.request("GET", "/dashboard", headers: [("Cookie", again.cookie)]).status == 303, "removed operator")
        #expect(try h.http.request("GET", "/dashboard", headers: [("Cookie", rob.cookie)]).status == 303, "rob was idle too")
    }

    @Test(.timeLimit(.minutes(1)))
    func metricsBeyondLoopbackNeedAnOperatorsToken() throws {
        let h = try ConsoleHarness(policy: ConsolePolicy(metricsNeedToken: true))
        let none = try h.http.request("GET", "/metrics")
        #expect(none.status == 401 && none.header("www-authenticate")?.hasPrefix("Bearer") == true)
        #expect(try h.http.request("GET", "/metrics", headers: [("Authorization", "Bearer mapc_wrong")]).status == 401)
        let ok = try h.http.request("GET", "/metrics", headers: [("Authorization", "Bearer \(ConsoleHarness.token)")])
        #expect(ok.status == 200 && ok.body.contains("# TYPE mapc_records_total counter"))
    }

    @Test func cookiesAreSecureOverTLSAndTheNextPageStaysInTheDashboard() {
        #expect(ConsolePolicy(tls: true).cookie("a", "b").hasSuffix("; Secure"))
        #expect(ConsolePolicy(publicURL: URL(string: "https://console.example.com")).cookie("a", "b").hasSuffix("; Secure"))
        #expect(ConsolePolicy(tls: true).securityHeaders.contains { $0.name == "Strict-Transport-Security" })
        for bad in ["//evil.example", "https://evil.example/dashboard", "/dashboard//evil", "/dashboard\\@evil", "/login", nil] {
            #expect(DashboardServer.safeNext(bad) == "/dashboard", "\(bad ?? "nil")")
        }
        #expect(DashboardServer.safeNext("/dashboard/jobs/a?fpage=2") == "/dashboard/jobs/a?fpage=2")
        let policy = ConsolePolicy(publicURL: URL(string: "https://console.example.com"))
        policy.listening(host: "127.0.0.1", port: 8081)
        #expect(policy.allowsHost("console.example.com") && policy.allowsHost("CONSOLE.example.com:443"))
        #expect(policy.allowsHost("127.0.0.1:8081") && policy.allowsHost("localhost:8081") && !policy.allowsHost("127.0.0.1:8082"))
        #expect(!policy.allowsHost("evil.example") && !policy.allowsHost(nil))
        #expect(policy.originProblem("https://console.example.com") == nil && policy.originProblem(nil) == nil)
        #expect(policy.originProblem("null") != nil && policy.originProblem("http://console.example.com") != nil)
    }
}

@Suite struct OperatorCredentialTests {
    /// PBKDF2-HMAC-SHA256 as RFC 7914 §11 gives it (P "passwd", S "salt", c 1): the first 32 bytes.
    @Test func pbkdf2MatchesThePublishedVector() {
        let key = PasswordHash.derive("passwd", salt: Array("salt".utf8), iterations: 1)
        #expect(key.map { String(format: "%02x", $0) }.joined() == "55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc")
    }

    @Test func passwordsAreSaltedHashedAndCheckedWithTheirOwnIterations() throws {
        let a = PasswordHash.make("correct horse", iterations: 2000)
        let b = PasswordHash.make("correct horse", iterations: 2000)
        #expect(a.salt != b.salt && a.hash != b.hash, "a salt each")
        #expect(a.verify("correct horse") && !a.verify("correct horsf") && !a.verify(""))
        let parsed = try #require(PasswordHash(encoded: a.encoded))
        #expect(parsed == a && parsed.iterations == 2000 && parsed.verify("correct horse"))
        #expect(!a.description.contains(Base64URL.encode(a.hash)), "the hash never appears in descriptions")
        #expect(PasswordHash.defaultIterations >= 600_000)
        for tampered in [
            "pbkdf2-sha256$1$c2FsdHNhbHQ$" + Base64URL.encode(a.hash), "md5$2000$x$y", "pbkdf2-sha256$2000$c2FsdHNhbHQ$short", "",
        ] {
            #expect(PasswordHash(encoded: tampered) == nil, "\(tampered)")
        }
    }

    @Test func theOperatorsFileIsPrivateAndRefusedWhenOthersMayWriteIt() throws {
        let dir = NSTemporaryDirectory() + "ops-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var file = OperatorFile(path: dir + "/mapc/operators.json")
        try file.add(TestOperators.record("ada", .operator, password: "a long password"))
        #expect(throws: OperatorFileError.self) { try file.add(TestOperators.record("ada", .readOnly, password: "x")) }
        #expect(throws: OperatorFileError.self) { try file.add(TestOperators.record("a b", .readOnly, password: "x")) }
        try file.save()
        let mode = try FileManager.default.attributesOfItem(atPath: file.path)[.posixPermissions] as? NSNumber
        #expect(mode?.intValue == 0o600)
        let text = try String(contentsOfFile: file.path, encoding: .utf8)
        #expect(!text.contains("a long password"))
        let loaded = try OperatorFile.load(path: file.path)
        #expect(loaded.record("ada")?.password?.verify("a long password") == true)
        chmod(file.path, 0o666)
        #expect(throws: OperatorFileError.self) { try OperatorFile.load(path: file.path) }
        let directory = OperatorDirectory(path: file.path)
        #expect(directory.current().isEmpty && directory.loadError?.contains("chmod 600") == false)
        #expect(directory.loadError?.contains("written by other users") == true, "fails closed, with the reason")
        for bad in ["[]", "{\"format\":\"mapc-operators/1\",\"operators\":[{\"name\":\"x\",\"role\":\"root\"}]}", "not json"] {
            #expect(throws: OperatorFileError.self) { try OperatorFile.parse(Array(bad.utf8), path: "f") }
        }
    }
}
