import Foundation
import HTTPServer
import MapDSL
import MapGen
import Testing

@Suite struct GeneratorRepairTests {
    let source = Fixtures.schema("hubspot.contact")
    let destination = Fixtures.schema("salesforce.Lead")

    func run(
        _ script: [FakeLLMServer.Step], rounds: Int = 3, provider: ProviderKind = .openai, timeout: Double = 10,
        cache: GenerationCache? = nil, key: String? = nil
    ) throws -> (Result<GenerationOutcome, MapGenError>, FakeLLMServer, LLMClient) {
        let server = try FakeLLMServer(script)
        defer { server.stop() }
        let config = EndpointConfig(
            provider: provider, baseURL: server.url, model: "test-model", apiKey: key.map(APIKey.init), timeout: timeout, maxRetries: 2)
        let client = LLMClient(config: config, sleep: { _ in }, jitter: { 0 })
        let generator = Generator(
            client: client, builder: PromptBuilder(templates: Fixtures.templates(), manual: Manual.build(from: nil)), cache: cache,
            schemas: Fixtures.schemas, clock: { Date(timeIntervalSince1970: 0) })
        let result = Result { () throws(MapGenError) in
            try generator.generate(
                prose: Fixtures.leadsProse, source: source, destination: destination,
                options: GenerationOptions(rounds: rounds, useCache: cache != nil))
        }
        return (result, server, client)
    }

    @Test func cleanAnswerIsAcceptedWithProvenance() throws {
        let (result, server, _) = try run([.respond(FakeLLMServer.openAI(Fixtures.clean))])
        let outcome = try result.get()
        #expect(outcome.accepted)
        #expect(outcome.calls == 1)
        #expect(outcome.rounds == 0)
        let mapping = try #require(outcome.mapping)
        #expect(mapping.hasPrefix("# generated-by: mapc gen (openai/test-model)\n# prompt-hash: sha256:"))
        #expect(mapping.contains("# rounds: 0\n# generated-at: 1970-01-01T00:00:00Z\n"))
        #expect(!Checker.check(SourceText(path: "m", text: mapping), schemas: Fixtures.schemas).diagnostics.hasErrors)
        #expect(outcome.trace?.uncitedSentences == [])
        #expect(server.received.first?.path == "/v1/chat/completions")
    }

    @Test func fencedAnswerWithChatterIsExtracted() throws {
        let reply = "Sure! Here is the mapping:\n\n```mapc\n\(Fixtures.clean)\n```\n\nLet me know if you need changes."
        let outcome = try run([.respond(FakeLLMServer.openAI(reply))]).0.get()
        #expect(outcome.accepted)
        #expect(outcome.calls == 1)
    }

    @Test func wrongFieldNameIsFixedAfterOneRepairRound() throws {
        let broken = Fixtures.clean.replacingOccurrences(of: "Email = trim(email)", with: "Email = trim(emial)")
        let (result, server, _) = try run([.respond(FakeLLMServer.openAI(broken)), .respond(FakeLLMServer.openAI(Fixtures.clean))])
        let outcome = try result.get()
        #expect(outcome.accepted)
        #expect(outcome.calls == 2)
        #expect(outcome.rounds == 1)
        let repair = try #require(server.received.last?.bodyText)
        #expect(repair.contains("E0201"))
        #expect(repair.contains("did you mean `email`?"))
    }

    @Test func invalidPicklistValueIsFixedAfterRepair() throws {
        let broken = Fixtures.clean.replacingOccurrences(of: "\"Open - Not Contacted\"", with: "\"Open\"")
        let (result, server, _) = try run([.respond(FakeLLMServer.openAI(broken)), .respond(FakeLLMServer.openAI(Fixtures.clean))])
        let outcome = try result.get()
        #expect(outcome.accepted)
        #expect(outcome.calls == 2)
        #expect(server.received.last?.bodyText.contains("E0303") == true)
    }

    @Test func answerNeverFixedFailsClearlyAfterTheRounds() throws {
        let broken = Fixtures.clean.replacingOccurrences(of: "Email = trim(email)", with: "Emial = trim(email)")
        let script = Array(repeating: FakeLLMServer.Step.respond(FakeLLMServer.openAI(broken)), count: 3)
        let outcome = try run(script, rounds: 2).0.get()
        #expect(!outcome.accepted)
        #expect(outcome.mapping == nil)
        #expect(outcome.calls == 3)
        #expect(outcome.rounds == 2)
        #expect(outcome.diagnostics.contains { $0.code == .unknownDestinationField })
    }

    @Test func retriesAfter429HonouringRetryAfter() throws {
        let limited = FakeLLMServer.json(.object([("error", .object([("message", "slow down")]))]), status: 429).withHeader(
            "Retry-After", "2")
        let (result, _, client) = try run([.respond(limited), .respond(FakeLLMServer.openAI(Fixtures.clean))])
        #expect(try result.get().accepted)
        #expect(client.requests == 2)
        #expect(client.completions == 1)
        #expect(client.waits == [2])
    }

