import Foundation
import MapDSL

/// A connection problem: missing or malformed settings. Never contains a secret.
public struct ConnectionError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What is wrong and how to fix it.
    public var message: String

    /// Creates an error.
    public init(_ message: String) {
        self.message = message
    }

    public var description: String { message }
}

/// Where a platform lives and how to authenticate: base URL, credential and plain parameters.
///
/// Built from environment variables (`MAPC_<PLATFORM>_URL`, `MAPC_<PLATFORM>_TOKEN`, and
/// `MAPC_<PLATFORM>_<NAME>` for parameters such as `MAPC_MAILCHIMP_LIST`) or from a credentials
/// JSON file named by `MAPC_CREDENTIALS` that lives outside any git work tree. The credential is a
/// ``Secret``: ``description`` never shows it.
public struct Connection: Sendable, Hashable, CustomStringConvertible {
    /// Platform name (`hubspot`, `salesforce`, `mailchimp`, `segment`, `ga4`, `jsonl`, `sqlite`).
    public var platform: String
    /// The API's root URL (`https://api.hubapi.com`); nil for local adapters.
    public var baseURL: URL?
    /// Token, API key, write key or api secret.
    public var credential: Secret?
    /// Non-secret settings, lower-case names: `list` (Mailchimp audience id), `measurement_id` (GA4),
    /// `version` (Salesforce API version), `validate` (GA4: `true` to call the validation endpoint),
    /// `dir` (JSONL folder), `path` (SQLite file), `modified_field` (local adapters).
    public var parameters: [String: String]

    /// Creates a connection.
    public init(platform: String, baseURL: URL? = nil, credential: Secret? = nil, parameters: [String: String] = [:]) {
        self.platform = platform
        self.baseURL = baseURL
        self.credential = credential
        self.parameters = parameters
    }

    public var description: String {
        var parts = [platform]
        if let baseURL { parts.append("at \(baseURL.absoluteString)") }
        if credential != nil { parts.append("credential ‹redacted›") }
        for key in parameters.keys.sorted() { parts.append("\(key)=\(parameters[key]!)") }
        return parts.joined(separator: " ")
    }

    /// The environment-variable prefix of a platform (`MAPC_HUBSPOT_`).
    public static func environmentPrefix(_ platform: String) -> String { "MAPC_\(platform.uppercased())_" }

    /// Alternative names accepted for the credential variable.
    static let credentialAliases: [String: [String]] = [
        "mailchimp": ["KEY", "API_KEY"], "segment": ["WRITE_KEY"], "ga4": ["API_SECRET"],
    ]

    /// Platforms that need a credential.
    static let remotePlatforms: Set<String> = ["hubspot", "salesforce", "mailchimp", "segment", "ga4"]

    /// The connection for `platform` from `environment`, falling back to the credentials file.
    ///
    /// - Throws: ``ConnectionError`` when a required setting is missing or the file is unusable.
    public static func resolve(platform: String, environment: [String: String]) throws(ConnectionError) -> Connection {
        var settings: [String: String] = [:]
        if let file = environment["MAPC_CREDENTIALS"], !file.isEmpty {
            settings = try fileSettings(path: file, platform: platform)
        }
        let prefix = environmentPrefix(platform)
        for (name, value) in environment where name.hasPrefix(prefix) && !value.isEmpty {
            settings[String(name.dropFirst(prefix.count)).lowercased()] = value
        }
        return try make(platform: platform, settings: settings)
    }

    /// Builds a connection from lower-case settings (`url`, `token` and parameters).
    static func make(platform: String, settings: [String: String]) throws(ConnectionError) -> Connection {
        var parameters = settings
        var token = parameters.removeValue(forKey: "token")
        for alias in credentialAliases[platform] ?? [] {
            if let value = parameters.removeValue(forKey: alias.lowercased()), token == nil { token = value }
        }
        let urlText = parameters.removeValue(forKey: "url")
        let prefix = environmentPrefix(platform)
        if remotePlatforms.contains(platform), token == nil {
            throw ConnectionError(
                "no credential for \(platform): set \(prefix)TOKEN (or add \"token\" under \"\(platform)\" in the MAPC_CREDENTIALS file)"
            )
        }
        var url: URL?
        if let urlText {
            guard let parsed = URL(string: urlText), parsed.scheme != nil else {
                throw ConnectionError("\(prefix)URL is not an absolute URL")
            }
            url = parsed
        } else {
            url = defaultURL(platform: platform, token: token)
        }
        if remotePlatforms.contains(platform), url == nil {
            throw ConnectionError("no base URL for \(platform): set \(prefix)URL (e.g. your instance URL)")
        }
        return Connection(platform: platform, baseURL: url, credential: token.map(Secret.init), parameters: parameters)
    }

    /// The public API root when none is configured (Salesforce has none: every org has its own host).
    static func defaultURL(platform: String, token: String?) -> URL? {
        switch platform {
        case "hubspot": return URL(string: "https://api.hubapi.com")
        case "segment": return URL(string: "https://api.segment.io")
        case "ga4": return URL(string: "https://www.google-analytics.com")
        case "mailchimp":
            guard let token, let dash = token.lastIndex(of: "-") else { return nil }
            let dc = token[token.index(after: dash)...]
            guard !dc.isEmpty, dc.allSatisfy({ $0.isLetter || $0.isNumber }) else { return nil }
            return URL(string: "https://\(dc).api.mailchimp.com")
        default: return nil
        }
    }

    /// Settings for `platform` from a credentials file: `{"<platform>": {"url": ..., "token": ..., ...}}`.
    static func fileSettings(path: String, platform: String) throws(ConnectionError) -> [String: String] {
        if let repository = enclosingRepository(of: path) {
            throw ConnectionError(
                "the credentials file MAPC_CREDENTIALS lies inside the git work tree \(repository); move it outside the repository"
            )
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConnectionError("cannot read the credentials file named by MAPC_CREDENTIALS (\(path))")
        }
        let root: JSONValue
        do {
            root = try JSONParser.parse(Array(data))
        } catch {
            // The parser's message could quote file content, so only the position is reported.
            throw ConnectionError("the credentials file \(path) is not valid JSON (at byte \(error.offset))")
        }
        guard let section = root[platform] else { return [:] }
        guard let pairs = section.objectValue else {
            throw ConnectionError("the credentials file \(path): \"\(platform)\" must be an object of strings")
        }
        var settings: [String: String] = [:]
        for (key, value) in pairs {
            guard let text = value.stringValue else {
                throw ConnectionError("the credentials file \(path): \"\(platform).\(key)\" must be a string")
            }
            settings[key.lowercased()] = text
        }
        return settings
    }

    /// The git work tree containing `path`, if any.
    static func enclosingRepository(of path: String) -> String? {
        let absolute = URL(fileURLWithPath: path).standardizedFileURL.resolvingSymlinksInPath()
        var directory = absolute.deletingLastPathComponent()
        while true {
            if FileManager.default.fileExists(atPath: directory.appendingPathComponent(".git").path) {
                return directory.path
            }
            let parent = directory.deletingLastPathComponent()
            if parent.path == directory.path { return nil }
            directory = parent
        }
    }
}
