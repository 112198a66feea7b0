/// One message of a chat conversation sent to an LLM.
public struct ChatMessage: Sendable, Hashable {
    /// Who speaks.
    public enum Role: String, Sendable, Hashable {
        case system, user, assistant
    }

    /// The speaker.
    public var role: Role
    /// The text.
    public var content: String

    /// Creates a message.
    public init(_ role: Role, _ content: String) {
        self.role = role
        self.content = content
    }

    /// `messages` with the system messages folded into the first user turn, for chat templates that
    /// silently drop system messages.
    public static func foldingSystem(_ messages: [ChatMessage]) -> [ChatMessage] {
        let system = messages.filter { $0.role == .system }.map(\.content)
        guard !system.isEmpty else { return messages }
        var rest = messages.filter { $0.role != .system }
        let preamble = system.joined(separator: "\n\n")
        if let i = rest.firstIndex(where: { $0.role == .user }) {
            rest[i].content = preamble + "\n\n---\n\n" + rest[i].content
        } else {
            rest.insert(ChatMessage(.user, preamble), at: 0)
        }
        return rest
    }
}

/// What to ask the model: the conversation and the sampling parameters.
public struct ChatRequest: Sendable, Hashable {
    /// The conversation so far.
    public var messages: [ChatMessage]
    /// Sampling temperature (0 for reproducible answers).
    public var temperature: Double
    /// Upper bound on the reply's length in tokens.
    public var maxTokens: Int
    /// A GBNF grammar constraining the reply, sent where the server supports it.
    public var grammar: String?

    /// Creates a request.
    public init(messages: [ChatMessage], temperature: Double = 0, maxTokens: Int = 4096, grammar: String? = nil) {
        self.messages = messages
        self.temperature = temperature
        self.maxTokens = maxTokens
        self.grammar = grammar
    }
}
