import MapDSL

/// Cuts big schemas down to what a prompt needs: fields the prose mentions, required and key
/// destination fields, then the fields most similar (by name and type) to those, under a size cap.
public struct SchemaPruner: Sendable {
    /// Most fields kept per schema.
    public var maxFields: Int
    /// Most characters of rendered schema text kept per schema.
    public var maxCharacters: Int

    /// Creates a pruner.
    public init(maxFields: Int = 80, maxCharacters: Int = 12_000) {
        self.maxFields = maxFields
        self.maxCharacters = maxCharacters
    }

    /// What was kept.
    public struct Result: Sendable {
        /// The source schema with only the kept fields.
        public var source: Schema
        /// The destination schema with only the kept, writable fields.
        public var destination: Schema
        /// Fields left out of the source schema.
        public var droppedSource: Int
        /// Writable fields left out of the destination schema.
        public var droppedDestination: Int
    }

    /// Prunes both schemas for `prose`.
    public func prune(source: Schema, destination: Schema, prose: String) -> Result {
        let mentioned = SchemaPruner.mentions(in: prose)
        let writable = destination.fields.filter { !$0.readOnly }

        func isMentioned(_ f: Field) -> Bool {
            mentioned.names.contains(f.name.lowercased()) || f.label.map { mentioned.contains(phrase: $0) } ?? false
        }

        // Destination: mentioned, required, key candidates, then similarity to mentioned source fields.
        var destOrder: [Field] = writable.filter(isMentioned)
        destOrder += writable.filter { $0.required || $0.canBeKey }
        let mentionedSource = source.fields.filter(isMentioned)
        let anchorSource = mentionedSource.isEmpty ? source.fields : mentionedSource
        destOrder += writable.sorted { best($0, against: anchorSource) > best($1, against: anchorSource) }
        let keptDest = fit(unique(destOrder), role: .destination)

        // Source: mentioned, then the best candidates for each kept destination field, then the rest by similarity.
        var sourceOrder = mentionedSource
        for d in keptDest {
            sourceOrder += source.fields.filter { Vocabulary.score($0, d) >= 0.4 }.sorted {
                Vocabulary.score($0, d) > Vocabulary.score($1, d)
            }
            .prefix(2)
        }
        sourceOrder += source.fields.sorted { bestSource($0, against: keptDest) > bestSource($1, against: keptDest) }
        let keptSource = fit(unique(sourceOrder), role: .source)

        return Result(
            source: Schema(
                platform: source.platform, object: source.object, label: source.label, fields: inOriginalOrder(keptSource, source)),
            destination: Schema(
                platform: destination.platform, object: destination.object, label: destination.label,
                fields: inOriginalOrder(keptDest, destination)),
            droppedSource: source.fields.count - keptSource.count, droppedDestination: writable.count - keptDest.count)
    }

    private func best(_ d: Field, against sources: [Field]) -> Double {
        sources.map { Vocabulary.score($0, d) }.max() ?? 0
    }

    private func bestSource(_ s: Field, against dests: [Field]) -> Double {
        dests.map { Vocabulary.score(s, $0) }.max() ?? 0
    }

    private func unique(_ fields: [Field]) -> [Field] {
        var seen = Set<String>()
        return fields.filter { seen.insert($0.name).inserted }
    }

    private func fit(_ ordered: [Field], role: SchemaDigest.Role) -> [Field] {
        var kept: [Field] = []
        var size = 0
        for f in ordered {
            let line = SchemaDigest.line(f, role: role).count + 1
            if kept.count >= maxFields || size + line > maxCharacters { break }
            kept.append(f)
            size += line
        }
        return kept
    }

    private func inOriginalOrder(_ kept: [Field], _ schema: Schema) -> [Field] {
        kept.sorted { (schema.fieldIndex($0.name) ?? 0) < (schema.fieldIndex($1.name) ?? 0) }
    }

    /// Words and dotted names in `prose`, lower-cased, and the prose itself for label phrases.
    struct Mentions {
        var names: Set<String>
        var lowered: String

        func contains(phrase: String) -> Bool {
            let p = phrase.lowercased()
            guard p.count >= 4, let r = lowered.range(of: p) else { return false }
            let before = r.lowerBound == lowered.startIndex ? " " : lowered[lowered.index(before: r.lowerBound)]
            let after = r.upperBound == lowered.endIndex ? " " : lowered[r.upperBound]
            return !before.isLetter && !after.isLetter
        }
    }

    static func mentions(in prose: String) -> Mentions {
        Mentions(names: Set(ProseTokens.words(prose).map { $0.text.lowercased() }), lowered: prose.lowercased())
    }
}

/// Splits prose into name-like words (letters, digits, `_`, inner `.`) with their positions.
enum ProseTokens {
    struct Word: Hashable {
        var text: String
        var index: Int
    }

    static func words(_ text: String) -> [Word] {
        var out: [Word] = []
        var current = ""
        func flush() {
            while current.hasSuffix(".") { current.removeLast() }
            if !current.isEmpty { out.append(Word(text: current, index: out.count)) }
            current = ""
        }
        for c in text {
            if c.isLetter || c.isNumber || c == "_" || (c == "." && !current.isEmpty) {
                current.append(c)
            } else {
                flush()
            }
        }
        flush()
        return out
    }
}
