import Foundation
import MapDSL
import MapGen
import Testing

/// The sixth round of the offline reader (issue 18, composition readings): constants said in words,
/// parts of a value, prefixes with a blank guard, and clauses that give the value before a default.
/// The sentences are written for these tests, not copied from evals/; each reading has a near miss it
/// must not read (or must flag).
@Suite struct OfflineChainsRound6Tests: OfflineReaderTesting {
    // MARK: Constants

    @Test func theLiteralTextInBracketsIsOneConstant() {
        let r = generate(
            "segment.track", "salesforce.Lead",
            "Email = properties.email.\nLast Name: the forms ask for no surname, so use the literal text [No Surname].")
        #expect(line(r.mapping, "LastName").contains("= \"[No Surname]\""))
        #expect(!flagged(line(r.mapping, "LastName")))
    }

    @Test func anIsoCodeOnEveryRecordIsAConstant() {
        let r = generate("segment.track", "ga4.event", "client_id = anonymousId.\nparams.currency is GBP on all events.")
        #expect(line(r.mapping, "params.currency").contains("= \"GBP\""))
    }

    @Test func aLowerCaseWordWithoutSayingItIsFixedIsNoConstant() {
        // "checkout" could be a field it did not find: no constant unless the prose says it is one.
        let r = generate("segment.track", "ga4.event", "client_id = anonymousId.\nparams.currency is checkout.")
        let rule = line(r.mapping, "params.currency")
        #expect(rule.isEmpty || flagged(rule))
    }

    @Test func aSnakeCaseEventNameIsTheGA4EventsName() {
        let r = generate("hubspot.contact", "ga4.event", "client_id = hs_object_id.\nname: request_quote")
        #expect(line(r.mapping, "name").contains("= \"request_quote\""))
        // Into a field that is not the event's name, a snake-case word may be a field it did not find.
        let other = generate("hubspot.contact", "ga4.event", "client_id = hs_object_id.\nparams.lead_source: request_quote")
        let rule = line(other.mapping, "params.lead_source")
        #expect(rule.isEmpty || flagged(rule))
    }

    // MARK: Parts of a value

    @Test func thePartAfterASeparatorIsASplitCheckedAgainstItsExample() {
        let r = generate(
            "segment.track", "salesforce.Lead", "Email = properties.email.\nCountry = the piece of the locale after the dash (fr-CA → CA)")
        #expect(line(r.mapping, "Country").contains("split(context.locale, \"-\", 1)"))
        // An example the reading does not give: nothing is claimed from it.
        let wrong = generate(
            "segment.track", "salesforce.Lead", "Email = properties.email.\nCountry = the piece of the locale after the dash (fr-CA → FR)")
        let rule = line(wrong.mapping, "Country")
        #expect(!rule.contains("split(") || flagged(rule))
    }

    @Test func thePartBeforeASeparatorLowerCased() {
        let r = generate(
            "segment.identify", "hubspot.contact",
            "email = traits.email.\nhs_language = the part of context.locale before the dash, lowercased (PT-br gives pt)")
        #expect(line(r.mapping, "hs_language").contains("lower(split(context.locale, \"-\", 0))"))
    }

    @Test func theDomainOfAnEmailAddress() {
        let r = generate(
            "segment.track", "salesforce.Lead",
            "Email = properties.email.\nCompany = the domain of properties.email (everything after the @); if there's no domain, Unknown")
        #expect(line(r.mapping, "Company").contains("email_domain(properties.email) ?? \"Unknown\""))
        #expect(!flagged(line(r.mapping, "Company")))
    }

    @Test func aDomainOfAFieldThatIsNoEmailIsNotRead() {
        let r = generate("segment.track", "salesforce.Lead", "Email = properties.email.\nCompany = the domain of context.page.url")
        let rule = line(r.mapping, "Company")
        #expect(!rule.contains("email_domain(context.page.url)"))
    }

