import Foundation
import Testing

// Only these from MapDSL: its JSONValue would clash with the sandbox's.
import struct MapDSL.Compiler
import enum MapDSL.DryRun
import class MapDSL.RecordMapper
import struct MapDSL.Schema
import class MapDSL.SchemaDirectory
import struct MapDSL.SourceText

@testable import Sandbox

/// The emulators judge written values by the platform rules in `platforms/` (issue 15), and mapc's
/// checks never reject a record the emulator accepts.
@Suite struct PlatformFidelityTests {
    static let schemas = Fixtures.repositoryRoot.appendingPathComponent("schemas")

    static func schema(_ platform: String, _ object: String) throws -> ObjectSchema {
        try #require(try ObjectSchema.loadAll(platform: platform, from: schemas)[object])
    }

    static func issues(_ fields: [String: JSONValue], _ platform: String = "salesforce", _ object: String = "Lead") throws
        -> [FieldIssue]
    {
        FieldValidator.validate(fields, against: try schema(platform, object), creating: false)
    }

    @Test(arguments: ["555-0101 ext. 12", "1-800-FLOWERS", "call after 5pm", "n/a", "ask for Maria at reception"])
    func salesforceEmulatorAcceptsPhonesWithText(phone: String) throws {
        #expect(try Self.issues(["Phone": .string(phone)]).isEmpty)
    }

