import Foundation
import Testing

@testable import Sandbox

/// The fast paths of validation must agree with the straightforward checks they replace.
@Suite struct FieldChecksTests {
    static func leadSchema() throws -> ObjectSchema {
        let url = Fixtures.repositoryRoot.appendingPathComponent("schemas/salesforce/Lead.json")
        return try JSONDecoder().decode(ObjectSchema.self, from: Data(contentsOf: url))
    }

    static let records: [[String: SandboxJSON]] = {
        let valid: [String: SandboxJSON] = [
            "LastName": "Ng", "Company": "Co", "Status": "Open - Not Contacted", "Email": "ng@example.com",
        ]
        let wrong: [String: SandboxJSON] = [
            "LastName": "", "Company": .null, "Email": "not an email", "Nope__c": 1, "Name": "read only",
        ]
        let types: [String: SandboxJSON] = [
            "Status": "Bogus", "LeadSource": "Web", "NumberOfEmployees": .number(1.5), "AnnualRevenue": "12x",
            "HasOptedOutOfEmail": "TRUE",
        ]
        let long: [String: SandboxJSON] = [
            "LastName": .string(String(repeating: "é", count: 81)), "FirstName": .string(String(repeating: "e", count: 41)),
        ]
        let fits: [String: SandboxJSON] = [
            "LastName": .string(String(repeating: "é", count: 40)), "Company": "C", "Status": "Working - Contacted",
        ]
        let mixed: [String: SandboxJSON] = [
            "HasOptedOutOfEmail": .null, "DoNotCall": "maybe", "ConvertedDate": "2024-01-01", "Email": "ünï@exämple.com",
        ]
        return [valid, wrong, types, long, fits, mixed, [:]]
    }()

    /// Validation as it was: sorted names, then required fields in schema order.
    static func referenceValidate(_ fields: [String: SandboxJSON], _ schema: ObjectSchema, creating: Bool)
        -> [FieldIssue]
    {
        var issues: [FieldIssue] = []
        for name in fields.keys.sorted() {
            guard let field = schema.fields.first(where: { $0.name == name }) else {
                issues.append(FieldIssue(field: name, problem: .unknownField))
                continue
            }
            if field.readOnly {
                issues.append(FieldIssue(field: name, problem: .readOnly))
            } else if let problem = FieldValidator.check(fields[name]!, field) {
                issues.append(FieldIssue(field: name, problem: problem))
            }
        }
        if creating {
            for field in schema.fields where field.required && !field.readOnly {
                let value = fields[field.name]
                if value == nil || value == .null || value?.textValue?.isEmpty == true {
                    issues.append(FieldIssue(field: field.name, problem: .required))
                }
            }
        }
        return issues
    }

    @Test func columnChecksReportWhatDictionaryChecksReport() throws {
        let schema = try Self.leadSchema()
        let columns = Array(Set(Self.records.flatMap(\.keys))).sorted().reversed().map { $0 }
        let index = Dictionary(uniqueKeysWithValues: columns.enumerated().map { ($1, $0) })
        let checks = FieldChecks(columns: columns, schema: schema, column: { index[$0] })
        for record in Self.records {
            var values = [SandboxJSON?](repeating: nil, count: columns.count)
            for (name, value) in record { values[index[name]!] = value }
            for creating in [true, false] {
                let expected = Self.referenceValidate(record, schema, creating: creating)
                #expect(FieldValidator.validate(record, against: schema, creating: creating) == expected)
                #expect(checks.validate(values, creating: creating) == expected, "\(record) creating: \(creating)")
                // A record's values may stop before the last columns.
                let trimmed = Array(values.prefix(upTo: (values.lastIndex { $0 != nil } ?? -1) + 1))
                #expect(checks.validate(trimmed, creating: creating) == expected)
            }
        }
    }

    @Test func soqlTokensAreTheSameByBytesAndByCharacters() throws {
        let queries = [
            "SELECT Id, Email,Name FROM Lead WHERE SystemModstamp >= 2024-01-01T00:00:00+01:00 AND Status <> 'Closed \\'x\\''",
            "select  Id\r\nFROM\tLead WHERE Name='a,b=c' AND NumberOfEmployees<=10 ORDER BY Name DESC LIMIT 5 OFFSET 1",
            "SELECT Id FROM Lead WHERE Name = 'line\r\nbreak' AND x!=y AND a<b AND c>d AND e=f",
            "SELECT Id FROM Lead WHERE Name = 'trailing \\", "SELECT Id FROM Lead WHERE Name = 'open", "", "   ", "=<>!,'",
            "SELECT a.b__c FROM X WHERE d = -1.5e3 AND e = true AND f = null",
        ]
        for query in queries {
            let bytes = Result { try SOQLQuery.asciiTokens(query) }
            let characters = Result { try SOQLQuery.characterTokens(query) }
            switch (bytes, characters) {
            case (.success(let byBytes), .success(let byCharacters)): #expect(byBytes == byCharacters, "\(query)")
            case (.failure(let a as SOQLQuery.Malformed), .failure(let b as SOQLQuery.Malformed)): #expect(a == b)
            default: Issue.record("tokenizers disagree on \(query)")
            }
        }
        #expect(try SOQLQuery.asciiTokens("SELECT Id FROM Lead WHERE Name = 'Müller'") == nil)
        #expect(try SOQLQuery.parse("SELECT Id FROM Lead WHERE Name = 'Müller'").conditions[0].literal == "Müller")
    }
}
