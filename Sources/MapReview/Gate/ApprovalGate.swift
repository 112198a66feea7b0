import Foundation
import MapDSL

/// One reason a mapping may not run.
public enum ApprovalProblem: Sendable, Hashable {
    /// The mapping file could not be read.
    case unreadable(String)
    /// `mappings.lock` has no approval for the mapping.
    case unapproved
    /// The canonical text differs from the approved one; the diff names the changed fields.
    case modified(SemanticDiff)
    /// A schema the mapping was approved against changed (`current` is nil when it is gone).
    case schemaDrifted(object: String, role: SchemaRole, approved: String, current: String?)
    /// The mapping no longer type-checks against today's schemas.
    case doesNotTypeCheck([Diagnostic])
    /// The mapping's own example cases (`NAME.tests.jsonl`) fail, or cannot be read or run.
    case casesFail(MappingTestReport.Entry)

    /// A one-line explanation.
    public var summary: String {
        switch self {
        case .unreadable(let why): return "cannot be read: \(why)"
        case .unapproved: return "not approved (no entry in \(MappingsLock.fileName)); review it and run 'mapc approve'"
        case .modified(let d):
            var parts: [String] = []
            if d.header != nil { parts.append("header") }
            if d.key != nil { parts.append("key") }
            if !d.skipsAdded.isEmpty || !d.skipsRemoved.isEmpty { parts.append("skip rules") }
            if !d.fields.isEmpty { parts.append("field\(d.fields.count == 1 ? "" : "s") " + d.changedFields.joined(separator: ", ")) }
            let what = parts.isEmpty ? "comments or formatting-sensitive text" : parts.joined(separator: "; ")
            return "modified since approval (\(what)); run 'mapc review' then 'mapc approve'"
        case .schemaDrifted(let object, let role, _, let current):
            return current == nil
                ? "\(role.rawValue) schema \(object) is gone since approval"
                : "\(role.rawValue) schema \(object) changed since approval (schema drift)"
        case .doesNotTypeCheck(let diagnostics):
            let errors = diagnostics.filter { $0.severity == .error }
            let first = errors.first.map { ": \($0.code.rawValue) \($0.message)" } ?? ""
            return "no longer type-checks against today's schemas (\(errors.count) error\(errors.count == 1 ? "" : "s"))\(first)"
        case .casesFail(let entry):
            if let error = entry.error { return "its cases in \(entry.casesFile) did not run: \(error); see 'mapc test'" }
            var parts: [String] = []
            let n = entry.results.count
            if entry.failed > 0 {
                parts.append("\(entry.failed) of \(n) case\(n == 1 ? "" : "s") in \(entry.casesFile) fail\(entry.failed == 1 ? "s" : "")")
            }
            if !entry.problems.isEmpty {
                let k = entry.problems.count
                parts.append("\(k) line\(k == 1 ? "" : "s") of \(entry.casesFile) cannot be read")
            }
            let what = parts.joined(separator: " and ")
            return what + "; see 'mapc test'"
        }
    }

    /// A stable machine-readable kind.
    public var kind: String {
        switch self {
        case .unreadable: "unreadable"
        case .unapproved: "unapproved"
        case .modified: "modified"
        case .schemaDrifted: "schema-drifted"
        case .doesNotTypeCheck: "type-error"
        case .casesFail: "cases-fail"
        }
    }
}

/// The gate's answer for one mapping.
public struct ApprovalVerdict: Sendable {
    /// The mapping path as given.
    public var path: String
    /// Its key in the lock.
    public var key: String
    /// The approval found, if any.
    public var entry: LockEntry?
    /// The mapping's source text, for rendering diagnostics.
    public var source: SourceText?
    /// Everything that stands in the way; empty when the mapping may run.
    public var problems: [ApprovalProblem]

    /// Whether the mapping is approved, unchanged, on the approved schemas, and type-checks.
    public var isApproved: Bool { problems.isEmpty }
}

