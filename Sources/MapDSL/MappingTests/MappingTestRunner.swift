/// The result of one mapping test case.
public struct MappingTestResult: Sendable, Hashable {
    /// One mismatch between what a case expects and what the mapping did.
    public struct Failure: Sendable, Hashable {
        /// The destination field, or nil when the outcome itself differs.
        public var field: String?
        /// What the case expects.
        public var expected: String
        /// What the mapping produced.
        public var got: String
    }

    /// The case's name.
    public var name: String
    /// Its line in the cases file.
    public var line: Int
    /// Mismatches; empty when the case passed.
    public var failures: [Failure]

    /// Whether the case passed.
    public var passed: Bool { failures.isEmpty }
}

/// Runs mapping test cases against a compiled mapping.
public enum MappingTestRunner {
    /// Runs every case of `suite`; `lookupSchemas` (by `platform.Object`) types the lookup records.
    public static func run(_ suite: MappingTestSuite, mapping: CompiledMapping, lookupSchemas: [String: Schema]) -> [MappingTestResult] {
        suite.cases.map { run($0, mapping: mapping, lookupSchemas: lookupSchemas) }
    }

    /// Runs one case.
    public static func run(_ c: MappingTestCase, mapping: CompiledMapping, lookupSchemas: [String: Schema]) -> MappingTestResult {
        var failures: [MappingTestResult.Failure] = []
        var records: [String: [[String: Value]]] = [:]
        for (object, list) in c.lookups {
            guard let (name, schema) = lookupSchemas.first(where: { $0.key.lowercased() == object.lowercased() }) else {
                let known = lookupSchemas.keys.sorted().joined(separator: ", ")
                failures.append(
                    .init(field: nil, expected: "lookups of objects the mapping uses (\(known.isEmpty ? "none" : known))", got: object))
                continue
            }
            records[name] = list.map { r in
                var out: [String: Value] = [:]
                for (k, v) in r.objectValue ?? [] {
                    guard let f = schema.field(k) else { continue }
                    if case .success(let value) = SourceDecoder.decode(v, as: f) { out[k] = value }
                }
                return out
            }
        }
        if !failures.isEmpty { return MappingTestResult(name: c.name, line: c.line, failures: failures) }
        let mapper = RecordMapper(mapping: mapping, lookups: mapping.usesLookups ? InMemoryLookup(records: records) : nil)
        let result = mapper.map(record: c.input)
        switch (c.expectation, result) {
        case (.mapped(let expected), .mapped(_, let values)):
            for (field, want) in expected {
                guard let i = mapping.outputFields.firstIndex(where: { $0.name == field }) else {
                    failures.append(.init(field: field, expected: JSONWriter.compact(want), got: "(not written by the mapping)"))
                    continue
                }
                let got = values[i].json
                if got != want { failures.append(.init(field: field, expected: JSONWriter.compact(want), got: JSONWriter.compact(got))) }
            }
        case (.mapped, _):
            failures.append(.init(field: nil, expected: "mapped", got: describe(result, mapping)))
        case (.skipped(let rule), .skipped(let index)):
            let actual = mapping.skipRules[index]
            if let rule, normalise(rule) != normalise(actual) {
                failures.append(.init(field: nil, expected: "skipped by `\(rule)`", got: "skipped by `\(actual)`"))
            }
        case (.skipped(let rule), _):
            failures.append(.init(field: nil, expected: rule.map { "skipped by `\($0)`" } ?? "skipped", got: describe(result, mapping)))
        case (.rejected(let code, let field), .rejected(let f, let v, _)):
            let reasons = DryRun.reasons(f, v)
            let match = reasons.contains { r in (code == nil || r.code == code) && (field == nil || r.field == field) }
            if !match {
                failures.append(.init(field: field, expected: "rejected " + want(code, field), got: describe(result, mapping)))
            }
        case (.rejected(let code, let field), _):
            failures.append(.init(field: field, expected: "rejected " + want(code, field), got: describe(result, mapping)))
        }
        return MappingTestResult(name: c.name, line: c.line, failures: failures)
    }

    private static func want(_ code: String?, _ field: String?) -> String {
        [code, field.map { "`\($0)`" }].compactMap { $0 }.joined(separator: " ")
    }

    private static func normalise(_ rule: String) -> String {
        rule.filter { !$0.isWhitespace }
    }

