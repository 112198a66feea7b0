import Foundation
import MapDSL
import Testing

@testable import SyncEngine

/// Webhooks for two-way jobs: an event that only reports mapc's own write starts no run, whatever
/// its timing; a person's edit, alone or mixed with mapc's write, does.
@Suite struct TwoWayEchoTests {
    static func spec() throws -> TwoWaySpec {
        try TwoWaySpec.parse(
            """
            {"kind": "two-way", "name": "people", "left": {"platform": "salesforce", "object": "Contact"},
             "right": {"platform": "mailchimp", "object": "member"},
             "mappings": {"leftToRight": "a.map", "rightToLeft": "b.map"},
             "identity": [{"left": "Email", "right": "email_address", "match": "email"}],
             "conflicts": {"default": "review"},
             "triggers": [{"platform": "salesforce", "object": "Contact"}, {"platform": "mailchimp", "object": "member"}]}
            """, name: "people", path: "people.json")
    }

    /// A store where run 7 wrote FNAME "Anna" to member m1, linked to contact 003A.
    static func store(_ spec: TwoWaySpec) throws -> EventStore {
        let store = try EventStore(path: ":memory:")
        var change = IdentityChange()
        change.link(
            IdentityLink(
                id: 0, job: spec.name, leftId: "003A", rightId: "m1", rightStable: nil, rule: "Email=email_address", run: 7,
                linkedAt: "2024-06-01T00:00:00Z", leftBase: ["FirstName": "Ann"],
                rightBase: ["email_address": "ann@x.com", "merge_fields.FNAME": "Ann", "merge_fields.LNAME": "Lee"]), event: "linked")
        change.ledgerAdds.append(
            LedgerEntry(
                platform: "mailchimp", recordId: "m1", hash: "h", fields: ["email_address": "ann@x.com", "merge_fields.FNAME": "Anna"],
                run: 7))
        try store.apply(change, job: spec.name, run: nil, actor: "test", at: "2024-06-01T00:00:00Z")
        return store
    }

    static func event(_ changes: [(String, JSONValue)], snapshot: Bool = true, at: String = "2030-01-01T00:00:00Z") -> ChangeEvent {
        ChangeEvent(
            platform: "mailchimp", object: "member", recordId: "m1", kind: "profile",
            changes: changes.map { FieldChange(field: $0.0, value: $0.1) }, snapshot: snapshot, occurredAt: at, eventId: "e1")
    }

    @Test func anEventReportingOnlyMapcsWriteStartsNoRunHoweverLate() throws {
        let spec = try Self.spec()
        let store = try Self.store(spec)
        let processor = TriggerProcessor(
            rules: try spec.triggerRules(), echo: EchoDetector(store: store, inbox: nil, jobs: [], twoWay: [spec]))
        // Years after the write: no time window decides, the ledger does.
        let echo = try processor.decide(
            Self.event([("email_address", "ann@x.com"), ("merge_fields.FNAME", "Anna"), ("merge_fields.LNAME", "Lee")]))
        #expect(echo.jobs.isEmpty && echo.outcome["result"] == "echo", "\(echo.outcome)")
    }

    @Test func aPersonsEditAloneOrMixedWithMapcsWriteStartsTheRun() throws {
        let spec = try Self.spec()
        let store = try Self.store(spec)
        let processor = TriggerProcessor(
            rules: try spec.triggerRules(), echo: EchoDetector(store: store, inbox: nil, jobs: [], twoWay: [spec]))
        let human = try processor.decide(Self.event([("email_address", "ann@x.com"), ("merge_fields.FNAME", "Annie")]))
        #expect(human.jobs == ["people"])
        let mixed = try processor.decide(
            Self.event([("email_address", "ann@x.com"), ("merge_fields.FNAME", "Anna"), ("merge_fields.LNAME", "Lee-Smith")]))
        #expect(mixed.jobs == ["people"])
        let diff = try processor.decide(
            Self.event([("merge_fields.FNAME", "Anna"), ("merge_fields.PHONE", "1")], snapshot: false))
        #expect(diff.jobs == ["people"])
    }

    @Test func writesNeverReadAgainAreForgottenAfterTheRetention() throws {
        let spec = try Self.spec()
        let store = try Self.store(spec)
        var keep = IdentityChange()
        keep.ledgerPruneBefore = "2024-05-01T00:00:00.000Z"
        try store.apply(keep, job: spec.name, run: nil, actor: "test", at: "2024-06-02T00:00:00Z")
        #expect(try store.ledger(job: spec.name).count == 1)
        var prune = IdentityChange()
        prune.ledgerPruneBefore = "2024-07-01T00:00:00.000Z"
        try store.apply(prune, job: spec.name, run: nil, actor: "test", at: "2024-07-02T00:00:00Z")
        #expect(try store.ledger(job: spec.name).isEmpty)
    }

    @Test func triggersAreCheckedInTheJobFile() {
        #expect {
            try TwoWaySpec.parse(
                """
                {"kind": "two-way", "left": {"platform": "salesforce", "object": "Contact"},
                 "right": {"platform": "mailchimp", "object": "member"},
                 "mappings": {"leftToRight": "a.map", "rightToLeft": "b.map"},
                 "identity": [{"left": "Email", "right": "email_address"}],
                 "conflicts": {"default": "review"},
                 "triggers": [{"platform": "mailchimp"}]}
                """, name: "p", path: "p.json")
        } throws: { error in
            "\(error)".contains("p.json:6:14: error: job p: triggers[0].object must be an object name")
        }
    }
}