    @Test func aScaledNumberRoundedAndCheckedAgainstItsExample() {
        let r = generate(
            "mailchimp.member", "ga4.event",
            "client_id = id.\nvalue = the average click rate as a percentage, rounded to two decimals (0.12345 becomes 12.35)")
        #expect(line(r.mapping, "params.value").contains("round(stats.avg_click_rate * 100, 2)"))
        let wrong = generate(
            "mailchimp.member", "ga4.event", "client_id = id.\nvalue = the average click rate as a percentage (0.5 becomes 5)")
        #expect(!line(wrong.mapping, "params.value").contains("* 100"))
    }

    // MARK: Continuations

    @Test func aPrefixWithABlankGuard() {
        let r = generate(
            "segment.track", "salesforce.Lead",
            "Email = properties.email.\nDescription = \"Plan: \" followed by properties.plan; leave Description empty when there's no plan")
        #expect(line(r.mapping, "Description").contains("\"Plan: \" + null_if_blank(properties.plan)"))
    }

    @Test func aBlankGuardNamingAnotherFieldIsNotRead() {
        let r = generate(
            "segment.track", "salesforce.Lead",
            "Email = properties.email.\nDescription = \"Plan: \" followed by properties.plan; leave Description empty when there's no coupon"
        )
        #expect(!line(r.mapping, "Description").contains("null_if_blank(properties.plan)"))
    }

    @Test func fallbacksOneClauseAfterAnother() {
        let r = generate(
            "hubspot.contact", "salesforce.Lead",
            "Email = email.\nCompany is the company name; where there is no company, use the website instead; where both are empty, write \"No company\"."
        )
        let rule = line(r.mapping, "Company")
        #expect(rule.contains("null_if_blank(truncate(company, 255)) ?? null_if_blank(truncate(website, 255)) ?? \"No company\""))
        #expect(!flagged(rule))
    }

    @Test func recordsWithoutOneUseAnotherField() {
        let r = generate(
            "salesforce.Lead", "segment.identify", "userId = the lead's External ID; leads without one use their Salesforce Id.")
        #expect(line(r.mapping, "userId").contains("null_if_blank(External_Id__c) ?? Id"))
    }

    @Test func aDefaultClauseWithWordsItDoesNotKnowIsNotRead() {
        let r = generate(
            "salesforce.Lead", "segment.identify",
            "userId = the lead's External ID; leads without one use the Id of their converted contact.")
        #expect(!line(r.mapping, "userId").contains("?? Id"))
    }

    @Test func aKeysPrefixWithAnAsideInParentheses() {
        let r = generate("segment.track", "salesforce.Lead", "External ID = web- + messageId (we upsert on it)\nEmail = properties.email")
        #expect(line(r.mapping, "External_Id__c").contains("\"web-\" + messageId"))
    }
}

extension OfflineChainsRound6Tests {
    @Test func aPartAppendedWithASeparatorWhenThereIsOne() {
        let r = generate(
            "hubspot.contact", "salesforce.Lead",
            "Email = email.\nStreet is the address, with the city appended after a dash and a space if there is one.")
        #expect(line(r.mapping, "Street").contains("if blank(city) then address else address + \"- \" + city"))
        // Without saying when, the separator might be wanted always: not read.
        let always = generate(
            "hubspot.contact", "salesforce.Lead", "Email = email.\nStreet is the address, with the city appended after a dash.")
        #expect(!line(always.mapping, "Street").contains("if blank(city)"))
    }

    @Test func aTrimSaidInOtherWords() {
        let r = generate(
            "hubspot.contact", "salesforce.Lead", "Email = email.\nCompany: the company name without any leading or trailing spaces.")
        #expect(line(r.mapping, "Company").contains("trim(company)"))
    }

    @Test func aSentenceThatOnlyContinuesTheValueBefore() {
        let r = generate(
            "hubspot.contact", "salesforce.Lead",
            "Email = email.\nWebsite: the website as it is. If that is empty but we know the company, use https:// followed by the company."
        )
        let rule = line(r.mapping, "Website")
        #expect(rule.contains("null_if_blank(truncate(website, 255)) ?? ") && rule.contains("\"https://\" + null_if_blank(company)"))
        #expect(!flagged(rule))
        #expect(!r.trace.notImplemented.contains { $0.sentence == 3 })
    }

