import Foundation
import Sandbox

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// A reply as seen by the test client, with the body parsed as JSON when possible.
struct Reply: Sendable {
    let status: Int
    let headers: [String: String]
    let body: Data

    var text: String { String(decoding: body, as: UTF8.self) }

    /// The body parsed with JSONSerialization (`nil` when not JSON).
    var json: Any? { try? JSONSerialization.jsonObject(with: body, options: [.fragmentsAllowed]) }

    var object: [String: Any] { json as? [String: Any] ?? [:] }

    var array: [Any] { json as? [Any] ?? [] }

    func header(_ name: String) -> String? {
        headers.first { $0.key.lowercased() == name.lowercased() }?.value
    }
}

/// Paths to the test fixtures and the repository's rate-limit files.
enum Fixtures {
    static let testsFolder = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    static let root = testsFolder.appendingPathComponent("Fixtures", isDirectory: true)
    static let repositoryRoot = testsFolder.deletingLastPathComponent().deletingLastPathComponent()

    /// Loopback, fixture schemas and samples, the repository's `ratelimits/`.
    static func options() -> SandboxOptions {
        SandboxOptions(
            schemasDirectory: root.appendingPathComponent("schemas"),
            samplesDirectory: root.appendingPathComponent("samples"),
            rateLimitsDirectory: repositoryRoot.appendingPathComponent("ratelimits"))
    }

    /// The repository's rate-limit table for `platform`.
    static func limits(_ platform: SandboxPlatform) throws -> RateLimitTable {
        try RateLimitTable.load(platform: platform.rawValue, from: repositoryRoot.appendingPathComponent("ratelimits"))
    }
}

/// Sends requests to a sandbox with an ephemeral URLSession.
struct Client: Sendable {
    let base: URL
    var timeout: TimeInterval = 20

    init(_ server: SandboxServer, timeout: TimeInterval = 20) {
        base = server.baseURL
        self.timeout = timeout
    }

    static let session: URLSession = {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.httpMaximumConnectionsPerHost = 32
        return URLSession(configuration: configuration)
    }()

    /// Sends `method path` (path may include a query) with optional JSON body and headers.
    func send(
        _ method: String, _ path: String, headers: [String: String] = [:], json: Any? = nil, body: Data? = nil
    ) async throws -> Reply {
        var request = URLRequest(url: URL(string: base.absoluteString + path)!)
        request.httpMethod = method
        request.timeoutInterval = timeout
        for (name, value) in headers {
            request.setValue(value, forHTTPHeaderField: name)
        }
        if let json {
            request.httpBody = try JSONSerialization.data(withJSONObject: json)
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        } else if let body {
            request.httpBody = body
        }
        let (data, response) = try await Client.session.data(for: request)
        let http = response as! HTTPURLResponse
        var fields: [String: String] = [:]
        for (key, value) in http.allHeaderFields {
            fields[String(describing: key)] = String(describing: value)
        }
        return Reply(status: http.statusCode, headers: fields, body: data)
    }

    /// The inspection endpoint's view of `object`.
    func records(_ object: String, key: String? = nil, value: String? = nil) async throws -> [String: Any] {
        var path = "/_sandbox/records?object=\(object)"
        if let key { path += "&key=\(key)" }
        if let value { path += "&value=\(value.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? value)" }
        return try await send("GET", path).object
    }

    /// Patches the fault switches.
    @discardableResult
    func faults(_ patch: [String: Any]) async throws -> Reply {
        try await send("POST", "/_sandbox/faults", json: patch)
    }
}

/// `Basic` authorization header value.
func basic(_ user: String, _ password: String) -> String {
    "Basic " + Data("\(user):\(password)".utf8).base64EncodedString()
}
