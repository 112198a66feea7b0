import Adapters
import Foundation
import MapDSL
import SyncEngine
import Testing

extension AdaptersTestSuite {
    /// The JSONL and SQLite adapters: the same contract as the platform adapters, on local files.
    @Suite("Local adapters")
    struct LocalAdapterTests {
        enum Kind: String, CaseIterable, Sendable { case jsonl, sqlite }

        static func make(_ kind: Kind) throws -> any PlatformAdapter {
            let dir = Repository.temporaryDirectory()
            let parameters =
                kind == .jsonl ? ["dir": dir, "modified_field": "updated"] : ["path": dir + "/db.sqlite", "modified_field": "updated"]
            return try AdapterFactory.make(platform: kind.rawValue, connection: Connection(platform: kind.rawValue, parameters: parameters))
        }

        static func record(_ index: Int, _ name: String) -> OutboundRecord {
            OutboundRecord(
                key: "k\(index)",
                fields: [("name", .string(name)), ("score", .int(index)), ("updated", .string("2024-01-\(10 + index % 10)T00:00:00Z"))])
        }

        @Test("upsert twice, then fetch every page and incrementally", arguments: Kind.allCases)
        func roundTrip(_ kind: Kind) throws {
            let adapter = try Self.make(kind)
            let records = (0..<25).map { Self.record($0, "first") }
            let first = try adapter.write(WriteRequest(object: "people", keyField: "id", mode: .upsert, records: records))
            #expect(first.allSatisfy { $0.status == .created })
            let again = (0..<25).map { Self.record($0, "second") }
            let second = try adapter.write(WriteRequest(object: "people", keyField: "id", mode: .upsert, records: again))
            #expect(second.allSatisfy { $0.status == .updated })

            var cursor: String?
            var seen: [SourceRecord] = []
            repeat {
                let page = try adapter.fetch(FetchRequest(object: "people", cursor: cursor, pageSize: 7))
                #expect(page.records.count <= 7)
                seen += page.records
                cursor = page.nextCursor
            } while cursor != nil
            #expect(seen.count == 25)
            #expect(Set(seen.map(\.id)) == Set((0..<25).map { "k\($0)" }))
            #expect(seen.allSatisfy { $0.fields["name"] == "second" })

            let recent = try adapter.fetch(FetchRequest(object: "people", modifiedSince: "2024-01-18T00:00:00Z", pageSize: 100))
            #expect(recent.records.count == 4)  // days 18 and 19: k8, k9, k18, k19

            let insert = try adapter.write(
                WriteRequest(object: "people", keyField: "id", mode: .insertOnly, records: [Self.record(1, "x"), Self.record(99, "new")]))
            #expect(insert.map(\.status) == [.duplicate, .created])
            let update = try adapter.write(
                WriteRequest(object: "people", keyField: "id", mode: .updateOnly, records: [Self.record(500, "x")]))
            #expect(update.first?.status == .rejected)
            #expect(update.first?.errorCode == "NOT_FOUND")

            let found = try #require(try adapter.find(object: "people", field: "id", value: "k3"))
            #expect(found["name"] == "second")
            #expect(try adapter.find(object: "people", field: "id", value: "nobody") == nil)

            let schema = try adapter.describe(object: "people")
            #expect(schema.field("score")?.type == .int)
            #expect(schema.field("name")?.type == .string)
        }

        @Test("the SQLite adapter refuses unsafe table names")
        func identifiers() throws {
            let adapter = try Self.make(.sqlite)
            #expect(throws: AdapterError.self) {
                _ = try adapter.fetch(FetchRequest(object: "people; DROP TABLE x", pageSize: 1))
            }
        }
    }
}
