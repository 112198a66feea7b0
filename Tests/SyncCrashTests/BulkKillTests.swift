import Foundation
import MapDSL
import Sandbox
import TestSupport
import Testing

@testable import SyncEngine

/// `mapc sync` through Bulk API 2.0 killed with SIGKILL at each step of a job, then `mapc resume`:
/// the resumed run finds the job on the platform and continues it, never starting a second one for
/// records a job holds, and every contact ends up once in Salesforce.
@Suite(.serialized, .timeLimit(.minutes(5))) struct BulkKillTests {
    typealias Killed = KilledRunTests

    /// A project of `contacts` contacts whose job always takes the bulk path, polling without a wait.
    static func project(contacts: Int, faults: BulkFaults) throws -> Killed.Project {
        let project = try Killed.project(contacts: contacts)
        try
            #"{"source": {"platform": "hubspot", "object": "contact"}, "destination": {"platform": "salesforce", "object": "Lead"}, "mapping": "killed.map", "pageSize": 100, "retries": 3, "bulk": {"use": "bulk", "pollSeconds": 0.01}}"#
            .write(toFile: project.root + "/jobs/killed.json", atomically: true, encoding: .utf8)
        project.salesforce.setBulkFaults(faults)
        return project
    }

    /// Kills a sync at `point`, resumes it, and checks the outcome: one bulk job, each contact once.
    func killAndResume(at point: String, contacts: Int = 300, faults: BulkFaults = BulkFaults()) throws -> Killed.Project {
        let project = try Self.project(contacts: contacts, faults: faults)
        let killed = try Killed.mapc(["sync", "killed"], project, crashAt: point)
        #expect(killed.killed, "mapc was not killed at \(point): \(killed.stderr)")
        let resumed = try Killed.mapc(["resume", "killed"], project)
        #expect(resumed.status == 0 && !resumed.killed, "\(resumed.stderr)")
        #expect(project.salesforce.bulkJobs.count == 1, "bulk jobs: \(project.salesforce.bulkJobs)")
        #expect(project.salesforce.bulkJobs.first?.uploads == 1)
        let leads = try JSONParser.parse(
            String(
                decoding: try Data(
                    contentsOf: project.salesforce.baseURL.appendingPathComponent("_sandbox/records").appending(queryItems: [
                        URLQueryItem(name: "object", value: "Lead"), URLQueryItem(name: "key", value: "HubSpot_Contact_Id__c"),
                    ])), as: UTF8.self))
        #expect(leads["distinct"]?.intValue == contacts)
        #expect(leads["duplicates"]?.objectValue?.isEmpty == true)
        let store = try EventStore(path: project.root + "/.mapc/events.db")
        let run = try #require(try store.latestRun(job: "killed"))
        #expect(run.state.phase == .completed)
        #expect(try store.statusCounts(job: "killed", run: run.id)["created"] == contacts)
        return project
    }

    @Test func killedAfterTheJobWasCreatedAndBeforeItsUploadResumesTheSameJob() throws {
        let project = try killAndResume(at: "bulk-created:1")
        project.stop()
    }

    @Test func killedAfterTheUploadAndBeforeUploadCompleteResumesTheSameJob() throws {
        let project = try killAndResume(at: "bulk-uploaded:1")
        project.stop()
    }

    @Test func killedWhilePollingResumesPollingTheSameJob() throws {
        // 100 records per status request: the kill lands with the job a third done.
        let project = try killAndResume(at: "bulk-polling:1", faults: BulkFaults(recordsPerPoll: 100))
        defer { project.stop() }
        let store = try EventStore(path: project.root + "/.mapc/events.db")
        let run = try #require(try store.latestRun(job: "killed"))
        let types = try store.events(run: run.id).map(\.type)
        #expect(types.filter { $0 == "bulk_job" }.count == 1)
        #expect(types.contains("resumed"))
    }

    @Test func aJobThatExpiredWhileMapcWasDownIsSentAgainWithoutDuplicates() throws {
        let project = try Self.project(contacts: 300, faults: BulkFaults(recordsPerPoll: 100))
        defer { project.stop() }
        let killed = try Killed.mapc(["sync", "killed"], project, crashAt: "bulk-polling:2")
        #expect(killed.killed, "\(killed.stderr)")
        project.salesforce.expireBulkJobs()
        let resumed = try Killed.mapc(["resume", "killed"], project)
        #expect(resumed.status == 0, "\(resumed.stderr)")
        let store = try EventStore(path: project.root + "/.mapc/events.db")
        let run = try #require(try store.latestRun(job: "killed"))
        #expect(try store.events(run: run.id).contains { $0.type == "bulk_job_gone" })
        #expect(try store.statusCounts(job: "killed", run: run.id)["created"] == 300)
        #expect(project.salesforce.recordCount(object: "Lead") == 300)
    }
}
