import Foundation
import MapDSL
import Sandbox
import SyncEngine
import Testing

@testable import Adapters

extension AdaptersTestSuite {
    /// Bulk API 2.0 ingest through the adapter against the Salesforce emulator: CSV quoting, results
    /// by record, the job's states.
    @Suite("Salesforce Bulk API 2.0", .serialized, .timeLimit(.minutes(2)))
    struct SalesforceBulkTests {
        static func lead(_ i: Int, email: String? = nil, description: JSONValue = "plain") -> OutboundRecord {
            OutboundRecord(
                key: "HS-\(i)",
                fields: [
                    ("HubSpot_Contact_Id__c", .string("HS-\(i)")), ("LastName", .string("Last\(i)")),
                    ("Company", .string("Acme, Inc. \"West\"")), ("Status", "Open - Not Contacted"),
                    ("Email", .string(email ?? "p\(i)@example.com")), ("Description", description),
                    ("NumberOfEmployees", .int(i)), ("HasOptedOutOfEmail", .bool(i % 2 == 0)),
                ])
        }

        static func request(_ records: [OutboundRecord]) -> WriteRequest {
            WriteRequest(object: "Lead", keyField: "HubSpot_Contact_Id__c", mode: .upsert, records: records)
        }

        /// Runs a job to its end the way the engine does, polling until it is over.
        static func run(_ bulk: any BulkWriter, _ request: WriteRequest) throws -> (BulkJobState, BulkJobResults, polls: Int) {
            let id = try bulk.createBulkJob(request)
            try bulk.uploadBulkJob(id, request)
            try bulk.closeBulkJob(id)
            var polls = 0
            var state = BulkJobState.open
            while !state.isOver {
                polls += 1
                state = try bulk.bulkJobState(id)
                #expect(polls < 100)
                if polls >= 100 { break }
            }
            return (state, try bulk.bulkJobResults(id, request), polls)
        }

        @Test("upserts by external id with quoting, newlines and nulls; every record answered with sf__Id or sf__Error")
        func upsertRoundTrip() throws {
            let harness = try Harness.start(.salesforce) { $0.bulkFaults = BulkFaults(recordsPerPoll: 10) }
            defer { harness.stop() }
            let bulk = try #require(harness.adapter as? any BulkWriter)
            var records = (0..<25).map { Self.lead($0) }
            records[3] = Self.lead(3, description: "line one\nline \"two\", with comma")
            records[7] = Self.lead(7, email: "not-an-address")
            records[9] = Self.lead(9, description: .null)
            let (state, results, polls) = try Self.run(bulk, Self.request(records))
            #expect(state == .finished(processed: 25, failed: 1))
            // 25 records at 10 per status request: three requests to finish.
            #expect(polls == 3)
            #expect(results.complete)
            #expect(results.unprocessed.isEmpty)
            #expect(results.results.count == 25)
            let byKey = Dictionary(uniqueKeysWithValues: results.results.map { ($0.key, $0) })
            #expect(byKey["HS-0"]?.status == .created)
            #expect(byKey["HS-0"]?.destinationId?.hasPrefix("00Q") == true)
            let rejected = try #require(byKey["HS-7"])
            #expect(rejected.status == .rejected)
            #expect(rejected.errorCode == "INVALID_EMAIL_ADDRESS")
            #expect(rejected.field == "Email")
            let stored = try harness.inspect(object: "Lead", key: "HubSpot_Contact_Id__c")
            let rows = stored["records"]?.arrayValue ?? []
            func fields(_ key: String) -> JSONValue? {
                rows.first { $0["fields"]?["HubSpot_Contact_Id__c"]?.stringValue == key }?["fields"]
            }
            #expect(fields("HS-3")?["Description"]?.stringValue == "line one\nline \"two\", with comma")
            #expect(fields("HS-3")?["Company"]?.stringValue == "Acme, Inc. \"West\"")
            #expect(fields("HS-9")?["Description"] == .null)
            #expect(fields("HS-4")?["HasOptedOutOfEmail"] == .bool(true))
            // Sent again: every record is an update now.
            let (_, again, _) = try Self.run(bulk, Self.request(records))
            #expect(again.results.filter { $0.status == .updated }.count == 24)
            #expect(harness.server.bulkJobs.count == 2)
        }

