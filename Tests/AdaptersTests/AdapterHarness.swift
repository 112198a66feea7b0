import Adapters
import Foundation
import MapDSL
import Sandbox
import SyncEngine

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// Paths of the repository the tests run in.
enum Repository {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let rateLimits = root.appendingPathComponent("ratelimits").path
    static let schemas = root.appendingPathComponent("schemas").path

    /// A fresh temporary folder.
    static func temporaryDirectory() -> String {
        let path = NSTemporaryDirectory() + "mapc-adapters-\(UUID().uuidString)"
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }
}

/// A running emulator and an adapter pointed at it.
struct Harness {
    let server: SandboxServer
    let adapter: any PlatformAdapter
    let connection: Connection

    /// Starts the emulator of `platform` (project schemas, samples and limits, or `limits`) and builds the adapter.
    static func start(
        _ platform: SandboxPlatform, limits: RateLimitTable? = nil, registry: RateLimitRegistry? = nil,
        options: AdapterOptions = AdapterOptions(), parameters: [String: String] = [:],
        sandbox: (inout SandboxOptions) -> Void = { _ in }, adapter: String? = nil
    ) throws -> Harness {
        var sandboxOptions = SandboxOptions.project(root: Repository.root)
        sandboxOptions.rateLimits = limits
        sandbox(&sandboxOptions)
        let server = try SandboxServer.start(platform: platform, options: sandboxOptions)
        var options = options
        if options.registry == nil && options.limiter == nil {
            options.registry = try registry ?? RateLimitRegistry.load(platform: platform.rawValue, directory: Repository.rateLimits)
        }
        var parameters = parameters
        switch platform {
        case .mailchimp: parameters["list"] = sandboxOptions.mailchimpListID
        case .ga4: parameters["measurement_id"] = "G-SANDBOX"
        default: break
        }
        let connection = Connection(
            platform: platform.rawValue, baseURL: server.baseURL, credential: Secret(server.credential),
            parameters: parameters)
        do {
            if adapter != nil { options.rateLimitsDirectory = Repository.rateLimits }  // where adapters/ is found
            let adapter = try AdapterFactory.make(platform: adapter ?? platform.rawValue, connection: connection, options: options)
            return Harness(server: server, adapter: adapter, connection: connection)
        } catch {
            server.stop()
            throw error
        }
    }

    func stop() { server.stop() }

    /// `GET /_sandbox/records?object=...&key=...`: the emulator's view of stored records.
    func inspect(object: String, key: String) throws -> JSONValue {
        let url = server.baseURL.appendingPathComponent("_sandbox/records")
        var components = URLComponents(url: url, resolvingAgainstBaseURL: false)!
        components.queryItems = [URLQueryItem(name: "object", value: object), URLQueryItem(name: "key", value: key)]
        let data = try Self.get(components.url!)
        return try JSONParser.parse(Array(data))
    }

    static func get(_ url: URL) throws -> Data {
        final class Box: @unchecked Sendable { var data: Data? }
        let box = Box()
        let done = DispatchSemaphore(value: 0)
        URLSession.shared.dataTask(with: url) { data, _, _ in
            box.data = data
            done.signal()
        }.resume()
        done.wait()
        guard let data = box.data else { throw HarnessError(message: "no reply from \(url)") }
        return data
    }
}

struct HarnessError: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}
