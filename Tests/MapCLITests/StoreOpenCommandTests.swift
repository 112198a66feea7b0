import Foundation
import MapCLI
import SyncEngine
import Testing

/// Issue 14, the event store as commands open it: exit 3 with the store named, and nothing
/// written, for a store in a missing directory, an empty store file and a damaged store.
@Suite struct StoreOpenCommandTests {
    @Test func syncIntoAStoreInAMissingDirectoryExitsThreeAndCreatesNothing() throws {
        let p = try SyncCommandTests.SyncProject()
        let path = p.project.root + "/missing/events.db"
        let r = p.run(["sync", "leads", "--store", path])
        #expect(r.code == 3 && r.err.contains("the directory \(p.project.root)/missing does not exist"), "\(r.err)")
        #expect(!FileManager.default.fileExists(atPath: p.project.root + "/missing"))
        #expect(!FileManager.default.fileExists(atPath: p.data + "/Lead.jsonl"))
    }

    @Test func syncOnAnEmptyStoreFileExitsThreeAndLeavesItEmpty() throws {
        let p = try SyncCommandTests.SyncProject()
        let path = p.project.root + "/events.db"
        #expect(FileManager.default.createFile(atPath: path, contents: Data()))
        for command in [["sync", "leads"], ["status"], ["failed", "leads"]] {
            let r = p.run(command + ["--store", path])
            #expect(r.code == 3 && r.err.contains("\(path) is empty (0 bytes)"), "\(command): \(r.err)")
        }
        #expect(FileManager.default.contents(atPath: path)?.isEmpty == true)
        #expect(!FileManager.default.fileExists(atPath: p.data + "/Lead.jsonl"))
    }

    @Test func aDamagedStoreMakesStatusAndSyncExitThreeAndSyncWritesNothing() throws {
        let p = try SyncCommandTests.SyncProject()
        let path = p.project.root + "/events.db"
        do {
            let store = try EventStore(path: path)
            _ = try store.createRun(job: "leads", info: [:], at: "2025-01-31T09:00:00Z")
        }
        // Closing the store copied its log into the file; page 4 is the `runs` table's root.
        var data = try #require(FileManager.default.contents(atPath: path))
        data.replaceSubrange(3 * 4096..<(3 * 4096 + 64), with: [0x0D, 0xFF, 0xFF, 0x7F] + Array(repeating: UInt8(0xA5), count: 60))
        try data.write(to: URL(fileURLWithPath: path))
        let status = p.run(["status", "--store", path])
        #expect(status.code == 3 && status.err.contains("is damaged"), "\(status.err)")
        let sync = p.run(["sync", "leads", "--store", path])
        #expect(sync.code == 3 && sync.err.contains("\(path) is damaged"), "\(sync.err)")
        #expect(FileManager.default.contents(atPath: path) == data)
        #expect(!FileManager.default.fileExists(atPath: p.data + "/Lead.jsonl"))
    }
}
