import Foundation
import MapDSL

/// Which of the two objects of a two-way job.
public enum TwoWaySide: String, Sendable, Hashable, CaseIterable, Codable {
    case left, right

    /// The other side.
    public var other: TwoWaySide { self == .left ? .right : .left }
}

/// How a field changed on both sides since the last sync is settled.
public enum ConflictPolicy: Sendable, Hashable {
    /// One side is the source of truth for the field.
    case wins(TwoWaySide)
    /// The side whose record changed last (by the platforms' modification times) wins; changes
    /// closer together than the job's clock-skew tolerance cannot be ordered and are parked.
    case lastWriterWins
    /// Parked for an operator (`mapc conflicts resolve`).
    case review

    /// The spelling in a job file, with the platform names of `spec`.
    public func spelling(_ spec: TwoWaySpec) -> String {
        switch self {
        case .wins(let side): "\(spec.endpoint(side).platform) wins"
        case .lastWriterWins: "last-writer-wins"
        case .review: "review"
        }
    }
}

/// How the values of one identity rule are compared.
public enum IdentityMatch: String, Sendable, Hashable, CaseIterable {
    /// Trimmed and lower-cased (e-mail addresses).
    case email
    /// Digits only, at least 6 of them, the last 10 compared (phone numbers written differently,
    /// with or without the country code).
    case digits
    /// Trimmed, lower-cased, inner spaces collapsed.
    case text
    /// Exactly as stored.
    case exact

    /// The comparable form of `value`, or nil when it cannot link anything (blank, too short).
    public func normalize(_ value: JSONValue?) -> String? {
        guard let value else { return nil }
        let raw: String
        switch value {
        case .string(let s): raw = s
        case .int(let i): raw = String(i)
        case .double(let d): raw = String(d)
        case .bool, .null, .array, .object: return nil
        }
        switch self {
        case .email:
            let s = raw.trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
            return s.contains("@") ? s : nil
        case .digits:
            let s = String(raw.unicodeScalars.filter { CharacterSet.decimalDigits.contains($0) }.map(Character.init))
            // The last ten digits: the same number with and without its country code matches.
            return s.count >= 6 ? String(s.suffix(10)) : nil
        case .text:
            let s = raw.lowercased().split(whereSeparator: \.isWhitespace).joined(separator: " ")
            return s.isEmpty ? nil : s
        case .exact:
            return raw.isEmpty ? nil : raw
        }
    }
}

/// One way of recognising the same person on both sides: a field of each, compared as `match` says.
public struct IdentityRule: Sendable, Hashable {
    /// Field of the left object.
    public var left: String
    /// Field of the right object.
    public var right: String
    /// How values compare.
    public var match: IdentityMatch

    /// The rule's name in the identity map and its events (`Email=email_address`).
    public var name: String { "\(left)=\(right)" }

    /// The field of `side`.
    public func field(_ side: TwoWaySide) -> String { side == .left ? left : right }
}

/// A two-way job as written in `jobs/<name>.json` with `"kind": "two-way"`: two objects, one
/// approved mapping per direction, the identity rules and the conflict policy per field.
public struct TwoWaySpec: Sendable {
    /// The job's name.
    public var name: String
    /// The first object (its platform ids are the identity map's left ids).
    public var left: JobEndpoint
    /// The second object.
    public var right: JobEndpoint
    /// A field of the right object that stays the same when its id changes (Mailchimp's member id
    /// is the hash of the e-mail; `contact_id` is not), so a changed id is carried across.
    public var rightStableId: String?
    /// Mapping file left -> right.
    public var leftToRight: String
    /// Mapping file right -> left.
    public var rightToLeft: String
    /// Identity rules, strongest first.
    public var identity: [IdentityRule]
    /// The policy of fields not named in ``fieldPolicies``.
    public var defaultPolicy: ConflictPolicy
    /// Policies by field name (of either object).
    public var fieldPolicies: [String: ConflictPolicy]
    /// How far apart the two platforms' clocks may be, in seconds: last-writer-wins orders two
    /// changes only when their modification times differ by more than this.
    public var clockSkewSeconds: Int
    /// Records per page read.
    public var pageSize: Int
    /// Attempts of a failing request.
    public var retries: Int
    /// The job file as written (for `triggers`).
    public var raw: JSONValue = .null

