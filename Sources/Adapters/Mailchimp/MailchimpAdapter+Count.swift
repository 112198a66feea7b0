import MapDSL
import SyncEngine

extension MailchimpAdapter {
    /// How many members the list has: ``count(object:modifiedSince:)`` of a read of every member.
    public func count(object: String) throws(AdapterError) -> Int? {
        try count(object: object, modifiedSince: nil)
    }

    /// How many members a read would return: the `total_items` of one members listing with the
    /// read's own filter (`since_last_changed` for an incremental read), one member per page and
    /// only `total_items` in the reply (`fields`). A reply that is not a 200 with `total_items` is
    /// no count.
    public func count(object: String, modifiedSince: String?) throws(AdapterError) -> Int? {
        try checkObject(object)
        var query: [(String, String)] = [("count", "1"), ("offset", "0"), ("fields", "total_items")]
        if let since = modifiedSince { query.append(("since_last_changed", try Self.sinceLastChanged(since))) }
        let response = try api.send("GET", "\(listPath)/members" + queryString(query))
        guard response.status == 200, let total = response.json?["total_items"]?.intValue, total >= 0 else { return nil }
        return total
    }

    /// The `since_last_changed` value for a read of members changed at or after `since` (ISO 8601).
    /// Mailchimp's times are whole seconds and the filter is "changed after": the second before the
    /// instant asked for keeps the members changed at it.
    static func sinceLastChanged(_ since: String) throws(AdapterError) -> String {
        guard let millis = Dates.parseISODateTime(Substring(since)) else {
            throw .fatal("modifiedSince '\(since)' is not an ISO 8601 date-time")
        }
        let second = (millis >= 0 ? millis / 1000 : (millis - 999) / 1000) - 1
        return String(Dates.formatDateTime(second * 1000).prefix(19)) + "+00:00"
    }
}
