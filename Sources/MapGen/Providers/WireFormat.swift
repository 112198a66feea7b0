import MapDSL

/// Request bodies and reply parsing for each ``ProviderKind``: pure functions, no I/O.
public enum WireFormat {
    /// The anthropic-version header value sent with every Anthropic request.
    public static let anthropicVersion = "2023-06-01"

    /// The HTTP request for `request` against `config`.
    public static func encode(_ request: ChatRequest, config: EndpointConfig) -> HTTPRequest {
        let messages = config.foldSystem ? ChatMessage.foldingSystem(request.messages) : request.messages
        var headers: [(String, String)] = [("Content-Type", "application/json"), ("Accept", "application/json")]
        var body: [(String, JSONValue)] = [("model", .string(config.model))]
        func wire(_ ms: [ChatMessage]) -> JSONValue {
            .array(ms.map { .object([("role", .string($0.role.rawValue)), ("content", .string($0.content))]) })
        }
        switch config.provider {
        case .openai:
            if let key = config.apiKey {
                // Azure OpenAI deployments take the key as `api-key`; everyone else as a bearer token.
                headers.append(config.isAzure ? ("api-key", key.headerValue()) : ("Authorization", key.bearer()))
            }
            body.append(("messages", wire(messages)))
            body.append(("temperature", .double(request.temperature)))
            body.append(("max_tokens", .int(request.maxTokens)))
            if let g = request.grammar {
                // llama.cpp server reads `grammar`; vLLM reads `structured_outputs.grammar`.
                body.append(("grammar", .string(g)))
                body.append(("structured_outputs", .object([("grammar", .string(g))])))
            }
        case .anthropic:
            if let key = config.apiKey { headers.append(("x-api-key", key.headerValue())) }
            headers.append(("anthropic-version", anthropicVersion))
            let system = messages.filter { $0.role == .system }.map(\.content).joined(separator: "\n\n")
            body.append(("max_tokens", .int(request.maxTokens)))
            if !system.isEmpty { body.append(("system", .string(system))) }
            body.append(("messages", wire(messages.filter { $0.role != .system })))
            body.append(("temperature", .double(request.temperature)))
        case .ollama:
            if let key = config.apiKey { headers.append(("Authorization", key.bearer())) }
            body.append(("messages", wire(messages)))
            body.append(("stream", false))
            body.append(
                ("options", .object([("temperature", .double(request.temperature)), ("num_predict", .int(request.maxTokens))])))
        }
        return HTTPRequest(
            method: "POST", url: config.endpointURL, headers: headers, body: Array(JSONWriter.compact(.object(body)).utf8))
    }

    /// The reply text in a successful (2xx) response body.
    public static func decodeReply(_ body: [UInt8], provider: ProviderKind) throws(MapGenError) -> String {
        let json: JSONValue
        do {
            json = try JSONParser.parse(body)
        } catch {
            throw MapGenError(.reply, "the endpoint's reply is not valid JSON (\(error.description))")
        }
        switch provider {
        case .openai:
            guard let choices = json["choices"]?.arrayValue else {
                throw MapGenError(.reply, "the reply has no `choices` array" + errorSuffix(json))
            }
            guard let first = choices.first else { throw MapGenError(.reply, "the reply's `choices` list is empty") }
            if let text = first["message"]?["content"]?.stringValue { return text }
            if let text = first["text"]?.stringValue { return text }
            throw MapGenError(.reply, "the first choice has no `message.content` text")
        case .anthropic:
            guard let content = json["content"]?.arrayValue else {
                throw MapGenError(.reply, "the reply has no `content` list" + errorSuffix(json))
            }
            let texts = content.filter { $0["type"]?.stringValue == "text" }.compactMap { $0["text"]?.stringValue }
            guard !texts.isEmpty else { throw MapGenError(.reply, "the reply's `content` holds no text block") }
            return texts.joined()
        case .ollama:
            if let text = json["message"]?["content"]?.stringValue { return text }
            throw MapGenError(.reply, "the reply has no `message.content` text" + errorSuffix(json))
        }
    }

    /// Tokens a successful reply says it used (prompt plus completion), 0 when it does not say:
    /// OpenAI `usage.total_tokens`, Anthropic `usage.input_tokens + output_tokens`, Ollama
    /// `prompt_eval_count + eval_count`.
    public static func usage(_ body: [UInt8], provider: ProviderKind) -> Int {
        guard let json = try? JSONParser.parse(body) else { return 0 }
        func int(_ v: JSONValue?) -> Int {
            guard let v else { return 0 }
            if case .int(let i) = v { return max(0, i) }
            if case .double(let d) = v, d.isFinite, d >= 0, d < 1e12 { return Int(d) }
            return 0
        }
        switch provider {
        case .openai:
            let u = json["usage"]
            let total = int(u?["total_tokens"])
            return total > 0 ? total : int(u?["prompt_tokens"]) + int(u?["completion_tokens"])
        case .anthropic: return int(json["usage"]?["input_tokens"]) + int(json["usage"]?["output_tokens"])
        case .ollama: return int(json["prompt_eval_count"]) + int(json["eval_count"])
        }
    }

    /// A short explanation from an error response body (`error.message`, `error`, or `message`).
    public static func errorMessage(_ body: [UInt8]) -> String? {
        guard let json = try? JSONParser.parse(body) else {
            let text = String(decoding: body.prefix(200), as: UTF8.self).trimmingWhitespace
            return text.isEmpty ? nil : text
        }
        if let m = json["error"]?["message"]?.stringValue { return m }
        if let m = json["error"]?.stringValue { return m }
        if let m = json["message"]?.stringValue { return m }
        return nil
    }

    private static func errorSuffix(_ json: JSONValue) -> String {
        if let m = json["error"]?["message"]?.stringValue ?? json["error"]?.stringValue { return ": \(m)" }
        return ""
    }
}