    /// Largest job file read.
    public static let maxBytes = 1 << 20
    /// Most identity rules.
    public static let maxRules = 8
    /// Most per-field policies.
    public static let maxPolicies = 1000
    /// Largest clock-skew tolerance (one day).
    public static let maxSkew = 86_400

    /// The endpoint of `side`.
    public func endpoint(_ side: TwoWaySide) -> JobEndpoint { side == .left ? left : right }

    /// The mapping file from `side` to the other.
    public func mapping(from side: TwoWaySide) -> String { side == .left ? leftToRight : rightToLeft }

    /// The policy for a conflict on any of `fields` (the first named in the job wins), or the default.
    public func policy(for fields: [String]) -> ConflictPolicy {
        for f in fields { if let p = fieldPolicies[f] { return p } }
        return defaultPolicy
    }

    /// Whether a parsed job file is a two-way job.
    public static func isTwoWay(_ json: JSONValue) -> Bool { json["kind"]?.stringValue == "two-way" }

    /// Reads a two-way job file; throws every problem with its line.
    public static func load(path: String, schemas: ((String, String) -> Schema?)? = nil) throws(TwoWaySpecError) -> TwoWaySpec {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
            let data = FileManager.default.contents(atPath: path)
        else { throw TwoWaySpecError(path: path, problems: [TwoWayProblem(line: 0, column: 0, message: "cannot read the job file")]) }
        if let size = attributes[.size] as? Int, size > maxBytes {
            throw TwoWaySpecError(
                path: path, problems: [TwoWayProblem(line: 0, column: 0, message: "larger than \(maxBytes >> 20) MiB; not a job file")])
        }
        let fallback = ((path as NSString).lastPathComponent as NSString).deletingPathExtension
        return try parse(String(decoding: data, as: UTF8.self), name: fallback, path: path, schemas: schemas)
    }

    /// Parses the text of a two-way job file, collecting every problem.
    public static func parse(
        _ text: String, name fallback: String, path: String, schemas: ((String, String) -> Schema?)? = nil
    ) throws(TwoWaySpecError) -> TwoWaySpec {
        let json: JSONValue
        do {
            json = try JSONParser.parse(text)
        } catch {
            let at = JSONLineMap.position(ofByte: error.offset, in: text)
            throw TwoWaySpecError(
                path: path, problems: [TwoWayProblem(line: at.line, column: at.column, message: "not valid JSON: \(error.message)")])
        }
        var parser = TwoWaySpecParser(json: json, lines: JSONLineMap(text), schemas: schemas)
        let spec = parser.spec(fallback: fallback)
        if let spec, parser.problems.isEmpty { return spec }
        let ordered = parser.problems.enumerated().sorted {
            ($0.element.line, $0.element.column, $0.offset) < ($1.element.line, $1.element.column, $1.offset)
        }
        throw TwoWaySpecError(path: path, problems: ordered.map(\.element))
    }
}

/// One problem in a two-way job file.
public struct TwoWayProblem: Sendable, Hashable {
    /// 1-based line (0: the file as a whole).
    public var line: Int
    /// 1-based column.
    public var column: Int
    /// What is wrong.
    public var message: String
    /// What to do about it.
    public var help: String?

    /// Creates a problem.
    public init(line: Int, column: Int, message: String, help: String? = nil) {
        self.line = line
        self.column = column
        self.message = message
        self.help = help
    }
}

/// A two-way job file that cannot be run as written: every problem, each with its line.
public struct TwoWaySpecError: Error, Sendable, CustomStringConvertible {
    /// The file.
    public var path: String
    /// The problems, in file order.
    public var problems: [TwoWayProblem]

    /// `path:line:col: error: message` per problem, each followed by its `help:` line.
    public var description: String {
        problems.map { p in
            let at = p.line > 0 ? "\(path):\(p.line):\(p.column)" : path
            return "\(at): error: \(p.message)" + (p.help.map { "\n  help: \($0)" } ?? "")
        }.joined(separator: "\n")
    }
}

