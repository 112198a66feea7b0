import Foundation
import MapDSL
import MapcSupport
import SyncEngine

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// Replaces secret values with `‹redacted›`: the values of environment variables whose names say
/// they hold a credential (`…TOKEN`, `…KEY`, `…SECRET`, `…PASSWORD`) in every encoding they travel
/// in (see ``Redactor``), and bearer tokens.
public struct SecretRedactor: Sendable {
    private let redactor: Redactor

    /// Whether an environment variable name looks like it holds a credential.
    public static func isSecretName(_ name: String) -> Bool {
        let upper = name.uppercased()
        return ["TOKEN", "KEY", "SECRET", "PASSWORD", "CREDENTIAL"].contains { upper.contains($0) }
    }

    /// Collects the secret values of `environment` (values shorter than 6 characters are ignored).
    public init(environment: [String: String]) {
        redactor = Redactor(secrets: environment.filter { Self.isSecretName($0.key) && $0.value.count >= 6 }.map(\.value))
    }

    /// `text` with every known secret and bearer token replaced.
    public func redact(_ text: String) -> String {
        var out = redactor.redact(text)
        if let regex = try? NSRegularExpression(pattern: "(?i)bearer\\s+[A-Za-z0-9._~+/=-]+") {
            out = regex.stringByReplacingMatches(
                in: out, range: NSRange(out.startIndex..., in: out), withTemplate: "Bearer ‹redacted›")
        }
        return out
    }
}

/// Delivers an alert's JSON payload to the configured hooks; returns one error line per failed hook.
public protocol AlertSink: Sendable {
    /// Delivers `payload` (JSON text) for `alert` to the hooks of `config`.
    func deliver(_ alert: Alert, payload: String, config: AlertConfig) -> [String]
}

/// The real hooks: a shell command (payload on standard input, `MAPC_ALERT_JOB`, `MAPC_ALERT_RUN`,
/// `MAPC_ALERT_CONDITION` in its environment, credentials removed from it) and a webhook POST.
public struct HookSink: AlertSink {
    /// Seconds a hook may take.
    public var timeout: Double
    /// The environment the command runs in, before credentials are removed.
    public var environment: [String: String]

    /// Creates the sink.
    public init(timeout: Double = 10, environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.timeout = timeout
        self.environment = environment
    }

    public func deliver(_ alert: Alert, payload: String, config: AlertConfig) -> [String] {
        var errors: [String] = []
        if let command = config.command, let e = run(command, alert: alert, payload: payload) { errors.append(e) }
        if let url = config.webhook, let e = post(url, payload: payload) { errors.append(e) }
        return errors
    }

    private func run(_ command: String, alert: Alert, payload: String) -> String? {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/sh")
        p.arguments = ["-c", command]
        var env = environment.filter { !SecretRedactor.isSecretName($0.key) }
        env["MAPC_ALERT_JOB"] = alert.job
        env["MAPC_ALERT_RUN"] = String(alert.run)
        env["MAPC_ALERT_CONDITION"] = alert.condition.rawValue
        p.environment = env
        let input = Pipe()
        p.standardInput = input
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        do {
            try p.run()
        } catch {
            return "alert command could not start: \(error.localizedDescription)"
        }
        input.fileHandleForWriting.write(Data(payload.utf8))
        try? input.fileHandleForWriting.close()
        let deadline = Date().addingTimeInterval(timeout)
        while p.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
        if p.isRunning {
            p.terminate()
            return "alert command timed out after \(Int(timeout))s"
        }
        return p.terminationStatus == 0 ? nil : "alert command exited with status \(p.terminationStatus)"
    }

    private func post(_ urlText: String, payload: String) -> String? {
        guard let url = URL(string: urlText) else { return "alert webhook is not a URL" }
        var request = URLRequest(url: url, timeoutInterval: timeout)
        request.httpMethod = "POST"
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.httpBody = Data(payload.utf8)
        let box = Locked<String?>(nil)
        let done = DispatchSemaphore(value: 0)
        URLSession.shared.dataTask(with: request) { _, response, error in
            if let error {
                box.withLock { $0 = "alert webhook failed: \(error.localizedDescription)" }
            } else if let http = response as? HTTPURLResponse, !(200..<300).contains(http.statusCode) {
                box.withLock { $0 = "alert webhook answered HTTP \(http.statusCode)" }
            }
            done.signal()
        }.resume()
        if done.wait(timeout: .now() + timeout + 1) == .timedOut { return "alert webhook timed out" }
        return box.snapshot
    }

}

