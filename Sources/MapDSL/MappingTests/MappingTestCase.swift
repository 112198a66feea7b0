/// One example kept next to a mapping: an input record and what the mapping must do with it.
///
/// Cases live in `<name>.tests.jsonl` beside `<name>.map`, one JSON object per line (blank lines and
/// lines starting with `#` or `//` are ignored):
///
/// ```
/// {"name": "email is trimmed", "input": {"email": " A@B.COM "}, "expect": {"Email": "a@b.com"}}
/// {"name": "blank email", "input": {"email": ""}, "skip": "blank(email)"}
/// {"name": "bad email", "input": {"email": "x@"}, "reject": {"code": "V0704", "field": "Email"}}
/// ```
///
/// `expect` lists only the fields to check; `skip` is `true` or the rule's canonical text; `reject`
/// names a reason code and/or field (or is just a code string). `lookups` optionally gives the
/// records lookups may find: `{"salesforce.Account": [{"Id": "001…", "Name": "Acme"}]}`.
public struct MappingTestCase: Sendable, Hashable {
    /// What the mapping must do.
    public enum Expectation: Sendable, Hashable {
        /// Mapped and valid, with these destination values (other fields unchecked).
        case mapped([(String, JSONValue)])
        /// Skipped, by the rule with this canonical text when given.
        case skipped(rule: String?)
        /// Rejected with a reason of this code and/or on this field.
        case rejected(code: String?, field: String?)

        public static func == (a: Expectation, b: Expectation) -> Bool {
            switch (a, b) {
            case (.mapped(let x), .mapped(let y)): x.count == y.count && zip(x, y).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
            case (.skipped(let x), .skipped(let y)): x == y
            case (.rejected(let c1, let f1), .rejected(let c2, let f2)): c1 == c2 && f1 == f2
            default: false
            }
        }

        public func hash(into hasher: inout Hasher) {
            switch self {
            case .mapped(let pairs):
                hasher.combine(0)
                for (k, v) in pairs {
                    hasher.combine(k)
                    hasher.combine(v)
                }
            case .skipped(let r):
                hasher.combine(1)
                hasher.combine(r)
            case .rejected(let c, let f):
                hasher.combine(2)
                hasher.combine(c)
                hasher.combine(f)
            }
        }
    }

    /// The case's name (defaults to `line N`).
    public var name: String
    /// 1-based line in the cases file.
    public var line: Int
    /// The source record.
    public var input: JSONValue
    /// What must happen.
    public var expectation: Expectation
    /// Records lookups may find, by `platform.Object`.
    public var lookups: [String: [JSONValue]]
}

/// A malformed line of a cases file.
public struct MappingTestProblem: Error, Sendable, Hashable {
    /// 1-based line.
    public var line: Int
    /// What is wrong.
    public var message: String
}

/// The cases of one cases file, and the lines that could not be read.
public struct MappingTestSuite: Sendable, Hashable {
    /// Cases in file order.
    public var cases: [MappingTestCase]
    /// Malformed lines.
    public var problems: [MappingTestProblem]

    /// The cases file that belongs to mapping `path`: `x.map` → `x.tests.jsonl`.
    public static func casesPath(forMapping path: String) -> String {
        (path.hasSuffix(".map") ? String(path.dropLast(4)) : path) + ".tests.jsonl"
    }

    /// Parses a cases file; never throws: bad lines become ``problems``.
    public static func parse(_ text: String) -> MappingTestSuite {
        var suite = MappingTestSuite(cases: [], problems: [])
        for (i, raw) in DryRun.lines(of: text).enumerated() {
            let line = i + 1
            let s = String(decoding: raw, as: UTF8.self)
            let trimmed = s.drop { $0 == " " || $0 == "\t" }
            if trimmed.isEmpty || trimmed.hasPrefix("#") || trimmed.hasPrefix("//") { continue }
            switch parseCase(s, line: line) {
            case .success(let c): suite.cases.append(c)
            case .failure(let p): suite.problems.append(p)
            }
        }
        return suite
    }

    private static func parseCase(_ text: String, line: Int) -> Result<MappingTestCase, MappingTestProblem> {
        func fail(_ m: String) -> Result<MappingTestCase, MappingTestProblem> { .failure(MappingTestProblem(line: line, message: m)) }
        let json: JSONValue
        do {
            json = try JSONParser.parse(text)
        } catch {
            return fail("not valid JSON: \(error.description)")
        }
        guard let pairs = json.objectValue else { return fail("a case must be a JSON object, not a \(json.kindName)") }
        let known: Set<String> = ["name", "input", "expect", "skip", "reject", "lookups", "note"]
        if let unknown = pairs.first(where: { !known.contains($0.0) }) {
            return fail("unknown key \"\(unknown.0)\" (allowed: name, input, expect, skip, reject, lookups, note)")
        }
        let name = json["name"]?.stringValue ?? "line \(line)"
        guard let input = json["input"], input.objectValue != nil else {
            return fail("\"input\" must be a JSON object (the source record)")
        }
        let given = ["expect", "skip", "reject"].filter { json[$0] != nil }
        guard given.count == 1 else {
            return fail(
                "give exactly one of \"expect\", \"skip\" or \"reject\" (found \(given.isEmpty ? "none" : given.joined(separator: ", ")))")
        }
        let expectation: MappingTestCase.Expectation
        switch given[0] {
        case "expect":
            guard let fields = json["expect"]?.objectValue else { return fail("\"expect\" must be an object of destination field values") }
            expectation = .mapped(fields)
        case "skip":
            switch json["skip"]! {
            case .bool(true): expectation = .skipped(rule: nil)
            case .string(let rule): expectation = .skipped(rule: rule)
            default: return fail("\"skip\" must be true or the text of a skip rule")
            }
        default:
            switch json["reject"]! {
            case .bool(true): expectation = .rejected(code: nil, field: nil)
            case .string(let code): expectation = .rejected(code: code, field: nil)
            case .object:
                let r = json["reject"]!
                expectation = .rejected(code: r["code"]?.stringValue, field: r["field"]?.stringValue)
            default: return fail("\"reject\" must be true, a reason code, or {\"code\": …, \"field\": …}")
            }
        }
        var lookups: [String: [JSONValue]] = [:]
        if let l = json["lookups"] {
            guard let objects = l.objectValue else { return fail("\"lookups\" must map \"platform.Object\" to arrays of records") }
            for (object, records) in objects {
                guard let list = records.arrayValue, list.allSatisfy({ $0.objectValue != nil }) else {
                    return fail("lookups of \"\(object)\" must be an array of objects")
                }
                lookups[object] = list
            }
        }
        return .success(MappingTestCase(name: name, line: line, input: input, expectation: expectation, lookups: lookups))
    }
}
