import Foundation
import MapDSL
import MapGen
import TestSupport
import Testing

/// The fuzzer (`mapc-fuzz`) as `make test` and `make fuzz` run it, and the LLM path into the parser.
@Suite(.timeLimit(.minutes(3))) struct FuzzAndGenerationTests {
    /// One target per webhook receiver.
    static let webhookTargets = ["webhook-hubspot", "webhook-salesforce", "webhook-mailchimp", "webhook-mandrill", "webhook-segment"]
    /// One target per platform adapter's replies, and one for the declarative adapter.
    static let replyTargets = ["reply-hubspot", "reply-salesforce", "reply-mailchimp", "reply-segment", "reply-ga4", "reply-declarative"]

    static func scratch() throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("mapc-fuzz-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    @Test func theFuzzerSeesACrashAHangAndRunawayMemoryAndSavesEachInput() throws {
        let dir = try Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let r = try ChildProcess.run(
            "mapc-fuzz", ["--self-test", "--runs", "2", "--timeout", "2", "--memory-mb", "1024", "--failures", dir + "/f"], cwd: dir)
        #expect(!r.signaled && r.status == 1, "\(r.summary + r.out)")
        #expect(r.out.contains("selftest-crash: crash (signal 4"))
        #expect(r.out.contains("selftest-hang: hang"))
        #expect(r.out.contains("selftest-memory: crash"))
        #expect(r.out.contains("replay:") && r.out.contains("--target selftest-crash --replay"))
        let saved = try FileManager.default.contentsOfDirectory(atPath: dir + "/f").filter { !$0.hasPrefix(".") }
        #expect(
            Set(saved.map { String($0.split(separator: "-").prefix(2).joined(separator: "-")) }) == [
                "selftest-crash", "selftest-hang", "selftest-memory",
            ])
        // The saved input replays: in this process, so the crash is a signal again.
        let crashInput = try #require(saved.first { $0.hasPrefix("selftest-crash") })
        let replay = try ChildProcess.run("mapc-fuzz", ["--target", "selftest-crash", "--replay", dir + "/f/" + crashInput], cwd: dir)
        #expect(replay.signaled)
    }

    /// The short seeded run of every target that `make test` makes (`make fuzz` runs longer). It
    /// waits for the fuzzer (about 3 s per target) on a thread of its own, not one of the test
    /// pool's few shared threads.
    @Test func aShortSeededRunOfEveryTargetFindsNothing() async throws {
        let dir = try Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let seconds = ProcessInfo.processInfo.environment["FUZZ_TEST_SECONDS"] ?? "3"
        let r = try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread {
                continuation.resume(
                    with: Result {
                        try ChildProcess.run("mapc-fuzz", ["--seconds", seconds, "--seed", "14", "--failures", dir + "/f"], cwd: dir)
                    })
            }
        }
        #expect(!r.signaled && r.status == 0, "\(r.out + r.summary)")
        for target in ["dsl-source", "jsonl-records", "dsl-format"] + Self.webhookTargets + Self.replyTargets + ["gen-prose"] {
            #expect(r.out.contains("\(target): ") && r.out.contains("0 crashes, 0 hangs"), "\(r.out)")
        }
    }

    /// The Mailchimp batch results archive recorded from the emulator is kept as its tar (the reply
    /// server gzips it when it plays the seed), so mutations reach the tar reader, not the gzip stream.
    @Test func theRecordedMailchimpBatchArchiveSeedIsATarTheServerCompresses() throws {
        let dir = try Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let r = try ChildProcess.run("mapc-fuzz", ["--target", "reply-mailchimp", "--seeds", dir + "/s"], cwd: dir)
        #expect(r.status == 0 && r.out.contains("reply-mailchimp: "), "\(r.summary + r.out)")
        let names = try FileManager.default.contentsOfDirectory(atPath: dir + "/s").filter { $0.hasPrefix("reply-mailchimp-") }
        #expect(names.count > 7)
        // The recorded seeds come first, one per operation: the batch is the last of the seven.
        let batch = try #require(FileManager.default.contents(atPath: dir + "/s/reply-mailchimp-6"))
        #expect(batch.starts(with: Data("op 6\n".utf8)))
        #expect(batch.range(of: Data("X-Fuzz-Body: tar.gz".utf8)) != nil, "\(String(decoding: batch.prefix(2000), as: UTF8.self))")
        // The tar's ustar header and its JSON member in the clear; no gzip stream left in the seed.
        #expect(batch.range(of: Data("ustar".utf8)) != nil && batch.range(of: Data("\"status_code\"".utf8)) != nil)
        #expect(batch.range(of: Data([0x1F, 0x8B, 0x08])) == nil)
        let replay = try ChildProcess.run("mapc-fuzz", ["--target", "reply-mailchimp", "--replay", dir + "/s/reply-mailchimp-6"], cwd: dir)
        #expect(replay.status == 0 && replay.out.contains("ran without failing"), "\(replay.summary)")
    }

    @Test func unknownTargetsAndBadOptionsAreUsageErrors() throws {
        let dir = try Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        #expect(try ChildProcess.run("mapc-fuzz", ["--target", "nope"], cwd: dir).status == 2)
        #expect(try ChildProcess.run("mapc-fuzz", ["--seconds", "soon"], cwd: dir).status == 2)
        let list = try ChildProcess.run("mapc-fuzz", ["--list"], cwd: dir)
        #expect(
            list.status == 0
                && list.out.split(separator: "\n").map(String.init) == ["dsl-source", "jsonl-records", "dsl-format"] + Self.webhookTargets
                    + Self.replyTargets + ["gen-prose"]
        )
    }

    /// The prose target's seeds go through the reader and the checker without a crash or a hang (over the
    /// fuzzer's 10 s per input): the phrasings the offline reader knows, and — regression — the shapes of
    /// the inputs it once hung on, a 4 KB run of commas (28 s before a sentence's pieces were bounded) and
    /// 64 KB of one short sentence repeated (16 s before the sentences read were bounded), and a 64 KB line of
    /// quotes (25 s in the CSV cell reader before it stopped trimming the cell at each quote), and one 60 KB
    /// word (over 60 s in the document pass before over-long sentences were kept out of it).
    @Test func theProseTargetRunsItsSeedsAndTheInputsThatOnceHungTheReader() throws {
        let dir = try Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let r = try ChildProcess.run(
            "mapc-fuzz", ["--target", "gen-prose", "--runs", "7", "--seed", "1", "--failures", dir + "/f"], cwd: dir)
        #expect(
            !r.signaled && r.status == 0 && r.out.contains("gen-prose: 7 inputs") && r.out.contains("0 crashes, 0 hangs"),
            "\(r.out + r.summary)")
        let seeds = try ChildProcess.run("mapc-fuzz", ["--target", "gen-prose", "--seeds", dir + "/s"], cwd: dir)
        #expect(seeds.status == 0)
        let sizes = try FileManager.default.contentsOfDirectory(atPath: dir + "/s").compactMap {
            try FileManager.default.attributesOfItem(atPath: dir + "/s/" + $0)[.size] as? Int
        }
        #expect(sizes.count == 7 && sizes.contains { $0 > 4_000 && $0 < 8_000 } && sizes.filter { $0 > 60_000 }.count == 3, "\(sizes)")
    }

    /// An LLM reply reaches the same parser as a file: a deeply nested one is a diagnostic, fed
    /// back for repair (capped), and generation ends without a mapping.
    @Test func aDeeplyNestedLLMReplyEndsInDiagnosticsNotACrash() throws {
        let deep =
            "mapping hubspot.contact -> salesforce.Lead\nkey HubSpot_Contact_Id__c\nHubSpot_Contact_Id__c = hs_object_id\n"
            + "Description = " + String(repeating: "not ", count: 10_600) + "true\n"
            + "Title = " + String(repeating: "(", count: 30_000) + "jobtitle" + String(repeating: ")", count: 30_000) + "\n"
        let transport = ScriptedTransport(reply: deep)
        let config = EndpointConfig(provider: .openai, baseURL: "http://127.0.0.1:9", model: "m", timeout: 5, maxRetries: 0)
        let generator = Generator(
            client: LLMClient(config: config, transport: transport, sleep: { _ in }, jitter: { 0 }),
            builder: PromptBuilder(templates: try PromptTemplates.load(directory: Repo.path("prompts")), manual: Manual.build(from: nil)),
            cache: nil, schemas: Repo.schemas)
        let source = try #require(try Repo.schemas.schema(platform: "hubspot", object: "contact"))
        let destination = try #require(try Repo.schemas.schema(platform: "salesforce", object: "Lead"))
        let outcome = try generator.generate(
            prose: ProseDocument(from: nil, to: nil, body: "Map contacts to leads."), source: source, destination: destination,
            options: GenerationOptions(rounds: 1, useCache: false))
        #expect(!outcome.accepted)
        #expect(outcome.diagnostics.filter { $0.code == .nestedTooDeeply }.count == 2)
        // The repair request adds the reply and the diagnostics, each excerpt a short window of
        // its long line: not the 60 KB line once per diagnostic.
        #expect(transport.requests.count == 2)
        let first = try #require(transport.requests.first)
        let repair = try #require(transport.requests.last)
        #expect(repair.contains("E0115"))
        #expect(repair.utf8.count - first.utf8.count < deep.utf8.count + 20_000)
    }
}

/// Answers every chat request with the same OpenAI-shaped reply and keeps the request bodies.
final class ScriptedTransport: HTTPTransport, @unchecked Sendable {
    let reply: String
    private let lock = NSLock()
    private var bodies: [String] = []

    init(reply: String) { self.reply = reply }

    var requests: [String] { lock.withLock { bodies } }

    func send(_ request: HTTPRequest, timeout: Double, maxBodyBytes: Int) throws(TransportFailure) -> HTTPResponse {
        lock.withLock { bodies.append(String(decoding: request.body, as: UTF8.self)) }
        let message: JSONValue = .object([("role", "assistant"), ("content", .string(reply))])
        let body = JSONWriter.compact(.object([("choices", .array([.object([("message", message)])]))]))
        return HTTPResponse(status: 200, headers: [("Content-Type", "application/json")], body: Array(body.utf8))
    }
}
