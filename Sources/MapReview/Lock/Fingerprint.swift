import Crypto
import Foundation
import MapDSL

/// What identifies an approved mapping: its canonical text and hash, and the hashes of the schemas
/// it was checked against.
public struct Fingerprint: Sendable, Hashable {
    /// `platform.object -> platform.Object`, or empty when the file has no header.
    public var mapping: String
    /// The canonical text (``Formatter/format(_:)`` of the parsed file).
    public var canonicalText: String
    /// SHA-256 of ``canonicalText``.
    public var sha256: String
    /// Source, destination and lookup schema hashes, in that order (lookups by name).
    public var schemas: [SchemaPin]

    /// The fingerprint of a checked mapping. Whitespace and assignment order do not change it;
    /// comments and expressions do.
    public init(_ check: CheckResult) {
        canonicalText = Formatter.format(check.file)
        sha256 = SHA256.hex(canonicalText)
        mapping = check.file.header.map(SemanticDiff.headerText) ?? ""
        var pins: [SchemaPin] = []
        if let s = check.source { pins.append(SchemaPin(object: s.qualifiedName, role: .source, sha256: Fingerprint.schemaHash(s))) }
        if let d = check.destination {
            pins.append(SchemaPin(object: d.qualifiedName, role: .destination, sha256: Fingerprint.schemaHash(d)))
        }
        for name in check.lookupSchemas.keys.sorted() {
            let s = check.lookupSchemas[name]!
            pins.append(SchemaPin(object: s.qualifiedName, role: .lookup, sha256: Fingerprint.schemaHash(s)))
        }
        schemas = pins
    }

    /// SHA-256 of the schema re-serialised in canonical JSON (``Schema/json``, compact): edits to a
    /// schema file's layout do not count as drift; any change to a field, type, limit or picklist does.
    public static func schemaHash(_ schema: Schema) -> String {
        // Whether the platform's API can be read (`readable`) is not the shape of its records, which is
        // what an approval is pinned to: it does not count.
        var shape = schema
        shape.readable = true
        return SHA256.hex(JSONWriter.compact(shape.json))
    }

    /// The keys of provenance comments kept in the lock.
    public static let provenanceKeys: Set<String> = ["generated-by", "model", "prompt-hash"]

    /// Provenance comment lines of a mapping, as key and value: read only from the header `mapc gen`
    /// writes, the comment lines at the very top of the file starting with
    /// `# generated-by: mapc …`, up to the first line that is not a `# key: value` comment.
    /// Comments anywhere else (a model's reply, a hand edit) are not provenance, whatever they say.
    public static func provenance(in text: String) -> [(String, String)] {
        var out: [(String, String)] = []
        for (i, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            guard raw.first == "#" else { break }
            var line = raw.dropFirst()
            while line.first == " " { line = line.dropFirst() }
            guard let colon = line.firstIndex(of: ":") else { break }
            let key = String(line[..<colon]).lowercased()
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            if i == 0, key != "generated-by" || !value.lowercased().hasPrefix("mapc") { break }
            if provenanceKeys.contains(key) { out.append((key, value)) }
        }
        return out
    }
}

/// Builds approvals.
public enum Approval {
    /// The lock entry approving `check` (the mapping whose raw text is `text`).
    ///
    /// - Parameters:
    ///   - approvedBy: the approver's name.
    ///   - note: an optional note.
    ///   - date: the approval time (injected, so tests are deterministic).
    ///   - dryRun: the dry-run numbers over the samples, when there are samples.
    public static func entry(
        for check: CheckResult, text: String, approvedBy: String, note: String?, at date: Date, dryRun: DryRunSummary?
    ) -> LockEntry {
        let f = Fingerprint(check)
        return LockEntry(
            mapping: f.mapping, sha256: f.sha256, schemas: f.schemas, approvedBy: approvedBy, approvedAt: timestamp(date),
            note: note, provenance: Fingerprint.provenance(in: text), dryRun: dryRun, canonicalText: f.canonicalText)
    }

    /// `date` in UTC as ISO 8601 with seconds (`2025-01-31T09:30:00Z`).
    public static func timestamp(_ date: Date) -> String {
        let f = ISO8601DateFormatter()
        f.timeZone = TimeZone(identifier: "UTC")
        f.formatOptions = [.withInternetDateTime]
        return f.string(from: date)
    }

    /// Parses an ISO 8601 UTC timestamp as written by ``timestamp(_:)``.
    public static func date(_ text: String) -> Date? {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime]
        return f.date(from: text)
    }
}
