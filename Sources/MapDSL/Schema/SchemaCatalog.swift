import Foundation

/// Resolves `platform.object` names to schemas.
public protocol SchemaProvider: Sendable {
    /// The schema of `platform.object`, or nil when there is none.
    func schema(platform: String, object: String) throws(SchemaError) -> Schema?
    /// Every object name the provider knows (`platform.object`), for suggestions.
    func knownObjects() -> [String]
}

/// Names of platforms and objects: plain identifiers (`salesforce`, `Lead`, `Custom_Object__c`).
public enum ObjectName {
    /// The longest name accepted.
    public static let maxLength = 128

    /// Whether `s` is a plain identifier: an ASCII letter or `_`, then letters, digits and `_`,
    /// at most ``maxLength`` of them. Only such names are ever turned into file names.
    public static func isValid(_ s: String) -> Bool {
        let u = s.utf8
        guard let first = u.first, u.count <= maxLength else { return false }
        func letter(_ b: UInt8) -> Bool { (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == 0x5F }
        return letter(first) && u.allSatisfy { letter($0) || ($0 >= 0x30 && $0 <= 0x39) }
    }

    /// `platform.object` split into its two names when both are valid; nil otherwise.
    public static func split(_ qualified: String) -> (platform: String, object: String)? {
        let parts = qualified.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 2, isValid(parts[0]), isValid(parts[1]) else { return nil }
        return (parts[0], parts[1])
    }
}

/// A schema provider reading `<root>/<platform>/<object>.json`, caching what it read.
public final class SchemaDirectory: SchemaProvider, @unchecked Sendable {
    /// The directory holding one folder per platform.
    public let root: String
    private let lock = NSLock()
    private var cache: [String: Schema] = [:]

    /// Creates a provider over `root` (normally `schemas/`).
    public init(root: String) {
        self.root = root
    }

    /// The path of the file for `platform.object`.
    public func path(platform: String, object: String) -> String {
        "\(root)/\(platform)/\(object).json"
    }

    public func schema(platform: String, object: String) throws(SchemaError) -> Schema? {
        // Names become a path: only plain identifiers, checked before any file is looked at, so
        // that `..` or `/` can never reach outside the directory (and no answer tells what exists).
        guard ObjectName.isValid(platform), ObjectName.isValid(object) else { return nil }
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
            guard let match = knownObjects().first(where: { $0.lowercased() == key.lowercased() }),
                let parts = ObjectName.split(match)
            else { return nil }
            p = path(platform: parts.platform, object: parts.object)
        }
        let schema = try SchemaLoader.load(path: p)
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
            guard ObjectName.isValid(platform) else { continue }
            for f in files.sorted() where f.hasSuffix(".json") && ObjectName.isValid(String(f.dropLast(5))) {
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
