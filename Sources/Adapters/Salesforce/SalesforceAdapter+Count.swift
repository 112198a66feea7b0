import MapDSL
import SyncEngine

extension SalesforceAdapter {
    /// How many records `object` has: ``count(object:modifiedSince:)`` of a read of every record.
    public func count(object: String) throws(AdapterError) -> Int? {
        try count(object: object, modifiedSince: nil)
    }

    /// How many records a read of `object` would return: `SELECT COUNT() FROM <object>` with the
    /// read's own filter (`WHERE SystemModstamp >= <modifiedSince>` for an incremental read), whose
    /// answer is `totalSize` with no records (COUNT() must be alone in the SELECT list and takes no
    /// ORDER BY). One request; a reply that is not a 200 with a `totalSize` is no count.
    public func count(object: String, modifiedSince: String?) throws(AdapterError) -> Int? {
        var soql = "SELECT COUNT() FROM \(object)"
        if let since = modifiedSince { soql += " WHERE SystemModstamp >= \(try Self.soqlDateTime(since))" }
        let response = try api.send("GET", "\(prefix)/query" + queryString([("q", soql)]))
        guard response.status == 200, let total = response.json?["totalSize"]?.intValue, total >= 0 else { return nil }
        return total
    }
}
