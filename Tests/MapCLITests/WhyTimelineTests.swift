import Foundation
import MapCLI
import MapDSL
import TestSupport
import Testing

/// `mapc why` prints a readable timeline (issue 16): values fetched, mapped and sent diffed per
/// field, mapc's check told apart from the platform's, the fix with its author and applying run.
@Suite struct WhyTimelineTests {
    /// Times and the mapping's version made stable for the golden file.
    static func normalized(_ text: String) -> String {
        var out = text
        for (pattern, replacement) in [
            (#"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}"#, "YYYY-MM-DD hh:mm:ss"), (#"mapping version [0-9a-f]{12}"#, "mapping version VERSION"),
        ] {
            out = out.replacingOccurrences(of: pattern, with: replacement, options: .regularExpression)
        }
        return out
    }

    @Test func rejectedFixedAndRetriedRecordReadsAsATimelineMatchingTheGolden() throws {
        let p = try SyncCommandTests.SyncProject()
        #expect(p.run(["sync", "leads"]).code == 0)
        let failed = try JSONParser.parse(p.run(["failed", "leads", "--format", "json"]).out).arrayValue ?? []
        let bad = try #require(failed.first { $0["message"]?.stringValue?.contains("maria@@gmail.com") == true })
        let key = try #require(bad["key"]?.stringValue)
        #expect(p.run(["fix", "leads", key, "email=maria@gmail.com", "--by", "erin"]).code == 0)
        #expect(p.run(["retry", "leads"]).code == 0)
        let why = p.run(["why", "leads", key])
        #expect(why.code == 0)
        Golden.check(Self.normalized(why.out), path: "Tests/MapCLITests/Golden/why-timeline.txt")
        // The raw events stay available to scripts.
        let json = try JSONParser.parse(p.run(["why", "leads", key, "--format", "json"]).out)
        #expect(json["events"]?.arrayValue?.count == 7)
    }
}