/// Evaluates every job, sends the alerts the policy calls for and records each as an `alert_sent`
/// event of the run (or `alert_failed`; a key is given up after three failures).
public final class AlertMonitor: @unchecked Sendable {
    private let observatory: Observatory
    private let global: AlertConfig
    private let sink: AlertSink
    private let redactor: SecretRedactor
    private let lock = NSLock()
    private var thread: Thread?
    /// Guards `stopped` and wakes the thread's wait between checks when it is stopped.
    private let wake = NSCondition()
    private var stopped = false

    /// Creates a monitor; `global` is the configuration jobs without their own `alerts` use.
    public init(observatory: Observatory, global: AlertConfig, sink: AlertSink, redactor: SecretRedactor) {
        self.observatory = observatory
        self.global = global
        self.sink = sink
        self.redactor = redactor
    }

    /// One evaluation of every job; returns the alerts delivered.
    @discardableResult
    public func tick() throws -> [Alert] {
        let store = observatory.store
        var delivered: [Alert] = []
        for snapshot in try observatory.snapshots(checkMappings: false) {
            guard let run = snapshot.run else { continue }
            let config = AlertConfig.of(snapshot.spec, global: global)
            guard config.hasHook else { continue }
            var sent = Set<String>()
            var failures: [String: Int] = [:]
            for e in try store.events(types: ["alert_sent", "alert_failed"], run: run.id) {
                let key = e.payload["key"]?.stringValue ?? ""
                if e.type == "alert_sent" { sent.insert(key) } else { failures[key, default: 0] += 1 }
            }
            for (key, n) in failures where n >= 3 { sent.insert(key) }
            let stopSeq =
                run.state.phase == .paused || run.state.phase == .failed
                ? try store.lastEvent(run: run.id, types: ["state"])?.seq : nil
            for alert in AlertPolicy.decide(snapshot: snapshot, config: config, stopSeq: stopSeq, sent: sent) {
                let payload = redactor.redact(JSONWriter.compact(alert.json))
                let errors = sink.deliver(alert, payload: payload, config: config)
                var via: [JSONValue] = []
                if config.command != nil { via.append("command") }
                if config.webhook != nil { via.append("webhook") }
                var record: [(String, JSONValue)] = [
                    ("condition", .string(alert.condition.rawValue)), ("key", .string(alert.key)), ("via", .array(via)),
                    ("summary", .string(redactor.redact(alert.summary))),
                ]
                if !errors.isEmpty { record.append(("errors", .array(errors.map { .string(redactor.redact($0)) }))) }
                try store.append(
                    run: run.id, type: errors.isEmpty ? "alert_sent" : "alert_failed", payload: .object(record),
                    at: Timestamps.format(observatory.clock.now()))
                if errors.isEmpty { delivered.append(alert) }
            }
        }
        return delivered
    }

    /// Runs ``tick()`` every `interval` seconds on a background thread until ``stop()``;
    /// `onError` hears a check that failed (each distinct message once in a row).
    public func start(interval: Double, onError: (@Sendable (String) -> Void)? = nil) {
        let t = Thread { [self] in
            var last: String?
            while !isStopped {
                do {
                    _ = try tick()
                    last = nil
                } catch {
                    let text = redactor.redact("\(error)")
                    if text != last { onError?(text) }
                    last = text
                }
                wake.lock()
                let deadline = Date(timeIntervalSinceNow: interval)
                while !stopped && Date() < deadline { _ = wake.wait(until: deadline) }
                wake.unlock()
            }
        }
        lock.withLock { thread = t }
        t.start()
    }

    private var isStopped: Bool {
        wake.lock()
        defer { wake.unlock() }
        return stopped
    }

    /// Stops the background thread at once between checks (a check under way finishes first).
    public func stop() {
        wake.lock()
        stopped = true
        wake.broadcast()
        wake.unlock()
    }
}