/// Reads the JSON of a two-way job, collecting problems rather than stopping at the first.
struct TwoWaySpecParser {
    let json: JSONValue
    let lines: JSONLineMap
    let schemas: ((String, String) -> Schema?)?
    var problems: [TwoWayProblem] = []

    init(json: JSONValue, lines: JSONLineMap, schemas: ((String, String) -> Schema?)?) {
        self.json = json
        self.lines = lines
        self.schemas = schemas
    }

    mutating func problem(_ path: String, _ message: String, help: String? = nil) {
        let at = lines.position(path) ?? (0, 0)
        problems.append(TwoWayProblem(line: at.line, column: at.column, message: message, help: help))
    }

    static let keys = [
        "kind", "name", "left", "right", "mappings", "identity", "conflicts", "pageSize", "retries", "triggers",
    ]

    mutating func spec(fallback: String) -> TwoWaySpec? {
        guard case .object(let pairs) = json else {
            problem("", "a two-way job file is a JSON object")
            return nil
        }
        for (key, _) in pairs where !Self.keys.contains(key) {
            problem(key, "unknown setting `\(key)`", help: suggestion(key, Self.keys))
        }
        if json["kind"]?.stringValue != "two-way" {
            problem("kind", "`kind` must be \"two-way\" in a two-way job file")
        }
        let left = endpoint("left")
        let right = endpoint("right")
        let leftSchema = left.flatMap { e in schemas?(e.platform, e.object) }
        let rightSchema = right.flatMap { e in schemas?(e.platform, e.object) }
        var stable: String?
        if let s = json["right"]?["stableId"] {
            if let name = s.stringValue, !name.isEmpty {
                stable = name
                check(field: name, in: rightSchema, at: "right.stableId")
            } else {
                problem("right.stableId", "`right.stableId` must be a field name such as \"contact_id\"")
            }
        }
        var leftToRight: String?
        var rightToLeft: String?
        if case .object(let m)? = json["mappings"] {
            for (key, _) in m where key != "leftToRight" && key != "rightToLeft" {
                problem("mappings.\(key)", "unknown mapping `\(key)`", help: "the two are `leftToRight` and `rightToLeft`")
            }
            leftToRight = mappingPath("leftToRight")
            rightToLeft = mappingPath("rightToLeft")
        } else {
            problem(
                "mappings", "missing object `mappings` with `leftToRight` and `rightToLeft` (one approved mapping per direction)")
        }
        let rules = identity(leftSchema, rightSchema)
        let (defaultPolicy, fields, skew) = conflicts(left, right, leftSchema, rightSchema)
        let pageSize = positive("pageSize", 200, max: 10_000)
        let retries = positive("retries", 3, max: 100)
        var name = fallback
        if let n = json["name"] {
            if let s = n.stringValue, !s.isEmpty, s.count <= 200 { name = s } else { problem("name", "`name` must be a short string") }
        }
        guard let left, let right, let leftToRight, let rightToLeft, !rules.isEmpty, let defaultPolicy else { return nil }
        let spec = TwoWaySpec(
            name: name, left: left, right: right, rightStableId: stable, leftToRight: leftToRight, rightToLeft: rightToLeft,
            identity: rules, defaultPolicy: defaultPolicy, fieldPolicies: fields, clockSkewSeconds: skew, pageSize: pageSize,
            retries: retries, raw: json)
        do {
            _ = try spec.triggerRules()
        } catch {
            problem("triggers", "\(error)")
            return nil
        }
        return spec
    }

