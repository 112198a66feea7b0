import Adapters
import Foundation
import MapDSL
import Sandbox
import SyncEngine
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

extension AdaptersTestSuite {
    /// Counting a source for progress and ETA: one request, with the read's own filter, answered by
    /// the emulators as the platforms document (HubSpot search `total`, SOQL `SELECT COUNT()`'s
    /// `totalSize`, Mailchimp `total_items`), and the local files counted without a request.
    @Suite("Source counts", .serialized, .timeLimit(.minutes(3)))
    struct SourceCountTests {
        static let future = "2999-01-01T00:00:00Z"
        static let past = "2000-01-01T00:00:00Z"

        /// The requests the emulator saw after the first `before`.
        static func requests(_ h: Harness, after before: Int) -> [RequestLogEntry] { Array(h.server.requestLog.dropFirst(before)) }

        static func decoded(_ entry: RequestLogEntry) -> String {
            entry.query.map { ($0.replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? $0) }.joined(separator: "&")
        }

        @Test("HubSpot: the total of one search with limit 1, filtered on lastmodifieddate for an incremental read")
        func hubspotCountsWithOneSearch() throws {
            let h = try Harness.start(.hubspot)
            defer { h.stop() }
            let expected = h.server.recordCount(object: "contact")
            #expect(expected > 100)
            var before = h.server.requestLog.count
            #expect(try h.adapter.count(object: "contact", modifiedSince: nil) == expected)
            var seen = Self.requests(h, after: before)
            #expect(seen.count == 1 && seen[0].method == "POST" && seen[0].path == "/crm/v3/objects/contacts/search")
            before = h.server.requestLog.count
            #expect(try h.adapter.count(object: "contact", modifiedSince: Self.past) == expected)
            #expect(try h.adapter.count(object: "contact", modifiedSince: Self.future) == 0)
            seen = Self.requests(h, after: before)
            #expect(seen.count == 2 && seen.allSatisfy { $0.path == "/crm/v3/objects/contacts/search" })
        }

        @Test("Salesforce: SELECT COUNT() with the read's SystemModstamp filter, answered as totalSize with no records")
        func salesforceCountsWithOneCountQuery() throws {
            let h = try Harness.start(.salesforce)
            defer { h.stop() }
            let expected = h.server.recordCount(object: "Contact")
            #expect(expected > 10)
            let before = h.server.requestLog.count
            #expect(try h.adapter.count(object: "Contact", modifiedSince: nil) == expected)
            #expect(try h.adapter.count(object: "Contact", modifiedSince: Self.past) == expected)
            #expect(try h.adapter.count(object: "Contact", modifiedSince: Self.future) == 0)
            let seen = Self.requests(h, after: before)
            #expect(seen.count == 3)
            #expect(seen.allSatisfy { $0.method == "GET" && $0.path.hasSuffix("/query") && $0.status == 200 })
            #expect(Self.decoded(seen[0]).contains("q=SELECT COUNT() FROM Contact"), "\(Self.decoded(seen[0]))")
            #expect(Self.decoded(seen[2]).contains("WHERE SystemModstamp >= 2999-01-01T00:00:00Z"))
        }

        @Test("the Salesforce emulator answers COUNT() as the platform documents and refuses it with ORDER BY")
        func salesforceEmulatorCountQueryShape() throws {
            let h = try Harness.start(.salesforce)
            defer { h.stop() }
            func query(_ soql: String) throws -> (Int, JSONValue) {
                var components = URLComponents(
                    url: h.server.baseURL.appendingPathComponent("services/data/v59.0/query"), resolvingAgainstBaseURL: false)!
                components.queryItems = [URLQueryItem(name: "q", value: soql)]
                var request = URLRequest(url: components.url!)
                request.setValue("Bearer \(h.server.credential)", forHTTPHeaderField: "Authorization")
                let (status, body) = try HTTPProbe.send(request)
                return (status, try JSONParser.parse(Array(body)))
            }
            let (status, reply) = try query("SELECT COUNT() FROM Lead")
            #expect(status == 200)
            #expect(reply["totalSize"]?.intValue == h.server.recordCount(object: "Lead"))
            #expect(reply["done"] == true && reply["records"] == .array([]))
            #expect(try query("SELECT COUNT() FROM Lead LIMIT 5").1["totalSize"]?.intValue == 5)
            let (refused, error) = try query("SELECT COUNT() FROM Lead ORDER BY Id")
            #expect(refused == 400)
            #expect(error.arrayValue?.first?["errorCode"]?.stringValue == "MALFORMED_QUERY")
            #expect(try query("SELECT COUNT(), Id FROM Lead").0 == 400)
        }

        @Test("Mailchimp: total_items of one members listing with count=1 and fields=total_items")
        func mailchimpCountsWithOneListing() throws {
            let h = try Harness.start(.mailchimp)
            defer { h.stop() }
            let expected = h.server.recordCount(object: "member")
            #expect(expected > 10)
            let before = h.server.requestLog.count
            #expect(try h.adapter.count(object: "member", modifiedSince: nil) == expected)
            #expect(try h.adapter.count(object: "member", modifiedSince: Self.future) == 0)
            let seen = Self.requests(h, after: before)
            #expect(seen.count == 2 && seen.allSatisfy { $0.method == "GET" && $0.path.hasSuffix("/members") })
            #expect(seen[0].query.contains("count=1") && seen[0].query.contains("fields=total_items"))
            #expect(seen[1].query.contains { $0.hasPrefix("since_last_changed=") })
        }

