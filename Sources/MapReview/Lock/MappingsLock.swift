import Foundation
import MapDSL

/// `mappings.lock`: one approval per mapping file, keyed by the mapping's path relative to the
/// project root (the folder holding `schemas/` and the lock file).
///
/// The file is pretty JSON with a fixed key order and mappings sorted by path, so it diffs well
/// and rewriting it without changes is a no-op.
public struct MappingsLock: Sendable, Hashable {
    /// The lock format version this code writes.
    public static let formatVersion = 1
    /// The lock's file name at the project root.
    public static let fileName = "mappings.lock"

    /// The project root that mapping paths are relative to.
    public var root: String
    /// Approvals by relative mapping path.
    public var entries: [String: LockEntry]

    /// An empty lock for the project at `root`.
    public init(root: String, entries: [String: LockEntry] = [:]) {
        self.root = root
        self.entries = entries
    }

    /// The key of the mapping at `path` (absolute, or relative to ``root``): the path relative to the
    /// root when it lies inside it, the absolute path otherwise.
    public func key(for path: String) -> String {
        let abs = MappingsLock.standardise(path.hasPrefix("/") ? path : root + "/" + path)
        let base = MappingsLock.standardise(root)
        let prefix = base.hasSuffix("/") ? base : base + "/"
        return abs.hasPrefix(prefix) ? String(abs.dropFirst(prefix.count)) : abs
    }

    /// The approval of the mapping at `path`, if any.
    public func entry(for path: String) -> LockEntry? { entries[key(for: path)] }

    /// The absolute path of the lock file.
    public var path: String { root + "/" + MappingsLock.fileName }

    static func standardise(_ path: String) -> String {
        (path as NSString).standardizingPath
    }
}

/// Why a lock file could not be read or written.
public struct LockError: Error, Sendable, CustomStringConvertible, Equatable {
    /// The lock file.
    public var path: String
    /// What is wrong.
    public var message: String

    public var description: String { "\(path): \(message)" }
}

extension MappingsLock {
    /// Reads the lock at `root/mappings.lock`; a missing file is an empty lock.
    public static func load(root: String) throws(LockError) -> MappingsLock {
        let path = root + "/" + fileName
        guard FileManager.default.fileExists(atPath: path) else { return MappingsLock(root: root) }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw LockError(path: path, message: "cannot read the file")
        }
        return try parse(String(decoding: data, as: UTF8.self), root: root, path: path)
    }

    /// Writes the lock to `root/mappings.lock` atomically.
    public func write() throws(LockError) {
        do {
            try Data(rendered().utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw LockError(path: path, message: "cannot write the file: \((error as NSError).localizedDescription)")
        }
    }

    /// Parses lock text; `path` names it in errors.
    public static func parse(_ text: String, root: String, path: String = fileName) throws(LockError) -> MappingsLock {
        let json: JSONValue
        do {
            json = try JSONParser.parse(text)
        } catch {
            throw LockError(path: path, message: "not valid JSON (\(error.description))")
        }
        guard let version = json["version"]?.intValue else { throw LockError(path: path, message: "missing integer `version`") }
        guard version == formatVersion else {
            throw LockError(
                path: path, message: "lock format version \(version) is not supported (this mapc reads version \(formatVersion))")
        }
        guard let mappings = json["mappings"]?.objectValue else { throw LockError(path: path, message: "missing object `mappings`") }
        var entries: [String: LockEntry] = [:]
        for (key, value) in mappings {
            do {
                entries[key] = try LockEntry(json: value)
            } catch {
                throw LockError(path: path, message: "mapping \"\(key)\": \(error.message)")
            }
        }
        return MappingsLock(root: root, entries: entries)
    }

    /// The lock as pretty JSON with a fixed key order and mappings sorted by path.
    public func rendered() -> String {
        let sorted = entries.keys.sorted().map { ($0, entries[$0]!.json) }
        return JSONWriter.pretty(.object([("version", .int(MappingsLock.formatVersion)), ("mappings", .object(sorted))]))
    }
}
