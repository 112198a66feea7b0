import MapDSL

/// One record ready to send.
struct Pending {
    /// The source record id.
    var id: String
    /// The destination key.
    var key: String
    /// The content hash of ``json``.
    var hash: String
    /// The mapped values, aligned with the mapping's output fields.
    var values: [Value]
    /// The values as the JSON object that is hashed and recorded.
    var json: [UInt8]
    /// The run's page the record came from (its checkpoint waits for the record's answer).
    var page: Int
    /// Whether the destination never acknowledged this record before (its key was unknown to mapc):
    /// if the platform's answer is lost and the record is sent again, the platform says "updated",
    /// and the record is counted as created all the same.
    var isNew: Bool
}

/// One record as it goes out in a batch: source id, destination key, content hash, fields, the page
/// it came from and whether its key was unknown before.
struct Outbound {
    var id: String
    var key: String
    var hash: String
    var values: [(String, JSONValue)]
    var page: Int
    var isNew: Bool
}

/// Records waiting to fill a batch, across pages: a batch goes out when it holds the destination's
/// most records per request, when the next record would take it past the payload limit, or when the
/// next record has a key already in it (platforms refuse one key twice in a request; the second
/// version goes in the next batch, after the first). A plain value: ``add(_:)`` returns the batches
/// that are ready and the runner sends them.
struct BatchBuffer {
    /// Most records per batch.
    let maxRecords: Int
    /// Most bytes of mapped values per batch (an estimate of the request body), if limited.
    let maxBytes: Int?
    /// Bytes counted per record on top of its values (the wire format wraps each record).
    static let recordOverhead = 64

    private(set) var records: [Pending] = []
    private var keys = Set<String>()
    private(set) var ids = Set<String>()
    private var bytes = 0

    init(maxRecords: Int, maxBytes: Int?) {
        self.maxRecords = max(1, maxRecords)
        self.maxBytes = maxBytes
    }

    var isEmpty: Bool { records.isEmpty }

    /// Adds `record`; returns the batches that are full as a result (at most two).
    mutating func add(_ record: Pending) -> [[Pending]] {
        var ready: [[Pending]] = []
        let key = record.key.lowercased()
        let size = record.json.count + Self.recordOverhead
        if !records.isEmpty, keys.contains(key) || maxBytes.map({ bytes + size > $0 }) == true {
            ready.append(take())
        }
        records.append(record)
        keys.insert(key)
        ids.insert(record.id)
        bytes += size
        if records.count >= maxRecords { ready.append(take()) }
        return ready
    }

    /// What is waiting, as one last batch (nil when nothing is).
    mutating func drain() -> [Pending]? {
        records.isEmpty ? nil : take()
    }

    private mutating func take() -> [Pending] {
        defer {
            records = []
            keys = []
            ids = []
            bytes = 0
        }
        return records
    }

    /// `records` cut into batches as ``add(_:)`` would cut them, the rest as a last batch.
    static func batches(_ records: [Pending], maxRecords: Int, maxBytes: Int?) -> [[Pending]] {
        var buffer = BatchBuffer(maxRecords: maxRecords, maxBytes: maxBytes)
        var out: [[Pending]] = []
        for r in records { out += buffer.add(r) }
        if let rest = buffer.drain() { out.append(rest) }
        return out
    }
}

/// Where a page ends: written once every record of the page, and of every page before, has been
/// answered (or needed no answer).
struct Checkpoint: Equatable {
    var page: Int
    var cursor: String?
    var next: String?
}

/// The checkpoints waiting for answers, as a plain value: a page's checkpoint is written when no
/// record of it or of an earlier page is unanswered, whichever batches carried them, and always in
/// page order.
struct CheckpointQueue {
    private var waiting: [Checkpoint] = []
    /// Unanswered records per page.
    private var open: [Int: Int] = [:]

    /// Whether no checkpoint waits.
    var isEmpty: Bool { waiting.isEmpty }

    /// Adds the checkpoint of a page whose `sending` records are to be answered.
    mutating func add(_ checkpoint: Checkpoint, sending: Int) {
        waiting.append(checkpoint)
        if sending > 0 { open[checkpoint.page, default: 0] += sending }
    }

    /// Notes the answers to records of `pages` (one entry per record).
    mutating func answered(pages: [Int]) {
        for page in pages {
            guard let n = open[page] else { continue }
            open[page] = n > 1 ? n - 1 : nil
        }
    }

    /// The checkpoints that may be written now, in order (taken off the queue).
    mutating func ready() -> [Checkpoint] {
        var out: [Checkpoint] = []
        while let first = waiting.first, open[first.page] == nil {
            out.append(waiting.removeFirst())
        }
        return out
    }
}

/// When a record the platform rejected with a transient error goes again: a plain decision over the
/// answers and the attempts made.
enum RecordRetry {
    /// The keys of the transient rejections in `results` to send again and the pause before, or nil
    /// when there are none or `attempt` (1-based) would exceed `maxAttempts`.
    static func decide(
        _ results: [WriteResult], attempt: Int, maxAttempts: Int, backoff: Backoff, unit: Double
    ) -> (keys: [String], delay: Double)? {
        let keys = results.filter { $0.status == .rejected && $0.transient }.map(\.key)
        guard !keys.isEmpty, attempt <= maxAttempts else { return nil }
        return (keys, backoff.delay(attempt: attempt, unit: unit))
    }
}
