import Foundation
import MapDSL
import Testing

@testable import Sandbox

/// The byte-level writers must produce exactly what serialising the equivalent `JSONValue` gave.
@Suite struct WireBytesTests {
    static let awkward: [SandboxJSON] = [
        .null, true, false, 0, .number(-0.0), .number(1.5), -12, .number(1e300), .number(9e15), 8_999_999_999_999_999,
        .number(123_456_789.25), .number(.infinity),
        "", "plain", "quote\" backslash\\ slash/", "tab\t newline\n cr\r ctrl\u{01}\u{1F}", "Üñíçødé 🎉 \u{2028}",
        [1, "a", [], [:]], ["b": 1, "a": [.null, ["z": "y", "é": true]], "": "empty key"],
    ]

    @Test func appendJSONWritesWhatJSONWriterWritesForTheSortedValue() {
        for value in Self.awkward + [.array(Self.awkward), .object(["k": .array(Self.awkward)])] {
            var bytes: [UInt8] = []
            value.appendJSON(to: &bytes)
            #expect(String(decoding: bytes, as: UTF8.self) == JSONWriter.compact(value.mapcValue), "\(value)")
            #expect(value.serialized() == Data(bytes))
        }
    }

    @Test func timestampsMatchMapcsCalendarCode() {
        var millis: [Int64] = [0, -1, 1, 999, -86_400_000, 1_700_000_000_123, 253_402_300_799_999, 253_402_300_800_000]
        millis += [-62_135_596_800_000, -62_167_219_200_000, -62_167_219_200_001, 951_782_400_000, 4_102_444_800_000]
        for step in stride(from: Int64(-80_000_000_000_000), to: 300_000_000_000_000, by: 7_777_777_777_777) {
            millis.append(step)
        }
        for value in millis {
            let date = Date(timeIntervalSince1970: Double(value) / 1000)
            let floored = Int64((date.timeIntervalSince1970 * 1000).rounded(.down))
            #expect(Timestamps.iso(date) == Dates.formatDateTime(floored), "\(value)")
            var bytes: [UInt8] = []
            Timestamps.appendISO(date, to: &bytes)
            #expect(String(decoding: bytes, as: UTF8.self) == Dates.formatDateTime(floored))
        }
    }

    /// HubSpot objects as the emulator built them before it wrote bytes.
    static func referenceObject(_ record: StoredRecord, properties names: [String], new: Bool?) -> SandboxJSON {
        var properties: [String: SandboxJSON] = [:]
        for name in names {
            switch name {
            case "hs_object_id": properties[name] = .string(record.id)
            case "createdate": properties[name] = .string(Timestamps.iso(record.createdAt))
            case "lastmodifieddate", "hs_lastmodifieddate": properties[name] = .string(Timestamps.iso(record.updatedAt))
            default: properties[name] = .text(record[field: name]?.textValue)
            }
        }
        var object: [String: SandboxJSON] = [
            "id": .string(record.id), "properties": .object(properties),
            "createdAt": .string(Timestamps.iso(record.createdAt)),
            "updatedAt": .string(Timestamps.iso(record.updatedAt)), "archived": false,
        ]
        if let new { object["new"] = .bool(new) }
        return .object(object)
    }

    @Test func hubSpotObjectsMatchTheirJSONValueForm() {
        var tables = RecordTables()
        var fields: [String: SandboxJSON] = [:]
        for (index, value) in Self.awkward.enumerated() {
            fields["p\(index)"] = value
        }
        fields["email"] = "Quote\"d@example.com"
        let created = Date(timeIntervalSince1970: 1_600_000_000.123)
        let oddYear = Date(timeIntervalSince1970: -70_000_000_000)
        tables.insert(id: "5101", fields: fields, createdAt: created, updatedAt: oddYear, into: "contact")
        tables.insert(id: "id \"two\"", fields: ["email": "b@x.io"], createdAt: oddYear, updatedAt: created, into: "contact")
        let names =
            fields.keys.sorted() + [
                "hs_object_id", "createdate", "lastmodifieddate", "hs_lastmodifieddate", "missing", "", "email", "p3",
            ]
        for nameList in [names, ["email"], [], ["hs_object_id", "hs_object_id"]] {
            let writer = HubSpotObjectWriter(properties: nameList, layout: tables.layout("contact"))
            for record in tables.all("contact") {
                for new in [nil, true, false] as [Bool?] {
                    var bytes: [UInt8] = []
                    writer.append(record, new: new, to: &bytes)
                    let expected = Self.referenceObject(record, properties: nameList, new: new).serialized()
                    #expect(Data(bytes) == expected, "\(record.id) \(nameList) \(String(describing: new))")
                }
            }
            let list = writer.array(tables.all("contact"))
            let expected = SandboxJSON.array(
                tables.all("contact").map { Self.referenceObject($0, properties: nameList, new: nil) })
            #expect(Data(list) == expected.serialized())
        }
    }

    @Test func objectBytesSortMembersLikeSerialisation() {
        var object = JSONObjectBytes()
        object.set("results", json: Array("[1,2]".utf8))
        object.set("paging", ["next": ["after": "2"]])
        object.set("aaa", 1)
        object.set("aaa", "replaced")
        let expected: SandboxJSON = ["results": [1, 2], "paging": ["next": ["after": "2"]], "aaa": "replaced"]
        #expect(Data(object.bytes) == expected.serialized())
        #expect(JSONObjectBytes().bytes == Array("{}".utf8))
        var array = JSONArrayBytes()
        #expect(array.bytes == Array("[]".utf8))
        array.append(1)
        array.append(["x": .null])
        #expect(Data(array.bytes) == SandboxJSON.array([1, ["x": .null]]).serialized() && array.count == 2)
    }
}
