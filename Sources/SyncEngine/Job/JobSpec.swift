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
    /// Attempts of a failing request before the job pauses (and of a record refused with a
    /// transient error before it becomes a dead letter).
    public var retries: Int
    /// Seconds before the high-water mark that an incremental run reads again: clock skew between
    /// us and the platform, transactions committed after their timestamp, equal timestamps. Records
    /// read again whose values did not change are dropped by their content hash.
    public var overlapSeconds: Int
    /// How long a looked-up record is trusted (across pages and runs), in seconds; 0: not cached
    /// beyond the run.
    public var lookupTTL: Int
    /// How long a "no match" is trusted, in seconds (shorter: the record may be created any time).
    public var lookupMissTTL: Int
    /// The job file as written, for extensions (triggers, alerts).
    public var raw: JSONValue

    /// Defaults of the incremental settings.
    public static let defaultOverlapSeconds = 60
    public static let defaultLookupTTL = 3600
    public static let defaultLookupMissTTL = 600
    /// The longest overlap or freshness bound a job file may set (30 days).
    public static let maxSeconds = 2_592_000

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
        if json["kind"]?.stringValue == "two-way" {
            throw JobError(
                "\(path) is a two-way job: run it with 'mapc sync', inspect it with 'mapc identities' and 'mapc conflicts'"
                    + " (docs/two-way.md)")
        }
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
        func seconds(_ value: JSONValue?, _ name: String) throws -> Int? {
            guard let value else { return nil }
            guard let i = value.intValue, i >= 0, i <= maxSeconds else {
                throw JobError("\(path): `\(name)` must be a whole number of seconds from 0 to \(maxSeconds)")
            }
            return i
        }
        var lookupTTL = defaultLookupTTL
        var lookupMissTTL = defaultLookupMissTTL
        if let cache = json["lookupCache"] {
            guard case .object(let pairs) = cache else {
                throw JobError("\(path): `lookupCache` must be an object with `ttlSeconds` and `negativeTtlSeconds`")
            }
            for (key, _) in pairs where key != "ttlSeconds" && key != "negativeTtlSeconds" {
                throw JobError("\(path): `lookupCache` has no setting `\(key)` (it has `ttlSeconds` and `negativeTtlSeconds`)")
            }
            lookupTTL = try seconds(cache["ttlSeconds"], "lookupCache.ttlSeconds") ?? lookupTTL
            lookupMissTTL = try seconds(cache["negativeTtlSeconds"], "lookupCache.negativeTtlSeconds") ?? min(lookupMissTTL, lookupTTL)
        }
        // Checked here so a bad value stops the job at load, not when a quota pause comes.
        _ = try AutoResumePolicy.parse(json["autoResume"], path: path)
        _ = try JobSchedule.parse(json["schedule"], path: path)
        return JobSpec(
            name: json["name"]?.stringValue ?? fallback, source: try endpoint("source"), destination: try endpoint("destination"),
            mapping: mapping, mode: mode, batchSize: try positive("batchSize"), pageSize: try positive("pageSize") ?? 100,
            retries: try positive("retries") ?? 3,
            overlapSeconds: try seconds(json["overlapSeconds"], "overlapSeconds") ?? defaultOverlapSeconds, lookupTTL: lookupTTL,
            lookupMissTTL: lookupMissTTL, raw: json)
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
