import Foundation
import MapDSL

/// One end of a sync: a platform object and the connection to reach it.
public struct JobEndpoint: Sendable, Hashable {
    /// Platform name (`hubspot`).
    public var platform: String
    /// Object name (`contact`).
    public var object: String
    /// Connection profile name (credentials come from the environment or a credentials file).
    public var connection: String?
    /// The adapter to use instead of the platform's API (`jsonl`, `sqlite`), if any.
    public var adapter: String?

    /// `platform.object`.
    public var qualifiedName: String { "\(platform).\(object)" }
}

/// A sync job as written in `jobs/<name>.json`.
public struct JobSpec: Sendable {
    /// The job's name (defaults to the file name).
    public var name: String
    /// Where records come from.
    public var source: JobEndpoint
    /// Where they go.
    public var destination: JobEndpoint
    /// Path of the mapping file, relative to the project root.
    public var mapping: String
    /// Write mode.
    public var mode: WriteMode
    /// Records per destination batch; nil means the platform's limit from the registry.
    public var batchSize: Int?
    /// Records per source page.
    public var pageSize: Int
    /// Attempts of a failing request before the job pauses.
    public var retries: Int
    /// The job file as written, for extensions (triggers, alerts).
    public var raw: JSONValue

    /// Reads and validates a job file.
    public static func load(path: String) throws -> JobSpec {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw JobError("cannot read job file '\(path)'")
        }
        let json: JSONValue
        do {
            json = try JSONParser.parse(String(decoding: data, as: UTF8.self))
        } catch {
            throw JobError("\(path): not valid JSON (\(error.description))")
        }
        let fallback = ((path as NSString).lastPathComponent as NSString).deletingPathExtension
        return try parse(json, name: fallback, path: path)
    }

    /// Builds a job from parsed JSON; `path` names it in errors.
    public static func parse(_ json: JSONValue, name fallback: String, path: String) throws -> JobSpec {
        guard case .object = json else { throw JobError("\(path): a job file is a JSON object") }
        func endpoint(_ key: String) throws -> JobEndpoint {
            guard let e = json[key], case .object = e else {
                throw JobError("\(path): missing object `\(key)` with `platform` and `object`")
            }
            guard let platform = e["platform"]?.stringValue, !platform.isEmpty else {
                throw JobError("\(path): `\(key).platform` must be a platform name such as \"hubspot\"")
            }
            guard let object = e["object"]?.stringValue, !object.isEmpty else {
                throw JobError("\(path): `\(key).object` must be an object name such as \"contact\"")
            }
            return JobEndpoint(
                platform: platform, object: object, connection: e["connection"]?.stringValue, adapter: e["adapter"]?.stringValue)
        }
        guard let mapping = json["mapping"]?.stringValue else { throw JobError("\(path): missing string `mapping` (the mapping file)") }
        var mode = WriteMode.upsert
        if let m = json["mode"] {
            guard let s = m.stringValue, let parsed = WriteMode(rawValue: s) else {
                throw JobError("\(path): `mode` must be one of \(WriteMode.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            mode = parsed
        }
        func positive(_ key: String) throws -> Int? {
            guard let v = json[key] else { return nil }
            guard let i = v.intValue, i > 0 else { throw JobError("\(path): `\(key)` must be a positive integer") }
            return i
        }
        return JobSpec(
            name: json["name"]?.stringValue ?? fallback, source: try endpoint("source"), destination: try endpoint("destination"),
            mapping: mapping, mode: mode, batchSize: try positive("batchSize"), pageSize: try positive("pageSize") ?? 100,
            retries: try positive("retries") ?? 3, raw: json)
    }
}

/// A job that cannot be run as written.
public struct JobError: Error, Sendable, CustomStringConvertible {
    /// What is wrong.
    public var message: String
    public var description: String { message }

    /// Creates an error.
    public init(_ message: String) { self.message = message }
}
