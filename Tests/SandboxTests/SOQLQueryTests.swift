import Foundation
import Testing

@testable import Sandbox

@Suite struct SOQLQueryTests {
    @Test func parsesTheSupportedSubset() throws {
        let query = try SOQLQuery.parse(
            "select Id, Email,Name FROM Lead WHERE SystemModstamp > 2024-01-01T00:00:00Z AND Status != 'Closed \\'x\\'' "
                + "ORDER BY SystemModstamp DESC LIMIT 50 OFFSET 10")
        #expect(query.fields == ["Id", "Email", "Name"])
        #expect(query.object == "Lead")
        #expect(query.conditions.count == 2)
        #expect(query.conditions[1].literal == .string("Closed 'x'"))
        #expect(query.orderBy?.field == "SystemModstamp")
        #expect(query.orderBy?.descending == true)
        #expect(query.limit == 50)
        #expect(query.offset == 10)
        let bare = try SOQLQuery.parse("SELECT Id FROM Account")
        #expect(bare.conditions.isEmpty && bare.limit == nil && bare.orderBy == nil)
    }

    @Test func reportsMalformedQueries() {
        for text in [
            "", "SELECT", "SELECT FROM Lead", "SELECT Id Lead", "SELECT Id FROM", "SELECT Id FROM Lead WHERE",
            "SELECT Id FROM Lead WHERE Name ~ 'x'", "SELECT Id FROM Lead LIMIT x", "SELECT Id FROM Lead WHERE Name = 'open",
            "SELECT Id FROM Lead trailing",
        ] {
            #expect(throws: SOQLQuery.Malformed.self, "\(text)") { try SOQLQuery.parse(text) }
        }
    }

    // A termination test: a hang fails at the time limit instead of stalling the suite.
    @Test(.timeLimit(.minutes(1))) func neverCrashesWhenATokenIsDeleted() {
        let text = "SELECT Id , Email FROM Lead WHERE SystemModstamp >= 2024-01-01T00:00:00Z AND Status = 'Open' ORDER BY Email ASC LIMIT 5"
        let words = text.split(separator: " ").map(String.init)
        for index in words.indices {
            var damaged = words
            damaged.remove(at: index)
            _ = try? SOQLQuery.parse(damaged.joined(separator: " "))
            damaged = words
            damaged[index] = "'"
            _ = try? SOQLQuery.parse(damaged.joined(separator: " "))
        }
    }

    @Test func comparesDatesNumbersAndTextLikeSalesforce() throws {
        let after = try SOQLQuery.parse("SELECT Id FROM Lead WHERE SystemModstamp > 2024-01-01T00:00:00Z").conditions[0]
        #expect(SOQLQuery.satisfies(.string("2024-01-02T00:00:00.000+0000"), after))
        #expect(!SOQLQuery.satisfies(.string("2023-12-31T23:59:59.000+0000"), after))
        let count = try SOQLQuery.parse("SELECT Id FROM Lead WHERE NumberOfEmployees >= 10").conditions[0]
        #expect(SOQLQuery.satisfies(.number(10), count))
        #expect(!SOQLQuery.satisfies(.number(9), count))
        let name = try SOQLQuery.parse("SELECT Id FROM Lead WHERE Company = 'ACME'").conditions[0]
        #expect(SOQLQuery.satisfies(.string("acme"), name))
        let missing = try SOQLQuery.parse("SELECT Id FROM Lead WHERE Email = null").conditions[0]
        #expect(SOQLQuery.satisfies(nil, missing))
    }
}
