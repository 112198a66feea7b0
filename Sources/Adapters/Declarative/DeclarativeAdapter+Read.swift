import AdapterSpec
import Foundation
import MapDSL
import SyncEngine

extension DeclarativeAdapter {
    /// Most pages read in one call while records are filtered after reading (no server-side filter).
    static let maxSkippedPages = 1000

    /// One page, following the spec's pagination. The cursor is what the style needs: a cursor
    /// value, the next page's URL, an offset or a page number. Without a server-side incremental
    /// filter, records older than `modifiedSince` are dropped and pages left empty are skipped.
    public func fetch(_ request: FetchRequest) throws(AdapterError) -> SourcePage {
        let object = try object(request.object)
        guard let list = object.list else { throw .fatal("\(platform).\(object.name) cannot be read (the spec has no 'list')") }
        let since: Int64?
        if let text = request.modifiedSince {
            guard let millis = Dates.parseISODateTime(Substring(text)) else {
                throw .fatal("modifiedSince '\(text)' is not an ISO 8601 date-time")
            }
            since = millis
        } else {
            since = nil
        }
        var cursor = request.cursor
        for _ in 0..<Self.maxSkippedPages {
            var page = try fetchPage(request, object, list, cursor: cursor)
            if let since, list.modifiedSince == nil {
                page.records = page.records.filter { record in
                    guard let text = record.modified, let millis = Dates.parseISODateTime(Substring(text)) else { return true }
                    return millis >= since
                }
                if page.records.isEmpty, let next = page.nextCursor {
                    cursor = next
                    continue
                }
            }
            return page
        }
        throw .transient("\(platform): \(Self.maxSkippedPages) pages without a record changed since \(request.modifiedSince ?? "")")
    }

    private func fetchPage(_ request: FetchRequest, _ object: AdapterSpec.ObjectSpec, _ list: AdapterSpec.ListSpec, cursor: String?)
        throws(AdapterError) -> SourcePage
    {
        let path = expand(list.path)
        let ruleSize = api.limiter.rule(method: "GET", path: path).batchSize ?? list.pageSizeMax
        let size = min(max(request.pageSize, 1), list.pageSizeMax, ruleSize)
        var query: [(String, String)] = [(list.pageSizeParameter, String(size))]
        query += list.query.map { ($0.0, expand($0.1)) }
        if let since = request.modifiedSince, let filter = list.modifiedSince {
            query.append((filter.parameter, SpecTemplate.expand(filter.value, values.merging(["since": since]) { $1 })))
        }
        var target = path
        switch list.pagination {
        case .cursor(_, let parameter):
            if let cursor { query.append((parameter, cursor)) }
        case .nextURL, .linkHeader:
            if let cursor {
                // The next page's URL, as the platform gave it: it must stay on the API's host.
                guard cursor.hasPrefix(api.base + "/") else {
                    throw .fatal("\(platform) gave a next-page URL outside its base URL; refusing to follow it")
                }
                target = String(cursor.dropFirst(api.base.count))
                query = []
            }
        case .offset(let parameter, _):
            query.append((parameter, cursor ?? "0"))
        case .page(let parameter, let first):
            query.append((parameter, cursor ?? String(first)))
        }
        let response = try send("GET", target, query)
        guard response.status == 200, let json = Self.strictJSON(response) else {
            throw api.failure(response, doing: "listing \(object.name)")
        }
        guard let items = SpecPath.get(json, list.records)?.arrayValue else {
            throw .fatal("\(platform) replied to a list of \(object.name) without an array at '\(list.records)'")
        }
        let records = items.map { record($0, object, fields: request.fields) }
        var next: String?
        switch list.pagination {
        case .cursor(let path, _):
            next = SpecPath.get(json, path).flatMap(JSONShapes.text).flatMap { $0.isEmpty ? nil : $0 }
        case .nextURL(let path):
            next = SpecPath.get(json, path)?.stringValue.flatMap { $0.isEmpty ? nil : $0 }
        case .linkHeader:
            next = response.header("Link").flatMap(Self.nextLink)
        case .offset(_, let total):
            let offset = Int(cursor ?? "0") ?? 0
            let (after, overflow) = offset.addingReportingOverflow(items.count)
            if !overflow, !items.isEmpty {
                if let total, let count = SpecPath.get(json, total)?.intValue {
                    next = after < count ? String(after) : nil
                } else {
                    next = items.count < size ? nil : String(after)
                }
            }
        case .page(_, let first):
            let number = Int(cursor ?? String(first)) ?? first
            next = items.count < size || number == Int.max ? nil : String(number + 1)
        }
        if next != nil, items.isEmpty { next = nil }
        return SourcePage(records: records, nextCursor: next, ordered: false)
    }

    /// The `rel="next"` URL of an RFC 8288 Link header.
    public static func nextLink(_ header: String) -> String? {
        for part in header.split(separator: ",") {
            let pieces = part.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
            guard let first = pieces.first, first.hasPrefix("<"), first.hasSuffix(">") else { continue }
            let isNext = pieces.dropFirst().contains { piece in
                let lower = piece.lowercased().replacingOccurrences(of: " ", with: "")
                return lower == "rel=\"next\"" || lower == "rel=next"
            }
            if isNext { return String(first.dropFirst().dropLast()) }
        }
        return nil
    }

    /// The record of `object` whose `field` equals `value`, through the lookup cache.
    public func find(object name: String, field: String, value: String) throws(AdapterError) -> JSONValue? {
        let object = try object(name)
        guard let find = object.find else { throw .fatal("\(platform).\(name) has no lookups (the spec has no 'find')") }
        guard find.fields.contains(field) else {
            throw .fatal("\(platform).\(name) lookups work by \(find.fields.joined(separator: ", ")), not \(field)")
        }
        return try cache.lookup(name, field, value) { () throws(AdapterError) -> JSONValue? in
            let extra = ["field": field, "value": value]
            let query = find.query.map { ($0.0, SpecTemplate.expand($0.1, values.merging(extra) { $1 })) }
            let response = try send("GET", expand(find.path, extra), query)
            if find.notFoundStatuses.contains(response.status) { return nil }
            guard response.status == 200, let json = Self.strictJSON(response) else {
                throw api.failure(response, doing: "a lookup of \(name)")
            }
            let item: JSONValue?
            if let path = find.records {
                let matches = SpecPath.get(json, path)?.arrayValue ?? []
                // Not `? matches[0] : nil`: JSONValue takes the nil literal as `.null`.
                item = matches.count == 1 ? .some(matches[0]) : .none
            } else {
                item = json
            }
            guard let item else { return nil }
            let found = record(item, object, fields: nil)
            var pairs = found.fields.objectValue ?? []
            if !pairs.contains(where: { $0.0 == "id" }) { pairs.insert(("id", .string(found.id)), at: 0) }
            return .object(pairs)
        }
    }
}
