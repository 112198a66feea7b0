import Foundation
import MapDSL

/// One evaluation case: a prose description, the mapping a person wrote for it, and records to compare
/// the two on. Files `NAME.txt` (prose with `from:`/`to:`), `NAME.map` (reference), `NAME.jsonl`
/// (source records), optionally `NAME.lookups.json` (`{"salesforce.Account": [records]}`).
public struct EvalCase: Sendable {
    /// The file stem.
    public var name: String
    /// `tune`, `held-out` or `fresh`: the folder it came from.
    public var group: String
    /// The prose.
    public var prose: ProseDocument
    /// The reference mapping's text.
    public var reference: String
    /// Source records to map with both mappings.
    public var records: [JSONValue]
    /// Records for lookups, by `platform.Object`.
    public var lookups: [String: [JSONValue]]

    /// Creates a case.
    public init(name: String, group: String, prose: ProseDocument, reference: String, records: [JSONValue], lookups: [String: [JSONValue]])
    {
        self.name = name
        self.group = group
        self.prose = prose
        self.reference = reference
        self.records = records
        self.lookups = lookups
    }
}

/// Loads the evaluation suite from `evals/` (folders `tune/`, `held-out/` and `fresh/`).
public enum EvalSuite {
    /// Most records read from one case file or sample file.
    public static let maxRecords = 500
    /// Sample records (from `samples/<platform>/<object>.jsonl`) added to each case's own.
    public static let sampleRecords = 40

    /// Every case under `directory/<group>/`, groups in order, cases by name; `samples` is the
    /// samples directory whose records for the source object are added to each case's own.
    public static func load(directory: String, groups: [String], samples: String?) throws(MapGenError) -> [EvalCase] {
        var out: [EvalCase] = []
        let fm = FileManager.default
        for group in groups {
            let dir = directory + "/" + group
            guard let files = try? fm.contentsOfDirectory(atPath: dir) else {
                throw MapGenError(.files, "cannot read the evaluation folder '\(dir)'")
            }
            for file in files.sorted() where file.hasSuffix(".txt") {
                let stem = String(file.dropLast(4))
                let text = try read(dir + "/" + file)
                guard text.utf8.count <= ProseDocument.maxBytes else {
                    throw MapGenError(.files, ProseDocument.tooLargeMessage(path: dir + "/" + file, bytes: text.utf8.count))
                }
                let prose = ProseDocument.parse(text)
                let reference = try read(dir + "/" + stem + ".map")
                var records = try jsonl(read(dir + "/" + stem + ".jsonl"), path: dir + "/" + stem + ".jsonl")
                if let samples, let from = prose.from {
                    let parts = from.split(separator: ".", maxSplits: 1).map(String.init)
                    if parts.count == 2, let text = try? read(samples + "/" + parts[0] + "/" + parts[1] + ".jsonl") {
                        records += (try? jsonl(text, path: from))?.prefix(sampleRecords) ?? []
                    }
                }
                var lookups: [String: [JSONValue]] = [:]
                if fm.fileExists(atPath: dir + "/" + stem + ".lookups.json") {
                    let text = try read(dir + "/" + stem + ".lookups.json")
                    guard let json = try? JSONParser.parse(text), let members = json.objectValue else {
                        throw MapGenError(.files, "'\(stem).lookups.json' must be an object of record lists")
                    }
                    for (k, v) in members { lookups[k] = v.arrayValue ?? [] }
                }
                out.append(EvalCase(name: stem, group: group, prose: prose, reference: reference, records: records, lookups: lookups))
            }
        }
        return out
    }

    private static func read(_ path: String) throws(MapGenError) -> String {
        guard let data = FileManager.default.contents(atPath: path) else { throw MapGenError(.files, "cannot read '\(path)'") }
        return String(decoding: data, as: UTF8.self)
    }

    private static func jsonl(_ text: String, path: String) throws(MapGenError) -> [JSONValue] {
        var out: [JSONValue] = []
        for (i, line) in text.split(separator: "\n").enumerated() where !line.hasPrefix("#") && !line.allSatisfy(\.isWhitespace) {
            guard out.count < maxRecords else { break }
            guard let v = try? JSONParser.parse(String(line)), v.objectValue != nil else {
                throw MapGenError(.files, "\(path):\(i + 1): not a JSON object")
            }
            out.append(v)
        }
        return out
    }
}