    @Test func timeoutIsAClearError() throws {
        let (result, _, _) = try run([.delay(2, FakeLLMServer.openAI(Fixtures.clean))], timeout: 0.5)
        guard case .failure(let error) = result else {
            Issue.record("expected a timeout")
            return
        }
        #expect(error.kind == .endpoint)
        #expect(error.message.contains("timeout"))
    }

    @Test func malformedJSONBodyIsAReplyError() throws {
        let bad = Response(status: 200, headerFields: [("Content-Type", "application/json")], body: Data("{\"choices\": [".utf8))
        guard case .failure(let error) = try run([.respond(bad)]).0 else {
            Issue.record("expected a failure")
            return
        }
        #expect(error.kind == .reply)
        #expect(error.message.contains("not valid JSON"))
    }

    @Test func emptyChoiceListIsAReplyError() throws {
        guard case .failure(let error) = try run([.respond(FakeLLMServer.json(.object([("choices", .array([]))])))]).0 else {
            Issue.record("expected a failure")
            return
        }
        #expect(error.kind == .reply)
        #expect(error.message.contains("empty"))
    }

    @Test func anthropicShapeAndHeaders() throws {
        let reply = FakeLLMServer.json(
            .object([("type", "message"), ("content", .array([.object([("type", "text"), ("text", .string(Fixtures.clean))])]))]))
        let (result, server, _) = try run([.respond(reply)], provider: .anthropic, key: "anthropic-test-key-123")
        #expect(try result.get().accepted)
        let request = try #require(server.received.first)
        #expect(request.path == "/v1/messages")
        #expect(request.header("x-api-key") == "anthropic-test-key-123")
        #expect(request.header("anthropic-version") == WireFormat.anthropicVersion)
        let body = try JSONParser.parse(request.bodyText)
        #expect(body["system"]?.stringValue?.contains("mapc mapping language") == true)
        #expect(body["messages"]?.arrayValue?.allSatisfy { $0["role"]?.stringValue != "system" } == true)
    }

    @Test func ollamaNativeShape() throws {
        let reply = FakeLLMServer.json(
            .object([("message", .object([("role", "assistant"), ("content", .string(Fixtures.clean))])), ("done", true)]))
        let (result, server, _) = try run([.respond(reply)], provider: .ollama)
        #expect(try result.get().accepted)
        let request = try #require(server.received.first)
        #expect(request.path == "/api/chat")
        #expect(try JSONParser.parse(request.bodyText)["stream"] == .bool(false))
    }

    @Test func secondRunIsServedFromTheCacheWithZeroCalls() throws {
        let cache = GenerationCache(directory: Fixtures.tempDirectory())
        let server = try FakeLLMServer([.respond(FakeLLMServer.openAI(Fixtures.clean))])
        defer { server.stop() }
        func generate() throws -> (GenerationOutcome, LLMClient) {
            let client = LLMClient(
                config: EndpointConfig(provider: .openai, baseURL: server.url, model: "m", maxRetries: 0), sleep: { _ in })
            let generator = Generator(
                client: client, builder: PromptBuilder(templates: Fixtures.templates(), manual: "manual"), cache: cache,
                schemas: Fixtures.schemas)
            return (try generator.generate(prose: Fixtures.leadsProse, source: source, destination: destination), client)
        }
        let (first, _) = try generate()
        #expect(first.calls == 1)
        let (second, client) = try generate()
        #expect(second.accepted)
        #expect(second.calls == 0)
        #expect(second.cachedReplies == 1)
        #expect(client.requests == 0)
        #expect(server.received.count == 1)
        #expect(second.mapping?.contains("# prompt-hash: sha256:\(first.promptHash)") == true)
    }

    @Test func plantedKeyAppearsNowhere() throws {
        let key = "sk-planted-SECRET-0123456789abcdef"
        let dir = Fixtures.tempDirectory()
        let cache = GenerationCache(directory: dir)
        // The server echoes the credential it received, as some do in 401 bodies.
        let echoing = FakeLLMServer.json(
            .object([("error", .object([("message", .string("Incorrect API key provided: \(key)"))]))]), status: 401)
        let (failed, _, _) = try run([.respond(echoing)], cache: cache, key: key)
        guard case .failure(let error) = failed else {
            Issue.record("expected a failure")
            return
        }
        #expect(!error.message.contains(key))
        #expect(!error.message.contains(String(key.prefix(20))))
        #expect(error.message.contains("<redacted>"))
        let (ok, server, client) = try run([.respond(FakeLLMServer.openAI(Fixtures.clean))], cache: cache, key: key)
        let outcome = try ok.get()
        #expect(server.received.first?.header("Authorization") == "Bearer \(key)")
        var captured = outcome.mapping ?? ""
        captured += String(describing: client.config) + String(reflecting: client.config)
        dump(client.config, to: &captured)
        for file in try FileManager.default.contentsOfDirectory(atPath: dir) {
            captured += try String(contentsOfFile: dir + "/" + file, encoding: .utf8)
        }
        captured += String(describing: WireFormat.encode(ChatRequest(messages: []), config: client.config))
        #expect(!captured.isEmpty)
        #expect(!captured.contains(key))
        #expect(!captured.contains("SECRET"))
    }
}
