import MapDSL

/// Reads "look up the Salesforce Account whose Name equals the trimmed company and put its Id in
/// Account__c" and "merge_fields.COMPANY is the Name of the account found by looking up the Account
/// whose Id is AccountId" into `lookup(platform.Object, Field == value)?.Member`, for readable objects.
struct LookupReader {
    let source: Schema
    let destination: Schema
    let schemas: SchemaProvider

    func read(_ t: [ProseToken]) -> SentenceOutcome.Assignment? {
        let objects = Generator.lookupObjects(source: source, destination: destination, schemas: schemas)
        guard let whose = t.firstIndex(where: { $0.isWord("whose") }), whose + 1 < t.count else { return nil }
        // The object: the last object name before "whose".
        var target: Schema?
        for tok in t[..<whose].reversed() {
            if let o = objects.first(where: { $0.object.lowercased() == tok.lower && $0.qualifiedName != destination.qualifiedName }) {
                target = o
                break
            }
        }
        guard let target, let condition = target.field(t[whose + 1].text) else { return nil }
        // The value compared with: the first source field after the condition field.
        guard
            let srcIndex = t[(whose + 2)...].firstIndex(where: {
                $0.source != nil && $0.source?.name != condition.name || $0.source != nil && $0.text != condition.name
            }),
            let src = t[srcIndex].source
        else { return nil }
        var value = OfflineExpr.field(src)
        let around = t[max(whose + 1, srcIndex - 3)..<srcIndex].map(\.lower)
        if src.type == .string && (around.contains("trimmed") || t[srcIndex...].prefix(2).contains { $0.isWord("trimmed") }) {
            value = "trim(\(value))"
        }
        guard ValueType.unify(condition.valueType, src.valueType) != nil else { return nil }
        // The destination: a field named anywhere that the target does not also have (or a custom field).
        // The destination: a field written exactly as the schema spells it, that the target does not also have.
        guard
            let dest = t.filter({ $0.destination != nil && $0.text == $0.destination?.name }).compactMap(\.destination).first(where: {
                target.field($0.name) == nil || $0.name.contains("__") || $0.name.contains(".")
            })
        else { return nil }
        // The member: a target field named other than the condition, else Id.
        let member =
            t.enumerated().first { i, tok in
                i != whose + 1 && tok.destination?.name != dest.name && target.field(tok.text) != nil && tok.text != condition.name
                    && tok.kind == .word && tok.text.first?.isUppercase == true
            }
            .flatMap { target.field($0.element.text) } ?? target.field("Id")
        guard let member, OfflineExpr.convertible(member.type.baseType, dest) else { return nil }
        let text =
            "lookup(\(MappingGrammar.objectName(target)), \(MappingGrammar.fieldName(condition.name)) == \(value))?.\(MappingGrammar.fieldName(member.name))"
        return .init(field: dest, value: ReadValue(text: text, kind: .lookup), confidence: 0.85, note: "lookup from prose")
    }
}
