import Crypto
import MapDSL
import MapGen
import Testing

@Suite struct GrammarTests {
    static let pairs = [
        ("hubspot.contact", "salesforce.Lead"), ("salesforce.Contact", "mailchimp.member"), ("hubspot.contact", "segment.identify"),
    ]

    func grammar(_ s: String, _ d: String) -> Grammar {
        MappingGrammar.build(
            source: Fixtures.schema(s), destination: Fixtures.schema(d), lookups: [Fixtures.schema("salesforce.Account")])
    }

    @Test(arguments: pairs) func randomStringsFromTheGrammarParse(_ pair: (String, String)) {
        let g = grammar(pair.0, pair.1)
        var sampler = GrammarSampler(g, seed: 42)
        for i in 0..<300 {
            let text = sampler.sample()
            let parsed = Parser.parse(SourceText(path: "sample", text: text))
            let syntax = parsed.diagnostics.filter { $0.code.rawValue.hasPrefix("E01") }
            #expect(
                syntax.isEmpty, "sample \(i):\n\(text)\n\(DiagnosticRenderer().render(syntax, in: SourceText(path: "sample", text: text)))")
            if !syntax.isEmpty { break }
            if i < 40 { #expect(GrammarRecognizer.accepts(g, text), "recogniser rejects its own sample:\n\(text)") }
        }
    }

    /// Every sample mapping (after its opening comment), as `mapc fmt` lays it out (long `if`s over three lines, lookups on the
    /// source's platform too), fits the grammar `mapc grammar` prints for its objects.
    @Test(arguments: [
        ("contacts-to-leads", "hubspot.contact", "salesforce.Lead"),
        ("sf-contacts-to-mailchimp", "salesforce.Contact", "mailchimp.member"),
        ("contacts-to-segment", "hubspot.contact", "segment.identify"),
        ("companies-to-accounts", "hubspot.company", "salesforce.Account"),
    ])
    func sampleMappingsFitTheirGrammar(name: String, source: String, destination: String) throws {
        let text = try String(contentsOfFile: Fixtures.root + "/samples/mappings/\(name).map", encoding: .utf8)
        let g = MappingGrammar.build(
            source: Fixtures.schema(source), destination: Fixtures.schema(destination),
            lookups: [Fixtures.schema("salesforce.Account"), Fixtures.schema("hubspot.company")])
        // The grammar starts at the header (a model may write no comment lines before it); the hand-written
        // samples open with a description comment, which is not part of what a model writes.
        let body = text.split(separator: "\n", omittingEmptySubsequences: false).drop { $0.hasPrefix("#") }.joined(separator: "\n")
        let fits = GrammarRecognizer.accepts(g, body)
        #expect(fits, "\(name).map does not fit its grammar")
    }

    @Test func characterClassesUseOnlyEscapesLlamaCppKnows() {
        // llama.cpp rejects `\-` and `\^` ("unknown escape"); they must be written as hex escapes.
        var g = Grammar()
        g.define("root", .chars(CharClass(negated: true, [0x5E...0x5E, 0x2D...0x2D, 0x61...0x7A, 0x5D...0x5D])))
        #expect(g.gbnf.contains("[^\\x5E\\x2Da-z\\]]"), "\(g.gbnf)")
        #expect(!g.gbnf.contains("\\-") && !g.gbnf.contains("\\^"))
    }

    @Test func acceptsAHandWrittenMappingAndRejectsWrongOnes() {
        let g = grammar("hubspot.contact", "salesforce.Lead")
        let good = """
            mapping hubspot.contact -> salesforce.Lead
            key HubSpot_Contact_Id__c  # [S1]
            skip when blank(email)

            HubSpot_Contact_Id__c = hs_object_id
            Account__c = lookup(salesforce.Account, Name == trim(company))?.Id
            LastName = truncate(null_if_blank(trim(lastname)) ?? "Unknown", 80)
            Status = match lifecyclestage {
                "marketingqualifiedlead" => "Working - Contacted"
                _ => "Open - Not Contacted"
            }
            LeadSource = if blank(hs_analytics_source) then "Marketing Site" else "Web"

            """
        #expect(GrammarRecognizer.accepts(g, good))
        let wrong: [(String, String)] = [
            ("unknown destination field", "LastNam = lastname"),
            ("unknown source field", "LastName = lastnam"),
            ("picklist value not allowed", "Status = \"Open\""),
            ("picklist value through if", "Status = if blank(email) then \"Open\" else \"Working - Contacted\""),
            ("read-only field", "IsConverted = true"),
            ("if without else", "LastName = if blank(lastname) then \"x\""),
            ("match without default", "Title = match jobtitle {\n    \"a\" => \"b\"\n}"),
            ("unknown function", "LastName = uppercase(lastname)"),
            ("wrong arity", "LastName = trim(lastname, 3)"),
        ]
        let prefix = "mapping hubspot.contact -> salesforce.Lead\nkey HubSpot_Contact_Id__c\n"
        for (why, line) in wrong {
            #expect(!GrammarRecognizer.accepts(g, prefix + line + "\n"), "should reject: \(why)")
        }
        #expect(!GrammarRecognizer.accepts(g, "mapping hubspot.company -> salesforce.Lead\nkey HubSpot_Contact_Id__c\nLastName = \"x\"\n"))
        #expect(!GrammarRecognizer.accepts(g, "mapping hubspot.contact -> salesforce.Lead\nLastName = \"x\"\n"), "key is required")
    }

