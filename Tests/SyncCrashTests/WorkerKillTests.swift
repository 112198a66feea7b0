import Foundation
import MapDSL
import Sandbox
import TestSupport
import Testing

@testable import SyncEngine

/// `mapc worker` processes sharing a PostgreSQL store: a worker killed with SIGKILL in the middle of
/// a run loses the job to the next worker once its lease expires, and that worker resumes the run,
/// reconciling the batch in doubt: every contact reaches Salesforce once.
@Suite(.serialized, .timeLimit(.minutes(5))) struct WorkerKillTests {
    @Test func aWorkerKilledMidRunIsTakenOverAndTheJobFinishesWithNothingLostOrTwice() throws {
        var project = try KilledRunTests.project(contacts: 400)
        defer { project.stop() }
        let location = try PostgresCluster.freshStoreURL("workerkill")
        project = KilledRunTests.Project(
            root: project.root, env: project.env.merging(["MAPC_STORE_URL": location]) { $1 }, hubspot: project.hubspot,
            salesforce: project.salesforce)
        let enqueue = try KilledRunTests.mapc(["worker", "enqueue", "killed"], project)
        #expect(enqueue.status == 0, "\(enqueue.stderr)")
        // Worker A dies (SIGKILL) as its second batch goes out: sent, never answered.
        let a = try KilledRunTests.mapc(
            ["worker", "--name", "A", "--lease-seconds", "2", "--until-empty"], project, crashAt: "before-send:2")
        #expect(a.killed, "worker A was not killed: \(a.stderr)")
        // Worker B waits the lease out, takes the job over and finishes it.
        let b = try KilledRunTests.mapc(["worker", "--name", "B", "--lease-seconds", "2", "--until-empty"], project)
        #expect(b.status == 0 && !b.killed, "\(b.stderr)")
        #expect(b.stderr.contains("took killed over from A"), "\(b.stderr)")
        #expect(!b.stderr.contains(PostgresCluster.password), "the store's password was printed")
        let queue = try WorkQueue(location: location)
        #expect(try queue.leases(job: "killed").map(\.worker) == ["A", "B"])
        #expect(try queue.leases(job: "killed").last?.tookOverFrom == "A")
        #expect(try queue.entries().map(\.state) == ["done"])
        let store = try EventStore(path: location)
        let runs = try store.runs(job: "killed")
        #expect(runs.count == 1)
        #expect(runs.first?.state.phase == .completed)
        let events = try store.events(run: try #require(runs.first?.id))
        #expect(events.contains { $0.type == "reconcile" })
        // Every contact once at the destination, with nothing created twice.
        let leads = try JSONParser.parse(
            String(
                decoding: try Data(
                    contentsOf: project.salesforce.baseURL.appendingPathComponent("_sandbox/records").appending(queryItems: [
                        URLQueryItem(name: "object", value: "Lead"), URLQueryItem(name: "key", value: "HubSpot_Contact_Id__c"),
                    ])), as: UTF8.self))
        #expect(leads["distinct"]?.intValue == 400)
        #expect(leads["duplicates"]?.objectValue?.isEmpty == true)
    }
}