    @Test func aNextSentenceWithAnotherConditionIsNoContinuation() {
        let r = generate(
            "hubspot.contact", "salesforce.Lead",
            "Email = email.\nWebsite: the website as it is. If the lifecycle stage is customer, use https:// followed by the company.")
        #expect(!line(r.mapping, "Website").contains("https://"))
        #expect(r.trace.notImplemented.contains { $0.sentence == 3 })
    }
}

extension OfflineChainsRound6Tests {
    @Test func aStatedDefaultAfterTheValue() {
        let r = generate("segment.track", "ga4.event", "client_id: anonymousId\ncurrency: lowercase the currency; default gbp")
        #expect(line(r.mapping, "params.currency").contains("null_if_blank(lower(properties.currency)) ?? \"gbp\""))
        // Two words after "default" are no single value: the clause is not read as one.
        let two = generate(
            "segment.track", "ga4.event", "client_id: anonymousId\ncurrency: lowercase the currency; default the site currency")
        #expect(!line(two.mapping, "params.currency").contains("??"))
    }

    @Test func aPartOfAnotherFieldAsTheAlternative() {
        let r = generate(
            "segment.identify", "hubspot.contact",
            "email = traits.email.\nLast name is traits.lastName; if the form didn't send one, take the last word of traits.name.")
        #expect(line(r.mapping, "lastname").contains("null_if_blank(traits.lastName) ?? split(trim(traits.name), \" \", -1)"))
    }
}

extension OfflineChainsRound6Tests {
    @Test func aTemplateInBackticksIsItsPartsJoined() {
        let r = generate(
            "hubspot.contact", "segment.identify", "messageId = `contact/<record id>/<create date as yyyyMMdd>`\nuserId = hs_object_id")
        #expect(line(r.mapping, "messageId").contains("\"contact/\" + hs_object_id + \"/\" + format_date(createdate, \"yyyyMMdd\")"))
        // A field name in backticks stays a name.
        let named = generate("hubspot.contact", "segment.identify", "userId = `hs_object_id`\ntraits.email = email")
        #expect(line(named.mapping, "userId").contains("hs_object_id"))
    }

    @Test func aTableRowsNotesThatUseEveryListedField() {
        let r = generate(
            "hubspot.contact", "segment.identify",
            "| Segment field | HubSpot property | Notes |\n|---|---|---|\n| userId | Record ID | |\n"
                + "| traits.company.id | Primary Associated Company ID | prefixed with `co:` |\n")
        #expect(line(r.mapping, "traits.company.id").contains("\"co:\" + associatedcompanyid"))
    }

    @Test func aPlatformsNameBeforeAFieldOnlySaysWhoseItIs() {
        let r = generate(
            "hubspot.contact", "salesforce.Contact",
            "External ID is crm- followed by the HubSpot Record ID (so crm-77 and so on); we upsert on it")
        #expect(line(r.mapping, "External_Id__c").contains("\"crm-\" + hs_object_id"))
    }

    @Test func threeWordsThatSpellAFieldNameWhole() {
        let r = generate("hubspot.contact", "segment.identify", "userId = hs_object_id\ntimestamp = the last modified date")
        #expect(line(r.mapping, "timestamp").contains("lastmodifieddate"))
    }
}

extension OfflineChainsRound6Tests {
    @Test func aJoinThatSaysHowMissingPartsGoKeepsEmptyText() {
        let r = generate(
            "hubspot.contact", "mailchimp.member",
            "email_address = email\nmerge_fields.ADDRESS: city and country joined with \" / \" (skip the missing parts)")
        let rule = line(r.mapping, "merge_fields.ADDRESS")
        #expect(rule.contains("join(\" / \", city, country)") && !rule.contains("null_if_blank(join"))
        // Saying nothing about missing parts: null when every part is missing, as before.
        let plain = generate(
            "hubspot.contact", "mailchimp.member", "email_address = email\nmerge_fields.ADDRESS: city and country joined with \" / \"")
        #expect(line(plain.mapping, "merge_fields.ADDRESS").contains("null_if_blank(join("))
    }

