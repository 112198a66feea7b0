import Foundation
import MapDSL
import SyncEngine

/// Where and when to alert, from a job file's `"alerts"` object or the global `alerts.json` (same
/// shape; the job's keys override the global ones):
///
/// ```json
/// "alerts": { "command": "notify-send mapc", "webhook": "http://127.0.0.1:9000/hook", "rejectRate": 0.05 }
/// ```
public struct AlertConfig: Sendable, Hashable {
    /// A shell command run with the alert as JSON on standard input (and `MAPC_ALERT_*` variables).
    public var command: String?
    /// A URL the alert is POSTed to as JSON.
    public var webhook: String?
    /// Reject rate above which a run alerts (0…1); nil disables the check.
    public var rejectRate: Double?
    /// Records a run must have processed before its reject rate is judged.
    public var minimumRecords: Int
    /// Conditions that alert (default: all).
    public var conditions: Set<AlertCondition>

    /// Creates a configuration.
    public init(
        command: String? = nil, webhook: String? = nil, rejectRate: Double? = nil, minimumRecords: Int = 20,
        conditions: Set<AlertCondition> = Set(AlertCondition.allCases)
    ) {
        self.command = command
        self.webhook = webhook
        self.rejectRate = rejectRate
        self.minimumRecords = minimumRecords
        self.conditions = conditions
    }

    /// Whether any hook is configured.
    public var hasHook: Bool { command != nil || webhook != nil }

    /// The keys an alerts object may hold.
    public static let keys = ["command", "webhook", "rejectRate", "minimumRecords", "on"]

    /// Reads `json` over `base` (keys present in `json` win). Unknown keys and wrong types throw,
    /// naming the key (and its line, when `text` is the file it was read from).
    public static func parse(_ json: JSONValue?, over base: AlertConfig = AlertConfig(), text: String? = nil) throws -> AlertConfig {
        guard let json else { return base }
        guard let object = json.objectValue else { throw JobError("`alerts` must be an object such as {\"command\": \"...\"}") }
        for (key, _) in object where !keys.contains(key) {
            let at = text.flatMap { lineOf(key: key, in: $0) }.map { "line \($0): " } ?? ""
            let near = keys.min { editDistance($0, key) < editDistance($1, key) }.flatMap { editDistance($0, key) <= 2 ? $0 : nil }
            throw JobError(
                "\(at)unknown key `alerts.\(key)`\(near.map { " (did you mean `\($0)`?)" } ?? "") — known keys: \(keys.joined(separator: ", "))"
            )
        }
        do {
            return try parseKnown(json, over: base)
        } catch let e as JobError {
            // Name the line of the key the message is about.
            guard let text, let key = keys.first(where: { e.message.contains("`alerts.\($0)`") }), let line = lineOf(key: key, in: text)
            else { throw e }
            throw JobError("line \(line): \(e.message)")
        }
    }

    /// The 1-based line of the first `"key":` in `text`.
    static func lineOf(key: String, in text: String) -> Int? {
        let escaped = NSRegularExpression.escapedPattern(for: key)
        guard let regex = try? NSRegularExpression(pattern: "\"\(escaped)\"\\s*:"),
            let match = regex.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)),
            let range = Range(match.range, in: text)
        else { return nil }
        return text[..<range.lowerBound].reduce(1) { $1 == "\n" ? $0 + 1 : $0 }
    }

    /// Levenshtein distance (short key names only).
    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a.lowercased()), b = Array(b.lowercased())
        guard !a.isEmpty, !b.isEmpty else { return max(a.count, b.count) }
        var row = Array(0...b.count)
        for i in 1...a.count {
            var previous = row[0]
            row[0] = i
            for j in 1...b.count {
                let current = row[j]
                row[j] = min(row[j] + 1, row[j - 1] + 1, previous + (a[i - 1] == b[j - 1] ? 0 : 1))
                previous = current
            }
        }
        return row[b.count]
    }

    private static func parseKnown(_ json: JSONValue, over base: AlertConfig) throws -> AlertConfig {
        var c = base
        if let v = json["command"] {
            guard let s = v.stringValue else { throw JobError("`alerts.command` must be a string") }
            c.command = s.isEmpty ? nil : s
        }
        if let v = json["webhook"] {
            guard let s = v.stringValue, s.isEmpty || URL(string: s)?.scheme != nil else {
                throw JobError("`alerts.webhook` must be an absolute URL")
            }
            c.webhook = s.isEmpty ? nil : s
        }
        if let v = json["rejectRate"] {
            guard let d = v.doubleValue, d >= 0, d <= 1 else { throw JobError("`alerts.rejectRate` must be a number from 0 to 1") }
            c.rejectRate = d
        }
        if let v = json["minimumRecords"] {
            guard let i = v.intValue, i >= 0 else { throw JobError("`alerts.minimumRecords` must be a non-negative integer") }
            c.minimumRecords = i
        }
        if let v = json["on"] {
            guard let list = v.arrayValue?.compactMap(\.stringValue), list.count == v.arrayValue?.count else {
                throw JobError("`alerts.on` must be a list of: \(AlertCondition.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            var set = Set<AlertCondition>()
            for s in list {
                guard let cond = AlertCondition(rawValue: s) else {
                    throw JobError(
                        "`alerts.on`: unknown condition '\(s)' (use \(AlertCondition.allCases.map(\.rawValue).joined(separator: ", ")))")
                }
                set.insert(cond)
            }
            c.conditions = set
        }
        return c
    }

    /// The configuration of `spec`: its `alerts` over the global file's.
    public static func of(_ spec: JobSpec?, global: AlertConfig) -> AlertConfig {
        (try? parse(spec?.raw["alerts"], over: global)) ?? global
    }

    /// The global configuration from `path` (an `alerts.json` holding the same object); defaults
    /// when absent. A file that is not JSON, not an object, or holds an unknown key or a value of
    /// the wrong type throws, naming the file, the line and the key.
    public static func load(path: String) throws -> AlertConfig {
        guard FileManager.default.fileExists(atPath: path) else { return AlertConfig() }
        guard let data = FileManager.default.contents(atPath: path) else { throw JobError("\(path): cannot be read") }
        guard data.count <= 1 << 20 else { throw JobError("\(path): larger than 1 MiB; an alerts file is a small JSON object") }
        let text = String(decoding: data, as: UTF8.self)
        let json: JSONValue
        do {
            json = try JSONParser.parse(text)
        } catch {
            let line = text.utf8.prefix(error.offset).reduce(1) { $1 == UInt8(ascii: "\n") ? $0 + 1 : $0 }
            throw JobError("\(path): line \(line): not valid JSON (\(error.message))")
        }
        do {
            return try parse(json, text: text)
        } catch let e as JobError {
            throw JobError("\(path): \(e.message)")
        }
    }

    /// The hooks, as `serve` may print them: `command`, `webhook to http://host:port` (no path,
    /// query or credentials: a webhook URL often carries a token), or `no hooks`.
    public var channels: String {
        var out: [String] = []
        if command != nil { out.append("command") }
        if let webhook {
            if let url = URL(string: webhook), let scheme = url.scheme, let host = url.host {
                out.append("webhook to \(scheme)://\(host)\(url.port.map { ":\($0)" } ?? "")")
            } else {
                out.append("webhook")
            }
        }
        return out.isEmpty ? "no hooks" : out.joined(separator: " and ")
    }
}