/// Why the gate refused a mapping (thrown by ``ApprovalGate/verify(mappingPath:lock:schemas:)``).
public struct ApprovalError: Error, Sendable, CustomStringConvertible {
    /// The refused mapping.
    public var path: String
    /// Every reason.
    public var problems: [ApprovalProblem]

    public var description: String {
        "\(path): " + problems.map(\.summary).joined(separator: "; ")
    }
}

/// Decides whether a mapping may run: approved in `mappings.lock`, unchanged since, checked against
/// the same schemas, and still type-checking. The sync engine calls this before every job.
public enum ApprovalGate {
    /// Verifies the mapping file at `mappingPath` against `lock`; returns its approval or throws
    /// every reason it may not run.
    public static func verify(mappingPath: String, lock: MappingsLock, schemas: SchemaProvider) throws(ApprovalError) -> LockEntry {
        let v = verdict(mappingPath: mappingPath, lock: lock, schemas: schemas)
        guard v.isApproved, let entry = v.entry else { throw ApprovalError(path: mappingPath, problems: v.problems) }
        return entry
    }

    /// Reads the mapping at `mappingPath` (absolute or relative to the lock's root) and judges it;
    /// `displayPath` names the file in diagnostics (default: `mappingPath`). With `runCases` the
    /// mapping's own example cases (`NAME.tests.jsonl`, when there is one) must pass too, as
    /// `mapc verify` requires.
    public static func verdict(
        mappingPath: String, lock: MappingsLock, schemas: SchemaProvider, displayPath: String? = nil, runCases: Bool = false
    ) -> ApprovalVerdict {
        let abs = mappingPath.hasPrefix("/") ? mappingPath : lock.root + "/" + mappingPath
        guard let data = FileManager.default.contents(atPath: abs) else {
            return ApprovalVerdict(
                path: mappingPath, key: lock.key(for: abs), entry: lock.entry(for: abs), source: nil,
                problems: [.unreadable("no such file or not readable")])
        }
        let text = String(decoding: data, as: UTF8.self)
        var v = verdict(
            text: text, path: displayPath ?? mappingPath, key: lock.key(for: abs), entry: lock.entry(for: abs), schemas: schemas)
        if runCases, let source = v.source {
            let check = Checker.check(source, schemas: schemas)
            // A mapping that does not type-check says so already; its cases cannot run.
            if check.isValid,
                let cases = MappingCases.run(mappingPath: abs, check: check, source: source, mappingDisplay: displayPath ?? mappingPath),
                !cases.ok
            {
                v.problems.append(.casesFail(cases))
            }
        }
        return v
    }

    /// Judges mapping `text` against its approval `entry` (nil when there is none). Pure apart from
    /// what `schemas` reads.
    public static func verdict(text: String, path: String, key: String, entry: LockEntry?, schemas: SchemaProvider) -> ApprovalVerdict {
        let source = SourceText(path: path, text: text)
        let check = Checker.check(source, schemas: schemas)
        var problems: [ApprovalProblem] = []
        if let entry {
            let f = Fingerprint(check)
            if f.sha256 != entry.sha256 {
                let approved = Parser.parse(SourceText(path: "approved", text: entry.canonicalText)).file
                problems.append(.modified(SemanticDiff.compare(approved, check.file)))
            }
            for pin in entry.schemas {
                let current = currentHash(pin.object, schemas)
                if current != pin.sha256 {
                    problems.append(.schemaDrifted(object: pin.object, role: pin.role, approved: pin.sha256, current: current))
                }
            }
        } else {
            problems.append(.unapproved)
        }
        if !check.isValid {
            problems.append(.doesNotTypeCheck(check.diagnostics.filter { $0.severity == .error }))
        }
        return ApprovalVerdict(path: path, key: key, entry: entry, source: source, problems: problems)
    }

    private static func currentHash(_ object: String, _ schemas: SchemaProvider) -> String? {
        let parts = object.split(separator: ".", maxSplits: 1).map(String.init)
        guard parts.count == 2, let s = try? schemas.schema(platform: parts[0], object: parts[1]) else { return nil }
        return Fingerprint.schemaHash(s)
    }
}
