import Foundation
import MapDSL
import MapGen
import Testing

/// The offline generator on the phrasings of issue 18: every example it once got wrong silently is
/// either read right or listed as not implemented, never claimed.
@Suite struct OfflineReadingTests: OfflineReaderTesting {
    func generate(_ from: String, _ to: String, _ prose: String) -> OfflineGenerator.Result {
        OfflineGenerator(schemas: Fixtures.schemas, clock: { Date(timeIntervalSince1970: 0) }).generate(
            prose: ProseDocument(from: from, to: to, body: prose), source: Fixtures.schema(from), destination: Fixtures.schema(to))
    }

    @Test func neitherNorSkipsOnlyEventsWithBothIdsMissing() throws {
        let r = generate("segment.track", "ga4.event", "Skip events that have neither a userId nor an anonymousId.")
        #expect(r.mapping.contains("skip when blank(userId) and blank(anonymousId)"))
        let text = try String(contentsOfFile: Fixtures.root + "/samples/segment/track.jsonl", encoding: .utf8)
        let records = text.split(separator: "\n").map(String.init)
        let both = try records.filter { r in
            let j = try JSONParser.parse(r)
            return (j["userId"]?.stringValue ?? "").isEmpty && (j["anonymousId"]?.stringValue ?? "").isEmpty
        }.count
        let skipped = try run(r.mapping, records, field: "client_id").filter { $0 == "skipped" }.count
        #expect(skipped == both)
        #expect(skipped < 5, "the old reading skipped 49 of 56")
    }

