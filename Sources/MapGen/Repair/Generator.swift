import Crypto
import Foundation
import MapDSL

/// Options of one generation.
public struct GenerationOptions: Sendable, Hashable {
    /// Most repair rounds after the first answer (so at most `rounds + 1` calls).
    public var rounds: Int
    /// Sampling temperature.
    public var temperature: Double
    /// Reply length limit in tokens.
    public var maxTokens: Int
    /// A GBNF grammar to constrain replies with, when the server supports it.
    public var grammar: String?
    /// Whether to read and write the reply cache.
    public var useCache: Bool

    /// Creates options.
    public init(rounds: Int = 3, temperature: Double = 0, maxTokens: Int = 4096, grammar: String? = nil, useCache: Bool = true) {
        self.rounds = rounds
        self.temperature = temperature
        self.maxTokens = maxTokens
        self.grammar = grammar
        self.useCache = useCache
    }
}

/// How a generation ended.
public struct GenerationOutcome: Sendable {
    /// The accepted mapping, formatted, with its provenance header; nil when generation failed.
    public var mapping: String?
    /// The last candidate the model produced (extracted, unformatted).
    public var lastCandidate: String
    /// Diagnostics of the last candidate (errors remain when ``mapping`` is nil).
    public var diagnostics: [Diagnostic]
    /// LLM calls made (replies served from the cache not counted).
    public var calls: Int
    /// Replies served from the cache.
    public var cachedReplies: Int
    /// Repair rounds used.
    public var rounds: Int
    /// Which sentences each rule cites (for the accepted mapping, or the last candidate).
    public var trace: TraceReport?
    /// SHA-256 of the opening prompt.
    public var promptHash: String
    /// Reply comments removed because they imitated mapc's provenance lines.
    public var removedComments = 0
    /// Reply comments fenced as `# from the model: …` because they read as a review or approval.
    public var fencedComments = 0

    /// Whether a clean mapping came out.
    public var accepted: Bool { mapping != nil }
}

/// Prose to checked mapping through an LLM: prompt, call, extract, check, and repair in bounded rounds.
public struct Generator: Sendable {
    /// The client for the endpoint.
    public let client: LLMClient
    /// The prompt builder.
    public let builder: PromptBuilder
    /// The reply cache, when enabled.
    public let cache: GenerationCache?
    /// Schemas for checking (lookups included).
    public let schemas: SchemaProvider
    /// The clock for the provenance header.
    public let clock: @Sendable () -> Date

    /// Creates a generator.
    public init(
        client: LLMClient, builder: PromptBuilder, cache: GenerationCache?, schemas: SchemaProvider,
        clock: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.client = client
        self.builder = builder
        self.cache = cache
        self.schemas = schemas
        self.clock = clock
    }

