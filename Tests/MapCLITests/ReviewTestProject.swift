import Foundation
import MapCLI
import TestSupport
import Testing

/// A temporary copy of the project's schemas and samples (with the sample mappings and their
/// cases) for the review command tests, so nothing in the repository changes.
final class ReviewTestProject {
    /// The project root.
    let root: String
    /// The fixed approval time given through `MAPC_NOW`.
    static let now = "2025-01-31T09:30:00Z"

    init() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("mapc-review-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        for sub in ["schemas", "platforms", "samples"] {
            try FileManager.default.copyItem(atPath: Repo.path(sub), toPath: "\(root)/\(sub)")
        }
    }

    deinit { try? FileManager.default.removeItem(atPath: root) }

    /// Runs `mapc` in the project root with captured output.
    func run(_ args: [String], env: [String: String] = [:]) -> (code: Int32, out: String, err: String) {
        let io = CapturedIO()
        var environment = ["MAPC_NOW": ReviewTestProject.now]
        environment.merge(env) { _, new in new }
        let code = MapCLI.run(args, io: io, environment: environment, workingDirectory: root)
        return (code, io.stdout, io.stderr)
    }

    /// The text of a project file.
    func read(_ relative: String) throws -> String {
        try String(contentsOfFile: root + "/" + relative, encoding: .utf8)
    }

    /// Writes a project file.
    func write(_ relative: String, _ text: String) throws {
        try text.write(toFile: root + "/" + relative, atomically: true, encoding: .utf8)
    }

    /// Replaces the whole line starting with `prefix` in a project file; fails the test when absent.
    func replaceLine(in relative: String, startingWith prefix: String, with line: String) throws {
        let text = try read(relative)
        var lines = text.components(separatedBy: "\n")
        let i = try #require(lines.firstIndex { $0.hasPrefix(prefix) }, "no line starting with \(prefix) in \(relative)")
        lines[i] = line
        try write(relative, lines.joined(separator: "\n"))
    }

    /// The sample mappings, relative to the root.
    var mappings: [String] {
        // A missing or empty listing gives one entry naming the problem (commands on it fail), never none.
        Listing.files(in: root + "/samples/mappings", suffix: ".map").map { Listing.isMissing($0) ? $0 : "samples/mappings/" + $0 }
    }
}

let leads = "samples/mappings/contacts-to-leads.map"
