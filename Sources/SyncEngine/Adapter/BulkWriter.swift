/// How a platform's bulk jobs receive their data, which decides what a resumed run can find.
public enum BulkStyle: String, Sendable, Hashable {
    /// The job is created empty, its id known before any record leaves (Salesforce Bulk API 2.0:
    /// create, upload, close). The id is recorded before the upload, so a resumed run always finds it.
    case createThenUpload
    /// The records go with the request that creates the job and the id comes back with the answer
    /// (Mailchimp batch operations). A run killed before the id was recorded looks the job up among
    /// the platform's recent jobs (``BulkWriter/findBulkJob(submittedAfter:operations:)``).
    case submitWithData
}

/// Limits of one bulk job, from the platform's documentation.
public struct BulkLimits: Sendable, Hashable {
    /// The bulk API's name for events and messages (`Bulk API 2.0`).
    public var name: String
    /// How jobs receive their data.
    public var style: BulkStyle
    /// Most records mapc puts in one job.
    public var maxRecords: Int
    /// Most bytes of one upload (the platform's limit less what its encoding adds).
    public var maxUploadBytes: Int
    /// Records the platform processes together inside a job (Salesforce: 10,000 per internal batch).
    public var internalBatch: Int
    /// Internal batches the platform allows per rolling 24 hours, when it counts them.
    public var dailyBatches: Int?

    /// Creates limits.
    public init(
        name: String, style: BulkStyle, maxRecords: Int, maxUploadBytes: Int, internalBatch: Int, dailyBatches: Int? = nil
    ) {
        self.name = name
        self.style = style
        self.maxRecords = maxRecords
        self.maxUploadBytes = maxUploadBytes
        self.internalBatch = internalBatch
        self.dailyBatches = dailyBatches
    }
}

/// Where a bulk job stands on the platform.
public enum BulkJobState: Sendable, Hashable {
    /// Created, waiting for (more) data: nothing is processed until the upload is closed.
    case open
    /// Closed or queued, or being processed: `processed` records so far.
    case running(processed: Int)
    /// Finished: every record has a result (some may still be unprocessed after a failure half-way).
    case finished(processed: Int, failed: Int)
    /// The platform gave up on the job; `processed` records were processed before, the others not.
    case failed(processed: Int, message: String)
    /// Aborted (by someone): the records not processed go again.
    case aborted
    /// The platform no longer knows the job (deleted after its retention, or never created).
    case gone

    /// Whether the job will not change any more.
    public var isOver: Bool {
        switch self {
        case .open, .running: false
        case .finished, .failed, .aborted, .gone: true
        }
    }

    /// A word for events: `open`, `running`, `finished`, `failed`, `aborted`, `gone`.
    public var word: String {
        switch self {
        case .open: "open"
        case .running: "running"
        case .finished: "finished"
        case .failed: "failed"
        case .aborted: "aborted"
        case .gone: "gone"
        }
    }
}

/// The outcome of a finished bulk job, record by record.
public struct BulkJobResults: Sendable {
    /// One result per processed record (created, updated or rejected with the platform's error).
    public var results: [WriteResult]
    /// Keys of the records the job never processed: they go again, in another job.
    public var unprocessed: [String]
    /// Whether the platform's result files were complete (every processed record has a row); when
    /// not, the results are asked for again after a wait.
    public var complete: Bool

    /// Creates results.
    public init(results: [WriteResult], unprocessed: [String], complete: Bool = true) {
        self.results = results
        self.unprocessed = unprocessed
        self.complete = complete
    }
}

/// A platform adapter that can also write through the platform's asynchronous bulk API. The
/// engine chooses the path (see ``BulkPlan``); results come back as ``WriteResult``s keyed like
/// REST results, so record outcomes, dead letters, fixes and retries do not depend on the path.
public protocol BulkWriter: Sendable {
    /// The limits of one job writing `object` with `mode`.
    func bulkLimits(object: String, mode: WriteMode) -> BulkLimits
    /// Why records of `object` cannot be written in bulk with this key and mode; nil when they can.
    func bulkRefusal(object: String, keyField: String, mode: WriteMode) -> String?
    /// Creates an empty job for ``WriteRequest``s like `request` (``BulkStyle/createThenUpload``);
    /// returns the platform's job id.
    func createBulkJob(_ request: WriteRequest) throws(AdapterError) -> String
    /// Uploads the records of `request` into job `id`, once (``BulkStyle/createThenUpload``).
    func uploadBulkJob(_ id: String, _ request: WriteRequest) throws(AdapterError)
    /// Tells the platform the upload is complete: processing starts.
    func closeBulkJob(_ id: String) throws(AdapterError)
    /// Creates a job carrying the records of `request` (``BulkStyle/submitWithData``); returns its id.
    func submitBulkJob(_ request: WriteRequest) throws(AdapterError) -> String
    /// The job submitted at or after `submittedAfter` (ISO 8601) with `operations` records, other
    /// than the jobs in `known`, when the platform lists exactly one such job
    /// (``BulkStyle/submitWithData`` after a kill).
    func findBulkJob(submittedAfter: String, operations: Int, excluding known: Set<String>) throws(AdapterError) -> String?
    /// Where job `id` stands.
    func bulkJobState(_ id: String) throws(AdapterError) -> BulkJobState
    /// The results of job `id`, which carried (a subset of) the records of `request`.
    func bulkJobResults(_ id: String, _ request: WriteRequest) throws(AdapterError) -> BulkJobResults
}

extension BulkWriter {
    public func createBulkJob(_ request: WriteRequest) throws(AdapterError) -> String {
        throw .fatal("this platform's bulk jobs are created with their data")
    }
    public func uploadBulkJob(_ id: String, _ request: WriteRequest) throws(AdapterError) {
        throw .fatal("this platform's bulk jobs are created with their data")
    }
    public func closeBulkJob(_ id: String) throws(AdapterError) {}
    public func submitBulkJob(_ request: WriteRequest) throws(AdapterError) -> String {
        throw .fatal("this platform's bulk jobs are created empty, then given their data")
    }
    public func findBulkJob(submittedAfter: String, operations: Int, excluding known: Set<String>) throws(AdapterError) -> String? {
        nil
    }
}
