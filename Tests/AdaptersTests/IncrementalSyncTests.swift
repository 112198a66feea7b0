import Adapters
import Foundation
import MapDSL
import Sandbox
import SyncEngine
import Testing

/// A platform adapter that counts what goes through it: records read (through an incremental,
/// ordered read or a plain listing) and records written, by key. Keys in `refused` are answered as
/// the platform answers an address it refuses, without being written (a dead letter for sure).
final class CountingAdapter: PlatformAdapter, @unchecked Sendable {
    let inner: any PlatformAdapter
    let refused: Set<String>
    private let lock = NSLock()
    private var readIncrementally = 0
    private var readListing = 0
    private var writes: [String: Int] = [:]

    init(_ inner: any PlatformAdapter, refused: Set<String> = []) {
        self.inner = inner
        self.refused = refused
    }

    var platform: String { inner.platform }
    func limits(object: String, mode: WriteMode) -> AdapterLimits { inner.limits(object: object, mode: mode) }
    func describe(object: String) throws -> Schema { try inner.describe(object: object) }
    func find(object: String, field: String, value: String) throws -> JSONValue? {
        try inner.find(object: object, field: field, value: value)
    }
    func count(object: String) throws -> Int? { try inner.count(object: object) }

    func fetch(_ request: FetchRequest) throws -> SourcePage {
        let page = try inner.fetch(request)
        lock.withLock {
            if page.ordered { readIncrementally += page.records.count } else { readListing += page.records.count }
        }
        return page
    }

    func write(_ request: WriteRequest) throws -> [WriteResult] {
        lock.withLock {
            for r in request.records { writes[r.key, default: 0] += 1 }
        }
        var out = request.records.filter { refused.contains($0.key) }.map {
            WriteResult(
                key: $0.key, status: .rejected, errorCode: "INVALID_EMAIL_ADDRESS", message: "invalid email address", field: "Email")
        }
        var rest = request
        rest.records.removeAll { refused.contains($0.key) }
        if !rest.records.isEmpty { out += try inner.write(rest) }
        return out
    }

    /// (records read in order of modification, records read by a plain listing, writes by key).
    var tally: (incremental: Int, listing: Int, writes: [String: Int]) {
        lock.withLock { (readIncrementally, readListing, writes) }
    }
}

extension AdaptersTestSuite {
    /// `mapc sync`'s engine from the HubSpot emulator to the Salesforce emulator, counted in the
    /// emulators' request logs and per written key.
    @Suite("Incremental syncs against the emulators", .serialized, .timeLimit(.minutes(5)))
    struct IncrementalSyncTests {
        static let base = Date(timeIntervalSince1970: 1_709_251_200)  // 2024-03-01

        /// Contacts as the HubSpot emulator is seeded with them: modified `spacing` seconds apart
        /// (`ties` records per instant); every 97th without an email (skipped), every 331st with a
        /// broken one (refused by mapc's checks).
        static func contacts(_ n: Int, spacing: Double = 97, ties: Int = 1, messy: Bool = true) -> String {
            let companies = ["Brightwave Analytics, Inc.", "Northwind Traders", "Acme Corp", "Globex", "Initech", "Umbrella"]
            var lines: [String] = []
            lines.reserveCapacity(n)
            for i in 0..<n {
                var email: JSONValue = .string("person\(i)@example.com")
                if messy && i % 97 == 0 { email = "" }
                if messy && i % 331 == 0 { email = .string("broken\(i)@") }
                let modified = base.addingTimeInterval(Double(i / ties) * spacing)
                lines.append(
                    JSONWriter.compact(
                        .object([
                            ("hs_object_id", .string(String(200_000 + i))), ("email", email), ("firstname", .string("First\(i)")),
                            ("lastname", .string("Last\(i)")),
                            ("company", .string(companies[i % companies.count] + (i % 4 == 0 ? "" : " \(i % 40)"))),
                            ("phone", .string("+1 212-555-\(1000 + i % 9000)")), ("lifecyclestage", "lead"), ("hs_email_optout", "false"),
                            ("createdate", "2024-01-01T00:00:00.000Z"),
                            ("lastmodifieddate", .string(Dates.formatDateTime(Int64(modified.timeIntervalSince1970 * 1000)))),
                        ])))
            }
            return lines.joined(separator: "\n") + "\n"
        }

