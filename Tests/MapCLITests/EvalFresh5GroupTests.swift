import Foundation
import MapCLI
import MapDSL
import MapGen
import TestSupport
import Testing

@Suite struct EvalFresh5GroupTests {
    /// fresh5 is held out like fresh4: scored only when named, so `all` (what `make eval` runs while the reader
    /// is tuned) leaves it out. The cases load, cover fifteen platform pairs (Segment → Mailchimp among them),
    /// every reference checks clean, maps every record without a record error and agrees with itself; the
    /// reader never runs here, and its score is not asserted.
    @Test func fresh5IsLoadedByNameAndLeftOutOfAll() throws {
        let cases = try EvalSuite.load(directory: Repo.root + "/evals", groups: ["fresh5"], samples: Repo.root + "/samples")
        #expect(cases.count == 15)
        #expect(cases.allSatisfy { $0.group == "fresh5" && $0.prose.from != nil && $0.prose.to != nil && !$0.records.isEmpty })
        #expect(cases.filter { !$0.lookups.isEmpty }.count == 1)
        func platform(_ object: String?) -> String { object?.split(separator: ".").first.map(String.init) ?? "" }
        let sources = Set(cases.map { platform($0.prose.from) })
        let destinations = Set(cases.map { platform($0.prose.to) })
        #expect(sources == ["hubspot", "salesforce", "mailchimp", "segment"])
        #expect(destinations == ["hubspot", "salesforce", "mailchimp", "segment", "ga4"])
        // One case per platform pair: fifteen of the sixteen, none within a platform, Segment → Mailchimp included.
        let pairs = Set(cases.map { platform($0.prose.from) + "->" + platform($0.prose.to) })
        #expect(pairs.count == 15)
        #expect(pairs.contains("segment->mailchimp"))
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
        // The counts evals/fresh5/README.md gives, as the scorer classes the references' fields.
        #expect(copies == 87 && transforms == 112, "\(copies) copies, \(transforms) transforms")
        let io = CapturedIO()
        #expect(
            MapCLI.run(
                ["eval", "--offline", "--group", "all", "--case", "q01-hubspot-companies-to-sf-accounts-slack"], io: io, environment: [:],
                workingDirectory: Repo.root) == 2)
        #expect(io.stderr.contains("no case called"))
        // The group is known to the command (a case name that does not exist stops it before the reader runs).
        let named = CapturedIO()
        #expect(
            MapCLI.run(
                ["eval", "--offline", "--group", "fresh5", "--case", "no-such-case"], io: named, environment: [:],
                workingDirectory: Repo.root) == 2)
        #expect(named.stderr.contains("no case called") && !named.stderr.contains("unknown group"))
    }
}
