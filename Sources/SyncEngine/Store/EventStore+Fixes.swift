import Foundation
import MapDSL

extension EventStore {
    /// The fix events of `job` (of one record when `key` is given), oldest first.
    public func fixEvents(job: String, key: String? = nil) throws -> [RecordEvent] {
        let kinds = RecordFix.eventKinds.map { "'\($0)'" }.joined(separator: ", ")
        var sql = "SELECT run, seq, key, kind, at, payload FROM record_events WHERE job = ? AND kind IN (\(kinds))"
        var arguments: [SQLValue] = [.text(job)]
        if let key {
            sql += " AND key = ?"
            arguments.append(.text(key))
        }
        sql += " ORDER BY id"
        return try reading { db in
            try db.prepare(sql).query(arguments) { s in
                RecordEvent(
                    run: Int(s.int(0)), seq: Int(s.int(1)), key: s.text(2) ?? "", kind: s.text(3) ?? "", at: s.text(4) ?? "",
                    payload: (try? JSONParser.parse(s.text(5) ?? "null")) ?? .null)
            }
        }
    }

    /// The fixes in effect for `job` (one record's when `key` is given), by record key.
    public func fixes(job: String, key: String? = nil) throws -> [String: [RecordFix]] {
        RecordFix.fold(try fixEvents(job: job, key: key))
    }
}
