import Foundation
import MapCLI
import MapDSL
import TestSupport
import Testing

@Suite struct EvalCommandTests {
    @Test func evalPrintsPerCaseAndTotalsAsTextAndJSON() throws {
        let io = CapturedIO()
        let code = MapCLI.run(
            ["eval", "--offline", "--case", "t01-contacts-to-leads-basics"], io: io, environment: [:], workingDirectory: Repo.root)
        #expect(code == 0, "\(io.stderr)")
        #expect(io.stdout.contains("t01-contacts-to-leads-basics"))
        #expect(io.stdout.contains("all: copies "))
        #expect(io.stdout.contains("calibration"))
        let json = CapturedIO()
        #expect(
            MapCLI.run(
                ["eval", "--offline", "--group", "held-out", "--format", "json"], io: json, environment: [:], workingDirectory: Repo.root)
                == 0)
        let parsed = try JSONParser.parse(json.stdout)
        #expect(parsed["totals"]?["held-out"]?["cases"] == .int(10))
        #expect(parsed["totals"]?["all"]?["silentWrong"] != nil)
        let bad = CapturedIO()
        #expect(MapCLI.run(["eval", "--group", "everything"], io: bad, environment: [:], workingDirectory: Repo.root) == 2)
    }
}
