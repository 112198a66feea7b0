import Foundation
import HTTPServer
import MapDSL
import Observe
import SyncEngine
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// Where test artefacts (screenshots) go: `$MAPC_ARTIFACTS` or `artifacts/` at the repository root.
enum Artifacts {
    static let root: String = {
        if let dir = ProcessInfo.processInfo.environment["MAPC_ARTIFACTS"], !dir.isEmpty { return dir }
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path + "/artifacts"
    }()
}

/// Finds headless Chromium and Python for the browser tests.
enum Browser {
    static func which(_ names: [String]) -> String? {
        let path = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":").map(String.init)
        for name in names {
            if name.hasPrefix("/") { if FileManager.default.isExecutableFile(atPath: name) { return name } else { continue } }
            for dir in path where FileManager.default.isExecutableFile(atPath: dir + "/" + name) { return dir + "/" + name }
        }
        return nil
    }

    static let chromium: String? = which(
        [ProcessInfo.processInfo.environment["MAPC_CHROMIUM"] ?? "", "chromium", "chromium-browser", "google-chrome"].filter { !$0.isEmpty }
    )
    static let python: String? = which(["python3"])
    static let available = chromium != nil && python != nil
    static let driver = URL(fileURLWithPath: #filePath).deletingLastPathComponent().path + "/Browser/cdp_drive.py"
}

/// GETs `url` synchronously.
func httpGet(_ url: URL) throws -> (Int, String, String?) {
    let done = DispatchSemaphore(value: 0)
    let box = UncheckedBox(ResultHolder())
    URLSession.shared.dataTask(with: url) { data, response, error in
        box.value.set(
            (response as? HTTPURLResponse).map {
                ($0.statusCode, String(decoding: data ?? Data(), as: UTF8.self), $0.value(forHTTPHeaderField: "Content-Type"))
            }, error)
        done.signal()
    }.resume()
    done.wait()
    if let e = box.value.error { throw e }
    return box.value.result ?? (0, "", nil)
}

final class ResultHolder: @unchecked Sendable {
    private let lock = NSLock()
    private(set) var result: (Int, String, String?)?
    private(set) var error: Error?
    func set(_ r: (Int, String, String?)?, _ e: Error?) { lock.withLock { (result, error) = (r, e) } }
}

