import Foundation
import HTTPServer
import MapcSupport

/// Faults and pacing of the emulated bulk APIs (Salesforce Bulk API 2.0 ingest, Mailchimp batch
/// operations), set with ``SandboxServer/setBulkFaults(_:)`` or `POST /_sandbox/bulk` (a JSON object
/// with any subset of these keys).
///
/// Jobs are processed when their state is asked for, never by the wall clock: each status request
/// processes up to ``recordsPerPoll`` more records, so tests and benchmarks see the same sequence.
public struct BulkFaults: Sendable, Codable, Equatable {
    /// Records processed per status request (Salesforce processes internal batches of 10,000).
    public var recordsPerPoll: Int
    /// A job fails once this many of its records are processed (nil: never): the records before have
    /// results, the rest are unprocessed (a job that fails half-way).
    public var failAfterRecords: Int?
    /// The next this-many result downloads of a finished job list only the first half of its
    /// records (results only partially ready).
    public var partialResults: Int
    /// The next this-many status requests answer 503.
    public var pollFailures: Int

    /// No faults, one internal batch per status request.
    public init(recordsPerPoll: Int = 10_000, failAfterRecords: Int? = nil, partialResults: Int = 0, pollFailures: Int = 0) {
        self.recordsPerPoll = recordsPerPoll
        self.failAfterRecords = failAfterRecords
        self.partialResults = partialResults
        self.pollFailures = pollFailures
    }

    private enum CodingKeys: String, CodingKey {
        case recordsPerPoll, failAfterRecords, partialResults, pollFailures
    }

    /// Decodes a partial object: missing keys keep their defaults.
    public init(from decoder: any Decoder) throws {
        try self.init(from: decoder, base: BulkFaults())
    }

    /// Decodes a partial object over `base`.
    init(from decoder: any Decoder, base: BulkFaults) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        recordsPerPoll = max(1, try c.decodeIfPresent(Int.self, forKey: .recordsPerPoll) ?? base.recordsPerPoll)
        failAfterRecords =
            c.contains(.failAfterRecords) ? try c.decodeIfPresent(Int.self, forKey: .failAfterRecords) : base.failAfterRecords
        partialResults = try c.decodeIfPresent(Int.self, forKey: .partialResults) ?? base.partialResults
        pollFailures = try c.decodeIfPresent(Int.self, forKey: .pollFailures) ?? base.pollFailures
    }

    /// `base` with the keys present in `json` replaced.
    static func patch(_ json: Data, over base: BulkFaults) throws -> BulkFaults {
        let decoder = JSONDecoder()
        decoder.userInfo[BulkFaultsPatch.baseKey] = base
        return try decoder.decode(BulkFaultsPatch.self, from: json).faults
    }
}

/// Decodes a partial ``BulkFaults`` object over the one in the decoder's user info.
private struct BulkFaultsPatch: Decodable {
    static let baseKey = CodingUserInfoKey(rawValue: "mapc.bulk.base")!
    let faults: BulkFaults

    init(from decoder: any Decoder) throws {
        faults = try BulkFaults(from: decoder, base: decoder.userInfo[Self.baseKey] as? BulkFaults ?? BulkFaults())
    }
}

/// `GET /_sandbox/bulk`'s reply.
private struct BulkControlReply: Encodable {
    let faults: BulkFaults
    let jobs: [BulkJobSummary]
}

/// One bulk job as the sandbox lists it (`GET /_sandbox/bulk`).
public struct BulkJobSummary: Sendable, Codable, Equatable {
    /// The platform's job id.
    public var id: String
    /// The job's state in the platform's words (`JobComplete`, `finished`, ...).
    public var state: String
    /// Records uploaded (or operations submitted).
    public var records: Int
    /// Records processed so far.
    public var processed: Int
    /// How many uploads the job received.
    public var uploads: Int
}

/// An emulator with a bulk API: its jobs can be listed, expired and faulted.
protocol BulkEmulating: Sendable {
    /// Every job, oldest first.
    func bulkJobs() -> [BulkJobSummary]
    /// Deletes every job, as the platform does when their retention ends.
    func expireBulkJobs()
    /// The faults in force.
    var bulkFaults: Locked<BulkFaults> { get }
}

extension BulkEmulating {
    /// `GET /_sandbox/bulk` (jobs and faults), `POST /_sandbox/bulk` (patch faults),
    /// `POST /_sandbox/bulk/expire` (delete every job).
    func registerBulkControl(on router: inout Router) {
        router.add("GET", "/_sandbox/bulk") { [self] _ in bulkReply() }
        router.add("POST", "/_sandbox/bulk") { [self] request in
            do {
                let patched = try BulkFaults.patch(request.body, over: bulkFaults.withLock { $0 })
                bulkFaults.withLock { $0 = patched }
                return bulkReply()
            } catch {
                return .json(["error": .string("invalid bulk faults: \(error)")], status: 400)
            }
        }
        router.add("POST", "/_sandbox/bulk/expire") { [self] _ in
            expireBulkJobs()
            return bulkReply()
        }
    }

    private func bulkReply() -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return .json((try? encoder.encode(BulkControlReply(faults: bulkFaults.withLock { $0 }, jobs: bulkJobs()))) ?? Data("{}".utf8))
    }
}
