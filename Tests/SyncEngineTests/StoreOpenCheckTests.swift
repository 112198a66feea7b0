import Foundation
import MapDSL
import Testing

@testable import SyncEngine

/// Issue 14: a store is checked before it is used. An empty file, a file that is not SQLite, a
/// store in a missing directory, damaged pages and a store written by a newer mapc are refused with
/// an error naming the file, and nothing is written to it.
@Suite struct StoreOpenCheckTests {
    final class Folder {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("mapc-open-\(UUID().uuidString)").path
        init() throws { try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true) }
        deinit { try? FileManager.default.removeItem(atPath: path) }
    }

    static func bytes(_ path: String) -> Data { FileManager.default.contents(atPath: path) ?? Data() }

    /// A closed store (its log copied into the file) holding one run.
    static func makeStore(_ path: String) throws {
        var store: EventStore? = try EventStore(path: path)
        _ = try store!.createRun(job: "j", info: ["mapping": "m.map"], at: "t")
        store = nil
        #expect(!FileManager.default.fileExists(atPath: path + "-wal"), "closing the store copies its log into the file")
    }

    func refusal(_ body: () throws -> Void) -> String {
        do {
            try body()
        } catch let e as StoreError {
            return e.message
        } catch {
            return "unexpected \(error)"
        }
        return "accepted"
    }

    /// `make demo`'s last /metrics scrape answered "database disk image is malformed": `mapc serve`
    /// opened the event store, then the inbox on the same file, whose check read the file's header
    /// through a descriptor of its own. Closing it dropped the process's POSIX locks on the file, so
    /// the next other process to close the store thought itself the last user and deleted the log
    /// under the server. A second store in the same process now keeps the first one's locks.
    @Test func aSecondStoreOpenedInTheSameProcessKeepsTheFirstOnesLocks() throws {
        let folder = try Folder()
        let path = folder.path + "/events.db"
        let first = try EventStore(path: path)
        _ = try first.createRun(job: "j", info: ["mapping": "m.map"], at: "t")
        let second = try EventStore(path: path)
        _ = try second.latestRun(job: "j")
        // Another process opens the store, reads and closes it: with our locks held it must leave
        // the write-ahead log alone.
        let other = Process()
        other.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        other.arguments = [
            "python3", "-c",
            "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute('select count(*) from sqlite_master').fetchall(); c.close()",
            path,
        ]
        try other.run()
        other.waitUntilExit()
        #expect(other.terminationStatus == 0)
        #expect(FileManager.default.fileExists(atPath: path + "-wal"), "another process deleted the log under this one")
        #expect(try first.latestRun(job: "j") != nil)
        _ = try first.createRun(job: "k", info: ["mapping": "m.map"], at: "t")
        #expect(try second.latestRun(job: "k") != nil)
    }

    @Test(arguments: [StoreCreation.never, .inExistingDirectory, .withDirectory])
    func anEmptyStoreFileIsRefusedNotTakenForANewStore(create: StoreCreation) throws {
        let folder = try Folder()
        let path = folder.path + "/events.db"
        #expect(FileManager.default.createFile(atPath: path, contents: Data()))
        let message = refusal { _ = try EventStore(path: path, create: create) }
        #expect(message.contains(path) && message.contains("empty (0 bytes)"), "\(message)")
        #expect(Self.bytes(path).isEmpty)
        #expect(refusal { _ = try Inbox(path: path, create: create) }.contains("empty (0 bytes)"))
    }

    @Test func aFileThatIsNotSQLiteIsRefused() throws {
        let folder = try Folder()
        let path = folder.path + "/events.db"
        let text = Data("{\"not\": \"a store\"}\n".utf8)
        #expect(FileManager.default.createFile(atPath: path, contents: text))
        let message = refusal { _ = try EventStore(path: path) }
        #expect(message.contains("not an event store (not a SQLite database)"), "\(message)")
        #expect(Self.bytes(path) == text)
        #expect(refusal { _ = try EventStore(path: folder.path) }.contains("is a directory"))
    }

    @Test func aStoreInAMissingDirectoryIsRefusedUnlessTheDirectoryMayBeMade() throws {
        let folder = try Folder()
        let path = folder.path + "/missing/events.db"
        let message = refusal { _ = try EventStore(path: path, create: .inExistingDirectory) }
        #expect(message.contains("the directory \(folder.path)/missing does not exist"), "\(message)")
        #expect(!FileManager.default.fileExists(atPath: folder.path + "/missing"))
        #expect(refusal { _ = try EventStore(path: path, create: .never) }.contains("no event store at \(path)"))
        #expect(!FileManager.default.fileExists(atPath: folder.path + "/missing"))
        _ = try EventStore(path: path, create: .withDirectory)
        #expect(FileManager.default.fileExists(atPath: path))
    }

    @Test func aStoreWrittenByANewerMapcIsRefusedAndLeftAsItWas() throws {
        let folder = try Folder()
        let path = folder.path + "/events.db"
        try Self.makeStore(path)
        do {
            let db = try Database(path: path)
            try db.exec("INSERT INTO migrations(name, applied_at) VALUES('999_from_the_future', datetime('now'))")
        }
        let before = Self.bytes(path)
        let message = refusal { _ = try EventStore(path: path, create: .never) }
        #expect(message.contains("written by a newer mapc") && message.contains("'999_from_the_future'"), "\(message)")
        #expect(refusal { _ = try Inbox(path: path) }.contains("written by a newer mapc"))
        #expect(Self.bytes(path) == before)
    }

    @Test func damagedPagesAreRefusedBeforeAnythingIsWritten() throws {
        let folder = try Folder()
        let path = folder.path + "/events.db"
        try Self.makeStore(path)
        // Page 4 is the `runs` table's root page (the first tables the migrations create).
        var data = Self.bytes(path)
        let page = 3 * 4096
        #expect(data.count > page + 4096)
        data.replaceSubrange(page..<(page + 64), with: [0x0D, 0xFF, 0xFF, 0x7F] + Array(repeating: UInt8(0xA5), count: 60))
        try data.write(to: URL(fileURLWithPath: path))
        let message = refusal { _ = try EventStore(path: path) }
        #expect(message.contains("\(path) is damaged (") && message.contains("restore it from a backup"), "\(message)")
        #expect(Self.bytes(path) == data)
        #expect(!FileManager.default.fileExists(atPath: path + "-wal") || Self.bytes(path + "-wal").isEmpty)
    }

    @Test func everyMigrationListAppliedToTheStoreFileIsKnownToTheCheck() throws {
        let folder = try Folder()
        let path = folder.path + "/events.db"
        _ = try EventStore(path: path)
        _ = try Inbox(path: path)
        let db = try Database(path: path)
        let applied = Set(try db.prepare("SELECT name FROM migrations").query([]) { $0.text(0) ?? "" })
        #expect(applied == StoreCheck.knownMigrations)
        // A list nobody registered is refused rather than applied to real stores unseen.
        #expect(refusal { try db.migrate([(name: "unregistered_001", sql: "CREATE TABLE x(a)")]) }.contains("unregistered_001"))
    }
}
