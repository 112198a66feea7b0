import Foundation
import MapDSL
import Observe
import SyncEngine
import Testing

/// Records alerts instead of sending them.
final class RecordingSink: AlertSink, @unchecked Sendable {
    private let lock = NSLock()
    private(set) var payloads: [String] = []
    var fail = false

    func deliver(_ alert: Alert, payload: String, config: AlertConfig) -> [String] {
        lock.withLock {
            payloads.append(payload)
            return fail ? ["webhook answered HTTP 500"] : []
        }
    }
}

@Suite struct HealthMonitorTests {
    @Test func wedgedOnlyWhenRunningAndSilentPastTheThreshold() {
        let t0 = Date(timeIntervalSince1970: 1_000_000)
        let quiet = WedgeDetector.judge(phase: .uploading, lastProgress: t0, seq: 7, now: t0.addingTimeInterval(299), threshold: 300)
        #expect(!quiet.wedged)
        let stuck = WedgeDetector.judge(phase: .uploading, lastProgress: t0, seq: 7, now: t0.addingTimeInterval(301), threshold: 300)
        #expect(stuck.wedged && stuck.idleSeconds == 301 && stuck.lastProgressSeq == 7)
        let paused = WedgeDetector.judge(phase: .paused, lastProgress: t0, seq: 7, now: t0.addingTimeInterval(9999), threshold: 300)
        #expect(!paused.wedged)
    }

    @Test func thresholdComesFromTheJobFile() throws {
        let spec = try JobSpec.parse(
            [
                "source": ["platform": "a", "object": "b"], "destination": ["platform": "c", "object": "d"], "mapping": "m.map",
                "wedgedAfterSeconds": 45,
            ], name: "j", path: "j.json")
        #expect(WedgeDetector.threshold(spec) == 45)
        #expect(WedgeDetector.threshold(nil) == 300)
    }

    /// A run stalled by a kill -9 (left in a running state) is flagged once the injected clock passes
    /// the job's threshold, in the snapshot (status, dashboard) and in the metrics.
    @Test func aStalledRunIsFlaggedWithinItsThreshold() throws {
        let project = try TempProject()
        defer { project.remove() }
        let store = try EventStore(path: ":memory:")
        let clock = SteppingClock()
        let fixture = try SyncFixture(records: 5, store: store)
        try project.writeJob(
            "people",
            [
                "source": ["platform": "fake", "object": "person"], "destination": ["platform": "fakedst", "object": "lead"],
                "mapping": "m.map", "wedgedAfterSeconds": 60,
            ])
        // A run that got as far as uploading and then went silent (as if its process died).
        let run = try store.createRun(
            job: "people", info: ["kind": "sync", "source": "fake.person", "destination": "fakedst.lead"], at: clock.timestamp())
        try store.transition(run: run, to: JobState(.fetching, page: 1), at: clock.timestamp())
        try store.transition(run: run, to: JobState(.mapping, page: 1), at: clock.timestamp())
        try store.transition(run: run, to: JobState(.validating, page: 1), at: clock.timestamp())
        try store.transition(run: run, to: JobState(.uploading, page: 1, batch: 1), at: clock.timestamp())
        _ = fixture
        let observatory = Observatory(store: store, root: project.root, clock: clock)
        clock.advance(59)
        #expect(try observatory.snapshot(job: "people", checkMapping: false).wedge.wedged == false)
        // Retries and rate-limit waits are not progress.
        try store.append(run: run, type: "retry", payload: ["attempt": 1, "while": "uploading batch 1"], at: clock.timestamp())
        clock.advance(2)
        let s = try observatory.snapshot(job: "people", checkMapping: false)
        #expect(s.wedge.wedged)
        #expect(s.health == "wedged")
        let metrics = try ParsedExposition(try MetricsRenderer.scrape(observatory))
        #expect(metrics.value("mapc_job_wedged", ["job": "people"]) == 1)
        #expect(metrics.value("mapc_job_wedged_threshold_seconds", ["job": "people"]) == 60)
    }

    @Test func alertPolicyCoversEachConditionOncePerOccurrence() throws {
        let store = try EventStore(path: ":memory:")
        let run = try store.createRun(job: "j", info: ["kind": "sync"], at: "2026-01-01T00:00:00Z")
        let summary = try #require(try store.run(run))
        var s = JobSnapshot(
            job: "j", spec: nil, run: summary, counts: ["created": 70, "rejected": 30],
            measure: RunMeasure(run: run, duration: 10, records: 100, rejected: 30),
            history: [], progress: nil, normality: nil, wedge: .idle(threshold: 300), mapping: nil, totals: [:])
        let config = AlertConfig(webhook: "http://127.0.0.1:1/hook", rejectRate: 0.05)
        #expect(AlertPolicy.decide(snapshot: s, config: AlertConfig(), stopSeq: nil, sent: []).isEmpty, "no hook, no alert")
        let first = AlertPolicy.decide(snapshot: s, config: config, stopSeq: nil, sent: [])
        #expect(first.map { $0.key } == ["reject-rate"])
        #expect(AlertPolicy.decide(snapshot: s, config: config, stopSeq: nil, sent: ["reject-rate"]).isEmpty)
        s.run?.state = JobState(.paused, page: 2, batch: 3, reason: "paused in uploading batch 3: failed 3 times")
        s.wedge = WedgeVerdict(wedged: true, idleSeconds: 900, threshold: 300, lastProgressSeq: 41)
        let keys = AlertPolicy.decide(snapshot: s, config: config, stopSeq: 42, sent: ["reject-rate"]).map(\.key)
        #expect(keys == ["paused@42", "wedged@41"])
        s.run?.state = JobState(.failed, reason: "failed in fetching page 1: unauthorized")
        var onlyFailed = config
        onlyFailed.conditions = [.failed]
        #expect(AlertPolicy.decide(snapshot: s, config: onlyFailed, stopSeq: 50, sent: []).map(\.key) == ["failed@50"])
    }

