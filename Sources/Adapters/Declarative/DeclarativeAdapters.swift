import AdapterSpec
import Foundation
import MapDSL
import SyncEngine

/// Finding and loading the spec of a platform for ``AdapterFactory``.
public enum DeclarativeAdapters {
    /// The prefix that asks for the spec adapter of a platform that also has a built-in one (`spec:mailchimp`).
    public static let prefix = "spec:"

    /// The project root the adapter options point into (the parent of `platforms/` or `ratelimits/`),
    /// else the working directory.
    static func root(_ options: AdapterOptions) -> String {
        for directory in [options.platformsDirectory, options.rateLimitsDirectory].compactMap({ $0 }) {
            return (directory as NSString).deletingLastPathComponent
        }
        return FileManager.default.currentDirectoryPath
    }

    /// `adapters/<platform>.json` under the project root, when it exists.
    public static func specPath(platform: String, root: String) -> String? {
        guard !platform.isEmpty, platform.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) else { return nil }
        let path = "\(root)/adapters/\(platform).json"
        return FileManager.default.fileExists(atPath: path) ? path : nil
    }

    /// Loads and checks a spec; its errors, rendered, are a fatal adapter error.
    public static func load(path: String, root: String) throws(AdapterError) -> AdapterSpec {
        let result: SpecCheckResult
        do {
            result = try SpecChecker.check(path: path, root: root)
        } catch {
            throw .fatal(error.message)
        }
        guard let spec = result.spec else {
            throw .fatal("the adapter spec \(path) has errors (run 'mapc adapter check \(path)'):\n" + result.rendered())
        }
        return spec
    }

    /// The generic adapter for `platform` when the project has a spec for it, else nil.
    public static func make(platform: String, connection: Connection, options: AdapterOptions) throws(AdapterError)
        -> DeclarativeAdapter?
    {
        let root = root(options)
        guard let path = specPath(platform: platform, root: root) else { return nil }
        return try DeclarativeAdapter(spec: load(path: path, root: root), connection: connection, options: options)
    }
}
