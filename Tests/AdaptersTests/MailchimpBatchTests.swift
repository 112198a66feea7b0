import Foundation
import MapDSL
import Sandbox
import SyncEngine
import Testing

@testable import Adapters

extension AdaptersTestSuite {
    /// Mailchimp batch operations through the adapter and through the engine, against the emulators.
    @Suite("Mailchimp batch operations", .serialized, .timeLimit(.minutes(3)))
    struct MailchimpBatchTests {
        static func member(_ i: Int, email: String? = nil) -> OutboundRecord {
            let address = email ?? "member\(i)@example.com"
            return OutboundRecord(
                key: address,
                fields: [
                    ("email_address", .string(address)), ("merge_fields.FNAME", .string("First \(i), \"quoted\"")),
                    ("status_if_new", "subscribed"),
                ])
        }

        static func request(_ records: [OutboundRecord]) -> WriteRequest {
            WriteRequest(object: "member", keyField: "email_address", mode: .upsert, records: records)
        }

        @Test("a batch of member upserts: submitted, polled, its tar.gz of results read record by record")
        func batchRoundTrip() throws {
            let harness = try Harness.start(.mailchimp) { $0.bulkFaults = BulkFaults(recordsPerPoll: 10) }
            defer { harness.stop() }
            let bulk = try #require(harness.adapter as? any BulkWriter)
            #expect(bulk.bulkLimits(object: "member", mode: .upsert).style == .submitWithData)
            #expect(bulk.bulkRefusal(object: "member", keyField: "email_address", mode: .updateOnly) != nil)
            var records = (0..<25).map { Self.member($0) }
            records[4] = Self.member(4, email: "not-an-address")
            let before = SystemClock().timestamp()
            let id = try bulk.submitBulkJob(Self.request(records))
            #expect(try bulk.findBulkJob(submittedAfter: before, operations: 25, excluding: []) == id)
            #expect(try bulk.findBulkJob(submittedAfter: before, operations: 24, excluding: []) == nil)
            #expect(try bulk.findBulkJob(submittedAfter: before, operations: 25, excluding: [id]) == nil)
            #expect(try bulk.bulkJobState(id) == .running(processed: 10))
            #expect(try bulk.bulkJobState(id) == .running(processed: 20))
            #expect(try bulk.bulkJobState(id) == .finished(processed: 25, failed: 1))
            let results = try bulk.bulkJobResults(id, Self.request(records))
            #expect(results.complete)
            #expect(results.results.count == 25)
            let byKey = Dictionary(uniqueKeysWithValues: results.results.map { ($0.key, $0) })
            #expect(byKey["member0@example.com"]?.status == .created)
            let refused = try #require(byKey["not-an-address"])
            #expect(refused.status == .rejected)
            #expect(refused.field == "email_address" || refused.errorCode == "Invalid Resource")
            #expect(harness.server.bulkJobs.count == 1)
            // Sent again, every member is an update.
            let again = try bulk.submitBulkJob(Self.request(records))
            while !(try bulk.bulkJobState(again)).isOver {}
            let second = try bulk.bulkJobResults(again, Self.request(records))
            #expect(second.results.filter { $0.status == .updated }.count == 24)
        }

        @Test("results only partly ready are reported incomplete; an expired batch is gone")
        func partialAndExpired() throws {
            let harness = try Harness.start(.mailchimp) { $0.bulkFaults = BulkFaults(partialResults: 1) }
            defer { harness.stop() }
            let bulk = try #require(harness.adapter as? any BulkWriter)
            let request = Self.request((0..<20).map { Self.member($0) })
            let id = try bulk.submitBulkJob(request)
            #expect(try bulk.bulkJobState(id).isOver)
            let partial = try bulk.bulkJobResults(id, request)
            #expect(!partial.complete)
            #expect(partial.results.count == 10)
            #expect(try bulk.bulkJobResults(id, request).complete)
            harness.server.expireBulkJobs()
            #expect(try bulk.bulkJobState(id) == .gone)
        }

        @Test("tar reader: members by name, padding, a member running past the end refused")
        func tarReader() throws {
            let files: [(name: String, data: [UInt8])] = [
                ("a/0.json", Array("[1]".utf8)), ("a/1.json", [UInt8](repeating: 0x41, count: 700)),
            ]
            let tar = tarBytes(files)
            let read = try BatchArchive.untar(tar)
            #expect(read.map(\.name) == ["a/0.json", "a/1.json"])
            #expect(read[1].data.count == 700)
            #expect(throws: BatchArchive.Unreadable.self) { try BatchArchive.untar(Array(tar.prefix(1200))) }
            #expect(throws: BatchArchive.Unreadable.self) { try BatchArchive.gunzip(Data("not gzip".utf8)) }
        }

        /// A tar written the way the POSIX `ustar` format lays it out (independently of the emulator's writer).
        func tarBytes(_ files: [(name: String, data: [UInt8])]) -> [UInt8] {
            var out: [UInt8] = []
            for (name, data) in files {
                var header = [UInt8](repeating: 0, count: 512)
                for (i, b) in name.utf8.enumerated() { header[i] = b }
                let size = String(data.count, radix: 8)
                for (i, b) in (String(repeating: "0", count: 11 - size.count) + size).utf8.enumerated() { header[124 + i] = b }
                header[156] = UInt8(ascii: "0")
                out += header + data + [UInt8](repeating: 0, count: (512 - data.count % 512) % 512)
            }
            return out + [UInt8](repeating: 0, count: 1024)
        }

