import Foundation
import TestSupport
import Testing

@testable import MapDSL

/// The front end's limits: how deep an expression may nest, how many diagnostics are shown and how
/// much of a line, what becomes of bytes that are not UTF-8 and of other line ends, and which
/// object names may reach the schema directory. (The sizes that used to crash are tried on the
/// built `mapc`, in child processes, by `HostileInputTests`.)
@Suite struct FrontEndLimitTests {
    static let header = """
        mapping hubspot.contact -> salesforce.Lead
        key HubSpot_Contact_Id__c
        HubSpot_Contact_Id__c = hs_object_id
        Company = "x"
        LastName = "y"
        Status = "Open - Not Contacted"

        """

    /// `n` terms of `term` joined by `op`, as the value of Description.
    static func chain(_ n: Int, _ op: String, term: String = "email") -> String {
        header + "Description = " + Array(repeating: term, count: n).joined(separator: " \(op) ") + "\n"
    }

    @Test(arguments: ["+", "??"])
    func aChainNestingToTheLimitChecksAndOneMoreIsE0115(op: String) {
        // `a + a` is two levels deep, so `maxDepth` levels hold `maxDepth` terms.
        let fits = Fixtures.check(Self.chain(Expr.maxDepth, op))
        #expect(!fits.diagnostics.contains { $0.code == .nestedTooDeeply }, "\(fits.diagnostics.map(\.message).prefix(3))")
        let deeper = Fixtures.check(Self.chain(Expr.maxDepth + 1, op))
        #expect(deeper.diagnostics.filter { $0.code == .nestedTooDeeply }.count == 1)
        #expect(deeper.diagnostics.filter { $0.severity == .error }.count == 1, "\(deeper.diagnostics.map(\.message))")
    }

    @Test func deepNestingOfEveryKindIsOneDiagnosticAndTheNextStatementStillParses() {
        let kinds = [
            "Description = " + String(repeating: "(", count: 2000) + "email" + String(repeating: ")", count: 2000),
            "HasOptedOutOfEmail = " + String(repeating: "not ", count: 2000) + "true",
            "NumberOfEmployees = " + String(repeating: "-", count: 2000) + "1",
            "Description = " + String(repeating: "trim(", count: 300) + "email" + String(repeating: ")", count: 300),
            "Description = " + String(repeating: "if present(email) then ", count: 300) + "email"
                + String(repeating: " else email", count: 300),
            "HasOptedOutOfEmail = hs_email_optout" + String(repeating: " and hs_email_optout", count: 2000),
        ]
        for line in kinds {
            let text = Self.header + line + "\nTitel = jobtitle\n"
            let result = Fixtures.check(text)
            #expect(result.diagnostics.filter { $0.code == .nestedTooDeeply }.count == 1, "\(line.prefix(40))")
            // The statement after it is parsed and checked: its misspelled field is found.
            #expect(result.diagnostics.contains { $0.code == .unknownDestinationField }, "\(line.prefix(40))")
        }
    }

    @Test func aTreeBuiltDeeperThanTheParserWouldIsRefusedByTheChecker() throws {
        var e = Expr(.field(Name("email", span: .point(0))), .point(0))
        for _ in 0..<(Expr.maxDepth + 5) { e = Expr(.unary(.not, e), .point(0)) }
        #expect(e.depth == Expr.maxDepth + 6)
        var file = Parser.parse(SourceText(path: "m", text: Self.header)).file
        file.skips.append(SkipRule(condition: e, span: .point(0)))
        let result = Checker.check(file, schemas: Repo.schemas)
        #expect(result.diagnostics.contains { $0.code == .nestedTooDeeply })
        #expect(!result.isValid)
    }

    @Test func diagnosticsAreCappedPerLineAndPerFileWithACount() {
        let text =
            "mapping hubspot.contact -> salesforce.Lead\n" + String(repeating: "Description = \"\\q\" + emial + \"\\q\"\n", count: 40)
        let source = SourceText(path: "many.map", text: text)
        let result = Checker.check(source, schemas: Repo.schemas)
        let rendered = DiagnosticRenderer().render(result.diagnostics, in: source)
        #expect(rendered.components(separatedBy: ": error[").count - 1 == 50)
        #expect(rendered.contains("more diagnostics in many.map not shown"))
        let perLine = DiagnosticRenderer(limits: DiagnosticLimits(perLine: 1)).render(result.diagnostics, in: source)
        #expect(perLine.contains("more diagnostics on line 2 of many.map not shown"))
        let (listed, omitted) = DiagnosticRenderer(limits: DiagnosticLimits(perFileJSON: 10)).json(result.diagnostics, in: source)
        #expect(listed.count == 10 && omitted == result.diagnostics.count - 10)
    }

    @Test func aLongLineIsShownAsAWindowAroundTheCaret() {
        let long = String(repeating: "x", count: 30_000)
        let text = "mapping hubspot.contact -> salesforce.Lead\nDescription = \"\(long)\" + emial\n"
        let source = SourceText(path: "long.map", text: text)
        let result = Checker.check(source, schemas: Repo.schemas)
        let d = result.diagnostics.first { $0.code == .unknownSourceField }!
        let rendered = DiagnosticRenderer().render(d, in: source)
        #expect(rendered.utf8.count < 1000)
        let lines = rendered.split(separator: "\n")
        let excerpt = lines.first { $0.hasPrefix("2 |") }!
        let caret = lines.first { $0.contains("^") }!
        #expect(excerpt.hasPrefix("2 | …") && excerpt.contains("emial"))
        // The caret stands under the misspelled name in the window.
        let column = caret.distance(from: caret.startIndex, to: caret.firstIndex(of: "^")!)
        let nameAt = excerpt.distance(from: excerpt.startIndex, to: excerpt.range(of: "emial")!.lowerBound)
        #expect(column == nameAt)
    }