        struct World {
            let directory: String
            let hubspot: SandboxServer
            let salesforce: SandboxServer
            let store: EventStore
            let hubspotAdapter: any PlatformAdapter
            let salesforceAdapter: any PlatformAdapter

            func stop() {
                hubspot.stop()
                salesforce.stop()
                try? FileManager.default.removeItem(atPath: directory)
            }
        }

        /// Emulators seeded with `contacts` (and the shipped Salesforce accounts), limited as the
        /// registry says, and adapters over them that persist limiter state in an on-disk store.
        static func world(contacts: String) throws -> World {
            let directory = Repository.temporaryDirectory()
            let fm = FileManager.default
            try fm.createDirectory(atPath: directory + "/samples/hubspot", withIntermediateDirectories: true)
            try fm.createDirectory(atPath: directory + "/samples/salesforce", withIntermediateDirectories: true)
            try contacts.write(toFile: directory + "/samples/hubspot/contact.jsonl", atomically: true, encoding: .utf8)
            try fm.copyItem(
                atPath: Repository.root.appendingPathComponent("samples/salesforce/Account.jsonl").path,
                toPath: directory + "/samples/salesforce/Account.jsonl")
            var options = SandboxOptions.project(root: Repository.root)
            options.samplesDirectory = URL(fileURLWithPath: directory + "/samples")
            let hubspot = try SandboxServer.start(platform: .hubspot, options: options)
            let salesforce = try SandboxServer.start(platform: .salesforce, options: options)
            let store = try EventStore(path: directory + "/events.db")
            func adapter(_ server: SandboxServer, _ platform: String) throws -> any PlatformAdapter {
                let connection = Connection(platform: platform, baseURL: server.baseURL, credential: Secret(server.credential))
                var adapterOptions = AdapterOptions(
                    registry: try RateLimitRegistry.load(platform: platform, directory: Repository.rateLimits), quotaStore: store,
                    windowStore: store, platformsDirectory: Repository.root.appendingPathComponent("platforms").path)
                adapterOptions.maxRetries = 0
                return try AdapterFactory.make(platform: platform, connection: connection, options: adapterOptions)
            }
            return World(
                directory: directory, hubspot: hubspot, salesforce: salesforce, store: store,
                hubspotAdapter: try adapter(hubspot, "hubspot"), salesforceAdapter: try adapter(salesforce, "salesforce"))
        }

        static func job(pageSize: Int = 100) throws -> JobSpec {
            try JobSpec.parse(
                [
                    "source": ["platform": "hubspot", "object": "contact"], "destination": ["platform": "salesforce", "object": "Lead"],
                    "mapping": "m.map", "pageSize": .int(pageSize), "batchSize": 200, "retries": 3,
                ], name: "contacts-to-leads", path: "contacts-to-leads.json")
        }

        static func compile(_ text: String) throws -> (CompiledMapping, [String: Schema]) {
            let source = SourceText(path: "m.map", text: text)
            let checked = Checker.check(source, schemas: SchemaDirectory(root: Repository.schemas))
            return (try Compiler.compile(checked, text: source), checked.lookupSchemas)
        }

