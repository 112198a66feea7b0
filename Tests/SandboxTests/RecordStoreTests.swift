import Foundation
import Testing

@testable import Sandbox

@Suite struct RecordStoreTests {
    let date = Date(timeIntervalSince1970: 1_700_000_000)

    @Test func keepsAbsentAndNullFieldsApartAcrossGrowingLayouts() {
        var tables = RecordTables()
        tables.insert(id: "1", fields: ["a": "x", "b": .null], createdAt: date, updatedAt: date, into: "lead")
        tables.insert(id: "2", fields: ["c": 3, "a": "y"], createdAt: date, updatedAt: date, into: "lead")
        let first = tables.record("lead", id: "1")!
        #expect(first.fieldDictionary == ["a": "x", "b": .null])
        #expect(first[field: "b"] == .null && first[field: "c"] == nil && first[field: "zzz"] == nil)
        // Slots of the newest layout are valid for records written under older ones.
        let layout = tables.layout("lead")
        #expect(layout.names.count == 3)
        #expect(first.value(at: layout.slot("c")!) == nil)
        #expect(tables.record("lead", id: "2")!.value(at: layout.slot("a")!) == "y")
        #expect(tables.objectNames == ["lead"])
        #expect(tables.count("lead") == 2 && tables.count("nope") == 0)
    }

    @Test func mergesUpdatesAndKeepsIndexesCurrent() {
        var tables = RecordTables()
        tables.insert(id: "1", fields: ["email": "A@x.io", "n": 1], createdAt: date, updatedAt: date, into: "contact")
        #expect(tables.find("contact", field: "email", value: "a@X.IO", caseInsensitive: true).map(\.id) == ["1"])
        tables.insert(id: "2", fields: ["email": "b@x.io"], createdAt: date, updatedAt: date, into: "contact")
        #expect(tables.find("contact", field: "email", value: "B@x.io", caseInsensitive: true).map(\.id) == ["2"])
        let later = date.addingTimeInterval(60)
        let updated = tables.update("contact", id: "1", fields: ["email": "c@x.io", "extra": true], at: later)
        #expect(updated?.fieldDictionary == ["email": "c@x.io", "n": 1, "extra": true])
        #expect(updated?.updatedAt == later && updated?.createdAt == date)
        #expect(tables.find("contact", field: "email", value: "a@x.io", caseInsensitive: true).isEmpty)
        #expect(tables.find("contact", field: "email", value: "C@x.io", caseInsensitive: true).map(\.id) == ["1"])
        #expect(tables.find("contact", field: "email", value: "c@x.io").map(\.id) == ["1"])
        #expect(tables.find("contact", field: "email", value: "C@x.io").isEmpty)
        #expect(tables.update("contact", id: "9", fields: ["n": 2], at: later) == nil)
        #expect(tables.find("nothing", field: "email", value: "a").isEmpty)
        #expect(tables.objectNames == ["contact"])
    }

    @Test func writesBySlotAsByName() {
        var byName = RecordTables()
        var bySlot = RecordTables()
        let rows: [[String: SandboxJSON]] = [["k": "1", "v": "a"], ["k": "2", "w": .null], ["k": "3", "v": .number(1.5)]]
        for (index, row) in rows.enumerated() {
            byName.insert(id: "\(index)", fields: row, createdAt: date, updatedAt: date, into: "o")
            let values = row.map { (slot: bySlot.slot(of: $0.key, in: "o"), value: $0.value) }
            bySlot.insert(id: "\(index)", values: values, createdAt: date, updatedAt: date, into: "o")
        }
        _ = byName.find("o", field: "k", value: "2")
        _ = bySlot.find("o", field: "k", value: "2")
        byName.update("o", id: "1", fields: ["k": "22", "v": "b"], at: date)
        let slots: [(slot: Int, value: SandboxJSON)] = [
            (bySlot.slot(of: "k", in: "o"), .string("22")), (bySlot.slot(of: "v", in: "o"), .string("b")),
        ]
        bySlot.update("o", id: "1", values: slots, at: date)
        #expect(byName.all("o").map(\.fieldDictionary) == bySlot.all("o").map(\.fieldDictionary))
        #expect(bySlot.find("o", field: "k", value: "22").map(\.id) == ["1"])
        #expect(bySlot.find("o", field: "k", value: "2").isEmpty)
    }

    @Test func findsRecordsByIDAsIfIndexedOnInsert() {
        var tables = RecordTables()
        for (index, id) in ["a", "", "b", "", "a"].enumerated() {
            tables.insert(id: id, fields: ["n": .number(Double(index))], createdAt: date, updatedAt: date, into: "o")
        }
        // The last record with an id wins; ids given later still find their record, and the empty id
        // keeps naming the last record that had it.
        tables.assignMissingIDs("o") { _ in "new" + String(UUID().uuidString.prefix(4)) }
        #expect(tables.record("o", id: "a")?[field: "n"] == 4)
        #expect(tables.record("o", id: "b")?[field: "n"] == 2)
        #expect(tables.record("o", id: "")?[field: "n"] == 3)
        let given = tables.all("o").map(\.id).filter { $0.hasPrefix("new") }
        #expect(given.count == 2 && given.allSatisfy { tables.record("o", id: $0) != nil })
        tables.insert(id: "b", fields: ["n": 9], createdAt: date, updatedAt: date, into: "o")
        #expect(tables.record("o", id: "b")?[field: "n"] == 9)
        #expect(tables.update("o", id: "b", fields: ["n": 10], at: date)?[field: "n"] == 10)
        #expect(tables.record("o", id: "zzz") == nil && tables.record("nothing", id: "a") == nil)
    }

    @Test func resetReturnsToTheSeed() {
        var seed = RecordTables()
        seed.insert(id: "1", fields: ["a": 1], createdAt: date, updatedAt: date, into: "o")
        let store = RecordStore(seed: seed)
        store.transaction { tables in
            tables.insert(id: "2", fields: ["b": 2], createdAt: date, updatedAt: date, into: "o")
            tables.update("o", id: "1", fields: ["a": 3], at: date)
        }
        #expect(store.all("o").count == 2)
        store.reset()
        #expect(store.all("o").map(\.fieldDictionary) == [["a": 1]])
    }
}