    @Test func salesforceEmulatorCountsUTF16CodeUnitsForStringTooLong() throws {
        let tooLong = String(repeating: "A", count: 39) + "\u{1F642}"
        #expect(
            try Self.issues(["FirstName": .string(tooLong)]) == [
                FieldIssue(field: "FirstName", problem: .tooLong(maxLength: 40, length: 41))
            ])
        #expect(try Self.issues(["FirstName": .string(String(repeating: "A", count: 39))]).isEmpty)
    }

    @Test func salesforceEmulatorEmailRulesAreSalesforces() throws {
        for email in ["ann.lee.@example.com", "kenji..sato@example.co.jp", "o'brien@example.ie", "pedro@gmail"] {
            #expect(try Self.issues(["Email": .string(email)]).isEmpty, "\(email)")
        }
        for email in ["x@my_domain.com", ".a@test.jp", "maria@@gmail.com"] {
            #expect(try Self.issues(["Email": .string(email)]) == [FieldIssue(field: "Email", problem: .invalidEmail(email))], "\(email)")
        }
    }

    @Test func hubspotEmulatorTakesAnyPhoneText() throws {
        #expect(try Self.issues(["phone": .string("call after 5pm")], "hubspot", "contact").isEmpty)
    }

    @Test(.timeLimit(.minutes(1)))
    func salesforceEmulatorAnswersAsSalesforceOverHTTP() async throws {
        let options = SandboxOptions(
            schemasDirectory: Self.schemas, samplesDirectory: Fixtures.root.appendingPathComponent("samples"),
            rateLimitsDirectory: Fixtures.repositoryRoot.appendingPathComponent("ratelimits"))
        let server = try SandboxServer.start(platform: .salesforce, options: options)
        defer { server.stop() }
        let records: [[String: Any]] = [
            ["External_Id__c": "f1", "LastName": "A", "Company": "C", "Status": "Open - Not Contacted", "Phone": "1-800-FLOWERS"],
            ["External_Id__c": "f2", "LastName": "B", "Company": "C", "Status": "Open - Not Contacted", "Email": "ann.lee.@example.com"],
            ["External_Id__c": "f3", "LastName": "C", "Company": "C", "Status": "Open - Not Contacted", "Email": "x@my_domain.com"],
            [
                "External_Id__c": "f4", "LastName": "D", "Company": "C", "Status": "Open - Not Contacted",
                "FirstName": String(repeating: "A", count: 39) + "\u{1F642}",
            ],
        ]
        let reply = try await Client(server).send(
            "PATCH", "/services/data/v59.0/composite/sobjects/Lead/External_Id__c",
            headers: ["Authorization": "Bearer \(SandboxPlatform.salesforce.defaultCredential)"], json: ["records": records])
        #expect(reply.status == 200)
        let codes = reply.array.compactMap { $0 as? [String: Any] }.map {
            (($0["errors"] as? [[String: Any]])?.first?["statusCode"] as? String) ?? "ok"
        }
        #expect(codes == ["ok", "ok", "INVALID_EMAIL_ADDRESS", "STRING_TOO_LONG"])
    }

    // MARK: mapc against the emulators, over the messy samples

    /// The emulator's verdict on a mapped record (its JSON line): the issues it would answer with,
    /// or nil where the emulator does not judge fields (Segment's Tracking API accepts any traits).
    static func emulatorIssues(_ line: String, destination: Schema) throws -> [FieldIssue]? {
        // Klaviyo's emulator is generated from adapters/klaviyo.json and validates with the same FieldValidator.
        guard ["salesforce", "hubspot", "mailchimp", "klaviyo"].contains(destination.platform) else { return nil }
        guard case .object(let fields)? = JSONValue.parse(Data(line.utf8)) else {
            Issue.record("not a JSON object: \(line)")
            return []
        }
        return FieldValidator.validate(fields, against: try schema(destination.platform, destination.object), creating: true)
    }

    /// Done when (issue 15): no record the platform would accept is rejected by mapc's checks in the
    /// sandbox's messy samples. Every sample mapping maps every record of its source's samples; each
    /// record mapc rejects for a destination rule must be one the emulator (judging by the platform
    /// rules) refuses too, on the same field; and each record mapc passes without a warning the
    /// emulator accepts.
    @Test(.timeLimit(.minutes(2)))
    func mapcRejectsNoSampleRecordTheEmulatorAccepts() throws {
        let root = Fixtures.repositoryRoot.path
        let directory = SchemaDirectory(root: root + "/schemas")
        let mappings = try FileManager.default.contentsOfDirectory(atPath: root + "/samples/mappings").filter { $0.hasSuffix(".map") }
            .sorted()
        #expect(mappings.count == 7)  // the four one-way sample mappings, the two of jobs/contacts-two-way.json and contacts-to-klaviyo.map
        var judged = 0
        var rejectedByMapc = 0
        for name in mappings {
            let text = try String(contentsOfFile: root + "/samples/mappings/" + name, encoding: .utf8)
            let mapping = try Compiler.compile(SourceText(path: name, text: text), schemas: directory)
            let samples = try String(
                contentsOfFile: root + "/samples/\(mapping.source.platform)/\(mapping.source.object).jsonl", encoding: .utf8)
            let mapper = RecordMapper(mapping: mapping)
            for (n, line) in DryRun.lines(of: samples).enumerated() {
                let at = "\(name) over line \(n + 1)"
                switch mapper.map(line: line) {
                case .mapped(let json, _)?:
                    guard let issues = try Self.emulatorIssues(json, destination: mapping.destination) else { continue }
                    judged += 1
                    if mapper.lastWarnings.isEmpty {
                        #expect(issues.isEmpty, "\(at): mapc passes it, the emulator refuses: \(issues)")
                    }
                case .rejected(nil, let violations, let values?)?:
                    rejectedByMapc += 1
                    let json = RecordMapper.jsonLine(values, fields: mapping.outputFields)
                    guard let issues = try Self.emulatorIssues(json, destination: mapping.destination) else {
                        Issue.record("\(at): mapc rejects \(violations.map(\.message)) for a platform that accepts any value")
                        continue
                    }
                    judged += 1
                    for v in violations {
                        #expect(
                            issues.contains { $0.field == v.field },
                            "\(at): mapc rejects `\(v.field)` (\(v.message)), the emulator accepts it")
                    }
                default: continue
                }
            }
        }
        #expect(judged > 250)
        #expect(rejectedByMapc > 5)
    }
}