        @Test(
            "JSONL counts lines that are not blank; SQLite counts rows with the read's filter", arguments: LocalAdapterTests.Kind.allCases)
        func localSourcesCount(_ kind: LocalAdapterTests.Kind) throws {
            let adapter = try LocalAdapterTests.make(kind)
            #expect(try adapter.count(object: "people", modifiedSince: nil) == (kind == .jsonl ? 0 : nil))
            let records = (0..<25).map { LocalAdapterTests.record($0, "n") }
            _ = try adapter.write(WriteRequest(object: "people", keyField: "id", mode: .upsert, records: records))
            #expect(try adapter.count(object: "people", modifiedSince: nil) == 25)
            let recent = try adapter.count(object: "people", modifiedSince: "2024-01-18T00:00:00Z")
            // SQLite filters as the read does; a JSONL file would have to be parsed: no count.
            #expect(recent == (kind == .sqlite ? 4 : nil))
        }

        @Test("a JSONL file's blank lines and a last line without a newline are counted as the read sees them")
        func jsonlCountMatchesTheRead() throws {
            let dir = Repository.temporaryDirectory()
            try "{\"id\":\"a\"}\n\n   \n{\"id\":\"b\"}\r\n{\"id\":\"c\"}".write(toFile: dir + "/x.jsonl", atomically: true, encoding: .utf8)
            let adapter = try AdapterFactory.make(platform: "jsonl", connection: Connection(platform: "jsonl", parameters: ["dir": dir]))
            #expect(try adapter.count(object: "x", modifiedSince: nil) == 3)
            #expect(try adapter.fetch(FetchRequest(object: "x", pageSize: 100)).records.count == 3)
        }

        /// End to end: a full sync from the HubSpot emulator to the Salesforce emulator knows its
        /// total from one count request (the emulator's log), records it, and reports it to the
        /// progress display; an incremental run counts only what it will read.
        @Test("a sync between the emulators gets its total with one count request and shows it in progress")
        func syncCountsItsSourceOnce() throws {
            let w = try IncrementalSyncTests.world(contacts: IncrementalSyncTests.contacts(300, messy: false))
            defer { w.stop() }
            let (mapping, lookupSchemas) = try IncrementalSyncTests.compile(
                try String(contentsOf: Repository.root.appendingPathComponent("samples/mappings/contacts-to-leads.map"), encoding: .utf8))
            final class Totals: @unchecked Sendable {
                let lock = NSLock()
                var seen: [Int?] = []
            }
            let totals = Totals()
            var options = SyncOptions()
            options.progress = { p in totals.lock.withLock { totals.seen.append(p.total) } }
            func runner() throws -> SyncRunner {
                SyncRunner(
                    job: try IncrementalSyncTests.job(), mapping: mapping, version: "v1", source: w.hubspotAdapter,
                    destination: w.salesforceAdapter, store: w.store, lookupSchemas: lookupSchemas, options: options)
            }
            let first = try runner().start()
            #expect(first.state.phase == .completed)
            let searches = w.hubspot.requestLog.filter { $0.method == "POST" && $0.path == "/crm/v3/objects/contacts/search" }
            #expect(searches.count == 1, "a full read lists; its only search is the count")
            let counted = try w.store.events(types: ["source_counted"], run: first.id)
            #expect(counted.count == 1)
            #expect(counted.first?.payload["total"]?.intValue == 300)
            #expect(!totals.seen.isEmpty && totals.lock.withLock { totals.seen.allSatisfy { $0 == 300 } })

            // Nothing changed: the incremental run's count (with the read's filter) finds only the
            // records at the mark (the overlap), with one more search.
            let before = w.hubspot.requestLog.count
            totals.lock.withLock { totals.seen = [] }
            let second = try runner().start()
            #expect(second.state.phase == .completed)
            let since = try #require(second.info["modifiedSince"]?.stringValue)
            let again = try #require(try w.store.events(types: ["source_counted"], run: second.id).first)
            #expect(again.payload["modifiedSince"]?.stringValue == since)
            let total = try #require(again.payload["total"]?.intValue)
            #expect(total < 300)
            let read = try w.store.statusCounts(job: "contacts-to-leads", run: second.id).values.reduce(0, +)
            #expect(read == total, "the count has the read's filter")
            #expect(w.hubspot.requestLog.dropFirst(before).filter { $0.path.hasSuffix("/search") }.count >= 2)
        }
    }
}

/// One HTTP request from a test, waited for.
enum HTTPProbe {
    static func send(_ request: URLRequest) throws -> (Int, Data) {
        final class Box: @unchecked Sendable {
            var status = 0
            var data: Data?
        }
        let box = Box()
        let done = DispatchSemaphore(value: 0)
        URLSession.shared.dataTask(with: request) { data, response, _ in
            box.data = data
            box.status = (response as? HTTPURLResponse)?.statusCode ?? 0
            done.signal()
        }.resume()
        done.wait()
        guard let data = box.data else { throw HarnessError(message: "no reply from \(request.url?.absoluteString ?? "?")") }
        return (box.status, data)
    }
}
