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
            let schema = try h.adapter.describe(object: "contact")
            for record in page.records {
                for (name, value) in record.fields.objectValue ?? [] {
                    guard case .string = value, let type = schema.field(name)?.type else { continue }
                    #expect(![.int, .decimal, .bool].contains(type) || Double(value.stringValue!) == nil, "\(name)")
                }
            }
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
