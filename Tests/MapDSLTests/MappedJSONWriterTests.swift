import Foundation
import TestSupport
import Testing

@testable import MapDSL

/// The writer the sync engine hashes and records mapped records with: the same bytes as
/// ``RecordMapper/jsonLine(_:fields:)`` and the same verdict as ``OutputValidator``, whatever the
/// fast checks decide.
@Suite struct MappedJSONWriterTests {
    static let source = Schema(
        platform: "src", object: "person",
        fields: FieldChecksTests.fields.map {
            Field(name: $0.name, type: $0.type == .picklist || $0.type == .multipicklist ? .string : $0.type, nullable: false)
        })
    static let destination = Schema(platform: "dst", object: "lead", fields: FieldChecksTests.fields)

    static func mapping() throws -> CompiledMapping {
        let lines = FieldChecksTests.fields.map { "\($0.name) = \($0.name)" }.joined(separator: "\n")
        return try Compiler.compile(
            SourceText(path: "m.map", text: "mapping src.person -> dst.lead\n\n" + lines + "\n"),
            schemas: InMemorySchemas([source, destination]))
    }

    @Test func writesWhatJSONLineWritesAndReportsWhatTheValidatorReports() throws {
        let mapping = try Self.mapping()
        let writer = MappedJSONWriter(mapping: mapping)
        let fields = mapping.outputFields
        var seen = (valid: 0, invalid: 0)
        for text in FieldChecksTests.texts {
            // Every field gets the text where it takes text, and an ordinary value elsewhere.
            let values: [Value] = fields.map { f in
                switch f.type {
                case .int: .int(7)
                case .decimal: .decimal(2.5)
                case .bool: .bool(true)
                case .date: .date(19_000)
                case .datetime: .datetime(1_700_000_000_000)
                default: .string(text)
                }
            }
            for candidate in [values, values.map { _ in Value.null }] {
                var bytes: [UInt8] = []
                let violations = writer.write(candidate, to: &bytes)
                #expect(String(decoding: bytes, as: UTF8.self) == RecordMapper.jsonLine(candidate, fields: fields))
                #expect(violations == OutputValidator.validate(candidate, fields: fields), "\(text.debugDescription)")
                if violations.isEmpty { seen.valid += 1 } else { seen.invalid += 1 }
            }
        }
        // A valid record: plain text everywhere a format allows it.
        let valid: [Value] = fields.map { f in
            switch f.name {
            case "short": .string("abc")
            case "email", "sfEmail": .string("ann@x.io")
            case "phone": .string("555-0100")
            case "sfPhone": .string("5pm")
            case "ga4": .string("sign_up")
            case "openPick": .string("a")
            case "url": .string("https://x.io")
            case "pick", "multi": .string("a")
            case "count": .int(1)
            default: f.type == .string || f.type == .id ? .string("x") : .null
            }
        }
        var bytes: [UInt8] = []
        #expect(writer.write(valid, to: &bytes).isEmpty)
        #expect(OutputValidator.validate(valid, fields: fields).isEmpty)
        #expect(String(decoding: bytes, as: UTF8.self) == RecordMapper.jsonLine(valid, fields: fields))
        #expect(seen.invalid > 0)
    }
}
