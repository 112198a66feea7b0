import Foundation

extension SandboxServer {
    /// The bulk jobs the emulator holds (Salesforce ingest jobs, Mailchimp batches), oldest first;
    /// empty for platforms without a bulk API.
    public var bulkJobs: [BulkJobSummary] {
        (emulator as? any BulkEmulating)?.bulkJobs() ?? []
    }

    /// The bulk faults in force.
    public var bulkFaults: BulkFaults {
        (emulator as? any BulkEmulating)?.bulkFaults.withLock { $0 } ?? BulkFaults()
    }

    /// Replaces the bulk faults (same as `POST /_sandbox/bulk` with a full object).
    public func setBulkFaults(_ faults: BulkFaults) {
        (emulator as? any BulkEmulating)?.bulkFaults.withLock { $0 = faults }
    }

    /// Deletes every bulk job, as the platform does when their retention ends (`POST /_sandbox/bulk/expire`).
    public func expireBulkJobs() {
        (emulator as? any BulkEmulating)?.expireBulkJobs()
    }
}