    @Test func otherValuesUnchangedIsTheFieldItself() {
        let r = generate(
            "hubspot.contact", "segment.identify",
            "userId = hs_object_id\ntraits.lifecycle_stage: customer → client, evangelist → advocate, other stages unchanged")
        #expect(r.mapping.range(of: #"_\s+=> lifecyclestage"#, options: .regularExpression) != nil)
        #expect(!r.mapping.contains("\"unchanged\""))
    }

    @Test func aYesNoDefaultWhenTheFieldIsMissing() {
        let r = generate(
            "segment.identify", "hubspot.contact",
            "email = traits.email\nhs_email_optout = the unsubscribed trait; if that trait is missing, true.")
        #expect(line(r.mapping, "hs_email_optout").contains("traits.unsubscribed ?? true"))
    }
}

extension OfflineChainsRound6Tests {
    @Test func aDateWrittenLikeAnExample() {
        let r = generate(
            "mailchimp.member", "salesforce.Lead",
            "Email = email_address\nDescription: \"Joined \" and then the opt-in date written like 9 Feb 2023.")
        #expect(line(r.mapping, "Description").contains("\"Joined \" + format_date(timestamp_opt, \"d MMM yyyy\")"))
    }

    @Test func aDateWhoseWordsAndExampleAgree() {
        let r = generate(
            "hubspot.contact", "salesforce.Lead",
            "Email = email\nDescription: \"Created \" and the create date as month/day/year, like 03/21/2022")
        #expect(line(r.mapping, "Description").contains("format_date(createdate, \"MM/dd/yyyy\")"))
        // Words and example that disagree: nothing is claimed.
        let clash = generate(
            "hubspot.contact", "salesforce.Lead",
            "Email = email\nDescription: \"Created \" and the create date as day/month/year, like 03/21/2022")
        #expect(!line(clash.mapping, "Description").contains("format_date("))
        // An example that does not say which number is the day: nothing is claimed.
        let unclear = generate(
            "hubspot.contact", "salesforce.Lead", "Email = email\nDescription: \"Created \" and the create date written like 03/04/2022")
        #expect(!line(unclear.mapping, "Description").contains("format_date("))
    }

    @Test func capitalisedWordsAfterSoJustPutAreTheText() {
        let r = generate(
            "segment.track", "salesforce.Lead", "Email = properties.email\nLastName: nobody types a surname there, so just put Form Lead")
        #expect(line(r.mapping, "LastName").contains("= \"Form Lead\""))
        let lower = generate(
            "segment.track", "salesforce.Lead", "Email = properties.email\nLastName: nobody types a surname there, so just put the surname")
        #expect(!line(lower.mapping, "LastName").contains("\"the surname\""))
    }

    @Test func inDestinationPutAValue() {
        let r = generate(
            "hubspot.contact", "salesforce.Lead",
            "Email = email\nAnd in Description put \"From HubSpot: \" followed by the lifecycle stage.")
        #expect(line(r.mapping, "Description").contains("\"From HubSpot: \" + lifecyclestage"))
    }

    @Test func aDefaultWhoseConditionNamesTheDestination() {
        let r = generate(
            "mailchimp.member", "salesforce.Lead", "Email = email_address\nLast name from LNAME; if there's no last name, use \"(none)\".")
        #expect(line(r.mapping, "LastName").contains("?? \"(none)\""))
    }
}

extension OfflineChainsRound6Tests {
    @Test func anExampleInParenthesesDoesNotEndTheSentence() {
        #expect(
            SentenceSplitter.split("Company is the domain (e.g. acme.com); Unknown otherwise.") == [
                "Company is the domain (e.g. acme.com); Unknown otherwise."
            ])
        let r = generate(
            "segment.track", "salesforce.Lead",
            "Email = properties.email\nCompany: the domain of the email, lower case (e.g. example.org); Unknown if that doesn't work")
        #expect(line(r.mapping, "Company").contains("email_domain(properties.email) ?? \"Unknown\""))
    }
}

