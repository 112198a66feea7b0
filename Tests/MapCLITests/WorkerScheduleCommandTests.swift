import Foundation
import MapDSL
import TestSupport
import Testing

/// Two real `mapc worker` processes on one PostgreSQL store, started together over a project whose
/// job has a schedule: the job's slot is enqueued once between them and the job runs once.
@Suite(.timeLimit(.minutes(5))) struct WorkerScheduleCommandTests {
    @Test func twoWorkerProcessesStartedTogetherRunAScheduledJobOnce() throws {
        let p = try PoisonRecordTests.JSONLProject()
        p.storeURL = try PostgresCluster.freshStoreURL("sched")
        // One slot a leap year long: the two workers cannot straddle a slot boundary.
        try p.project.write(
            "jobs/leads.json",
            #"{"source": {"platform": "hubspot", "object": "contact", "adapter": "jsonl"}, "destination": {"platform": "salesforce", "object": "Lead", "adapter": "jsonl"}, "mapping": "samples/mappings/contacts-to-leads.map", "pageSize": 50, "batchSize": 40, "schedule": {"everySeconds": 31622400}}"#
        )
        let outcomes = Locked2<[ChildProcess.Outcome]>([])
        let group = DispatchGroup()
        let shared = Unchecked(p)  // read-only while the workers run
        for name in ["w1", "w2"] {
            group.enter()
            Thread {
                defer { group.leave() }
                if let o = try? shared.value.mapc(["worker", "--name", name, "--until-empty"]) { outcomes.with { $0.append(o) } }
            }.start()
        }
        group.wait()
        let done = outcomes.value
        #expect(done.count == 2)
        for o in done { #expect(o.status == 0 && !o.signaled, "\(o.summary)") }
        let logs = done.map(\.err).joined(separator: "\n")
        #expect(logs.components(separatedBy: "queued leads for its schedule").count - 1 == 1, "\(logs)")
        #expect(logs.components(separatedBy: ": took leads, lease").count - 1 == 1, "\(logs)")
        #expect(p.leadKeys.count == 216)
        let list = try JSONParser.parse(try p.mapc(["worker", "list", "--format", "json"]).out)
        let entry = list.arrayValue?.first
        #expect(entry?["state"] == "done" && entry?["lease"] == 1, "\(JSONWriter.compact(list))")
        // A third worker in the same slot finds it enqueued already: nothing to do.
        let again = try p.mapc(["worker", "--name", "w3", "--until-empty"])
        #expect(again.status == 0 && !again.err.contains("queued leads"), "\(again.summary)")
        #expect(try JSONParser.parse(try p.mapc(["worker", "list", "--format", "json"]).out).arrayValue?.first?["lease"] == 1)
    }
}

/// A value shared by the test's threads.
private final class Locked2<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: Value
    init(_ value: Value) { stored = value }
    func with(_ body: (inout Value) -> Void) { lock.withLock { body(&stored) } }
    var value: Value { lock.withLock { stored } }
}

/// A value handed to the worker threads, which only read it.
private struct Unchecked<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}