    @Test func alertConfigParsesAndRejectsBadValues() throws {
        let c = try AlertConfig.parse(["command": "logger mapc", "rejectRate": 0.1, "on": ["paused", "wedged"]])
        #expect(c.command == "logger mapc" && c.rejectRate == 0.1 && c.conditions == [.paused, .wedged])
        #expect(throws: JobError.self) { try AlertConfig.parse(["rejectRate": 2]) }
        #expect(throws: JobError.self) { try AlertConfig.parse(["on": ["sometimes"]]) }
        let merged = try AlertConfig.parse(["rejectRate": 0.2], over: c)
        #expect(merged.command == "logger mapc" && merged.rejectRate == 0.2)
    }

    /// A paused run alerts once (an `alert_sent` event), never again for the same pause, and the
    /// payload never carries a secret even when the platform's message quoted one.
    @Test func monitorSendsOnceRecordsTheEventAndRedactsSecrets() throws {
        let project = try TempProject()
        defer { project.remove() }
        let store = try EventStore(path: ":memory:")
        let clock = SteppingClock()
        let fixture = try SyncFixture(records: 12, store: store)
        let secret = "sk_live_PLANTED_0123456789"
        fixture.destination.failWriteCalls = [
            2: .transient("503 from https://api.example.com?token=\(secret)"), 3: .transient("503 again with Bearer \(secret)"),
        ]
        try project.writeJob(
            "people",
            [
                "source": ["platform": "fake", "object": "person"], "destination": ["platform": "fakedst", "object": "lead"],
                "mapping": "m.map", "alerts": ["webhook": "http://127.0.0.1:9/hook"],
            ])
        #expect(throws: SyncStopped.self) { try fixture.runner(clock: clock).start() }
        let sink = RecordingSink()
        let monitor = AlertMonitor(
            observatory: Observatory(store: store, root: project.root, clock: clock), global: AlertConfig(), sink: sink,
            redactor: SecretRedactor(environment: ["MAPC_FAKEDST_TOKEN": secret]))
        let sent = try monitor.tick()
        #expect(sent.map(\.condition) == [.paused])
        #expect(try monitor.tick().isEmpty, "the same pause never alerts twice")
        #expect(sink.payloads.count == 1)
        #expect(!sink.payloads[0].contains(secret))
        #expect(sink.payloads[0].contains("‹redacted›"))
        let latest = try #require(try store.latestRun(job: "people"))
        let events = try store.events(types: ["alert_sent"], run: latest.id)
        #expect(events.count == 1 && events[0].payload["condition"]?.stringValue == "paused")
        #expect(!JSONWriter.compact(events[0].payload).contains(secret))
    }

    @Test func failedDeliveriesAreRetriedThenGivenUp() throws {
        let project = try TempProject()
        defer { project.remove() }
        let store = try EventStore(path: ":memory:")
        let fixture = try SyncFixture(records: 6, store: store)
        fixture.destination.failWriteCalls = [1: .fatal("401 unauthorized")]
        try project.writeJob(
            "people",
            [
                "source": ["platform": "fake", "object": "person"], "destination": ["platform": "fakedst", "object": "lead"],
                "mapping": "m.map", "alerts": ["command": "true"],
            ])
        #expect(throws: SyncStopped.self) { try fixture.runner(clock: SteppingClock()).start() }
        let sink = RecordingSink()
        sink.fail = true
        let monitor = AlertMonitor(
            observatory: Observatory(store: store, root: project.root, clock: SteppingClock()), global: AlertConfig(), sink: sink,
            redactor: SecretRedactor(environment: [:]))
        for _ in 0..<5 { try monitor.tick() }
        #expect(sink.payloads.count == 3)
    }

    @Test func theCommandHookGetsThePayloadOnStandardInput() throws {
        let out = NSTemporaryDirectory() + "alert-\(UUID().uuidString).json"
        defer { try? FileManager.default.removeItem(atPath: out) }
        let alert = Alert(
            job: "j", run: 3, condition: .wedged, key: "wedged@1", summary: "j is wedged", state: "uploading batch 2", counts: [:])
        let errors = HookSink(environment: ["PATH": "/usr/bin:/bin", "MAPC_X_TOKEN": "secret-value-123"]).deliver(
            alert, payload: JSONWriter.compact(alert.json),
            config: AlertConfig(command: "cat > \(out); echo \"$MAPC_ALERT_CONDITION ${MAPC_X_TOKEN:-none}\" >> \(out)"))
        #expect(errors.isEmpty)
        let written = try String(contentsOfFile: out, encoding: .utf8)
        #expect(written.contains("\"condition\":\"wedged\""))
        #expect(written.contains("wedged none"), "credentials are removed from the command's environment")
    }
}
