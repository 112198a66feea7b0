import Foundation
import HTTPServer
import MapDSL
import SyncEngine
import Testing

@testable import Adapters

extension AdaptersTestSuite {
    /// The HubSpot search cursor as a plain value, and per-record transient errors as each adapter
    /// reads them from the platform's answer.
    @Suite("Incremental reads and transient rejections")
    struct IncrementalReadUnitTests {
        static let t: Int64 = 1_714_564_800_000

        @Test("the search cursor goes on from the last time seen, reads ties by id, and survives its text")
        func searchCursorTransitions() {
            let start = HubSpotSearchCursor(since: "2024-05-01T12:00:00Z")
            #expect(start == .from(millis: Self.t, seen: []))
            // Progress: the next search starts at the last record's time, less the records read there.
            let page = [("1", Self.t), ("2", Self.t + 5), ("3", Self.t + 9), ("4", Self.t + 9)].map { (id: $0.0, millis: Int64?($0.1)) }
            #expect(start?.next(after: page, more: true) == .from(millis: Self.t + 9, seen: ["3", "4"]))
            #expect(start?.next(after: page, more: false) == nil)
            // A whole page at the time it started from: that time's records are read by id.
            let stuck = [("8", Self.t), ("9", Self.t)].map { (id: $0.0, millis: Int64?($0.1)) }
            let tie = HubSpotSearchCursor.from(millis: Self.t, seen: ["7"]).next(after: stuck, more: true)
            #expect(tie == .tie(millis: Self.t, afterID: ""))
            #expect(tie?.next(after: stuck, more: true) == .tie(millis: Self.t, afterID: "9"))
            #expect(tie?.next(after: stuck, more: false) == .after(millis: Self.t))
            // More ties at the page's last time than a cursor carries: read by id too.
            let crowd = (0...HubSpotSearchCursor.maxSeen).map { (id: String($0), millis: Int64?(Self.t + 1)) }
            #expect(start?.next(after: crowd, more: true) == .tie(millis: Self.t + 1, afterID: ""))
            for cursor in [
                HubSpotSearchCursor.from(millis: Self.t, seen: ["1", "2"]), .from(millis: 0, seen: []), .tie(millis: Self.t, afterID: "42"),
                .after(millis: Self.t),
            ] {
                #expect(HubSpotSearchCursor(text: cursor.text) == cursor)
            }
            #expect(HubSpotSearchCursor(text: "s:2024-05-01T12:00:00.000Z|400") == .from(millis: Self.t, seen: []))
            #expect(HubSpotSearchCursor(text: "a:100") == nil)
            #expect(HubSpotSearchCursor(text: "k:x|") == nil)
            #expect(start?.alreadyRead(id: "1", millis: Self.t) == false)
            #expect(HubSpotSearchCursor.from(millis: Self.t, seen: ["1"]).alreadyRead(id: "1", millis: Self.t))
        }

        @Test("the search filters: GTE the time, GT after a tie, EQ the time and GT the id by id within one")
        func searchCursorQueries() {
            func filters(_ c: HubSpotSearchCursor) -> String {
                let (groups, sorts) = c.query(modified: "lastmodifieddate")
                return JSONWriter.compact(groups) + " " + JSONWriter.compact(sorts)
            }
            #expect(filters(.from(millis: 5, seen: [])).contains(#""operator":"GTE","value":"5""#))
            #expect(filters(.after(millis: 5)).contains(#""operator":"GT","value":"5""#))
            let tie = filters(.tie(millis: 5, afterID: "77"))
            #expect(
                tie.contains(#""operator":"EQ","value":"5""#)
                    && tie.contains(#""propertyName":"hs_object_id","operator":"GT","value":"77""#))
            #expect(tie.contains(#"[{"propertyName":"hs_object_id","direction":"ASCENDING"}]"#))
        }

        static func platformErrors(_ platform: String) throws -> TransientErrors {
            try TransientErrors.load(platform: platform, directory: Repository.root.appendingPathComponent("platforms").path)
        }

        @Test("HubSpot per-input 429 and 5xx inside a 207 are transient; a validation error is not")
        func hubspotMultiStatusTransients() throws {
            let records = ["a", "b", "c", "d"].map { OutboundRecord(key: "\($0)@example.com", fields: [("firstname", "X")]) }
            func error(_ key: String, status: String, category: String) -> JSONValue {
                [
                    "status": .string(status), "category": .string(category), "message": "failed",
                    "context": ["ids": [.string(key)]], "errors": [],
                ]
            }
            let reply: JSONValue = [
                "status": "COMPLETE",
                "results": [["id": "1", "new": false, "properties": ["email": "d@example.com"]]],
                "errors": [
                    error("a@example.com", status: "429", category: "RATE_LIMITS"),
                    error("b@example.com", status: "503", category: "SERVICE_UNAVAILABLE"),
                    error("c@example.com", status: "error", category: "VALIDATION_ERROR"),
                ],
            ]
            let results = try HubSpotAdapter.results(
                reply, records: records, keyField: "email", operation: "upsert", transient: try Self.platformErrors("hubspot"))
            let byKey = Dictionary(uniqueKeysWithValues: results.map { ($0.key, $0) })
            #expect(byKey["a@example.com"]?.transient == true)
            #expect(byKey["b@example.com"]?.transient == true)
            #expect(byKey["c@example.com"]?.transient == false && byKey["c@example.com"]?.status == .rejected)
            #expect(byKey["d@example.com"]?.status == .updated)
        }

        @Test("a Salesforce row locked by another transaction is a transient rejection")
        func salesforceLockedRowIsTransient() throws {
            var router = Router()
            router.add("PATCH", "/services/data/v59.0/composite/sobjects/Lead/Email") { _ in
                .text(
                    #"[{"success":false,"errors":[{"statusCode":"UNABLE_TO_LOCK_ROW","message":"unable to obtain exclusive access to this record","fields":[]}]},{"success":false,"errors":[{"statusCode":"INVALID_EMAIL_ADDRESS","message":"Email: invalid email address","fields":["Email"]}]},{"success":true,"created":true,"id":"00Q000000000001"}]"#
                )
            }
            let server = try HTTPServer.start(router: router)
            defer { server.stop() }
            let connection = Connection(platform: "salesforce", baseURL: server.baseURL, credential: Secret("token"))
            let adapter = try AdapterFactory.make(
                platform: "salesforce", connection: connection,
                options: AdapterOptions(platformsDirectory: Repository.root.appendingPathComponent("platforms").path))
            let results = try adapter.write(
                WriteRequest(
                    object: "Lead", keyField: "Email", mode: .upsert,
                    records: ["a", "b", "c"].map { OutboundRecord(key: "\($0)@example.com", fields: [("LastName", "X")]) }))
            #expect(results.map(\.transient) == [true, false, false])
            #expect(results.map(\.errorCode) == ["UNABLE_TO_LOCK_ROW", "INVALID_EMAIL_ADDRESS", nil])
        }
    }
}
