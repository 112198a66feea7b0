import Foundation
import HTTPServer
import MapDSL
import MapGen
import Testing

/// The transport and client against hostile or slow endpoints on loopback: waiting costs no CPU,
/// replies are capped and redacted, and Azure-style URLs keep their query.
@Suite struct LLMClientHardeningTests {
    let source = Fixtures.schema("hubspot.contact")
    let destination = Fixtures.schema("salesforce.Lead")

    /// CPU time of the calling thread, in seconds.
    static func threadCPU() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    static func monotonic() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    /// A stalled endpoint is waited for in poll(2): the waiting thread burns a small fraction of the
    /// time it waits (URLSession on Linux kept a core busy: 9.7 s of CPU in a 24 s wait).
    @Test(.timeLimit(.minutes(1))) func waitingOnAStalledEndpointCostsNoCPU() throws {
        let server = try FakeLLMServer([.stall])
        defer { server.stop() }
        let request = WireFormat.encode(
            ChatRequest(messages: [ChatMessage(.user, "hi")]), config: EndpointConfig(provider: .openai, baseURL: server.url))
        let cpuBefore = Self.threadCPU()
        let start = Self.monotonic()
        #expect(throws: TransportFailure.timeout) {
            _ = try CurlTransport().send(request, timeout: 1.5, maxBodyBytes: 1024)
        }
        let waited = Self.monotonic() - start
        let cpu = Self.threadCPU() - cpuBefore
        #expect(waited >= 1.4)
        // A ratio, not a time: a busy wait would be near 1.
        #expect(cpu / waited < 0.1, "the wait used \(cpu) s of CPU in \(waited) s")
    }

    @Test func replyOverTheSizeCapIsAClearErrorNotAMapping() throws {
        let huge = Fixtures.clean + "\n" + String(repeating: "# padding padding padding padding\n", count: 20_000)
        let server = try FakeLLMServer([.respond(FakeLLMServer.openAI(huge))])
        defer { server.stop() }
        let client = LLMClient(config: EndpointConfig(provider: .openai, baseURL: server.url, maxRetries: 0), sleep: { _ in })
        #expect(huge.utf8.count > EndpointConfig.defaultMaxReplyBytes)
        do {
            _ = try client.complete(ChatRequest(messages: [ChatMessage(.user, "x")]))
            Issue.record("a 700 KB reply was accepted")
        } catch {
            #expect(error.kind == .reply)
            #expect(error.message.contains("larger than 512 KB"), "\(error.message)")
        }
        #expect(client.requests == 1)
    }

    @Test func azureURLKeepsItsQueryAndSendsTheKeyAsApiKey() throws {
        let azure = EndpointConfig(
            provider: .openai, baseURL: "https://acme.openai.azure.com/openai/deployments/gpt4o/chat/completions?api-version=2024-02-01")
        #expect(azure.endpointURL == "https://acme.openai.azure.com/openai/deployments/gpt4o/chat/completions?api-version=2024-02-01")
        let deployment = EndpointConfig(
            provider: .openai, baseURL: "https://acme.openai.azure.com/openai/deployments/gpt4o?api-version=2024-02-01")
        #expect(deployment.endpointURL == "https://acme.openai.azure.com/openai/deployments/gpt4o/chat/completions?api-version=2024-02-01")
        #expect(EndpointConfig(provider: .openai, baseURL: "http://h:1/v1/?x=1").endpointURL == "http://h:1/v1/chat/completions?x=1")
        #expect(EndpointConfig(provider: .openai, baseURL: "http://h:1").endpointURL == "http://h:1/v1/chat/completions")

        let server = try FakeLLMServer([.respond(FakeLLMServer.openAI(Fixtures.clean))])
        defer { server.stop() }
        let key = "azure-test-key-0123456789"
        let config = EndpointConfig(
            provider: .openai, baseURL: server.url + "/openai/deployments/gpt4o/chat/completions?api-version=2024-02-01",
            apiKey: APIKey(key), maxRetries: 0)
        _ = try LLMClient(config: config, sleep: { _ in }).complete(ChatRequest(messages: [ChatMessage(.user, "x")]))
        let request = try #require(server.received.first)
        #expect(request.path == "/openai/deployments/gpt4o/chat/completions")
        #expect(request.query("api-version") == "2024-02-01")
        #expect(request.header("api-key") == key)
        #expect(request.header("Authorization") == nil)
    }

    @Test func anEndpointEchoingTheAuthorizationHeaderLeavesNoKeyInMappingOrCache() throws {
        let key = "sk-echoed-SECRET-0123456789abcdef"
        let other = "sk-someone-elses-token-9876"
        let reply = Fixtures.clean.replacingOccurrences(
            of: "Email = trim(email)  # [S2]",
            with: "Email = trim(email)  # [S2] Authorization: Bearer \(key)\n# debug: api-key: \(other), x-api-key: \(other)")
        let dir = Fixtures.tempDirectory()
        let server = try FakeLLMServer([.respond(FakeLLMServer.openAI(reply))])
        defer { server.stop() }
        let client = LLMClient(
            config: EndpointConfig(provider: .openai, baseURL: server.url, model: "m", apiKey: APIKey(key), maxRetries: 0),
            sleep: { _ in })
        let generator = Generator(
            client: client, builder: PromptBuilder(templates: Fixtures.templates(), manual: "manual"),
            cache: GenerationCache(directory: dir), schemas: Fixtures.schemas)
        let outcome = try generator.generate(prose: Fixtures.leadsProse, source: source, destination: destination)
        var written = try #require(outcome.mapping) + outcome.lastCandidate
        for file in try FileManager.default.contentsOfDirectory(atPath: dir) {
            written += try String(contentsOfFile: dir + "/" + file, encoding: .utf8)
        }
        #expect(written.contains("<redacted>"))
        #expect(!written.contains("SECRET"))
        #expect(!written.contains(other))
    }

    @Test func redactorHidesHeaderEchoesWhoeverTheyBelongTo() {
        let text = "a Authorization: Bearer abc.def-123 b\nX-API-KEY: k1\n\"api-key\": \"k2\" bearer zzz"
        let out = ReplyRedactor.redact(text, key: nil)
        #expect(out == "a Authorization: Bearer <redacted> b\nX-API-KEY: <redacted>\n\"api-key\": \"<redacted>\" bearer <redacted>")
        #expect(ReplyRedactor.redact("Email = trim(email)", key: APIKey("secret-key")) == "Email = trim(email)")
    }
}
