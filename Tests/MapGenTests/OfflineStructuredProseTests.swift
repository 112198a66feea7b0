import Foundation
import MapDSL
import Testing

@testable import MapGen

/// Structured prose (StructuredProse.swift, StructuredReadings.swift): CSV sheets, SQL select lists,
/// YAML-like keys, two aligned columns and tables with a rule column, read row by row. The documents are
/// written for these tests, not copied from evals/.
@Suite struct OfflineStructuredProseTests: OfflineReaderTesting {

    func listed(_ r: OfflineGenerator.Result, _ sentence: String, in prose: String) -> Bool {
        let doc = ProseDocument.parse(prose)
        guard let i = doc.sentences.firstIndex(of: sentence) else { return false }
        return r.trace.notImplemented.contains { $0.sentence == i + 1 }
    }

    // MARK: Splitting

    @Test func aCSVSheetIsOneSentencePerRow() {
        let text = """
            Intro line.

            "Lead field","Taken from","Remarks"
            "Company","company","Acme if empty"
            "Title","jobtitle","as is"
            """
        let s = SentenceSplitter.split(text)
        #expect(
            s == [
                "Intro line.", "\"Lead field\",\"Taken from\",\"Remarks\"", "\"Company\",\"company\",\"Acme if empty\"",
                "\"Title\",\"jobtitle\",\"as is\"",
            ])
    }

    @Test func proseWithCommasIsNoCSVSheet() {
        let text =
            "Copy the email, the phone, and the city.\nThen the title, the company, and the fax.\nAnd the state, the zip, and the country."
        #expect(StructuredProse.segments(text) == [.prose(text)])
    }

    @Test func plainProseIsOneProseSegment() {
        let text = "Email comes from email.\n\nSkip contacts without an email."
        #expect(StructuredProse.segments(text) == [.prose(text)])
        #expect(SentenceSplitter.split(text) == ["Email comes from email.", "Skip contacts without an email."])
    }

    @Test func aSQLItemWithACaseOverSeveralLinesIsOneSentence() {
        let text = """
            SELECT
              CASE WHEN x = 'a'
                   THEN 'b' ELSE 'c' END AS one,   -- the first
              y AS two
            FROM t
            """
        let records = StructuredProse.segments(text).compactMap { s -> StructuredProse.Record? in
            if case .record(let r) = s, !r.isFrame { return r }
            return nil
        }
        #expect(records.map(\.key) == ["one", "two"])
        #expect(records[0].comments == ["the first"])
        #expect(records[0].value.contains("CASE WHEN"))
    }

    // MARK: CSV

    static let csvSheet = """
        "Lead column","Source property","Remarks"
        "Email","email","unchanged"
        "Company","company","Independent if empty"
        "LeadSource","-","constant: Web"
        "HasOptedOutOfEmail","","fixed: true"
        "HubSpot_Contact_Id__c","hs_object_id","hs- in front of the contact id; this is the upsert key"
        "Description","message","translated into French by a person"
        """

    @Test func aCSVSheetsRowsAreReadByTheirHeadersRoles() throws {
        let r = generate("hubspot.contact", "salesforce.Lead", Self.csvSheet)
        #expect(line(r.mapping, "Email").contains("email"))
        #expect(!flagged(line(r.mapping, "Email")))
        #expect(line(r.mapping, "LeadSource").contains("\"Web\""))
        #expect(line(r.mapping, "HasOptedOutOfEmail").contains("= true"))
        #expect(line(r.mapping, "HubSpot_Contact_Id__c").contains("\"hs-\" + hs_object_id"))
        let rec = [
            #"{"hs_object_id": "7", "email": "a@b.co", "company": ""}"#, #"{"hs_object_id": "8", "email": "c@d.co", "company": "Zeta"}"#,
        ]
        #expect(try run(r.mapping, rec, field: "Company") == ["\"Independent\"", "\"Zeta\""])
    }

    @Test func aCSVRowItCannotReadIsListedByItsOwnText() {
        let r = generate("hubspot.contact", "salesforce.Lead", Self.csvSheet)
        #expect(!unflagged(r, "Description"))
        #expect(
            listed(r, "\"Description\",\"message\",\"translated into French by a person\"", in: "from: a.b\nto: c.d\n\n" + Self.csvSheet))
    }

    @Test func aRuleARowGivesForAnotherFieldIsListed() {
        let prose = """
            "Lead field","Source","Notes"
            "Title","jobtitle","as is"
            "Email","email","and City is city"
            """
        let r = generate("hubspot.contact", "salesforce.Lead", prose)
        #expect(!unflagged(r, "City"))
    }

    @Test func unreadRowListsOnlyRowsAndOtherFields() {
        var result = StructuredReadings.Result(texts: ["a", "b"])
        result.rows = [1]
        result.rowFields = [1: "Title"]
        let lead = Fixtures.schema("salesforce.Lead")
        var o = SentenceOutcome()
        #expect(result.unreadRow(0, o).isEmpty)
        #expect(result.unreadRow(1, o) == ["a row it could not read"])
        o.assignments = [.init(field: lead.field("Title")!, value: ReadValue(text: "jobtitle", kind: .copy), confidence: 0.9, note: "")]
        #expect(result.unreadRow(1, o).isEmpty)
        o.assignments.append(.init(field: lead.field("City")!, value: ReadValue(text: "city", kind: .copy), confidence: 0.9, note: ""))
        #expect(result.unreadRow(1, o) == ["City: the row names Title, not this field"])
    }

    @Test func aSheetWhoseHeaderNamesNoDestinationColumnGivesNoRowRules() {
        let prose = """
            "Alpha","Beta","Gamma"
            "Email","email","unchanged"
            "Company","company","Independent if empty"
            """
        let r = generate("hubspot.contact", "salesforce.Lead", prose)
        // The rows are not read as "D = S": nothing the header does not say is taken for a rule, and the rows are listed.
        #expect(!line(r.mapping, "Company").contains("Independent"))
        #expect(r.trace.notImplemented.count >= 2)
    }

    // MARK: Cells between bars

    @Test func barSeparatedCellsWithoutOuterBarsAreATable() throws {
        let prose = """
            Lead column | HubSpot source | Notes
            ----------- | -------------- | -----
            Title | jobtitle | unchanged
            LeadSource | - | constant: Web
            City | city | in upper case
            """
        let r = generate("hubspot.contact", "salesforce.Lead", prose)
        #expect(line(r.mapping, "Title").contains("jobtitle"))
        #expect(line(r.mapping, "LeadSource").contains("\"Web\""))
        let rec = [#"{"hs_object_id": "7", "city": "Oslo"}"#]
        #expect(try run(r.mapping, rec, field: "City") == ["\"OSLO\""])
    }

    @Test func aSentenceWithOneBarIsNoTable() {
        let text = "Use the company | the website as a fallback.\nCopy the title.\nCopy the city."
        #expect(StructuredProse.segments(text) == [.prose(text)])
    }

    // MARK: Aligned columns

    @Test func twoAlignedColumnsUnderAHeaderAreRead() throws {
        let prose = """
            destination field      how it is filled
            -----------------      ----------------
            Email                  email
            Title                  jobtitle
            LeadSource             always Partner Referral
            City                   city, in upper case
            """
        let r = generate("hubspot.contact", "salesforce.Lead", prose)
        #expect(line(r.mapping, "Title").contains("jobtitle"))
        #expect(line(r.mapping, "LeadSource").contains("\"Partner Referral\""))
        let rec = [#"{"hs_object_id": "7", "email": "a@b.co", "city": "Lyon"}"#]
        #expect(try run(r.mapping, rec, field: "City") == ["\"LYON\""])
    }

    @Test func wrappedProseWithDoubleSpacesIsNoColumns() {
        let text = "The leads  come from HubSpot\nand are sent  every hour to\nSalesforce when  they change."
        #expect(StructuredProse.segments(text) == [.prose(text)])
    }

    @Test func alignedArrowStatementsAreNoColumns() {
        let text = "Email       ->  email\nTitle       ->  jobtitle\nCity        ->  city"
        #expect(StructuredProse.segments(text) == [.prose(text)])
    }

    @Test func aSentenceThatStartsWithSelectIsNoQuery() {
        let text = "Select the contacts, the leads,\nand the accounts that changed today."
        #expect(StructuredProse.segments(text) == [.prose(text)])
    }

    // MARK: YAML-like

    @Test func nestedKeysTakeTheirParentsNameAndAKeyCommentIsDropped() throws {
        let prose = """
            userId: hs_object_id   # idempotency key
            traits:
              email: email
              address:
                city: city
              title: jobtitle
            """
        let r = generate("hubspot.contact", "segment.identify", prose)
        #expect(line(r.mapping, "traits.address.city").contains("= city"))
        #expect(line(r.mapping, "traits.email").contains("= email"))
        #expect(!flagged(line(r.mapping, "userId")))
        #expect(!flagged(line(r.mapping, "traits.title")))
    }

    @Test func aFoldedValueIsOneRecord() {
        let text = "a: x\nb: >\n  one two\n  three\nc: y  # note"
        let records = StructuredProse.segments(text).compactMap { s -> StructuredProse.Record? in
            if case .record(let r) = s { return r }
            return nil
        }
        #expect(records.map(\.key) == ["a", "b", "c"])
        #expect(records[1].value == "one two three")
        #expect(records[2].comments == ["note"])
    }

    @Test func flatKeyLinesWithoutCommentsOrNestingStayProse() {
        let text = "Email: email\nTitle: jobtitle\nCity: city"
        #expect(StructuredProse.segments(text) == [.prose(text)])
    }

    // MARK: JSON-like objects

    @Test func aJSONLikeObjectIsReadAsKeysWithItsNesting() throws {
        let prose = """
            {
              "userId": "hs_object_id",
              "traits": {
                "address.city": "city",   // as is
                "title": "jobtitle, or \\"None\\" when blank"
              }
            }
            """
        let r = generate("hubspot.contact", "segment.identify", prose)
        #expect(line(r.mapping, "traits.address.city").contains("= city"))
        let rec = [#"{"hs_object_id": "1", "jobtitle": ""}"#]
        #expect(try run(r.mapping, rec, field: "traits.title") == ["\"None\""])
    }

    @Test func aBraceBlockOfOtherTextIsNoObject() {
        let text = "{\nsend every contact that changed\n}"
        #expect(StructuredProse.segments(text) == [.prose(text)])
        let unclosed = "{\n  \"a\": \"b\",\n  \"c\": \"d\""
        #expect(StructuredProse.segments(unclosed) == [.prose(unclosed)])
    }

    // MARK: SQL

    static let sqlProse = """
        SELECT
          'hs-' || hs_object_id                      AS HubSpot_Contact_Id__c,  -- upsert key
          COALESCE(NULLIF(company, ''), 'Private')   AS Company,
          firstname || ' ' || lastname               AS Description,  -- drop the space when there is no first name
          CASE WHEN hs_email_optout = TRUE THEN TRUE ELSE FALSE END AS HasOptedOutOfEmail,
          CASE lifecyclestage WHEN 'lead' THEN 'Warm' WHEN 'customer' THEN 'Hot' ELSE 'Cold' END AS Rating,
          UPPER(country)                             AS Country
        FROM hubspot.contact
        WHERE lifecyclestage <> 'other'
        """

    @Test func aSelectListIsReadAsRules() throws {
        let r = generate("hubspot.contact", "salesforce.Lead", Self.sqlProse)
        #expect(line(r.mapping, "HubSpot_Contact_Id__c").contains("\"hs-\" + hs_object_id"))
        #expect(r.mapping.contains("skip when lifecyclestage == \"other\""))
        let rec = [
            #"{"hs_object_id": "1", "company": "", "firstname": null, "lastname": "Ng", "lifecyclestage": "lead", "country": "fr", "hs_email_optout": true}"#,
            #"{"hs_object_id": "2", "company": "Q", "firstname": "Al", "lastname": "Bo", "lifecyclestage": "subscriber", "country": "de", "hs_email_optout": false}"#,
        ]
        #expect(try run(r.mapping, rec, field: "Company") == ["\"Private\"", "\"Q\""])
        #expect(try run(r.mapping, rec, field: "Description") == ["\"Ng\"", "\"Al Bo\""])
        #expect(try run(r.mapping, rec, field: "Rating") == ["\"Warm\"", "\"Cold\""])
        #expect(try run(r.mapping, rec, field: "Country") == ["\"FR\"", "\"DE\""])
        #expect(try run(r.mapping, rec, field: "HasOptedOutOfEmail") == ["true", "false"])
        for f in ["Company", "Description", "Rating", "Country"] { #expect(!flagged(rule(r.mapping, f)), "\(f)") }
    }

    @Test func aWhereInAnAsideIsTheSkipOfItsNegation() {
        let r = generate(
            "hubspot.contact", "salesforce.Lead",
            "Title comes from jobtitle.\nSubscribers are left out (WHERE lifecyclestage <> 'subscriber').")
        #expect(r.mapping.contains("skip when lifecyclestage == \"subscriber\""))
    }

    @Test func aWhereAsideThatDoesNotReadOrSaysNothingOfLeavingOutGivesNoSkipFromIt() {
        let reader = StructuredReadings(source: Fixtures.schema("hubspot.contact"), destination: Fixtures.schema("salesforce.Lead"))
        #expect(reader.whereAside("Subscribers are left out (WHERE lifecyclestage LIKE 'sub%').") == nil)
        #expect(reader.whereAside("Title is the job title (WHERE jobtitle <> '').") == nil)
        #expect(reader.whereAside("Subscribers are left out (WHERE no_such_field = 'x').") == nil)
    }

    @Test func aSQLItemItCannotReadGivesNoRuleAndIsListed() {
        let prose = """
            SELECT
              REGEXP_REPLACE(phone, '[^0-9]', '') AS Phone,
              jobtitle AS Title,   -- rewritten by marketing each quarter
              email AS Email
            FROM hubspot.contact
            """
        let r = generate("hubspot.contact", "salesforce.Lead", prose)
        #expect(!line(r.mapping, "Phone").contains("REGEXP"))
        #expect(!unflagged(r, "Phone"))
        // A comment that says more than the rule flags it.
        #expect(flagged(line(r.mapping, "Title")))
        #expect(!flagged(line(r.mapping, "Email")))
    }

    @Test func theSQLReaderRefusesUnknownFields() {
        var p = SQLExpression(text: "LOWER(no_such_field)", source: Fixtures.schema("hubspot.contact"))
        #expect(p.expression() == nil)
        var q = SQLExpression(text: "a = 'x' AND b <> 'y'", source: Fixtures.schema("hubspot.contact"))
        #expect(q.condition() == nil)
        var c = SQLExpression(text: "email IS NULL OR city IN ('A', 'B')", source: Fixtures.schema("hubspot.contact"))
        #expect(c.condition() == "email == null or (city == \"A\" or city == \"B\")")
    }

    // MARK: Tables with a rule column

    @Test func aTableWithADestinationAndARuleColumnIsRead() throws {
        let prose = """
            | Lead field | Logic |
            |---|---|
            | Title | jobtitle, unchanged |
            | LeadSource | fixed: Other |
            | Company | the weather in Paris |
            """
        let r = generate("hubspot.contact", "salesforce.Lead", prose)
        #expect(line(r.mapping, "Title").contains("jobtitle"))
        #expect(line(r.mapping, "LeadSource").contains("\"Other\""))
        #expect(!unflagged(r, "Company") || !line(r.mapping, "Company").contains("weather"))
        #expect(listed(r, "| Company | the weather in Paris |", in: "from: a.b\nto: c.d\n\n" + prose))
    }

    // MARK: Lookups in a sheet

    @Test func aSheetRowThatLooksARecordUpWithTheSourceColumnsValue() {
        let prose = """
            "Lead field","From HubSpot","Explanation"
            "Account__c","company","the Id of the Salesforce Account whose Name equals the company, trimmed; null when there is no match"
            "Title","jobtitle","as is"
            """
        let r = generate("hubspot.contact", "salesforce.Lead", prose)
        #expect(line(r.mapping, "Account__c").contains("lookup(salesforce.Account, Name == trim(company))?.Id"))
        #expect(!flagged(line(r.mapping, "Account__c")))
    }

    @Test func aLookupWhoseValuePhraseIsNotTheSourceColumnIsNoLookupOfIt() {
        let prose = """
            "Lead field","From HubSpot","Explanation"
            "Account__c","company","the Id of the Salesforce Account whose Name equals the website domain"
            "Title","jobtitle","as is"
            """
        let r = generate("hubspot.contact", "salesforce.Lead", prose)
        #expect(!line(r.mapping, "Account__c").contains("Name == trim(company)") || flagged(line(r.mapping, "Account__c")))
        #expect(!unflagged(r, "Account__c") || !line(r.mapping, "Account__c").contains("company"))
    }

    @Test func aLookupRowWithAnotherNoteIsFlagged() {
        let prose = """
            "Lead field","From HubSpot","Explanation"
            "Account__c","company","Id of the Salesforce Account whose Name is the company; only for customers"
            "Title","jobtitle","as is"
            """
        let r = generate("hubspot.contact", "salesforce.Lead", prose)
        #expect(flagged(line(r.mapping, "Account__c")))
    }

    // MARK: Templates

    @Test func aTemplateWithPlaceholdersIsAConcatenation() throws {
        let r = generate(
            "hubspot.contact", "segment.identify",
            "traits.description     Works as <jobtitle> at {company}   (e.g. \"Works as CTO at Acme\")\nuserId                 hs_object_id\ntraits.email           email"
        )
        let rec = [#"{"hs_object_id": "1", "jobtitle": "CFO", "company": "Zed", "email": "a@b.co"}"#]
        #expect(try run(r.mapping, rec, field: "traits.description") == ["\"Works as CFO at Zed\""])
    }

    @Test func aPlaceholderThatNamesNoFieldGivesNoTemplate() {
        let reader = StructuredReadings(source: Fixtures.schema("hubspot.contact"), destination: Fixtures.schema("segment.identify"))
        #expect(reader.template("Works as <job_role_text> at <company>") == nil)
        #expect(reader.template("<company>") == nil)
        #expect(reader.template("id-<hs_object_id>") == "\"id-\" + hs_object_id")
    }

    // MARK: Note clauses

    @Test func noteClauses() {
        #expect(StructuredReadings.isCopyClause("No change"))
        #expect(!StructuredReadings.isCopyClause("no change unless blank"))
        #expect(StructuredReadings.isKeyClause("this is the upsert key"))
        #expect(!StructuredReadings.isKeyClause("the key account manager"))
        #expect(StructuredReadings.constant("fixed: Open") == "always \"Open\"")
        #expect(StructuredReadings.constant("always false") == "false")
        #expect(StructuredReadings.constant("always Hot when rated 5") == nil)
        #expect(StructuredReadings.prefix("sf- in front of the id") == "sf-")
        #expect(StructuredReadings.prefix("prefixed with \"x-\"") == "x-")
        #expect(StructuredReadings.prefix("the id, in front of everyone") == nil)
    }

    // MARK: Reader fixes these layouts exposed

    @Test func anyOtherValueArrowAWordIsThatWordNotACopy() throws {
        let r = generate(
            "hubspot.contact", "segment.identify",
            "traits.lifecycle_stage = lead → prospect, customer → client, any other lifecyclestage → misc")
        let rec = [#"{"hs_object_id": "1", "lifecyclestage": "opportunity"}"#, #"{"hs_object_id": "2", "lifecyclestage": "lead"}"#]
        #expect(try run(r.mapping, rec, field: "traits.lifecycle_stage") == ["\"misc\"", "\"prospect\""])
    }

    @Test func anyOtherValueArrowAFieldIsStillACopy() throws {
        let r = generate(
            "hubspot.contact", "segment.identify",
            "traits.lifecycle_stage = lead → prospect, anything else → lifecyclestage")
        let rec = [#"{"hs_object_id": "1", "lifecyclestage": "opportunity"}"#]
        let out = try run(r.mapping, rec, field: "traits.lifecycle_stage")
        #expect(out == ["\"opportunity\""] || flagged(rule(r.mapping, "traits.lifecycle_stage")))
    }

    @Test func theFirstWordOfATextIgnoresSpacesAroundIt() throws {
        let r = generate("segment.identify", "hubspot.contact", "email = traits.email.\nfirstname is the first word of traits.name.")
        let rec = [#"{"messageId": "m", "traits.email": "a@b.co", "traits.name": "  Ivo Lang"}"#]
        #expect(try run(r.mapping, rec, field: "firstname") == ["\"Ivo\""])
    }
}
