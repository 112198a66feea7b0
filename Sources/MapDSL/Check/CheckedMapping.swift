/// What the checker learned about a mapping: its schemas and its diagnostics.
public struct CheckResult: Sendable {
    /// The parsed file.
    public var file: MappingFile
    /// The source object's schema, when it could be found.
    public var source: Schema?
    /// The destination object's schema, when it could be found.
    public var destination: Schema?
    /// Schemas of objects used in lookups, by qualified name.
    public var lookupSchemas: [String: Schema]
    /// All diagnostics: syntax and semantic, sorted for display.
    public var diagnostics: [Diagnostic]

    /// Whether the mapping has no errors (warnings allowed) and can be compiled.
    public var isValid: Bool { !diagnostics.hasErrors && source != nil && destination != nil }
}
