import Adapters
import Foundation
import MapDSL
import Sandbox
import SyncEngine
import Testing

/// A clock for runs that poll bulk jobs: never sleeps, and can act when asked to wait.
final class PollClock: SyncClock, @unchecked Sendable {
    private let lock = NSLock()
    private var t = 0.0
    private(set) var sleeps = 0
    /// Called with the number of the wait (1-based) before time moves on.
    var onSleep: (Int) -> Void = { _ in }

    func now() -> Double { lock.withLock { t } }
    func sleep(_ seconds: Double) {
        let n = lock.withLock {
            sleeps += 1
            t += seconds
            return sleeps
        }
        onSleep(n)
    }
    func random() -> Double { 0.5 }
    func timestamp() -> String { SystemClock().timestamp() }
}

/// A source that cannot tell how many records it has (as a JSONL file or a platform without a
/// cheap count), so a run's write path waits for the records themselves.
final class UncountedSource: PlatformAdapter, @unchecked Sendable {
    let inner: any PlatformAdapter
    init(_ inner: any PlatformAdapter) { self.inner = inner }
    var platform: String { inner.platform }
    func limits(object: String, mode: WriteMode) -> AdapterLimits { inner.limits(object: object, mode: mode) }
    func describe(object: String) throws -> Schema { try inner.describe(object: object) }
    func fetch(_ request: FetchRequest) throws -> SourcePage { try inner.fetch(request) }
    func write(_ request: WriteRequest) throws -> [WriteResult] { try inner.write(request) }
    func find(object: String, field: String, value: String) throws -> JSONValue? {
        try inner.find(object: object, field: field, value: value)
    }
}

extension AdaptersTestSuite {
    /// `mapc sync`'s engine from the HubSpot emulator to the Salesforce emulator through Bulk API 2.0.
    @Suite("Bulk syncs against the emulators", .serialized, .timeLimit(.minutes(5)))
    struct BulkSyncTests {
        typealias Incremental = IncrementalSyncTests

        static let mapping = """
            mapping hubspot.contact -> salesforce.Lead
            key HubSpot_Contact_Id__c

            HubSpot_Contact_Id__c = hs_object_id
            Company               = null_if_blank(trim(company)) ?? "Unknown"
            Email                 = lower(trim(email))
            LastName              = null_if_blank(trim(lastname)) ?? "Unknown"
            Status                = "Open - Not Contacted"
            """

        /// The emulators with `n` tidy contacts, and Leads that already hold `duplicated` external
        /// ids twice (Salesforce refuses to upsert those).
        static func world(_ n: Int, duplicated: [String] = [], faults: BulkFaults = BulkFaults()) throws -> Incremental.World {
            let w = try Incremental.world(contacts: Incremental.contacts(n, messy: false))
            for (i, key) in duplicated.enumerated() {
                for copy in 0..<2 {
                    let record = OutboundRecord(
                        key: "dup-\(i)-\(copy)",
                        fields: [
                            ("External_Id__c", .string("dup-\(i)-\(copy)")), ("HubSpot_Contact_Id__c", .string(key)),
                            ("LastName", "Twin"), ("Company", "Twins Ltd"), ("Status", "Open - Not Contacted"),
                        ])
                    let written = try w.salesforceAdapter.write(
                        WriteRequest(object: "Lead", keyField: "External_Id__c", mode: .upsert, records: [record]))
                    #expect(written.first?.status == .created)
                }
            }
            w.salesforce.setBulkFaults(faults)
            return w
        }

        static func job(bulk: JSONValue? = nil, retries: Int = 3) throws -> JobSpec {
            var fields: [(String, JSONValue)] = [
                ("source", ["platform": "hubspot", "object": "contact"]), ("destination", ["platform": "salesforce", "object": "Lead"]),
                ("mapping", "m.map"), ("pageSize", 500), ("retries", .int(retries)),
            ]
            if let bulk { fields.append(("bulk", bulk)) }
            return try JobSpec.parse(.object(fields), name: "contacts-to-leads", path: "contacts-to-leads.json")
        }

        static func runner(_ w: Incremental.World, job: JobSpec, clock: PollClock = PollClock(), writePath: WritePathChoice? = nil) throws
            -> SyncRunner
        {
            let (mapping, _) = try Incremental.compile(Self.mapping)
            var options = SyncOptions()
            options.writePath = writePath
            return SyncRunner(
                job: job, mapping: mapping, version: "v1", source: w.hubspotAdapter, destination: w.salesforceAdapter, store: w.store,
                clock: clock, options: options)
        }