    /// Generates a mapping for `prose` from `source` to `destination`.
    public func generate(
        prose: ProseDocument, source: Schema, destination: Schema, options: GenerationOptions = GenerationOptions()
    ) throws(MapGenError) -> GenerationOutcome {
        let header = "mapping \(source.qualifiedName) -> \(destination.qualifiedName)"
        let lookupObjects = Generator.lookupObjects(source: source, destination: destination, schemas: schemas).map(\.qualifiedName)
        var messages = builder.initialMessages(prose: prose, source: source, destination: destination, lookupObjects: lookupObjects)
        let promptHash = SHA256.hex(messages.map { "\($0.role.rawValue)\n\($0.content)" }.joined(separator: "\n\u{0}\n"))
        let callsBefore = client.completions
        var cached = 0
        var round = 0
        var removed = 0
        var fenced = 0
        while true {
            let request = ChatRequest(
                messages: messages, temperature: options.temperature, maxTokens: options.maxTokens, grammar: options.grammar)
            let reply: String
            let key = GenerationCache.key(request, config: client.config)
            if options.useCache, let cache, let hit = cache.reply(for: key) {
                reply = hit
                cached += 1
            } else {
                reply = try client.complete(request)
                if options.useCache, let cache { try cache.store(reply, for: key, config: client.config) }
            }
            let sanitized = ModelComments.sanitize(ReplyExtractor.extract(reply, header: header))
            let candidate = sanitized.text
            removed += sanitized.removed
            fenced += sanitized.fenced
            var result = Checker.check(SourceText(path: "reply", text: candidate), schemas: schemas)
            result.diagnostics += Generator.headerDiagnostics(result.file, source: source, destination: destination)
            let calls = client.completions - callsBefore
            if !result.diagnostics.hasErrors {
                let provenance = Provenance(
                    generator: "\(client.config.provider.rawValue)/\(client.config.model)", promptHash: promptHash, rounds: round,
                    generatedAt: clock())
                let final = MappingFinisher.finish(result.file, provenance: provenance)
                return GenerationOutcome(
                    mapping: final, lastCandidate: candidate, diagnostics: result.diagnostics, calls: calls, cachedReplies: cached,
                    rounds: round, trace: TraceReport.build(result.file, sentenceCount: prose.sentences.count), promptHash: promptHash,
                    removedComments: removed, fencedComments: fenced)
            }
            if round >= options.rounds {
                return GenerationOutcome(
                    mapping: nil, lastCandidate: candidate, diagnostics: result.diagnostics, calls: calls, cachedReplies: cached,
                    rounds: round, trace: TraceReport.build(result.file, sentenceCount: prose.sentences.count), promptHash: promptHash,
                    removedComments: removed, fencedComments: fenced)
            }
            round += 1
            // The repair turn carries the diagnostics and a bounded excerpt of the answer, never a
            // runaway reply whole.
            let rendered = RepairExcerpt.diagnostics(result.diagnostics, in: candidate)
            messages.append(ChatMessage(.assistant, RepairExcerpt.excerpt(candidate, diagnostics: result.diagnostics)))
            messages.append(
                builder.repairMessage(
                    diagnostics: rendered, errorCount: result.diagnostics.filter { $0.severity == .error }.count, source: source,
                    destination: destination, round: round))
        }
    }

    /// Objects `lookup(...)` may name: the readable objects of the destination's and the source's
    /// platforms (write-only ones, such as Segment's and GA4's, cannot be read during a sync).
    public static func lookupObjects(source: Schema, destination: Schema, schemas: SchemaProvider) -> [Schema] {
        let platforms = [destination.platform, source.platform]
        return schemas.knownObjects().compactMap { name -> Schema? in
            let p = name.split(separator: ".", maxSplits: 1).map(String.init)
            guard p.count == 2, platforms.contains(p[0]), let s = try? schemas.schema(platform: p[0], object: p[1]), s.readable
            else { return nil }
            return s
        }
    }

    /// An error when the candidate maps other objects than the ones asked for.
    static func headerDiagnostics(_ file: MappingFile, source: Schema, destination: Schema) -> [Diagnostic] {
        guard let h = file.header else { return [] }
        if h.source.qualifiedName.lowercased() == source.qualifiedName.lowercased()
            && h.destination.qualifiedName.lowercased() == destination.qualifiedName.lowercased()
        {
            return []
        }
        return [
            Diagnostic(
                .unknownObject, "the mapping must be `mapping \(source.qualifiedName) -> \(destination.qualifiedName)`", at: h.span,
                help: "keep the header exactly as given")
        ]
    }
}

/// Turns a clean parsed mapping into the file mapc writes: canonical format, provenance on top.
public enum MappingFinisher {
    /// The formatted mapping with `provenance` replacing any provenance comments already present.
    public static func finish(_ file: MappingFile, provenance: Provenance) -> String {
        var f = file
        if var h = f.header {
            h.trivia.leading.removeAll { Provenance.isProvenance($0.text) }
            f.header = h
        }
        return provenance.lines + Formatter.format(f)
    }
}
