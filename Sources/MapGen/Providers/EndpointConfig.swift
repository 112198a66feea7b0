/// The chat API dialects mapc speaks.
public enum ProviderKind: String, Sendable, Hashable, CaseIterable {
    /// OpenAI-compatible `/v1/chat/completions` (OpenAI, vLLM, llama.cpp server, LM Studio, Ollama's /v1).
    case openai
    /// Anthropic Messages, `/v1/messages`.
    case anthropic
    /// Ollama's native `/api/chat`.
    case ollama

    /// The model used when none is configured.
    public var defaultModel: String {
        switch self {
        case .openai: "gpt-4o-mini"
        case .anthropic: "claude-3-5-haiku-latest"
        case .ollama: "llama3.1"
        }
    }
}

/// Where and how to call an LLM: resolved from flags and environment variables.
public struct EndpointConfig: Sendable, Hashable {
    /// The dialect.
    public var provider: ProviderKind
    /// The base URL as configured (`http://127.0.0.1:8080`, `https://api.openai.com/v1`, ...).
    public var baseURL: String
    /// The model name.
    public var model: String
    /// The API key, when one is configured; never printed.
    public var apiKey: APIKey?
    /// Seconds to wait for one reply.
    public var timeout: Double
    /// Retries after 429 and 5xx answers.
    public var maxRetries: Int
    /// Whether to fold the system message into the first user turn.
    public var foldSystem: Bool
    /// Largest response body read, in bytes; a bigger reply is an error, not a mapping.
    public var maxReplyBytes: Int = EndpointConfig.defaultMaxReplyBytes

    /// 512 KB: a mapping is a few KB; the rest of a bigger reply is a model looping or a hostile endpoint.
    public static let defaultMaxReplyBytes = 512 * 1024

    /// Creates a configuration.
    public init(
        provider: ProviderKind, baseURL: String, model: String? = nil, apiKey: APIKey? = nil, timeout: Double = 120,
        maxRetries: Int = 3, foldSystem: Bool = false
    ) {
        self.provider = provider
        self.baseURL = baseURL
        self.model = model ?? provider.defaultModel
        self.apiKey = apiKey
        self.timeout = timeout
        self.maxRetries = maxRetries
        self.foldSystem = foldSystem
    }

    /// The URL requests go to: the base URL with the provider's path added unless already present.
    ///
    /// A query (Azure OpenAI's `?api-version=2024-02-01`) stays at the end, after the path.
    public var endpointURL: String {
        var base = baseURL
        var query = ""
        if let q = base.firstIndex(where: { $0 == "?" || $0 == "#" }) {
            query = String(base[q...])
            base = String(base[..<q])
        }
        while base.hasSuffix("/") { base.removeLast() }
        let path: String
        switch provider {
        case .openai:
            if base.hasSuffix("/chat/completions") {
                path = ""
            } else {
                path = base.hasSuffix("/v1") || base.contains("/openai/deployments/") ? "/chat/completions" : "/v1/chat/completions"
            }
        case .anthropic:
            path = base.hasSuffix("/messages") ? "" : base.hasSuffix("/v1") ? "/messages" : "/v1/messages"
        case .ollama:
            path = base.hasSuffix("/api/chat") ? "" : "/api/chat"
        }
        return base + path + query
    }

    /// Whether the endpoint is an Azure OpenAI deployment, which takes the key in an `api-key` header.
    public var isAzure: Bool {
        let u = baseURL.lowercased()
        return u.contains(".openai.azure.com") || u.contains("/openai/deployments/")
    }

    /// The endpoint without credentials or query, for cache keys and messages.
    public var displayURL: String {
        var u = endpointURL
        if let q = u.firstIndex(of: "?") { u = String(u[..<q]) }
        if let scheme = u.range(of: "://"), let at = u[scheme.upperBound...].firstIndex(of: "@") {
            u = String(u[..<scheme.upperBound]) + String(u[u.index(after: at)...])
        }
        return u
    }

    /// Resolves the endpoint from flags (`provider`, `url`, `model`) and the environment.
    ///
    /// Order: flags, then `MAPC_LLM_URL` / `MAPC_LLM_MODEL` / `MAPC_LLM_API_KEY` / `MAPC_LLM_PROVIDER`,
    /// then `OPENAI_BASE_URL` / `OPENAI_API_KEY` and `ANTHROPIC_API_KEY`. Returns nil when nothing
    /// names an endpoint (the caller then uses the offline generator).
    public static func resolve(
        provider: String?, url: String?, model: String?, environment env: [String: String], timeout: Double = 120,
        maxRetries: Int = 3, foldSystem: Bool = false
    ) throws(MapGenError) -> EndpointConfig? {
        func value(_ key: String) -> String? {
            guard let v = env[key]?.trimmingWhitespace, !v.isEmpty else { return nil }
            return v
        }
        var kind: ProviderKind?
        if let p = provider ?? value("MAPC_LLM_PROVIDER") {
            guard let k = ProviderKind(rawValue: p.lowercased()) else {
                throw MapGenError(
                    .configuration,
                    "unknown provider '\(p)'; use one of: \(ProviderKind.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            kind = k
        }
        var base = url ?? value("MAPC_LLM_URL")
        if base == nil {
            switch kind {
            case .anthropic?:
                base = "https://api.anthropic.com"
            case .ollama?:
                base = "http://127.0.0.1:11434"
            case .openai?:
                base = value("OPENAI_BASE_URL") ?? "https://api.openai.com/v1"
            case nil:
                if let b = value("OPENAI_BASE_URL") {
                    base = b
                    kind = .openai
                } else if value("OPENAI_API_KEY") != nil {
                    base = "https://api.openai.com/v1"
                    kind = .openai
                } else if value("ANTHROPIC_API_KEY") != nil {
                    base = "https://api.anthropic.com"
                    kind = .anthropic
                }
            }
        }
        guard let base else { return nil }
        guard base.hasPrefix("http://") || base.hasPrefix("https://") else {
            throw MapGenError(.configuration, "the LLM URL must start with http:// or https://")
        }
        let resolvedKind = kind ?? inferProvider(base)
        var key = value("MAPC_LLM_API_KEY")
        if key == nil {
            switch resolvedKind {
            case .openai: key = value("OPENAI_API_KEY")
            case .anthropic: key = value("ANTHROPIC_API_KEY")
            case .ollama: key = nil
            }
        }
        return EndpointConfig(
            provider: resolvedKind, baseURL: base, model: model ?? value("MAPC_LLM_MODEL"), apiKey: key.map(APIKey.init),
            timeout: timeout, maxRetries: maxRetries, foldSystem: foldSystem)
    }

    /// The dialect a bare URL most likely speaks.
    static func inferProvider(_ url: String) -> ProviderKind {
        let u = url.lowercased()
        if u.contains("anthropic") || u.hasSuffix("/v1/messages") { return .anthropic }
        if u.hasSuffix("/api/chat") || (u.contains(":11434") && !u.contains("/v1")) { return .ollama }
        return .openai
    }
}

extension String {
    var trimmingWhitespace: String {
        var s = Substring(self)
        while let f = s.first, f.isWhitespace { s = s.dropFirst() }
        while let l = s.last, l.isWhitespace { s = s.dropLast() }
        return String(s)
    }
}