        /// The emulator's Leads by HubSpot id: `distinct` values and `duplicates`.
        static func leads(_ w: Incremental.World) throws -> JSONValue {
            var components = URLComponents(
                url: w.salesforce.baseURL.appendingPathComponent("_sandbox/records"), resolvingAgainstBaseURL: false)!
            components.queryItems = [
                URLQueryItem(name: "object", value: "Lead"), URLQueryItem(name: "key", value: "HubSpot_Contact_Id__c"),
            ]
            return try JSONParser.parse(Array(try Harness.get(components.url!)))
        }

        static func bulkRequests(_ w: Incremental.World) -> [RequestLogEntry] {
            w.salesforce.requestLog.filter { $0.path.contains("/jobs/ingest") }
        }

        static func events(_ w: Incremental.World, _ run: Int, _ type: String) throws -> [StoredEvent] {
            try w.store.events(run: run).filter { $0.type == type }
        }

        @Test("5,000 contacts: bulk above the threshold, one job, every outcome recorded; a refused record is a dead letter")
        func bulkAboveThreshold() throws {
            let w = try Self.world(5000, duplicated: ["200007"])
            defer { w.stop() }
            let before = w.salesforce.requestLog.count
            let summary = try Self.runner(w, job: Self.job()).start()
            #expect(summary.state.phase == .completed)
            let path = try #require(try Self.events(w, summary.id, "write_path").first)
            #expect(path.payload["path"]?.stringValue == "bulk")
            #expect(path.payload["reason"]?.stringValue?.contains("at or above the bulk threshold of 2000") == true)
            #expect(w.salesforce.bulkJobs.count == 1)
            // Create, upload, close, one status request, three result files.
            let calls = Self.bulkRequests(w)
            #expect(calls.count == 7, "\(calls.map { "\($0.method) \($0.path)" })")
            #expect(!w.salesforce.requestLog.dropFirst(before).contains { $0.path.contains("/composite/sobjects") })
            let counts = try w.store.statusCounts(job: "contacts-to-leads", run: summary.id)
            #expect(counts["created"] == 4999)
            let dead = try w.store.records(job: "contacts-to-leads", status: "rejected")
            #expect(dead.map(\.key) == ["200007"])
            #expect(dead.first?.errorCode == "DUPLICATE_EXTERNAL_ID")
            // The job's events and the store's list of bulk jobs agree.
            let done = try #require(try Self.events(w, summary.id, "bulk_job_done").first)
            #expect(done.payload["created"]?.intValue == 4999)
            #expect(done.payload["rejected"]?.intValue == 1)
            let rows = try w.store.bulkJobs(job: "contacts-to-leads")
            #expect(rows.count == 1)
            #expect(rows.first?.state == "finished")
            #expect(rows.first?.records == 5000)
        }

        @Test("a run of unknown size waits for the threshold's worth of records: bulk at 3,000, REST batches at 600")
        func deferredChoice() throws {
            for (n, bulk) in [(3000, true), (600, false)] {
                let w = try Self.world(n)
                defer { w.stop() }
                let before = w.salesforce.requestLog.count
                let (mapping, _) = try Incremental.compile(Self.mapping)
                let summary = try SyncRunner(
                    job: try Self.job(), mapping: mapping, version: "v1", source: UncountedSource(w.hubspotAdapter),
                    destination: w.salesforceAdapter, store: w.store, clock: PollClock()
                ).start()
                #expect(summary.state.phase == .completed)
                let path = try #require(try Self.events(w, summary.id, "write_path").first)
                let reason = path.payload["reason"]?.stringValue ?? ""
                #expect(path.payload["expected"] == nil)
                #expect(try w.store.statusCounts(job: "contacts-to-leads", run: summary.id)["created"] == n)
                let upserts = w.salesforce.requestLog.dropFirst(before).filter { $0.path.contains("/composite/sobjects/") }
                if bulk {
                    #expect(path.payload["path"]?.stringValue == "bulk")
                    #expect(reason.contains("2000 records waited to be sent before the first write"), "\(reason)")
                    #expect(w.salesforce.bulkJobs.map(\.records) == [3000])
                    #expect(upserts.isEmpty)
                } else {
                    #expect(path.payload["path"]?.stringValue == "rest")
                    #expect(reason.contains("600 records to send in this run, below the bulk threshold of 2000"), "\(reason)")
                    #expect(w.salesforce.bulkJobs.isEmpty)
                    #expect(upserts.count == 3)
                }
            }
        }

