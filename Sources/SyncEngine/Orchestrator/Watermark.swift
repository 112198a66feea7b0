import MapDSL

/// A position in a source read in modification order: the record's modification time, then its id
/// (which orders records modified in the same instant).
public struct SourcePosition: Sendable, Hashable, Comparable {
    /// The modification time as the platform wrote it (ISO 8601).
    public var modified: String
    /// The same instant in milliseconds since 1970, for comparing spellings that differ.
    public var millis: Int64
    /// The record id.
    public var id: String

    /// Creates a position; nil when `modified` is not an ISO 8601 date-time.
    public init?(modified: String, id: String) {
        guard let millis = Dates.parseISODateTime(Substring(modified)) else { return nil }
        self.modified = modified
        self.millis = millis
        self.id = id
    }

    /// The position of a fetched record, when its adapter said when it was modified.
    public init?(_ record: SourceRecord) {
        guard let modified = record.modified else { return nil }
        self.init(modified: modified, id: record.id)
    }

    public static func < (a: SourcePosition, b: SourcePosition) -> Bool {
        a.millis != b.millis ? a.millis < b.millis : a.id < b.id
    }

    /// The highest position among `records` (those without a modification time do not count).
    static func highest(_ records: [SourceRecord]) -> SourcePosition? {
        var best: SourcePosition?
        for record in records {
            guard let p = SourcePosition(record) else { continue }
            if best.map({ $0 < p }) ?? true { best = p }
        }
        return best
    }
}

/// A job's high-water mark: the source position up to which every record was read and its outcome
/// acknowledged, for the mapping version and source it was reached with. The next run of the job
/// reads only what changed from there (minus an overlap), unless it is asked to read everything.
public struct Watermark: Sendable, Hashable {
    /// The position.
    public var position: SourcePosition
    /// The approved mapping version the records were mapped with: another version reads everything.
    public var mappingVersion: String
    /// The source (`platform.object`) it holds for.
    public var source: String
    /// The run that reached it.
    public var run: Int
    /// When it was reached (UTC, ISO 8601).
    public var at: String

    /// Creates a mark.
    public init(position: SourcePosition, mappingVersion: String, source: String, run: Int, at: String) {
        self.position = position
        self.mappingVersion = mappingVersion
        self.source = source
        self.run = run
        self.at = at
    }

    /// As JSON, for events and `--format json`.
    public var json: JSONValue {
        .object([
            ("modified", .string(position.modified)), ("id", .string(position.id)), ("mappingVersion", .string(mappingVersion)),
            ("source", .string(source)), ("run", .int(run)), ("at", .string(at)),
        ])
    }
}

/// How a run reads its source: everything, or what changed since the job's mark.
public enum ReadPlan: Sendable, Hashable {
    /// Every record; `reason` says why (no mark yet, `--full`, another mapping version).
    case full(reason: String)
    /// Records modified at or after `since` (the mark less the overlap).
    case incremental(since: String, mark: Watermark)

    /// `modifiedSince` for the source's requests.
    public var modifiedSince: String? {
        switch self {
        case .full: nil
        case .incremental(let since, _): since
        }
    }

    /// Decides how to read, given the job's mark: incremental only for the same mapping version and
    /// source, and not with `full`. The overlap re-reads records changed in the last
    /// `overlapSeconds` before the mark (clock skew, transactions committed after their timestamp,
    /// equal timestamps); content hashes drop the ones already delivered.
    public static func decide(
        mark: Watermark?, full: Bool, mappingVersion: String, source: String, overlapSeconds: Int
    ) -> ReadPlan {
        if full { return .full(reason: "--full: reading every record") }
        guard let mark else { return .full(reason: "no high-water mark yet: reading every record") }
        guard mark.source == source else {
            return .full(reason: "the mark was reached reading \(mark.source), not \(source): reading every record")
        }
        guard mark.mappingVersion == mappingVersion else {
            return .full(
                reason:
                    "the mapping changed since the mark (version \(mark.mappingVersion.prefix(12)) then, \(mappingVersion.prefix(12)) now): reading every record"
            )
        }
        let since = mark.position.millis.subtractingReportingOverflow(Int64(max(0, overlapSeconds)) * 1000)
        return .incremental(since: Dates.formatDateTime(since.overflow ? Int64.min / 2 : since.partialValue), mark: mark)
    }
}

/// Where a run's mark stands, as a plain value: the highest position of each page read, and which
/// of them may be written with a checkpoint.
struct WatermarkTracker {
    /// Whether every page so far was read in modification order.
    private(set) var ordered = true
    /// The highest position among the pages whose checkpoint was written.
    private(set) var reached: SourcePosition?
    /// The highest position of each page read and not yet checkpointed.
    private var pages: [Int: SourcePosition] = [:]
    /// The highest position seen at all in the run.
    private(set) var seen: SourcePosition?
    /// The last position handed out to be written.
    private var written: SourcePosition?

    /// Notes page `number` as read.
    mutating func read(_ page: SourcePage, number: Int) {
        if !page.ordered { ordered = false }
        guard let top = SourcePosition.highest(page.records) else { return }
        pages[number] = max(pages[number] ?? top, top)
        seen = max(seen ?? top, top)
    }

    /// The mark to write with the checkpoint of `page` (every record up to it acknowledged), or nil
    /// when it did not move or must wait: a read out of modification order has a mark only when it
    /// is over, and then no later than `startedAt` (the run's start, in milliseconds since 1970): a
    /// record changed while a plain listing was under way may have been read before its change.
    mutating func checkpoint(page: Int, done: Bool, startedAt: Int64) -> SourcePosition? {
        var below: [Int] = []
        for p in pages.keys where p <= page { below.append(p) }
        for p in below {
            if let top = pages.removeValue(forKey: p) { reached = max(reached ?? top, top) }
        }
        var mark: SourcePosition?
        if ordered {
            mark = reached
        } else if done, let top = reached {
            // The run's start, before any record that changed at that instant.
            mark = top.millis <= startedAt ? top : SourcePosition(modified: Dates.formatDateTime(startedAt), id: "")
        }
        guard let mark, written.map({ $0 < mark }) ?? true else { return nil }
        written = mark
        return mark
    }
}
