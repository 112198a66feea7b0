import MapDSL

/// One platform bulk job a run created (table `bulk_jobs`).
public struct BulkJobRow: Sendable, Hashable {
    /// The destination platform.
    public var platform: String
    /// The platform's job id.
    public var jobID: String
    /// The mapc job and run.
    public var job: String
    public var run: Int
    /// The run's batch the job carried, and which attempt at it (2 and on: records sent again).
    public var batch: Int
    public var attempt: Int
    /// Records in the job.
    public var records: Int
    /// Where it stands: `created`, `uploaded`, `closed`, `running`, `finished`, `failed`, `aborted`, `gone`.
    public var state: String
    /// When mapc created it and last saw it change (ISO 8601).
    public var createdAt: String
    public var updatedAt: String
}

extension EventStore {
    /// Records or updates a bulk job (its state and time; the rest is kept from the first note).
    public func noteBulkJob(_ row: BulkJobRow) throws {
        try locked {
            try db.prepare(
                """
                INSERT INTO bulk_jobs(platform, job_id, job, run, batch, attempt, records, state, created_at, updated_at)
                VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT(platform, job_id) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at
                """
            ).run([
                .text(row.platform), .text(row.jobID), .text(row.job), .int(Int64(row.run)), .int(Int64(row.batch)),
                .int(Int64(row.attempt)), .int(Int64(row.records)), .text(row.state), .text(row.createdAt), .text(row.updatedAt),
            ])
        }
    }

    /// The bulk jobs of `job`, oldest first.
    public func bulkJobs(job: String) throws -> [BulkJobRow] {
        try reading { db in
            try db.prepare(
                """
                SELECT platform, job_id, job, run, batch, attempt, records, state, created_at, updated_at FROM bulk_jobs
                WHERE job = ? ORDER BY created_at, run, batch, attempt
                """
            ).query([.text(job)]) { s in
                BulkJobRow(
                    platform: s.text(0) ?? "", jobID: s.text(1) ?? "", job: s.text(2) ?? "", run: Int(s.int(3)), batch: Int(s.int(4)),
                    attempt: Int(s.int(5)), records: Int(s.int(6)), state: s.text(7) ?? "", createdAt: s.text(8) ?? "",
                    updatedAt: s.text(9) ?? "")
            }
        }
    }

    /// The platform's internal batches (of `internalBatch` records) that mapc's bulk jobs on
    /// `platform` created at or after `since` (ISO 8601) used, every job counted by its records.
    public func bulkBatchesUsed(platform: String, since: String, internalBatch: Int) throws -> Int {
        let size = Int64(max(1, internalBatch))
        return try reading { db in
            try db.prepare(
                "SELECT COALESCE(SUM((records + ? - 1) / ?), 0) FROM bulk_jobs WHERE platform = ? AND created_at >= ?"
            ).query([.int(size), .int(size), .text(platform), .text(since)]) { s in Int(s.int(0)) }.first ?? 0
        }
    }
}
