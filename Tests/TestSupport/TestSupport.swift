import Foundation
import MapDSL
import Testing

/// Paths inside the repository, for tests.
public enum Repo {
    /// The repository root (found from this file's path).
    public static let root: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()

    /// An absolute path for a repository-relative one.
    public static func path(_ relative: String) -> String { root + "/" + relative }

    /// The shipped schemas.
    public static let schemas = SchemaDirectory(root: path("schemas"))

    /// Text of a repository file.
    public static func read(_ relative: String) throws -> String {
        try String(contentsOfFile: path(relative), encoding: .utf8)
    }

    /// The sample mappings (`samples/mappings/*.map`), as repository-relative paths.
    public static func sampleMappings() -> [String] {
        Listing.files(in: path("samples/mappings"), suffix: ".map").map { Listing.isMissing($0) ? $0 : "samples/mappings/" + $0 }
    }
}

/// Directory listings that parameterised tests draw their cases from.
public enum Listing {
    /// Names in `directory` ending in `suffix`, sorted. An unreadable directory, or one without such
    /// files, gives a single case naming the problem instead of none, so that a parameterised test
    /// over the listing fails (reading that case fails) rather than passing with zero cases.
    public static func files(in directory: String, suffix: String) -> [String] {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory)
        } catch {
            return ["\(marker)\(directory) is unreadable: \(error))"]
        }
        let matching = names.filter { $0.hasSuffix(suffix) }.sorted()
        return matching.isEmpty ? ["\(marker)no *\(suffix) in \(directory))"] : matching
    }

    static let marker = "MISSING-CASES("

    /// Whether `name` is the case ``files(in:suffix:)`` gives for a missing or empty listing.
    public static func isMissing(_ name: String) -> Bool { name.hasPrefix(marker) }
}

/// Golden-file comparison: `MAPC_RECORD_GOLDEN=1` rewrites the files and fails the test, so a
/// recording run never passes by accident; a mismatch prints a line diff.
public enum Golden {
    /// Whether this run records golden files.
    public static var recording: Bool { ProcessInfo.processInfo.environment["MAPC_RECORD_GOLDEN"] == "1" }

    /// Compares `actual` with the golden file at repository-relative `path`.
    public static func check(_ actual: String, path relative: String, sourceLocation: Testing.SourceLocation = #_sourceLocation) {
        let full = Repo.path(relative)
        if recording {
            try? FileManager.default.createDirectory(
                atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try? actual.write(toFile: full, atomically: true, encoding: .utf8)
            Issue.record("recorded golden file \(relative); rerun without MAPC_RECORD_GOLDEN", sourceLocation: sourceLocation)
            return
        }
        guard let expected = try? String(contentsOfFile: full, encoding: .utf8) else {
            Issue.record("missing golden file \(relative); record it with MAPC_RECORD_GOLDEN=1", sourceLocation: sourceLocation)
            return
        }
        if expected != actual {
            Issue.record("golden mismatch for \(relative):\n\(lineDiff(expected, actual))", sourceLocation: sourceLocation)
        }
    }

    /// A simple line diff: lines only in the expected text start with `-`, only in the actual with `+`.
    public static func lineDiff(_ expected: String, _ actual: String) -> String {
        let a = expected.components(separatedBy: "\n")
        let b = actual.components(separatedBy: "\n")
        var out: [String] = []
        for i in 0..<max(a.count, b.count) {
            let x = i < a.count ? a[i] : nil
            let y = i < b.count ? b[i] : nil
            if x != y {
                if let x { out.append("-\(i + 1): \(x)") }
                if let y { out.append("+\(i + 1): \(y)") }
            }
        }
        return out.prefix(60).joined(separator: "\n")
    }
}

/// Helpers for building schemas and mappings in tests.
public enum Fixtures {
    /// Checks mapping text against the shipped schemas.
    public static func check(_ text: String, path: String = "test.map", schemas: SchemaProvider = Repo.schemas) -> CheckResult {
        Checker.check(SourceText(path: path, text: text), schemas: schemas)
    }

    /// Compiles mapping text, failing the test with its diagnostics when it has errors.
    public static func compile(
        _ text: String, schemas: SchemaProvider = Repo.schemas, sourceLocation: Testing.SourceLocation = #_sourceLocation
    ) throws -> CompiledMapping {
        let source = SourceText(path: "test.map", text: text)
        let result = Checker.check(source, schemas: schemas)
        if result.diagnostics.hasErrors {
            Issue.record(
                "unexpected diagnostics:\n\(DiagnosticRenderer().render(result.diagnostics, in: source))", sourceLocation: sourceLocation)
        }
        return try Compiler.compile(result, text: source)
    }
}
