import Foundation
import MapDSL
import SyncEngine
import TestSupport
import Testing

@testable import Observe

/// The example alerting rules (`docs/alerts/mapc-rules.yml`) parse with Prometheus's own parser,
/// fire as their unit tests say, cover the seven conditions an operator needs, and name only
/// metrics mapc exposes.
@Suite struct AlertRulesTests {
    static let promtool = Browser.which(["promtool"])
    static let rules = "docs/alerts/mapc-rules.yml"

    static func promtool(_ args: [String]) throws -> (Int32, String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: promtool!)
        p.arguments = args
        p.currentDirectoryURL = URL(fileURLWithPath: Repo.path("docs/alerts"))
        let out = Pipe()
        p.standardOutput = out
        p.standardError = out
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    @Test(
        .enabled(if: promtool != nil, "promtool not found: run `make deps` (installs the Debian package prometheus)"),
        .timeLimit(.minutes(2)))
    func rulesParseAndFireAsTheirUnitTestsSay() throws {
        let (checked, checkOutput) = try Self.promtool(["check", "rules", "mapc-rules.yml"])
        #expect(checked == 0, "\(checkOutput)")
        #expect(checkOutput.contains("SUCCESS: 8 rules found"))
        let (tested, testOutput) = try Self.promtool(["test", "rules", "mapc-rules.test.yml"])
        #expect(tested == 0, "\(testOutput)")
    }

    @Test func rulesCoverTheConditionsAnOperatorNeeds() throws {
        let text = try Repo.read(Self.rules)
        let alerts = text.split(separator: "\n").compactMap { line -> String? in
            let t = line.trimmingCharacters(in: .whitespaces)
            return t.hasPrefix("- alert: ") ? String(t.dropFirst(9)) : nil
        }
        #expect(
            alerts == [
                "MapcSyncStale", "MapcJobPaused", "MapcJobFailed", "MapcJobWedged", "MapcRejectRateHigh", "MapcRateLimited", "MapcQuotaLow",
                "MapcWebhookBacklog",
            ])
        let tests = try Repo.read("docs/alerts/mapc-rules.test.yml")
        for alert in alerts { #expect(tests.contains("alertname: \(alert)\n"), "\(alert) has a unit test") }
    }

    /// Every `mapc_…` name in the rules and their tests is a family (or a histogram's series) that
    /// a scrape of mapc declares.
    @Test func rulesNameOnlyMetricsMapcExposes() throws {
        let project = try TempProject()
        defer { project.remove() }
        let store = try EventStore(path: ":memory:")
        let observatory = Observatory(store: store, root: project.root)
        let text = try MetricsRenderer.scrape(observatory, inbox: InboxStats(depth: [:], oldestAge: [:]))
        let exposition = try ParsedExposition(text)
        var exposed = Set(exposition.types.keys)
        for (name, type) in exposition.types where type == "histogram" {
            exposed.formUnion([name + "_bucket", name + "_sum", name + "_count"])
        }
        var referenced = Set<String>()
        for file in [Self.rules, "docs/alerts/mapc-rules.test.yml"] {
            let content = try Repo.read(file)
            let regex = try NSRegularExpression(pattern: "\\bmapc_[a-z0-9_]+")
            for m in regex.matches(in: content, range: NSRange(content.startIndex..., in: content)) {
                referenced.insert(String(content[Range(m.range, in: content)!]))
            }
        }
        #expect(referenced.count >= 8, "the rules reference mapc metrics: \(referenced.sorted())")
        #expect(referenced.subtracting(exposed).isEmpty, "not exposed: \(referenced.subtracting(exposed).sorted())")
    }
}
