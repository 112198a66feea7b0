import Foundation
import MapDSL
import MapReview

/// A job's mapping as the dashboard shows it: the version the run used, and whether the file on disk
/// is still approved in `mappings.lock` (by whom, when) or why not.
public struct MappingStatus: Sendable, Hashable {
    /// The mapping file, as the job names it.
    public var path: String
    /// The canonical hash the latest run used (from its `run_started` event).
    public var runVersion: String?
    /// The approved canonical hash in `mappings.lock`.
    public var approvedVersion: String?
    /// Who approved it.
    public var approvedBy: String?
    /// When.
    public var approvedAt: String?
    /// Whether the file on disk passes the approval gate.
    public var approved: Bool
    /// Why not, one line each.
    public var problems: [String]

    /// Whether the latest run used the version approved now.
    public var runMatchesApproval: Bool {
        guard let runVersion, let approvedVersion else { return false }
        return runVersion == approvedVersion
    }

    /// Asks the approval gate about `mappingPath` (relative to `root`); `runVersion` is what the run used.
    public static func check(mappingPath: String, root: String, schemasDirectory: String, runVersion: String?) -> MappingStatus {
        let lock: MappingsLock
        do {
            lock = try MappingsLock.load(root: root)
        } catch {
            return MappingStatus(
                path: mappingPath, runVersion: runVersion, approved: false, problems: ["cannot read \(MappingsLock.fileName): \(error)"])
        }
        let verdict = ApprovalGate.verdict(mappingPath: mappingPath, lock: lock, schemas: SchemaDirectory(root: schemasDirectory))
        return MappingStatus(
            path: mappingPath, runVersion: runVersion, approvedVersion: verdict.entry?.sha256, approvedBy: verdict.entry?.approvedBy,
            approvedAt: verdict.entry?.approvedAt, approved: verdict.isApproved, problems: verdict.problems.map(\.summary))
    }
}
