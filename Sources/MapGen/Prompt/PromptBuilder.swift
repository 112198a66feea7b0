import MapDSL

/// Assembles the conversation: the system manual, the task (schemas, examples, numbered prose) and
/// repair turns.
public struct PromptBuilder: Sendable {
    /// The templates.
    public var templates: PromptTemplates
    /// The manual text (see ``Manual``).
    public var manual: String
    /// The schema pruner for big schemas.
    public var pruner: SchemaPruner
    /// Whether replies are constrained by the GBNF grammar (`mapc gen --grammar`): the grammar
    /// starts at the header and has no code fence, so the prompt must not ask for one.
    public var constrained = false

    /// How the answer is asked for without a grammar.
    static let fencedAnswer = "Answer with the whole mapping in one ```mapc code fence and nothing else of substance."
    /// How the answer is asked for under the grammar: exactly what the grammar admits.
    static let constrainedAnswer =
        "Answer with the mapping text alone: no code fence, no prose and no comment lines before it; the first characters are the `mapping` header."

    /// Creates a builder.
    public init(templates: PromptTemplates, manual: String, pruner: SchemaPruner = SchemaPruner()) {
        self.templates = templates
        self.manual = manual
        self.pruner = pruner
    }

    /// The sentence that asks for the answer's form, matching the grammar in use.
    public var answerFormat: String { constrained ? Self.constrainedAnswer : Self.fencedAnswer }

    /// The opening messages for `prose` from `source` to `destination`.
    public func initialMessages(prose: ProseDocument, source: Schema, destination: Schema, lookupObjects: [String]) -> [ChatMessage] {
        let pruned = pruner.prune(source: source, destination: destination, prose: prose.body)
        var sourceText = SchemaDigest.render(pruned.source, role: .source, prose: prose.body)
        if pruned.droppedSource > 0 { sourceText += "\n(\(pruned.droppedSource) more fields not shown)" }
        var destText = SchemaDigest.render(pruned.destination, role: .destination, prose: prose.body)
        if pruned.droppedDestination > 0 { destText += "\n(\(pruned.droppedDestination) more writable fields not shown)" }
        let keys = destination.fields.filter { $0.canBeKey && !$0.readOnly }.map(\.name)
        let required = destination.fields.filter { $0.required && !$0.readOnly }.map(\.name)
        let examples = templates.examples.map { ex in
            let mapping = ex.mapping.trimmingWhitespace
            return "### Example: \(ex.name)\n\nDescription:\n\n" + ex.prose.trimmingWhitespace + "\n\nMapping:\n\n"
                + (constrained ? mapping + "\n\n(end of the mapping)" : "```\n" + mapping + "\n```")
        }.joined(separator: "\n\n")
        let values: [String: String] = [
            "source": source.qualifiedName,
            "destination": destination.qualifiedName,
            "header": "mapping \(source.qualifiedName) -> \(destination.qualifiedName)",
            "source_schema": sourceText,
            "destination_schema": destText,
            "key_fields": keys.isEmpty ? "(none: declare no key)" : keys.joined(separator: ", "),
            "required_fields": required.isEmpty ? "(none)" : required.joined(separator: ", "),
            "lookup_objects": lookupObjects.isEmpty ? "(none)" : lookupObjects.joined(separator: ", "),
            "examples": examples.isEmpty ? "(no examples)" : examples,
            "sentences": prose.numberedSentences,
            "source_platform": source.platform,
            "source_notes": templates.notes(for: source.platform) ?? "(no notes)",
            "answer_format": answerFormat,
        ]
        return [
            ChatMessage(.system, PromptTemplates.fill(templates.system, ["manual": manual, "answer_format": answerFormat])),
            ChatMessage(.user, PromptTemplates.fill(templates.task, values)),
        ]
    }

    /// The repair turn: the diagnostics of the previous answer, rendered as the checker prints them.
    public func repairMessage(diagnostics: String, errorCount: Int, source: Schema?, destination: Schema?, round: Int) -> ChatMessage {
        ChatMessage(
            .user,
            PromptTemplates.fill(
                templates.repair,
                [
                    "diagnostics": diagnostics.trimmingWhitespace,
                    "error_count": String(errorCount),
                    "round": String(round),
                    "answer_format": answerFormat,
                    "header": source.flatMap { s in destination.map { "mapping \(s.qualifiedName) -> \($0.qualifiedName)" } } ?? "",
                ]))
    }
}
