import Foundation
import MapDSL
import TestSupport
import Testing

/// Cheap robustness: corrupt valid mappings at many points; the front end must terminate without
/// crashing and report at least one diagnostic for every corruption that breaks the syntax.
/// Every test here is a termination test: a hang fails it at its time limit instead of stalling the suite.
@Suite(.timeLimit(.minutes(3))) struct MutationTests {
    static let corpus = Repo.sampleMappings()

    private func tokens(_ text: String) -> [Token] {
        Lexer.lex(SourceText(path: "m", text: text)).tokens.filter { $0.kind != .newline && $0.kind != .eof }
    }

    private func run(_ text: String) -> [Diagnostic] {
        let result = Checker.check(SourceText(path: "m.map", text: text), schemas: Repo.schemas)
        // Formatting whatever parsed must not crash either.
        _ = Formatter.format(result.file)
        return result.diagnostics
    }

    private func replace(_ text: String, _ span: SourceSpan, with new: String) -> String {
        var bytes = Array(text.utf8)
        bytes.replaceSubrange(span.start..<span.end, with: Array(new.utf8))
        return String(decoding: bytes, as: UTF8.self)
    }

    @Test(arguments: corpus)
    func insertingAStrayCharacterAlwaysReports(path: String) throws {
        let text = try Repo.read(path)
        for t in tokens(text) {
            let mutated = replace(text, SourceSpan(t.span.start, t.span.start), with: "@")
            #expect(!run(mutated).isEmpty, "no diagnostic after inserting @ at \(t.span.start) in \(path)")
        }
    }

    @Test(arguments: corpus)
    func replacingATokenWithAPunctuatorAlwaysReports(path: String) throws {
        let text = try Repo.read(path)
        for t in tokens(text) where t.kind != .rparen {
            let mutated = replace(text, t.span, with: " ) ")
            #expect(!run(mutated).isEmpty, "no diagnostic after replacing `\(t.text)` at \(t.span.start) in \(path)")
        }
    }

    @Test(arguments: corpus)
    func deletingAnyTokenTerminates(path: String) throws {
        let text = try Repo.read(path)
        for t in tokens(text) {
            _ = run(replace(text, t.span, with: ""))
        }
    }

    @Test(arguments: corpus)
    func truncatingAnywhereTerminates(path: String) throws {
        let text = try Repo.read(path)
        let bytes = Array(text.utf8)
        var cut = 0
        while cut < bytes.count {
            // Cut only at character boundaries.
            if bytes[cut] & 0xC0 != 0x80 {
                let prefix = String(decoding: bytes[..<cut], as: UTF8.self)
                let diagnostics = run(prefix)
                if cut > 0 && cut < bytes.count - 1 && !prefix.contains("mapping") { #expect(!diagnostics.isEmpty) }
            }
            cut += 3
        }
    }

    @Test func pathologicalInputsTerminate() {
        let inputs = [
            "", "\n\n\n", "mapping", "mapping a.b ->", "((((((((((", String(repeating: "(", count: 5000),
            String(repeating: "not ", count: 3000) + "x", "x = " + String(repeating: "-", count: 3000) + "1",
            "x = match y {", "x = match y { _ => }", "x = if", "x = if a then", "\"", "`", "x = \"\\u{", "x = 'a",
            "mapping a.b -> c.d\nx = f(,,,)", "x = lookup()?.", "x = a?.", "}}}}", "=>=>=>", "\u{FEFF}mapping a.b -> c.d",
            String(repeating: "x = a\n", count: 2000),
        ]
        for input in inputs {
            _ = run(input)
        }
    }
}