        @Test("a job that fails half-way: results for the processed records, the rest unprocessed")
        func failedHalfWay() throws {
            let harness = try Harness.start(.salesforce) { $0.bulkFaults = BulkFaults(recordsPerPoll: 10, failAfterRecords: 12) }
            defer { harness.stop() }
            let bulk = try #require(harness.adapter as? any BulkWriter)
            let (state, results, _) = try Self.run(bulk, Self.request((0..<30).map { Self.lead($0) }))
            guard case .failed(let processed, let message) = state else {
                Issue.record("expected a failed job, got \(state)")
                return
            }
            #expect(processed == 12)
            #expect(message.contains("12 records"))
            #expect(results.results.count == 12)
            #expect(results.unprocessed.count == 18)
            #expect(results.complete)
        }

        @Test("partly ready results are reported incomplete; a 503 on a poll is retried; an expired job is gone")
        func faults() throws {
            var options = AdapterOptions()
            options.maxRetries = 0
            let harness = try Harness.start(.salesforce, options: options) {
                $0.bulkFaults = BulkFaults(recordsPerPoll: 100, partialResults: 1, pollFailures: 1)
            }
            defer { harness.stop() }
            let bulk = try #require(harness.adapter as? any BulkWriter)
            let request = Self.request((0..<20).map { Self.lead($0) })
            let id = try bulk.createBulkJob(request)
            try bulk.uploadBulkJob(id, request)
            try bulk.closeBulkJob(id)
            #expect(throws: AdapterError.self) { try bulk.bulkJobState(id) }
            #expect(try bulk.bulkJobState(id) == .finished(processed: 20, failed: 0))
            let partial = try bulk.bulkJobResults(id, request)
            #expect(!partial.complete)
            #expect(partial.results.count == 10)
            let full = try bulk.bulkJobResults(id, request)
            #expect(full.complete)
            #expect(full.results.count == 20)
            harness.server.expireBulkJobs()
            #expect(try bulk.bulkJobState(id) == .gone)
        }

        @Test("update needs Id, insert-only is refused, a second upload fails the job when it is closed")
        func operations() throws {
            let harness = try Harness.start(.salesforce)
            defer { harness.stop() }
            let bulk = try #require(harness.adapter as? any BulkWriter)
            #expect(bulk.bulkRefusal(object: "Lead", keyField: "Email", mode: .updateOnly) != nil)
            #expect(bulk.bulkRefusal(object: "Lead", keyField: "Id", mode: .updateOnly) == nil)
            #expect(bulk.bulkRefusal(object: "Lead", keyField: "HubSpot_Contact_Id__c", mode: .insertOnly) != nil)
            let request = Self.request((0..<3).map { Self.lead($0) })
            let id = try bulk.createBulkJob(request)
            try bulk.uploadBulkJob(id, request)
            try bulk.uploadBulkJob(id, request)
            try bulk.closeBulkJob(id)
            guard case .failed(0, let message) = try bulk.bulkJobState(id) else {
                Issue.record("a job with two uploads must fail")
                return
            }
            #expect(message.contains("multiple contents"))
            let results = try bulk.bulkJobResults(id, request)
            #expect(results.unprocessed.count == 3)
        }

