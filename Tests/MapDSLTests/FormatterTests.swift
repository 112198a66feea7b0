import Foundation
import MapDSL
import TestSupport
import Testing

@Suite struct FormatterTests {
    static var inputs: [String] {
        Repo.sampleMappings() + DiagnosticGoldenTests.fixtures.map { "Tests/MapDSLTests/Fixtures/diagnostics/\($0).map" }
            + ["Tests/MapDSLTests/Fixtures/format/messy.map"]
    }

    @Test(arguments: inputs)
    func idempotentAndTreePreserving(path: String) throws {
        // As `mapc fmt` reads a file: bytes, which need not be UTF-8 (E0105's fixture is not).
        let source = SourceText(path: path, bytes: Array(try #require(FileManager.default.contents(atPath: Repo.path(path)))))
        let text = source.text
        let first = Parser.parse(source)
        if first.diagnostics.hasErrors { return }  // fmt refuses files with syntax errors
        let once = Formatter.format(first.file)
        let second = Parser.parse(SourceText(path: path, text: once))
        #expect(!second.diagnostics.hasErrors, "formatted text does not parse:\n\(once)")
        // Formatting orders assignments canonically; the tree is otherwise the same.
        let sortedLines = { (s: String) in s.split(separator: "\n").sorted() }
        #expect(sortedLines(ASTDump.dump(second.file)) == sortedLines(ASTDump.dump(first.file)), "parse(format(x)) != parse(x) for \(path)")
        let twice = Formatter.format(second.file)
        #expect(twice == once, "formatting twice changed \(path):\n\(Golden.lineDiff(once, twice))")
        let commentsBefore = text.components(separatedBy: "#").count
        let commentsAfter = once.components(separatedBy: "#").count
        #expect(commentsBefore == commentsAfter, "comments lost in \(path)")
    }

    @Test func sampleMappingsAreCanonical() throws {
        for path in Repo.sampleMappings() {
            let text = try Repo.read(path)
            let formatted = Formatter.format(Parser.parse(SourceText(path: path, text: text)).file)
            #expect(formatted == text, "\(path) is not canonical:\n\(Golden.lineDiff(text, formatted))")
        }
    }

    @Test func messyFileGolden() throws {
        let text = try Repo.read("Tests/MapDSLTests/Fixtures/format/messy.map")
        let formatted = Formatter.format(Parser.parse(SourceText(path: "messy.map", text: text)).file)
        Golden.check(formatted, path: "Tests/MapDSLTests/Golden/format/messy.map")
    }

    @Test(arguments: [
        ("a + b * c", "a + b * c"),
        ("(a + b) * c", "(a + b) * c"),
        ("a - (b - c)", "a - (b - c)"),
        ("(a - b) - c", "a - b - c"),
        ("a ?? (b ?? c)", "a ?? b ?? c"),
        ("(a ?? b) ?? c", "(a ?? b) ?? c"),
        ("not (a and b)", "not (a and b)"),
        ("!a || b && c", "not a or b and c"),
        ("(not a) == b", "(not a) == b"),
        ("-(a + b)", "-(a + b)"),
        ("(if a then b else c) ?? d", "(if a then b else c) ?? d"),
        ("f(if a then b else c, 'x')", "f(if a then b else c, \"x\")"),
        ("a <> b", "a != b"),
        ("lookup(s.A, N == x).Id", "lookup(s.A, N == x)?.Id"),
        ("\"tab\\there\"", "\"tab\\there\""),
    ])
    func canonicalExpressions(input: String, expected: String) {
        let (e, diags) = Parser.parseExpression(SourceText(path: "e", text: input))
        #expect(!diags.hasErrors)
        #expect(Formatter.expression(e) == expected)
        let (again, _) = Parser.parseExpression(SourceText(path: "e", text: expected))
        #expect(ASTDump.dump(again) == ASTDump.dump(e))
    }
}