        @Test("a second sync with 100 of 5,000 contacts changed reads about 100 through search, sends those 100 and no old reject")
        func secondSyncReadsAndSendsOnlyWhatChanged() throws {
            let w = try Self.world(contacts: Self.contacts(5000))
            defer { w.stop() }
            let (mapping, lookupSchemas) = try Self.compile(
                try String(contentsOf: Repository.root.appendingPathComponent("samples/mappings/contacts-to-leads.map"), encoding: .utf8))
            // Every 50th contact (from the 8th) that mapc sends has an address the platform refuses.
            let sendable = { (i: Int) in i % 97 != 0 && i % 331 != 0 }
            let refused = Set(stride(from: 7, to: 5000, by: 50).filter(sendable).map { String(200_000 + $0) })
            let source = CountingAdapter(w.hubspotAdapter)
            let destination = CountingAdapter(w.salesforceAdapter, refused: refused)
            func runner() throws -> SyncRunner {
                SyncRunner(
                    job: try Self.job(), mapping: mapping, version: "v1", source: source, destination: destination, store: w.store,
                    lookupSchemas: lookupSchemas)
            }
            let first = try runner().start()
            #expect(first.state.phase == .completed)
            let deadLetters = try w.store.records(job: "contacts-to-leads", status: "rejected").filter {
                $0.errorCode == "INVALID_EMAIL_ADDRESS"
            }
            #expect(deadLetters.count == refused.count)
            #expect(source.tally.listing == 5000)
            let mark = try #require(try w.store.watermark(job: "contacts-to-leads"))
            #expect(mark.position.modified == Dates.formatDateTime(Int64(Self.base.timeIntervalSince1970 * 1000) + 4999 * 97_000))

            // 100 contacts change in HubSpot (their last-modified time moves to now).
            let changed = Array(stride(from: 13, to: 5000, by: 47).filter { sendable($0) && $0 % 50 != 7 }.prefix(100))
            #expect(changed.count == 100)
            let updates = changed.map { OutboundRecord(key: String(200_000 + $0), fields: [("firstname", .string("Changed\($0)"))]) }
            let applied = try w.hubspotAdapter.write(
                WriteRequest(object: "contact", keyField: "hs_object_id", mode: .updateOnly, records: updates))
            #expect(applied.allSatisfy { $0.status == .updated })

            let before = (
                hubspot: w.hubspot.requestLog.count, salesforce: w.salesforce.requestLog.count, read: source.tally,
                writes: destination.tally.writes
            )
            let second = try runner().start()
            #expect(second.state.phase == .completed)
            #expect(second.info["modifiedSince"]?.stringValue != nil)
            let hubspotRequests = w.hubspot.requestLog.dropFirst(before.hubspot)
            #expect(hubspotRequests.contains { $0.method == "POST" && $0.path == "/crm/v3/objects/contacts/search" })
            #expect(
                !hubspotRequests.contains { $0.method == "GET" && $0.path == "/crm/v3/objects/contacts" },
                "the second run listed every contact")
            let read = source.tally.incremental - before.read.incremental
            #expect((100...105).contains(read), "records read through search: \(read)")
            #expect(source.tally.listing == before.read.listing)
            // Sent: exactly the 100 changed, each once; no old reject sent again.
            let sent = destination.tally.writes.filter { $0.value != before.writes[$0.key] ?? 0 }
            #expect(Set(sent.keys) == Set(changed.map { String(200_000 + $0) }))
            #expect(sent.allSatisfy { $0.value == (before.writes[$0.key] ?? 0) + 1 })
            #expect(sent.keys.allSatisfy { !refused.contains($0) })
            let salesforceRequests = w.salesforce.requestLog.dropFirst(before.salesforce)
            #expect(salesforceRequests.filter { $0.method == "PATCH" }.count == 1)
            // Lookups were cached by the first run: the second asks Salesforce nothing but the upsert.
            #expect(!salesforceRequests.contains { $0.path.hasSuffix("/query") }, "lookups repeated: \(salesforceRequests.map(\.path))")
            let counts = try w.store.statusCounts(job: "contacts-to-leads", run: second.id)
            #expect(counts["updated"] == 100)
        }

        @Test("15,000 sendable contacts go to Salesforce in at most 76 upsert requests")
        func batchesFillAcrossPagesAgainstSalesforce() throws {
            let w = try Self.world(contacts: Self.contacts(15_000, messy: false))
            defer { w.stop() }
            let (mapping, _) = try Self.compile(
                """
                mapping hubspot.contact -> salesforce.Lead
                key HubSpot_Contact_Id__c

                HubSpot_Contact_Id__c = hs_object_id
                Company               = null_if_blank(trim(company)) ?? "Unknown"
                Email                 = lower(trim(email))
                LastName              = null_if_blank(trim(lastname)) ?? "Unknown"
                Status                = "Open - Not Contacted"
                """)
            // REST batches (15,000 records would take the bulk path by default; see BulkSyncTests).
            var options = SyncOptions()
            options.writePath = .rest
            let run = try SyncRunner(
                job: try Self.job(), mapping: mapping, version: "v1", source: w.hubspotAdapter, destination: w.salesforceAdapter,
                store: w.store, options: options
            ).start()
            #expect(run.state.phase == .completed)
            let upserts = w.salesforce.requestLog.filter { $0.method == "PATCH" && $0.path.contains("/composite/sobjects/") }
            #expect(upserts.count <= 76 && upserts.count == 75, "\(upserts.count) upsert requests")
            #expect(upserts.allSatisfy { $0.status == 200 })
            #expect(w.salesforce.recordCount(object: "Lead") >= 15_000)
            #expect(try w.store.statusCounts(job: "contacts-to-leads", run: run.id)["created"] == 15_000)
        }