    /// A weak model under constrained decoding spent 4,096 tokens on `#` lines before the header; the
    /// grammar now starts at the header and bounds every repetition a model could loop in.
    @Test func grammarAllowsNoCommentBeforeTheHeaderAndBoundsRepetition() {
        let g = grammar("hubspot.contact", "salesforce.Lead")
        let body = "key HubSpot_Contact_Id__c\nLastName = \"x\"  # [S1]\n"
        let header = "mapping hubspot.contact -> salesforce.Lead\n"
        #expect(GrammarRecognizer.accepts(g, header + body))
        #expect(!GrammarRecognizer.accepts(g, "# thinking about it\n" + header + body), "a comment before the header")
        let comment = String(repeating: "c", count: MappingGrammar.maxCommentCharacters)
        #expect(GrammarRecognizer.accepts(g, header + "key HubSpot_Contact_Id__c  #\(comment)\nLastName = \"x\"\n"))
        #expect(!GrammarRecognizer.accepts(g, header + "key HubSpot_Contact_Id__c  #\(comment)c\nLastName = \"x\"\n"), "a long comment")
        #expect(!GrammarRecognizer.accepts(g, header + "key HubSpot_Contact_Id__c\n\n\nLastName = \"x\"\n"), "two blank lines")
        let spaces = String(repeating: " ", count: MappingGrammar.maxSpaces + 1)
        #expect(!GrammarRecognizer.accepts(g, header + "key HubSpot_Contact_Id__c\nLastName\(spaces)= \"x\"\n"), "a run of spaces")
        let long = String(repeating: "x", count: MappingGrammar.maxStringCharacters + 1)
        #expect(!GrammarRecognizer.accepts(g, header + "key HubSpot_Contact_Id__c\nLastName = \"\(long)\"\n"), "an endless literal")
        var sampler = GrammarSampler(g, seed: 7)
        for _ in 0..<50 { #expect(sampler.sample().hasPrefix("mapping hubspot.contact -> salesforce.Lead")) }
    }

    /// Only readable objects are offered to `lookup(...)`: Segment and GA4 are write-only.
    @Test func lookupsAreOfferedOnlyForReadableObjects() {
        let names = Generator.lookupObjects(
            source: Fixtures.schema("segment.track"), destination: Fixtures.schema("ga4.event"), schemas: Fixtures.schemas)
        #expect(names.isEmpty)
        let crm = Generator.lookupObjects(
            source: Fixtures.schema("hubspot.contact"), destination: Fixtures.schema("segment.identify"), schemas: Fixtures.schemas
        ).map(\.qualifiedName)
        #expect(crm == ["hubspot.company", "hubspot.contact"])
        let text =
            "mapping hubspot.contact -> segment.identify\nkey messageId\nmessageId = hs_object_id\n"
            + "traits.plan = lookup(segment.identify, userId == hs_object_id)?.traits.plan\n"
        let r = Checker.check(SourceText(path: "m", text: text), schemas: Fixtures.schemas)
        #expect(r.diagnostics.contains { $0.code == .invalidLookup && $0.message.contains("write-only") })
    }

    @Test(arguments: pairs) func gbnfIsWellFormedForLlamaCpp(_ pair: (String, String)) {
        let g = grammar(pair.0, pair.1)
        #expect(g.undefinedReferences.isEmpty)
        let text = g.gbnf
        let lines = text.split(separator: "\n")
        #expect(lines.first?.hasPrefix("root ::= ") == true)
        var names = Set<String>()
        for line in lines {
            guard let r = line.range(of: " ::= ") else {
                Issue.record("not a rule: \(line)")
                continue
            }
            let name = String(line[..<r.lowerBound])
            #expect(name.allSatisfy { ($0.isASCII && $0.isLowercase) || $0.isNumber || $0 == "-" }, "bad rule name \(name)")
            #expect(names.insert(name).inserted, "duplicate rule \(name)")
            // Quotes balance once escapes are removed, outside character classes.
            var inQuote = false
            var inClass = false
            var escaped = false
            for c in line[r.upperBound...] {
                if escaped {
                    escaped = false
                    continue
                }
                if c == "\\" {
                    escaped = true
                } else if c == "\"" && !inClass {
                    inQuote.toggle()
                } else if c == "[" && !inQuote {
                    inClass = true
                } else if c == "]" && !inQuote {
                    inClass = false
                }
            }
            #expect(!inQuote && !inClass, "unbalanced: \(line)")
        }
        #expect(text.contains("\"\\\"Open - Not Contacted\\\"\"") || pair.1 != "salesforce.Lead")
    }
}

@Suite struct SupportTests {
    @Test func sha256MatchesKnownVectors() {
        #expect(SHA256.hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(SHA256.hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(
            SHA256.hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")
                == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        #expect(SHA256.hex(String(repeating: "a", count: 1000)).count == 64)
    }

