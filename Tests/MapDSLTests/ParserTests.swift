import MapDSL
import TestSupport
import Testing

@Suite struct ParserTests {
    func dump(_ text: String) -> (String, [Diagnostic]) {
        let r = Parser.parse(SourceText(path: "t", text: text))
        return (ASTDump.dump(r.file), r.diagnostics)
    }

    @Test(arguments: Repo.sampleMappings())
    func sampleMappingsParseAndCheckClean(path: String) throws {
        let result = Fixtures.check(try Repo.read(path), path: path)
        #expect(result.diagnostics.isEmpty, "\(result.diagnostics.map { "\($0.code.rawValue) \($0.message)" })")
    }

    @Test(arguments: [
        ("a or b and c", "(or $a (and $b $c))"),
        ("a == b ?? c", "(== $a (?? $b $c))"),
        ("a ?? b + c", "(?? $a (+ $b $c))"),
        ("not a == b", "(not (== $a $b))"),
        ("-a * b", "(* (- $a) $b)"),
        ("a - -1", "(- $a -1)"),
        ("f(a, g(b))?.x", "(. (f $a (g $b)) x)"),
        ("traits.email", "$traits.email"),
        ("`First Name`", "$First Name"),
        ("if a then b else if c then d else e", "(if $a $b (if $c $d $e))"),
        ("match x { \"a\", 'b' => 1, null => 2, _ => 3 }", "(match $x (\"a\" \"b\" => 1) (null => 2) (_ => 3))"),
        ("a &&\n b", "(and $a $b)"),
    ])
    func precedenceAndShapes(input: String, expected: String) {
        let (e, d) = Parser.parseExpression(SourceText(path: "e", text: input))
        #expect(d.isEmpty)
        #expect(ASTDump.dump(e) == expected)
    }

    @Test func continuationLines() {
        let (tree, d) = dump(
            """
            mapping a.b -> c.d
            X = "a"
                + "b"
                ?? "c"
            Y = if p
                then 1
                else 2
            Z = match q {
                1 => "one"

                _ => "many"
            }
            """)
        #expect(d.isEmpty)
        #expect(tree.contains("(= X (?? (+ \"a\" \"b\") \"c\"))"))
        #expect(tree.contains("(= Y (if $p 1 2))"))
        #expect(tree.contains("(= Z (match $q (1 => \"one\") (_ => \"many\")))"))
    }

    @Test func keywordFieldNamesAndQuotedNames() {
        let (tree, d) = dump("mapping a.b -> c.d\nkey = `key`\nskip = x\n`weird name` = y\n")
        #expect(d.isEmpty)
        #expect(tree.contains("(= key $key)"))
        #expect(tree.contains("(= skip $x)"))
        #expect(tree.contains("(= weird name $y)"))
    }

    @Test func recoversAndReportsEachBrokenLine() {
        let text = "mapping a.b -> c.d\nA = 1 2\nB = * 3\nC = )\nD = 4\n"
        let (tree, d) = dump(text)
        let source = SourceText(path: "t", text: text)
        #expect(Set(d.map { source.line(of: $0.span.start) }) == [2, 3, 4])
        #expect(tree.contains("(= D 4)"))
    }

    @Test func commentsAreAttached() {
        let r = Parser.parse(
            SourceText(
                path: "t",
                text:
                    "# head\nmapping a.b -> c.d\n# about X\nX = 1  # trailing\nY = match z {\n  # arm note\n  _ => 2  # arm tail\n}\n# end\n"
            ))
        #expect(r.file.header?.trivia.leading.map(\.text) == [" head"])
        #expect(r.file.assignments[0].trivia.leading.map(\.text) == [" about X"])
        #expect(r.file.assignments[0].trivia.trailing?.text == " trailing")
        guard case .match(_, let arms) = r.file.assignments[1].value.kind else {
            Issue.record("expected match")
            return
        }
        #expect(arms[0].trivia.leading.map(\.text) == [" arm note"])
        #expect(arms[0].trivia.trailing?.text == " arm tail")
        #expect(r.file.trailingComments.map(\.text) == [" end"])
    }
}
