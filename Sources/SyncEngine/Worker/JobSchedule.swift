import Foundation
import MapDSL

/// A job's `schedule` (job file): a run is due at the start of every slot of `everySeconds`
/// seconds, counted from 1970 plus `offsetSeconds` (UTC), so every process agrees on the slots
/// without talking to the others. `mapc worker` enqueues a due slot into the work queue; the
/// queue's unique (job, slot) row makes that happen once per slot however many workers see it.
///
/// `{"schedule": {"everySeconds": 3600, "offsetSeconds": 900}}` is due at 00:15, 01:15, … UTC.
public struct JobSchedule: Sendable, Hashable {
    /// Seconds between two slots.
    public var everySeconds: Int
    /// Where in its period a slot starts (0 ..< everySeconds).
    public var offsetSeconds: Int

    /// The shortest period a job file may ask for.
    public static let minimumSeconds = 60
    /// The longest (a leap year).
    public static let maximumSeconds = 366 * 86_400

    /// A schedule of one slot every `everySeconds`, shifted by `offsetSeconds`.
    public init(everySeconds: Int, offsetSeconds: Int = 0) {
        self.everySeconds = max(1, everySeconds)
        self.offsetSeconds = min(max(0, offsetSeconds), self.everySeconds - 1)
    }

    /// The slot that `now` (seconds since 1970) falls in.
    public func slot(at now: Double) -> Int64 {
        guard now.isFinite else { return 0 }
        let shifted = (now - Double(offsetSeconds)) / Double(everySeconds)
        guard shifted > -9e15, shifted < 9e15 else { return 0 }
        return Int64(shifted.rounded(.down))
    }

    /// When `slot` starts (seconds since 1970).
    public func start(of slot: Int64) -> Double { Double(slot) * Double(everySeconds) + Double(offsetSeconds) }

    /// The `schedule` setting of a job file (nil: none); `path` names the file in errors.
    public static func parse(_ value: JSONValue?, path: String) throws -> JobSchedule? {
        guard let value else { return nil }
        let shape = "`schedule` must be an object with `everySeconds` (and optionally `offsetSeconds`)"
        guard case .object(let pairs) = value else { throw JobError("\(path): \(shape), not \(JSONWriter.compact(value))") }
        let known = ["everySeconds", "offsetSeconds"]
        for (key, _) in pairs where !known.contains(key) {
            let hint = Suggest.closest(to: key, in: known).map { " (did you mean `\($0)`?)" } ?? ""
            throw JobError("\(path): `schedule` has no setting `\(key)`\(hint); it has `everySeconds` and `offsetSeconds`")
        }
        guard let every = value["everySeconds"]?.intValue, every >= minimumSeconds, every <= maximumSeconds else {
            throw JobError(
                "\(path): `schedule.everySeconds` must be a whole number of seconds from \(minimumSeconds) to \(maximumSeconds)")
        }
        var offset = 0
        if let o = value["offsetSeconds"] {
            guard let i = o.intValue, i >= 0, i < every else {
                throw JobError("\(path): `schedule.offsetSeconds` must be a whole number of seconds from 0 to \(every - 1)")
            }
            offset = i
        }
        return JobSchedule(everySeconds: every, offsetSeconds: offset)
    }
}

extension JobSpec {
    /// The job's `schedule` (nil: runs only when asked for). The job file was checked when it was loaded.
    public var schedule: JobSchedule? { (try? JobSchedule.parse(raw["schedule"], path: name)) ?? nil }
}

/// A job with a schedule, as a worker hands it to ``WorkQueue/enqueueDue(_:by:)``.
public struct ScheduledJob: Sendable, Hashable {
    /// The job's name.
    public var job: String
    /// Its schedule.
    public var schedule: JobSchedule

    /// `job` on `schedule`.
    public init(job: String, schedule: JobSchedule) {
        self.job = job
        self.schedule = schedule
    }
}

extension JobSchedule {
    /// The jobs of `directory` (`jobs/`) that have a schedule, by file name (as `mapc worker
    /// enqueue` names them), and a message for each job file whose schedule cannot be used.
    /// Files over 1 MiB, unreadable or not JSON are the job's own problem (its run reports it)
    /// and are left out without a message unless they have a `schedule`.
    public static func load(jobsDirectory directory: String) -> (schedules: [ScheduledJob], problems: [String]) {
        let files = ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).filter { $0.hasSuffix(".json") }.sorted()
        var schedules: [ScheduledJob] = []
        var problems: [String] = []
        for file in files {
            let path = directory + "/" + file
            guard let data = FileManager.default.contents(atPath: path), data.count <= 1 << 20,
                let json = try? JSONParser.parse(String(decoding: data, as: UTF8.self)), json["schedule"] != nil
            else { continue }
            let name = String(file.dropLast(".json".count))
            if json["kind"]?.stringValue == "two-way" {
                problems.append("jobs/\(file): two-way jobs are not run by workers; its schedule is not used")
                continue
            }
            do {
                if let schedule = try parse(json["schedule"], path: "jobs/\(file)") {
                    schedules.append(ScheduledJob(job: name, schedule: schedule))
                }
            } catch {
                problems.append("\(error); its schedule is not used")
            }
        }
        return (schedules, problems)
    }
}
