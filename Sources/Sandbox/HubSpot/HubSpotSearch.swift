import Foundation
import HTTPServer

extension HubSpotEmulator {
    /// `POST /crm/v3/objects/{objectType}/search` with `{filterGroups, sorts, properties, limit, after}`.
    ///
    /// Filter groups are OR-ed, filters inside a group AND-ed. Operators: `EQ`, `NEQ`, `LT`, `LTE`, `GT`,
    /// `GTE`, `HAS_PROPERTY`, `NOT_HAS_PROPERTY`, `IN`, `NOT_IN`. Date values may be epoch milliseconds or
    /// ISO 8601. `limit` ≤ 200; paging stops at 10,000 results like HubSpot's.
    func search(_ request: Request) -> Response {
        let objectType = request.parameter("objectType") ?? ""
        guard let object = objectName(objectType) else { return unknownObjectType(objectType) }
        guard let body = request.jsonBody, case .object = body else {
            return error(400, category: "VALIDATION_ERROR", message: "Invalid input JSON on line 1")
        }
        let ceiling = limiter.endpoint(method: "POST", path: request.path)?.batchSize ?? 200
        let requested = body["limit"]?.numberValue ?? Double(body["limit"]?.textValue ?? "") ?? 10
        // Fractions truncate; a number no Int holds (1e300, "inf", "nan") is refused rather than converted,
        // which would trap.
        let limit = Int(exactly: requested.rounded(.towardZero))
        guard let limit, limit >= 1, limit <= ceiling else {
            let got = limit.map(String.init) ?? body["limit"]?.textValue ?? ""
            return error(400, category: "VALIDATION_ERROR", message: "limit must be between 1 and \(ceiling), got \(got)")
        }
        let after = body["after"]?.textValue ?? "0"
        guard let start = Int(after), start >= 0 else {
            return error(400, category: "VALIDATION_ERROR", message: "Invalid paging cursor: \(after)")
        }
        guard start <= 10_000 - limit else {
            return error(400, category: "VALIDATION_ERROR", message: "Paging beyond 10000 results is not supported")
        }
        let groups = body["filterGroups"]?.arrayValue ?? []
        let (all, layout) = store.transaction { ($0.all(object), $0.layout(object)) }
        var records = all.filter { record in
            groups.isEmpty
                || groups.contains { group in
                    (group["filters"]?.arrayValue ?? []).allSatisfy { matches(record, $0, object: object) }
                }
        }
        if let sort = body["sorts"]?.arrayValue?.first {
            let name = sort["propertyName"]?.stringValue ?? sort.stringValue ?? "hs_object_id"
            let descending = sort["direction"]?.stringValue == "DESCENDING" || name.hasPrefix("-")
            let field = name.hasPrefix("-") ? String(name.dropFirst()) : name
            let dates = isDate(field, object)
            // Each record's sort value is read (and a date parsed) once, not at every comparison.
            let keyed = records.map { record in (record, SortKey(searchValue(field, record), dates: dates)) }
            // Equal values keep one order from request to request (by record id), so paging through
            // them neither repeats nor skips a record.
            records = keyed.sorted { left, right in
                let ordering = left.1.compare(right.1)
                if ordering == .orderedSame { return compare(left.0.id, right.0.id, dates: false) == .orderedAscending }
                return descending ? ordering == .orderedDescending : ordering == .orderedAscending
            }.map(\.0)
        }
        let names = body["properties"]?.arrayValue?.compactMap(\.stringValue)
        let page = start < records.count ? Array(records[start..<min(records.count, start + limit)]) : []
        var reply = JSONObjectBytes()
        reply.set("total", .int(records.count))
        reply.set("results", json: objectWriter(names, object: object, layout: layout).array(page))
        if start + page.count < records.count {
            reply.set("paging", ["next": ["after": .string(String(start + page.count))]])
        }
        return .json(bytes: reply.bytes)
    }

    private func matches(_ record: StoredRecord, _ filter: JSONValue, object: String) -> Bool {
        let name = filter["propertyName"]?.stringValue ?? ""
        let actual = searchValue(name, record)
        let dates = isDate(name, object)
        switch filter["operator"]?.stringValue ?? "EQ" {
        case "HAS_PROPERTY": return actual != nil
        case "NOT_HAS_PROPERTY": return actual == nil
        case "IN", "NOT_IN":
            let values = (filter["values"]?.arrayValue ?? []).compactMap(\.textValue)
            let found = values.contains { compare(actual, $0, dates: dates) == .orderedSame }
            return filter["operator"]?.stringValue == "IN" ? found : !found
        case let op:
            guard let actual else { return op == "NEQ" }
            let ordering = compare(actual, filter["value"]?.textValue, dates: dates)
            switch op {
            case "EQ": return ordering == .orderedSame
            case "NEQ": return ordering != .orderedSame
            case "LT": return ordering == .orderedAscending
            case "LTE": return ordering != .orderedDescending
            case "GT": return ordering == .orderedDescending
            case "GTE": return ordering != .orderedAscending
            default: return false
            }
        }
    }

    /// The property as text, including the synthesized id and timestamps.
    private func searchValue(_ name: String, _ record: StoredRecord) -> String? {
        switch name {
        case "hs_object_id": record.id
        case "createdate": Timestamps.iso(record.createdAt)
        case "lastmodifieddate", "hs_lastmodifieddate": Timestamps.iso(record.updatedAt)
        default: record[field: name]?.textValue
        }
    }

    private func isDate(_ name: String, _ object: String) -> Bool {
        ["createdate", "lastmodifieddate", "hs_lastmodifieddate"].contains(name)
            || ["date", "datetime"].contains(context.schemas[object]?.field(name)?.type ?? "")
    }

    /// A property value made ready for sorting: compared as ``compare(_:_:dates:)`` compares.
    struct SortKey {
        let text: String?
        let date: Date?
        let number: Double?

        init(_ text: String?, dates: Bool) {
            self.text = text
            date = dates ? text.flatMap(HubSpotEmulator.searchDate) : nil
            number = text.flatMap(Double.init)
        }

        func compare(_ other: SortKey) -> ComparisonResult {
            guard let left = text, let right = other.text else {
                return text == nil ? (other.text == nil ? .orderedSame : .orderedAscending) : .orderedDescending
            }
            if let a = date, let b = other.date { return a.compare(b) }
            if let a = number, let b = other.number { return a < b ? .orderedAscending : a > b ? .orderedDescending : .orderedSame }
            return left.compare(right, options: .caseInsensitive)
        }
    }

    /// A search value as a date: epoch milliseconds (more than nine digits) or ISO 8601.
    static func searchDate(_ text: String) -> Date? {
        if let millis = Double(text), text.count > 9 { return Date(timeIntervalSince1970: millis / 1000) }
        return Timestamps.parse(text)
    }

    /// Compares as dates (epoch milliseconds or ISO), numbers, or case-insensitive text, in that order.
    private func compare(_ left: String?, _ right: String?, dates: Bool) -> ComparisonResult {
        guard let left, let right else { return left == nil ? (right == nil ? .orderedSame : .orderedAscending) : .orderedDescending }
        if dates, let a = Self.searchDate(left), let b = Self.searchDate(right) { return a.compare(b) }
        if let a = Double(left), let b = Double(right) { return a < b ? .orderedAscending : a > b ? .orderedDescending : .orderedSame }
        return left.compare(right, options: .caseInsensitive)
    }
}
