import Crypto
import Foundation
import MapDSL

/// Replies stored by a hash of everything that determines them (provider, endpoint, model, messages,
/// parameters, grammar), so a rerun is reproducible and makes no calls. API keys are never part of
/// the key or the stored file.
public struct GenerationCache: Sendable {
    /// The directory holding `<sha256>.json` files (normally `.mapc/cache`).
    public let directory: String

    /// Creates a cache over `directory` (created on first store).
    public init(directory: String) {
        self.directory = directory
    }

    /// The cache key of `request` sent to `config`: a SHA-256 hex digest.
    public static func key(_ request: ChatRequest, config: EndpointConfig) -> String {
        let material: JSONValue = .object([
            ("version", 1),
            ("provider", .string(config.provider.rawValue)),
            ("endpoint", .string(config.displayURL)),
            ("model", .string(config.model)),
            ("foldSystem", .bool(config.foldSystem)),
            ("temperature", .double(request.temperature)),
            ("maxTokens", .int(request.maxTokens)),
            ("grammar", request.grammar.map { .string(SHA256.hex($0)) } ?? .null),
            (
                "messages",
                .array(request.messages.map { .object([("role", .string($0.role.rawValue)), ("content", .string($0.content))]) })
            ),
        ])
        return SHA256.hex(JSONWriter.compact(material))
    }

    private func path(_ key: String) -> String { directory + "/" + key + ".json" }

    /// The stored reply for `key`, if any.
    public func reply(for key: String) -> String? {
        guard let data = FileManager.default.contents(atPath: path(key)),
            let json = try? JSONParser.parse(Array(data)), let reply = json["reply"]?.stringValue
        else { return nil }
        return reply
    }

    /// Stores `reply` under `key`, with the provider and model for people reading the file.
    public func store(_ reply: String, for key: String, config: EndpointConfig) throws(MapGenError) {
        let record: JSONValue = .object([
            ("provider", .string(config.provider.rawValue)), ("model", .string(config.model)), ("reply", .string(reply)),
        ])
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            try Data(JSONWriter.pretty(record).utf8).write(to: URL(fileURLWithPath: path(key)), options: .atomic)
        } catch {
            throw MapGenError(.files, "cannot write the generation cache in '\(directory)'")
        }
    }
}
