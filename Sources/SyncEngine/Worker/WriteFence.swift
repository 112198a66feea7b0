import Foundation

/// The fencing token of a worker's lease on a job: a store connection that carries one checks,
/// inside every write transaction and before writing, that the work queue still grants this lease
/// number of the job. A takeover increments the number, so a worker that lost its lease (paused
/// past its expiry, cut off from the server) can never write to the job again.
///
/// On PostgreSQL the check reads the queue row `FOR SHARE`: a takeover (`FOR UPDATE`) waits for a
/// write under way to commit, and every write after the takeover sees the new number.
struct WriteFence: Sendable, Hashable {
    /// The job.
    var job: String
    /// The lease number this connection writes under.
    var lease: Int

    /// Throws ``FencingError`` unless the queue still holds `lease` for `job`; runs inside the
    /// caller's open transaction.
    func check(_ db: Database) throws {
        let sql = "SELECT lease FROM worker_queue WHERE job = ?" + (db.isPostgres ? " FOR SHARE" : "")
        let current = try db.prepare(sql).query([.text(job)]) { Int($0.int(0)) }.first
        guard current == lease else { throw FencingError(job: job, lease: lease, current: current) }
    }
}

/// A write refused because the worker's lease on the job was taken over (or the job left the
/// queue): the worker must stop working on the job at once.
public struct FencingError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The job.
    public var job: String
    /// The lease number the refused write was made under.
    public var lease: Int
    /// The lease number the queue holds now (nil: the job is no longer queued).
    public var current: Int?

    public var description: String {
        let now = current.map { "lease \($0) holds it now" } ?? "it is no longer in the work queue"
        return "write refused: this worker's lease \(lease) on job \(job) was taken over (\(now)); it may not write to the job again"
    }
}
