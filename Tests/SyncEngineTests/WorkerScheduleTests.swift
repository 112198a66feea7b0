import Foundation
import MapDSL
import SyncEngine
import TestSupport
import Testing

/// Job schedules feeding the work queue: every worker enqueues a job's due slot, and the unique
/// (job, slot) row makes that happen once per slot however many race for it.
@Suite struct WorkerScheduleTests {
    typealias Wall = WorkerLeaseTests.Wall

    /// Runs `body` on `count` threads released together; the errors they threw.
    static func race(_ count: Int, _ body: @escaping @Sendable (Int) throws -> Void) -> [String] {
        let errors = Guarded<[String]>([])
        let group = DispatchGroup()
        let start = DispatchSemaphore(value: 0)
        for i in 0..<count {
            group.enter()
            Thread {
                defer { group.leave() }
                start.wait()
                do { try body(i) } catch { errors.withLock { $0.append("\(error)") } }
            }.start()
        }
        for _ in 0..<count { start.signal() }
        group.wait()
        return errors.value
    }

    @Test(arguments: StoreKind.all) func workersRacingForTheSameSlotEnqueueItOnce(store kind: StoreKind) throws {
        let location = try SharedInboxTests.sharedLocation(kind)
        let wall = Wall()
        let queues = try (0..<4).map { _ in try WorkQueue(location: location, now: { wall.now }) }
        let hourly = ScheduledJob(job: "people", schedule: JobSchedule(everySeconds: 3600, offsetSeconds: 600))
        let daily = ScheduledJob(job: "accounts", schedule: JobSchedule(everySeconds: 86_400))
        var expected: [String: Int] = [:]
        for round in 0..<6 {
            let won = Guarded<[String]>([])
            let errors = Self.race(8) { i in
                let got = try queues[i % 4].enqueueDue([hourly, daily], by: "w\(i)")
                won.withLock { $0 += got.map(\.job) }
            }
            #expect(errors == [])
            // The first round finds both jobs' current slots fresh; after that only the hourly one moves on.
            let due = round == 0 ? ["accounts", "people"] : ["people"]
            #expect(won.value.sorted() == due, "round \(round)")
            for job in due { expected[job, default: 0] += 1 }
            #expect(try queues[0].entries().filter { $0.state == "due" }.map(\.job).sorted() == ["accounts", "people"])
            wall.advance(3600)
        }
        #expect(try queues[1].scheduledSlots(job: "people").count == expected["people"])
        #expect(try queues[1].scheduledSlots(job: "accounts").count == expected["accounts"])
        let slots = try queues[2].scheduledSlots(job: "people")
        #expect(zip(slots, slots.dropFirst()).allSatisfy { $1.slot == $0.slot + 1 })
        #expect(slots.allSatisfy { Int64($0.start) % 3600 == 600 })
        #expect(try queues[3].entries().first { $0.job == "people" }?.lastOutcome == nil)
    }

    @Test(arguments: StoreKind.all) func twoWorkersRunAScheduledJobOncePerSlot(store kind: StoreKind) throws {
        let location = try SharedInboxTests.sharedLocation(kind)
        let wall = Wall()
        let every = 900.0
        let runs = Guarded<[(worker: String, slot: Int64)]>([])
        let schedule = JobSchedule(everySeconds: Int(every))
        let workers = try ["A", "B"].map { name in
            Worker(
                queue: try WorkQueue(location: location, now: { wall.now }), settings: Worker.Settings(name: name),
                schedules: { [ScheduledJob(job: "people", schedule: schedule)] }
            ) { lease in
                runs.withLock { $0.append((lease.worker, schedule.slot(at: wall.now))) }
                return .completed(run: 1)
            }
        }
        let slots = 8
        for _ in 0..<slots {
            // Both workers take turns at once, twice each: the slot's run happens once, by either.
            let errors = Self.race(4) { i in _ = try workers[i % 2].runOne() }
            #expect(errors == [])
            wall.advance(every)
        }
        let done = runs.value
        #expect(done.count == slots, "\(done)")
        #expect(Set(done.map(\.slot)).count == slots)
        let queue = try WorkQueue(location: location, now: { wall.now })
        #expect(try queue.scheduledSlots(job: "people").count == slots)
        #expect(Set(try queue.scheduledSlots(job: "people").map(\.by)).isSubset(of: ["A", "B"]))
        #expect(try queue.entries().map(\.state) == ["done"])
    }