extension OfflineChainsRound6Tests {
    @Test func aRemarkOnMissingPartsAfterAJoin() {
        let r = generate(
            "hubspot.contact", "mailchimp.member",
            "email_address = email\nmerge_fields.ADDRESS: city, state and zip, joined with \" \" and omitting whichever parts are blank.")
        #expect(line(r.mapping, "merge_fields.ADDRESS").contains("join(\" \", city, state, zip)"))
        // A remark that says something else about the parts is not dropped.
        let other = generate(
            "hubspot.contact", "mailchimp.member",
            "email_address = email\nmerge_fields.ADDRESS: city, state and zip, joined with \" \" and omitting the zip for US contacts.")
        #expect(
            !line(other.mapping, "merge_fields.ADDRESS").contains("join(\" \", city, state, zip)")
                || flagged(line(other.mapping, "merge_fields.ADDRESS")))
    }

    @Test func anAdjectiveBeforeTheAlternativeField() {
        let r = generate(
            "hubspot.contact", "mailchimp.member",
            "email_address = email\nPHONE = mobile phone; when the mobile is empty use the usual phone.")
        #expect(line(r.mapping, "merge_fields.PHONE").contains("null_if_blank(truncate(mobilephone, 255)) ?? truncate(phone, 255)"))
    }
}

extension OfflineChainsRound6Tests {
    @Test func aNameAndItsGroupWordSpellTheDottedDestination() {
        let r = generate(
            "hubspot.contact", "ga4.event",
            "client_id -> hs_object_id\ncurrency param -> CHF\nuser property country -> Country/Region\nlifecycle_stage user property = lifecycle stage"
        )
        #expect(line(r.mapping, "params.currency").contains("\"CHF\""))
        #expect(line(r.mapping, "user_properties.country").contains("country"))
        #expect(line(r.mapping, "user_properties.lifecycle_stage").contains("lifecyclestage"))
        // A group word with a name the destination does not have names nothing.
        let none = generate("hubspot.contact", "ga4.event", "client_id -> hs_object_id\nshoe_size param -> 42")
        #expect(!none.mapping.contains("shoe_size"))
    }

    @Test func aWordInParenthesesAsTheDefault() {
        let r = generate(
            "salesforce.Lead", "ga4.event", "client_id = Id\nparams.lead_source = Lead Source; when the lead source is empty use (unknown)")
        #expect(line(r.mapping, "params.lead_source").contains("?? \"(unknown)\""))
    }
}

extension OfflineChainsRound6Tests {
    @Test func aValueThenItsDefaultAfterAComma() {
        let t = generate("hubspot.contact", "salesforce.Lead", "Email = email\nTitle = the job title, and when it is empty use Staff")
        #expect(line(t.mapping, "Title").contains("null_if_blank(truncate(jobtitle, 128)) ?? \"Staff\""))
        // A condition on another field after the comma is no default.
        let c = generate(
            "hubspot.contact", "salesforce.Lead", "Email = email\nTitle = the job title, and when the stage is customer use Staff")
        #expect(!line(c.mapping, "Title").contains("?? \"Staff\""))
    }
}

extension OfflineChainsRound6Tests {
    @Test func aValueThenOrADefaultWhenThereIsNone() {
        let r = generate(
            "segment.track", "ga4.event",
            "client_id = anonymousId\nlead_source param = utm medium (context.campaign.medium), or offline when there isn't one")
        #expect(line(r.mapping, "params.lead_source").contains("?? \"offline\""))
        let m = generate("segment.track", "ga4.event", "client_id = anonymousId\ncurrency = properties.currency lowercased, gbp if missing")
        #expect(line(m.mapping, "params.currency").contains("null_if_blank(lower(properties.currency)) ?? \"gbp\""))
    }

    @Test func aNumberConstantWithItsReason() {
        let r = generate(
            "segment.track", "ga4.event", "client_id = anonymousId\nengagement_time_msec = 250 always (because reports hide zero)")
        #expect(line(r.mapping, "params.engagement_time_msec").contains("= 250"))
        // A reason that names a field is more than a reason.
        let f = generate(
            "segment.track", "ga4.event", "client_id = anonymousId\nengagement_time_msec = 250 always (otherwise properties.value)")
        #expect(!line(f.mapping, "params.engagement_time_msec").contains("= 250  # [S2] confidence 0.90"))
    }