    @Test func sentencesSplitOutsideQuotesAndDottedNames() {
        let s = SentenceSplitter.split("traits.email is the email. LeadSource is \"Web. Site\" e.g. for ads! Done?\n\nNext one")
        #expect(s == ["traits.email is the email.", "LeadSource is \"Web. Site\" e.g. for ads!", "Done?", "Next one"])
        let doc = ProseDocument.parse("from: a.b\nto: c.d\n\nOne. Two.")
        #expect(doc.from == "a.b" && doc.to == "c.d" && doc.sentences == ["One.", "Two."])
    }

    @Test func traceReportsUncitedSentencesAndRules() {
        let text = "mapping a.b -> c.d\nkey K  # [S1]\nA = x  # [S2, S3]\nB = y\n"
        let file = Parser.parse(SourceText(path: "t", text: text)).file
        let report = TraceReport.build(file, sentenceCount: 5)
        #expect(report.uncitedSentences == [4, 5])
        #expect(report.rulesWithoutCitation == ["B"])
    }

    @Test func extractorHandlesFencesChatterAndMissingHeader() {
        let h = "mapping a.b -> c.d"
        #expect(ReplyExtractor.extract("Here:\n```\n\(h)\nX = y\n```\nThanks", header: h) == "\(h)\nX = y\n")
        #expect(ReplyExtractor.extract("Draft:\n```\nX = z\n```\nFinal:\n```mapc\n\(h)\nX = y\n```", header: h) == "\(h)\nX = y\n")
        #expect(ReplyExtractor.extract("X = y", header: h) == "\(h)\nX = y\n")
        #expect(ReplyExtractor.extract("Sure, the mapping is:\n\(h)\nX = y\nHope this helps.", header: h) == "\(h)\nX = y\n")
    }

    @Test func endpointConfigComesFromFlagsAndEnvironment() throws {
        #expect(try EndpointConfig.resolve(provider: nil, url: nil, model: nil, environment: [:]) == nil)
        let a = try #require(try EndpointConfig.resolve(provider: nil, url: nil, model: nil, environment: ["ANTHROPIC_API_KEY": "k-1234"]))
        #expect(a.provider == .anthropic && a.endpointURL == "https://api.anthropic.com/v1/messages")
        let o = try #require(
            try EndpointConfig.resolve(
                provider: nil, url: nil, model: nil,
                environment: ["MAPC_LLM_URL": "http://127.0.0.1:8080/v1", "MAPC_LLM_MODEL": "qwen", "OPENAI_API_KEY": "sk-x"]))
        #expect(o.provider == .openai && o.model == "qwen" && o.endpointURL == "http://127.0.0.1:8080/v1/chat/completions")
        #expect(o.apiKey != nil)
        let l = try #require(try EndpointConfig.resolve(provider: nil, url: "http://127.0.0.1:11434", model: nil, environment: [:]))
        #expect(l.provider == .ollama && l.endpointURL == "http://127.0.0.1:11434/api/chat")
        #expect(throws: MapGenError.self) { try EndpointConfig.resolve(provider: "gemini", url: nil, model: nil, environment: [:]) }
    }

    @Test func retryPolicyIsAPureFunction() {
        let p = RetryPolicy(maxRetries: 3, baseDelay: 1, maxDelay: 30)
        #expect(p.delay(retry: 1, status: 429, retryAfter: "7", jitter: 0) == 7)
        #expect(p.delay(retry: 1, status: 503, retryAfter: nil, jitter: 0) == 1)
        #expect(p.delay(retry: 3, status: 500, retryAfter: nil, jitter: 0) == 4)
        #expect(p.delay(retry: 2, status: 429, retryAfter: "600", jitter: 0) == 30)
        #expect(p.delay(retry: 4, status: 429, retryAfter: nil, jitter: 0) == nil)
        #expect(p.delay(retry: 1, status: 400, retryAfter: nil, jitter: 0) == nil)
    }

    @Test func replyShapesOfEachProvider() throws {
        #expect(try WireFormat.decodeReply(Array(#"{"choices":[{"message":{"content":"x"}}]}"#.utf8), provider: .openai) == "x")
        #expect(
            try WireFormat.decodeReply(
                Array(#"{"content":[{"type":"text","text":"a"},{"type":"text","text":"b"}]}"#.utf8), provider: .anthropic) == "ab")
        #expect(try WireFormat.decodeReply(Array(#"{"message":{"content":"y"},"done":true}"#.utf8), provider: .ollama) == "y")
        #expect(throws: MapGenError.self) { try WireFormat.decodeReply(Array(#"{"error":"model not found"}"#.utf8), provider: .ollama) }
    }
}
