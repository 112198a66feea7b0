import Adapters
import Foundation
import MapDSL
import Sandbox
import SyncEngine

/// What the conformance suite needs to know about one adapter and its emulator.
struct ConformanceCase: Sendable, CustomStringConvertible {
    let platform: SandboxPlatform
    /// The adapter's object name.
    let object: String
    /// The emulator's object name for inspection.
    let storedObject: String
    let keyField: String
    /// The stored field that holds the key (for duplicate checks).
    let storedKey: String
    /// Whether the platform can be read (write-only APIs cannot).
    let readable: Bool
    /// Path prefix of write requests in the emulator's log.
    let writePath: String
    /// Records per write request.
    let maxRecordsPerRequest: Int
    /// Bytes per write request, when limited.
    let maxBody: Int?
    let good: @Sendable (Int, String) -> OutboundRecord
    let bad: OutboundRecord
    let badCode: String
    let badMessage: String
    /// Records over the platform's limits, and the keys that must be refused unsent.
    let big: @Sendable () -> (records: [OutboundRecord], oversize: [String])
    /// The adapter to build instead of the platform's built-in one (`spec:mailchimp`: the generic
    /// adapter over `adapters/mailchimp.json`).
    var adapter: String? = nil

    var description: String { "\(adapter ?? platform.rawValue).\(object)" }

    static let all: [ConformanceCase] = [hubspot, salesforce, mailchimp, segment, ga4] + DeclarativeCases.all
    static let readableCases = all.filter(\.readable)

    static let hubspot = ConformanceCase(
        platform: .hubspot, object: "contact", storedObject: "contact", keyField: "email", storedKey: "email",
        readable: true, writePath: "/crm/v3/objects/contacts/batch/upsert", maxRecordsPerRequest: 100, maxBody: nil,
        good: { index, tag in
            OutboundRecord(
                key: "conf\(index)-\(tag)@example.com",
                fields: [("email", .string("conf\(index)-\(tag)@example.com")), ("firstname", "Conf"), ("lastname", .string("N\(index)"))])
        },
        bad: OutboundRecord(key: "not-an-email", fields: [("email", "not-an-email"), ("lastname", "Bad")]),
        badCode: "INVALID_EMAIL", badMessage: "Email address not-an-email is invalid",
        big: {
            let records = (0..<250).map { OutboundRecord(key: "big\($0)@example.com", fields: [("lastname", .string("Big \($0)"))]) }
            return (records, [])
        })

    static let salesforce = ConformanceCase(
        platform: .salesforce, object: "Lead", storedObject: "Lead", keyField: "External_Id__c", storedKey: "External_Id__c",
        readable: true, writePath: "/services/data/v59.0/composite/sobjects/Lead", maxRecordsPerRequest: 200, maxBody: nil,
        good: { index, tag in
            OutboundRecord(
                key: "conf-\(tag)-\(index)",
                fields: [("LastName", .string("N\(index)")), ("Company", "Conformance Inc"), ("Status", "Open - Not Contacted")])
        },
        bad: OutboundRecord(key: "conf-bad", fields: [("LastName", "Bad"), ("Status", "Open - Not Contacted")]),
        badCode: "REQUIRED_FIELD_MISSING", badMessage: "Required fields are missing: [Company]",
        big: {
            let records = (0..<450).map {
                OutboundRecord(
                    key: "big-\($0)",
                    fields: [("LastName", .string("Big \($0)")), ("Company", "Big Co"), ("Status", "Open - Not Contacted")])
            }
            return (records, [])
        })

    static let mailchimp = ConformanceCase(
        platform: .mailchimp, object: "member", storedObject: "member", keyField: "email_address", storedKey: "email_address",
        readable: true, writePath: "/3.0/lists/sandboxlist", maxRecordsPerRequest: 500, maxBody: nil,
        good: { index, tag in
            OutboundRecord(
                key: "conf\(index)-\(tag)@example.com",
                fields: [
                    ("email_address", .string("conf\(index)-\(tag)@example.com")), ("status", "subscribed"),
                    ("merge_fields.FNAME", "Conf"),
                ])
        },
        bad: OutboundRecord(key: "bad-email", fields: [("email_address", "bad-email"), ("status", "subscribed")]),
        badCode: "ERROR_GENERIC", badMessage: "bad-email looks fake or invalid",
        big: {
            let records = (0..<1200).map {
                OutboundRecord(
                    key: "big\($0)@example.com", fields: [("email_address", .string("big\($0)@example.com")), ("status", "subscribed")])
            }
            return (records, [])
        })

    static let segment = ConformanceCase(
        platform: .segment, object: "identify", storedObject: "identify", keyField: "messageId", storedKey: "messageId",
        readable: false, writePath: "/v1/batch", maxRecordsPerRequest: 2500, maxBody: 512_000,
        good: { index, tag in
            OutboundRecord(
                key: "msg-\(tag)-\(index)",
                fields: [("userId", .string("user-\(index)")), ("traits.email", .string("u\(index)@example.com"))])
        },
        bad: OutboundRecord(key: "msg-bad", fields: [("traits.email", "anonymous@example.com")]),
        badCode: "no_user_anon_id", badMessage: "userId or anonymousId",
        big: {
            var records = (0..<60).map {
                OutboundRecord(
                    key: "big-\($0)",
                    fields: [("userId", .string("user-\($0)")), ("traits.description", .string(String(repeating: "x", count: 20_000)))])
            }
            records.append(
                OutboundRecord(
                    key: "huge", fields: [("userId", "user-huge"), ("traits.description", .string(String(repeating: "y", count: 40_000)))]))
            return (records, ["huge"])
        })

    static let ga4 = ConformanceCase(
        platform: .ga4, object: "event", storedObject: "event", keyField: "event_key", storedKey: "client_id",
        readable: false, writePath: "/mp/collect", maxRecordsPerRequest: 25, maxBody: 130_000,
        good: { index, tag in
            OutboundRecord(
                key: "evt-\(tag)-\(index)",
                fields: [("client_id", .string("\(tag).\(index)")), ("name", "conformance_event"), ("params.value", .int(index))])
        },
        bad: OutboundRecord(key: "evt-bad", fields: [("client_id", "bad.1"), ("name", "session_start")]),
        badCode: "NAME_RESERVED", badMessage: "Event name session_start is reserved",
        big: {
            let records = (0..<60).map {
                OutboundRecord(
                    key: "big-\($0)",
                    fields: [("client_id", "big.1"), ("name", "big_event"), ("params.note", .string(String(repeating: "z", count: 90)))])
            }
            return (records, [])
        })
}