@Suite(.serialized) struct DashboardBrowserTests {
    /// A live sync over a slow fake destination pauses with a reason; headless Chromium watches the
    /// progress, opens a rejected record, fixes it, retries it from the page and sees it delivered;
    /// the event store agrees, and `/metrics` parses.
    @Test(.enabled(if: Browser.available, "headless Chromium or python3 not found: run `make deps` (installs the Debian package chromium)"))
    func fixAndRetryAFailedRecordFromTheDashboard() throws {
        let project = try TempProject()
        defer { project.remove() }
        let store = try EventStore(path: project.root + "/.mapc/events.db")
        let fixture = try SyncFixture(records: 90, bad: [4, 11], store: store)
        try project.writeJob(
            "people",
            [
                "source": ["platform": "fake", "object": "person"], "destination": ["platform": "fakedst", "object": "lead"],
                "mapping": "m.map", "pageSize": 6, "retries": 2, "wedgedAfterSeconds": 120,
            ])
        // History: three quick complete runs, so "is this normal?" and the ETA have something to go on.
        for _ in 0..<3 { _ = try fixture.runner(full: true).start() }
        // The live run: slow batches, then the destination fails twice in a row and the run pauses.
        let calls = fixture.destination.writeCalls
        fixture.destination.writeDelay = 0.3
        fixture.destination.failWriteCalls = [
            calls + 24: .transient("HTTP 503 Service Unavailable"), calls + 25: .transient("HTTP 503 Service Unavailable"),
        ]
        let actions = FixtureActions(fixture)
        let access = TestOperators.access([("Ada", .operator, "a long enough secret")])
        let dashboard = DashboardServer(observatory: Observatory(store: store, root: project.root), actions: actions, access: access)
        let server = try HTTPServer.start(router: dashboard.router())
        defer { server.stop() }
        access.policy.listening(host: server.host, port: server.port)
        let live = UncheckedBox(fixture.runner(actor: "scheduler", full: true))
        let finished = DispatchSemaphore(value: 0)

        let artifacts = Artifacts.root + "/dashboard"
        let p = Process()
        p.executableURL = URL(fileURLWithPath: Browser.python!)
        p.arguments = [
            Browser.driver, "--chromium", Browser.chromium!, "--base", server.baseURL.absoluteString, "--job", "people", "--artifacts",
            artifacts, "--actor", "Ada", "--password", "a long enough secret",
        ]
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        // The live run starts once the browser is up and signed in (its driver says so on a line of
        // its own), so Chromium's start-up never races the run; a driver that ends first starts nothing.
        var data = Data()
        while !String(decoding: data, as: UTF8.self).contains("signed-in\n") {
            let chunk = out.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            data.append(chunk)
        }
        let started = String(decoding: data, as: UTF8.self).contains("signed-in\n")
        if started {
            Thread {
                _ = try? live.value.start()
                finished.signal()
            }.start()
        }
        data.append(out.fileHandleForReading.readDataToEndOfFile())
        p.waitUntilExit()
        if started { finished.wait() }
        fixture.destination.writeDelay = 0
        actions.waitIdle()
        let text = String(decoding: data, as: UTF8.self)
        let report = try JSONParser.parse(text.split(separator: "\n").last.map(String.init) ?? "{}")
        #expect(report["ok"]?.boolValue == true, "browser driver: \(text)")
        let seen = report["seen"] ?? .null
        let progress = seen["progress"]?.arrayValue?.compactMap(\.stringValue) ?? []
        #expect(progress.count == 2 && progress[0] != progress[1], "live progress: \(progress)")
        #expect(seen["reason"]?.stringValue?.contains("HTTP 503") == true)
        #expect(seen["platformReason"]?.stringValue?.contains("INVALID_EMAIL_ADDRESS") == true)
        #expect(seen["retryWhilePaused"]?.boolValue == false, "the record page offers no retry while the run is paused")
        #expect(seen["statusAfterRetry"]?.stringValue == "created")
        #expect(seen["timelineHasActor"]?.boolValue == true)

        // The event store agrees: the fix and the retry are recorded with who did them.
        let key = try #require(seen["record"]?.stringValue)
        let record = try #require(try store.record(job: "people", key: key))
        #expect(record.status == "created")
        let fixes = try store.recordEvents(job: "people", key: key).filter { $0.kind == "fixed" }
        #expect(fixes.count == 1 && fixes[0].payload["by"]?.stringValue == "Ada")
        let retries = try store.events(types: ["operator_action"]).filter { $0.payload["action"]?.stringValue == "retry" }
        #expect(retries.count == 1 && retries[0].payload["by"]?.stringValue == "Ada")
        for shot in ["01-jobs-running.png", "02-job-paused.png", "03-record-rejected.png", "05-record-delivered.png"] {
            #expect(FileManager.default.fileExists(atPath: artifacts + "/" + shot), "screenshot \(shot)")
        }

        // Metrics scraped over HTTP and parsed.
        let (status, body, type) = try httpGet(server.baseURL.appendingPathComponent("metrics"))
        #expect(status == 200 && type?.hasPrefix("text/plain; version=0.0.4") == true)
        let metrics = try ParsedExposition(body)
        for name in ["mapc_jobs", "mapc_records", "mapc_batch_latency_seconds", "mapc_retries_total", "mapc_job_wedged", "mapc_quota_used"]
        {
            #expect(metrics.types[name] != nil && metrics.help[name] != nil, "HELP and TYPE for \(name)")
        }
        #expect((metrics.value("mapc_records", ["job": "people", "outcome": "created"]) ?? 0) >= 1)
        #expect(metrics.value("mapc_retries_total", ["job": "people", "platform": "fakedst"]) == 2)
        #expect((metrics.value("mapc_batch_latency_seconds_count", ["job": "people"]) ?? 0) > 30)
        #expect(metrics.value("mapc_jobs", ["state": "completed"]) == 1)
    }
}
