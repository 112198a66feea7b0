import Foundation

/// Resolves `platform.object` names to schemas.
public protocol SchemaProvider: Sendable {
    /// The schema of `platform.object`, or nil when there is none.
    func schema(platform: String, object: String) throws(SchemaError) -> Schema?
    /// Every object name the provider knows (`platform.object`), for suggestions.
    func knownObjects() -> [String]
}

/// A schema provider reading `<root>/<platform>/<object>.json`, caching what it read, with each
/// field's rules from `<rules>/<platform>/fields.json` (``PlatformRules``).
public final class SchemaDirectory: SchemaProvider, @unchecked Sendable {
    /// The directory holding one folder per platform.
    public let root: String
    /// The directory holding each platform's rules (normally `platforms/`, beside `schemas/`).
    public let rulesRoot: String
    private let lock = NSLock()
    private var cache: [String: Schema] = [:]

    /// Creates a provider over `root` (normally `schemas/`); `rules` defaults to the folder
    /// `platforms` beside `root`.
    public init(root: String, rules: String? = nil) {
        self.root = root
        self.rulesRoot = rules ?? Self.rulesDirectory(beside: root)
    }

    /// The folder `platforms` beside the schema folder `root`.
    public static func rulesDirectory(beside root: String) -> String {
        var parent = (root as NSString).deletingLastPathComponent
        if parent.isEmpty { parent = "." }
        return (parent as NSString).appendingPathComponent("platforms")
    }

    /// The rules of `platform`, or nil when it has no rules file.
    public func rules(platform: String) throws(SchemaError) -> PlatformRules? {
        try PlatformRulesLoader.load(path: "\(rulesRoot)/\(platform)/fields.json")
    }

    /// The path of the file for `platform.object`.
    public func path(platform: String, object: String) -> String {
        "\(root)/\(platform)/\(object).json"
    }

    public func schema(platform: String, object: String) throws(SchemaError) -> Schema? {
        let key = "\(platform).\(object)"
        lock.lock()
        if let s = cache[key] {
            lock.unlock()
            return s
        }
        lock.unlock()
        var p = path(platform: platform, object: object)
        if !FileManager.default.fileExists(atPath: p) {
            // Object names are matched case-insensitively as a convenience (salesforce.lead).
            guard let match = knownObjects().first(where: { $0.lowercased() == key.lowercased() }) else { return nil }
            let parts = match.split(separator: ".", maxSplits: 1).map(String.init)
            p = path(platform: parts[0], object: parts[1])
        }
        var schema = try SchemaLoader.load(path: p)
        if let rules = try rules(platform: schema.platform) { schema = schema.applying(rules) }
        lock.lock()
        cache[key] = schema
        lock.unlock()
        return schema
    }

    public func knownObjects() -> [String] {
        let fm = FileManager.default
        guard let platforms = try? fm.contentsOfDirectory(atPath: root) else { return [] }
        var out: [String] = []
        for platform in platforms.sorted() {
            guard let files = try? fm.contentsOfDirectory(atPath: "\(root)/\(platform)") else { continue }
            for f in files.sorted() where f.hasSuffix(".json") {
                out.append("\(platform).\(f.dropLast(5))")
            }
        }
        return out
    }
}

/// A schema provider over schemas held in memory (tests, generated schemas).
public struct InMemorySchemas: SchemaProvider {
    private let schemas: [String: Schema]

    /// Creates a provider over `schemas`, keyed by their qualified names.
    public init(_ schemas: [Schema]) {
        var map: [String: Schema] = [:]
        for s in schemas { map[s.qualifiedName] = s }
        self.schemas = map
    }

    public func schema(platform: String, object: String) throws(SchemaError) -> Schema? {
        schemas["\(platform).\(object)"]
    }

    public func knownObjects() -> [String] { schemas.keys.sorted() }
}
