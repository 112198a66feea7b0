import Foundation
import MapDSL

/// A mapping's own example cases (`NAME.tests.jsonl` beside `NAME.map`) as approval and `verify`
/// run them: the same cases and the same runner as `mapc test`, so a mapping whose cases fail can be
/// neither approved nor pass verification.
public enum MappingCases {
    /// The largest cases file read (far above any real one: a few hundred lines).
    public static let maxBytes = 16 << 20

    /// Runs the cases beside the mapping at `mappingPath` (an absolute path) against the checked
    /// mapping `check` of `source`; nil when the mapping has no cases file. `mappingDisplay` and
    /// `casesDisplay` name the files in the report. A mapping that does not compile, or a cases file
    /// that cannot be read, is an entry with an ``MappingTestReport/Entry/error``.
    public static func run(
        mappingPath: String, check: CheckResult, source: SourceText, mappingDisplay: String, casesDisplay: String? = nil
    ) -> MappingTestReport.Entry? {
        let casesPath = MappingTestSuite.casesPath(forMapping: mappingPath)
        guard FileManager.default.fileExists(atPath: casesPath) else { return nil }
        let shown = casesDisplay ?? MappingTestSuite.casesPath(forMapping: mappingDisplay)
        let text: String
        switch read(casesPath) {
        case .success(let t): text = t
        case .failure(let why):
            return MappingTestReport.Entry(
                mapping: mappingDisplay, casesFile: shown, results: [], error: "cannot read '\(shown)': \(why.text)")
        }
        guard check.isValid, let mapping = try? Compiler.compile(check, text: source) else {
            return MappingTestReport.Entry(
                mapping: mappingDisplay, casesFile: shown, results: [], error: "the mapping has errors (see 'mapc check')")
        }
        let suite = MappingTestSuite.parse(text)
        let results = MappingTestRunner.run(suite, mapping: mapping, lookupSchemas: check.lookupSchemas)
        return MappingTestReport.Entry(mapping: mappingDisplay, casesFile: shown, results: results, problems: suite.problems)
    }

    /// What failed, one line per failing case and field, for refusals:
    /// `case "wrong status" (m.tests.jsonl:8): field `Status` expected "Closed" got "Open"`.
    public static func failureLines(_ entry: MappingTestReport.Entry) -> [String] {
        var lines: [String] = []
        if let error = entry.error { lines.append(error) }
        for p in entry.problems { lines.append("\(entry.casesFile):\(p.line): unreadable case: \(p.message)") }
        for r in entry.results where !r.passed {
            for f in r.failures {
                let what = f.field.map { "field `\($0)`" } ?? "outcome"
                lines.append("case \"\(r.name)\" (\(entry.casesFile):\(r.line)): \(what) expected \(f.expected), got \(f.got)")
            }
        }
        return lines
    }

    /// A reason a read failed, as text.
    public struct ReadFailure: Error, Sendable {
        /// The reason.
        public var text: String
    }

    static func read(_ path: String) -> Result<String, ReadFailure> {
        guard let handle = FileHandle(forReadingAtPath: path) else { return .failure(ReadFailure(text: "not readable")) }
        defer { try? handle.close() }
        let data: Data
        do {
            data = try handle.read(upToCount: maxBytes + 1) ?? Data()
        } catch {
            return .failure(ReadFailure(text: "\(error)"))
        }
        guard data.count <= maxBytes else { return .failure(ReadFailure(text: "larger than \(maxBytes >> 20) MiB")) }
        guard let text = String(data: data, encoding: .utf8) else { return .failure(ReadFailure(text: "not UTF-8 text")) }
        return .success(text)
    }
}
