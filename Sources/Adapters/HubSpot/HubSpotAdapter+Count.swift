import MapDSL
import SyncEngine

extension HubSpotAdapter {
    /// How many records `object` has: ``count(object:modifiedSince:)`` of a read of every record.
    public func count(object: String) throws(AdapterError) -> Int? {
        try count(object: object, modifiedSince: nil)
    }

    /// How many records a read of `object` would return: the `total` of one CRM search with the
    /// read's filter (records modified at or after `modifiedSince` on the object's last-modified
    /// property, as the incremental read asks; none for a full read) and one result per page.
    /// Search has its own rate-limit bucket, so the count does not eat into the list's. A reply
    /// without a `total` (or not a 200) is no count: the run goes on without one.
    public func count(object: String, modifiedSince: String?) throws(AdapterError) -> Int? {
        var body: [(String, JSONValue)] = []
        if let since = modifiedSince {
            guard let cursor = HubSpotSearchCursor(since: since) else {
                throw .fatal("modifiedSince '\(since)' is not an ISO 8601 date-time")
            }
            body.append(("filterGroups", cursor.query(modified: Self.modifiedProperty(object)).filterGroups))
        }
        body.append(("limit", .int(1)))
        let response = try api.sendJSON("POST", "/crm/v3/objects/\(Self.objectType(object))/search", .object(body))
        guard response.status == 200, let total = response.json?["total"]?.intValue, total >= 0 else { return nil }
        return total
    }
}