        @Test("a large first read goes through a Bulk API 2.0 query job and reads what REST reads, typed alike")
        func bulkQueryFirstRead() throws {
            let harness = try Harness.start(.salesforce) { $0.bulkFaults = BulkFaults(recordsPerPoll: 20_000) }
            defer { harness.stop() }
            let bulk = try #require(harness.adapter as? any BulkWriter)
            let written = try Self.run(bulk, Self.request((0..<12_000).map { Self.lead($0) }))
            #expect(written.1.results.count == 12_000)
            let fields = ["Id", "HubSpot_Contact_Id__c", "LastName", "NumberOfEmployees", "HasOptedOutOfEmail", "Description"]
            func read(_ adapter: any PlatformAdapter) throws -> [SourceRecord] {
                var records: [SourceRecord] = []
                var cursor: String?
                repeat {
                    let page = try adapter.fetch(FetchRequest(object: "Lead", cursor: cursor, pageSize: 2000, fields: fields))
                    records += page.records
                    cursor = page.nextCursor
                } while cursor != nil
                return records
            }
            let before = harness.server.requestLog.count
            let viaBulk = try read(harness.adapter)
            let requests = harness.server.requestLog.dropFirst(before)
            #expect(requests.contains { $0.method == "POST" && $0.path.hasSuffix("/jobs/query") })
            // The first REST page (which told the size), the job, one status request, one results page,
            // the describe that types the CSV values.
            #expect(requests.count == 5, "\(requests.map { "\($0.method) \($0.path)" })")
            let rest = try AdapterFactory.make(
                platform: "salesforce",
                connection: Connection(
                    platform: "salesforce", baseURL: harness.server.baseURL, credential: Secret(harness.server.credential),
                    parameters: ["bulk_query": "off"]),
                options: AdapterOptions(
                    registry: try RateLimitRegistry.load(platform: "salesforce", directory: Repository.rateLimits)))
            let viaREST = try read(rest)
            #expect(viaBulk.count == viaREST.count)
            #expect(viaBulk.count >= 12_000)
            let restByID = Dictionary(uniqueKeysWithValues: viaREST.map { ($0.id, $0) })
            for record in viaBulk.prefix(200) + viaBulk.suffix(200) {
                let other = try #require(restByID[record.id])
                for name in ["HubSpot_Contact_Id__c", "LastName", "NumberOfEmployees", "HasOptedOutOfEmail", "Description"] {
                    #expect(record.fields[name] == other.fields[name], "\(record.id) \(name)")
                }
                #expect(record.modified != nil)
            }
        }

        @Test("CSV cells: quoted when they hold a comma, quote, CR or LF; read back the same")
        func csvRoundTrip() throws {
            let cells = ["plain", "a,b", "say \"hi\"", "two\nlines", "cr\r\nlf", "", " spaced ", "#N/A", "ünïcödé"]
            var out: [UInt8] = []
            BulkCSV.appendRow(["h1", "h2", "h3", "h4", "h5", "h6", "h7", "h8", "h9"], ending: .crlf, to: &out)
            BulkCSV.appendRow(cells, ending: .crlf, to: &out)
            let parsed = try BulkCSV.parse(Data(out))
            #expect(parsed.rows == [cells])
            #expect(String(decoding: out, as: UTF8.self).contains("\"say \"\"hi\"\"\""))
            #expect(BulkCSV.text(.null) == "#N/A")
            #expect(BulkCSV.text("") == "#N/A")
            #expect(BulkCSV.text(.array(["a", "b"])) == "a;b")
            #expect(throws: BulkCSV.Malformed.self) { try BulkCSV.parse(Data("a,b\n\"open,x\n".utf8)) }
        }

        @Test("sf__Error text: code, message and fields")
        func errorText() {
            let e = BulkError("REQUIRED_FIELD_MISSING:Required fields are missing: [LastName]:LastName --")
            #expect(e.code == "REQUIRED_FIELD_MISSING")
            #expect(e.message == "Required fields are missing: [LastName]")
            #expect(e.fields == ["LastName"])
            let bare = BulkError("DUPLICATE_VALUE:duplicate value found: Email:--")
            #expect(bare.code == "DUPLICATE_VALUE")
            #expect(bare.fields.isEmpty)
            #expect(BulkError("something odd happened").code == nil)
        }
    }
}