    @Test func aSlotDueWhileTheJobRunsRunsItOnceMoreAfterwards() throws {
        let location = try SharedInboxTests.sharedLocation(.sqlite)
        let wall = Wall()
        let queue = try WorkQueue(location: location, now: { wall.now })
        let job = ScheduledJob(job: "people", schedule: JobSchedule(everySeconds: 60))
        #expect(try queue.enqueueDue([job], by: "A").count == 1)
        let lease = try #require(try queue.take(worker: "A", ttl: 300))
        wall.advance(60)
        #expect(try queue.enqueueDue([job], by: "B").count == 1)
        #expect(try queue.take(worker: "B", ttl: 300) == nil)
        #expect(try queue.finish(lease, .completed(run: 1)))
        #expect(try queue.take(worker: "B", ttl: 300)?.job == "people")
    }

    @Test func scheduleSettingsAreCheckedWithClearMessages() throws {
        func error(_ json: String) -> String? {
            do {
                _ = try JobSchedule.parse(try JSONParser.parse(json), path: "jobs/j.json")
                return nil
            } catch {
                return "\(error)"
            }
        }
        #expect(error(#"{"everySeconds": 3600}"#) == nil)
        #expect(
            try JobSchedule.parse(try JSONParser.parse(#"{"everySeconds": 120, "offsetSeconds": 30}"#), path: "j")
                == JobSchedule(everySeconds: 120, offsetSeconds: 30))
        #expect(error("5") == "jobs/j.json: `schedule` must be an object with `everySeconds` (and optionally `offsetSeconds`), not 5")
        #expect(
            error(#"{"everySecond": 60}"#)
                == "jobs/j.json: `schedule` has no setting `everySecond` (did you mean `everySeconds`?); it has `everySeconds` and `offsetSeconds`"
        )
        #expect(
            error(#"{"everySeconds": 59}"#) == "jobs/j.json: `schedule.everySeconds` must be a whole number of seconds from 60 to 31622400")
        #expect(error(#"{"everySeconds": 1e300}"#)?.contains("from 60 to 31622400") == true)
        #expect(
            error(#"{"everySeconds": 60, "offsetSeconds": 60}"#)
                == "jobs/j.json: `schedule.offsetSeconds` must be a whole number of seconds from 0 to 59")
        // A job file with a bad schedule does not load.
        let job =
            #"{"source": {"platform": "hubspot", "object": "contact"}, "destination": {"platform": "salesforce", "object": "Lead"}, "mapping": "m.map", "schedule": {"everySeconds": 10}}"#
        #expect(throws: JobError.self) { try JobSpec.parse(try JSONParser.parse(job), name: "j", path: "jobs/j.json") }
    }

    @Test func slotsAreCountedFrom1970PlusTheOffset() {
        let s = JobSchedule(everySeconds: 3600, offsetSeconds: 900)
        #expect(s.slot(at: 900) == 0 && s.slot(at: 899) == -1 && s.slot(at: 4499.9) == 0 && s.slot(at: 4500) == 1)
        #expect(s.start(of: 1) == 4500)
        #expect(s.slot(at: .nan) == 0 && s.slot(at: .infinity) == 0)
    }

    @Test func theWorkerReadsSchedulesFromTheJobFilesAndNamesTheBadOnes() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("mapc-schedules-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try #"{"name": "x", "schedule": {"everySeconds": 600}}"#.write(toFile: dir + "/hourly-ish.json", atomically: true, encoding: .utf8)
        try #"{"schedule": {"every": 600}}"#.write(toFile: dir + "/typo.json", atomically: true, encoding: .utf8)
        try #"{"kind": "two-way", "schedule": {"everySeconds": 600}}"#.write(toFile: dir + "/both.json", atomically: true, encoding: .utf8)
        try #"{"mapping": "m.map"}"#.write(toFile: dir + "/manual.json", atomically: true, encoding: .utf8)
        try "not json".write(toFile: dir + "/broken.json", atomically: true, encoding: .utf8)
        let (schedules, problems) = JobSchedule.load(jobsDirectory: dir)
        #expect(schedules == [ScheduledJob(job: "hourly-ish", schedule: JobSchedule(everySeconds: 600))])
        #expect(
            problems == [
                "jobs/both.json: two-way jobs are not run by workers; its schedule is not used",
                "jobs/typo.json: `schedule` has no setting `every` (did you mean `everySeconds`?); it has `everySeconds` and `offsetSeconds`; its schedule is not used",
            ])
    }
}

/// Workers started together on a store nobody opened yet: each creates and migrates it at once.
@Suite struct ConcurrentStoreOpenTests {
    @Test func processesOpeningANewPostgreSQLStoreTogetherAllSucceed() throws {
        for _ in 0..<4 {
            let location = try StoreKind.postgres.location("open")
            let errors = WorkerScheduleTests.race(4) { _ in _ = try WorkQueue(location: location) }
            #expect(errors == [])
        }
    }
}
