import HTTPServer

/// Mailchimp's `fields` and `exclude_fields` query parameters: comma lists of dotted paths
/// (`members.email_address`, `members.merge_fields.FNAME`, `total_items`) that keep only, or drop,
/// those parts of a reply. A path walks through arrays element by element, as in Mailchimp's replies.
///
/// Both parameters are read however they are sent (the official clients join lists with commas;
/// repeats are read too), and `fields` applies before `exclude_fields`.
struct MailchimpFields: Sendable, Equatable {
    /// Paths to keep, or `nil` for everything.
    let included: [[String]]?
    /// Paths to drop.
    let excluded: [[String]]

    /// Paths are this deep at most (deeper paths cannot match a Mailchimp reply anyway).
    static let maximumDepth = 8

    /// The projection `request` asks for, or `nil` when it names no fields.
    init?(_ request: Request) {
        let included = request.queryList("fields").map(Self.paths)
        let excluded = request.queryList("exclude_fields").map(Self.paths) ?? []
        guard included != nil || !excluded.isEmpty else { return nil }
        self.included = included
        self.excluded = excluded
    }

    private static func paths(_ names: [String]) -> [[String]] {
        names.map { name in Array(name.split(separator: ".").prefix(maximumDepth).map(String.init)) }
            .filter { !$0.isEmpty }
    }

    /// `value` with only the included paths, less the excluded ones.
    func apply(_ value: JSONValue) -> JSONValue {
        var result = value
        if let included { result = Self.keep(result, included) }
        for path in excluded { result = Self.drop(result, path[...]) }
        return result
    }

    /// Keeps the parts of `value` that lie on one of `paths` (a path that ends keeps its whole subtree).
    private static func keep(_ value: JSONValue, _ paths: [[String]]) -> JSONValue {
        switch value {
        case .array(let items):
            return .array(items.map { keep($0, paths) })
        case .object(let fields):
            var kept: [String: JSONValue] = [:]
            for (name, inner) in fields {
                let matching = paths.filter { $0.first == name }
                guard !matching.isEmpty else { continue }
                let rests = matching.map { Array($0.dropFirst()) }
                kept[name] = rests.contains(where: \.isEmpty) ? inner : keep(inner, rests)
            }
            return .object(kept)
        default:
            return value
        }
    }

    /// `value` without the part at `path`.
    private static func drop(_ value: JSONValue, _ path: ArraySlice<String>) -> JSONValue {
        guard let name = path.first else { return value }
        switch value {
        case .array(let items):
            return .array(items.map { drop($0, path) })
        case .object(var fields):
            guard let inner = fields[name] else { return value }
            if path.count == 1 {
                fields.removeValue(forKey: name)
            } else {
                fields[name] = drop(inner, path.dropFirst())
            }
            return .object(fields)
        default:
            return value
        }
    }
}