        @Test("HubSpot search reads past 10,000 results, through ties larger than a page, and again a record changed mid-read")
        func searchReadsEverythingPastTheCap() throws {
            // 10,150 contacts, seven per instant, plus a block of 450 modified in one instant.
            var text = Self.contacts(10_150, spacing: 1, ties: 7, messy: false)
            let instant = Dates.formatDateTime(Int64(Self.base.timeIntervalSince1970 * 1000) + 5_000_000)
            for i in 0..<450 {
                text +=
                    JSONWriter.compact(
                        .object([
                            ("hs_object_id", .string(String(900_000 + i))), ("email", .string("tie\(i)@example.com")),
                            ("lastmodifieddate", .string(instant)), ("createdate", "2024-01-01T00:00:00.000Z"),
                        ])) + "\n"
            }
            let w = try Self.world(contacts: text)
            defer { w.stop() }
            var seen: [String: Int] = [:]
            var cursor: String?
            var pages = 0
            let since = Dates.formatDateTime(Int64(Self.base.timeIntervalSince1970 * 1000))
            repeat {
                let page = try w.hubspotAdapter.fetch(
                    FetchRequest(object: "contact", cursor: cursor, modifiedSince: since, pageSize: 200, fields: ["email"]))
                #expect(page.ordered)
                for r in page.records { seen[r.id, default: 0] += 1 }
                pages += 1
                if pages == 3 {
                    // A contact of the first page changes while the read goes on.
                    _ = try w.hubspotAdapter.write(
                        WriteRequest(
                            object: "contact", keyField: "hs_object_id", mode: .updateOnly,
                            records: [OutboundRecord(key: "200003", fields: [("firstname", "Moved")])]))
                }
                cursor = page.nextCursor
            } while cursor != nil && pages < 200
            #expect(seen.count == 10_600, "read \(seen.count) distinct contacts of 10,600")
            #expect(seen["200003"] == 2, "the contact changed mid-read was read \(seen["200003"] ?? 0) times")
            // Ties at one instant are read once; the block larger than a page is read by id from its
            // start once the instant stops the read, so up to a page of it comes twice (the engine
            // drops those: done in this run).
            let block = seen.filter { $0.key.hasPrefix("900") }
            #expect(seen.filter { $0.key != "200003" && !$0.key.hasPrefix("900") }.values.allSatisfy { $0 == 1 })
            #expect(block.values.allSatisfy { $0 <= 2 } && block.values.filter { $0 == 2 }.count <= 200)
            let searches = w.hubspot.requestLog.filter { $0.path == "/crm/v3/objects/contacts/search" }
            #expect(searches.allSatisfy { $0.status == 200 }, "\(searches.filter { $0.status != 200 }.count) searches refused")
            // Search has its own, lower limit (5 per second): never more in any second of arrivals.
            let arrivals = searches.map(\.receivedAt).sorted()
            var head = 0
            var worst = 0
            for (index, time) in arrivals.enumerated() {
                while time.timeIntervalSince(arrivals[head]) >= 1 { head += 1 }
                worst = max(worst, index - head + 1)
            }
            #expect(worst <= 5, "\(worst) searches arrived within one second")
        }

