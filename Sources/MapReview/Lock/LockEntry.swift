import MapDSL

/// What a schema is to a mapping.
public enum SchemaRole: String, Sendable, Hashable, CaseIterable {
    case source, destination, lookup
}

/// The hash of one schema a mapping was approved against.
public struct SchemaPin: Sendable, Hashable {
    /// `platform.Object`.
    public var object: String
    /// Source, destination or lookup.
    public var role: SchemaRole
    /// SHA-256 of the schema's canonical JSON (see ``Fingerprint/schemaHash(_:)``).
    public var sha256: String

    /// Creates a pin.
    public init(object: String, role: SchemaRole, sha256: String) {
        self.object = object
        self.role = role
        self.sha256 = sha256
    }
}

/// The dry-run numbers recorded with an approval.
public struct DryRunSummary: Sendable, Hashable {
    /// The samples file, relative to the project root.
    public var samples: String
    public var read: Int
    public var mapped: Int
    public var skipped: Int
    public var rejected: Int
    /// Lookups made and found (zero when the mapping uses none).
    public var lookupCalls: Int
    public var lookupHits: Int
    /// Key values that appear on more than one record.
    public var duplicateKeys: Int

    /// The summary of a dry-run report.
    public init(_ r: DryRunReport) {
        samples = r.samplesPath
        read = r.read
        mapped = r.mapped
        skipped = r.skipped
        rejected = r.rejected
        lookupCalls = r.lookups?.calls ?? 0
        lookupHits = r.lookups?.hits ?? 0
        duplicateKeys = r.duplicateKeys.count
    }

    var json: JSONValue {
        .object([
            ("samples", .string(samples)), ("read", .int(read)), ("mapped", .int(mapped)), ("skipped", .int(skipped)),
            ("rejected", .int(rejected)), ("lookupCalls", .int(lookupCalls)), ("lookupHits", .int(lookupHits)),
            ("duplicateKeys", .int(duplicateKeys)),
        ])
    }

    init(json: JSONValue) throws(LockError) {
        func int(_ k: String) throws(LockError) -> Int {
            guard let v = json[k]?.intValue else { throw LockError(path: "", message: "dryRun.\(k) must be an integer") }
            return v
        }
        guard let s = json["samples"]?.stringValue else { throw LockError(path: "", message: "dryRun.samples must be a string") }
        samples = s
        read = try int("read")
        mapped = try int("mapped")
        skipped = try int("skipped")
        rejected = try int("rejected")
        lookupCalls = try int("lookupCalls")
        lookupHits = try int("lookupHits")
        duplicateKeys = try int("duplicateKeys")
    }
}

/// One approval in `mappings.lock`.
public struct LockEntry: Sendable, Hashable {
    /// `platform.object -> platform.Object`.
    public var mapping: String
    /// SHA-256 of the canonical mapping text.
    public var sha256: String
    /// Hashes of the schemas it was checked against.
    public var schemas: [SchemaPin]
    /// Who approved.
    public var approvedBy: String
    /// When, in UTC (ISO 8601, seconds).
    public var approvedAt: String
    /// The approver's note.
    public var note: String?
    /// Generator provenance comment lines (`generated-by`, `model`, `prompt-hash`), in file order.
    public var provenance: [(String, String)]
    /// The dry-run numbers at approval time, when samples were available.
    public var dryRun: DryRunSummary?
    /// The approved canonical text, so later versions can be diffed without git.
    public var canonicalText: String

    /// Creates an entry.
    public init(
        mapping: String, sha256: String, schemas: [SchemaPin], approvedBy: String, approvedAt: String, note: String?,
        provenance: [(String, String)], dryRun: DryRunSummary?, canonicalText: String
    ) {
        self.mapping = mapping
        self.sha256 = sha256
        self.schemas = schemas
        self.approvedBy = approvedBy
        self.approvedAt = approvedAt
        self.note = note
        self.provenance = provenance
        self.dryRun = dryRun
        self.canonicalText = canonicalText
    }

    public static func == (a: LockEntry, b: LockEntry) -> Bool { a.json == b.json }
    public func hash(into hasher: inout Hasher) { hasher.combine(json) }

    /// The entry in lock-file form, keys in a fixed order.
    public var json: JSONValue {
        .object([
            ("mapping", .string(mapping)),
            ("sha256", .string(sha256)),
            (
                "schemas",
                .array(
                    schemas.map {
                        .object([("object", .string($0.object)), ("role", .string($0.role.rawValue)), ("sha256", .string($0.sha256))])
                    }
                )
            ),
            ("approvedBy", .string(approvedBy)),
            ("approvedAt", .string(approvedAt)),
            ("note", note.map { .string($0) } ?? .null),
            ("provenance", .object(provenance.map { ($0.0, .string($0.1)) })),
            ("dryRun", dryRun?.json ?? .null),
            ("canonicalText", .string(canonicalText)),
        ])
    }

    /// Reads an entry; errors name the missing or malformed key.
    public init(json: JSONValue) throws(LockError) {
        func string(_ k: String) throws(LockError) -> String {
            guard let v = json[k]?.stringValue else { throw LockError(path: "", message: "`\(k)` must be a string") }
            return v
        }
        mapping = try string("mapping")
        sha256 = try string("sha256")
        approvedBy = try string("approvedBy")
        approvedAt = try string("approvedAt")
        canonicalText = try string("canonicalText")
        note = json["note"]?.stringValue
        guard let pins = json["schemas"]?.arrayValue else { throw LockError(path: "", message: "`schemas` must be an array") }
        schemas = []
        for p in pins {
            guard let o = p["object"]?.stringValue, let r = p["role"]?.stringValue.flatMap(SchemaRole.init(rawValue:)),
                let h = p["sha256"]?.stringValue
            else { throw LockError(path: "", message: "each of `schemas` needs string `object`, `role` and `sha256`") }
            schemas.append(SchemaPin(object: o, role: r, sha256: h))
        }
        provenance = (json["provenance"]?.objectValue ?? []).compactMap { k, v in v.stringValue.map { (k, $0) } }
        if let d = json["dryRun"], d != .null { dryRun = try DryRunSummary(json: d) } else { dryRun = nil }
    }
}