    mutating func endpoint(_ key: String) -> JobEndpoint? {
        guard case .object(let pairs)? = json[key] else {
            problem(
                key, "missing object `\(key)` with `platform` and `object`",
                help: "e.g. \"\(key)\": {\"platform\": \"salesforce\", \"object\": \"Contact\"}")
            return nil
        }
        for (k, _) in pairs where !["platform", "object", "connection", "adapter", "stableId"].contains(k) {
            problem(
                "\(key).\(k)", "unknown setting `\(key).\(k)`",
                help: suggestion(k, ["platform", "object", "connection", "adapter", "stableId"]))
        }
        guard let platform = json[key]?["platform"]?.stringValue, !platform.isEmpty else {
            problem("\(key).platform", "`\(key).platform` must be a platform name such as \"salesforce\"")
            return nil
        }
        guard let object = json[key]?["object"]?.stringValue, !object.isEmpty else {
            problem("\(key).object", "`\(key).object` must be an object name such as \"Contact\"")
            return nil
        }
        if let schemas, schemas(platform, object) == nil {
            problem("\(key).object", "no schema for \(platform).\(object)", help: "expected schemas/\(platform)/\(object).json")
        }
        return JobEndpoint(
            platform: platform, object: object, connection: json[key]?["connection"]?.stringValue,
            adapter: json[key]?["adapter"]?.stringValue)
    }

    mutating func mappingPath(_ key: String) -> String? {
        guard let s = json["mappings"]?[key]?.stringValue, !s.isEmpty else {
            problem("mappings.\(key)", "`mappings.\(key)` must be the path of a mapping file")
            return nil
        }
        return s
    }

    mutating func check(field: String, in schema: Schema?, at path: String) {
        guard let schema, schema.field(field) == nil else { return }
        problem(
            path, "\(schema.platform).\(schema.object) has no field `\(field)`",
            help: suggestion(field, schema.fields.map(\.name)))
    }

    mutating func identity(_ leftSchema: Schema?, _ rightSchema: Schema?) -> [IdentityRule] {
        guard case .array(let items)? = json["identity"], !items.isEmpty else {
            problem(
                "identity", "missing array `identity`: the fields that link a record across systems",
                help: "e.g. \"identity\": [{\"left\": \"Email\", \"right\": \"email_address\", \"match\": \"email\"}]")
            return []
        }
        if items.count > TwoWaySpec.maxRules { problem("identity", "at most \(TwoWaySpec.maxRules) identity rules") }
        var rules: [IdentityRule] = []
        for (i, item) in items.prefix(TwoWaySpec.maxRules).enumerated() {
            let at = "identity[\(i)]"
            guard let l = item["left"]?.stringValue, !l.isEmpty, let r = item["right"]?.stringValue, !r.isEmpty else {
                problem(at, "an identity rule names a `left` and a `right` field")
                continue
            }
            check(field: l, in: leftSchema, at: at + ".left")
            check(field: r, in: rightSchema, at: at + ".right")
            var match = IdentityMatch.exact
            if let m = item["match"] {
                if let s = m.stringValue, let parsed = IdentityMatch(rawValue: s) {
                    match = parsed
                } else {
                    problem(
                        at + ".match", "`match` must be one of \(IdentityMatch.allCases.map(\.rawValue).joined(separator: ", "))",
                        help: suggestion(m.stringValue ?? "", IdentityMatch.allCases.map(\.rawValue)))
                }
            }
            rules.append(IdentityRule(left: l, right: r, match: match))
        }
        return rules
    }

