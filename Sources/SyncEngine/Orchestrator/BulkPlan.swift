import MapDSL

/// Which write path a job may take: the platform's bulk API, its REST batches, or whichever the
/// engine judges cheaper.
public enum WritePathChoice: String, Sendable, Hashable, CaseIterable {
    /// Bulk when the records to send reach the threshold, REST below it.
    case auto
    /// Bulk whenever the destination has a bulk API that takes the job's key and mode.
    case bulk
    /// REST batches always.
    case rest
}

/// A job's bulk settings, from `"bulk": {"use": "auto", "threshold": 2000, "jobRecords": 100000,
/// "pollSeconds": 15}` in its job file.
public struct BulkSettings: Sendable, Hashable {
    /// The path to take.
    public var use: WritePathChoice = .auto
    /// Records to send at or above which `auto` takes the bulk path (Salesforce's own guidance is
    /// bulk from about 2,000 records; below, REST batches cost as few calls and answer at once).
    public var threshold = 2000
    /// Most records per bulk job (nil: the platform adapter's choice).
    public var jobRecords: Int?
    /// Longest wait between two status requests of a job, in seconds.
    public var pollSeconds = 15.0

    /// The defaults.
    public init() {}

    /// The largest threshold or job size a job file may set.
    public static let maxRecords = 150_000_000

    /// Reads the `bulk` object of a job file (absent: the defaults); `path` names the file in errors.
    public static func parse(_ json: JSONValue?, path: String) throws -> BulkSettings {
        var settings = BulkSettings()
        guard let json else { return settings }
        guard case .object(let pairs) = json else {
            throw JobError("\(path): `bulk` must be an object with `use`, `threshold`, `jobRecords` and `pollSeconds`")
        }
        for (key, value) in pairs {
            switch key {
            case "use":
                guard let text = value.stringValue, let use = WritePathChoice(rawValue: text) else {
                    throw JobError(
                        "\(path): `bulk.use` must be one of \(WritePathChoice.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                settings.use = use
            case "threshold", "jobRecords":
                guard let n = value.intValue, n >= 1, n <= maxRecords else {
                    throw JobError("\(path): `bulk.\(key)` must be a whole number from 1 to \(maxRecords)")
                }
                if key == "threshold" { settings.threshold = n } else { settings.jobRecords = n }
            case "pollSeconds":
                guard let s = value.doubleValue, s >= 0.01, s <= 3600 else {
                    throw JobError("\(path): `bulk.pollSeconds` must be a number of seconds from 0.01 to 3600")
                }
                settings.pollSeconds = s
            default:
                throw JobError("\(path): `bulk` has no setting `\(key)` (it has `use`, `threshold`, `jobRecords`, `pollSeconds`)")
            }
        }
        return settings
    }
}

extension JobSpec {
    /// The job file's bulk settings.
    public func bulkSettings() throws -> BulkSettings {
        try BulkSettings.parse(raw["bulk"], path: "job \(name)")
    }
}

/// The write path a run takes, and why (recorded in its `write_path` event).
public struct WritePathDecision: Sendable, Hashable {
    /// Whether records go through bulk jobs.
    public var bulk: Bool
    /// Why, in a sentence an operator reads in `mapc events`.
    public var reason: String
    /// Records per bulk job (bulk, or deferred).
    public var jobRecords: Int
    /// Not decided yet: the run's size is not known in advance, so the path is taken when the
    /// threshold's worth of records waits to be sent (bulk) or the read ends before (REST).
    public var deferred = false

    /// Chooses the path of a run.
    ///
    /// - Parameters:
    ///   - settings: the job file's settings; `override` (the command line) replaces their `use`.
    ///   - limits: the destination's bulk limits, nil when it has no bulk API.
    ///   - refusal: why the destination cannot take this job's key and mode in bulk, if it cannot.
    ///   - expected: records the run expects to send (nil when unknown: an incremental read).
    ///   - flushEachPage: every page must be written before the next is mapped (lookups into the
    ///     destination object), which would make one small job per page.
    ///   - batchesUsed: the platform's internal batches mapc's jobs used in the last 24 hours.
    public static func decide(
        settings: BulkSettings, override: WritePathChoice?, limits: BulkLimits?, refusal: String?, expected: Int?,
        flushEachPage: Bool, batchesUsed: Int
    ) -> WritePathDecision {
        let use = override ?? settings.use
        let origin = override != nil ? "the command line" : "the job file"
        func rest(_ why: String) -> WritePathDecision { WritePathDecision(bulk: false, reason: why, jobRecords: 0) }
        if use == .rest { return rest("REST batches: \(origin) says `rest`") }
        guard let limits else { return rest("REST batches: the destination has no bulk API") }
        if let refusal { return rest("REST batches: \(limits.name) cannot take this job (\(refusal))") }
        if flushEachPage {
            return rest(
                "REST batches: the mapping looks records up in the object it writes, so every page is written before the next is mapped")
        }
        let jobRecords = max(1, min(settings.jobRecords ?? limits.maxRecords, limits.maxRecords))
        if let daily = limits.dailyBatches {
            let needed = max(1, ((expected ?? jobRecords) + limits.internalBatch - 1) / limits.internalBatch)
            if batchesUsed + needed > daily {
                return rest(
                    "REST batches: \(limits.name)'s daily allocation of \(daily) batches would be exceeded (\(batchesUsed) used by mapc in the last 24 hours, \(needed) needed)"
                )
            }
        }
        if use == .bulk {
            return WritePathDecision(
                bulk: true, reason: "\(limits.name): \(origin) says `bulk`; up to \(jobRecords) records per job", jobRecords: jobRecords)
        }
        guard let expected else {
            var later = WritePathDecision(
                bulk: false,
                reason:
                    "decided when \(settings.threshold) records wait to be sent (bulk) or the read ends before (REST): the run's size is not known in advance",
                jobRecords: jobRecords)
            later.deferred = true
            return later
        }
        guard expected >= settings.threshold else {
            return rest("REST batches: \(expected) records to read, below the bulk threshold of \(settings.threshold)")
        }
        return WritePathDecision(
            bulk: true,
            reason:
                "\(limits.name): \(expected) records to read, at or above the bulk threshold of \(settings.threshold); up to \(jobRecords) records per job",
            jobRecords: jobRecords)
    }
}

/// How long to wait before the next status request of a bulk job: growing by half each time, from
/// `first` up to `cap` seconds, with a little jitter so parallel runs do not poll in step.
public enum BulkPoll {
    /// The wait before status request `poll` (1-based) given `unit` drawn from [0, 1).
    public static func delay(poll: Int, cap: Double, unit: Double, first: Double = 1) -> Double {
        var wait = first
        var n = 1
        while n < poll && wait < cap {
            wait *= 1.5
            n += 1
        }
        let capped = min(wait, cap)
        return capped * (0.9 + 0.2 * min(max(unit, 0), 1))
    }
}
