import Adapters
import Foundation
import MapDSL
import Sandbox
import SyncEngine
import Testing

extension AdaptersTestSuite {
    /// One suite, run for every platform adapter against its emulator over loopback HTTP.
    @Suite("Adapter conformance")
    struct AdapterConformanceTests {
        @Test("fetches every page, full and incremental", arguments: ConformanceCase.readableCases)
        func fetchEveryPage(_ c: ConformanceCase) throws {
            let h = try Harness.start(c.platform, adapter: c.adapter)
            defer { h.stop() }
            let expected = h.server.recordCount(object: c.storedObject)
            #expect(expected > 20)
            for since in [nil, "2000-01-01T00:00:00Z"] {
                var cursor: String?
                var ids: [String] = []
                var pages = 0
                repeat {
                    let size = 10
                    let page = try h.adapter.fetch(
                        FetchRequest(object: c.object, cursor: cursor, modifiedSince: since, pageSize: size))
                    ids += page.records.map(\.id)
                    #expect(page.records.count <= size)
                    cursor = page.nextCursor
                    pages += 1
                } while cursor != nil && pages < 1000
                #expect(ids.count == expected, "since \(since ?? "nil")")
                #expect(Set(ids).count == expected)
                #expect(pages >= expected / 10)
            }
            let none = try h.adapter.fetch(FetchRequest(object: c.object, modifiedSince: "2100-01-01T00:00:00Z", pageSize: 10))
            #expect(none.records.isEmpty)
            #expect(none.nextCursor == nil)
        }

        @Test("upserting the same batch twice creates no duplicates", arguments: ConformanceCase.all)
        func upsertTwice(_ c: ConformanceCase) throws {
            let h = try Harness.start(c.platform, adapter: c.adapter)
            defer { h.stop() }
            let records = (0..<7).map { c.good($0, "twice") }
            let request = WriteRequest(
                object: c.object, keyField: c.keyField, mode: c.readable ? .upsert : .insertOnly, records: records)
            // Seed samples may hold duplicates of their own (dirty data on purpose); ours must add none.
            let seeded = try h.inspect(object: c.storedObject, key: c.storedKey)["duplicates"] ?? [:]
            let first = try h.adapter.write(request)
            let second = try h.adapter.write(request)
            #expect(first.count == records.count && second.count == records.count)
            #expect(first.allSatisfy { $0.status == .created }, "\(first)")
            #expect(second.allSatisfy { $0.status != .rejected }, "\(second)")
            if c.readable {
                #expect(second.allSatisfy { $0.status == .updated }, "\(second)")
            }
            let inspected = try h.inspect(object: c.storedObject, key: c.storedKey)
            #expect(inspected["duplicates"] == seeded, "\(inspected["duplicates"] ?? .null)")
            let stored = Set(
                (inspected["records"]?.arrayValue ?? []).compactMap { $0["fields"]?[c.storedKey].flatMap(\.stringValue)?.lowercased() })
            let wanted: [String] =
                c.platform == .ga4 ? records.map { $0.fields["client_id"]!.stringValue! } : records.map { $0.key.lowercased() }
            for key in wanted { #expect(stored.contains(key.lowercased()), "\(key) not stored") }
            if !c.readable {
                #expect(h.server.recordCount(object: c.storedObject) == records.count)
            }
        }

        @Test("a per-record rejection carries the platform's code and message", arguments: ConformanceCase.all)
        func rejection(_ c: ConformanceCase) throws {
            let h = try Harness.start(c.platform, adapter: c.adapter)
            defer { h.stop() }
            let good = c.good(1, "reject")
            let results = try h.adapter.write(
                WriteRequest(object: c.object, keyField: c.keyField, mode: c.readable ? .upsert : .insertOnly, records: [good, c.bad]))
            let bad = try #require(results.first { $0.key == c.bad.key })
            #expect(bad.status == .rejected)
            #expect(bad.errorCode == c.badCode)
            #expect(bad.message?.contains(c.badMessage) == true, "\(bad.message ?? "nil")")
            #expect(results.first { $0.key == good.key }?.status == .created)
        }

        @Test("a rate-limit refusal is waited out", arguments: ConformanceCase.all)
        func rateLimitWaitedOut(_ c: ConformanceCase) throws {
            var options = AdapterOptions(maxRetries: 8)
            options.limiterConfiguration.defaultThrottleWait = 0.3
            // The limiter waits on an injected clock: its waits are recorded, not slept.
            let clock = ManualLimiterClock()
            options.clock = clock
            let h = try Harness.start(c.platform, options: options, adapter: c.adapter)
            defer { h.stop() }
            // The next three requests are refused as over the limit, then the platform answers again.
            h.server.setFaults(FaultSwitches(rateLimitNext: 3))
            let request = WriteRequest(
                object: c.object, keyField: c.keyField, mode: c.readable ? .upsert : .insertOnly, records: [c.good(1, "storm")])
            if c.platform == .salesforce {
                // Salesforce signals an exhausted daily allocation (403 REQUEST_LIMIT_EXCEEDED): no point waiting.
                #expect {
                    try h.adapter.write(request)
                } throws: { error in
                    guard case .quotaExhausted(let quota) = error as? AdapterError else { return false }
                    return quota.quota == "salesforce daily API allocation" && quota.message.contains("TotalRequests")
                        && "\(quota)".hasPrefix("salesforce daily API allocation used up; ")
                }
                #expect(h.server.requestLog.filter { $0.path.hasPrefix(c.writePath) }.count == 1)
                return
            }
            let results = try h.adapter.write(request)
            #expect(results.map(\.status) == [.created])
            let writes = h.server.requestLog.filter { $0.path.hasPrefix(c.writePath) }
            #expect(writes.filter { $0.status == 429 }.count == 3, "\(writes.map(\.status))")
            #expect(writes.count == 4)
            #expect((200..<300).contains(writes.last?.status ?? 0))
            // Each refusal was waited out before the next attempt (at least the default wait each).
            #expect(clock.sleeps.filter { $0 > 0 }.count >= 3, "waits: \(clock.sleeps)")
        }

