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

    /// Reads `json` over `base` (keys present in `json` win). Unknown keys are ignored; wrong types throw.
    public static func parse(_ json: JSONValue?, over base: AlertConfig = AlertConfig()) throws -> AlertConfig {
        guard let json else { return base }
        guard json.objectValue != nil else { throw JobError("`alerts` must be an object") }
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

    /// The global configuration from `path` (an `alerts.json` holding the same object); defaults when absent.
    public static func load(path: String) throws -> AlertConfig {
        guard let data = FileManager.default.contents(atPath: path) else { return AlertConfig() }
        do {
            return try parse(try JSONParser.parse(String(decoding: data, as: UTF8.self)))
        } catch let e as JSONParseError {
            throw JobError("\(path): not valid JSON (\(e.description))")
        }
    }
}
