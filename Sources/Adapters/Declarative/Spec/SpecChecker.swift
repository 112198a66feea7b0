import Foundation
import MapDSL

/// The outcome of checking one spec file.
public struct SpecCheckResult: Sendable {
    /// Every problem found, in file order.
    public var diagnostics: [SpecDiagnostic]
    /// The spec, when the file has no errors.
    public var spec: AdapterSpec?
    /// The file's text (for rendering).
    public var source: SourceText

    /// Whether any diagnostic is an error.
    public var hasErrors: Bool { diagnostics.contains { $0.severity == .error } }

    /// The diagnostics rendered like `mapc check`'s.
    public func rendered(colour: Bool = false) -> String {
        SpecDiagnosticRenderer.render(diagnostics, in: source, colour: colour)
    }
}

/// Checks an adapter spec in one pass, collecting every problem: the grammar (``SpecGrammar``:
/// members, types, allowed values, with did-you-mean), then meaning (template names, endpoint paths,
/// schema files and the fields they name, result styles against write shapes, rate-limit entries).
public struct SpecChecker {
    /// The project root that `schema` paths and `ratelimits/` are relative to; nil skips file checks.
    public var root: String?

    private var diagnostics: [SpecDiagnostic] = []

    /// Creates a checker.
    public init(root: String?) {
        self.root = root
    }