    @Test func otherwiseDefaultInTheSentenceAndInTheNextOne() throws {
        let inline = generate(
            "hubspot.contact", "salesforce.Lead",
            "LeadSource is \"Partner Referral\" when hs_analytics_source is REFERRALS otherwise \"Marketing Site\".")
        let records = [
            #"{"hs_object_id": "1", "hs_analytics_source": "REFERRALS"}"#, #"{"hs_object_id": "2", "hs_analytics_source": "OFFLINE"}"#,
            #"{"hs_object_id": "3"}"#,
        ]
        #expect(
            try run(inline.mapping, records, field: "LeadSource") == ["\"Partner Referral\"", "\"Marketing Site\"", "\"Marketing Site\""])
        let split = generate(
            "hubspot.contact", "salesforce.Lead",
            "LeadSource is \"Partner Referral\" when hs_analytics_source is REFERRALS. Otherwise it is \"Marketing Site\".")
        #expect(
            try run(split.mapping, records, field: "LeadSource") == ["\"Partner Referral\"", "\"Marketing Site\"", "\"Marketing Site\""])
        #expect(split.trace.notImplemented.isEmpty)
    }

    @Test func skipWithAValueCondition() {
        let r = generate("mailchimp.member", "hubspot.contact", "Skip members whose status is cleaned.")
        #expect(r.mapping.contains("skip when status == \"cleaned\""))
        #expect(!r.mapping.contains("skip when blank(status)"))
    }

    @Test func booleanFromAComparison() throws {
        let r = generate("mailchimp.member", "hubspot.contact", "hs_email_optout is true when status is unsubscribed.")
        #expect(line(r.mapping, "hs_email_optout").contains("status == \"unsubscribed\""))
        #expect(!r.mapping.contains("try_bool(status)"))
    }

    @Test func europeanDateAndConcatenations() throws {
        let date = generate("salesforce.Contact", "hubspot.contact", "message is Birthdate written the European way as DD/MM/YYYY.")
        #expect(line(date.mapping, "message").contains("format_date(Birthdate, \"dd/MM/yyyy\")"))
        let concat = generate(
            "salesforce.Contact", "segment.track",
            "messageId is \"sfdc-\" + Id + \"-\" + LastModifiedDate. properties.name is FirstName and LastName joined with a space.")
        let records = [#"{"Id": "003A", "FirstName": "Ann", "LastName": "Lee", "LastModifiedDate": "2024-03-05T10:22:11.000+0000"}"#]
        #expect(try run(concat.mapping, records, field: "messageId") == ["\"sfdc-003A-2024-03-05T10:22:11.000Z\""])
        #expect(try run(concat.mapping, records, field: "properties.name") == ["\"Ann Lee\""])
    }

    @Test func translationsBothWaysConstantsAndFallbacks() throws {
        let r = generate(
            "salesforce.Lead", "hubspot.contact",
            """
            Contacts are matched on email, which comes from Email.
            hs_lead_status: "Open - Not Contacted" becomes NEW, "Working - Contacted" becomes IN_PROGRESS, anything else becomes OPEN.
            lifecyclestage is salesqualifiedlead for Hot leads and lead otherwise.
            """)
        let records = [
            #"{"Email": "a@x.com", "Status": "Open - Not Contacted", "Rating": "Hot"}"#,
            #"{"Email": "b@x.com", "Status": "Closed - Converted", "Rating": "Cold"}"#,
        ]
        #expect(try run(r.mapping, records, field: "hs_lead_status") == ["\"NEW\"", "\"OPEN\""])
        #expect(try run(r.mapping, records, field: "lifecyclestage") == ["\"salesqualifiedlead\"", "\"lead\""])
        let c = generate(
            "hubspot.contact", "salesforce.Lead",
            "DoNotCall is always false. MobilePhone is mobilephone, and fall back to phone if there's no mobilephone.")
        #expect(line(c.mapping, "DoNotCall").contains("= false"))
        let phones = [
            #"{"hs_object_id": "1", "mobilephone": "", "phone": "555"}"#, #"{"hs_object_id": "2", "mobilephone": "777", "phone": "555"}"#,
        ]
        #expect(try run(c.mapping, phones, field: "MobilePhone") == ["\"555\"", "\"777\""])
    }

    @Test func ifElseIfChains() throws {
        let r = generate(
            "hubspot.company", "salesforce.Account",
            "Rating is \"Hot\" if lifecyclestage is customer, else if lifecyclestage is opportunity then \"Warm\", else \"Cold\".")
        let records = [
            #"{"hs_object_id": "1", "name": "a", "lifecyclestage": "customer"}"#,
            #"{"hs_object_id": "2", "name": "b", "lifecyclestage": "opportunity"}"#,
            #"{"hs_object_id": "3", "name": "c"}"#,
        ]
        #expect(try run(r.mapping, records, field: "Rating") == ["\"Hot\"", "\"Warm\"", "\"Cold\""])
    }

    /// A sentence it cannot read is listed, gives no rule, and makes nothing up.
    @Test func unreadableSentencesAreListedNotGuessed() {
        let r = generate(
            "hubspot.contact", "salesforce.Lead", "Title is jobtitle in reverse order of its words, unless the moon is full.")
        #expect(r.trace.notImplemented.map(\.sentence) == [1])
        #expect(!r.mapping.contains("\nTitle "))
        #expect(r.trace.summary.contains("not implemented: S1"))
    }

    /// Prose that names its fields gets only those (plus key and required fields, flagged); name
    /// matches go to a comment block for the reviewer.
    @Test func fieldsNobodyAskedForAreSuggestedNotMapped() throws {
        let r = generate(
            "hubspot.contact", "salesforce.Lead",
            "Upsert on HubSpot_Contact_Id__c from hs_object_id. Email is email. LastName is lastname or \"Unknown\". Company is company or \"Unknown\". Status is \"Open - Not Contacted\"."
        )
        let file = Parser.parse(SourceText(path: "m", text: r.mapping)).file
        #expect(Set(file.assignments.map(\.target.text)) == ["HubSpot_Contact_Id__c", "Email", "LastName", "Company", "Status"])
        #expect(r.mapping.contains("# Not mapped: the prose does not name these fields."))
        #expect(r.suggestions.contains { $0.hasPrefix("Fax = ") })
        #expect(!file.assignments.contains { $0.target.text == "Fax" })
    }

    @Test func strictModeAndJSONListUnreadSentences() {
        let r = generate("hubspot.contact", "salesforce.Lead", "Status is something clever.")
        #expect(!r.trace.notImplemented.isEmpty)
        #expect(r.trace.flagged.contains("Status"))
    }
}
