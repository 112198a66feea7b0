import Foundation
import HTTPServer
import MapDSL
import Observe
import SyncEngine
import Testing

/// What reached the console's fix endpoint: each post's `Origin` and the status it was answered.
final class PostLog: @unchecked Sendable {
    private let lock = NSLock()
    private(set) var posts: [(origin: String, status: Int)] = []

    func add(_ origin: String, _ status: Int) { lock.withLock { posts.append((origin, status)) } }
    var snapshot: [(origin: String, status: Int)] { lock.withLock { posts } }
}

@Suite(.serialized) struct ConsoleBrowserSecurityTests {
    /// The page another site serves: a form that posts a fix to the console as soon as it loads.
    static func forgePage(console: String, key: String) -> String {
        """
        <!doctype html><html><body><form id="f" method="post" action="\(console)/dashboard/jobs/people/record/fix">
        <input type="hidden" name="key" value="\(key)"><input type="hidden" name="field" value="Email">
        <input type="hidden" name="value" value="evil@evil.example"><input type="hidden" name="by" value="evil-page"></form>
        <script>document.getElementById('f').submit();</script></body></html>
        """
    }

    /// A page with a sandboxed frame (its requests say `Origin: null`) that posts the same form when
    /// the parent tells it to; the parent's title becomes `answered` once the frame loaded the answer.
    static func framePage(console: String, key: String) -> String {
        let inner = forgePage(console: console, key: key).replacingOccurrences(
            of: "<script>document.getElementById('f').submit();</script>",
            with: "<script>window.addEventListener('message', function () { document.getElementById('f').submit(); });</script>")
        return """
            <!doctype html><html><head><title>waiting</title></head><body><script>
            var frame = document.createElement('iframe'), loads = 0;
            frame.setAttribute('sandbox', 'allow-scripts allow-forms');
            frame.addEventListener('load', function () {
              loads += 1;
              if (loads === 1) frame.contentWindow.postMessage('go', '*'); else document.title = 'answered';
            });
            frame.srcdoc = \(JSONWriter.compact(.string(inner)).replacingOccurrences(of: "</", with: "<\\/"));
            document.body.appendChild(frame);
            </script></body></html>
            """
    }

    /// Headless Chromium against the console: not signed in → the sign-in page; a wrong password →
    /// refused; a forged cross-site form and one from a sandboxed frame → refused and nothing
    /// recorded; the operator's fix → recorded under the operator's name; a read-only operator sees
    /// no action and a post from their page is refused.
    @Test(
        .enabled(if: Browser.available, "headless Chromium or python3 not found: run `make deps` (installs the Debian package chromium)"),
        .timeLimit(.minutes(5)))
    func theConsoleHoldsAgainstForgedFormsAndReadOnlyOperators() throws {
        let project = try TempProject()
        defer { project.remove() }
        let store = try EventStore(path: project.root + "/.mapc/events.db")
        let fixture = try SyncFixture(records: 12, bad: [2, 5], store: store)
        _ = try fixture.runner(full: true).start()
        let key = "p2"
        #expect(try store.record(job: "people", key: key)?.status == "rejected")

        let access = TestOperators.access([("ada", .operator, "ada's long secret"), ("rob", .readOnly, "rob's long secret")])
        let inner = DashboardServer(
            observatory: Observatory(store: store, root: project.root), actions: FixtureActions(fixture), access: access
        ).router()
        let log = PostLog()
        var outer = Router()
        outer.add("*", "/*") { r in
            let answer = inner.handle(r)
            if r.method == "POST", r.path.hasSuffix("/record/fix") { log.add(r.header("origin") ?? "(none)", answer.status) }
            return answer
        }
        let console = try HTTPServer.start(router: outer)
        defer { console.stop() }
        access.policy.listening(host: console.host, port: console.port)
        let base = console.baseURL.absoluteString
        var evilRoutes = Router()
        evilRoutes.add("GET", "/forge") { _ in
            Response(status: 200, headerFields: [("Content-Type", "text/html")], body: Data(Self.forgePage(console: base, key: key).utf8))
        }
        evilRoutes.add("GET", "/frame") { _ in
            Response(status: 200, headerFields: [("Content-Type", "text/html")], body: Data(Self.framePage(console: base, key: key).utf8))
        }
        let evil = try HTTPServer.start(router: evilRoutes)
        defer { evil.stop() }

        let driver = URL(fileURLWithPath: Browser.driver).deletingLastPathComponent().appendingPathComponent("cdp_security.py").path
        let p = Process()
        p.executableURL = URL(fileURLWithPath: Browser.python!)
        p.arguments = [
            driver, "--chromium", Browser.chromium!, "--base", base, "--evil", evil.baseURL.absoluteString, "--job", "people", "--key", key,
            "--operator", "ada", "ada's long secret", "--reader", "rob", "rob's long secret", "--artifacts", Artifacts.root + "/dashboard",
        ]
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        let text = String(decoding: data, as: UTF8.self)
        let report = try JSONParser.parse(text.split(separator: "\n").last.map(String.init) ?? "{}")
        #expect(report["ok"]?.boolValue == true, "browser driver: \(text)")
        let seen = report["seen"] ?? .null
        #expect(seen["signInShown"]?.stringValue == "/login?next=%2Fdashboard")
        #expect(seen["wrongPassword"]?.stringValue?.contains("Wrong name or password") == true)
        #expect(seen["signedInAs"]?.stringValue?.contains("ada") == true)
        #expect(seen["forgedAnswer"]?.stringValue?.contains("another site") == true)
        #expect(seen["framePosted"]?.boolValue == true)
        #expect(seen["fixFlash"]?.stringValue?.contains("by ada") == true)
        #expect(seen["readOnlyNote"]?.stringValue?.contains("read-only") == true)
        #expect(seen["readOnlyActionForms"]?.intValue == 0)
        #expect(seen["readOnlyFixForm"]?.boolValue == false)
        #expect(seen["readOnlyPost"]?.intValue == 403)

        // The server saw the forged posts and refused them; only the operator's own fix was recorded.
        let posts = log.snapshot
        let evilOrigin = "http://127.0.0.1:\(evil.port)"
        #expect(posts.contains { $0.origin == evilOrigin && $0.status == 403 }, "the cross-site form: \(posts)")
        #expect(posts.contains { $0.origin == "null" && $0.status == 403 }, "the sandboxed frame's form: \(posts)")
        #expect(posts.filter { $0.status != 403 }.count == 1, "only the operator's own post went through: \(posts)")
        let fixes = try store.events(types: ["record_fixed"])
        #expect(fixes.count == 1)
        #expect(fixes.first?.payload["by"]?.stringValue == "ada" && fixes.first?.payload["identity"]?.stringValue == "login")
        #expect(fixes.first?.payload["value"]?.stringValue == "person2@example.com")
        #expect(!JSONWriter.compact(.array(fixes.map(\.payload))).contains("evil"))
    }
}