    /// A one-line description of what happened to a record.
    static func describe(_ r: LineResult, _ m: CompiledMapping) -> String {
        switch r {
        case .mapped(let json, _): return "mapped " + json
        case .skipped(let rule): return "skipped by `\(m.skipRules[rule])`"
        case .rejected(let f, let v, _):
            return "rejected: "
                + DryRun.reasons(f, v).map { "\($0.code) \($0.field.map { "`\($0)`" } ?? "-"): \($0.message)" }.joined(separator: "; ")
        }
    }
}

/// The results of the cases of several mappings, for rendering.
public struct MappingTestReport: Sendable, Hashable {
    /// The results of one mapping's cases file.
    public struct Entry: Sendable, Hashable {
        /// The mapping file.
        public var mapping: String
        /// Its cases file.
        public var casesFile: String
        /// One result per case.
        public var results: [MappingTestResult]
        /// Lines of the cases file that could not be read.
        public var problems: [MappingTestProblem]
        /// Set when the mapping could not be compiled (its cases did not run).
        public var error: String?

        /// Creates an entry.
        public init(
            mapping: String, casesFile: String, results: [MappingTestResult], problems: [MappingTestProblem] = [], error: String? = nil
        ) {
            self.mapping = mapping
            self.casesFile = casesFile
            self.results = results
            self.problems = problems
            self.error = error
        }

        /// Failing cases.
        public var failed: Int { results.filter { !$0.passed }.count }
        /// Whether everything passed and every line was readable.
        public var ok: Bool { failed == 0 && problems.isEmpty && error == nil }
    }

    /// One entry per mapping.
    public var entries: [Entry]

    /// Creates a report.
    public init(entries: [Entry]) { self.entries = entries }

    /// Whether every case of every mapping passed.
    public var ok: Bool { entries.allSatisfy(\.ok) }

    /// The report as text: one line per mapping, then each failing case with field, expected, got.
    public func renderText() -> String {
        var s = ""
        for e in entries {
            let passed = e.results.count - e.failed
            if let err = e.error {
                s += "FAIL \(e.mapping): \(err)\n"
                continue
            }
            s += "\(e.ok ? "ok  " : "FAIL") \(e.mapping): \(e.results.count) case\(e.results.count == 1 ? "" : "s"), \(passed) passed"
            s += e.failed > 0 ? ", \(e.failed) failed\n" : "\n"
            for p in e.problems { s += "  \(e.casesFile):\(p.line): unreadable case: \(p.message)\n" }
            for r in e.results where !r.passed {
                s += "  case \"\(r.name)\" (\(e.casesFile):\(r.line))\n"
                for f in r.failures {
                    s += "    \(f.field.map { "field `\($0)`" } ?? "outcome")\n"
                    s += "      expected: \(f.expected)\n"
                    s += "      got:      \(f.got)\n"
                }
            }
        }
        let cases = entries.reduce(0) { $0 + $1.results.count }
        let failed = entries.reduce(0) { $0 + $1.failed }
        let problems = entries.reduce(0) { $0 + $1.problems.count } + entries.filter { $0.error != nil }.count
        s += "\n\(ok ? "ok" : "FAILED"): \(entries.count) mapping\(entries.count == 1 ? "" : "s"), \(cases) case\(cases == 1 ? "" : "s"), "
        s += "\(failed) failed"
        s += problems > 0 ? ", \(problems) problem\(problems == 1 ? "" : "s")\n" : "\n"
        return s
    }

    /// The report as JSON.
    public var json: JSONValue {
        .object([
            ("ok", .bool(ok)),
            (
                "mappings",
                .array(
                    entries.map { e in
                        .object([
                            ("mapping", .string(e.mapping)), ("cases", .string(e.casesFile)), ("ok", .bool(e.ok)),
                            ("error", e.error.map { .string($0) } ?? .null),
                            (
                                "problems",
                                .array(e.problems.map { .object([("line", .int($0.line)), ("message", .string($0.message))]) })
                            ),
                            (
                                "results",
                                .array(
                                    e.results.map { r in
                                        .object([
                                            ("name", .string(r.name)), ("line", .int(r.line)), ("passed", .bool(r.passed)),
                                            (
                                                "failures",
                                                .array(
                                                    r.failures.map {
                                                        .object([
                                                            ("field", $0.field.map { .string($0) } ?? .null),
                                                            ("expected", .string($0.expected)), ("got", .string($0.got)),
                                                        ])
                                                    })
                                            ),
                                        ])
                                    })
                            ),
                        ])
                    })
            ),
        ])
    }
}
