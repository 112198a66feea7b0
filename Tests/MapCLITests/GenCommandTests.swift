import Foundation
import MapCLI
import MapDSL
import TestSupport
import Testing

@Suite struct GenCommandTests {
    func prose(_ text: String) throws -> String {
        let dir = NSTemporaryDirectory() + "mapc-gen-tests-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let path = dir + "/p.txt"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// A sentence the offline generator cannot read is listed on stderr and in the JSON, and `--strict`
    /// turns it into exit status 1.
    @Test func unreadSentencesAreListedAndStrictFails() throws {
        let path = try prose(
            "from: hubspot.contact\nto: salesforce.Lead\n\nEmail is email. Title is jobtitle in reverse order of its words, unless the moon is full.\n"
        )
        let schemas = Repo.root + "/schemas"
        let io = CapturedIO()
        #expect(MapCLI.run(["gen", path, "--offline", "--schemas", schemas], io: io, environment: [:], workingDirectory: Repo.root) == 0)
        #expect(io.stderr.contains("trace: not implemented: S2"))
        let strict = CapturedIO()
        #expect(
            MapCLI.run(
                ["gen", path, "--offline", "--strict", "--schemas", schemas], io: strict, environment: [:], workingDirectory: Repo.root)
                == 1)
        let json = CapturedIO()
        #expect(
            MapCLI.run(
                ["gen", path, "--offline", "--format", "json", "--schemas", schemas], io: json, environment: [:],
                workingDirectory: Repo.root)
                == 0)
        let parsed = try JSONParser.parse(json.stdout)
        #expect(parsed["notImplemented"]?.arrayValue?.first?["sentence"] == .int(2))
    }

    /// Prose past 64 KiB is refused before it is read, with a message that says the limit (a usage error,
    /// exit 2, no trace); prose of exactly the limit is read.
    @Test func proseLargerThanTheLimitIsRefusedWithAClearMessage() throws {
        let header = "from: hubspot.contact\nto: salesforce.Lead\n\n"
        let big = try prose(header + String(repeating: "Title is jobtitle. ", count: 4_000))
        let schemas = Repo.root + "/schemas"
        let io = CapturedIO()
        #expect(MapCLI.run(["gen", big, "--offline", "--schemas", schemas], io: io, environment: [:], workingDirectory: Repo.root) == 2)
        #expect(io.stderr.contains("a prose description may be at most 64 KiB (65536 bytes)"), "\(io.stderr)")
        #expect(io.stdout.isEmpty && !io.stderr.contains("Fatal") && !io.stderr.contains("trace:"))
        let ends = "Title is jobtitle.\n" + "Email is email."
        let fits =
            header + "Title is jobtitle.\n" + String(repeating: "\n", count: 65_536 - header.utf8.count - ends.utf8.count)
            + "Email is email."
        #expect(fits.utf8.count == 65_536)
        let ok = CapturedIO()
        #expect(
            MapCLI.run(["gen", try prose(fits), "--offline", "--schemas", schemas], io: ok, environment: [:], workingDirectory: Repo.root)
                == 0, "\(ok.stderr.prefix(500))")
        #expect(ok.stdout.contains("Title"))
    }
}