        @Test("Salesforce reads in SystemModstamp then Id order and incrementally from a time")
        func salesforceReadsInModificationOrder() throws {
            let h = try Harness.start(.salesforce)
            defer { h.stop() }
            var all: [SourceRecord] = []
            var cursor: String?
            repeat {
                let page = try h.adapter.fetch(FetchRequest(object: "Lead", cursor: cursor, pageSize: 7, fields: ["Email"]))
                #expect(page.ordered)
                all += page.records
                cursor = page.nextCursor
            } while cursor != nil
            let positions = all.compactMap(SourcePosition.init)
            #expect(positions.count == all.count && !all.isEmpty)
            #expect(positions == positions.sorted())
            let queries = h.server.requestLog.filter { $0.path.hasSuffix("/query") }
            #expect(
                queries.first?.query.contains {
                    $0.contains("ORDER%20BY%20SystemModstamp%20ASC%2C%20Id%20ASC") || $0.contains("ORDER BY SystemModstamp ASC, Id ASC")
                } == true)
            // From the middle record's time on: that record and every later one.
            let middle = positions[positions.count / 2]
            let later = try h.adapter.fetch(FetchRequest(object: "Lead", modifiedSince: middle.modified, pageSize: 2000, fields: ["Email"]))
            #expect(Set(later.records.map(\.id)).isSuperset(of: positions.filter { $0 >= middle }.map(\.id)))
        }

        @Test("a write moves a record's modification time and the next incremental read finds it", arguments: ["salesforce", "mailchimp"])
        func writesMoveModificationTimes(platform: String) throws {
            let clock = TickingClock()
            let h = try Harness.start(platform == "salesforce" ? .salesforce : .mailchimp) { $0.clock = clock.now }
            defer { h.stop() }
            let (object, key) = platform == "salesforce" ? ("Lead", "External_Id__c") : ("member", "email_address")
            func fields(_ name: String) -> [(String, JSONValue)] {
                platform == "salesforce"
                    ? [("LastName", .string(name)), ("Company", "Acme"), ("Status", "Open - Not Contacted")]
                    : [("email_address", "moved@example.com"), ("status", "subscribed"), ("merge_fields.FNAME", .string(name))]
            }
            let id = platform == "salesforce" ? "X-1" : "moved@example.com"
            func read(since: String) throws -> [SourceRecord] {
                try h.adapter.fetch(FetchRequest(object: object, modifiedSince: since, pageSize: 1000)).records
            }
            let before = try h.adapter.fetch(FetchRequest(object: object, pageSize: 1000)).records.compactMap(SourcePosition.init).max()
            let since = try #require(before).modified
            _ = try h.adapter.write(
                WriteRequest(object: object, keyField: key, mode: .upsert, records: [OutboundRecord(key: id, fields: fields("One"))]))
            let created = try #require(try read(since: since).first { $0.fields[key]?.stringValue?.lowercased() == id.lowercased() })
            let first = try #require(SourcePosition(created))
            _ = try h.adapter.write(
                WriteRequest(object: object, keyField: key, mode: .upsert, records: [OutboundRecord(key: id, fields: fields("Two"))]))
            // Read from a second after the first write: the second write is there, with a later time.
            let later = Dates.formatDateTime(first.millis + 1000)
            let updated = try #require(try read(since: later).first { $0.id == created.id })
            #expect(SourcePosition(updated).map { $0 > first } == true)
        }

        @Test("a new process after a kill meets no 429: the limiter's window is restored from the store")
        func limiterWindowsSurviveAKill() throws {
            let window = RequestWindow(count: 20, windowSeconds: 5)
            let table = try RateLimitTable.load(platform: "hubspot", from: Repository.root.appendingPathComponent("ratelimits"))
                .overriding(bucket: "account", requests: window, dailyQuota: nil, maxConcurrency: nil)
            let registry = try RateLimitRegistry.load(platform: "hubspot", directory: Repository.rateLimits)
                .overriding(bucket: "account", requests: RequestBudget(count: 20, windowSeconds: 5), dailyQuota: nil, maxConcurrency: nil)
            let h = try Harness.start(.hubspot, limits: table, registry: registry, options: AdapterOptions(maxRetries: 0))
            defer { h.stop() }
            let directory = Repository.temporaryDirectory()
            defer { try? FileManager.default.removeItem(atPath: directory) }
            func process(_ store: EventStore?) throws -> any PlatformAdapter {
                var options = AdapterOptions(registry: registry, quotaStore: store, windowStore: store)
                options.maxRetries = 0
                return try AdapterFactory.make(platform: "hubspot", connection: h.connection, options: options)
            }
            /// `n` reads after the describe the adapter makes first: `n` + 1 requests.
            func requests(_ adapter: any PlatformAdapter, _ n: Int) {
                for _ in 0..<n { _ = try? adapter.fetch(FetchRequest(object: "contact", pageSize: 1, fields: ["email"])) }
            }
            func refusals() -> Int { h.server.requestLog.filter { $0.status == 429 }.count }
            // Without a stored window, a process started right after another used the window meets
            // the platform's refusals (so the check below can fail).
            requests(try process(nil), 19)
            requests(try process(nil), 19)
            #expect(refusals() > 0)
            h.server.reset()
            let store = try EventStore(path: directory + "/events.db")
            // A process uses the whole window (20 requests), then dies (nothing of it is cleaned up).
            requests(try process(store), 19)
            #expect(refusals() == 0)
            // The next process, on the same store, waits for the window instead of meeting 429s.
            requests(try process(try EventStore(path: directory + "/events.db")), 19)
            #expect(refusals() == 0, "\(refusals()) requests refused after the restart")
        }
    }
}