    @Test func runsOfTheSameBadCharacterAreOneDiagnostic() {
        let result = Fixtures.check(String(repeating: "\u{0}", count: 30_000))
        let unexpected = result.diagnostics.filter { $0.code == .unexpectedCharacter }
        #expect(unexpected.count == 1)
        #expect(unexpected.first?.message == "unexpected character U+0000")
        #expect(unexpected.first?.span == SourceSpan(0, 30_000))
    }

    @Test func aLexerKeepsAThousandDiagnosticsAndCountsTheRest() {
        let text = String(repeating: "\u{0} ", count: 5000)
        let lexer = Lexer.lex(SourceText(path: "m", text: text))
        #expect(lexer.diagnostics.count == Lexer.maxDiagnostics + 1)
        #expect(lexer.diagnostics.last?.message == "4000 more problems like the ones above are not listed")
    }

    @Test func bytesThatAreNotUTF8AreDiagnosticsWithLineAndColumn() {
        var bytes = Array((Self.header + "Description = \"caf").utf8)
        bytes += [0xE9]
        bytes += Array("\"\nTitle = \"ok\" \u{1}\n".utf8)
        let source = SourceText(path: "latin1.map", bytes: bytes)
        let result = Checker.check(source, schemas: Repo.schemas)
        let bad = result.diagnostics.filter { $0.code == .invalidUTF8 }
        #expect(bad.count == 1)
        #expect(source.location(of: bad[0].span.start) == SourceLocation(line: 7, column: 19))
        #expect(!result.isValid)
        let json = DiagnosticRenderer.json(bad[0], in: source)
        #expect(json["line"] == 7 && json["column"] == 19 && json["code"] == "E0105")
    }

    @Test(arguments: ["\r\n", "\r"])
    func otherLineEndingsReadAsNewlines(ending: String) throws {
        let text = try Repo.read("samples/mappings/contacts-to-leads.map")
        let converted = text.replacingOccurrences(of: "\n", with: ending)
        let result = Fixtures.check(converted)
        #expect(!result.diagnostics.hasErrors, "\(result.diagnostics.map(\.message))")
        #expect(result.file.assignments.count == Fixtures.check(text).file.assignments.count)
        #expect(Formatter.format(result.file) == Formatter.format(Fixtures.check(text).file))
        let source = SourceText(path: "m", text: "a\(ending)bb\(ending)ccc")
        #expect(source.lineCount == 3 && source.lineText(3) == "ccc" && source.location(of: source.bytes.count - 1).line == 3)
    }

    static let badObjectNames = ["`.Account`", "`salesforce.`", "`salesforce.../../../x/evil`", "`salesforce./etc/passwd`", "`a.b.c`"]

    @Test(arguments: badObjectNames)
    func lookupObjectNamesMustBeIdentifiers(name: String) {
        let result = Fixtures.check(Self.header + "Account__c = lookup(\(name), Name == company)?.Id\n")
        let bad = result.diagnostics.filter { $0.code == .invalidLookup }
        #expect(bad.count == 1)
        #expect(!bad[0].message.contains("/") && !bad[0].message.contains("exist"))
    }

    @Test func noObjectNameReachesOutsideTheSchemaDirectory() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("schemas-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        try FileManager.default.createDirectory(atPath: root + "/schemas/salesforce", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: root + "/x", withIntermediateDirectories: true)
        let evil = #"{"platform": "salesforce", "object": "evil", "fields": [{"name": "Id", "type": "id"}]}"#
        try evil.write(toFile: root + "/x/evil.json", atomically: true, encoding: .utf8)
        try evil.write(toFile: root + "/schemas/salesforce/Account.json", atomically: true, encoding: .utf8)
        let dir = SchemaDirectory(root: root + "/schemas")
        #expect(try dir.schema(platform: "salesforce", object: "Account") != nil)
        for (platform, object) in [
            ("salesforce", "../../x/evil"), ("..", "x/evil"), ("", "Account"), ("salesforce", ""), ("sales force", "A"),
        ] {
            #expect(try dir.schema(platform: platform, object: object) == nil, "\(platform).\(object)")
        }
        #expect(
            ObjectName.isValid("Custom_Object__c") && !ObjectName.isValid("9lives")
                && !ObjectName.isValid(String(repeating: "a", count: 129)))
        // In the header too.
        let result = Checker.check(
            SourceText(path: "m", text: "mapping `..`.`x/evil` -> salesforce.Account\n"), schemas: dir)
        #expect(result.diagnostics.contains { $0.code == .unknownObject && $0.message.contains("is not an object name") })
    }

    @Test func manyCommentsAttachInLinearTime() {
        // Each statement with a comment before and after: attaching used to compare every comment
        // with every statement.
        let body = (0..<5000).map { "# note \($0)\nDescription = email  # after \($0)\n" }.joined()
        let parsed = Parser.parse(SourceText(path: "m", text: Self.header + body))
        #expect(parsed.file.assignments.count == 5004)
        #expect(parsed.file.assignments.last?.trivia.trailing?.text == " after 4999")
        #expect(parsed.file.assignments.last?.trivia.leading.first?.text == " note 4999")
    }
}