        // MARK: Through the engine

        static let mapping = """
            mapping hubspot.contact -> mailchimp.member
            key email_address
            skip when blank(email)

            email_address      = lower(trim(email))
            merge_fields.FNAME = trim(firstname ?? "")
            status             = "subscribed"
            status_if_new      = "subscribed"
            """

        struct World {
            let hubspot: SandboxServer
            let mailchimp: SandboxServer
            let store: EventStore
            let source: any PlatformAdapter
            let destination: any PlatformAdapter
            let directory: String

            func stop() {
                hubspot.stop()
                mailchimp.stop()
                try? FileManager.default.removeItem(atPath: directory)
            }
        }

        static func world(_ n: Int, faults: BulkFaults = BulkFaults()) throws -> World {
            let directory = Repository.temporaryDirectory()
            try FileManager.default.createDirectory(atPath: directory + "/samples/hubspot", withIntermediateDirectories: true)
            try IncrementalSyncTests.contacts(n, messy: false).write(
                toFile: directory + "/samples/hubspot/contact.jsonl", atomically: true, encoding: .utf8)
            var options = SandboxOptions.project(root: Repository.root)
            options.samplesDirectory = URL(fileURLWithPath: directory + "/samples")
            options.bulkFaults = faults
            let hubspot = try SandboxServer.start(platform: .hubspot, options: options)
            let mailchimp = try SandboxServer.start(platform: .mailchimp, options: options)
            let store = try EventStore(path: directory + "/events.db")
            func adapter(_ server: SandboxServer, _ platform: String, _ parameters: [String: String]) throws -> any PlatformAdapter {
                let connection = Connection(
                    platform: platform, baseURL: server.baseURL, credential: Secret(server.credential), parameters: parameters)
                var adapterOptions = AdapterOptions(
                    registry: try RateLimitRegistry.load(platform: platform, directory: Repository.rateLimits), quotaStore: store,
                    windowStore: store, platformsDirectory: Repository.root.appendingPathComponent("platforms").path)
                adapterOptions.maxRetries = 0
                return try AdapterFactory.make(platform: platform, connection: connection, options: adapterOptions)
            }
            return World(
                hubspot: hubspot, mailchimp: mailchimp, store: store, source: try adapter(hubspot, "hubspot", [:]),
                destination: try adapter(mailchimp, "mailchimp", ["list": options.mailchimpListID]), directory: directory)
        }

        static func run(_ w: World, clock: PollClock = PollClock()) throws -> RunSummary {
            let job = try JobSpec.parse(
                [
                    "source": ["platform": "hubspot", "object": "contact"], "destination": ["platform": "mailchimp", "object": "member"],
                    "mapping": "m.map", "pageSize": 500, "retries": 3,
                ], name: "contacts-to-members", path: "contacts-to-members.json")
            let (mapping, _) = try IncrementalSyncTests.compile(Self.mapping)
            return try SyncRunner(
                job: job, mapping: mapping, version: "v1", source: w.source, destination: w.destination, store: w.store, clock: clock
            ).start()
        }

        @Test("3,000 contacts to members through batch operations: one batch, every member created once")
        func engineThroughBatches() throws {
            let w = try Self.world(3000, faults: BulkFaults(recordsPerPoll: 1000, partialResults: 1, pollFailures: 1))
            defer { w.stop() }
            let summary = try Self.run(w)
            #expect(summary.state.phase == .completed)
            let events = try w.store.events(run: summary.id)
            let path = try #require(events.first { $0.type == "write_path" })
            #expect(path.payload["path"]?.stringValue == "bulk")
            #expect(path.payload["api"]?.stringValue == "Mailchimp batch operations")
            #expect(w.mailchimp.bulkJobs.count == 1)
            #expect(events.contains { $0.type == "bulk_results_partial" })
            #expect(try w.store.statusCounts(job: "contacts-to-members", run: summary.id)["created"] == 3000)
            #expect(w.mailchimp.recordCount(object: "member") == 3000)
            // No member went through the REST endpoints.
            #expect(
                !w.mailchimp.requestLog.contains {
                    $0.path.contains("/members/") || $0.method == "POST" && $0.path.hasPrefix("/3.0/lists/")
                })
        }

        @Test("operations refused with 500 half-way are transient: sent again, every member ends up written")
        func halfWayFailures() throws {
            let w = try Self.world(2500, faults: BulkFaults(recordsPerPoll: 1000, failAfterRecords: 2000))
            defer { w.stop() }
            let summary = try Self.run(w)
            #expect(summary.state.phase == .completed)
            let counts = try w.store.statusCounts(job: "contacts-to-members", run: summary.id)
            #expect(counts["created"] == 2500, "\(counts)")
            #expect(try w.store.events(run: summary.id).contains { $0.type == "record_retry" })
        }
    }
}