        @Test("below the threshold, REST batches; the command line and the job file override")
        func pathChoice() throws {
            let w = try Self.world(600)
            defer { w.stop() }
            let rest = try Self.runner(w, job: Self.job()).start()
            let restPath = try #require(try Self.events(w, rest.id, "write_path").first)
            #expect(restPath.payload["path"]?.stringValue == "rest")
            #expect(restPath.payload["reason"]?.stringValue?.contains("below the bulk threshold of 2000") == true)
            #expect(Self.bulkRequests(w).isEmpty)
            let forced = try Self.runner(w, job: Self.job(), writePath: .bulk).start()
            #expect(forced.state.phase == .completed)
            let forcedPath = try #require(try Self.events(w, forced.id, "write_path").first)
            #expect(forcedPath.payload["reason"]?.stringValue?.contains("the command line says `bulk`") == true)
            // The second full run reads everything; its records are unchanged and nothing is sent.
            #expect(w.salesforce.bulkJobs.count <= 1)
            let small = try Self.runner(w, job: Self.job(bulk: ["use": "bulk", "jobRecords": 250]), writePath: nil)
            let smallRun = try small.start()
            #expect(smallRun.state.phase == .completed)
            #expect(throws: JobError.self) { try Self.job(bulk: ["use": "sometimes"]).bulkSettings() }
            // A job file whose bulk settings are wrong is refused before a run exists.
            let runs = try w.store.runs(job: "contacts-to-leads").count
            #expect(throws: JobError.self) { try Self.runner(w, job: Self.job(bulk: ["use": "sometimes"])).start() }
            #expect(try w.store.runs(job: "contacts-to-leads").count == runs)
            #expect(throws: JobError.self) { try Self.job(bulk: ["threshold": 0]).bulkSettings() }
        }

        @Test("a job that fails half-way: the processed records are answered, the rest go again in a second job")
        func failsHalfWay() throws {
            let w = try Self.world(3000, faults: BulkFaults(recordsPerPoll: 1000, failAfterRecords: 2000))
            defer { w.stop() }
            let summary = try Self.runner(w, job: Self.job()).start()
            #expect(summary.state.phase == .completed)
            #expect(w.salesforce.bulkJobs.map(\.state) == ["Failed", "JobComplete"])
            #expect(w.salesforce.bulkJobs.map(\.records) == [3000, 1000])
            #expect(try w.store.statusCounts(job: "contacts-to-leads", run: summary.id)["created"] == 3000)
            let leads = try Self.leads(w)
            #expect(leads["distinct"]?.intValue == 3000)
            #expect(leads["duplicates"]?.objectValue?.isEmpty == true)
            let second = try #require(try Self.events(w, summary.id, "bulk_job").last)
            #expect(second.payload["attempt"]?.intValue == 2)
            #expect(second.payload["keys"]?.arrayValue?.count == 1000)
        }

        @Test("a poll that 503s is retried; results only partly ready are read again")
        func pollFailuresAndPartialResults() throws {
            let w = try Self.world(2500, faults: BulkFaults(recordsPerPoll: 1000, partialResults: 1, pollFailures: 1))
            defer { w.stop() }
            let summary = try Self.runner(w, job: Self.job()).start()
            #expect(summary.state.phase == .completed)
            #expect(w.salesforce.bulkJobs.count == 1)
            #expect(w.salesforce.requestLog.contains { $0.status == 503 && $0.path.contains("/jobs/ingest/") })
            #expect(try Self.events(w, summary.id, "retry").count == 1)
            let partial = try #require(try Self.events(w, summary.id, "bulk_results_partial").first)
            #expect(partial.payload["results"]?.intValue == 1250)
            #expect(try w.store.statusCounts(job: "contacts-to-leads", run: summary.id)["created"] == 2500)
        }

        @Test("a job the platform loses while it is polled: its records go again in a new job, each record once")
        func expiredJob() throws {
            let w = try Self.world(3000, faults: BulkFaults(recordsPerPoll: 1000))
            defer { w.stop() }
            let clock = PollClock()
            clock.onSleep = { n in if n == 1 { w.salesforce.expireBulkJobs() } }
            let summary = try Self.runner(w, job: Self.job(), clock: clock).start()
            #expect(summary.state.phase == .completed)
            #expect(try Self.events(w, summary.id, "bulk_job_gone").count == 1)
            #expect(w.salesforce.bulkJobs.count == 1)
            let leads = try Self.leads(w)
            #expect(leads["distinct"]?.intValue == 3000)
            #expect(leads["duplicates"]?.objectValue?.isEmpty == true)
            // Written before the job was lost and sent again: still counted as created.
            #expect(try w.store.statusCounts(job: "contacts-to-leads", run: summary.id)["created"] == 3000)
        }
    }
}
