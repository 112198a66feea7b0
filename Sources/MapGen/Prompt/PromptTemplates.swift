import Foundation

/// The editable prompt files: `system.md`, `task.md`, `repair.md` and `examples/*.txt` + `*.map` pairs.
public struct PromptTemplates: Sendable, Hashable {
    /// One few-shot example: prose and the mapping written for it.
    public struct Example: Sendable, Hashable {
        /// The file stem (`contacts-to-members`).
        public var name: String
        /// The prose, header lines included.
        public var prose: String
        /// The mapping.
        public var mapping: String
    }

    /// The system prompt template (`{{manual}}`).
    public var system: String
    /// The first user turn (`{{source}}`, `{{destination}}`, `{{source_schema}}`, ...).
    public var task: String
    /// The repair turn (`{{diagnostics}}`, ...).
    public var repair: String
    /// Few-shot examples, sorted by name.
    public var examples: [Example]
    /// `platforms.md`: what each platform's records look like, in `## platform` sections.
    public var platformNotes: String

    /// Creates templates from their texts.
    public init(system: String, task: String, repair: String, examples: [Example], platformNotes: String = "") {
        self.system = system
        self.task = task
        self.repair = repair
        self.examples = examples
        self.platformNotes = platformNotes
    }

    /// The text of the `## platform` section of ``platformNotes``, joined into one paragraph.
    public func notes(for platform: String) -> String? {
        var lines: [Substring] = []
        var inSection = false
        for line in platformNotes.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("## ") {
                inSection = line.dropFirst(3).trimmingCharacters(in: .whitespaces).lowercased() == platform.lowercased()
                continue
            }
            if inSection && !line.hasPrefix("# ") { lines.append(line) }
        }
        let text = lines.map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }.joined(separator: " ")
        return text.isEmpty ? nil : text
    }

    /// Reads the templates from `directory` (normally `prompts/`).
    public static func load(directory: String) throws(MapGenError) -> PromptTemplates {
        func read(_ name: String) throws(MapGenError) -> String {
            let path = directory + "/" + name
            guard let data = FileManager.default.contents(atPath: path) else {
                throw MapGenError(.files, "cannot read the prompt template '\(path)'")
            }
            return String(decoding: data, as: UTF8.self)
        }
        let system = try read("system.md")
        let task = try read("task.md")
        let repair = try read("repair.md")
        var examples: [Example] = []
        let dir = directory + "/examples"
        let files = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
        for file in files.sorted() where file.hasSuffix(".txt") {
            let stem = String(file.dropLast(4))
            guard files.contains(stem + ".map") else { continue }
            examples.append(Example(name: stem, prose: try read("examples/\(file)"), mapping: try read("examples/\(stem).map")))
        }
        let notes = FileManager.default.contents(atPath: directory + "/platforms.md").map { String(decoding: $0, as: UTF8.self) } ?? ""
        return PromptTemplates(system: system, task: task, repair: repair, examples: examples, platformNotes: notes)
    }

    /// `template` with each `{{name}}` replaced by `values[name]`; unknown placeholders are left as they are.
    public static func fill(_ template: String, _ values: [String: String]) -> String {
        var out = ""
        var rest = template[...]
        while let open = rest.range(of: "{{") {
            out += rest[..<open.lowerBound]
            guard let close = rest[open.upperBound...].range(of: "}}") else {
                out += rest[open.lowerBound...]
                return out
            }
            let name = rest[open.upperBound..<close.lowerBound].trimmingCharacters(in: .whitespaces)
            if let v = values[name] {
                out += v
            } else {
                out += rest[open.lowerBound..<close.upperBound]
            }
            rest = rest[close.upperBound...]
        }
        return out + rest
    }
}