    @Test func fallBackToAFieldIfThereIsNone() {
        let r = generate(
            "salesforce.Contact", "segment.identify", "userId is the External ID; fall back to the Salesforce Id if there's no External ID."
        )
        #expect(line(r.mapping, "userId").contains("null_if_blank(External_Id__c) ?? Id"))
    }
}

extension OfflineChainsRound6Tests {
    @Test func severalExamplesAllChecked() {
        let r = generate(
            "hubspot.contact", "mailchimp.member",
            "email_address = email\nlanguage = the first two letters of the preferred language (de-at → de, fr-ch → fr)")
        #expect(line(r.mapping, "language").contains("left(hs_language, 2)"))
        let wrong = generate(
            "hubspot.contact", "mailchimp.member",
            "email_address = email\nlanguage = the first two letters of the preferred language (de-at → de, fr-ch → ch)")
        #expect(!line(wrong.mapping, "language").contains("left(hs_language, 2)  # [S2] confidence 0.90"))
    }

    @Test func aCaseChangeCheckedAgainstItsExample() {
        let r = generate(
            "segment.identify", "hubspot.contact", "email = traits.email\nhs_language = context.locale, upper-cased (pt-br → PT-BR)")
        #expect(line(r.mapping, "hs_language").contains("upper(context.locale)"))
        let wrong = generate(
            "segment.identify", "hubspot.contact", "email = traits.email\nhs_language = context.locale, upper-cased (pt-br → PT)")
        #expect(!line(wrong.mapping, "hs_language").contains("upper(context.locale)  # [S2] confidence 0.90"))
    }

    @Test func aQuotedValueForEverybody() {
        let r = generate("salesforce.Contact", "mailchimp.member", "email_address = Email\nemail_type: \"text\" for everyone")
        #expect(line(r.mapping, "email_type").contains("= \"text\""))
    }

    @Test func aFormatWithADescriptionAndAnExampleInParentheses() {
        let r = generate(
            "salesforce.Contact", "mailchimp.member",
            "email_address = Email\nmerge_fields.BIRTHDAY = Birthdate as DD/MM (day first, e.g. 21/04)")
        #expect(line(r.mapping, "merge_fields.BIRTHDAY").contains("format_date(Birthdate, \"dd/MM\")"))
    }
}

extension OfflineChainsRound6Tests {
    @Test func aDatePatternAfterAStyleWord() {
        let r = generate(
            "mailchimp.member", "salesforce.Lead",
            "Email = email_address\nDescription: \"Opted in on \" followed by timestamp_opt written the American way (MM/DD/YYYY).")
        #expect(line(r.mapping, "Description").contains("format_date(timestamp_opt, \"MM/dd/yyyy\")"))
    }

    @Test func aReasonInParenthesesAfterAFormat() {
        let r = generate(
            "salesforce.Contact", "mailchimp.member",
            "email_address = Email\nmerge_fields.BIRTHDAY = Birthdate as DD/MM (because the audience is European)")
        #expect(line(r.mapping, "merge_fields.BIRTHDAY").contains("format_date(Birthdate, \"dd/MM\")"))
        // A "reason" that names a field is not dropped.
        let f = generate(
            "salesforce.Contact", "mailchimp.member",
            "email_address = Email\nmerge_fields.BIRTHDAY = Birthdate as DD/MM (because of MailingCountry)")
        #expect(!line(f.mapping, "merge_fields.BIRTHDAY").contains("confidence 0.90"))
    }

    @Test func twoFallbacksInOneClause() {
        let r = generate(
            "segment.identify", "salesforce.Contact",
            "Email = traits.email\nLastName: traits.lastName; if there's no last name use traits.firstName, and if that's missing as well \"Anonymous\""
        )
        #expect(line(r.mapping, "LastName").contains("?? null_if_blank(truncate(traits.firstName, 80)) ?? \"Anonymous\""))
    }
}

