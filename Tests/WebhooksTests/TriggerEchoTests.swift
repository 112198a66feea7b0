import Foundation
import MapDSL
import Testing

@testable import SyncEngine
@testable import Webhooks

@Suite struct TriggerEchoTests {
    static let sentAt = "2026-11-25T00:00:00.000Z"
    static var sentMs: Int64 { Int64(InboxTime.date(sentAt)!.timeIntervalSince1970 * 1000) }

    static func job(_ json: String, name: String) throws -> JobSpec {
        try JobSpec.parse(try JSONParser.parse(json), name: name, path: "jobs/\(name).json")
    }

    /// Two jobs in a loop: HubSpot contacts → Salesforce leads (triggered by HubSpot changes), and
    /// Salesforce leads → HubSpot contacts (whose writes come back as HubSpot webhooks).
    static func jobs() throws -> [JobSpec] {
        [
            try job(
                #"""
                {"source": {"platform": "hubspot", "object": "contact"}, "destination": {"platform": "salesforce", "object": "Lead"},
                 "mapping": "mappings/contacts-to-leads.map",
                 "triggers": [{"platform": "hubspot", "object": "contact", "events": ["contact.propertyChange", "contact.creation"],
                               "properties": ["email", "firstname", "lastname"]}]}
                """#, name: "contacts-to-leads"),
            try job(
                #"""
                {"source": {"platform": "salesforce", "object": "Lead"}, "destination": {"platform": "hubspot", "object": "contact"},
                 "mapping": "mappings/leads-to-contacts.map",
                 "triggers": [{"platform": "salesforce", "object": "Lead"}]}
                """#, name: "leads-to-contacts"),
            try job(
                #"""
                {"source": {"platform": "hubspot", "object": "contact"}, "destination": {"platform": "mailchimp", "object": "member"},
                 "mapping": "mappings/contacts-to-members.map",
                 "triggers": [{"platform": "hubspot", "object": "contact", "properties": ["email"]}]}
                """#, name: "contacts-to-members"),
        ]
    }

    /// Records that mapc (job leads-to-contacts) wrote HubSpot contact 501 with these values.
    static func recordWrite(_ store: EventStore) throws {
        let run = try store.createRun(job: "leads-to-contacts", info: .object([]), at: sentAt)
        let values: JSONValue = .object([("email", "ada@example.com"), ("firstname", "Ada"), ("lastname", "Lovelace")])
        try store.commit(
            run: run, job: "leads-to-contacts", events: [("batch_sending", .object([]))],
            recordEvents: [(key: "00Q000000000001EAA", kind: "sent", payload: .object([("values", values)]))],
            updates: [], at: sentAt)
        var state = RecordState(key: "00Q000000000001EAA", run: run, status: "created")
        state.destinationId = "501"
        state.destinationKey = "ada@example.com"
        try store.commit(
            run: run, job: "leads-to-contacts", events: [("batch_acked", .object([]))],
            recordEvents: [
                (key: "00Q000000000001EAA", kind: "result", payload: .object([("status", "created"), ("destinationId", "501")]))
            ], updates: [RecordUpdate(state: state, acknowledged: true)], at: sentAt)
    }

    @Test func triggerRulesParseAndMatch() throws {
        let rules = try Self.jobs().flatMap(TriggerRule.rules)
        #expect(rules.count == 3)
        let change = ChangeEvent(
            platform: "hubspot", object: "contact", recordId: "1", kind: "contact.propertyChange",
            changes: [FieldChange(field: "email", value: "a@b.c")], occurredAt: Self.sentAt, eventId: "e")
        #expect(rules.filter { $0.matches(change) }.map(\.job) == ["contacts-to-leads", "contacts-to-members"])
        var phone = change
        phone.changes = [FieldChange(field: "phone", value: "1")]
        #expect(rules.filter { $0.matches(phone) }.isEmpty)
        var creation = change
        creation.kind = "contact.creation"
        creation.changes = []
        #expect(rules.filter { $0.matches(creation) }.map(\.job) == ["contacts-to-leads", "contacts-to-members"])
        let bad = try Self.job(
            #"{"source": {"platform": "a", "object": "b"}, "destination": {"platform": "c", "object": "d"}, "mapping": "m", "triggers": [{"platform": "hubspot"}]}"#,
            name: "bad")
        #expect(throws: JobError.self) { try TriggerRule.rules(of: bad) }
    }

    @Test func postedHubSpotChangeTriggersItsJobsAndAnEchoDoesNot() async throws {
        let directory = Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = try EventStore(path: directory + "/events.db")
        try Self.recordWrite(store)
        let t = try TestServer(path: directory + "/events.db")
        defer { t.stop() }
        let jobs = try Self.jobs()
        let processor = TriggerProcessor(
            rules: try jobs.flatMap(TriggerRule.rules), echo: EchoDetector(store: store, inbox: t.inbox, jobs: jobs))
        let worker = InboxWorker(inbox: t.inbox) { try processor.decide($0.event) }
        let ran = CallLog()
        let scheduler = JobScheduler(inbox: t.inbox) { ran.append($0) }

        let url = t.url("/webhooks/hubspot")
        func post(_ body: String) async throws -> Int {
            try await Client.send(
                "POST", url, headers: Fixtures.hubspotV3(url: url.absoluteString, body: body, timestamp: Fixtures.nowMs()), body: body
            ).status
        }
        // 1. The echo: HubSpot reports the email mapc itself wrote to contact 501 two seconds earlier.
        let echo = Fixtures.hubspotPropertyChange(
            eventId: 1, objectId: 501, property: "email", value: "ada@example.com", occurredAt: Self.sentMs + 2000, source: "API")
        #expect(try await post(echo) == 200)
        try worker.drain()
        #expect(try scheduler.runPending().isEmpty)
        let echoed = try t.inbox.entries(status: .processed).first
        #expect(echoed?.outcome?["result"] == "echo")
        #expect(echoed?.outcome?["job"] == "leads-to-contacts")

        // 2. A person changes the same contact's email in HubSpot: both HubSpot-sourced jobs run.
        let change = Fixtures.hubspotPropertyChange(
            eventId: 2, objectId: 501, property: "email", value: "ada.lovelace@example.com", occurredAt: Self.sentMs + 5000)
        #expect(try await post(change) == 200)
        try worker.drain()
        #expect(try scheduler.runPending().sorted() == ["contacts-to-leads", "contacts-to-members"])
        #expect(ran.all.sorted() == ["contacts-to-leads", "contacts-to-members"])

        // 3. The creation of a contact mapc created is an echo too; another contact's creation is not.
        let created = Fixtures.hubspotDocsBody.replacingOccurrences(of: #""objectId":123"#, with: #""objectId":501"#)
            .replacingOccurrences(of: "1564113600000", with: String(Self.sentMs + 1000))
        #expect(try await post(created) == 200)
        let foreign = Fixtures.hubspotDocsBody.replacingOccurrences(of: #""eventId":1,"#, with: #""eventId":3,"#)
        #expect(try await post(foreign) == 200)
        try worker.drain()
        let outcomes = try t.inbox.entries(status: .processed).map {
            ($0.event.recordId, $0.event.kind, $0.outcome?["result"]?.stringValue)
        }
        #expect(outcomes.contains { $0 == ("501", "contact.creation", "echo") })
        #expect(outcomes.contains { $0 == ("123", "contact.creation", "triggered") })

        // 4. An echo that arrives long after mapc's write is no longer assumed to be one.
        let late = Fixtures.hubspotPropertyChange(
            eventId: 4, objectId: 501, property: "firstname", value: "Ada", occurredAt: Self.sentMs + 2 * 3600 * 1000)
        #expect(try await post(late) == 200)
        try worker.drain()
        #expect(try t.inbox.entries(status: .processed).first?.outcome?["result"] == "triggered")
    }

    @Test func echoOfASnapshotComparesTheFieldsMapcWrote() throws {
        let directory = Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = try EventStore(path: directory + "/events.db")
        let inbox = try Inbox(path: directory + "/events.db")
        // contacts-to-leads wrote Lead 00Q… with these values.
        let run = try store.createRun(job: "contacts-to-leads", info: .object([]), at: Self.sentAt)
        var state = RecordState(key: "501", run: run, status: "created")
        state.destinationId = "00Q000000000001EAA"
        try store.commit(
            run: run, job: "contacts-to-leads", events: [("batch_acked", .object([]))],
            recordEvents: [
                (
                    key: "501", kind: "sent",
                    payload: .object([("values", .object([("Email", "ada@example.com"), ("LastName", "Lovelace")]))])
                ),
                (key: "501", kind: "result", payload: .object([("status", "created"), ("destinationId", "00Q000000000001EAA")])),
            ], updates: [RecordUpdate(state: state, acknowledged: true)], at: Self.sentAt)
        let detector = EchoDetector(store: store, inbox: inbox, jobs: try Self.jobs())
        func lead(email: String, lastName: String) -> ChangeEvent {
            ChangeEvent(
                platform: "salesforce", object: "Lead", recordId: "00Q000000000001EAA", kind: "outbound_message",
                changes: [
                    FieldChange(field: "Email", value: .string(email)), FieldChange(field: "LastName", value: .string(lastName)),
                    FieldChange(field: "Company", value: .null),
                ], snapshot: true, occurredAt: "2026-11-25T00:00:03.000Z", eventId: "n1")
        }
        #expect(try detector.check(lead(email: "ada@example.com", lastName: "Lovelace"))?.job == "contacts-to-leads")
        #expect(try detector.check(lead(email: "ada@example.com", lastName: "Byron")) == nil)
    }
}
