import MapDSL
import SyncEngine

extension HubSpotAdapter {
    /// How many records `object` has: the `total` of a search with no filter and one result per
    /// page (search has its own rate-limit bucket, so the count does not eat into the list's). A
    /// full run reads it to show an ETA and to choose between REST batches and a bulk API.
    public func count(object: String) throws(AdapterError) -> Int? {
        let response = try api.sendJSON("POST", "/crm/v3/objects/\(Self.objectType(object))/search", .object([("limit", .int(1))]))
        guard response.status == 200 else { return nil }
        return response.json?["total"]?.intValue
    }
}