        @Test("a payload over the platform's limits is split, oversize records are never sent", arguments: ConformanceCase.all)
        func oversizeSplit(_ c: ConformanceCase) throws {
            let h = try Harness.start(c.platform, adapter: c.adapter)
            defer { h.stop() }
            let (records, oversize) = c.big()
            let results = try h.adapter.write(
                WriteRequest(object: c.object, keyField: c.keyField, mode: c.readable ? .upsert : .insertOnly, records: records))
            #expect(results.count == records.count)
            for result in results {
                if oversize.contains(result.key) {
                    #expect(result.status == .rejected)
                    #expect(result.errorCode != nil)
                } else {
                    #expect(result.status == .created, "\(result)")
                }
            }
            let writes = h.server.requestLog.filter { $0.path.hasPrefix(c.writePath) }
            let sendable = records.count - oversize.count
            #expect(writes.count >= (sendable + c.maxRecordsPerRequest - 1) / c.maxRecordsPerRequest)
            #expect(writes.count >= 2)
            for entry in writes {
                #expect((200..<300).contains(entry.status), "\(entry)")
                if let maxBody = c.maxBody { #expect(entry.bodyBytes <= maxBody) }
            }
            if let maxBody = c.maxBody, c.platform == .segment {
                // 60 × 20 KB cannot fit one 500 KB batch.
                #expect(writes.count >= 60 * 20_000 / maxBody + 1)
            }
        }

        @Test("find serves lookups and caches them", arguments: ConformanceCase.readableCases)
        func find(_ c: ConformanceCase) throws {
            let h = try Harness.start(c.platform, adapter: c.adapter)
            defer { h.stop() }
            let record = c.good(3, "find")
            _ = try h.adapter.write(WriteRequest(object: c.object, keyField: c.keyField, mode: .upsert, records: [record]))
            let found = try #require(try h.adapter.find(object: c.object, field: c.keyField, value: record.key))
            #expect(found[c.keyField].flatMap(\.stringValue)?.lowercased() == record.key.lowercased())
            let before = h.server.requestLog.count
            _ = try h.adapter.find(object: c.object, field: c.keyField, value: record.key)
            #expect(h.server.requestLog.count == before)
            #expect(try h.adapter.find(object: c.object, field: c.keyField, value: "nobody-\(UUID().uuidString)@example.com") == nil)
        }
    }
}