    /// Reads and checks the spec at `path` (shown in diagnostics as `display`).
    public static func check(path: String, display: String? = nil, root: String?) throws(SpecLoadError) -> SpecCheckResult {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw SpecLoadError(message: "cannot read the adapter spec \(path)")
        }
        guard data.count <= SpecNodeParser.maxBytes else {
            throw SpecLoadError(message: "the adapter spec \(path) is \(data.count) bytes; at most \(SpecNodeParser.maxBytes) are read")
        }
        return SpecChecker(root: root).check(source: SourceText(path: display ?? path, bytes: Array(data)))
    }

    /// Checks the spec text in `source`.
    public func check(source: SourceText) -> SpecCheckResult {
        var checker = self
        checker.diagnostics = []
        let node: SpecNode
        do {
            node = try SpecNodeParser.parse(source.bytes)
        } catch {
            let d = SpecDiagnostic(.syntax, error.message, at: .point(error.offset), help: "the spec must be one JSON object (RFC 8259)")
            return SpecCheckResult(diagnostics: [d], spec: nil, source: source)
        }
        checker.walk(node, .object(SpecGrammar.root), at: "spec")
        var schemas: [Int: Schema] = [:]
        if case .object = node.kind {
            schemas = checker.meaning(node)
        }
        let sorted = checker.diagnostics.sorted { ($0.span.start, $0.code.rawValue) < ($1.span.start, $1.code.rawValue) }
        let spec = sorted.contains { $0.severity == .error } ? nil : SpecBuilder.build(node, schemas: schemas)
        return SpecCheckResult(diagnostics: sorted, spec: spec, source: source)
    }

    private mutating func report(_ d: SpecDiagnostic) { diagnostics.append(d) }

    // MARK: - Grammar

    private mutating func walk(_ node: SpecNode, _ type: SpecType, at context: String) {
        switch type {
        case .any:
            return
        case .string:
            if node.string == nil { wrongType(node, "a string", context) }
        case .integer:
            if node.int == nil { wrongType(node, "an integer", context) }
        case .boolean:
            if node.bool == nil { wrongType(node, "true or false", context) }
        case .oneOf(let allowed):
            guard let text = node.string else { return wrongType(node, "a string", context) }
            if !allowed.contains(text) { notAllowed(node, text, allowed, context) }
        case .array(let element):
            guard case .array(let items) = node.kind else { return wrongType(node, "an array", context) }
            for (i, item) in items.enumerated() { walk(item, element, at: "\(context)[\(i)]") }
        case .map(let value):
            guard case .object(let members) = node.kind else { return wrongType(node, "an object", context) }
            duplicates(members, context)
            for m in members { walk(m.value, value, at: "\(context).\(m.key)") }
        case .object(let shape):
            guard case .object(let members) = node.kind else { return wrongType(node, "an object", context) }
            object(node, members, shape, context)
        }
    }

    private mutating func object(_ node: SpecNode, _ members: [SpecMember], _ shape: SpecShape, _ context: String) {
        duplicates(members, context)
        var allowed = shape.fields.map(\.name)
        var required = shape.fields.filter(\.required).map(\.name)
        var variantName: String?
        if !shape.variants.isEmpty, let tag = node["type"]?.string, let variant = shape.variant(tag) {
            allowed = ["type"] + variant.required + variant.optional
            required = ["type"] + variant.required
            variantName = tag
        }
        for m in members {
            guard let field = shape.field(m.key), allowed.contains(m.key) else {
                let known = shape.field(m.key) != nil
                let suggestion = known ? nil : Suggest.closest(to: m.key, in: allowed)
                var help = "\(context) takes: " + allowed.joined(separator: ", ")
                if let suggestion { help = "did you mean '\(suggestion)'?" }
                let why = known && variantName != nil ? " (not used by type '\(variantName!)')" : ""
                report(
                    SpecDiagnostic(
                        .unknownMember, "unknown member '\(m.key)' in \(context)\(why)", at: m.keySpan, help: help,
                        fix: suggestion.map { "\"\($0)\"" }))
                continue
            }
            walk(m.value, field.type, at: "\(context).\(m.key)")
        }
        for name in required where !members.contains(where: { $0.key == name }) {
            let doc = shape.field(name)?.doc ?? ""
            report(
                SpecDiagnostic(
                    .missingMember, "\(context) needs '\(name)'", at: SourceSpan(node.span.start, node.span.start + 1),
                    help: "add \"\(name)\": \(doc)"))
        }
    }

    private mutating func duplicates(_ members: [SpecMember], _ context: String) {
        var seen: Set<String> = []
        for m in members where !seen.insert(m.key).inserted {
            report(SpecDiagnostic(.duplicateMember, "'\(m.key)' is given twice in \(context)", at: m.keySpan, help: "keep one"))
        }
    }

    private mutating func wrongType(_ node: SpecNode, _ wanted: String, _ context: String) {
        report(
            SpecDiagnostic(
                .wrongType, "\(context) must be \(wanted), not \(node.typeName == "integer" ? "a number" : "a \(node.typeName)")",
                at: node.span))
    }

    private mutating func notAllowed(_ node: SpecNode, _ text: String, _ allowed: [String], _ context: String) {
        let suggestion = Suggest.closest(to: text, in: allowed)
        report(
            SpecDiagnostic(
                .valueNotAllowed, "'\(text)' is not a valid \(context)", at: node.span,
                help: suggestion.map { "did you mean '\($0)'? (allowed: \(allowed.joined(separator: ", ")))" }
                    ?? "allowed: \(allowed.joined(separator: ", "))",
                fix: suggestion.map { "\"\($0)\"" }))
    }

    // MARK: - Meaning

    /// Checks what the grammar cannot; returns the loaded schema of each object by index.
    private mutating func meaning(_ root: SpecNode) -> [Int: Schema] {
        let parameters = root["parameters"]?.elements.compactMap(\.string) ?? []
        let platform = root["platform"]?.string
        if let node = root["platform"], let name = platform {
            let valid =
                !name.isEmpty && name.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "_" }
            if !valid {
                report(
                    SpecDiagnostic(
                        .valueNotAllowed, "platform '\(name)' must be lower-case letters, digits and '_'", at: node.span,
                        help: "it names schemas/<platform>/ and ratelimits/<platform>.json"))
            } else if let root = self.root, !FileManager.default.fileExists(atPath: "\(root)/ratelimits/\(name).json") {
                report(
                    SpecDiagnostic(
                        .noRateLimits, "no rate-limit registry entry ratelimits/\(name).json", at: node.span,
                        help: "add one (ratelimits/README.md) so syncs pace themselves and the emulator enforces the limits"))
            }
        }
        if let auth = root["auth"] {
            for key in ["user", "password", "clientId", "prefix", "scope"] {
                if let node = auth[key] { templates(node, allowed: parameters + ["credential"]) }
            }
            if let node = auth["tokenPath"] { endpoint(node, allowed: parameters) }
        }
        for m in root["headers"]?.members ?? [] { templates(m.value, allowed: parameters) }
        var schemas: [Int: Schema] = [:]
        var names: [String: SourceSpan] = [:]
        for (index, object) in (root["objects"]?.elements ?? []).enumerated() {
            if let nameNode = object["name"], let name = nameNode.string {
                if names[name] != nil {
                    report(
                        SpecDiagnostic(
                            .duplicateObject, "object '\(name)' is declared twice", at: nameNode.span, help: "merge the two entries"))
                }
                names[name] = nameNode.span
            }
            let schema = loadSchema(object, platform: platform)
            if let schema { schemas[index] = schema }
            if object["list"] == nil && object["write"] == nil, case .object = object.kind {
                report(
                    SpecDiagnostic(
                        .missingMember, "object '\(object["name"]?.string ?? "?")' has neither 'list' nor 'write'",
                        at: SourceSpan(object.span.start, object.span.start + 1),
                        help: "add \"list\" to read it, \"write\" to write it, or both"))
            }
            if let list = object["list"] {
                if let node = list["path"] { endpoint(node, allowed: parameters) }
                for m in list["query"]?.members ?? [] { templates(m.value, allowed: parameters) }
                if let node = list["modifiedSince"]?["value"] { templates(node, allowed: parameters + ["since"]) }
            }
            if let node = object["modifiedField"], let field = node.string, let schema {
                schemaField(node, field, schema)
            }
            if let write = object["write"] {
                if let node = write["path"] { endpoint(node, allowed: parameters + ["key"]) }
                fit(write)
            }
            if let find = object["find"] {
                if let node = find["path"] { endpoint(node, allowed: parameters + ["field", "value"]) }
                for m in find["query"]?.members ?? [] { templates(m.value, allowed: parameters + ["field", "value"]) }
                if let schema {
                    for node in find["fields"]?.elements ?? [] { if let f = node.string { schemaField(node, f, schema) } }
                }
            }
        }
        return schemas
    }

    private mutating func loadSchema(_ object: SpecNode, platform: String?) -> Schema? {
        guard let node = object["schema"], let relative = node.string, let root else { return nil }
        let path = relative.hasPrefix("/") ? relative : "\(root)/\(relative)"
        let schema: Schema
        do {
            schema = try SchemaLoader.load(path: path)
        } catch {
            report(
                SpecDiagnostic(
                    .schemaUnreadable,
                    "cannot load the schema \(relative): \(String(describing: error).replacingOccurrences(of: path + ": ", with: ""))",
                    at: node.span,
                    help:
                        "write it in mapc's schema format (docs/schemas.md), e.g. schemas/\(platform ?? "<platform>")/\(object["name"]?.string ?? "<object>").json"
                ))
            return nil
        }
        if let name = object["name"]?.string, schema.object != name || (platform != nil && schema.platform != platform) {
            report(
                SpecDiagnostic(
                    .schemaUnreadable,
                    "the schema \(relative) describes \(schema.platform).\(schema.object), not \(platform ?? "?").\(name)",
                    at: node.span, help: "point at the schema of this object"))
        }
        return schema
    }

    private mutating func schemaField(_ node: SpecNode, _ field: String, _ schema: Schema) {
        guard schema.field(field) == nil else { return }
        let names = schema.fields.map(\.name)
        let suggestion = Suggest.closest(to: field, in: names)
        report(
            SpecDiagnostic(
                .unknownSchemaField, "\(schema.platform).\(schema.object) has no field '\(field)'", at: node.span,
                help: suggestion.map { "did you mean '\($0)'?" } ?? "fields: " + names.prefix(12).joined(separator: ", "),
                fix: suggestion.map { "\"\($0)\"" }))
    }

    private mutating func endpoint(_ node: SpecNode, allowed: [String]) {
        guard let path = node.string else { return }
        if !path.hasPrefix("/") {
            report(
                SpecDiagnostic(
                    .invalidPath, "endpoint path '\(path)' must start with '/'", at: node.span,
                    help: "paths are relative to the base URL", fix: "\"/\(path)\""))
        }
        templates(node, allowed: allowed)
    }

    /// Checks every `{name}` / `{name|filter}` in a string node.
    private mutating func templates(_ node: SpecNode, allowed: [String]) {
        guard let text = node.string else { return }
        for part in SpecTemplate.parts(text) {
            guard case .placeholder(let name, let filter, let range) = part else { continue }
            // The span of the placeholder inside the string literal (one byte for the opening quote).
            let offset = node.span.start + 1 + text.utf8.distance(from: text.startIndex, to: range.lowerBound)
            let span = SourceSpan(offset, offset + text[range].utf8.count)
            if !allowed.contains(name) {
                let suggestion = Suggest.closest(to: name, in: allowed)
                report(
                    SpecDiagnostic(
                        .unknownTemplateName, "unknown name '{\(name)}' in a template", at: span,
                        help: suggestion.map { "did you mean '{\($0)}'?" }
                            ?? "names here: " + allowed.map { "{\($0)}" }.joined(separator: ", ")
                            + " (declare connection parameters in \"parameters\")",
                        fix: suggestion.map { "{\($0)}" }))
            }
            if let filter, !SpecGrammar.filters.contains(filter) {
                let suggestion = Suggest.closest(to: filter, in: SpecGrammar.filters)
                report(
                    SpecDiagnostic(
                        .unknownTemplateFilter, "unknown filter '\(filter)'", at: span,
                        help: suggestion.map { "did you mean '\($0)'?" } ?? "filters: " + SpecGrammar.filters.joined(separator: ", ")))
            }
        }
    }

    /// The result style must fit the write shape.
    private mutating func fit(_ write: SpecNode) {
        guard let shape = write["shape"]?.string, let resultsNode = write["results"], let type = resultsNode["type"]?.string else {
            return
        }
        let single = shape == "single"
        if single != (type == "status") {
            let node = resultsNode["type"] ?? resultsNode
            report(
                SpecDiagnostic(
                    .resultsDoNotFitShape,
                    single
                        ? "a write of shape 'single' reports by status, not '\(type)'"
                        : "results of type 'status' need a write of shape 'single', not '\(shape)'", at: node.span,
                    help: single ? "use \"type\": \"status\"" : "use byKey, inOrder or accepted for batch writes"))
        }
        if type == "status" {
            for key in ["created"] {
                if let node = resultsNode[key], node.elements.isEmpty || node.elements.contains(where: { $0.int == nil }) {
                    report(SpecDiagnostic(.wrongType, "results.\(key) must be an array of statuses for type 'status'", at: node.span))
                }
            }
        } else if type == "byKey" || type == "inOrder" {
            for key in ["created", "updated"] {
                if let node = resultsNode[key], node.string == nil {
                    report(SpecDiagnostic(.wrongType, "results.\(key) must be a path (a string) for type '\(type)'", at: node.span))
                }
            }
        }
        if shape == "wrapped", write["records"] == nil {
            report(
                SpecDiagnostic(
                    .missingMember, "a 'wrapped' write needs 'records' (the path of the array)",
                    at: SourceSpan(write.span.start, write.span.start + 1), help: "e.g. \"records\": \"members\""))
        }
    }
}

/// A spec file that cannot be read at all.
public struct SpecLoadError: Error, Sendable, CustomStringConvertible {
    /// What went wrong.
    public var message: String
    public var description: String { message }
}