extension OfflineChainsRound6Tests {
    @Test func orAnotherFieldWhenThereIsNone() {
        let r = generate(
            "salesforce.Contact", "segment.identify", "userId is the External ID, or the Id when there isn't one. traits.email = Email")
        #expect(line(r.mapping, "userId").contains("null_if_blank(External_Id__c) ?? Id"))
        // "or X when <another condition>" is no default for when the first is empty.
        let c = generate(
            "salesforce.Contact", "segment.identify",
            "userId is the External ID, or the Id when the contact is deleted. traits.email = Email")
        #expect(!line(c.mapping, "userId").contains("null_if_blank(External_Id__c) ?? Id  # [S1] confidence 0.90"))
    }
}

extension OfflineChainsRound6Tests {
    @Test func aMergeFieldNamedLikeASourceFieldIsTheDestination() {
        let r = generate(
            "hubspot.contact", "mailchimp.member",
            "email_address = email\nthe phone merge field is the phone number but if that's empty put Unlisted.")
        #expect(line(r.mapping, "merge_fields.PHONE").contains("null_if_blank(truncate(phone, 255)) ?? \"Unlisted\""))
        // "n/a" unquoted reads as two words: never the text "n".
        let na = generate(
            "hubspot.contact", "mailchimp.member",
            "email_address = email\nthe phone merge field is the phone number but if that's empty put n/a.")
        #expect(!line(na.mapping, "merge_fields.PHONE").contains("\"n\""))
        let always = generate("hubspot.contact", "mailchimp.member", "email_address = email\nthe phone merge field is always n/a.")
        #expect(!line(always.mapping, "merge_fields.PHONE").contains("\"n\""))
        // "but if" with a condition on another field: no default for it.
        let c = generate(
            "hubspot.contact", "mailchimp.member",
            "email_address = email\nthe phone merge field is the phone number but if the stage is lead put Unlisted.")
        #expect(!line(c.mapping, "merge_fields.PHONE").contains("?? \"Unlisted\"  # [S2] confidence 0.90"))
    }
}

extension OfflineChainsRound6Tests {
    @Test func aValueBuiltFromItsParts() {
        let r = generate(
            "hubspot.contact", "segment.identify",
            "The messageId must change with every edit, so make it from crm-, the record ID, an underscore, and the last modified date as yyyyMMdd.\nuserId = hs_object_id"
        )
        #expect(line(r.mapping, "messageId").contains("\"crm-\" + hs_object_id + \"_\" + format_date(lastmodifieddate, \"yyyyMMdd\")"))
        // Two fields with nothing between them: not read.
        let glued = generate(
            "hubspot.contact", "segment.identify",
            "The messageId must be unique, so build it from the record ID and the email.\nuserId = hs_object_id")
        #expect(!line(glued.mapping, "messageId").contains("hs_object_id + email"))
    }
}

extension OfflineChainsRound6Tests {
    @Test func aPreferenceAndWhenToUseAnother() {
        let r = generate(
            "hubspot.contact", "salesforce.Lead",
            "Email = email\nfor Phone we prefer the mobile number, and only take the phone number when there is no mobile.")
        #expect(line(r.mapping, "Phone").contains("null_if_blank(truncate(mobilephone, 40)) ?? truncate(phone, 40)"))
        // A preference whose other case is not "no value" is not read.
        let other = generate(
            "hubspot.contact", "salesforce.Lead",
            "Email = email\nfor Phone we prefer the mobile number, and only take the phone number for customers.")
        #expect(!line(other.mapping, "Phone").contains("confidence 0.90"))
    }
}

extension OfflineChainsRound6Tests {
    @Test func whenTheRecordWasCreated() {
        let r = generate("salesforce.Lead", "segment.identify", "userId = Id\ntimestamp = when the lead was last modified in Salesforce")
        #expect(line(r.mapping, "timestamp").contains("LastModifiedDate"))
        // Words it does not know ("… by sales") leave it unread.
        let by = generate("salesforce.Lead", "segment.identify", "userId = Id\ntimestamp = when the lead was last modified by sales")
        #expect(!line(by.mapping, "timestamp").contains("LastModifiedDate  # [S2] confidence 0.85"))
    }
}
