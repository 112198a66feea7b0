import MapDSL

/// Where an incremental read through HubSpot's CRM search stands, as a plain value.
///
/// Each page is a search of its own, restarted from the last modification time seen (never an
/// `after` offset): HubSpot's search pages by offset over a live result, so a record changed while
/// the read is under way moves to the end and shifts the offsets (the next page would skip a
/// record), and offsets stop at 10,000 results. Restarting from the time keeps every record: one
/// changed meanwhile is found again further on, with its new time.
///
/// - `from(T, seen)`: records modified at or after `T` (`GTE`), ascending, less those already read
///   at exactly `T` (`seen`: equal timestamps across a page boundary are read, not skipped).
/// - `tie(T, afterID)`: more records modified exactly at `T` than a page holds: those with an id
///   above `afterID`, by id (`EQ T`, `hs_object_id GT`), until there are none.
/// - `after(T)`: records modified after `T` (`GT`), once every record at `T` was read by id.
enum HubSpotSearchCursor: Equatable {
    case from(millis: Int64, seen: [String])
    case tie(millis: Int64, afterID: String)
    case after(millis: Int64)

    /// Records modified at `T` whose ids a cursor carries at most; more of them read the tie by id.
    static let maxSeen = 50

    /// The cursor text: `k:<T>|<id>,<id>`, `e:<T>|<id>`, `g:<T>` (times in epoch milliseconds).
    var text: String {
        switch self {
        case .from(let t, let seen): "k:\(t)|" + seen.joined(separator: ",")
        case .tie(let t, let id): "e:\(t)|\(id)"
        case .after(let t): "g:\(t)"
        }
    }

    /// Reads a cursor of this kind (nil: not one). `s:<since>|<after>`, written by earlier versions,
    /// reads again from `since`: the records read twice are the run's, and it drops them.
    init?(text: String) {
        guard text.count > 2, text.dropFirst().hasPrefix(":") else { return nil }
        let kind = text.first
        let rest = text.dropFirst(2)
        let parts = rest.split(separator: "|", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        switch kind {
        case "k":
            guard parts.count == 2, let t = Int64(parts[0]) else { return nil }
            self = .from(millis: t, seen: parts[1].isEmpty ? [] : parts[1].split(separator: ",").map(String.init))
        case "e":
            guard parts.count == 2, let t = Int64(parts[0]) else { return nil }
            self = .tie(millis: t, afterID: parts[1])
        case "g":
            guard parts.count == 1, let t = Int64(parts[0]) else { return nil }
            self = .after(millis: t)
        case "s":
            guard let since = parts.first, let t = Dates.parseISODateTime(Substring(since)) else { return nil }
            self = .from(millis: t, seen: [])
        default:
            return nil
        }
    }

    /// The first cursor of a read of records modified at or after `since` (ISO 8601).
    init?(since: String) {
        guard let t = Dates.parseISODateTime(Substring(since)) else { return nil }
        self = .from(millis: t, seen: [])
    }

    /// The search's `filterGroups` and `sorts` on the modification property `modified`.
    func query(modified: String) -> (filterGroups: JSONValue, sorts: JSONValue) {
        func filter(_ name: String, _ op: String, _ value: String) -> JSONValue {
            ["propertyName": .string(name), "operator": .string(op), "value": .string(value)]
        }
        let byTime: JSONValue = [["propertyName": .string(modified), "direction": "ASCENDING"]]
        switch self {
        case .from(let t, _):
            return ([["filters": [filter(modified, "GTE", String(t))]]], byTime)
        case .after(let t):
            return ([["filters": [filter(modified, "GT", String(t))]]], byTime)
        case .tie(let t, let id):
            var filters = [filter(modified, "EQ", String(t))]
            if !id.isEmpty { filters.append(filter("hs_object_id", "GT", id)) }
            return ([["filters": .array(filters)]], [["propertyName": "hs_object_id", "direction": "ASCENDING"]])
        }
    }

    /// Whether the record `id` modified at `millis` was read before this cursor (and is dropped).
    func alreadyRead(id: String, millis: Int64?) -> Bool {
        guard case .from(let t, let seen) = self, millis == t else { return false }
        return seen.contains(id)
    }

    /// The cursor after a page whose records (in the page's order) have ids and modification times;
    /// `more`: HubSpot says the search has results past this page. Nil when the read is over.
    func next(after page: [(id: String, millis: Int64?)], more: Bool) -> HubSpotSearchCursor? {
        switch self {
        case .tie(let t, let id):
            guard more, let last = page.last?.id else { return .after(millis: t) }
            return .tie(millis: t, afterID: last.isEmpty ? id : last)
        case .from(let t, _), .after(let t):
            guard more, let lastTime = page.last(where: { $0.millis != nil })?.millis else { return nil }
            let atLast = page.filter { $0.millis == lastTime }.map(\.id)
            // No progress (a whole page at one time): read that time's records by id.
            if lastTime <= t, case .from = self { return .tie(millis: t, afterID: "") }
            if atLast.count > Self.maxSeen { return .tie(millis: lastTime, afterID: "") }
            return .from(millis: lastTime, seen: atLast)
        }
    }
}
