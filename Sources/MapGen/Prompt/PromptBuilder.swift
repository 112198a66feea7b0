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

    /// Creates a builder.
    public init(templates: PromptTemplates, manual: String, pruner: SchemaPruner = SchemaPruner()) {
        self.templates = templates
        self.manual = manual
        self.pruner = pruner
    }

    /// The opening messages for `prose` from `source` to `destination`.
    public func initialMessages(prose: ProseDocument, source: Schema, destination: Schema, lookupObjects: [String]) -> [ChatMessage] {
        let pruned = pruner.prune(source: source, destination: destination, prose: prose.body)
        var sourceText = SchemaDigest.render(pruned.source, role: .source)
        if pruned.droppedSource > 0 { sourceText += "\n(\(pruned.droppedSource) more fields not shown)" }
        var destText = SchemaDigest.render(pruned.destination, role: .destination)
        if pruned.droppedDestination > 0 { destText += "\n(\(pruned.droppedDestination) more writable fields not shown)" }
        let keys = destination.fields.filter { $0.canBeKey && !$0.readOnly }.map(\.name)
        let required = destination.fields.filter { $0.required && !$0.readOnly }.map(\.name)
        let examples = templates.examples.map { ex in
            "### Example: \(ex.name)\n\nDescription:\n\n" + ex.prose.trimmingWhitespace + "\n\nMapping:\n\n```\n"
                + ex.mapping.trimmingWhitespace + "\n```"
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
        ]
        return [
            ChatMessage(.system, PromptTemplates.fill(templates.system, ["manual": manual])),
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
                    "header": source.flatMap { s in destination.map { "mapping \(s.qualifiedName) -> \($0.qualifiedName)" } } ?? "",
                ]))
    }
}
