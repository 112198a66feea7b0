import CSQLite
import Foundation

/// Whether opening a store may create it.
public enum StoreCreation: Sendable {
    /// The store must exist: a missing file is an error (commands that only read or act on runs).
    case never
    /// A missing file is created, in a directory that must exist (`--store` given by the user).
    case inExistingDirectory
    /// A missing file is created, and its directory too (the project's own `.mapc/` folder).
    case withDirectory
}

/// The checks a store file passes before anything reads or writes it: it is a SQLite database
/// (not empty, not some other file), its pages are sound (`PRAGMA quick_check`, for files up to
/// ``quickCheckLimit``), and it holds no migration this build does not know (a store written by a
/// newer mapc is refused, not half-understood). Every failure names the file; nothing is written
/// before the checks pass.
enum StoreCheck {
    /// Files up to this size are checked page by page on open (`PRAGMA quick_check` reads every
    /// page once: about a second per few hundred MiB); larger ones get the header check only.
    static let quickCheckLimit: UInt64 = 256 << 20

    /// The 16 bytes every SQLite database file starts with.
    static let header = Array("SQLite format 3\0".utf8)

    /// Every migration name this build knows, over all lists applied to one store file (the event
    /// store's, the console projections', the webhook inbox's). A new migration list must be added
    /// here, or ``Database/migrate(_:)`` refuses it.
    static var knownMigrations: Set<String> {
        Set(EventStore.migrations.map(\.0) + [ConsoleProjections.migrationName] + Inbox.migrations.map(\.0))
    }

    /// Checks the file at `path` before it is opened; returns whether it exists.
    @discardableResult
    static func checkFile(_ path: String, create: StoreCreation) throws -> Bool {
        guard path != ":memory:" else { return true }
        let fm = FileManager.default
        var isDirectory: ObjCBool = false
        guard fm.fileExists(atPath: path, isDirectory: &isDirectory) else {
            let directory = (path as NSString).deletingLastPathComponent
            switch create {
            case .never:
                throw StoreError("no event store at \(path)")
            case .inExistingDirectory:
                var dirIsDirectory: ObjCBool = false
                guard directory.isEmpty || (fm.fileExists(atPath: directory, isDirectory: &dirIsDirectory) && dirIsDirectory.boolValue)
                else {
                    throw StoreError("cannot create \(path): the directory \(directory) does not exist")
                }
            case .withDirectory:
                do {
                    try fm.createDirectory(atPath: directory, withIntermediateDirectories: true)
                } catch {
                    throw StoreError("cannot create the directory \(directory): \(error.localizedDescription)")
                }
            }
            return false
        }
        guard !isDirectory.boolValue else { throw StoreError("\(path) is a directory, not an event store") }
        // Already open here, so already checked: reading the header through a descriptor of our
        // own would drop this process's SQLite locks on the file (see ``OpenStoreFiles``).
        if OpenStoreFiles.isOpen(path) { return true }
        guard let handle = FileHandle(forReadingAtPath: path) else { throw StoreError("cannot read \(path)") }
        defer { try? handle.close() }
        let start: Data
        do {
            start = try handle.read(upToCount: header.count) ?? Data()
        } catch {
            throw StoreError("cannot read \(path): \(error.localizedDescription)")
        }
        if start.isEmpty {
            throw StoreError(
                "\(path) is empty (0 bytes): not an event store; it may have been truncated. Move it away to start a new store")
        }
        guard Array(start) == header else { throw StoreError("\(path) is not an event store (not a SQLite database)") }
        return true
    }

    /// Checks an opened store before anything is written to it: its pages (when small enough) and
    /// its migrations.
    static func checkOpened(_ db: Database, path: String) throws {
        guard path != ":memory:" else { return }
        let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? UInt64) ?? 0
        if size <= quickCheckLimit {
            let result: [String]
            do {
                result = try db.prepare("PRAGMA quick_check(5)").query([]) { $0.text(0) ?? "" }
            } catch {
                throw damaged(path, db.lastError)
            }
            guard result == ["ok"] else {
                let problems = result.flatMap { $0.split(separator: "\n") }.filter { !$0.hasPrefix("***") }
                throw damaged(path, problems.prefix(3).joined(separator: "; "))
            }
        }
        try checkMigrations(db, path: path)
    }

    static func damaged(_ path: String, _ problem: String) -> StoreError {
        StoreError("\(path) is damaged (\(problem)): restore it from a backup, or move it away to start a new store")
    }

    /// Refuses a store holding a migration this build does not know: a newer mapc wrote it.
    static func checkMigrations(_ db: Database, path: String) throws {
        let hasTable =
            db.isPostgres
            ? try db.prepare("SELECT 1 WHERE to_regclass('migrations') IS NOT NULL").query([]) { _ in true }
            : try db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'migrations'").query([]) { _ in true }
        guard !hasTable.isEmpty else { return }
        let applied = try db.prepare("SELECT name FROM migrations ORDER BY name").query([]) { $0.text(0) ?? "" }
        let unknown = applied.filter { !knownMigrations.contains($0) }
        if !unknown.isEmpty {
            throw StoreError(
                "\(path) was written by a newer mapc (migration \(unknown.map { "'\($0)'" }.joined(separator: ", ")) is unknown to this build): "
                    + "use that mapc, or a newer one")
        }
    }
}
