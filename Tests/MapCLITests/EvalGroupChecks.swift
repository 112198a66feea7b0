import Foundation
import MapCLI
import MapDSL
import MapGen
import TestSupport
import Testing

extension EvalCase {
    /// The case's lookup records, read as their schema types (as the scorer serves them).
    func testLookups() -> LookupProvider {
        var records: [String: [[String: Value]]] = [:]
        for (object, list) in lookups {
            let p = object.split(separator: ".", maxSplits: 1).map(String.init)
            guard p.count == 2, let schema = (try? Repo.schemas.schema(platform: p[0], object: p[1])) ?? nil else { continue }
            records[schema.qualifiedName] = list.map { r in
                var out: [String: Value] = [:]
                for (k, v) in r.objectValue ?? [] {
                    if let f = schema.field(k), case .success(let value) = SourceDecoder.decode(v, as: f) { out[k] = value }
                }
                return out
            }
        }
        return InMemoryLookup(records: records)
    }
}

/// What every held-out eval group promises, checked without running the reader: fifteen cases that load,
/// one per platform pair (fifteen of the sixteen, `includedPair` among them), references that check clean, agree with themselves and map
/// every record, the field counts its README gives, and a group scored only when named (`all` leaves it out).
func checkHeldOutGroup(
    _ group: String, lookupCases: Int, includedPair: String, copies expectedCopies: Int, transforms expectedTransforms: Int,
    aCase: String
) throws {
    let cases = try EvalSuite.load(directory: Repo.root + "/evals", groups: [group], samples: Repo.root + "/samples")
    #expect(cases.count == 15)
    #expect(cases.allSatisfy { $0.group == group && $0.prose.from != nil && $0.prose.to != nil && !$0.records.isEmpty })
    #expect(cases.filter { !$0.lookups.isEmpty }.count == lookupCases)
    func platform(_ object: String?) -> String { object?.split(separator: ".").first.map(String.init) ?? "" }
    let sources = Set(cases.map { platform($0.prose.from) })
    let destinations = Set(cases.map { platform($0.prose.to) })
    #expect(sources == ["hubspot", "salesforce", "mailchimp", "segment"])
    #expect(destinations == ["hubspot", "salesforce", "mailchimp", "segment", "ga4"])
    // One case per platform pair: fifteen of the sixteen, none within a platform, `includedPair` among them.
    let pairs = Set(cases.map { platform($0.prose.from) + "->" + platform($0.prose.to) })
    #expect(pairs.count == 15)
    #expect(pairs.contains(includedPair))
    #expect(cases.allSatisfy { platform($0.prose.from) != platform($0.prose.to) })
    var copies = 0
    var transforms = 0
    for c in cases {
        #expect((15...20).contains(c.records.count - EvalSuite.sampleRecords), "\(c.name): 15 to 20 records of its own")
        let check = Checker.check(SourceText(path: c.name, text: c.reference), schemas: Repo.schemas)
        #expect(check.diagnostics.isEmpty, "\(c.name).map")
        // The reference scored against itself agrees on every field, the skip rules included.
        let own = EvalScorer.score(c, EvalGeneration(mapping: c.reference), schemas: Repo.schemas)
        #expect(!own.fields.isEmpty && own.fields.allSatisfy { $0.status == .right && !$0.silentWrong }, "\(c.name)")
        #expect(own.fields.contains { $0.field == "(skip)" }, "\(c.name): every case has a skip rule")
        copies += own.fields.filter { $0.kind == .copy }.count
        transforms += own.fields.filter { $0.kind == .transform }.count
        // No record fails under the reference (a record error would make every field of a generated mapping
        // that does not read the failing field count as wrong), and the case's own records exercise both
        // the skip rules and the assignments.
        let mapper = RecordMapper(mapping: try Compiler.compile(check), lookups: c.testLookups(), validate: false)
        var mapped = 0
        var skipped = 0
        for (n, record) in c.records.enumerated() {
            let isOwn = n < c.records.count - EvalSuite.sampleRecords
            switch mapper.map(record: record) {
            case .mapped: if isOwn { mapped += 1 }
            case .skipped: if isOwn { skipped += 1 }
            case .rejected(let failure, _, _): Issue.record("\(c.name): record \(n + 1) fails: \(String(describing: failure))")
            }
        }
        #expect(mapped >= 8 && skipped >= 2, "\(c.name): \(mapped) mapped, \(skipped) skipped")
    }
    // The counts the group's README gives, as the scorer classes the references' fields.
    #expect(copies == expectedCopies && transforms == expectedTransforms, "\(copies) copies, \(transforms) transforms")
    let io = CapturedIO()
    #expect(
        MapCLI.run(
            ["eval", "--offline", "--group", "all", "--case", aCase], io: io, environment: [:],
            workingDirectory: Repo.root) == 2)
    #expect(io.stderr.contains("no case called"))
    // The group is known to the command (a case name that does not exist stops it before the reader runs).
    let named = CapturedIO()
    #expect(
        MapCLI.run(
            ["eval", "--offline", "--group", group, "--case", "no-such-case"], io: named, environment: [:],
            workingDirectory: Repo.root) == 2)
    #expect(named.stderr.contains("no case called") && !named.stderr.contains("unknown group"))
}
