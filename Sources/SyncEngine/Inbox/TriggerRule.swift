import MapDSL

/// A job file's rule saying which change events start an incremental sync of the job.
///
/// Written in the job file as
/// `"triggers": [{"platform": "hubspot", "object": "contact", "events": ["contact.propertyChange"],
/// "properties": ["email", "lifecyclestage"], "source": "default"}]`. `events`, `properties` and
/// `source` are optional: absent means any. `properties` narrows only events that carry field values;
/// events without any (creations, deletions) match on `events` alone.
public struct TriggerRule: Sendable, Hashable {
    /// The job it starts.
    public var job: String
    /// Platform of the events (`hubspot`).
    public var platform: String
    /// Object of the events (`contact`), compared case-insensitively.
    public var object: String
    /// Event kinds that match (`contact.creation`); empty means any.
    public var events: [String]
    /// Fields of which at least one must be among the event's values; empty means any.
    public var properties: [String]
    /// Webhook source name; nil means any.
    public var source: String?

    /// Creates a rule.
    public init(job: String, platform: String, object: String, events: [String] = [], properties: [String] = [], source: String? = nil) {
        self.job = job
        self.platform = platform
        self.object = object
        self.events = events
        self.properties = properties
        self.source = source
    }

    /// Whether `event` starts this rule's job.
    public func matches(_ event: ChangeEvent) -> Bool {
        guard event.platform == platform, event.object.lowercased() == object.lowercased() else { return false }
        if let source, source != event.source { return false }
        if !events.isEmpty, !events.contains(event.kind) { return false }
        if !properties.isEmpty, !event.changes.isEmpty {
            let wanted = Set(properties.map { $0.lowercased() })
            guard event.changes.contains(where: { wanted.contains($0.field.lowercased()) }) else { return false }
        }
        return true
    }

    /// The rules of `job` (its `triggers` member); a job without one has none.
    ///
    /// - Throws: ``JobError`` naming the job and the bad member when the list is malformed.
    public static func rules(of job: JobSpec) throws -> [TriggerRule] {
        guard let list = job.raw["triggers"] else { return [] }
        guard let items = list.arrayValue else { throw JobError("job \(job.name): `triggers` must be an array of rule objects") }
        return try items.enumerated().map { index, item in
            let at = "job \(job.name): triggers[\(index)]"
            guard item.objectValue != nil else { throw JobError("\(at) must be an object") }
            guard let platform = item["platform"]?.stringValue, !platform.isEmpty else {
                throw JobError("\(at).platform must be a platform name such as \"hubspot\"")
            }
            guard let object = item["object"]?.stringValue, !object.isEmpty else {
                throw JobError("\(at).object must be an object name such as \"contact\"")
            }
            func strings(_ key: String) throws -> [String] {
                guard let v = item[key] else { return [] }
                guard let array = v.arrayValue, let out = Optional(array.compactMap(\.stringValue)), out.count == array.count else {
                    throw JobError("\(at).\(key) must be an array of strings")
                }
                return out
            }
            let source: String?
            if let s = item["source"] {
                guard let text = s.stringValue else { throw JobError("\(at).source must be a string") }
                source = text
            } else {
                source = nil
            }
            return TriggerRule(
                job: job.name, platform: platform, object: object, events: try strings("events"),
                properties: try strings("properties"), source: source)
        }
    }
}
