import MapDSL
import SyncEngine

extension SQLiteAdapter {
    /// How many rows the table `object` has: ``count(object:modifiedSince:)`` of a read of every row.
    public func count(object: String) throws(AdapterError) -> Int? {
        try count(object: object, modifiedSince: nil)
    }

    /// How many rows a read would return: `SELECT count(*)` with the read's own filter (the
    /// `modified_field` column at or after `modifiedSince`, compared as ISO 8601 text, when both
    /// are set). A table that does not exist has no count.
    public func count(object: String, modifiedSince: String?) throws(AdapterError) -> Int? {
        lock.lock()
        defer { lock.unlock() }
        let table = try Self.quote(object)
        let exists = try execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", [.string(object)])
        guard !exists.isEmpty else { return nil }
        var sql = "SELECT count(*) AS n FROM \(table)"
        var arguments: [JSONValue] = []
        if let since = modifiedSince, let field = modifiedField {
            sql += " WHERE \(try Self.quote(field)) >= ?"
            arguments.append(.string(since))
        }
        return try execute(sql, arguments).first?.first?.1.intValue
    }
}
