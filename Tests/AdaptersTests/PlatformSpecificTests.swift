import Adapters
import Foundation
import MapDSL
import Sandbox
import SyncEngine
import Testing

extension AdaptersTestSuite {
    /// Behaviour that only some platforms have, against their emulators.
    @Suite("Platform specifics")
    struct PlatformSpecificTests {
        @Test("HubSpot insert-only creates with trace ids and reports conflicts per record")
        func hubspotCreate() throws {
            let h = try Harness.start(.hubspot)
            defer { h.stop() }
            let existing = try #require(
                try h.adapter.fetch(FetchRequest(object: "contact", pageSize: 1, fields: ["email"])).records.first?.fields["email"]?
                    .stringValue)
            let records = [
                OutboundRecord(key: "t1", fields: [("email", "create1@example.com"), ("lastname", "One")]),
                OutboundRecord(key: "t2", fields: [("email", .string(existing)), ("lastname", "Clash")]),
                OutboundRecord(key: "t3", fields: [("email", "create3@example.com"), ("lastname", "Three")]),
            ]
            let results = try h.adapter.write(WriteRequest(object: "contact", keyField: "email", mode: .insertOnly, records: records))
            #expect(results.first { $0.key == "t1" }?.status == .created)
            #expect(results.first { $0.key == "t3" }?.status == .created)
            let clash = try #require(results.first { $0.key == "t2" })
            #expect(clash.status == .rejected && clash.errorCode == "CONFLICT")
            #expect(clash.message?.contains("already exists") == true)
        }

        @Test("HubSpot fetch types string values from the described schema")
        func hubspotTyping() throws {
            let h = try Harness.start(.hubspot)
            defer { h.stop() }
            let page = try h.adapter.fetch(FetchRequest(object: "contact", pageSize: 20))
            try #require(page.records.count == 20, "the page has \(page.records.count) records")
            // The contacts the emulator serves, as written in the sample file (a second reading,
            // independent of the adapter): HubSpot sends each of these values as a string.
            var samples: [String: JSONValue] = [:]
            for line in try String(contentsOfFile: Repository.root.path + "/samples/hubspot/contact.jsonl", encoding: .utf8)
                .split(separator: "\n")
            {
                let record = try JSONParser.parse(String(line))
                if let id = record["hs_object_id"]?.stringValue { samples[id] = record }
            }
            // Per type of the shipped schema, the fields the adapter must convert and those it must leave as text.
            let bools = ["hs_email_optout", "hs_marketable_status"]
            let ints = ["hs_analytics_num_visits", "num_associated_deals"]
            let texts = ["email", "lastname", "createdate", "lastmodifieddate"]
            var seen: [String: Int] = [:]
            for record in page.records {
                let sample = try #require(samples[record.id], "record \(record.id) is not in the samples")
                for name in bools + ints + texts {
                    let raw: String
                    switch sample[name] {
                    case .string(let text)?: raw = text
                    case .int(let n)?: raw = String(n)
                    case .bool(let b)?: raw = String(b)
                    default: continue
                    }
                    let got = record.fields[name]
                    if bools.contains(name) {
                        #expect(got == .bool(raw == "true"), "\(record.id).\(name): \(String(describing: got)) for \"\(raw)\"")
                        seen["bool", default: 0] += 1
                    } else if ints.contains(name) {
                        #expect(got == Int(raw).map(JSONValue.int), "\(record.id).\(name): \(String(describing: got)) for \"\(raw)\"")
                        seen["int", default: 0] += 1
                    } else {
                        #expect(got == .string(raw), "\(record.id).\(name): \(String(describing: got)) for \"\(raw)\"")
                        seen["text", default: 0] += 1
                    }
                }
            }
            // Every kind was met on the page (an empty or untyped page fails above or here).
            #expect(seen["bool", default: 0] >= 20 && seen["int", default: 0] >= 20 && seen["text", default: 0] >= 40, "\(seen)")
        }

        @Test("Mailchimp members with status_if_new are added or updated by subscriber hash")
        func mailchimpPut() throws {
            // The adapter tells a created member from an updated one by its timestamps: the sandbox's
            // clock moves a second per reading, as time passes between two real writes (on loopback
            // both fall within one millisecond).
            let clock = TickingClock()
            let h = try Harness.start(.mailchimp) { $0.clock = clock.now }
            defer { h.stop() }
            let record = OutboundRecord(
                key: "New.Person@Example.com",
                fields: [("email_address", "New.Person@Example.com"), ("status_if_new", "pending"), ("merge_fields.FNAME", "New")])
            let request = WriteRequest(object: "member", keyField: "email_address", mode: .upsert, records: [record])
            #expect(try h.adapter.write(request).map(\.status) == [.created])
            #expect(try h.adapter.write(request).map(\.status) == [.updated])
            let hash = MailchimpAdapter.subscriberHash("new.person@example.com")
            #expect(h.server.requestLog.contains { $0.method == "PUT" && $0.path.hasSuffix("/members/\(hash)") })
            let found = try #require(try h.adapter.find(object: "member", field: "email_address", value: "NEW.person@example.com"))
            #expect(found["status"] == "pending")
            #expect(found["merge_fields.FNAME"] == "New")
        }

        @Test("GA4 with validate=true asks /debug/mp/collect before sending")
        func ga4RemoteValidation() throws {
            let h = try Harness.start(.ga4, parameters: ["validate": "true"])
            defer { h.stop() }
            let long = String(repeating: "v", count: 37)
            let records = [
                OutboundRecord(key: "e1", fields: [("client_id", "c.1"), ("name", "good_event")]),
                OutboundRecord(key: "e2", fields: [("client_id", "c.1"), ("name", "other_event")]),
                OutboundRecord(
                    key: "e3", fields: [("client_id", "c.2"), ("name", "third"), ("user_properties.tier.value", .string(long))]),
            ]
            let results = try h.adapter.write(WriteRequest(object: "event", keyField: "k", mode: .insertOnly, records: records))
            #expect(results.filter { $0.status == .created }.map(\.key).sorted() == ["e1", "e2"])
            #expect(results.first { $0.key == "e3" }?.errorCode == "VALUE_OUT_OF_BOUNDS")
            #expect(h.server.recordCount(object: "event") == 2)
            let paths = h.server.requestLog.map(\.path)
            #expect(paths == ["/debug/mp/collect", "/mp/collect"])
        }
    }
}

/// A clock a second later at every reading.
final class TickingClock: @unchecked Sendable {
    private let lock = NSLock()
    // Guarded by `lock`.
    private var seconds = 0.0

    @Sendable func now() -> Date {
        lock.withLock {
            seconds += 1
            return Date(timeIntervalSince1970: 1_735_689_600 + seconds)
        }
    }
}