    mutating func policy(_ value: JSONValue, at path: String, _ left: JobEndpoint?, _ right: JobEndpoint?) -> ConflictPolicy? {
        let text = value.stringValue?.trimmingCharacters(in: .whitespaces).lowercased() ?? ""
        var allowed = ["last-writer-wins", "review"]
        if let left { allowed.append("\(left.platform) wins") }
        if let right, right.platform != left?.platform { allowed.append("\(right.platform) wins") }
        switch text {
        case "last-writer-wins": return .lastWriterWins
        case "review": return .review
        case "left wins": return .wins(.left)
        case "right wins": return .wins(.right)
        default: break
        }
        if text.hasSuffix(" wins") {
            let platform = String(text.dropLast(5))
            if left?.platform.lowercased() == platform && right?.platform.lowercased() != platform { return .wins(.left) }
            if right?.platform.lowercased() == platform && left?.platform.lowercased() != platform { return .wins(.right) }
        }
        problem(
            path, "unknown conflict policy \(value.stringValue.map { "\"\($0)\"" } ?? value.kindName)",
            help: "one of: " + allowed.map { "\"\($0)\"" }.joined(separator: ", "))
        return nil
    }

    mutating func conflicts(
        _ left: JobEndpoint?, _ right: JobEndpoint?, _ leftSchema: Schema?, _ rightSchema: Schema?
    ) -> (ConflictPolicy?, [String: ConflictPolicy], Int) {
        guard case .object(let pairs)? = json["conflicts"] else {
            problem(
                "conflicts", "missing object `conflicts` with a `default` policy",
                help: "e.g. \"conflicts\": {\"default\": \"last-writer-wins\", \"clockSkewSeconds\": 120}")
            return (nil, [:], 0)
        }
        for (k, _) in pairs where !["default", "fields", "clockSkewSeconds"].contains(k) {
            problem("conflicts.\(k)", "unknown setting `conflicts.\(k)`", help: suggestion(k, ["default", "fields", "clockSkewSeconds"]))
        }
        var defaultPolicy: ConflictPolicy?
        if let d = json["conflicts"]?["default"] {
            defaultPolicy = policy(d, at: "conflicts.default", left, right)
        } else {
            problem("conflicts", "missing `conflicts.default`: the policy of fields not named in `conflicts.fields`")
        }
        var fields: [String: ConflictPolicy] = [:]
        if let f = json["conflicts"]?["fields"] {
            if case .object(let entries) = f {
                if entries.count > TwoWaySpec.maxPolicies {
                    problem("conflicts.fields", "at most \(TwoWaySpec.maxPolicies) field policies")
                }
                for (name, value) in entries.prefix(TwoWaySpec.maxPolicies) {
                    let at = "conflicts.fields.\(name)"
                    if let leftSchema, let rightSchema, leftSchema.field(name) == nil, rightSchema.field(name) == nil {
                        problem(
                            at,
                            "neither \(leftSchema.platform).\(leftSchema.object) nor \(rightSchema.platform).\(rightSchema.object) has a field `\(name)`",
                            help: suggestion(name, leftSchema.fields.map(\.name) + rightSchema.fields.map(\.name)))
                    }
                    if let p = policy(value, at: at, left, right) { fields[name] = p }
                }
            } else {
                problem("conflicts.fields", "`conflicts.fields` maps field names to policies")
            }
        }
        var skew = 0
        let usesLWW = defaultPolicy == .lastWriterWins || fields.values.contains(.lastWriterWins)
        if let s = json["conflicts"]?["clockSkewSeconds"] {
            if let i = s.intValue, i >= 0, i <= TwoWaySpec.maxSkew {
                skew = i
            } else {
                problem(
                    "conflicts.clockSkewSeconds", "`clockSkewSeconds` must be a whole number of seconds from 0 to \(TwoWaySpec.maxSkew)")
            }
        } else if usesLWW {
            problem(
                "conflicts", "last-writer-wins needs `conflicts.clockSkewSeconds`: how far apart the two platforms' clocks may be",
                help: "state it, e.g. \"clockSkewSeconds\": 120; changes closer together than that are parked for review")
        }
        return (defaultPolicy, fields, skew)
    }

    mutating func positive(_ key: String, _ fallback: Int, max: Int) -> Int {
        guard let v = json[key] else { return fallback }
        guard let i = v.intValue, i > 0, i <= max else {
            problem(key, "`\(key)` must be a whole number from 1 to \(max)")
            return fallback
        }
        return i
    }

    func suggestion(_ word: String, _ candidates: [String]) -> String? {
        let lower = word.lowercased()
        var best: (String, Int)?
        for c in candidates {
            let d = Self.distance(lower, c.lowercased())
            if d <= max(2, lower.count / 3), d < (best?.1 ?? Int.max) { best = (c, d) }
        }
        return best.map { "did you mean `\($0.0)`?" }
    }

    static func distance(_ a: String, _ b: String) -> Int {
        let a = Array(a.prefix(200))
        let b = Array(b.prefix(200))
        if a.isEmpty { return b.count }
        var row = Array(0...b.count)
        for i in 1...a.count {
            var previous = row[0]
            row[0] = i
            for j in stride(from: 1, through: b.count, by: 1) {
                let current = row[j]
                row[j] = min(row[j] + 1, row[j - 1] + 1, previous + (a[i - 1] == b[j - 1] ? 0 : 1))
                previous = current
            }
        }
        return row[b.count]
    }
}
